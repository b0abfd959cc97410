"""Issue 9, fuzzers in CI: every page and every form, as every role, with generated input (Hypothesis).

Nothing here names an endpoint to fuzz. The walk reads the rules of ``app.url_map`` and the forms the
pages render, so a new route or form is fuzzed the day it is added:

1. The data: a firm of the actor's office with a visit, a need (and an extension asked), plans, a
   campaign, an import, a contact, notices; the same outside the actor's scope, under names that carry
   the marker ``外关保密`` (and, for a firm's contact, the other firms of his own office, ``本关他企``).
2. A crawl, as the actor: every GET rule filled with the ids of his records, then the links of the pages
   (a few pages per endpoint). It collects the forms (action, fields, input types, options, the CSRF
   token, the one-time submission key), the query keys the forms and links use, and the values the
   links give each URL argument.
3. For each rule, a Hypothesis run: URL arguments from the ids seen, the out-of-scope ids and generated
   integers (huge ones too); GET with generated query strings; POST with a discovered form's fields
   filled by generated values (the real CSRF token; the submission key real, stale, garbage or none),
   or with generated fields and a valid token where no page holds a form for it.

Every answer: no 5xx, and none of the names the actor may not see (HTML, CSV, XLSX and JSON alike).
Reproducible (derandomize) and bounded: a few examples per rule, more where there is a form.
"""
import io
import json
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import AnyConverter, IntegerConverter, PathConverter, RequestRedirect

from tests.conftest import PASSWORD, AuthActions, Factory
from tracker.auth.models import Role, User
from tracker.extensions import db, limiter
from tracker.forms import new_submission_key
from tracker.offices.models import Office

# Endpoints the walk leaves alone, each with its reason. Everything else in app.url_map is fuzzed.
SKIP = {
    "static": "files from disk; no view of ours reads its query or a form",
    "auth.logout": "it ends the session the walk runs in (tests/test_auth.py covers it)",
}
SKIP_PREFIXES = {
    "api.": "the JSON API has its own fuzzer, driven by its OpenAPI document (schemathesis)",
}

# Examples per rule: a role the rule refuses gets a couple (the refusal must hold for any input).
EXAMPLES_GET = 5
EXAMPLES_POST_FORM = 10
EXAMPLES_POST_BARE = 4
EXAMPLES_REFUSED = 2
# The crawl opens at most this many pages of one endpoint (lists have many sort and page links).
PAGES_PER_ENDPOINT = 3

MARKER = "外关保密"  # in every name and text outside a staff user's scope
SAME_OFFICE = "本关他企"  # in the names and texts of the 0930 firms that are not the contact's own

ROLES = ["anonymous", "enterprise_contact", "officer", "manager", "admin"]
LOGINS = {"admin": "admin", "manager": "manager", "officer": "officer", "enterprise_contact": "yalisi"}


# The data -------------------------------------------------------------------------------------------------
@dataclass
class World:
    in_scope: dict[str, list]  # URL argument name -> ids of the actor's office (his firm's, for a contact)
    out_of_scope: dict[str, list]  # URL argument name -> ids outside it
    forbidden: dict[str, list[str]]  # role -> strings no answer to it may hold


def _records(factory: Factory, firm, office, officer, manager, campaign, tag: str, *, approved: bool) -> dict:
    """A visit, a need with an extension asked, a plan with a measure, a roster decision, a contact, an
    import and notices, all of one firm, with *tag* in their texts."""
    from tracker.campaigns.models import RosterDecision, RosterDecisionKind
    from tracker.enterprises.services import add_contact
    from tracker.imports.models import DeclarationImport, ImportStatus
    from tracker.needs.models import DeadlineExtension
    from tracker.plans import services as plans

    visit = Factory.visit(firm, [officer], summary=f"{tag}走访纪要", follow_up_on=date(2019, 10, 8))
    need = Factory.need(firm, officer=officer, content=f"{tag}需求内容", by=officer)
    extension = DeadlineExtension(need=need, old_deadline=need.deadline, new_deadline=date(2019, 11, 15),
                                  reason=f"{tag}延期理由", requested_by_id=officer.id)
    db.session.add(extension)
    plan = Factory.plan(firm, campaign, officer, objective=f"{tag}帮扶目标")
    if approved:
        plans.submit(plan, officer)
        plans.approve(plan, manager)
    contact = add_contact(firm, name=f"{tag}联系人")
    decision = RosterDecision(campaign=campaign, enterprise=firm, decision=RosterDecisionKind.INCLUDE,
                              reason=f"{tag}理由")
    db.session.add(decision)
    record = DeclarationImport(filename=f"{tag}.csv", sha256="0" * 64, file_format="csv", size_bytes=1,
                               office=office, status=ImportStatus.READY, summary={}, errors=[])
    db.session.add(record)
    db.session.flush()
    return {"enterprise_id": firm.id, "visit_id": visit.id, "need_id": need.id, "extension_id": extension.id,
            "plan_id": plan.id, "measure_id": plan.measures[0].id, "contact_id": contact.id,
            "campaign_id": campaign.id, "decision_id": decision.id, "import_id": record.id,
            **_questionnaire_records(firm, officer, manager, campaign, tag),
            **_certification_records(firm, officer, tag)}


def _questionnaire_records(firm, officer, manager, campaign, tag: str) -> dict:
    """An open questionnaire of the campaign (the firm on its roster) with the firm's paper answer, and a draft."""
    from tracker.questionnaires import services as questionnaires
    from tracker.questionnaires.models import ResponseChannel

    Factory.on_roster(campaign, firm)
    opened = Factory.questionnaire(campaign, manager, title=f"{tag}调查问卷")
    draft = Factory.questionnaire(campaign, manager, title=f"{tag}问卷草稿", opened=False)
    single, _multiple, rating, text = opened.questions
    response = questionnaires.submit_response(
        opened, firm, {single.id: [single.options[0].id], rating.id: 4, text.id: f"{tag}问卷意见"}, by=officer,
        channel=ResponseChannel.PAPER)
    return {"questionnaire_id": [opened.id, draft.id],
            "question_id": [q.id for q in opened.questions + draft.questions], "response_id": response.id}


def _certification_records(firm, officer, tag: str) -> dict:
    """The customs' assessment of the firm, shared with it, scored (one item re-scored with a note), with remarks and
    a file of evidence; the firm's self-assessment in draft where it has a contact account; and its application for
    certification, audited on site."""
    import uuid

    from tracker.certification import services as certification
    from tracker.certification.models import AssessmentKind, Evidence, Score

    shared = Factory.assessment(firm, officer, scores={"1.1.1": Score.MET, "4.6.1": Score.NOT_APPLICABLE}, shared=True)
    item = shared.standard.items[0]
    certification.score_item(shared, item, Score.MOSTLY, f"{tag}评分备注", by=officer, opened_version=1)
    certification.update_summary(shared, f"{tag}评估意见", by=officer)
    evidence = Evidence(assessment_id=shared.id, item_id=item.id, original_filename=f"{tag}证明材料.pdf",
                        stored_name=f"{uuid.uuid4().hex}.pdf", content_type="application/pdf", size_bytes=10,
                        uploaded_by_id=officer.id)
    db.session.add(evidence)
    ids = [shared.id]
    contact = db.session.scalar(sa.select(User).where(User.enterprise_id == firm.id, User.role == Role.ENTERPRISE_CONTACT))
    if contact is not None:
        ids.append(Factory.assessment(firm, contact, kind=AssessmentKind.SELF, scores={"1.1.2": Score.MET}).id)
    # An application for certification resting on the shared assessment, audited (its decision's form offered).
    application = Factory.application(firm, officer, until="audited", assessment=shared, note=f"{tag}现场验证记录")
    db.session.flush()
    return {"assessment_id": ids, "evidence_id": evidence.id, "item_id": [i.id for i in shared.standard.items[:3]],
            "standard_id": shared.standard_id, "application_id": application.id}


def _merge(*parts: dict) -> dict[str, list]:
    merged: dict[str, list] = defaultdict(list)
    for part in parts:
        for name, value in part.items():
            merged[name].extend(value if isinstance(value, list) else [value])
    return merged


def build_world(cast, factory: Factory) -> World:
    """The actors' records and the same outside their scope. The 0930 actors (manager, officer, the
    contact yalisi) may see nothing whose name carries MARKER; the contact nothing of SAME_OFFICE either."""
    from tracker.workdays.models import CalendarOverride, OverrideKind

    org = cast.org
    # Every office outside 营口海关's subtree, its parents included, carries the marker.
    org.root.name, org.dalian.name, org.bayuquan.name = f"{MARKER}总署", f"{MARKER}大连关", f"{MARKER}鲅鱼圈关"
    with db.session.no_autoflush:
        outside = Office(code="4700", name=f"{MARKER}海关", parent=org.root)
        harbour = Office(code="0939", name="营口港区海关", parent=org.yingkou)  # below 0930: in scope
        db.session.add_all([outside, harbour])
    db.session.flush()
    for user, name in ((cast.admin, "署级管理员"), (cast.manager, "营口科长"), (cast.officer, "营口关员"),
                       (cast.contact, "雅丽丝联系人"), (cast.manager_dl, "大连处长"),
                       (cast.officer_byq, f"{MARKER}专员乙"), (cast.contact_byq, f"{MARKER}联系人乙")):
        user.display_name = name
    outsider = factory.user(Role.OFFICER, outside, username="outside-officer")
    outside_manager = factory.user(Role.MANAGER, outside, username="outside-manager")
    outsider.display_name, outside_manager.display_name = f"{MARKER}专员甲", f"{MARKER}科长"

    own = cast.contact.enterprise
    own.name, own.assigned_officer = "营口雅丽丝服装有限公司", cast.officer
    neighbour = factory.enterprise(org.yingkou, name=f"营口{SAME_OFFICE}新港物流有限公司", assigned_officer=cast.officer)
    harbour_firm = factory.enterprise(harbour, name=f"营口{SAME_OFFICE}港区码头有限公司")
    byq = cast.contact_byq.enterprise
    byq.name, byq.assigned_officer = f"{MARKER}企业乙有限公司", cast.officer_byq
    far = factory.enterprise(outside, name=f"{MARKER}企业甲有限公司", assigned_officer=outsider)

    yingkou_campaign = Factory.campaign(org.yingkou, name="2019年营口百企大调研")
    neighbour_campaign = Factory.campaign(org.yingkou, year=2020, name="2020年营口百企大调研")
    byq_campaign = Factory.campaign(org.bayuquan, name=f"{MARKER}鲅鱼圈活动")
    far_campaign = Factory.campaign(outside, name=f"{MARKER}活动")

    mine = _records(factory, own, org.yingkou, cast.officer, cast.manager, yingkou_campaign, "雅丽丝", approved=True)
    same_office = _records(factory, neighbour, org.yingkou, cast.officer, cast.manager, neighbour_campaign,
                           SAME_OFFICE, approved=False)
    theirs = [_records(factory, byq, org.bayuquan, cast.officer_byq, cast.manager_dl, byq_campaign, MARKER,
                       approved=True),
              _records(factory, far, outside, outsider, outside_manager, far_campaign, MARKER, approved=False)]
    notices = {user: factory.notification(user, link="/work/", enterprise=firm.name).id
               for user, firm in ((cast.officer, own), (cast.manager, own), (cast.admin, own),
                                  (cast.officer_byq, byq), (outsider, far))}
    closure = CalendarOverride(day=date(2031, 10, 1), kind=OverrideKind.CLOSURE, name="国庆节")
    db.session.add(closure)
    db.session.flush()

    staff_ids = [cast.manager.id, cast.officer.id, cast.contact.id]
    in_scope = _merge(mine, same_office, {"enterprise_id": harbour_firm.id, "user_id": staff_ids,
                                          "notification_id": [notices[cast.officer], notices[cast.manager],
                                                              notices[cast.admin]],
                                          "override_id": closure.id})
    out_of_scope = _merge(*theirs, {"user_id": [cast.officer_byq.id, cast.manager_dl.id, outsider.id,
                                                cast.contact_byq.id],
                                    "notification_id": [notices[cast.officer_byq], notices[outsider]]})
    db.session.commit()
    forbidden = {"anonymous": [MARKER, SAME_OFFICE, own.name], "admin": [],
                 "manager": [MARKER], "officer": [MARKER], "enterprise_contact": [MARKER, SAME_OFFICE]}
    return World(in_scope=dict(in_scope), out_of_scope=dict(out_of_scope), forbidden=forbidden)


# Reading pages ----------------------------------------------------------------------------------------------
@dataclass
class Field:
    name: str
    kind: str  # an input's type, "select", "textarea" or "button"
    value: str = ""
    options: list[str] = field(default_factory=list)
    multiple: bool = False


@dataclass
class Form:
    page: str  # the page it was read from
    index: int  # its place among that page's forms
    action: str
    method: str
    multipart: bool
    fields: list[Field]


class PageParser(HTMLParser):
    """The forms and links of a page, with html.parser: what a browser would submit or follow."""

    def __init__(self, url: str):
        super().__init__(convert_charrefs=True)
        self.url = url
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = Form(page=self.url, index=len(self.forms), action=a.get("action") or self.url,
                              method=(a.get("method") or "get").upper(),
                              multipart="multipart" in a.get("enctype", ""), fields=[])
            self.forms.append(self._form)
        elif self._form is None or not a.get("name") and tag != "option":
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                same = [f for f in self._form.fields if f.name == a["name"] and f.kind == kind]
                if same:
                    same[0].options.append(a.get("value", "on"))
                    return
                self._form.fields.append(Field(a["name"], kind, a.get("value", "on"), [a.get("value", "on")],
                                               multiple=kind == "checkbox"))
                return
            self._form.fields.append(Field(a["name"], kind, a.get("value", "")))
        elif tag == "button":
            self._form.fields.append(Field(a["name"], "button", a.get("value", ""), [a.get("value", "")]))
        elif tag == "select":
            self._select = Field(a["name"], "select", multiple="multiple" in a)
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))
            if "selected" in a:
                self._select.value = a.get("value", "")
        elif tag == "textarea":
            self._textarea = Field(a["name"], "textarea")
            self._form.fields.append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def answer_text(response) -> str:
    """What an answer says, to search for names: HTML and CSV as text, an XLSX's XML parts, JSON unescaped."""
    data = response.get_data()
    if data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as book:
                return "\n".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())
        except zipfile.BadZipFile:
            pass
    text = data.decode("utf-8", "replace")
    if response.is_json:
        try:
            text += json.dumps(response.get_json(silent=True), ensure_ascii=False)
        except (TypeError, ValueError):
            pass
    return text


# Generated values ---------------------------------------------------------------------------------------------
HUGE = [2**31 - 1, 2**31, 2**63, 10**20, 10**400]
EDGE_VALUES = [
    "", " ", "0", "-1", "1", "2147483647", "2147483648", "-2147483649", "9" * 20, "9" * 400, "1e309", "NaN",
    "inf", "-0", "0x10", "1.5", "0001-01-01", "9999-12-31", "1979-12-31", "2100-01-01", "2019-02-30",
    "2019-13-01", "0000-00-00", "2019-09-27T25:61", "0001-01-01T00:00", "9999-12-31T23:59", "2019-09-27T09:30",
    "2019-09-27", "true", "on", "null", "None", "[]", "{}", "' OR '1'='1", "%", "_", "\\", "%00", "<script>",
    "营口", "海关", "雅丽丝", "\u202e", "\ufeff", "😀", "\x00", "a\x00b", "雅" * 5000, "x" * 70_000,
    "\r\n", "\x1b[31m", "ﾟ", "İ", "ß",
]
# Text without NUL (refused before any view reads it, tests/test_hardening.py), with CJK and control characters.
TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)
CJK = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=20)
NUMBERS = st.one_of(st.integers(-(2**70), 2**70), st.sampled_from(HUGE)).map(str)
DATES = st.dates(date(1, 1, 1), date(9999, 12, 31)).map(date.isoformat)
SENSIBLE_DATES = st.dates(date(1980, 1, 1), date(2099, 12, 31)).map(date.isoformat)
DATETIMES = st.one_of(
    st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31)).map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
    SENSIBLE_DATES.map(lambda d: d + "T09:30"))


def values(ids: list) -> st.SearchStrategy[str]:
    """Any value a field or a query parameter may be sent."""
    pool = [st.sampled_from(EDGE_VALUES), TEXT, CJK, NUMBERS, DATES]
    if ids:
        pool.append(st.sampled_from(sorted(set(ids))).map(str))
    return st.one_of(*pool)


def field_value(f: Field, ids: list, wild: bool, now: Field | None = None) -> st.SearchStrategy:
    """A value for one field of a rendered form: what the field expects, or (wild) anything at all.

    The draws depend on the field as the crawl read it, never on the page as it is now (*now*, the
    field read again, gives the values): Hypothesis replays a test case and must be asked the same."""
    now = now or f
    if f.kind == "file":
        content = st.one_of(st.binary(max_size=200), st.builds(
            lambda head, rows: (head + "\n" + "\n".join(",".join(r) for r in rows)).encode(),
            st.sampled_from(["统一社会信用代码,企业名称,年度,报关单票数", "统一社会信用代码,海关编码,企业名称,年度,报关单票数",
                             "a,b", ""]),
            st.lists(st.lists(st.one_of(TEXT, NUMBERS, st.sampled_from(["2019", "91210802MA0000001X"])),
                              max_size=5), max_size=4)))
        name = st.sampled_from(["统计.csv", "data.xlsx", "a.txt", "", "../../etc/passwd", "x" * 300 + ".csv"])
        return st.builds(lambda c, n: (io.BytesIO(c), n), content, name)
    if wild:
        return values(ids)
    if f.kind in ("select", "radio", "checkbox", "button") and f.options:
        option = st.integers(0, 255).map(lambda i: (now.options or f.options)[i % len(now.options or f.options)])
        return st.lists(option, max_size=4) if f.multiple else option
    if f.kind == "date":
        return st.one_of(SENSIBLE_DATES, DATES)
    if f.kind == "datetime-local":
        return DATETIMES
    if f.kind == "number":
        return st.one_of(st.integers(-5, 400).map(str), NUMBERS)
    return st.one_of(st.just(now.value), TEXT, CJK)


# The walk ---------------------------------------------------------------------------------------------------
class Walk:
    """One actor's session: sign-in, the crawl, what it found, and the check every answer passes."""

    def __init__(self, app, world: World, role: str):
        self.app = app
        self.world = world
        self.role = role
        self.client = app.test_client()
        self.auth = AuthActions(self.client)
        self.adapter = app.url_map.bind("localhost")
        self.forbidden = world.forbidden[role]
        self.forms: dict[str, list[Form]] = defaultdict(list)  # endpoint -> forms posting to it
        self.query: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))  # endpoint -> key -> values
        self.seen_args: dict[str, set] = defaultdict(set)  # URL argument -> values in links and actions
        self.opened: dict[str, int] = defaultdict(int)
        self.token = ""
        self.sign_in()

    # Session -----------------------------------------------------------------------------------
    def sign_in(self) -> None:
        # The fuzzed sign-in form counts against the sign-in limits (a 429 is a fine answer to it); the
        # walk's own sign-in starts from none. (Not RATELIMIT_ENABLED=False: the limiter is one object
        # for every app of the session, and would stay off for the tests that come after.)
        limiter.reset()
        if self.role != "anonymous":
            user = db.session.scalar(sa.select(User).where(User.username == LOGINS[self.role]))
            if not user.active or not self._password_is_known(user):
                from tracker.auth.services import hash_password

                user.active, user.password_hash = True, hash_password(PASSWORD)
                db.session.commit()
            response = self.auth.login(user.username)
            assert response.status_code == 302, response.status_code
        self.token = self.auth.csrf("/login" if self.role == "anonymous" else "/account/password")

    @staticmethod
    def _password_is_known(user) -> bool:
        from werkzeug.security import check_password_hash

        return check_password_hash(user.password_hash, PASSWORD)

    def signed_out(self) -> bool:
        return self.role != "anonymous" and self.client.get("/account/password").status_code != 200

    # Answers -------------------------------------------------------------------------------------
    def check(self, response, what: str) -> None:
        for answer in [*response.history, response]:
            assert answer.status_code < 500, f"{what}: {answer.status_code}"
            text = answer_text(answer)
            leaked = [name for name in self.forbidden if name in text]
            assert not leaked, f"{what}: {answer.status_code} names {leaked} to {self.role}"

    def match(self, url: str, method: str):
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            return None
        try:
            return self.adapter.match(parts.path, method=method)
        except (HTTPException, RequestRedirect):
            return None

    # The crawl -----------------------------------------------------------------------------------
    def crawl(self, rules) -> None:
        queue = []
        for rule in rules:
            if "GET" in rule.methods:
                url = self.build(rule, {name: self.world.in_scope.get(name, [None])[0] for name in rule.arguments})
                if url:
                    queue.append(url)
        done = set()
        while queue:
            url = queue.pop(0)
            matched = self.match(url, "GET")
            if url in done or matched is None or matched[0] in SKIP or matched[0].startswith(tuple(SKIP_PREFIXES)):
                continue
            done.add(url)
            if self.opened[matched[0]] >= PAGES_PER_ENDPOINT:
                continue
            self.opened[matched[0]] += 1
            response = self.client.get(url)
            self.check(response, f"GET {url}")
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            parser = PageParser(url)
            parser.feed(response.get_data(as_text=True))
            for form in parser.forms:
                self.learn_form(form)
            for link in parser.links:
                if self.learn_link(link):
                    queue.append(link)

    def learn_link(self, link: str) -> bool:
        parts = urlsplit(link)
        matched = self.match(link, "GET")
        if matched is None:
            return False
        endpoint, args = matched
        for name, value in args.items():
            self.seen_args[name].add(value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            self.query[endpoint][key].add(value)
        return True

    def learn_form(self, form: Form) -> None:
        matched = self.match(form.action, form.method)
        if matched is None:
            return
        endpoint, args = matched
        for name, value in args.items():
            self.seen_args[name].add(value)
        if form.method == "GET":
            for f in form.fields:
                self.query[endpoint][f.name].update([f.value, *f.options])
            return
        shape = [(f.name, f.kind) for f in form.fields]
        if all(shape != [(f.name, f.kind) for f in known.fields] for known in self.forms[endpoint]):
            self.forms[endpoint].append(form)

    # URLs ------------------------------------------------------------------------------------------
    def build(self, rule, args: dict) -> str | None:
        if any(value is None for value in args.values()):
            return None
        try:
            return self.adapter.build(rule.endpoint, args, method="GET" if "GET" in rule.methods else "POST")
        except Exception:  # a value the converter will not put in a URL
            return None

    def arguments(self, rule) -> st.SearchStrategy[dict]:
        """Values for the rule's URL arguments: seen in links, the actor's, other offices', generated."""
        parts = {}
        for name in sorted(rule.arguments):
            converter = rule._converters[name]
            pool = []
            mine = sorted(self.seen_args[name] | set(self.world.in_scope.get(name, [])), key=str)
            theirs = self.world.out_of_scope.get(name, [])
            if mine:
                pool += [st.sampled_from(mine)] * 2
            if theirs:
                pool.append(st.sampled_from(theirs))
            if isinstance(converter, AnyConverter):
                pool.append(st.sampled_from(sorted(converter.items)))
            elif isinstance(converter, IntegerConverter):
                pool.append(st.one_of(st.integers(0, 2**40), st.sampled_from(HUGE)))
            elif not isinstance(converter, PathConverter):
                pool.append(st.one_of(CJK, st.text(st.characters(codec="ascii", categories=["L", "N"]),
                                                   min_size=1, max_size=12)))
            parts[name] = st.one_of(*pool)
        return st.fixed_dictionaries(parts)

    def ids(self) -> list:
        every = _merge(self.world.in_scope, self.world.out_of_scope)
        return [value for name in sorted(every) for value in every[name]] + HUGE[:3]

    # The fuzzers -------------------------------------------------------------------------------------
    def allowed(self, rule) -> bool:
        from tracker.permissions import rule_for

        access = rule_for(rule.endpoint)
        if access.public:
            return True
        if self.role == "anonymous":
            return False
        return access.roles is None or Role(self.role) in access.roles

    def fuzz_get(self, rule) -> None:
        keys = self.query[rule.endpoint]
        known = sorted(keys)
        ids = self.ids()

        def value_for(key):
            seen = sorted(keys.get(key, ()), key=str)
            return st.one_of(st.sampled_from(seen), values(ids)) if seen else values(ids)

        # The page's own keys (its forms' and links'), several at once, and a few made up.
        ours = st.lists(st.sampled_from(known).flatmap(lambda k: st.tuples(st.just(k), value_for(k))),
                        max_size=len(known) + 1) if known else st.just([])
        made_up = st.lists(st.tuples(TEXT, values(ids)), max_size=2)
        examples = EXAMPLES_GET + 2 * len(known) if self.allowed(rule) else EXAMPLES_REFUSED

        @settings(max_examples=examples, **SETTINGS)
        @given(args=self.arguments(rule), ours=ours, made_up=made_up)
        def get(args, ours, made_up):
            url = self.build(rule, args)
            if url is None:
                return
            query = ours + made_up
            response = self.client.get(url, query_string=MultiDict(query))
            self.check(response, f"GET {url} {query!r}"[:3000])

        get()

    def fuzz_post(self, rule) -> None:
        forms = self.forms.get(rule.endpoint, [])
        ids = self.ids()
        if not self.allowed(rule):
            examples = EXAMPLES_REFUSED
        else:
            examples = EXAMPLES_POST_FORM + max(len(f.fields) for f in forms) if forms else EXAMPLES_POST_BARE
        extra = st.lists(st.tuples(TEXT, values(ids)), max_size=3)
        key_choice = st.sampled_from(["fresh", "fresh", "rendered", "garbage", "none"])

        @settings(max_examples=examples, **SETTINGS)
        @given(form=st.sampled_from(forms) if forms else st.none(), args=self.arguments(rule), data=st.data(),
               own_url=st.booleans(), reload=st.booleans(), key=key_choice, extra=extra)
        def post(form, args, data, own_url, reload, key, extra):
            # The page again: the current version, options and values (the form's shape stays the crawl's).
            now = self.reload(form) if form is not None and reload else {}
            url = form.action if form is not None and own_url else self.build(rule, args)
            if url is None:
                return
            body = MultiDict()
            # tame: every field what it expects; one: a single field anything; wild: any field anything
            mode = data.draw(st.sampled_from(["tame", "one", "one", "wild"]), label="mode")
            names = sorted({f.name for f in form.fields}) if form is not None else []
            odd = data.draw(st.sampled_from(names), label="odd field") if mode == "one" and names else None
            for f in form.fields if form is not None else []:
                if f.name == "csrf_token":
                    continue
                if f.name == "submission_key":
                    chosen = {"fresh": new_submission_key(), "rendered": now.get(f.name, f).value,
                              "garbage": data.draw(values(ids), label="submission_key"), "none": None}[key]
                    if chosen is not None:
                        body.add(f.name, chosen)
                    continue
                if mode == "wild" and data.draw(st.integers(0, 9), label=f"omit {f.name}") == 0:
                    continue
                wild = mode == "wild" and data.draw(st.booleans(), label=f"wild {f.name}") or f.name == odd
                value = data.draw(field_value(f, ids, wild, now.get(f.name)), label=f.name)
                for one in value if isinstance(value, list) else [value]:
                    body.add(f.name, one)
            if form is None and key != "none":
                body.add("submission_key", new_submission_key())
            for name, value in extra:
                body.add(name, value)
            body["csrf_token"] = self.token
            multipart = form is not None and form.multipart
            response = self.client.post(url, data=body, follow_redirects=True,
                                        content_type="multipart/form-data" if multipart else None)
            self.check(response, f"POST {url} {list(body.items(multi=True))!r}"[:3000])

        post()

    def reload(self, form: Form) -> dict[str, Field]:
        """The fields of *form* as its page renders them now, by name ({} when the form is gone)."""
        response = self.client.get(form.page)
        self.check(response, f"GET {form.page}")
        if response.status_code != 200:
            return {}
        parser = PageParser(form.page)
        parser.feed(response.get_data(as_text=True))
        same = [f for f in parser.forms if f.action == form.action and
                [(x.name, x.kind) for x in f.fields] == [(x.name, x.kind) for x in form.fields]]
        return {f.name: f for f in same[0].fields} if same else {}


SETTINGS = dict(database=None, deadline=None, derandomize=True, phases=[Phase.generate, Phase.shrink],
                suppress_health_check=list(HealthCheck))


def fuzzed_rules(app) -> list:
    return sorted((rule for rule in app.url_map.iter_rules()
                   if rule.endpoint not in SKIP and not rule.endpoint.startswith(tuple(SKIP_PREFIXES))),
                  key=lambda r: (r.rule, r.endpoint))


@pytest.mark.parametrize("role", ROLES)
def test_no_page_or_form_fails_or_names_what_the_user_may_not_see(app, cast, factory, role):
    world = build_world(cast, factory)
    rules = fuzzed_rules(app)
    assert len(rules) > 60, len(rules)  # the walk really walks
    walk = Walk(app, world, role)
    walk.crawl(rules)
    if role != "anonymous":
        assert walk.forms, "the crawl found no form"
    for rule in rules:
        if "GET" in rule.methods:
            walk.fuzz_get(rule)
        if "POST" in rule.methods:
            walk.fuzz_post(rule)
        if walk.signed_out():  # the actor changed his own password or account: sign in again
            walk.sign_in()
