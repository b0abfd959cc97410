"""Sign-in, sign-out, sessions, throttling and passwords, driven through the forms."""
import logging
import os

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, csrf_from
from tracker.auth.models import User
from tracker.extensions import db


def fresh(user: User) -> User:
    """Re-read a user after requests changed it (the test session keeps its own copies)."""
    db.session.rollback()
    return db.session.get(User, user.id)


def test_sign_in_page_is_public_and_sign_in_works(client, auth, cast):
    assert client.get("/login").status_code == 200
    response = auth.login("officer")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert fresh(cast.officer).last_login_at is not None


def test_username_is_case_insensitive(client, auth, cast):
    assert auth.login("  OFFICER ").status_code == 302


@pytest.mark.parametrize("username,password", [("officer", "wrong password!"), ("nobody", PASSWORD), ("", "")])
def test_wrong_credentials_are_refused_with_one_message(client, auth, cast, username, password):
    response = auth.login(username, password)
    assert response.status_code == 200
    assert client.get("/").status_code == 302  # still anonymous
    if username:
        text = response.get_data(as_text=True)
        # Said once, at the password; signing in saves nothing, so no "nothing was saved" summary.
        assert text.count("用户名或密码不正确") == 1 and 'id="form-errors"' not in text


def test_deactivated_user_cannot_sign_in(client, auth, cast):
    cast.officer.active = False
    db.session.commit()
    auth.login("officer")
    assert client.get("/").status_code == 302


def test_sign_in_without_csrf_token_is_refused(client, cast):
    response = client.post("/login", data={"username": "officer", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_sign_out_is_a_post_with_csrf(client, auth, cast):
    auth.login("officer")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still signed in
    assert auth.logout().status_code == 302
    assert client.get("/").status_code == 302


def test_cookie_saved_before_sign_out_no_longer_authenticates(app, client, auth, cast):
    auth.login("officer", remember="y")
    session_cookie = client.get_cookie("tracker_session").value
    remember_cookie = client.get_cookie("tracker_remember").value
    auth.logout()

    replay = app.test_client()
    replay.set_cookie("tracker_session", session_cookie)
    assert replay.get("/").status_code == 302
    replay = app.test_client()
    replay.set_cookie("tracker_remember", remember_cookie)
    assert replay.get("/").status_code == 302


def test_remember_me_cookie_signs_in_a_new_browser_session(app, client, auth, cast):
    auth.login("officer", remember="y")
    cookie = client.get_cookie("tracker_remember")
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    assert not cookie.secure
    later = app.test_client()
    later.set_cookie("tracker_remember", cookie.value)
    assert later.get("/").status_code == 200


@pytest.mark.parametrize("app_config", [{"HTTPS": True}], indirect=True)
def test_cookies_are_secure_under_https(client, cast):
    https = {"base_url": "https://tracker.example"}
    token = csrf_from(client.get("/login", **https))
    response = client.post(
        "/login", **https, headers={"Referer": "https://tracker.example/login"},
        data={"username": "officer", "password": PASSWORD, "remember": "y", "csrf_token": token},
    )
    assert response.status_code == 302
    remember = client.get_cookie("tracker_remember", domain="tracker.example")
    session = client.get_cookie("tracker_session", domain="tracker.example")
    assert remember.secure and remember.http_only and remember.same_site == "Lax"
    assert session.secure and session.http_only


def test_session_is_renewed_at_sign_in(client, auth, cast):
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        old_csrf = session.get("csrf_token")
    auth.login("officer")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != old_csrf


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "/\\evil.example", "https://evil.example", "http://evil.example/x", "javascript:alert(1)",
     "///evil.example", "/\t/evil.example", "evil.example", " //evil.example", "%2F%2Fevil.example"],
)
def test_next_never_leads_off_the_site(client, auth, cast, target):
    response = auth.login("officer", next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_inside_the_site_is_followed(client, auth, cast):
    response = client.get("/team")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/team")
    response = auth.login("manager", next="/team?page=1")
    assert response.headers["Location"] == "/team?page=1"


def test_eleventh_wrong_password_for_a_user_within_a_minute_gets_429(client, auth, cast):
    for _ in range(10):
        assert auth.login("officer", "wrong password!").status_code == 200
    response = auth.login("officer", "wrong password!")
    assert response.status_code == 429
    assert "尝试次数过多" in response.get_data(as_text=True)
    # The right password is refused too while the limit holds: that is the point.
    assert auth.login("officer").status_code == 429
    # Another user from the same address is not locked out by it.
    assert auth.login("manager").status_code == 302


def test_sign_in_is_throttled_per_client_address(client, auth, cast):
    for n in range(30):
        assert auth.login(f"nobody{n}", "wrong password!").status_code == 200
    assert auth.login("nobody-else", "wrong password!").status_code == 429


def test_successful_sign_ins_do_not_count_against_the_limit(client, auth, cast):
    for _ in range(12):
        assert auth.login("officer").status_code == 302
        auth.logout()


def test_sign_in_outcomes_and_denials_are_logged(client, auth, cast, caplog):
    caplog.set_level(logging.INFO, logger="tracker.security")
    client.get("/team")
    auth.login("officer", "wrong password!")
    auth.login("officer")
    client.get("/admin/users")
    messages = [r.getMessage() for r in caplog.records if r.name == "tracker.security"]
    assert any("sign-in failed" in m and "officer" in m for m in messages)
    assert any("sign-in succeeded" in m and "officer" in m for m in messages)
    assert any("access denied" in m and "admin.users" in m and "user=officer" in m for m in messages)
    assert any("access denied" in m and "main.team" in m and "user=anonymous" in m for m in messages)


def test_deactivating_a_user_ends_his_open_session(app, client, auth, cast):
    auth.login("officer")
    assert client.get("/").status_code == 200
    admin = AuthLike(app)
    admin.login("admin")
    response = admin.post(f"/admin/users/{cast.officer.id}/deactivate")
    assert response.status_code == 302
    assert client.get("/").status_code == 302
    assert not fresh(cast.officer).active


class AuthLike:
    """A second browser."""

    def __init__(self, app):
        from tests.conftest import AuthActions

        self.client = app.test_client()
        self.actions = AuthActions(self.client)

    def login(self, username, password=PASSWORD):
        return self.actions.login(username, password)

    def post(self, path, data=None):
        return self.actions.post(path, data)


class TestPasswordChange:
    def change(self, auth, current=PASSWORD, new="a much better passphrase", confirm=None):
        return auth.post(
            "/account/password",
            {"current_password": current, "new_password": new, "confirm": confirm or new},
        )

    @pytest.mark.parametrize(
        "kwargs,message",
        [
            ({"current": "not my password"}, "当前密码不正确"),
            ({"new": "short1234"}, "不能少于"),
            ({"new": "x" * 129}, "不能超过"),
            ({"new": "password123"}, "过于常见"),
            ({"new": "1234567890"}, "过于常见"),
            ({"new": "woaini1314"}, "过于常见"),
            ({"new": "officer-is-me-2026"}, "过于常见"),
            ({"confirm": "something else entirely"}, "不一致"),
        ],
    )
    def test_bad_new_passwords_are_refused(self, client, auth, cast, kwargs, message):
        auth.login("officer")
        old_hash = cast.officer.password_hash
        response = self.change(auth, **kwargs)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
        assert fresh(cast.officer).password_hash == old_hash

    def test_change_ends_other_sessions_but_keeps_this_one(self, app, client, auth, cast):
        other = AuthLike(app)
        other.login("officer")
        auth.login("officer")
        assert self.change(auth).status_code == 302
        assert client.get("/").status_code == 200
        assert other.client.get("/").status_code == 302
        auth.logout()
        assert auth.login("officer", "a much better passphrase").status_code == 302

    def test_password_of_128_characters_is_accepted(self, client, auth, cast):
        auth.login("officer")
        assert self.change(auth, new="Zq9-" * 32).status_code == 302


def test_production_hash_is_scrypt_at_owasp_level(app):
    from tracker.auth.services import hash_password
    from tracker.config import DefaultConfig

    assert DefaultConfig.PASSWORD_HASH_METHOD == "scrypt:131072:8:1"
    app.config["PASSWORD_HASH_METHOD"] = DefaultConfig.PASSWORD_HASH_METHOD
    hashed = hash_password("a long enough password")
    assert hashed.startswith("scrypt:131072:8:1$")
    assert len(hashed) <= User.__table__.c.password_hash.type.length


def test_admin_resets_a_password_and_the_users_sessions_end(app, client, auth, cast):
    victim = AuthLike(app)
    victim.login("officer")
    auth.login("admin")
    bad = auth.post(f"/admin/users/{cast.officer.id}/password", {"new_password": "short", "confirm": "short"})
    assert bad.status_code == 400
    assert victim.client.get("/").status_code == 200
    ok = auth.post(
        f"/admin/users/{cast.officer.id}/password",
        {"new_password": "reset by the admin 42", "confirm": "reset by the admin 42"},
    )
    assert ok.status_code == 302
    assert victim.client.get("/").status_code == 302
    assert victim.login("officer", "reset by the admin 42").status_code == 302


def test_admin_creates_a_user_through_the_form(client, auth, cast):
    auth.login("admin")
    page = client.get("/admin/users/new")
    data = {
        "csrf_token": csrf_from(page),
        "username": "Officer3",
        "display_name": "孙关员",
        "role": "officer",
        "office_id": str(cast.org.bayuquan.id),
        "enterprise_uscc": "",
        "new_password": "a fine new password",
        "confirm": "a fine new password",
    }
    response = client.post("/admin/users/new", data=data)
    assert response.status_code == 302
    created = db.session.scalar(sa.select(User).where(User.username == "officer3"))
    assert created.office_id == cast.org.bayuquan.id and created.role.value == "officer"

    again = client.post("/admin/users/new", data={**data, "csrf_token": csrf_from(client.get("/admin/users/new"))})
    assert "已被占用" in again.get_data(as_text=True)


def test_admin_creates_a_contact_only_with_a_known_firm(client, auth, cast):
    auth.login("admin")
    base = {
        "username": "clerk", "display_name": "单证员", "role": "enterprise_contact", "office_id": "",
        "new_password": "a fine new password", "confirm": "a fine new password",
    }
    missing = auth.post("/admin/users/new", {**base, "enterprise_uscc": "91310110666007217T"}, form_page="/admin/users/new")
    assert "未找到" in missing.get_data(as_text=True)
    firm = cast.contact.enterprise
    ok = auth.post("/admin/users/new", {**base, "enterprise_uscc": firm.uscc.lower()}, form_page="/admin/users/new")
    assert ok.status_code == 302
    clerk = db.session.scalar(sa.select(User).where(User.username == "clerk"))
    assert clerk.enterprise_id == firm.id and clerk.office_id == firm.office_id


def test_admin_cannot_deactivate_himself(client, auth, cast):
    auth.login("admin")
    auth.post(f"/admin/users/{cast.admin.id}/deactivate")
    assert fresh(cast.admin).active
    assert client.get("/").status_code == 200


REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL")


@pytest.mark.skipif(not REDIS_URL, reason="set TRACKER_TEST_REDIS_URL (CI does) to test the Redis limiter storage")
def test_throttling_state_lives_in_redis_and_survives_a_new_worker(migrated_database, cast):
    """Several gunicorn workers share one count: a fresh app on the same Redis still refuses."""
    from tests.conftest import AuthActions, IsolatedClient, make_config
    from tracker import create_app
    from tracker.extensions import limiter

    def worker():
        app = create_app(make_config(migrated_database, RATELIMIT_STORAGE_URI=REDIS_URL))
        app.test_client_class = IsolatedClient
        return app

    first = worker()
    with first.app_context():
        limiter.reset()
        assert type(limiter.storage).__name__.lower().startswith("redis")
        actions = AuthActions(first.test_client())
        for _ in range(10):
            assert actions.login("officer", "wrong password!").status_code == 200
    second = worker()
    with second.app_context():
        assert AuthActions(second.test_client()).login("officer", "wrong password!").status_code == 429
        limiter.reset()
        db.engine.dispose()
    with first.app_context():
        db.engine.dispose()
