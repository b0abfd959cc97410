"""Fixtures: an app per configuration (reused, reset after each test) on a database migrated once per session, clients, a sign-in helper, factories
and query_count. Test modules take what they share from here, never from each other.

The suite runs on SQLite by default and on PostgreSQL when TRACKER_TEST_DATABASE_URL is set.
"""
import contextvars
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, time

import base64

import pytest
import sqlalchemy as sa
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_schema_validator import OAS30Validator
from werkzeug.test import EnvironBuilder

from flask import has_app_context
from flask.testing import FlaskClient

from tracker import create_app
from tracker.appointments.models import CertificateType, Slot
from tracker.auth.models import Role, User
from tracker.demo import make_uscc
from tracker.database import write_lock_outside_requests
from tracker.enterprises.models import Enterprise
from tracker.extensions import db, limiter
from tracker.forms import new_submission_key
from tracker.i18n import LOCAL_TZ
from tracker.needs.models import NeedCategory
from tracker.offices.models import Department, Office

PASSWORD = "correct horse battery"
# Cheap hashing keeps the suite fast; test_auth pins the production default separately.
FAST_HASH = "scrypt:1024:8:1"
# A small declarations file (three 0930 firms) that the import tests upload.
IMPORT_ROWS = "统一社会信用代码,企业名称,年度,报关单票数\n" + "".join(
    f"{make_uscc('91', '210802', f'MJ{n:07d}')},任务测试企业{n}有限公司,2019,{n}\n" for n in range(1, 4))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TRACKER_TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "tracker-test.sqlite3")


@pytest.fixture(scope="session")
def instance_path(tmp_path_factory):
    return str(tmp_path_factory.mktemp("instance"))


def make_config(database_url: str, **extra) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": database_url,
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "RATELIMIT_STORAGE_URI": os.environ.get("TRACKER_TEST_RATELIMIT_STORAGE_URI", "memory://"),
        # Tasks run at once, each in its own app context and session as in a consumer; tests/test_jobs.py
        # runs a real consumer process.
        "HUEY_IMMEDIATE": True,
        "MAIL_BACKEND": "memory",
        # Every figure counted live; tests/test_reports_cache.py turns the cache on.
        "REPORT_CACHE_MIN_MS": None,
    }
    config.update(extra)
    return config


@pytest.fixture(scope="session")
def migrated_database(database_url, instance_path):
    """Build the schema once per session through the migrations themselves."""
    from flask_migrate import upgrade

    os.environ["TRACKER_INSTANCE_PATH"] = instance_path
    app = create_app(make_config(database_url))
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade()
        db.engine.dispose()
    return database_url


# Reference data that the migrations load; tests read it and leave it in place.
REFERENCE_TABLES = {"trade_modes", "policy_topics", "need_categories", "certificate_types"}


def _empty_all_tables() -> None:
    tables = [t for t in db.metadata.sorted_tables if t.name not in REFERENCE_TABLES]
    if db.engine.dialect.name == "postgresql":
        # TRUNCATE of every table took 0.15 s, a third of a typical test. Row deletes with the foreign-key
        # triggers off for this transaction (session_replication_role, a superuser's setting, as the test
        # database's owner is) take 10 ms; the identities start again at 1 as after TRUNCATE ... RESTART.
        superuser = db.session.scalar(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
        if not superuser:
            names = ", ".join(t.name for t in tables)
            db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
            for table in tables:
                db.session.execute(table.delete())
            serial = [t.name for t in tables if "id" in t.c and t.c.id.autoincrement is not False
                      and t.c.id.primary_key]
            db.session.execute(sa.text("SELECT setval(pg_get_serial_sequence(name, 'id'), 1, false) FROM "
                                       "unnest(CAST(:names AS text[])) AS name"), {"names": serial})
    else:
        # Offices refer to offices: check foreign keys at commit, not per row.
        db.session.execute(sa.text("PRAGMA defer_foreign_keys = ON"))
        for table in reversed(tables):
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app_config(request):
    """Configuration overrides: parametrize it indirectly, e.g. [{"HTTPS": True}]."""
    return getattr(request, "param", {})


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh context, as in a server: its own app context, `g` and session.

    Without this, requests reuse the app context the test holds open, sharing `g` and the
    database session with the test and with each other, which no real deployment does.
    """

    def open(self, *args, **kwargs):
        # The test's session commits what it set up and drops its snapshot on both sides of a
        # request, so it sees what the request wrote (SQLite WAL readers keep their snapshot).
        self._end_test_transaction()
        # Streamed bodies are read inside the request's context too, as a server would.
        kwargs.setdefault("buffered", True)
        try:
            return contextvars.Context().run(super().open, *args, **kwargs)
        finally:
            self._end_test_transaction()

    @staticmethod
    def _end_test_transaction():
        if has_app_context():
            db.session.commit()


# One app per configuration, reused by the tests that ask for the same one: building the app (its ~200 URL
# rules compiled, the API document's schemas) cost 0.14 s, a quarter of a typical test. What a test may change
# in it is put back after each test: the configuration, the job queue's storage, the limiter's counts, the
# database's rows. A test that changes what cannot be put back (it adds a URL rule) asks for
# @pytest.mark.fresh_app; an app made elsewhere (a test's own create_app) re-points the extensions' globals
# (the limiter's storage, the job queue's app), so the cached one is used only while it is the last made.
_APPS: dict[tuple, tuple] = {}


def _cached_app(database_url: str, app_config: dict, fresh: bool):
    from tracker import jobs

    key = (database_url, repr(sorted(app_config.items())))
    held = None if fresh else _APPS.get(key)
    if held is not None and jobs._app is held[0]:
        app, config = held
        app.config.clear()
        app.config.update(config)
        jobs.init_app(app)  # a new, empty in-memory queue
        return app
    app = create_app(make_config(database_url, **app_config))
    app.test_client_class = IsolatedClient
    if fresh:
        _APPS.pop(key, None)
    else:
        _APPS[key] = (app, dict(app.config))
    return app


@pytest.fixture
def app(migrated_database, app_config, request):
    app = _cached_app(migrated_database, app_config, request.node.get_closest_marker("fresh_app") is not None)
    # The test's own session reads between requests; it must not hold SQLite's write lock.
    write_lock_outside_requests.set(False)
    with app.app_context():
        limiter.reset()
        yield app
        db.session.remove()
        _empty_all_tables()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return checked_client(app)


def checked_client(app):
    """A test client whose every /api/ response is checked against the generated OpenAPI document."""
    client = app.test_client()
    receive = client.open

    def open_and_check(*args, **kwargs):
        response = receive(*args, **kwargs)
        if response.request.path.startswith(API + "/"):
            document_checker(app).check(response)
        return response

    client.open = open_and_check
    return client


_DOCUMENT_CHECKER: dict[str, "DocumentedResponses"] = {}


def document_checker(app) -> "DocumentedResponses":
    """The checker of API responses, built once per session from the document the app generates (on the
    first API response, so that a test that never calls the API sends no request of its own)."""
    if "checker" not in _DOCUMENT_CHECKER:
        document = app.test_client().get(f"{API}/openapi.json").get_json()
        _DOCUMENT_CHECKER["checker"] = DocumentedResponses(document)
    return _DOCUMENT_CHECKER["checker"]


@pytest.fixture
def documented(app) -> "DocumentedResponses":
    return document_checker(app)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# The API, as a client drives it ---------------------------------------------------
API = "/api/v1"


class DocumentedResponses:
    """Checks an API response against the generated OpenAPI document: status documented, body its schema.

    An address or method the document does not have (a 404 or 405) must still answer the
    document's Error object.
    """

    def __init__(self, document: dict):
        self.document = document
        self.openapi = OpenAPI.from_dict(document)
        error = {**document["components"]["schemas"]["Error"], "components": document["components"]}
        self.error = OAS30Validator(error)

    def check(self, response) -> None:
        sent = response.request  # its body was read by the app; the response check needs none
        request = WerkzeugOpenAPIRequest(EnvironBuilder(
            path=sent.path, method=sent.method, query_string=sent.query_string.decode(), headers=dict(sent.headers),
        ).get_request())
        try:
            self.openapi.validate_response(request, WerkzeugOpenAPIResponse(response))
        except (PathNotFound, OperationNotFound):
            assert response.status_code in (404, 405), response.status_code
            self.error.validate(response.get_json())


def basic(username: str, password: str = PASSWORD) -> dict:
    encoded = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def issue(client, username: str, password: str = PASSWORD):
    return client.post(f"{API}/tokens", headers=basic(username, password))


def token_for(client, username: str) -> str:
    response = issue(client, username)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


class Api:
    """A client holding one user's bearer token."""

    def __init__(self, client, username: str):
        self.client = client
        self.token = token_for(client, username)
        self.headers = bearer(self.token)

    def get(self, path: str, **params):
        return self.client.get(API + path, headers=self.headers, query_string=params)

    def post(self, path: str, json=None, **kw):
        return self.client.post(API + path, headers=self.headers, json=json, **kw)

    def delete(self, path: str):
        return self.client.delete(API + path, headers=self.headers)


# Sign-in helper --------------------------------------------------------------
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_from(response) -> str:
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, "page has no CSRF token"
    return match.group(1)


KEY_RE = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')


def submission_key_from(response) -> str:
    """The one-time key a creating form carries (tracker.submissions); the first one on the page."""
    match = KEY_RE.search(response.get_data(as_text=True))
    assert match, "page has no submission key"
    return match.group(1)


class AuthActions:
    def __init__(self, client):
        self.client = client

    def csrf(self, path: str = "/login") -> str:
        return csrf_from(self.client.get(path))

    def login(self, username: str, password: str = PASSWORD, follow=False, **extra):
        token = self.csrf("/login")
        data = {"username": username, "password": password, "csrf_token": token, **extra}
        return self.client.post("/login", data=data, follow_redirects=follow)

    def logout(self):
        token = self.csrf("/account/password")
        return self.client.post("/logout", data={"csrf_token": token})

    def post(self, path: str, data: dict | None = None, form_page: str | None = None, **kw):
        """POST with a valid CSRF token taken from a page the user can open, and a fresh submission key
        (what a creating form carries, tracker.submissions) unless data brings its own."""
        token = self.csrf(form_page or "/account/password")
        data = {"submission_key": new_submission_key(), **(data or {}), "csrf_token": token}
        return self.client.post(path, data=data, **kw)


@pytest.fixture
def auth(client):
    return AuthActions(client)


# The certificate counter ------------------------------------------------------------
def local(day: date, hh: int, mm: int = 0) -> datetime:
    """A time of day in Yingkou (Asia/Shanghai), as slots are made."""
    return datetime.combine(day, time(hh, mm), LOCAL_TZ)


def slot_at(point, day: date, hh: int, mm: int = 0) -> Slot:
    """The point's slot starting at hh:mm local time on day (None where the calendar made none)."""
    return db.session.scalar(sa.select(Slot).where(Slot.service_point_id == point.id,
                                                   Slot.starts_at == local(day, hh, mm)))


def certificate(code: str = "FORM_E") -> CertificateType:
    return db.session.scalar(sa.select(CertificateType).where(CertificateType.code == code))


# Statements a page costs ------------------------------------------------------------
def query_count(app, client, url: str) -> int:
    """The number of SQL statements one GET of *url* issues (the page must answer 200)."""
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)



def race(app, n: int, work, named: dict | None = None) -> list[str]:
    """n calls of work(k) released together, each in its own thread, app context, session and connection
    (as n writing requests: SQLite's BEGIN IMMEDIATE); returns each call's outcome: "ok" once committed, the
    name *named* gives the exception it raised ({SlotFull: "full"}, checked first), a refusal's words, or
    "error: ..." for anything else (the test's failure)."""
    import threading

    from tracker.domain import DomainError

    named = named or {}
    barrier = threading.Barrier(n)
    outcomes = [""] * n

    def one(k: int):
        write_lock_outside_requests.set(True)
        with app.app_context():
            try:
                barrier.wait()
                work(k)
                db.session.commit()
                outcomes[k] = "ok"
            except Exception as exc:
                db.session.rollback()
                name = next((label for kind, label in named.items() if isinstance(exc, kind)), None)
                if name is None:
                    name = str(exc) if isinstance(exc, DomainError) else f"error: {exc!r}"
                outcomes[k] = name
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes

def trade_mode_codes_off() -> dict[int, tuple[str, str]]:
    """Firms whose trade_mode_codes (what the list filters on) differ from their links: {id: (kept, from links)}."""
    from tracker.enterprises.models import TradeMode, enterprise_trade_modes, trade_mode_key

    db.session.rollback()
    links: dict[int, list[str]] = {}
    for firm_id, code in db.session.execute(
            sa.select(enterprise_trade_modes.c.enterprise_id, TradeMode.code).join(TradeMode)):
        links.setdefault(firm_id, []).append(code)
    kept = db.session.execute(sa.select(Enterprise.id, Enterprise.trade_mode_codes)).all()
    return {firm_id: (codes, trade_mode_key(links.get(firm_id, ()))) for firm_id, codes in kept
            if codes != trade_mode_key(links.get(firm_id, ()))}


# Forms posted as the pages fill them in --------------------------------------------
def edit_firm(client, firm, **fields):
    """Post the firm's edit form as the page fills it in, with some fields changed."""
    page = client.get(f"/enterprises/{firm.id}/edit")
    assert page.status_code == 200
    version = re.search(r'name="version" type="hidden" value="([^"]*)"', page.get_data(as_text=True)).group(1)
    data = {"csrf_token": csrf_from(page), "version": version, "name": firm.name, "uscc": firm.uscc,
            "office_id": str(firm.office_id), "assigned_officer_id": str(firm.assigned_officer_id or 0),
            "economic_type": firm.economic_type or "", "district": firm.district or "",
            "trade_modes": [m.code for m in firm.trade_modes], **fields}
    response = client.post(f"/enterprises/{firm.id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    return response


# Factories -----------------------------------------------------------------------
@dataclass
class Org:
    root: Office
    dalian: Office
    yingkou: Office
    bayuquan: Office


class Factory:
    """Builds records with sensible defaults; every call flushes so ids exist."""

    def __init__(self):
        self.counter = 0

    def _n(self) -> int:
        self.counter += 1
        return self.counter

    def org(self) -> Org:
        root = Office(code="0000", name="海关总署", name_en="General Administration of Customs")
        dalian = Office(code="0900", name="大连海关", name_en="Dalian Customs", parent=root)
        yingkou = Office(code="0930", name="营口海关", name_en="Yingkou Customs", parent=dalian)
        bayuquan = Office(code="0931", name="鲅鱼圈海关", name_en="Bayuquan Customs", parent=dalian)
        db.session.add_all([root, dalian, yingkou, bayuquan])
        db.session.add(Department(office=yingkou, name="综合业务科"))
        db.session.flush()
        return Org(root, dalian, yingkou, bayuquan)

    def enterprise(self, office: Office, name: str | None = None, **kw) -> Enterprise:
        n = self._n()
        org_code = f"MA{n:07d}"
        firm = Enterprise(
            name=name or f"测试企业{n}有限公司", uscc=make_uscc("91", "210800", org_code), office=office, **kw
        )
        db.session.add(firm)
        db.session.flush()
        return firm

    def user(self, role: Role | str, office: Office | None = None, username: str | None = None,
             enterprise: Enterprise | None = None, password: str = PASSWORD, **kw) -> User:
        from tracker.auth.services import hash_password

        role = Role(role)
        n = self._n()
        if role is Role.ENTERPRISE_CONTACT and enterprise is None:
            enterprise = self.enterprise(office)
        user = User(
            username=username or f"{role.value.replace('_', '-')}{n}",
            display_name=f"用户{n}",
            role=role,
            office=enterprise.office if enterprise else office,
            enterprise=enterprise,
            password_hash=hash_password(password),
            **kw,
        )
        db.session.add(user)
        db.session.flush()
        return user


    # Outreach records, made the way the services make them (the visit directly: its form is under test).
    @staticmethod
    def campaign(office: Office, year: int = 2019, name: str | None = None, **kw):
        from tracker.campaigns.services import create_campaign

        campaign = create_campaign(name=name or f"{year}年百企大调研", office=office, year=year, **kw)
        db.session.flush()
        return campaign

    @staticmethod
    def visit(enterprise: Enterprise, officers: list[User], when=None, **kw):
        from datetime import datetime, timezone

        from tracker.visits.models import Visit, VisitType

        visit = Visit(enterprise=enterprise, visited_at=when or datetime(2019, 9, 27, 1, 30, tzinfo=timezone.utc),
                      visit_type=kw.pop("visit_type", VisitType.DOOR_TO_DOOR), summary=kw.pop("summary", "走访"),
                      officers=officers, **kw)
        db.session.add(visit)
        db.session.flush()
        return visit

    @staticmethod
    def need(enterprise: Enterprise, category=None, officer: User | None = None, *, raised_on=None,
             content: str = "原产地证办理慢", by: User | None = None, **kw):
        """A need recorded through needs.services.create_need (its deadline from the working-day calendar)."""
        from datetime import date

        from tracker.needs import services
        from tracker.needs.models import NeedSource

        category = category or db.session.scalar(sa.select(NeedCategory).order_by(NeedCategory.id))
        data = services.NeedData(source=kw.pop("source", NeedSource.VISIT), category=category, content=content,
                                 raised_on=raised_on or date(2019, 9, 27), assigned_officer=officer, **kw)
        # Recorded the day it was raised (the date rules of tracker.dates measure against that day).
        return services.create_need(enterprise, data, by=by, today=data.raised_on)

    @staticmethod
    def plan(enterprise: Enterprise, campaign, by: User, *, measures: int = 1, objective: str = "提升通关效率",
             owner: User | None = None):
        """A draft plan with *measures* measures, made through plans.services."""
        from datetime import date

        from tracker.plans import services

        plan = services.create_plan(enterprise, campaign, objective, by)
        for n in range(measures):
            # Drafted in the autumn of 2019, like the rest of the fixtures (tracker.dates: no deadline in the past).
            services.add_measure(plan, description=f"措施{n + 1}", owner=owner or by, deadline=date(2019, 12, 31),
                                 today=date(2019, 10, 8))
        return plan

    @staticmethod
    def briefing(office: Office, by: User, *, starts_at: datetime, hours: float = 2.5, capacity: int = 84,
                 title: str = "进出口企业政策宣讲会", open_: bool = True, now: datetime | None = None, **kw):
        """A policy briefing made through briefings.services (opened for registration unless open_=False)."""
        from datetime import timedelta

        from tracker.briefings import services

        data = services.BriefingData(title=title, starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours),
                                     venue=kw.pop("venue", "营口海关三楼会议室"), office=office, capacity=capacity,
                                     topics=kw.pop("topics", []), **kw)
        briefing = services.create_briefing(data, by=by, now=now)
        if open_:
            services.open_registration(briefing, by=by, now=now)
        return briefing

    @staticmethod
    def on_roster(campaign, *firms) -> None:
        """Put firms on a campaign's roster (as a manual addition)."""
        from tracker.campaigns.models import RosterEntry, RosterSource

        db.session.add_all([RosterEntry(campaign=campaign, enterprise=firm, source=RosterSource.MANUAL)
                            for firm in firms])
        db.session.flush()

    @staticmethod
    def questionnaire(campaign, by: User, *, title: str = "营口海关优化通关服务调查问卷", questions=None,
                      opened: bool = True, office=None):
        """A questionnaire made through questionnaires.services: by default a single choice (required), a
        multiple choice, a rating (required) and a free text, opened."""
        from tracker.questionnaires import services
        from tracker.questionnaires.models import QuestionKind

        questionnaire = services.create_questionnaire(services.QuestionnaireData(
            title=title, intro="感谢贵企业参与。", office=office or campaign.office, campaign=campaign), by=by)
        for kind, text, required, options in questions if questions is not None else (
                (QuestionKind.SINGLE, "您对通关时效是否满意？", True, ["满意", "基本满意", "不满意"]),
                (QuestionKind.MULTIPLE, "您希望海关提供哪些服务？", False, ["政策宣讲", "上门指导", "线上答疑"]),
                (QuestionKind.RATING, "请为窗口服务打分", True, []),
                (QuestionKind.TEXT, "其他意见和建议", False, [])):
            services.add_question(questionnaire, kind=kind, text=text, required=required, options=options, by=by)
        if opened:
            services.open_questionnaire(questionnaire, by=by)
        db.session.flush()
        return questionnaire

    @staticmethod
    def assessment(enterprise: Enterprise, by: User, *, kind=None, scores: dict | None = None, code: str = "2018",
                   shared: bool = False):
        """An assessment of the firm against version *code* of the certification standard (the shipped versions
        loaded first), made through certification.services: *scores* maps item numbers to Score, given by *by*;
        shared with the firm when shared=True (a customs assessment)."""
        from tracker.certification import services
        from tracker.certification.models import AssessmentKind, CertificationStandard

        services.load_standards()
        standard = db.session.scalar(sa.select(CertificationStandard).where(CertificationStandard.code == code))
        assessment = services.start_assessment(enterprise, standard, kind=kind or AssessmentKind.OFFICER, by=by)
        items = {item.number: item for item in standard.items}
        for number, score in (scores or {}).items():
            services.score_item(assessment, items[number], score, None, by=by, opened_version=0)
        if shared:
            services.share(assessment, by=by)
        db.session.flush()
        return assessment

    @staticmethod
    def application(enterprise: Enterprise, by: User, *, target_level: str = "general_certified",
                    applied_on: date = date(2019, 7, 22), until: str = "applied", assessment=None,
                    note: str = "现场验证"):
        """A certification application of the firm made through certification.services, taken up to the step
        *until*: "applied", "accepted" (receipt 4 days later), "audited" (a month later) or "certified"."""
        from datetime import timedelta

        from tracker.certification import services

        application = services.create_application(enterprise, target_level=target_level, applied_on=applied_on,
                                                  assessment=assessment, by=by)
        steps = ["applied", "accepted", "audited", "certified"]
        if steps.index(until) >= 1:
            services.accept_application(application, receipt_no=f"测受〔{applied_on.year}〕{enterprise.id:04d}号",
                                        on=applied_on + timedelta(days=4), by=by)
        if steps.index(until) >= 2:
            services.audit_application(application, on=applied_on + timedelta(days=29), note=note, by=by)
        if steps.index(until) >= 3:
            services.decide_application(application, certified=True, on=applied_on + timedelta(days=41), by=by)
        db.session.flush()
        return application

    def notification(self, user: User, kind=None, *, link: str = "/work/", key: str | None = None, **params):
        from tracker.notifications import services
        from tracker.notifications.models import NotificationKind

        return services.notify(user, kind or NotificationKind.NEED_ASSIGNED, link=link,
                               dedupe_key=key or f"test:{self._n()}", params=params)


@pytest.fixture
def factory(app):
    return Factory()


@dataclass
class Cast:
    """One user of each role, placed in the office tree the way the demo has them."""

    org: Org
    admin: User
    manager: User  # 营口海关
    manager_dl: User  # 大连海关
    officer: User  # 营口海关
    officer_byq: User  # 鲅鱼圈海关
    contact: User  # a firm under 营口海关
    contact_byq: User  # a firm under 鲅鱼圈海关

    def by_role(self, role: str) -> User:
        return {"admin": self.admin, "manager": self.manager, "officer": self.officer,
                "enterprise_contact": self.contact}[role]


@pytest.fixture
def cast(factory):
    org = factory.org()
    result = Cast(
        org=org,
        admin=factory.user(Role.ADMIN, org.root, username="admin"),
        manager=factory.user(Role.MANAGER, org.yingkou, username="manager"),
        manager_dl=factory.user(Role.MANAGER, org.dalian, username="manager-dl"),
        officer=factory.user(Role.OFFICER, org.yingkou, username="officer"),
        officer_byq=factory.user(Role.OFFICER, org.bayuquan, username="bayuquan-officer"),
        contact=factory.user(Role.ENTERPRISE_CONTACT, org.yingkou, username="yalisi"),
        contact_byq=factory.user(Role.ENTERPRISE_CONTACT, org.bayuquan, username="longxin"),
    )
    db.session.commit()
    return result


# The needs ledger's fixtures (modules with another idea of "firm" define their own) -------------------
@pytest.fixture
def category(app):
    """A need category with 3 working days; the reference row is restored afterwards."""
    row = db.session.scalar(sa.select(NeedCategory).order_by(NeedCategory.id))
    original = row.deadline_days
    row.deadline_days = 3
    db.session.commit()
    yield row
    db.session.rollback()
    row = db.session.get(NeedCategory, row.id)
    row.deadline_days = original
    db.session.commit()


@pytest.fixture
def firm(cast):
    """The contact's firm (营口), assigned to the officer; every user reads pages in English."""
    enterprise = cast.contact.enterprise
    enterprise.assigned_officer = cast.officer
    for user in (cast.admin, cast.manager, cast.manager_dl, cast.officer, cast.officer_byq, cast.contact,
                 cast.contact_byq):
        user.locale = "en"
    db.session.commit()
    return enterprise


def make_need(firm, category, officer=None, raised_on=date(2019, 9, 27), by=None, **kw):
    """A need made through the ledger's service, committed."""
    need = Factory.need(firm, category, officer, raised_on=raised_on, by=by, **kw)
    db.session.commit()
    return need


def page(client, url: str) -> str:
    """The text of a page that must answer 200."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.fixture
def server(app):
    """The test's app served over HTTP by a threaded werkzeug server (as tests/browser does): each request
    on its own thread and pooled connection, for the tests that send simultaneous requests."""
    import threading

    from werkzeug.serving import make_server

    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(timeout=10)
    srv.server_close()
