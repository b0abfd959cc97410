"""The JSON API, driven as a client drives it: HTTP Basic for a token, then Bearer."""
import json
import logging
import re
from contextlib import contextmanager
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from openapi_core.exceptions import OpenAPIError

from tests.conftest import API, Api, AuthActions, basic, bearer, issue, token_for
from tracker.api.models import ApiToken, hash_token
from tracker.audit.models import AuditAction, AuditRecord
from tracker.auth.models import User
from tracker.auth.services import deactivate_user
from tracker.campaigns.models import RosterEntry, RosterSource
from tracker.campaigns.services import create_campaign
from tracker.imports.models import DeclarationCount
from tracker.enterprises.identifiers import uscc_check_character
from tracker.enterprises.models import Enterprise, EnterpriseContact, TradeMode
from tracker.enterprises.reference import CreditRegime
from tracker.enterprises.services import record_credit_rating
from tracker.extensions import db
from tracker.types import utcnow

ITEM_KEYS = {"id", "name", "name_en", "uscc", "customs_code", "office", "district", "address", "industry",
             "economic_type", "is_key", "credit_level", "trade_modes", "assigned_officer", "archived"}
DETAIL_KEYS = ITEM_KEYS | {"contacts", "credit_history", "declarations"}


@pytest.fixture
def as_user(client, cast):
    return lambda username: Api(client, username)


def stored_token(token: str) -> ApiToken:
    db.session.rollback()
    return db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(token)))


def uscc(n: int) -> str:
    first17 = f"91210800AP{n:07d}"
    return first17 + uscc_check_character(first17)


def valid_input(office: str = "0930", n: int = 1, **extra) -> dict:
    return {"name": f"营口测试进出口有限公司{n}", "uscc": uscc(n), "customs_code": f"21099600{n:02d}",
            "office": office, **extra}


def ids(response) -> set[int]:
    return {item["id"] for item in response.get_json()["items"]}


def assert_json_error(response, status: int):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.get_json()
    assert body["status"] == status and body["error"]
    return body


# Tokens ------------------------------------------------------------------------
def test_a_token_is_issued_for_basic_credentials_and_only_its_hash_is_kept(client, cast):
    response = issue(client, "officer")
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    token = body["token"]
    assert len(token) >= 40
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert body["expires_at"].endswith("Z")
    assert abs(expires - (utcnow() + timedelta(hours=24))) < timedelta(minutes=1)

    record = stored_token(token)
    assert record.user_id == cast.officer.id and record.revoked_at is None
    assert record.token_hash != token
    stored = db.session.execute(sa.select(ApiToken.__table__)).all()
    assert all(token not in str(value) for row in stored for value in row)

    me = client.get(f"{API}/me", headers=bearer(token))
    assert me.status_code == 200
    assert me.get_json()["username"] == "officer" and me.get_json()["office"] == "0930"


def test_issuing_a_token_is_audited_without_the_hash_and_counts_as_a_sign_in(client, cast):
    issue(client, "officer")
    db.session.rollback()
    record = db.session.scalar(sa.select(AuditRecord).where(AuditRecord.entity_type == "api_tokens"))
    assert record.action is AuditAction.INSERT
    assert record.actor_name == "officer"
    assert record.changes["token_hash"] == [None, "[redacted]"]
    assert db.session.get(User, cast.officer.id).last_login_at is not None


@pytest.mark.parametrize(
    "headers",
    [basic("officer", "wrong password!"), basic("nobody"), {}, {"Authorization": "Bearer not-a-token"},
     {"Authorization": "Basic !!!"}],
    ids=["wrong-password", "unknown-user", "no-credentials", "bearer-instead", "garbled"],
)
def test_wrong_or_missing_credentials_get_401_with_a_basic_challenge(client, cast, headers):
    response = client.post(f"{API}/tokens", headers=headers)
    assert_json_error(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Basic realm="tracker"'
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_the_eleventh_failure_for_a_user_within_a_minute_gets_429(client, cast):
    for _ in range(10):
        assert issue(client, "officer", "wrong password!").status_code == 401
    response = issue(client, "officer", "wrong password!")
    assert_json_error(response, 429)
    assert "Retry-After" in response.headers
    assert issue(client, "officer").status_code == 429  # the right password waits too
    assert issue(client, "manager").status_code == 201  # another user is not locked out


def test_successful_token_requests_do_not_count_against_the_limit(client, cast):
    for _ in range(12):
        assert issue(client, "officer").status_code == 201


def test_token_requests_are_throttled_per_client_address(client, cast):
    for n in range(30):
        assert issue(client, f"nobody{n}", "wrong password!").status_code == 401
    assert_json_error(issue(client, "someone-else", "wrong password!"), 429)


def test_a_revoked_token_is_refused_and_other_tokens_live_on(client, cast, as_user):
    first, second = as_user("officer"), as_user("officer")
    assert first.delete("/tokens/current").status_code == 204
    assert stored_token(first.token).revoked_at is not None
    response = first.get("/me")
    assert_json_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert first.delete("/tokens/current").status_code == 401
    assert second.get("/me").status_code == 200


def test_an_expired_token_is_refused(client, cast, as_user, caplog):
    api = as_user("officer")
    assert api.get("/me").status_code == 200
    stored_token(api.token).expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    caplog.set_level(logging.INFO, logger="tracker.security")
    assert_json_error(api.get("/me"), 401)
    assert any("api token refused" in r.getMessage() and "reason=expired" in r.getMessage() for r in caplog.records)


def test_a_deactivated_users_tokens_stop_working(client, cast, as_user):
    api = as_user("officer")
    deactivate_user(db.session.get(User, cast.officer.id))
    db.session.commit()
    assert_json_error(api.get("/me"), 401)
    assert_json_error(issue(client, "officer"), 401)


def test_revoking_all_of_a_users_tokens_leaves_other_users_alone(client, cast, as_user):
    from tracker.api.auth import revoke_all_tokens

    mine, also_mine, theirs = as_user("officer"), as_user("officer"), as_user("manager")
    assert revoke_all_tokens(db.session.get(User, cast.officer.id)) == 2
    db.session.commit()
    assert_json_error(mine.get("/me"), 401)
    assert_json_error(also_mine.get("/me"), 401)
    assert theirs.get("/me").status_code == 200


def test_last_use_is_recorded_at_most_once_a_minute(client, cast, as_user):
    api = as_user("officer")
    assert stored_token(api.token).last_used_at is None
    api.get("/me")
    first_use = stored_token(api.token).last_used_at
    assert first_use is not None
    api.get("/enterprises")
    assert stored_token(api.token).last_used_at == first_use
    stored_token(api.token).last_used_at = first_use - timedelta(minutes=2)
    db.session.commit()
    api.get("/me")
    assert stored_token(api.token).last_used_at >= first_use


def test_a_session_cookie_alone_gets_401_on_the_api(client, cast):
    auth = AuthActions(client)
    assert auth.login("officer").status_code == 302
    assert client.get("/").status_code == 200  # signed in on the web
    assert_json_error(client.get(f"{API}/me"), 401)
    csrf = auth.csrf("/account/password")
    response = client.post(f"{API}/enterprises", json=valid_input(), headers={"X-CSRFToken": csrf})
    assert_json_error(response, 401)
    assert db.session.scalar(sa.select(sa.func.count(Enterprise.id))) == 2  # the cast's firms only


def test_bearer_posts_need_no_csrf_token_and_set_no_cookie(client, cast, as_user):
    response = as_user("officer").post("/enterprises", json=valid_input())
    assert response.status_code == 201
    assert "Set-Cookie" not in response.headers


def test_a_bearer_token_beats_a_session_cookie_of_someone_else(client, cast):
    assert AuthActions(client).login("admin").status_code == 302
    token = token_for(client, "yalisi")
    assert client.get(f"{API}/me", headers=bearer(token)).get_json()["username"] == "yalisi"


# Listing -------------------------------------------------------------------------
@pytest.fixture
def trade_modes(app):
    """0110 and 0214, from the reference list the migrations load (made here if it is absent)."""
    modes = []
    for code, name in (("0110", "一般贸易"), ("0214", "来料加工")):
        mode = db.session.scalar(sa.select(TradeMode).where(TradeMode.code == code))
        if mode is None:
            mode = TradeMode(code=code, name=name)
            db.session.add(mode)
        modes.append(mode)
    db.session.flush()
    return modes


@pytest.fixture
def firms(cast, factory, trade_modes):
    """Three firms of 营口, one of 鲅鱼圈, and an archived one of 营口."""
    org = cast.org
    result = {
        "yalisi": factory.enterprise(org.yingkou, "营口雅丽丝服装有限公司", customs_code="2109960101",
                                     name_en="Yingkou Yalisi Garments Co., Ltd.", district="站前区",
                                     assigned_officer=cast.officer, is_key=True, trade_modes=trade_modes),
        "haitong": factory.enterprise(org.yingkou, "营口海通化工有限公司", customs_code="2109930202"),
        "jinshan": factory.enterprise(org.yingkou, "营口金山食品有限公司"),
        "longxin": factory.enterprise(org.bayuquan, "营口隆鑫果品有限公司", customs_code="2109940303"),
        "archived": factory.enterprise(org.yingkou, "营口旧日贸易有限公司", archived_at=utcnow()),
    }
    db.session.commit()
    return result


def test_a_listed_firm_has_every_field(cast, firms, as_user):
    response = as_user("officer").get("/enterprises", q="雅丽丝")
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 1 and body["page"] == 1 and body["pages"] == 1
    (item,) = body["items"]
    assert set(item) == ITEM_KEYS
    firm = firms["yalisi"]
    assert item == {
        "id": firm.id, "name": "营口雅丽丝服装有限公司", "name_en": "Yingkou Yalisi Garments Co., Ltd.",
        "uscc": firm.uscc, "customs_code": "2109960101", "office": "0930", "district": "站前区", "address": None,
        "industry": None, "economic_type": None, "is_key": True, "credit_level": None,
        "trade_modes": ["0110", "0214"], "assigned_officer": "officer", "archived": False,
    }


@pytest.mark.parametrize(
    "query,expected",
    [("雅丽丝", {"yalisi"}), ("ylsf", {"yalisi"}), ("YLSF", {"yalisi"}), ("yalisi", {"yalisi"}),
     ("有限公司", {"yalisi", "haitong", "jinshan", "cast"}), ("2109960101", {"yalisi"}), ("21099302", {"haitong"}),
     ("yalisi garments", {"yalisi"}), ("隆鑫", set()), ("", {"yalisi", "haitong", "jinshan", "cast"}),
     ("%", set()), ("_", set())],
)
def test_q_searches_as_the_firm_list_does(cast, firms, as_user, query, expected):
    response = as_user("officer").get("/enterprises", q=query)  # 隆鑫 is 鲅鱼圈's, not his
    known = {**firms, "cast": cast.contact.enterprise}  # the cast's 营口 firm, 测试企业N有限公司
    assert ids(response) == {known[key].id for key in expected}


def test_q_finds_a_firm_by_its_uscc_whole_or_in_part(cast, firms, as_user):
    api = as_user("manager")
    code = firms["jinshan"].uscc
    assert ids(api.get("/enterprises", q=code)) == {firms["jinshan"].id}
    assert ids(api.get("/enterprises", q=code.lower())) == {firms["jinshan"].id}
    assert ids(api.get("/enterprises", q=code[-8:])) == {firms["jinshan"].id}


def test_archived_firms_are_left_out_unless_asked_for(cast, firms, as_user):
    api = as_user("officer")
    assert firms["archived"].id not in ids(api.get("/enterprises"))
    listed = api.get("/enterprises", archived=1).get_json()["items"]
    assert {i["id"]: i["archived"] for i in listed}[firms["archived"].id] is True
    assert_json_error(api.get("/enterprises", archived="maybe"), 400)


def test_staff_see_their_subtree_and_admins_everything(cast, firms, as_user):
    everyone = {f.id for f in firms.values() if not f.archived} | {cast.contact.enterprise_id,
                                                                    cast.contact_byq.enterprise_id}
    assert ids(as_user("admin").get("/enterprises")) == everyone
    assert ids(as_user("manager-dl").get("/enterprises")) == everyone
    byq = ids(as_user("bayuquan-officer").get("/enterprises"))
    assert byq == {firms["longxin"].id, cast.contact_byq.enterprise_id}
    assert as_user("bayuquan-officer").get(f"/enterprises/{firms['yalisi'].id}").status_code == 404


def test_a_contact_lists_only_his_own_firm(cast, firms, as_user):
    assert ids(as_user("yalisi").get("/enterprises")) == {cast.contact.enterprise_id}
    assert ids(as_user("yalisi").get("/enterprises", q="雅丽丝")) == set()


@pytest.fixture
def campaign(cast, firms):
    campaign = create_campaign(name="2019 百企大调研", office=cast.org.yingkou, year=2019)
    for key in ("yalisi", "haitong"):
        db.session.add(RosterEntry(campaign=campaign, enterprise=firms[key], declarations=120,
                                   source=RosterSource.SCREENING))
    db.session.commit()
    return campaign


def test_campaign_filters_to_the_roster(cast, firms, campaign, as_user):
    api = as_user("officer")
    assert ids(api.get("/enterprises", campaign=campaign.id)) == {firms["yalisi"].id, firms["haitong"].id}
    assert ids(api.get("/enterprises", campaign=campaign.id, q="ylsf")) == {firms["yalisi"].id}
    # 大连's manager sees the campaign of an office below his.
    assert ids(as_user("manager-dl").get("/enterprises", campaign=campaign.id)) == {firms["yalisi"].id,
                                                                                     firms["haitong"].id}


def test_a_campaign_the_caller_cannot_see_is_404(cast, firms, campaign, as_user):
    assert_json_error(as_user("bayuquan-officer").get("/enterprises", campaign=campaign.id), 404)
    assert_json_error(as_user("yalisi").get("/enterprises", campaign=campaign.id), 404)
    assert_json_error(as_user("officer").get("/enterprises", campaign=campaign.id + 1000), 404)
    # As on the campaign pages, a campaign of the office above is not his either.
    above = create_campaign(name="大连海关 2019", office=cast.org.dalian, year=2019)
    db.session.commit()
    assert_json_error(as_user("officer").get("/enterprises", campaign=above.id), 404)
    assert as_user("manager-dl").get("/enterprises", campaign=above.id).status_code == 200
    assert_json_error(as_user("officer").get("/enterprises", campaign="abc"), 400)


def test_paging_covers_every_firm_once(cast, factory, as_user):
    made = {factory.enterprise(cast.org.yingkou).id for _ in range(7)} | {cast.contact.enterprise_id}
    db.session.commit()
    api = as_user("officer")
    seen = []
    for page in (1, 2, 3):
        body = api.get("/enterprises", page=page, per_page=3).get_json()
        assert (body["page"], body["per_page"], body["pages"], body["total"]) == (page, 3, 3, 8)
        seen += [item["id"] for item in body["items"]]
    assert len(seen) == 8 and set(seen) == made
    past_the_end = api.get("/enterprises", page=4, per_page=3).get_json()
    assert past_the_end["items"] == [] and past_the_end["total"] == 8
    assert api.get("/enterprises").get_json()["per_page"] == 50


@pytest.mark.parametrize(
    "params",
    [{"page": "0"}, {"page": "-1"}, {"page": "abc"}, {"page": "1.5"}, {"page": "99999999999999999999"},
     {"page": "²"}, {"per_page": "0"}, {"per_page": "101"}, {"per_page": "x"}, {"campaign": "0"},
     {"campaign": "99999999999999999999"}],
)
def test_invalid_paging_values_get_400_with_a_message(cast, as_user, params):
    response = as_user("officer").get("/enterprises", **params)
    assert_json_error(response, 400)
    assert next(iter(params)) in response.get_json()["error"]


@contextmanager
def counting_statements():
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def test_a_page_costs_the_same_number_of_queries_whatever_its_size(cast, factory, trade_modes, as_user):
    for n in range(50):
        factory.enterprise(cast.org.yingkou if n % 2 else cast.org.bayuquan, trade_modes=trade_modes[: n % 3],
                           assigned_officer=cast.officer if n % 2 else cast.officer_byq)
    db.session.commit()
    api = as_user("manager-dl")
    api.get("/me")  # the first use records last_used_at; keep that write out of the count

    with counting_statements() as small:
        five = api.get("/enterprises", per_page=5)
    with counting_statements() as large:
        fifty = api.get("/enterprises", per_page=50)
    assert len(five.get_json()["items"]) == 5 and len(fifty.get_json()["items"]) == 50
    assert len(small) == len(large), (small, large)
    assert all(item["trade_modes"] is not None and item["office"] for item in fifty.get_json()["items"])


# Detail --------------------------------------------------------------------------
def test_detail_has_contacts_credit_history_and_declarations(cast, firms, as_user):
    firm = firms["yalisi"]
    db.session.add(EnterpriseContact(enterprise=firm, name="王经理", title="关务经理", phone="0417-1234567"))
    record_credit_rating(firm, regime=CreditRegime.DECREE_237, level="general_credit", valid_from=date(2019, 3, 1))
    record_credit_rating(firm, regime=CreditRegime.DECREE_251, level="advanced_certified",
                         valid_from=date(2022, 6, 1))
    db.session.add_all([DeclarationCount(enterprise_id=firm.id, year=2018, declarations=75),
                        DeclarationCount(enterprise_id=firm.id, year=2019, declarations=132)])
    firm.notes = "重点帮扶"
    db.session.commit()

    body = as_user("officer").get(f"/enterprises/{firm.id}").get_json()
    assert DETAIL_KEYS <= set(body)
    assert body["credit_level"] == "advanced_certified"
    assert body["contacts"] == [{"id": firm.contacts[0].id, "name": "王经理", "title": "关务经理",
                                 "phone": "0417-1234567", "email": None}]
    assert body["credit_history"] == [
        {"regime": "decree_251", "level": "advanced_certified", "valid_from": "2022-06-01", "valid_to": None},
        {"regime": "decree_237", "level": "general_credit", "valid_from": "2019-03-01", "valid_to": "2022-05-31"},
    ]
    assert body["declarations"] == {"2018": 75, "2019": 132}
    assert body["notes"] == "重点帮扶"


def test_a_contact_gets_his_own_firm_and_404_for_any_other(cast, firms, as_user, caplog):
    api = as_user("yalisi")
    own = api.get(f"/enterprises/{cast.contact.enterprise_id}")
    assert own.status_code == 200
    assert set(own.get_json()) == DETAIL_KEYS - {"assigned_officer"}  # no office notes nor officer for a contact

    caplog.set_level(logging.INFO, logger="tracker.security")
    other = api.get(f"/enterprises/{firms['yalisi'].id}")
    missing = api.get("/enterprises/999999")
    assert_json_error(other, 404)
    assert other.get_json() == missing.get_json()  # another firm looks exactly like no firm
    assert any("access denied" in r.getMessage() and "user=yalisi" in r.getMessage() for r in caplog.records)


def test_a_contact_is_not_told_which_officer_holds_his_firm(cast, firms, as_user, documented):
    """As on the firm's page: the officer's username is for staff (issue 9, found by the fuzzer's brief)."""
    own = cast.contact.enterprise
    own.assigned_officer = cast.officer
    own.notes = "内部备注"
    db.session.commit()
    contact, officer = as_user("yalisi"), as_user("officer")
    for answer in (contact.get(f"/enterprises/{own.id}").get_json(), contact.get("/enterprises").get_json()["items"][0]):
        assert answer["id"] == own.id
        assert "assigned_officer" not in answer and "notes" not in answer
        assert "officer" not in json.dumps(answer)
    assert officer.get(f"/enterprises/{own.id}").get_json()["assigned_officer"] == "officer"
    listed = {item["id"]: item for item in officer.get("/enterprises").get_json()["items"]}
    assert listed[own.id]["assigned_officer"] == "officer"
    assert listed[firms["haitong"].id]["assigned_officer"] is None  # staff get null when nobody holds it
    properties = documented.document["components"]["schemas"]["EnterpriseItem"]
    assert "assigned_officer" not in properties["required"]
    assert properties["properties"]["assigned_officer"]["nullable"] is True


def test_an_archived_firm_can_still_be_read(cast, firms, as_user):
    body = as_user("officer").get(f"/enterprises/{firms['archived'].id}").get_json()
    assert body["archived"] is True


@pytest.mark.parametrize("path", ["/enterprises/99999999999999999999", "/enterprises/abc", "/nothing"])
def test_unknown_addresses_are_json_404(cast, as_user, path):
    assert_json_error(as_user("officer").get(path), 404)


# Creating ------------------------------------------------------------------------
def test_an_officer_registers_a_firm(cast, trade_modes, as_user):
    api = as_user("officer")
    data = valid_input(uscc=uscc(1).lower(), name_en="Yingkou Test Import & Export", district="鲅鱼圈区",
                       address="营口市鲅鱼圈区平安大街1号", industry="化工", economic_type="6", is_key=True,
                       notes="新登记", trade_modes=["0214", "0110"], assigned_officer="officer")
    response = api.post("/enterprises", json=data)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"] == f"{API}/enterprises/{body['id']}"
    assert body["uscc"] == uscc(1) and body["office"] == "0930" and body["trade_modes"] == ["0110", "0214"]
    assert body["assigned_officer"] == "officer" and body["is_key"] is True and body["economic_type"] == "6"
    assert body["contacts"] == [] and body["credit_history"] == [] and body["declarations"] == {}
    assert api.get(f"/enterprises/{body['id']}").get_json() == body
    assert body["id"] in ids(api.get("/enterprises", q="营口测试"))

    db.session.rollback()
    firm = db.session.get(Enterprise, body["id"])
    assert firm.name_initials.startswith("ykcsjckyxgs")
    audit = db.session.scalar(sa.select(AuditRecord).where(AuditRecord.entity_type == "enterprises",
                                                            AuditRecord.entity_id == str(firm.id)))
    assert audit.actor_name == "officer"


@pytest.mark.parametrize("username,office", [("manager", "0930"), ("manager-dl", "0931"), ("admin", "0000")])
def test_managers_register_in_their_subtree_and_admins_anywhere(cast, as_user, username, office):
    assert as_user(username).post("/enterprises", json=valid_input(office)).status_code == 201


def test_a_contact_may_not_register_firms(cast, as_user):
    assert_json_error(as_user("yalisi").post("/enterprises", json=valid_input()), 403)


def bad_check_character() -> tuple[str, str]:
    good = uscc(1)
    wrong = next(ch for ch in "0123456789" if ch != good[-1])
    return good[:-1] + wrong, good[-1]


@pytest.mark.parametrize(
    "change,field",
    [
        ({"uscc": "BAD"}, "uscc"),
        ({"name": None}, "name"),
        ({"name": "   "}, "name"),
        ({"office": "0931"}, "office"),  # 鲅鱼圈 is not below 营口
        ({"office": "0900"}, "office"),  # nor is 大连 above it
        ({"office": "9999"}, "office"),
        ({"office": None}, "office"),
        ({"customs_code": "12345"}, "customs_code"),
        ({"customs_code": 2109960101}, "customs_code"),
        ({"economic_type": "0"}, "economic_type"),
        ({"trade_modes": ["9999"]}, "trade_modes"),
        ({"trade_modes": "0110"}, "trade_modes"),
        ({"trade_modes": 110}, "trade_modes"),
        ({"is_key": "yes"}, "is_key"),
        ({"assigned_officer": "nobody"}, "assigned_officer"),
        ({"assigned_officer": "bayuquan-officer"}, "assigned_officer"),
        ({"name_en": 5}, "name_en"),
        ({"address": "街" * 301}, "address"),
        ({"notes": ["a list"]}, "notes"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_fields_get_422_naming_the_field(cast, trade_modes, as_user, change, field):
    response = as_user("officer").post("/enterprises", json={**valid_input(), **change})
    body = assert_json_error(response, 422)
    assert list(body["fields"]) == [field], body
    assert all(isinstance(m, str) and m for m in body["fields"][field])
    assert db.session.scalar(sa.select(sa.func.count(Enterprise.id))) == 2  # the cast's firms only


def test_a_wrong_check_character_names_the_expected_one(app, cast, as_user):
    from tracker.enterprises.identifiers import IdentifierError
    from tracker.enterprises.services import identifier_message

    code, expected = bad_check_character()
    body = assert_json_error(as_user("officer").post("/enterprises", json=valid_input(uscc=code)), 422)
    (message,) = body["fields"]["uscc"]
    with app.test_request_context():  # the same language as the request: the default
        assert identifier_message(IdentifierError("check", expected)) in message
        assert identifier_message(IdentifierError("check", "?")) not in message
    assert expected in message
    # With a reason the code is accepted as printed (early pilot codes).
    accepted = as_user("officer").post("/enterprises", json=valid_input(uscc=code, uscc_override_reason="证照如此"))
    assert accepted.status_code == 201 and accepted.get_json()["uscc"] == code


def test_a_duplicate_uscc_or_customs_code_is_422(cast, as_user):
    api = as_user("officer")
    assert api.post("/enterprises", json=valid_input()).status_code == 201
    again = valid_input(n=2, uscc=uscc(1), customs_code="2109960001")
    body = assert_json_error(api.post("/enterprises", json=again), 422)
    assert set(body["fields"]) == {"uscc", "customs_code"}
    assert "营口测试进出口有限公司1" in body["fields"]["uscc"][0]


def test_a_duplicate_registered_between_check_and_insert_is_422_not_500(cast, as_user, monkeypatch):
    from tracker.api import routes
    from tracker.enterprises import services

    api = as_user("officer")
    checked_before = services.validate(valid_input(n=2, uscc=uscc(1)), office=cast.org.yingkou)
    db.session.rollback()
    assert api.post("/enterprises", json=valid_input()).status_code == 201
    calls = []
    validate = services.validate

    def validate_as_if_racing(raw, *, office, current=None, user=None):
        calls.append(raw)
        return checked_before if len(calls) == 1 else validate(raw, office=office, current=current, user=user)

    monkeypatch.setattr(routes.enterprises, "validate", validate_as_if_racing)
    body = assert_json_error(api.post("/enterprises", json=valid_input(n=2, uscc=uscc(1))), 422)
    assert len(calls) == 2 and set(body["fields"]) == {"uscc"}


def test_every_problem_is_listed_at_once(cast, as_user):
    response = as_user("officer").post("/enterprises", json={"uscc": "X", "office": "0931", "extra": 1})
    assert set(assert_json_error(response, 422)["fields"]) == {"name", "uscc", "office", "extra"}


@pytest.mark.parametrize(
    "kwargs,status",
    [({"data": "{not json", "content_type": "application/json"}, 400),
     ({"data": "[1, 2]", "content_type": "application/json"}, 400),
     ({"data": "null", "content_type": "application/json"}, 400),
     ({"data": "", "content_type": "application/json"}, 400),
     ({"data": {"name": "x"}}, 415)],
    ids=["malformed", "array", "null", "empty", "form"],
)
def test_a_body_that_is_not_a_json_object_is_refused(cast, as_user, kwargs, status):
    assert_json_error(as_user("officer").post("/enterprises", **kwargs), status)


# The document --------------------------------------------------------------------
def openapi_path(rule: str) -> str:
    path = rule.removeprefix(API)
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", path)


def test_the_openapi_document_describes_every_endpoint(app, client):
    response = client.get(f"{API}/openapi.json")  # public: no token
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.0")
    assert {"bearerAuth", "basicAuth"} <= set(document["components"]["securitySchemes"])
    routes = [r for r in app.url_map.iter_rules() if r.rule.startswith(API + "/")]
    assert len(routes) >= 7
    for rule in routes:
        path = openapi_path(rule.rule)
        assert path in document["paths"], f"{rule.rule} is missing from the OpenAPI document"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = document["paths"][path].get(method.lower())
            assert operation, f"{method} {rule.rule} is missing from the OpenAPI document"
            assert operation["responses"]
    documented = {(p, m) for p, ops in document["paths"].items() for m in ops if m != "parameters"}
    served = {(openapi_path(r.rule), m.lower()) for r in routes for m in r.methods - {"HEAD", "OPTIONS"}}
    assert documented == served  # nothing documented that does not exist


def test_every_reference_in_the_document_resolves(client):
    document = client.get(f"{API}/openapi.json").get_json()

    def refs(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    found = list(refs(document))
    assert found
    for ref in found:
        target = document
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
    assert set(document["paths"]["/tokens"]["post"]["security"][0]) == {"basicAuth"}
    assert document["paths"]["/openapi.json"]["get"]["security"] == []


def test_tokens_end_with_a_password_reset_and_survive_no_reactivation(client, cast, runner):
    token = token_for(client, "officer")
    assert client.get(f"{API}/me", headers=bearer(token)).status_code == 200
    assert runner.invoke(args=["users", "set-password", "officer", "--password", "a brand new passphrase"]).exit_code == 0
    assert client.get(f"{API}/me", headers=bearer(token)).status_code == 401

    token = token_for(client, "manager")
    assert runner.invoke(args=["users", "deactivate", "manager"]).exit_code == 0
    db.session.rollback()
    from tracker.auth.services import reactivate_user

    reactivate_user(db.session.get(User, cast.manager.id))
    db.session.commit()
    assert client.get(f"{API}/me", headers=bearer(token)).status_code == 401


def test_over_long_text_fields_are_refused_not_truncated(client, cast):
    token = token_for(client, "officer")
    body = {"name": "营口长地址有限公司", "uscc": "91310110666007217T", "office": "0930", "address": "路" * 301}
    response = client.post(f"{API}/enterprises", json=body, headers=bearer(token))
    assert response.status_code == 422
    assert "address" in response.get_json()["fields"]


# The document is checked against what the API answers -------------------------------
def test_the_response_check_catches_an_answer_that_breaks_the_document(cast, as_user, documented):
    response = as_user("officer").get("/me")
    documented.check(response)  # as served: fine

    body = response.get_json()
    del body["username"]
    response.set_data(json.dumps(body))
    with pytest.raises(OpenAPIError):
        documented.check(response)

    response.set_data(json.dumps({**body, "username": "officer", "id": "7"}))
    with pytest.raises(OpenAPIError):
        documented.check(response)

    response.set_data(json.dumps({**body, "username": "officer"}))
    documented.check(response)
    response.status_code = 418  # no such answer is documented for /me
    with pytest.raises(OpenAPIError):
        documented.check(response)


def test_the_document_states_the_limits_of_the_database_and_the_form(app, client):
    from tracker.enterprises.forms import EnterpriseForm
    from tracker.offices.models import Office

    document = client.get(f"{API}/openapi.json").get_json()
    schema = document["components"]["schemas"]["EnterpriseInput"]
    assert set(schema["required"]) == {"name", "uscc", "office"}
    assert schema["additionalProperties"] is False
    properties = schema["properties"]
    columns = Enterprise.__table__.columns
    for name in ("name", "name_en", "district", "address", "industry"):
        assert properties[name]["maxLength"] == columns[name].type.length, name
    assert properties["office"]["maxLength"] == Office.__table__.columns["code"].type.length
    assert properties["notes"]["maxLength"] == 5000
    for name in ("name", "name_en", "uscc", "uscc_override_reason", "customs_code", "district", "address",
                 "industry", "notes"):
        (limit,) = [v.max for v in getattr(EnterpriseForm, name).kwargs["validators"] if hasattr(v, "max")]
        assert properties[name]["maxLength"] == limit, name
    assert properties["economic_type"]["enum"][:-1] == [str(n) for n in range(1, 10)]
    assert properties["is_key"]["type"] == "boolean"
    need = document["components"]["schemas"]["NeedItem"]["properties"]
    assert need["raised_on"]["format"] == "date" and need["resolved_at"]["format"] == "date-time"
    assert need["status"]["enum"] == ["pending", "in_progress", "resolved", "closed", "unresolvable"]


def test_a_request_at_the_documents_limits_is_accepted(cast, trade_modes, as_user):
    """Every length the document allows, and null wherever it says nullable, is taken."""
    api = as_user("officer")
    longest = valid_input(name="营" * 200, name_en="Y" * 300, district="区" * 100, address="路" * 300,
                          industry="业" * 100, notes="记" * 5000, economic_type="9", is_key=False,
                          trade_modes=["0110"], assigned_officer="officer")
    response = api.post("/enterprises", json=longest)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["address"] == "路" * 300
    nulls = valid_input(n=2, name_en=None, uscc_override_reason=None, customs_code=None, district=None,
                        address=None, industry=None, economic_type=None, notes=None, trade_modes=None,
                        assigned_officer=None)
    response = api.post("/enterprises", json=nulls)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["customs_code"] is None and response.get_json()["trade_modes"] == []


@pytest.mark.parametrize("field,limit", [("name", 200), ("name_en", 300), ("district", 100), ("industry", 100),
                                         ("notes", 5000), ("uscc", 40), ("office", 10)])
def test_one_character_past_a_documented_limit_is_422_naming_the_field(cast, as_user, field, limit):
    body = assert_json_error(as_user("officer").post("/enterprises", json=valid_input(**{field: "8" * (limit + 1)})),
                             422)
    assert list(body["fields"]) == [field]
    assert str(limit) in body["fields"][field][0]


# Errors ----------------------------------------------------------------------------
def test_a_401_without_a_token_challenges_plainly(client, cast):
    response = client.get(f"{API}/me")
    assert_json_error(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("spoil", ["unknown", "revoked", "expired", "deactivated"])
def test_a_401_for_a_presented_token_says_invalid_token(client, cast, as_user, spoil):
    api = as_user("officer")
    record = stored_token(api.token)
    if spoil == "unknown":
        api.headers = bearer("not-a-token-we-issued")
    elif spoil == "revoked":
        record.revoked_at = utcnow()
    elif spoil == "expired":
        record.expires_at = utcnow() - timedelta(seconds=1)
    else:
        deactivate_user(db.session.get(User, cast.officer.id))
    db.session.commit()
    for response in (api.get("/me"), api.delete("/tokens/current"), api.post("/enterprises", json=valid_input())):
        assert_json_error(response, 401)
        assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def speaks_english(username: str) -> None:
    db.session.scalar(sa.select(User).where(User.username == username)).locale = "en"
    db.session.commit()


def test_api_errors_have_their_own_text_not_the_pages(app, client, cast, as_user):
    from tracker.errors import messages

    api = as_user("officer")
    missing = api.get("/enterprises/999999").get_json()["error"]
    assert missing == api.get("/nothing").get_json()["error"]
    forbidden = as_user("yalisi").post("/enterprises", json=valid_input()).get_json()["error"]
    unauthorized = client.get(f"{API}/me").get_json()["error"]
    with app.test_request_context():
        page_texts = {text for pair in messages().values() for text in pair}
    assert {missing, forbidden, unauthorized}.isdisjoint(page_texts)
    assert "Bearer" in unauthorized
    speaks_english("officer")
    assert api.get("/enterprises/999999").get_json()["error"] == (
        "There is no such resource in the API, or it is not yours to see.")


def test_validation_messages_follow_the_callers_language(client, cast):
    token = token_for(client, "officer")
    body = {"uscc": uscc(1), "office": "0930", "name": "营" * 201, "colour": "red", "is_key": "yes"}
    for lang, expected in (("zh", "最多200个字符。"), ("en", "At most 200 characters.")):
        if lang == "en":
            speaks_english("officer")
        response = client.post(f"{API}/enterprises", json=body, headers=bearer(token))
        fields = assert_json_error(response, 422)["fields"]
        assert set(fields) == {"name", "colour", "is_key"}
        assert fields["name"] == [expected], fields
        assert all(message.isascii() == (lang == "en") for messages in fields.values() for message in messages)
    response = client.get(f"{API}/enterprises", query_string={"per_page": "101"}, headers=bearer(token))
    assert assert_json_error(response, 400)["fields"] == {"per_page": ["per_page must be a whole number from 1 to 100."]}


# One failure count for the web form and the API ------------------------------------
def test_failures_at_the_form_and_the_api_count_together_per_username(client, cast):
    auth = AuthActions(client)
    for n in range(10):  # five at each door
        if n % 2:
            assert issue(client, "officer", "wrong password!").status_code == 401
        else:
            assert auth.login("officer", "wrong password!").status_code == 200
    assert_json_error(issue(client, "officer"), 429)  # the right password waits too
    assert auth.login("officer").status_code == 429
    assert issue(client, "manager").status_code == 201  # another user is not locked out


def test_a_username_is_counted_the_same_whatever_its_case_at_either_door(client, cast):
    auth = AuthActions(client)
    for n in range(10):
        name = "OFFICER" if n % 2 else " officer "
        if n < 5:
            assert issue(client, name, "wrong password!").status_code == 401
        else:
            assert auth.login(name, "wrong password!").status_code == 200
    assert auth.login("officer", "wrong password!").status_code == 429


def test_failures_at_both_doors_count_together_per_address(client, cast):
    auth = AuthActions(client)
    for n in range(30):
        if n % 2:
            assert issue(client, f"nobody{n}", "wrong password!").status_code == 401
        else:
            assert auth.login(f"nobody{n}", "wrong password!").status_code == 200
    assert_json_error(issue(client, "someone-else", "wrong password!"), 429)
    assert auth.login("someone-else-again", "wrong password!").status_code == 429


def test_successes_at_either_door_do_not_count(client, cast):
    auth = AuthActions(client)
    for _ in range(6):
        assert issue(client, "officer").status_code == 201
        assert auth.login("officer").status_code == 302
        assert auth.logout().status_code == 302
    assert issue(client, "officer").status_code == 201


def test_me_gives_staff_their_post_and_contacts_none(cast, as_user, documented):
    """The post (职务) is data on the user: staff read theirs in /me; a firm's contact is not given the field."""
    cast.manager_dl.title = "处长"
    cast.contact.title = "单证员"
    db.session.commit()
    assert as_user("manager-dl").get("/me").get_json()["post"] == "处长"
    assert as_user("officer").get("/me").get_json()["post"] is None
    assert "post" not in as_user("yalisi").get("/me").get_json()
    properties = documented.document["components"]["schemas"]["Me"]
    assert "post" not in properties.get("required", []) and properties["properties"]["post"]["nullable"] is True
