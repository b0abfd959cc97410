"""Thirty simultaneous identical requests, the way a double click, a resend or an impatient retry
arrives: real threads against a real threaded server (werkzeug), on the suite's database, a SQLite
file or PostgreSQL (each request its own pooled connection). Every transition and every creating form
must have exactly one effect, and no request may fail with a 500.

SQLite serialises the writing requests (BEGIN IMMEDIATE); PostgreSQL has the loader's SELECT ... FOR
UPDATE for transitions and the unique submission key for creations (tracker.permissions,
tracker.views, tracker.submissions).
"""
import re
import threading
from datetime import date

import pytest
import requests
import sqlalchemy as sa

from tests.conftest import IMPORT_ROWS, PASSWORD
from tracker.audit.models import AuditAction, AuditRecord
from tracker.campaigns.services import create_campaign
from tracker.extensions import db
from tracker.needs import services as needs
from tracker.needs.models import (
    DeadlineExtension, ExtensionStatus, FollowUp, Need, NeedCategory, NeedSource, NeedStatus, Satisfaction,
)
from tracker.plans import services as plans
from tracker.plans.models import AssistancePlan, PlanMeasure, PlanStatus
from tracker.visits.models import Visit

N = 30
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
KEY = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')
VERSION = re.compile(r'name="version" type="hidden" value="([^"]*)"')


class Browser:
    """One signed-in user's cookie jar; pages read as a browser reads them."""

    def __init__(self, base: str, username: str):
        self.base = base
        self.session = requests.Session()
        page = self.session.get(f"{base}/login")
        response = self.session.post(f"{base}/login", allow_redirects=False, data={
            "username": username, "password": PASSWORD, "csrf_token": CSRF.search(page.text).group(1)})
        assert response.status_code == 302, response.text[:500]

    def form(self, path: str) -> dict:
        """The hidden fields of the page's forms (the first submission key on it)."""
        text = self.session.get(self.base + path).text
        fields = {"csrf_token": CSRF.search(text).group(1)}
        if key := KEY.search(text):
            fields["submission_key"] = key.group(1)
        if version := VERSION.search(text):
            fields["version"] = version.group(1)
        return fields

    def burst(self, path: str, data: dict, n: int = N) -> list[int]:
        """n identical POSTs, released together, each on its own connection with the same cookie."""
        barrier = threading.Barrier(n)
        statuses: list[int] = [0] * n

        def one(k: int):
            session = requests.Session()
            session.cookies.update(self.session.cookies)
            barrier.wait()
            statuses[k] = session.post(self.base + path, data=data, allow_redirects=False, timeout=120).status_code

        threads = [threading.Thread(target=one, args=(k,)) for k in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return statuses


def fresh():
    """End the test's own transaction so that it reads what the server committed."""
    db.session.rollback()


def status_changes(table: str, entity_id: int) -> int:
    fresh()
    records = db.session.scalars(sa.select(AuditRecord).where(
        AuditRecord.entity_type == table, AuditRecord.entity_id == str(entity_id),
        AuditRecord.action == AuditAction.UPDATE)).all()
    return sum(1 for r in records if "status" in r.changes)


def count(model, *conditions) -> int:
    fresh()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*conditions))


def no_500(statuses: list[int]) -> None:
    assert all(s in (200, 302, 303, 400, 409) for s in statuses), statuses


@pytest.fixture
def firm(cast):
    enterprise = cast.contact.enterprise
    enterprise.assigned_officer = cast.officer
    db.session.commit()
    return enterprise


@pytest.fixture
def category(app):
    return db.session.scalar(sa.select(NeedCategory).order_by(NeedCategory.id))


def make_need(firm, category, cast, status=NeedStatus.PENDING) -> Need:
    need = needs.create_need(firm, needs.NeedData(source=NeedSource.VISIT, category=category, content="通关慢",
                                                  raised_on=date(2019, 9, 27), assigned_officer=cast.officer))
    if status is not NeedStatus.PENDING:
        needs.accept(need)
    if status is NeedStatus.RESOLVED:
        needs.resolve(need, "已办结")
    db.session.commit()
    return need


# Needs: transitions ------------------------------------------------------------------------------
@pytest.mark.parametrize("action,start,data", [
    ("accept", NeedStatus.PENDING, {}),
    ("resolve", NeedStatus.IN_PROGRESS, {"text": "已开通预约办理"}),
    ("unresolvable", NeedStatus.IN_PROGRESS, {"explanation": "政策不允许"}),
])
def test_a_need_transition_happens_once(server, cast, firm, category, action, start, data):
    need = make_need(firm, category, cast, start)
    before = status_changes("needs", need.id)
    officer = Browser(server, "officer")
    no_500(officer.burst(f"/needs/{need.id}/{action}", {**officer.form(f"/needs/{need.id}"), **data}))
    assert status_changes("needs", need.id) == before + 1


def test_close_off_happens_once(server, cast, firm, category):
    need = make_need(firm, category, cast, NeedStatus.RESOLVED)
    needs.record_follow_up(need, date.today(), Satisfaction.SATISFIED, by=cast.officer)
    db.session.commit()
    before = status_changes("needs", need.id)
    officer = Browser(server, "officer")
    no_500(officer.burst(f"/needs/{need.id}/close", officer.form(f"/needs/{need.id}")))
    assert status_changes("needs", need.id) == before + 1
    assert db.session.get(Need, need.id).status is NeedStatus.CLOSED


def test_a_follow_up_is_recorded_once(server, cast, firm, category):
    need = make_need(firm, category, cast, NeedStatus.RESOLVED)
    officer = Browser(server, "officer")
    data = {**officer.form(f"/needs/{need.id}"), "held_on": date.today().isoformat(),
            "satisfaction": "dissatisfied", "note": "仍然很慢"}
    no_500(officer.burst(f"/needs/{need.id}/follow-ups", data))
    assert count(FollowUp, FollowUp.need_id == need.id) == 1
    # The dissatisfied follow-up reopened the need once.
    assert db.session.get(Need, need.id).status is NeedStatus.IN_PROGRESS


def test_an_extension_is_requested_once_and_decided_once(server, cast, firm, category):
    need = make_need(firm, category, cast, NeedStatus.IN_PROGRESS)
    officer = Browser(server, "officer")
    data = {**officer.form(f"/needs/{need.id}"), "new_deadline": "2030-12-31", "reason": "企业材料未齐"}
    no_500(officer.burst(f"/needs/{need.id}/extensions", data))
    assert count(DeadlineExtension, DeadlineExtension.need_id == need.id) == 1
    extension = db.session.scalar(sa.select(DeadlineExtension).where(DeadlineExtension.need_id == need.id))

    manager = Browser(server, "manager")
    deadline_changes_before = _deadline_changes(need.id)
    no_500(manager.burst(f"/needs/extensions/{extension.id}/decide",
                         {**manager.form(f"/needs/{need.id}"), "decision": "approve", "note": ""}))
    assert status_changes("deadline_extensions", extension.id) == 1
    assert db.session.get(DeadlineExtension, extension.id).status is ExtensionStatus.APPROVED
    assert _deadline_changes(need.id) == deadline_changes_before + 1
    assert db.session.get(Need, need.id).deadline == date(2030, 12, 31)


def _deadline_changes(need_id: int) -> int:
    fresh()
    records = db.session.scalars(sa.select(AuditRecord).where(
        AuditRecord.entity_type == "needs", AuditRecord.entity_id == str(need_id),
        AuditRecord.action == AuditAction.UPDATE)).all()
    return sum(1 for r in records if "deadline" in r.changes)


def test_a_rating_is_recorded_once(server, cast, firm, category):
    need = make_need(firm, category, cast, NeedStatus.RESOLVED)
    contact = Browser(server, "yalisi")
    data = {**contact.form(f"/portal/needs/{need.id}"), "satisfaction": "satisfied", "note": "很好"}
    no_500(contact.burst(f"/portal/needs/{need.id}/rate", data))
    assert count(FollowUp, FollowUp.need_id == need.id) == 1


# Creating forms ----------------------------------------------------------------------------------
def test_a_need_form_sent_thirty_times_records_one_need(server, cast, firm, category):
    officer = Browser(server, "officer")
    data = {**officer.form(f"/needs/new/{firm.id}"), "source": "visit", "category_id": str(category.id),
            "content": "希望缩短原产地证办理时间", "department_id": "0", "assigned_officer_id": "0",
            "raised_on": "2019-09-27", "deadline": ""}
    statuses = officer.burst(f"/needs/new/{firm.id}", data)
    no_500(statuses)
    assert count(Need, Need.enterprise_id == firm.id) == 1
    assert statuses.count(302) == N  # every one of them is sent to the need


def test_a_visit_form_sent_thirty_times_logs_one_visit(server, cast, firm, category):
    officer = Browser(server, "officer")
    path = f"/visits/new?enterprise_id={firm.id}"
    data = {**officer.form(path), "visited_at": "2019-09-27T09:30", "visit_type": "workshop", "campaign_id": "0",
            "officers": [str(cast.officer.id)], "summary": "了解企业通关情况", "findings": "", "follow_up_on": "",
            "other_attendees": "", "needs-0-category_id": str(category.id), "needs-0-content": "通关慢",
            "needs-0-department_id": "0"}
    no_500(officer.burst(path, data))
    assert count(Visit, Visit.enterprise_id == firm.id) == 1
    assert count(Need, Need.enterprise_id == firm.id) == 1  # and the need raised at it, once


# Plans -------------------------------------------------------------------------------------------
@pytest.fixture
def plan(cast, firm):
    campaign = create_campaign(name="2019年百企大调研", office=cast.org.yingkou, year=2019)
    plan = plans.create_plan(firm, campaign, "提升通关效率", cast.officer)
    plans.add_measure(plan, description="原产地证预约办理", owner=cast.officer, deadline=date(2019, 12, 31),
                      today=date(2019, 10, 8))  # drafted in 2019 (tracker.dates: no deadline in the past)
    db.session.commit()
    return plan


def test_a_measure_form_sent_thirty_times_adds_one_measure(server, cast, plan):
    officer = Browser(server, "officer")
    data = {**officer.form(f"/plans/{plan.id}"), "description": "上门辅导", "owner_id": str(cast.officer.id),
            "deadline": "2099-12-31"}
    no_500(officer.burst(f"/plans/{plan.id}/measures", data))
    assert count(PlanMeasure, PlanMeasure.plan_id == plan.id) == 2


def test_submit_approve_and_return_each_happen_once(server, cast, plan):
    officer, manager = Browser(server, "officer"), Browser(server, "manager")
    no_500(officer.burst(f"/plans/{plan.id}/submit", officer.form(f"/plans/{plan.id}")))
    assert status_changes("assistance_plans", plan.id) == 1
    no_500(manager.burst(f"/plans/{plan.id}/return", {**manager.form(f"/plans/{plan.id}"), "comment": "请写明时限"}))
    assert status_changes("assistance_plans", plan.id) == 2
    assert db.session.get(AssistancePlan, plan.id).status is PlanStatus.DRAFT
    no_500(officer.burst(f"/plans/{plan.id}/submit", officer.form(f"/plans/{plan.id}")))
    no_500(manager.burst(f"/plans/{plan.id}/approve", manager.form(f"/plans/{plan.id}")))
    assert status_changes("assistance_plans", plan.id) == 4
    assert db.session.get(AssistancePlan, plan.id).status is PlanStatus.APPROVED


def test_measure_progress_is_recorded_once(server, cast, plan):
    plans.submit(plan, cast.officer)
    plans.approve(plan, cast.manager)
    plans.start(plan, cast.officer)
    db.session.commit()
    measure = plan.measures[0]
    officer = Browser(server, "officer")
    no_500(officer.burst(f"/plans/{plan.id}/measures/{measure.id}/progress",
                         {**officer.form(f"/plans/{plan.id}"), "status": "done", "result": "已开通"}))
    assert status_changes("plan_measures", measure.id) == 1


# Optimistic locking ------------------------------------------------------------------------------
def test_two_edits_of_one_need_from_the_same_version(server, cast, firm, category):
    """Two officers open the edit form at one version and save at once: one is saved (and audited), the
    other is told the need changed meanwhile and gets his form back with what he typed."""
    need = make_need(firm, category, cast)
    first, second = Browser(server, "officer"), Browser(server, "manager")
    forms = [b.form(f"/needs/{need.id}/edit") for b in (first, second)]
    assert forms[0]["version"] == forms[1]["version"]
    texts = ["第一个人的修改", "第二个人的修改"]
    fields = {"category_id": str(category.id), "department_id": "0", "assigned_officer_id": str(cast.officer.id)}
    barrier = threading.Barrier(2)
    responses = [None, None]

    def save(k: int):
        browser = (first, second)[k]
        data = {**forms[k], **fields, "content": texts[k]}
        barrier.wait()
        responses[k] = browser.session.post(f"{server}/needs/{need.id}/edit", data=data, allow_redirects=False)

    threads = [threading.Thread(target=save, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302, 409], statuses
    loser = next(r for r in responses if r.status_code == 409)
    winner = texts[[r.status_code for r in responses].index(302)]
    # The loser sees why, and his text is still in the form, at the version he now has to build on.
    assert "其他人" in loser.text and texts[[r.status_code for r in responses].index(409)] in loser.text
    fresh()
    assert db.session.get(Need, need.id).content == winner
    edits = [r for r in db.session.scalars(sa.select(AuditRecord).where(
        AuditRecord.entity_type == "needs", AuditRecord.entity_id == str(need.id),
        AuditRecord.action == AuditAction.UPDATE)) if "content" in r.changes]
    assert [e.changes["content"] for e in edits] == [["通关慢", winner]]


def test_the_version_check_itself_with_two_connections(app, cast, firm, category):
    """Below the pages: two sessions, each on its own connection, load one need at one version and both
    change it; the second commit matches no row (StaleDataError) and writes nothing."""
    from sqlalchemy.orm import Session
    from sqlalchemy.orm.exc import StaleDataError

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writes one transaction at a time (BEGIN IMMEDIATE): two threads above")
    need = make_need(firm, category, cast)
    with Session(db.engine) as first, Session(db.engine) as second:
        a, b = first.get(Need, need.id), second.get(Need, need.id)
        assert a.version_id == b.version_id == 1
        a.content, b.content = "先保存的", "后保存的"
        first.commit()
        with pytest.raises(StaleDataError):
            second.commit()
    fresh()
    assert db.session.get(Need, need.id).content == "先保存的" and db.session.get(Need, need.id).version_id == 2


def test_an_import_commit_sent_thirty_times_imports_once(server, cast):
    """Thirty commit posts of one checked import: one commit (the row is locked and its state re-checked),
    its firms and counts written once, and no 500 (PostgreSQL answered IntegrityError before issue 8)."""
    from tracker.enterprises.models import Enterprise
    from tracker.imports.models import DeclarationCount, DeclarationImport, ImportStatus
    from tracker.offices.models import Office

    officer = Browser(server, "officer")
    office = db.session.scalar(sa.select(Office.id).where(Office.code == "0930"))
    uploaded = officer.session.post(f"{server}/imports/new", allow_redirects=False, data={
        **officer.form("/imports/new"), "office_id": str(office), "year": ""},
        files={"file": ("统计.csv", IMPORT_ROWS.encode(), "text/csv")})
    assert uploaded.status_code == 302, uploaded.text[:500]
    import_id = int(uploaded.headers["Location"].rsplit("/", 1)[1])
    assert count(DeclarationImport, DeclarationImport.id == import_id,
                 DeclarationImport.status == ImportStatus.READY) == 1
    no_500(officer.burst(f"/imports/{import_id}/commit", officer.form(f"/imports/{import_id}")))
    assert count(DeclarationImport, DeclarationImport.id == import_id,
                 DeclarationImport.status == ImportStatus.COMMITTED) == 1
    assert count(Enterprise, Enterprise.name.like("任务测试企业%")) == 3
    assert count(DeclarationCount, DeclarationCount.import_id == import_id) == 3
    firm_inserts = count(AuditRecord, AuditRecord.entity_type == "enterprises", AuditRecord.action == AuditAction.INSERT,
                         AuditRecord.entity_id.in_(sa.select(sa.cast(Enterprise.id, sa.String))
                                                   .where(Enterprise.name.like("任务测试企业%"))))
    assert firm_inserts == 3


# Visits -------------------------------------------------------------------------------------------
def test_a_visit_follow_up_sent_thirty_times_records_one_callback(server, cast, firm):
    """The callback form carries a one-time key and its route locks the visit: one callback, one
    cleared follow-up date, every request sent back to the page."""
    from datetime import datetime, timedelta, timezone

    from tracker.i18n import local_today
    from tracker.visits.models import VisitCallback, VisitType

    today = local_today()
    visit = Visit(enterprise=firm, visited_at=datetime(2019, 9, 20, 2, tzinfo=timezone.utc),
                  visit_type=VisitType.DOOR_TO_DOOR, follow_up_on=today - timedelta(days=1), officers=[cast.officer])
    db.session.add(visit)
    db.session.commit()
    officer = Browser(server, "officer")
    path = f"/visits/{visit.id}/follow-up"
    data = {**officer.form(path), "held_on": today.isoformat(), "channel": "phone", "note": "企业表示满意"}
    statuses = officer.burst(path, data)
    no_500(statuses)
    assert statuses.count(302) == N
    assert count(VisitCallback, VisitCallback.visit_id == visit.id) == 1
    assert db.session.get(Visit, visit.id).follow_up_on is None
    assert sum(1 for r in db.session.scalars(sa.select(AuditRecord).where(
        AuditRecord.entity_type == "visits", AuditRecord.entity_id == str(visit.id),
        AuditRecord.action == AuditAction.UPDATE)) if "follow_up_on" in r.changes) == 1
