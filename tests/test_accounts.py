"""Firms' contact accounts: an officer's invitation (a link valid 72 hours, used once), the contact's own
sign-up, the e-mailed password reset (throttled, the same answer for any address) and deactivation by
customs, which ends the contact's sessions at once."""
import re
import threading
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from tests.conftest import PASSWORD
from tests.test_concurrency import CSRF, fresh
from tracker.accounts import services as accounts
from tracker.accounts.models import AccountToken, LinkState, TokenPurpose
from tracker.auth.models import Role, User
from tracker.extensions import db
from tracker.mail.models import OutboxMessage
from tracker.types import utcnow

NEW_PASSWORD = "a quiet harbour at dawn"
LINK = re.compile(r'id="invitation-url" value="([^"]+)"')


def invite(auth, firm, **data):
    form = {"display_name": "赵敏", "title": "单证员", "email": "", **data}
    return auth.post(f"/accounts/enterprises/{firm.id}/invite", form, form_page=f"/enterprises/{firm.id}")


def invitation_path(client, response) -> str:
    """The link the officer is shown, as a path on this site."""
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    url = LINK.search(page).group(1)
    return url[url.index("/accounts/join/"):]


def join(client, path, username="zhaomin", password=NEW_PASSWORD, confirm=None, name="赵敏"):
    page = client.get(path)
    token = CSRF.search(page.get_data(as_text=True)).group(1)
    return client.post(path, data={"csrf_token": token, "username": username, "display_name": name,
                                   "new_password": password, "confirm": confirm or password})


@pytest.fixture
def firm(cast):
    return cast.contact.enterprise


def test_an_officer_invites_a_contact_who_opens_his_own_account(app, client, auth, cast, firm):
    auth.login("officer")
    response = invite(auth, firm, email="zhao.min@yalisi.example.cn")
    path = invitation_path(client, response)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已发送至 zhao.min@yalisi.example.cn" in page
    mail = db.session.scalars(sa.select(OutboxMessage)).all()
    assert [m.recipients for m in mail] == [["zhao.min@yalisi.example.cn"]]
    assert path in mail[0].body_text and firm.name in mail[0].subject
    auth.logout()

    form = client.get(path)
    assert form.status_code == 200 and firm.name in form.get_data(as_text=True)
    response = join(client, path)
    assert response.status_code == 302 and response.headers["Location"] == "/portal/"
    home = client.get("/portal/").get_data(as_text=True)
    assert firm.name in home  # signed in as the new contact, on his firm's page
    fresh()
    user = db.session.scalar(sa.select(User).where(User.username == "zhaomin"))
    assert (user.role, user.enterprise_id, user.office_id, user.title, user.email) == (
        Role.ENTERPRISE_CONTACT, firm.id, firm.office_id, "单证员", "zhao.min@yalisi.example.cn")
    link = db.session.scalar(sa.select(AccountToken))
    assert link.state() is LinkState.USED and link.user_id == user.id


def test_a_firm_may_have_several_contacts_and_the_profile_lists_them(client, auth, cast, firm):
    auth.login("officer")
    first = invitation_path(client, invite(auth, firm, display_name="赵敏"))
    second = invitation_path(client, invite(auth, firm, display_name="钱进"))
    assert first != second
    auth.logout()
    assert join(client, first, username="zhaomin").status_code == 302
    auth.logout()
    assert join(client, second, username="qianjin", name="钱进").status_code == 302
    auth.logout()
    auth.login("officer")
    card = client.get(f"/enterprises/{firm.id}").get_data(as_text=True)
    assert 'data-username="zhaomin"' in card and 'data-username="qianjin"' in card
    assert 'data-username="yalisi"' in card  # the cast's own contact of the firm


def test_the_link_works_once(client, auth, cast, firm):
    auth.login("officer")
    path = invitation_path(client, invite(auth, firm))
    auth.logout()
    assert join(client, path).status_code == 302
    auth.logout()
    second = client.get(path)
    assert second.status_code == 410
    assert "此链接已使用过" in second.get_data(as_text=True)
    # Posting to it anyway (a form kept open in another tab) makes nothing either.
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    again = client.post(path, data={"csrf_token": token, "username": "other", "display_name": "x",
                                    "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert again.status_code == 410
    fresh()
    assert db.session.scalar(sa.select(User).where(User.username == "other")) is None


def test_the_link_expires_after_72_hours(app, client, cast, firm):
    old = accounts.invite_contact(firm, display_name="孙悦", by=cast.officer, now=utcnow() - timedelta(hours=72, minutes=1))
    recent = accounts.invite_contact(firm, display_name="李雷", by=cast.officer, now=utcnow() - timedelta(hours=71))
    db.session.commit()
    expired = client.get(f"/accounts/join/{old.token}")
    assert expired.status_code == 410 and "此链接已过期" in expired.get_data(as_text=True)
    assert client.get(f"/accounts/join/{recent.token}").status_code == 200


@pytest.mark.parametrize("token", ["1", "abc.def", "1." + "0" * 64, "999999." + "a" * 64, "１." + "0" * 64])
def test_a_malformed_or_forged_link_is_not_valid(client, cast, firm, token):
    link = accounts.invite_contact(firm, display_name="孙悦", by=cast.officer)
    db.session.commit()
    forged = token.replace("1.", f"{link.id}.", 1) if token.startswith("1.") else token
    response = client.get(f"/accounts/join/{forged}")
    assert response.status_code == 404
    assert "此链接无效" in response.get_data(as_text=True)


def test_a_reset_link_does_not_open_an_invitation(client, cast):
    cast.contact.email = "yalisi@example.cn"
    accounts.request_password_reset("yalisi@example.cn")
    reset = db.session.scalar(sa.select(AccountToken).where(AccountToken.purpose == TokenPurpose.PASSWORD_RESET))
    db.session.commit()
    assert client.get(f"/accounts/join/{reset.token}").status_code == 404


def test_withdrawn_and_renewed_links(client, auth, cast, firm):
    auth.login("officer")
    response = invite(auth, firm)
    invitation_page = response.headers["Location"]
    first = invitation_path(client, response)
    link_id = int(invitation_page.rstrip("/").rsplit("/", 1)[1])
    assert auth.post(f"/accounts/invitations/{link_id}/revoke", form_page=invitation_page).status_code == 302
    assert "已撤回" in client.get(invitation_page).get_data(as_text=True)
    assert client.get(first).status_code == 410
    assert auth.post(f"/accounts/invitations/{link_id}/renew", form_page=invitation_page).status_code == 302
    renewed_page = client.get(invitation_page).get_data(as_text=True)
    renewed = LINK.search(renewed_page).group(1)
    renewed = renewed[renewed.index("/accounts/join/"):]
    assert renewed != first
    auth.logout()
    assert client.get(first).status_code == 404  # the old link's proof no longer matches anything
    assert join(client, renewed).status_code == 302


def test_wrong_input_keeps_the_link_for_another_try(client, auth, cast, firm):
    auth.login("officer")
    path = invitation_path(client, invite(auth, firm))
    auth.logout()
    taken = join(client, path, username="Officer")  # the cast's officer, in other letters
    assert taken.status_code == 400 and "该用户名已被占用" in taken.get_data(as_text=True)
    weak = join(client, path, password="12345678")
    assert weak.status_code == 400
    mismatch = join(client, path, confirm="something else entirely")
    assert mismatch.status_code == 400 and "两次输入的密码不一致" in mismatch.get_data(as_text=True)
    fresh()
    assert db.session.scalar(sa.select(AccountToken)).state() is LinkState.PENDING
    assert join(client, path).status_code == 302


def test_a_signed_in_user_is_asked_to_sign_out_first(client, auth, cast, firm):
    link = accounts.invite_contact(firm, display_name="孙悦", by=cast.officer)
    db.session.commit()
    auth.login("yalisi")
    response = client.get(f"/accounts/join/{link.token}")
    assert response.status_code == 409 and 'id="signed-in-already"' in response.get_data(as_text=True)


def test_thirty_people_with_one_link_open_one_account(app, server, cast, firm):
    link = accounts.invite_contact(firm, display_name="孙悦", by=cast.officer)
    db.session.commit()
    path = f"{server}/accounts/join/{link.token}"
    n = 30
    sessions = [requests.Session() for _ in range(n)]
    tokens = [CSRF.search(s.get(path).text).group(1) for s in sessions]
    barrier = threading.Barrier(n)
    statuses = [0] * n

    def one(k):
        barrier.wait()
        statuses[k] = sessions[k].post(path, allow_redirects=False, timeout=120, data={
            "csrf_token": tokens[k], "username": f"sunyue{k}", "display_name": "孙悦",
            "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code

    threads = [threading.Thread(target=one, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [302] + [410] * (n - 1)
    fresh()
    made = db.session.scalars(sa.select(User.username).where(User.username.like("sunyue%"))).all()
    assert len(made) == 1


def test_who_may_invite(client, auth, cast, firm):
    auth.login("bayuquan-officer")  # another office's officer: the firm is outside his scope
    assert invite(auth, cast.contact_byq.enterprise).status_code == 302  # his own office's firm: fine
    response = auth.post(f"/accounts/enterprises/{firm.id}/invite", {"display_name": "赵敏"},
                         form_page="/account/password")
    assert response.status_code == 404
    auth.logout()
    auth.login("yalisi")
    response = auth.post(f"/accounts/enterprises/{firm.id}/invite", {"display_name": "赵敏"})
    assert response.status_code == 403
    fresh()
    assert db.session.scalar(sa.select(sa.func.count(AccountToken.id)).where(AccountToken.enterprise_id == firm.id)) == 0


def test_another_offices_officer_cannot_read_the_invitation(client, auth, cast, firm):
    link = accounts.invite_contact(firm, display_name="孙悦", by=cast.officer)
    db.session.commit()
    auth.login("bayuquan-officer")
    assert client.get(f"/accounts/invitations/{link.id}").status_code == 404
    assert auth.post(f"/accounts/invitations/{link.id}/renew").status_code == 404
    auth.logout()
    auth.login("officer")
    page = client.get(f"/accounts/invitations/{link.id}").get_data(as_text=True)
    assert link.token in page


def test_an_invitation_without_a_name_is_refused_and_says_so(client, auth, cast, firm):
    auth.login("officer")
    response = invite(auth, firm, display_name="", email="not an address")
    assert response.status_code == 302
    profile = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "邀请未创建" in profile
    fresh()
    assert db.session.scalar(sa.select(sa.func.count(AccountToken.id))) == 0


# Deactivation ----------------------------------------------------------------------------------------
def test_deactivation_ends_the_contacts_sessions_at_once(app, client, auth, cast, firm):
    contact_client = app.test_client()
    from tests.conftest import AuthActions

    contact_auth = AuthActions(contact_client)
    assert contact_auth.login("yalisi").status_code == 302
    assert contact_client.get("/portal/").status_code == 200
    from tracker.api.auth import issue_token

    with app.test_request_context():
        token, _record = issue_token(cast.contact)
    db.session.commit()

    auth.login("officer")
    response = auth.post(f"/accounts/contacts/{cast.contact.id}/deactivate", form_page=f"/enterprises/{firm.id}")
    assert response.status_code == 302
    assert contact_client.get("/portal/").status_code == 302  # signed out: to the sign-in page
    assert contact_auth.login("yalisi").status_code == 200  # and cannot sign in again
    assert contact_client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert "已停用" in client.get(f"/enterprises/{firm.id}").get_data(as_text=True)

    assert auth.post(f"/accounts/contacts/{cast.contact.id}/activate",
                     form_page=f"/enterprises/{firm.id}").status_code == 302
    assert contact_auth.login("yalisi").status_code == 302


def test_officers_switch_off_only_their_firms_contacts(client, auth, cast):
    auth.login("bayuquan-officer")
    assert auth.post(f"/accounts/contacts/{cast.contact.id}/deactivate").status_code == 404  # another office
    assert auth.post(f"/accounts/contacts/{cast.officer.id}/deactivate").status_code == 404  # staff: admin's job
    fresh()
    assert db.session.get(User, cast.contact.id).active and db.session.get(User, cast.officer.id).active


def test_deactivating_twice_says_so(client, auth, cast, firm):
    auth.login("officer")
    auth.post(f"/accounts/contacts/{cast.contact.id}/deactivate")
    response = auth.post(f"/accounts/contacts/{cast.contact.id}/deactivate", follow_redirects=True)
    assert "已停用" in response.get_data(as_text=True)


# Password reset --------------------------------------------------------------------------------------
def ask_reset(client, email):
    token = CSRF.search(client.get("/accounts/forgot").get_data(as_text=True)).group(1)
    return client.post("/accounts/forgot", data={"csrf_token": token, "email": email})


def reset_links() -> list[str]:
    fresh()
    bodies = [m.body_text for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))]
    return [re.search(r"(/accounts/reset/\S+)", body).group(1) for body in bodies]


def test_a_contact_resets_a_forgotten_password_by_email(app, client, auth, cast):
    cast.contact.email = "YaLiSi@example.cn"
    db.session.commit()
    other_device = app.test_client()
    from tests.conftest import AuthActions

    assert AuthActions(other_device).login("yalisi").status_code == 302
    response = ask_reset(client, "yalisi@example.CN")
    assert response.status_code == 302
    assert "重设密码的链接" in client.get("/login").get_data(as_text=True)
    [path] = reset_links()
    form = client.get(path)
    assert form.status_code == 200 and "yalisi" in form.get_data(as_text=True)
    token = CSRF.search(form.get_data(as_text=True)).group(1)
    done = client.post(path, data={"csrf_token": token, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].startswith("/login")
    assert other_device.get("/portal/").status_code == 302  # the other device was signed out
    assert auth.login("yalisi", PASSWORD).status_code == 200
    assert auth.login("yalisi", NEW_PASSWORD).status_code == 302
    auth.logout()
    assert client.get(path).status_code == 410  # once


def test_the_answer_is_the_same_whether_or_not_the_address_exists(client, cast):
    cast.contact.email = "yalisi@example.cn"
    cast.officer.email = "officer@customs.example.cn"
    db.session.commit()
    answers = []
    for email in ("yalisi@example.cn", "nobody@example.cn", "officer@customs.example.cn"):
        response = ask_reset(client, email)
        answers.append((response.status_code, response.headers["Location"],
                        client.get("/login").get_data(as_text=True).count("重设密码的链接")))
    assert len(set(answers)) == 1
    assert len(reset_links()) == 1  # only the contact's; staff ask their administrator


def test_a_reset_link_expires_and_a_newer_reset_voids_the_others(client, cast):
    cast.contact.email = "yalisi@example.cn"
    accounts.request_password_reset("yalisi@example.cn", now=utcnow() - timedelta(minutes=61))
    accounts.request_password_reset("yalisi@example.cn")
    accounts.request_password_reset("yalisi@example.cn")
    db.session.commit()
    old, second, third = reset_links()
    assert client.get(old).status_code == 410
    token = CSRF.search(client.get(third).get_data(as_text=True)).group(1)
    assert client.post(third, data={"csrf_token": token, "new_password": NEW_PASSWORD,
                                    "confirm": NEW_PASSWORD}).status_code == 302
    assert client.get(second).status_code == 410  # the other link out for the account stopped working


def test_a_weak_new_password_is_refused_and_the_link_kept(client, cast):
    cast.contact.email = "yalisi@example.cn"
    accounts.request_password_reset("yalisi@example.cn")
    db.session.commit()
    [path] = reset_links()
    token = CSRF.search(client.get(path).get_data(as_text=True)).group(1)
    response = client.post(path, data={"csrf_token": token, "new_password": "yalisi123", "confirm": "yalisi123"})
    assert response.status_code == 400
    assert client.get(path).status_code == 200


def test_a_deactivated_contact_cannot_reset(client, cast):
    cast.contact.email = "yalisi@example.cn"
    accounts.request_password_reset("yalisi@example.cn")
    cast.contact.active = False
    db.session.commit()
    [path] = reset_links()
    assert client.get(path).status_code == 410
    assert accounts.request_password_reset("yalisi@example.cn") == 0


def test_asking_for_resets_is_throttled_per_address(client, cast):
    for _ in range(3):
        assert ask_reset(client, "yalisi@example.cn").status_code == 302
    response = ask_reset(client, "yalisi@example.cn")
    assert response.status_code == 429
    assert "尝试次数过多" in response.get_data(as_text=True)
    assert ask_reset(client, "another@example.cn").status_code == 302  # another address is another count


def test_a_bad_email_is_a_translated_error(client, cast):
    response = ask_reset(client, "not an address")
    assert response.status_code == 400 and "邮箱" in response.get_data(as_text=True)


def test_purge_deletes_spent_links_only(cast, firm):
    spent = accounts.invite_contact(firm, display_name="孙悦", by=cast.officer, now=utcnow() - timedelta(days=40))
    live = accounts.invite_contact(firm, display_name="李雷", by=cast.officer)
    db.session.flush()
    assert accounts.purge_spent_links(timedelta(days=30)) == 1
    assert db.session.get(AccountToken, live.id) is not None and db.session.get(AccountToken, spent.id) is None
