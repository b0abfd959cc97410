"""The access table: every endpoint declares a rule, and every role gets what the table says."""
import pytest
from flask import Flask

from tests.conftest import AuthActions
from tracker.permissions import PUBLIC, SIGNED_IN, rule_for

# endpoint -> who may use it. A new endpoint must be added here, or test_access_table_is_complete fails.
ACCESS_TABLE = {
    "static": PUBLIC,
    "auth.login": PUBLIC,
    "auth.set_language": PUBLIC,
    "main.healthz": PUBLIC,
    "auth.logout": SIGNED_IN,
    "auth.change_password": SIGNED_IN,
    "main.index": SIGNED_IN,
    "api.me": SIGNED_IN,
    "main.team": "admin,manager",
    "portal.index": "enterprise_contact",
    "admin.users": "admin",
    "admin.new_user": "admin",
    "admin.user_detail": "admin",
    "admin.deactivate_user": "admin",
    "admin.activate_user": "admin",
    "admin.reset_password": "admin",
    "admin.offices": "admin",
    "admin.audit": "admin",
}

ROLES = ["admin", "manager", "officer", "enterprise_contact"]


def endpoints_without_rule(app: Flask) -> list[str]:
    with app.app_context():
        return sorted(rule.endpoint for rule in app.url_map.iter_rules() if rule_for(rule.endpoint) is None)


def test_every_endpoint_declares_a_rule(app):
    assert endpoints_without_rule(app) == []


def test_a_route_without_a_rule_is_caught_and_refused(app, client, auth, cast):
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    assert endpoints_without_rule(app) == ["forgotten"]
    auth.login("admin")
    assert client.get("/forgotten").status_code == 403  # fail closed at run time too


def test_access_table_is_complete_and_matches_the_code(app):
    with app.app_context():
        declared = {rule.endpoint: rule_for(rule.endpoint).describe() for rule in app.url_map.iter_rules()}
    assert declared == ACCESS_TABLE


def _url_and_method(app, endpoint, cast):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {}
    for arg in rule.arguments:
        values[arg] = {"user_id": cast.officer.id, "filename": "css/app.css"}[arg]
    with app.test_request_context():
        from flask import url_for

        url = url_for(endpoint, **values)
    method = "GET" if "GET" in rule.methods else "POST"
    return url, method


@pytest.mark.parametrize("role", ["anonymous"] + ROLES)
@pytest.mark.parametrize("endpoint", sorted(ACCESS_TABLE))
def test_access_matrix(app, client, cast, endpoint, role):
    url, method = _url_and_method(app, endpoint, cast)
    actions = AuthActions(client)
    if role != "anonymous":
        assert actions.login(cast.by_role(role).username).status_code == 302
    if method == "GET":
        response = client.get(url)
    else:
        token = actions.csrf("/login" if role == "anonymous" else "/account/password")
        response = client.post(url, data={"csrf_token": token})
    response.close()

    rule = ACCESS_TABLE[endpoint]
    if rule == PUBLIC:
        assert response.status_code not in (401, 403)
    elif role == "anonymous":
        if url.startswith("/api/"):
            assert response.status_code == 401
            assert response.is_json
        else:
            assert response.status_code == 302
            assert response.headers["Location"].startswith("/login?next=")
    elif rule == SIGNED_IN or role in rule.split(","):
        assert response.status_code not in (401, 403), response.status_code
    else:
        assert response.status_code == 403


def test_manager_sees_his_subtree_only(client, auth, cast):
    auth.login("manager")  # 营口海关
    page = client.get("/team").get_data(as_text=True)
    assert "officer" in page and cast.officer_byq.username not in page
    home = client.get("/").get_data(as_text=True)
    assert "营口海关" in home and "鲅鱼圈海关" not in home and "大连海关" not in home


def test_manager_of_the_parent_office_sees_both_children(client, auth, cast):
    auth.login("manager-dl")  # 大连海关
    page = client.get("/team").get_data(as_text=True)
    assert cast.officer.username in page and cast.officer_byq.username in page
    assert cast.admin.username not in page  # 海关总署 is above him


def test_contact_sees_only_his_own_firm(client, auth, cast):
    auth.login("yalisi")
    response = client.get("/", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert cast.contact.enterprise.name in page
    assert cast.contact_byq.enterprise.name not in page
    me = client.get("/api/v1/me").get_json()
    assert me["enterprise_id"] == cast.contact.enterprise_id
