"""Every route that takes an object's id loads it through tracker.permissions.load_or_404.

The walk is done at run time, not by reading the views' source: each rule of app.url_map with an id
in its path is called once, as a user its @allow admits, with ids that exist nowhere (a distinct one
per path argument). The loader notes on `g` each (model, id) it is asked for; the route must answer
404 and the loader must have been asked for the first id of the path. A view that reads the row its
own way (db.session.get(...) or abort(404)) also answers 404 but leaves no note, and fails; a view
that calls the loader with some other id fails too. (The ids that come after the first one are
loaded only once the first exists, so the walk proves the first; test_child_rows_are_loaded_within_
their_parent checks the second ones of the nested routes.)
"""
import base64
import re

import pytest
import sqlalchemy as sa
from flask import g, request_finished
from werkzeug.routing import IntegerConverter

from tests.conftest import PASSWORD, AuthActions
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.permissions import allow, load_or_404, rule_for

MISSING = 900_001  # ids from here up exist in no table of the test database
NON_ID_VALUES = {"kind": "categories", "fmt": "csv", "key": "needs.all", "code": "not-a-code"}
LOGINS = {Role.ADMIN: "admin", Role.MANAGER: "manager", Role.OFFICER: "officer",
          Role.ENTERPRISE_CONTACT: "yalisi"}


def id_arguments(rule) -> list[str]:
    """The path's integer arguments, in the order they appear."""
    in_order = re.findall(r"<(?:[^<>]+:)?([a-z_]+)>", rule.rule)
    return [name for name in in_order if isinstance(rule._converters[name], IntegerConverter)]


def id_rules(app):
    return sorted((rule for rule in app.url_map.iter_rules() if id_arguments(rule)), key=lambda r: r.rule)


def login_for(endpoint: str) -> str:
    rule = rule_for(endpoint)
    if rule.roles is None:
        return "admin"
    for role in (Role.ADMIN, Role.MANAGER, Role.OFFICER, Role.ENTERPRISE_CONTACT):
        if role in rule.roles:
            return LOGINS[role]
    raise AssertionError(endpoint)


@pytest.fixture
def loads(app):
    """The (model, id) pairs the loader was asked for during the last request."""
    seen: list[list] = []

    def record(sender, response, **extra):
        seen.append(list(g.get("loaded_by_id", [])))

    request_finished.connect(record, app)
    yield seen
    request_finished.disconnect(record, app)


def call(client, auth, api_tokens, app, rule, values):
    with app.test_request_context():
        url = app.url_map.bind("localhost").build(rule.endpoint, values)
    method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
    if rule.rule.startswith("/api/"):
        headers = {"Authorization": f"Bearer {api_tokens(login_for(rule.endpoint))}"}
        return client.open(url, method=method, headers=headers)
    if method == "GET":
        return client.get(url)
    return auth.post(url, {})


def test_every_route_with_an_id_loads_it_through_the_loader(app, client, cast, loads):
    with app.app_context():
        rules = id_rules(app)
    assert len(rules) > 40, len(rules)  # the walk really walks
    tokens: dict[str, str] = {}

    def api_tokens(username):
        if username not in tokens:
            basic = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
            tokens[username] = client.post("/api/v1/tokens", headers={"Authorization": f"Basic {basic}"}
                                           ).get_json()["token"]
        return tokens[username]

    failures = []
    by_user: dict[str, list] = {}
    for rule in rules:
        by_user.setdefault(login_for(rule.endpoint), []).append(rule)
    for username, user_rules in by_user.items():
        auth = AuthActions(client)
        auth.login(username)
        for rule in user_rules:
            ids = id_arguments(rule)
            values = {name: MISSING + k for k, name in enumerate(ids)}
            values.update({name: v for name, v in NON_ID_VALUES.items() if name in rule.arguments})
            loads.clear()
            response = call(client, auth, api_tokens, app, rule, values)
            asked = [ident for request_loads in loads for _model, ident in request_loads]
            if response.status_code != 404 or values[ids[0]] not in asked:
                failures.append(f"{rule.endpoint} {rule.rule}: {response.status_code}, loader asked for {asked}")
        auth.logout()
    assert failures == []


@pytest.mark.fresh_app  # it adds a URL rule
def test_a_view_that_loads_its_own_way_is_caught(app, client, cast, loads, factory):
    from tracker.needs.models import Need

    @allow(Role.ADMIN)
    def sneaky(need_id: int):
        return str(db.session.get(Need, need_id) or 404)

    @allow(Role.ADMIN)
    def honest(need_id: int):
        return str(load_or_404(Need, need_id).id)

    app.add_url_rule("/sneaky/<int:need_id>", "sneaky", sneaky)
    app.add_url_rule("/honest/<int:need_id>", "honest", honest)
    AuthActions(client).login("admin")
    client.get(f"/sneaky/{MISSING}")
    assert loads[-1] == []  # the walk above would report it
    assert client.get(f"/honest/{MISSING}").status_code == 404 and loads[-1] == [("Need", MISSING)]


def test_child_rows_are_loaded_within_their_parent(app, client, cast, factory, loads):
    """A firm's contact is not reachable through another firm's URL (measures and roster decisions are
    loaded the same way, within=...)."""
    from tracker.enterprises.models import EnterpriseContact

    firm, other = factory.enterprise(cast.org.yingkou), factory.enterprise(cast.org.yingkou)
    contact = EnterpriseContact(enterprise=other, name="王经理")
    db.session.add(contact)
    db.session.commit()
    auth = AuthActions(client)
    auth.login("officer")
    response = auth.post(f"/enterprises/{firm.id}/contacts/{contact.id}/delete", {})
    assert response.status_code == 404 and ("EnterpriseContact", contact.id) in loads[-1]
    assert db.session.scalar(sa.select(sa.func.count(EnterpriseContact.id))) == 1
