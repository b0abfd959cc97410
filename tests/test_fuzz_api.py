"""Schemathesis against the API's own OpenAPI document, as an officer and as a firm's contact (issue 9).

Every operation the document lists is fuzzed, so a new route is fuzzed the day it is documented, with
cases Hypothesis draws from the document: valid ones and, through schemathesis's negative mode, invalid
ones. Some are aimed at real rows: path parameters and ``?campaign=`` take ids of records inside and
outside the caller's scope, ``q`` searches for other firms, and body fields named as the registry's
(office, uscc, customs_code, assigned_officer, trade_modes) take real values. Every answer must

* not be a 5xx;
* match the document: a documented status, its content type, its body schema, its headers;
* hold no other firm's data: no name, USCC, customs code, contact or need of a firm outside the caller's
  scope (unless the request itself carried it), and for a contact no staff-only field, no internal note
  and no staff member's username.

The data is built in the test (``app`` is function-scoped); requests go straight to the WSGI app, each in
a context of its own as ``tests/conftest.py``'s IsolatedClient sends them.
"""
import contextvars
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
import schemathesis
import sqlalchemy as sa
from flask import url_for
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import API, PASSWORD, basic, bearer, token_for
from tracker.api.auth import issue_token
from tracker.api.schemas import ApiSchema
from tracker.appointments import services as counter
from tracker.appointments.models import CertificateType, Slot
from tracker.auth.models import Role
from tracker.campaigns.models import RosterEntry, RosterSource
from tracker.demo import make_uscc
from tracker.enterprises.models import Enterprise, EnterpriseContact, TradeMode
from tracker.enterprises.reference import CreditRegime
from tracker.enterprises.services import record_credit_rating
from tracker.extensions import db
from tracker.imports.models import DeclarationCount
from tracker.needs import services as needs
from tracker.types import utcnow

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
# Examples per operation and generation mode (Hypothesis stops sooner when it has tried every case): with
# two actors and nine operations about 3,000 requests, some 40 s on SQLite and on PostgreSQL each.
EXAMPLES = {GenerationMode.POSITIVE: 150, GenerationMode.NEGATIVE: 50}
SETTINGS = dict(derandomize=True, database=None, deadline=None, print_blob=False,
                phases=[Phase.explicit, Phase.generate, Phase.shrink],
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.filter_too_much, HealthCheck.data_too_large])


def _subclasses(cls: type) -> list[type]:
    return [cls, *(sub for direct in cls.__subclasses__() for sub in _subclasses(direct))]


# What no contact may receive: every key some API schema leaves out for contacts.
STAFF_ONLY = frozenset(key for cls in _subclasses(ApiSchema) for key in cls.staff_only)


# The data: firms in and out of each actor's scope, with needs, contacts, campaigns -------------------
@dataclass
class World:
    firms: list[Enterprise]
    needs: dict[int, list[int]]  # firm id -> need ids
    campaigns: dict[str, int]  # office code -> campaign id
    staff_secrets: list[str]  # what only staff may read: office notes, internal notes
    staff_usernames: list[str]  # the holders' first: names a contact must never read
    fresh_usccs: list[str] = field(default_factory=list)
    appointments: dict[int, list[int]] = field(default_factory=dict)  # firm id -> appointment ids
    slots: list[int] = field(default_factory=list)  # bookable slot ids of 营口's counter (one full), 鲅鱼圈's
    days: list[str] = field(default_factory=list)  # dates with slots, and one beyond the booking window


def build_world(cast, factory) -> World:
    org = cast.org
    # Officers holding the firms, with usernames no other text contains (the cast's are also role names).
    holder = factory.user(Role.OFFICER, org.yingkou, username="wangwu-yk")
    holder_byq = factory.user(Role.OFFICER, org.bayuquan, username="zhaoliu-byq")
    modes = list(db.session.scalars(sa.select(TradeMode).where(TradeMode.code.in_(["0110", "0214"]))))
    own = cast.contact.enterprise  # yalisi's firm, under 营口 (0930): the officer's office
    own.name, own.customs_code, own.notes = "营口雅丽丝服装有限公司", "2109960101", "内部备注：重点帮扶对象甲"
    own.assigned_officer, own.trade_modes = holder, modes
    other_contact_firm = cast.contact_byq.enterprise  # longxin's firm, under 鲅鱼圈 (0931)
    other_contact_firm.name, other_contact_firm.customs_code = "外关保密企业甲有限公司", "2109940303"
    other_contact_firm.assigned_officer = holder_byq
    firms = [
        own,
        factory.enterprise(org.yingkou, "营口同关邻居企业有限公司", customs_code="2109930202", is_key=True,
                           assigned_officer=holder, notes="内部备注：邻居企业乙"),
        factory.enterprise(org.yingkou, "营口旧日贸易有限公司", archived_at=utcnow()),
        other_contact_firm,
        factory.enterprise(org.bayuquan, "外关保密企业乙有限公司", customs_code="2109940404",
                           assigned_officer=holder_byq, trade_modes=modes),
        factory.enterprise(org.dalian, "外关保密企业丙有限公司"),  # the office above 营口's
        factory.enterprise(org.bayuquan, "外关保密企业丁有限公司", archived_at=utcnow()),
    ]
    need_ids: dict[int, list[int]] = {}
    for n, firm in enumerate(firms):
        db.session.add(EnterpriseContact(enterprise=firm, name=contact_name(firm), phone=f"0417-55500{n:02d}"))
        db.session.add(DeclarationCount(enterprise_id=firm.id, year=2019, declarations=10 + n))
        record_credit_rating(firm, regime=CreditRegime.DECREE_251, level="general_credit", valid_from=date(2022, 6, 1))
        officer = holder if firm.office is org.yingkou else holder_byq
        need = factory.need(firm, officer=officer, content=f"{firm.name}的需求：原产地证办理慢")
        needs.add_internal_note(need, f"内部备注：{firm.name}不得告知企业")
        needs.accept(need)
        needs.add_progress(need, f"{firm.name}的进展：已联系科室")
        other = factory.need(firm, officer=officer, content=f"{firm.name}的第二项需求：查验等待时间长")
        need_ids[firm.id] = [need.id, other.id]
    campaigns = {}
    for office, members in ((org.yingkou, firms[:2]), (org.bayuquan, firms[3:5])):
        campaign = factory.campaign(office, name=f"{office.code} 2019 百企大调研")
        for firm in members:
            db.session.add(RosterEntry(campaign=campaign, enterprise=firm, declarations=120,
                                       source=RosterSource.SCREENING))
        campaigns[office.code] = campaign.id
    db.session.commit()
    appointments, slots, days = build_counter(cast, firms)
    secrets = [f.notes for f in firms if f.notes] + [f"内部备注：{f.name}不得告知企业" for f in firms]
    staff = [holder, holder_byq, cast.admin, cast.manager, cast.manager_dl, cast.officer, cast.officer_byq]
    return World(firms=firms, needs=need_ids, campaigns=campaigns, staff_secrets=secrets,
                 staff_usernames=[u.username for u in staff],
                 fresh_usccs=[make_uscc("91", "210800", f"MF{n:07d}") for n in range(1, 11)],
                 appointments=appointments, slots=slots, days=days)


def build_counter(cast, firms: list[Enterprise]) -> tuple[dict[int, list[int]], list[int], list[str]]:
    """Counters at 营口 and 鲅鱼圈 on the real clock, each firm booked at its own office's (so an officer's
    counter holds only his subtree's firms), one 营口 slot full."""
    org = cast.org
    points = {office.id: counter.create_service_point(office, name=f"{office.name}原产地证窗口", capacity=1)
              for office in (org.yingkou, org.bayuquan)}
    db.session.flush()
    certificate = db.session.scalar(sa.select(CertificateType).where(CertificateType.code == "FORM_E"))
    appointments: dict[int, list[int]] = {}
    slots: list[int] = []
    days: list[str] = []
    booker = {org.yingkou.id: cast.officer, org.bayuquan.id: cast.officer_byq}
    for office_id, point in points.items():
        free = [s for s in db.session.scalars(sa.select(Slot).where(Slot.service_point_id == point.id)
                                              .order_by(Slot.starts_at)) if s.starts_at > utcnow() + point.min_notice]
        members = [f for f in firms if f.office_id == office_id and f.archived_at is None]
        for firm, slot in zip(members, free):
            made = counter.book(slot, firm, by=booker[office_id], certificate_type=certificate,
                                destination_country="ID", quantity=1, sailing_date=slot.day + timedelta(days=5))
            appointments.setdefault(firm.id, []).append(made.id)
        slots += [s.id for s in free[:len(members) + 4]]
        days += sorted({s.day.isoformat() for s in free[:30]})
    days.append((date.today() + timedelta(days=200)).isoformat())
    db.session.commit()
    return appointments, slots, days


def contact_name(firm: Enterprise) -> str:
    return f"{firm.name.removesuffix('有限公司')}联系人"


def firm_data(firm: Enterprise) -> list[str]:
    """What names a firm: another firm's caller must never read any of it."""
    texts = [firm.name, firm.uscc, contact_name(firm), f"{firm.name}的需求", f"{firm.name}的第二项需求"]
    return texts + ([firm.customs_code] if firm.customs_code else [])


@dataclass
class Actor:
    username: str
    visible: dict[str, set[int]]  # parameter name -> the ids of it the actor may see
    forbidden: list[str]  # substrings no answer may hold (unless the request did)
    staff_only: frozenset[str]  # keys no 2xx answer may hold


def actor_for(username: str, cast, world: World) -> Actor:
    if username == cast.contact.username:
        visible = {cast.contact.enterprise_id}
        staff_only, extra = STAFF_ONLY, world.staff_secrets + world.staff_usernames[:2]
    else:  # the officer: his office's subtree (营口 has no office below it)
        visible = {f.id for f in world.firms if f.office_id == cast.officer.office_id}
        staff_only, extra = frozenset(), []
    hidden = [f for f in world.firms if f.id not in visible]
    forbidden = [text for firm in hidden for text in firm_data(firm)] + extra
    offices = {f.office.code for f in world.firms if f.id in visible} if username != cast.contact.username else set()
    ids = {"enterprise_id": visible, "need_id": {n for f in visible for n in world.needs[f]},
           "appointment_id": {a for f in visible for a in world.appointments.get(f, [])},
           "campaign": {i for code, i in world.campaigns.items() if code in offices},
           "campaign_id": {i for code, i in world.campaigns.items() if code in offices}}
    if not ids["campaign_id"]:  # a contact sees no campaign: its ids are drawn like any other
        del ids["campaign_id"]
    return Actor(username, ids, forbidden, staff_only)


# Pools of real values, by parameter or body field name --------------------------------------------
def pools(world: World) -> tuple[dict[str, list], dict[str, list]]:
    firm_ids = [f.id for f in world.firms]
    need_ids = [n for ids in world.needs.values() for n in ids]
    appointment_ids = [a for ids in world.appointments.values() for a in ids]
    every_id = sorted({*firm_ids, *need_ids, *world.campaigns.values(), *appointment_ids})
    params = {
        "enterprise_id": firm_ids + [max(firm_ids) + 1],
        "need_id": need_ids + [max(need_ids) + 1],
        "campaign": [*world.campaigns.values(), max(world.campaigns.values()) + 1],
        "campaign_id": [*world.campaigns.values(), max(world.campaigns.values()) + 1],
        "appointment_id": appointment_ids + [max(appointment_ids) + 1],
        "office": ["0930", "0931", "0900", "0000"],
        "date": world.days,
        "q": ["外关保密", "外关保密企业甲", "雅丽丝", "ylsf", "wgbm", "有限公司", world.firms[3].uscc[-8:],
              world.firms[4].customs_code, ""],
        "": every_id,  # any other *_id parameter a new route brings
    }
    # Biased to what the officer may register, so that some bodies pass every check (201).
    body = {
        "name": ["营口新登记进出口有限公司", "Yingkou New Trading Co., Ltd."],
        "office": ["0930", "0930", "0931", "0900", "0000"],
        "uscc": [*world.fresh_usccs, *(f.uscc for f in world.firms)],
        "customs_code": [None, "2109960909", *(f.customs_code for f in world.firms if f.customs_code)],
        "assigned_officer": [None, *world.staff_usernames],
        "trade_modes": [None, [], ["0110"], ["0110", "0214"]],
        "uscc_override_reason": [None],
        "economic_type": [None, "1", "9"],
        # A booking's (POST /appointments).
        "slot_id": world.slots + [max(world.slots) + 1],
        "enterprise_id": [None, *firm_ids],
        "certificate_type": ["FORM_E", "CO", "RCEP", "form_e"],
        "destination_country": ["ID", "VN", "JP"],
        "quantity": [1, 3, 99],
        "sailing_date": world.days,
    }
    return params, body


def fresh_token(app, username: str) -> str:
    """A token issued directly (the fuzzed POST /tokens may have locked this address out by then)."""
    from tracker.auth.models import User

    with app.test_request_context():
        token, _ = issue_token(db.session.scalar(sa.select(User).where(User.username == username)))
        db.session.commit()
    return token


def isolated(call, *args, **kwargs):
    """Run a request as a server would, outside the test's app context and session (see IsolatedClient)."""
    db.session.commit()
    try:
        return contextvars.Context().run(call, *args, **kwargs)
    finally:
        db.session.commit()


def load_schema(app):
    """The document as the app serves it at api.openapi, every operation in it (GET /openapi.json too:
    from_wsgi would leave out the operation that served the document)."""
    with app.test_request_context():
        path = url_for("api.openapi")
    document = isolated(lambda: app.test_client().get(path)).get_json()
    schema = schemathesis.openapi.from_dict(document)
    schema.app = app
    return schema


def keys(node):
    if isinstance(node, dict):
        yield from node
        for value in node.values():
            yield from keys(value)
    elif isinstance(node, list):
        for value in node:
            yield from keys(value)


def check_no_other_firm(actor: Actor, case, response) -> None:
    sent = json.dumps([case.path_parameters, case.query, case.body if isinstance(case.body, (dict, list, str))
                       else None], ensure_ascii=False, default=str)
    try:
        body = json.loads(response.content)
    except ValueError:
        body, text = None, response.content.decode("utf-8", "replace")
    else:
        text = json.dumps(body, ensure_ascii=False)
    leaked = [s for s in actor.forbidden if s in text and s not in sent]
    assert not leaked, f"{case.method} {case.formatted_path} {case.query} gave {actor.username} {leaked}: {text[:2000]}"
    if body is None:
        return
    describes_the_api = isinstance(body, dict) and "openapi" in body  # the document names every field
    if 200 <= response.status_code < 300 and not describes_the_api:
        hidden = set(keys(body)) & actor.staff_only
        assert not hidden, f"{case.method} {case.formatted_path} gave {actor.username} staff-only {hidden}: {text[:2000]}"


# What the document's JSON_BODY_REFUSED answer says no JSON string may hold (tracker.security).
REFUSED_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def check_refused_characters(case, response) -> None:
    """A JSON body with a string holding a control character is refused with a 400 before anything else, as
    documented, on SQLite too (which would store what PostgreSQL refuses with a 500)."""
    if case.media_type == "application/json" and isinstance(case.body, (dict, list)):
        if any(REFUSED_CHARACTER.search(s) for s in strings(case.body)):
            assert response.status_code == 400, (
                f"{case.method} {case.formatted_path} took {case.body!r}: {response.status_code}")


def strings(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)
    elif isinstance(node, str):
        yield node


def has_input(operation) -> bool:
    """Whether the operation takes anything a client sends besides its credentials."""
    return bool(operation.body) or any(p.name != "Authorization" for p in operation.iter_parameters())


def body_properties(operation, document: dict) -> set[str]:
    """The fields an operation's JSON body may have, as the document lists them."""
    raw = operation.definition.raw
    schema = (raw.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return set(schema.get("properties", {}))


def security_of(operation, document: dict) -> set[str]:
    raw = operation.definition.raw
    return {name for requirement in raw.get("security", document.get("security", [])) for name in requirement}


def fuzz_as(app, cast, factory, username: str) -> dict[str, Counter]:
    world = build_world(cast, factory)
    actor = actor_for(username, cast, world)
    param_pools, body_pools = pools(world)
    token = token_for(app.test_client(), username)  # the conftest client is not needed: schemathesis checks
    schema = load_schema(app)
    document = schema.raw_schema
    seen: dict[str, Counter] = defaultdict(Counter)
    real_ids: dict[str, set[bool]] = defaultdict(set)

    for result in schema.get_all_operations():
        operation = result.ok()  # an operation schemathesis cannot read fails the test here
        schemes = security_of(operation, document)
        for mode, examples in EXAMPLES.items():
            strategy = operation.as_strategy(generation_mode=mode)

            @settings(max_examples=examples, **SETTINGS)
            @given(case=strategy, data=st.data())
            def one_request(case, data):
                # Hypothesis leans to the first of a sampled_from: the first choice is the one most wanted.
                for name in list(case.path_parameters):
                    pool = param_pools.get(name, param_pools[""])
                    if name in actor.visible:  # an id the actor may see, one he may not, or the generated one
                        choice = data.draw(st.sampled_from(["mine", "other", "generated"]), label=f"{name} kind")
                        if choice != "generated":
                            pool = [i for i in pool if (i in actor.visible[name]) == (choice == "mine")]
                            real_ids[operation.label].add(choice == "mine")
                    elif not data.draw(st.sampled_from([True, True, False]), label=f"real {name}"):
                        continue
                    case.path_parameters[name] = data.draw(st.sampled_from(pool), label=name)
                if isinstance(case.query, dict):
                    for name in [n for n in param_pools if n and not n.endswith("_id")]:
                        if name in {p.name for p in operation.iter_parameters()} and data.draw(
                                st.sampled_from([True, False]), label=f"real {name}"):
                            case.query[name] = data.draw(st.sampled_from(param_pools[name]), label=name)
                if isinstance(case.body, dict):
                    for name, pool in body_pools.items():
                        # An optional field the case left out is sometimes added (a booking's enterprise_id).
                        optional = (mode is GenerationMode.POSITIVE and name not in case.body
                                    and name in body_properties(operation, document))
                        if (name in case.body or optional) and data.draw(st.sampled_from([True, True, False]),
                                                                         label=f"real {name}"):
                            case.body[name] = data.draw(st.sampled_from(pool), label=name)
                who = data.draw(st.sampled_from(["actor"] * 8 + ["nobody", "stranger"]), label="credentials")
                headers = {}
                if "basicAuth" in schemes:
                    headers = {"actor": basic(username), "stranger": basic(username, PASSWORD + "!"),
                               "nobody": {}}[who]
                elif schemes or who == "actor":
                    # A revoking method gets a token of its own, so the actor's stays valid.
                    mine = fresh_token(app, username) if case.method.upper() == "DELETE" else token
                    headers = {"actor": bearer(mine), "stranger": bearer("not-a-token-we-issued"),
                               "nobody": {}}[who]
                case.headers.pop("Authorization", None)
                response = isolated(case.call, headers=headers)
                seen[operation.label][response.status_code] += 1
                case.validate_response(response, checks=CHECKS, headers=headers)
                check_refused_characters(case, response)
                check_no_other_firm(actor, case, response)

            try:
                one_request()
            except Unsatisfiable:
                # Nothing in the operation can be made invalid (GET /me takes no parameter, no body).
                if mode is GenerationMode.NEGATIVE and not has_input(operation):
                    continue
                raise

    # Every documented operation was driven, with answers worth having.
    documented = {f"{method.upper()} {path}" for path, item in document["paths"].items()
                  for method in item if method in ("get", "post", "put", "patch", "delete")}
    assert set(seen) == documented
    for label, statuses in seen.items():
        if label.startswith("GET ") and may_use(app, username, label):
            assert any(200 <= s < 300 for s in statuses), (label, statuses)
        elif label.startswith("GET "):  # refused to the role: never an answer with data
            assert set(statuses) <= {400, 401, 403, 404}, (label, statuses)
    for label, kinds in real_ids.items():
        assert kinds == {True, False}, f"{label}: ids in and out of {username}'s scope were not both tried"
    return seen


def may_use(app, username: str, label: str) -> bool:
    """Whether the actor's role may use the operation (its endpoint's @allow rule)."""
    from tracker.auth.models import User
    from tracker.permissions import can_use

    method, path = label.split(" ", 1)
    endpoint, _ = app.url_map.bind("localhost").match(API + re.sub(r"\{\w+\}", "1", path), method=method)
    with app.test_request_context():
        return can_use(endpoint, db.session.scalar(sa.select(User).where(User.username == username)))


@pytest.mark.parametrize("username", ["officer", "manager", "yalisi"])
def test_every_operation_answers_as_documented_and_only_with_the_callers_firms(app, cast, factory, username):
    seen = fuzz_as(app, cast, factory, username)
    print(username, {label: dict(statuses) for label, statuses in sorted(seen.items())})
