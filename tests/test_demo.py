"""Demo data: the firms of the articles, ~300 generated firms, three years of counts, the 2019 campaign and its
visits, needs and assistance plans."""
import hashlib
import os
import re
import statistics
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from tracker.appointments.models import Appointment, ServicePoint
from tracker.audit.models import AuditRecord
from tracker.auth.models import Role, User
from tracker.certification.models import Assessment, CertificationApplication, CertificationStandard
from tracker.briefings.models import Briefing, BriefingInvitation, BriefingRegistration
from tracker.campaigns.models import Campaign, RosterDecisionKind, RosterEntry, RosterSource
from tracker.campaigns.services import decide
from tracker.imports.models import DeclarationCount
from tracker.demo import NAMED_FIRMS, demo_firms, generate_firms, make_uscc
from tracker.demo_names import BRANDS, DISTRICTS
from tracker.demo_outreach import PLANS, VISITS
from tracker.enterprises.identifiers import validate_uscc
from tracker.enterprises.models import CreditRating, Enterprise, EnterpriseContact
from tracker.enterprises.reference import ECONOMIC_ZONES, CreditRegime
from tracker.extensions import db
from tracker.i18n import LOCAL_TZ
from tracker.offices.models import Department, Office
from tracker.needs.models import (
    DeadlineExtension,
    ExtensionStatus,
    FollowUp,
    Need,
    NeedEntry,
    NeedEntryKind,
    NeedSource,
    NeedStatus,
    Satisfaction,
)
from tracker.mail.models import OutboxMessage
from tracker.notifications.models import Notification
from tracker.questionnaires.models import Answer, Questionnaire, Response
from tracker.plans.models import AssistancePlan, MeasureStatus, PlanMeasure, PlanStatus
from tracker.visits.models import Visit, VisitType
from tracker.needs.services import confirmation_after_resolution, default_deadline
from tracker.plans.services import SETTLED_NEED_STATUSES, completion_blockers
from tracker.workdays.services import is_working_day

DEMO_PASSWORD = "demo password 2019"
ROOT = Path(__file__).resolve().parent.parent
# The first demo seed's codes: the contact users yalisi and longxin were created against them.
YALISI = "91210800MA0YLJ001Y"
LONGXIN = "91210804MA0LXG0029"
NAMED = {
    "营口雅丽丝服装有限公司": "0930",
    "五矿营口中板有限责任公司": "0930",
    "营口光阳耐火材料有限公司": "0930",
    "宏群胜精密电子(营口)有限公司": "0930",
    "营口隆鑫果品有限公司": "0931",
}
SCREENED_NAMED = set(NAMED) - {"营口隆鑫果品有限公司"}


def count(model):
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def seed(runner):
    result = runner.invoke(args=["seed-demo", "--password", DEMO_PASSWORD])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    return result.output


def firms_by_name():
    return {f.name: f for f in db.session.scalars(sa.select(Enterprise))}


def counts_2019():
    return dict(db.session.execute(
        sa.select(DeclarationCount.enterprise_id, DeclarationCount.declarations).where(DeclarationCount.year == 2019)
    ).all())


def campaign_2019():
    return db.session.scalar(
        sa.select(Campaign).join(Office).where(Campaign.name == "2019年百企大调研", Office.code == "0930")
    )


def test_named_firms_keep_their_codes_and_get_their_story(runner):
    seed(runner)
    firms = firms_by_name()
    assert {name: firms[name].office.code for name in NAMED} == NAMED
    assert firms["营口雅丽丝服装有限公司"].uscc == YALISI == make_uscc("91", "210800", "MA0YLJ001")
    assert firms["营口隆鑫果品有限公司"].uscc == LONGXIN == make_uscc("91", "210804", "MA0LXG002")
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    assert users["yalisi"].enterprise.uscc == YALISI and users["longxin"].enterprise.uscc == LONGXIN

    yalisi = firms["营口雅丽丝服装有限公司"]
    assert yalisi.economic_type == "4" and yalisi.customs_code[5] == "4" and yalisi.is_key
    assert {m.code for m in yalisi.trade_modes} == {"0214", "0615"}
    assert [(r.regime, r.level, r.valid_from, r.valid_to) for r in reversed(yalisi.credit_ratings)] == [
        (CreditRegime.DECREE_237, "general_credit", date(2018, 5, 1), date(2019, 8, 31)),
        (CreditRegime.DECREE_237, "general_certified", date(2019, 9, 1), None),
    ]
    assert yalisi.credit_level == "general_certified"

    minmetals = firms["五矿营口中板有限责任公司"]
    assert [(r.regime, r.level, r.valid_from) for r in reversed(minmetals.credit_ratings)] == [
        (CreditRegime.DECREE_237, "advanced_certified", date(2018, 5, 1)),
        (CreditRegime.DECREE_251, "advanced_certified", date(2021, 11, 1)),
    ]
    assert minmetals.credit_level == "advanced_certified"

    officers = {"营口雅丽丝服装有限公司": "officer", "五矿营口中板有限责任公司": "officer2",
                "营口光阳耐火材料有限公司": "officer", "宏群胜精密电子(营口)有限公司": "officer2",
                "营口隆鑫果品有限公司": "bayuquan-officer"}
    for name, username in officers.items():
        firm = firms[name]
        assert firm.assigned_officer.username == username
        assert firm.assigned_officer.office.contains(firm.office)
        assert firm.district in DISTRICTS.values() and firm.industry and firm.address
        assert firm.contacts and all(re.fullmatch(r"0417-\d{7}", c.phone) and c.title for c in firm.contacts)
        assert validate_uscc(firm.uscc) == firm.uscc
    assert {name for name in NAMED if firms[name].is_key} == SCREENED_NAMED


def test_generated_firms_are_valid_distinct_and_as_generated(runner):
    seed(runner)
    named = {f.uscc for f in NAMED_FIRMS}
    firms = [f for f in db.session.scalars(sa.select(Enterprise)) if f.uscc not in named]
    assert 250 <= len(firms) <= 350
    assert {f.name for f in firms} == {f.name for f in generate_firms()}

    everyone = list(db.session.scalars(sa.select(Enterprise)))
    assert len({f.name for f in everyone}) == len({f.uscc for f in everyone}) == len(everyone)
    codes = [f.customs_code for f in everyone]
    assert None not in codes and len(set(codes)) == len(codes)
    name_pattern = re.compile(r"(营口|大石桥市|盖州市)(\w\w)\w+(股份有限公司|有限责任公司|有限公司)")
    for firm in firms:
        assert validate_uscc(firm.uscc) == firm.uscc and firm.uscc[:2] == "91"
        assert DISTRICTS[firm.uscc[2:8]] == firm.district
        assert re.fullmatch(r"2108\d{6}", firm.customs_code)
        assert firm.customs_code[4] in ECONOMIC_ZONES and firm.customs_code[5] == firm.economic_type
        match = name_pattern.fullmatch(firm.name)
        assert match and match.group(2) in BRANDS, firm.name
        assert 1 <= len(firm.trade_modes) <= 2
        assert all(re.fullmatch(r"0417-\d{7}", c.phone) for c in firm.contacts)
        if firm.office.code == "0931":
            assert firm.district == "鲅鱼圈区" and firm.assigned_officer.username == "bayuquan-officer"
        else:
            assert firm.assigned_officer is None or firm.assigned_officer.username in ("officer", "officer2")
    share_0931 = sum(f.office.code == "0931" for f in firms) / len(firms)
    assert 0.1 <= share_0931 <= 0.3
    assert 10 <= sum(f.is_key for f in firms) <= 60
    rated = [f for f in firms if f.credit_ratings]
    assert 0.1 * len(firms) <= len(rated) <= 0.5 * len(firms)


def test_every_credit_history_is_a_chain_ending_in_the_current_level(runner):
    seed(runner)
    for firm in db.session.scalars(sa.select(Enterprise)):
        ratings = sorted(firm.credit_ratings, key=lambda r: r.valid_from)
        if not ratings:
            assert firm.credit_level is None
            continue
        assert firm.credit_level == ratings[-1].level and ratings[-1].valid_to is None
        for earlier, later in zip(ratings, ratings[1:]):
            assert earlier.valid_to == later.valid_from - timedelta(days=1)


def test_three_years_of_counts_and_a_roster_of_the_firms_at_80(runner):
    seed(runner)
    rows = db.session.execute(sa.select(DeclarationCount.year, DeclarationCount.import_id)).all()
    assert {year for year, _ in rows} == {2017, 2018, 2019}
    assert all(import_id is None for _, import_id in rows)
    firms = list(db.session.scalars(sa.select(Enterprise)))
    n2019 = counts_2019()
    assert set(n2019) == {f.id for f in firms}
    values = list(n2019.values())
    assert statistics.median(values) < 80 < statistics.mean(values)  # many small firms, a long tail
    assert 100 <= sum(n >= 80 for n in values) <= 130

    yingkou = db.session.scalar(sa.select(Office).where(Office.code == "0930"))
    expected = {f.id for f in firms if yingkou.contains(f.office) and f.archived_at is None and n2019[f.id] >= 80}
    campaign = campaign_2019()
    assert (campaign.declaration_year, campaign.threshold) == (2019, 80)
    assert (campaign.starts_on, campaign.ends_on) == (date(2019, 3, 1), date(2019, 6, 30))
    assert campaign.screened_at is not None and campaign.created_by_id is not None
    entries = list(db.session.scalars(sa.select(RosterEntry).where(RosterEntry.campaign_id == campaign.id)))
    assert len(entries) >= 100
    assert {e.enterprise_id for e in entries} == expected
    assert all(e.source is RosterSource.SCREENING and e.declarations == n2019[e.enterprise_id] for e in entries)

    by_name = {f.name: f for f in firms}
    on_roster = {e.enterprise_id for e in entries}
    assert {by_name[name].id for name in SCREENED_NAMED} <= on_roster
    assert by_name["营口隆鑫果品有限公司"].id not in on_roster and n2019[by_name["营口隆鑫果品有限公司"].id] < 80
    # Boundary cases: 80 is in, 79 is out, and a firm at 80 under 鲅鱼圈海关 is outside the campaign's area.
    at = {n: [f for f in firms if n2019[f.id] == n] for n in (79, 80)}
    assert any(f.office.code == "0930" for f in at[80]) and any(f.office.code == "0930" for f in at[79])
    assert any(f.office.code == "0931" for f in at[80])
    assert all((f.id in on_roster) == (f.office.code == "0930") for f in at[80])
    assert not any(f.id in on_roster for f in at[79])


def test_the_summary_reports_what_was_created_and_a_second_run_adds_nothing(runner):
    output = seed(runner)
    reported = {kind: int(n) for n, kind in re.findall(r"(\d+) ([a-z ]+?)[,.]", output)}
    models = {"offices": Office, "departments": Department, "users": User, "enterprises": Enterprise,
              "contacts": EnterpriseContact, "credit ratings": CreditRating, "declaration counts": DeclarationCount,
              "campaigns": Campaign, "roster entries": RosterEntry, "visits": Visit, "needs": Need,
              "assistance plans": AssistancePlan, "service points": ServicePoint, "appointments": Appointment,
              "briefings": Briefing, "briefing invitations": BriefingInvitation,
              "briefing registrations": BriefingRegistration, "questionnaires": Questionnaire,
              "questionnaire responses": Response, "certification standards": CertificationStandard,
              "certification assessments": Assessment, "certification applications": CertificationApplication}
    assert {kind: reported[kind] for kind in models} == {kind: count(model) for kind, model in models.items()}
    assert set(reported) == set(models)
    # What hangs off them is not re-created either, and a second run writes nothing at all.
    others = [NeedEntry, FollowUp, DeadlineExtension, PlanMeasure, Notification, AuditRecord, Answer, OutboxMessage]
    before = {m: count(m) for m in [*models.values(), *others]}
    screened_at = campaign_2019().screened_at

    assert "nothing added" in seed(runner)
    assert {m: count(m) for m in [*models.values(), *others]} == before
    assert campaign_2019().screened_at == screened_at

    # The roster is not screened again, so an officer's removal survives a later seed.
    campaign = campaign_2019()
    firm = db.session.scalar(sa.select(Enterprise).where(Enterprise.name == "营口光阳耐火材料有限公司"))
    officer = db.session.scalar(sa.select(User).where(User.username == "officer"))
    decide(campaign, firm, RosterDecisionKind.EXCLUDE, "已停产", officer)
    db.session.commit()
    assert "nothing added" in seed(runner)
    assert db.session.scalar(sa.select(RosterEntry).where(RosterEntry.enterprise_id == firm.id)) is None


def test_a_customs_code_already_taken_is_left_blank_not_clashed(runner, factory):
    first = generate_firms()[0]
    org = factory.org()
    other = factory.enterprise(org.yingkou, name="营口已有企业有限公司", customs_code=first.customs_code)
    factory.user(Role.OFFICER, org.yingkou, username="officer")
    db.session.commit()
    output = seed(runner)
    assert "7 users" in output  # officer was there already
    firm = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == first.uscc))
    assert firm.name == first.name and firm.customs_code is None
    assert db.session.get(Enterprise, other.id).customs_code == first.customs_code


def _digest(firms) -> str:
    return hashlib.sha256(repr(firms).encode()).hexdigest()


def test_generation_is_deterministic_across_calls_and_processes():
    once, again = generate_firms(), generate_firms()
    assert once == again
    assert 250 <= len(once) <= 350
    assert len({f.name for f in once}) == len(once)
    # Another interpreter with another hash seed makes the very same firms.
    code = "import hashlib; from tracker.demo import generate_firms; " \
           "print(hashlib.sha256(repr(generate_firms()).encode()).hexdigest())"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == _digest(once)


def test_generated_counts_include_the_boundary_cases():
    firms = generate_firms()
    values = [dict(f.declarations)[2019] for f in firms]
    assert values.count(79) >= 2 and values.count(80) >= 2
    assert all(len(f.declarations) in (2, 3) for f in firms)


# Outreach: the campaign's visits, needs and plans ------------------------------------------------------
SPRING_2019 = (date(2019, 3, 1), date(2019, 6, 30))
EVERY_VISIT_TYPE = set(VisitType)


def local_day(value) -> date:
    return value.astimezone(LOCAL_TZ).date()


def test_26_key_firms_of_the_roster_are_visited_in_spring_2019_by_pairs_of_officers(runner):
    seed(runner)
    campaign = campaign_2019()
    visits = list(db.session.scalars(sa.select(Visit).order_by(Visit.visited_at)))
    assert len(visits) == 26
    firms = {v.enterprise for v in visits}
    assert len(firms) == 26  # one visit to each of the 26 firms of the article
    assert SCREENED_NAMED <= {f.name for f in firms}  # 雅丽丝, 五矿中板, 光阳耐火, 宏群胜精密电子
    roster = set(db.session.scalars(sa.select(RosterEntry.enterprise_id).where(RosterEntry.campaign_id == campaign.id)))
    assert all(f.is_key and f.id in roster and f.office.code == "0930" for f in firms)

    pairs = set()
    for visit in visits:
        day = local_day(visit.visited_at)
        assert visit.campaign_id == campaign.id
        assert SPRING_2019[0] <= day <= SPRING_2019[1] and is_working_day(day), visit.visited_at
        assert 8 <= visit.visited_at.astimezone(LOCAL_TZ).hour < 17
        officers = {o.username for o in visit.officers}
        assert len(officers) >= 2 and all(o.role.is_staff and o.office.contains(visit.enterprise.office)
                                          for o in visit.officers)
        assert visit.created_by_id in {o.id for o in visit.officers}
        pairs.add(frozenset(officers))
        assert visit.topics and visit.summary and visit.findings
        assert re.search(r"[\u4e00-\u9fff]", visit.summary) and re.search(r"[\u4e00-\u9fff]", visit.findings)
        # The firm's recorded contacts attended; anyone else is typed in with a title.
        contacts = {c.id: c.name for c in visit.enterprise.contacts}
        linked = [a for a in visit.attendees if a.contact_id is not None]
        assert linked and all(contacts[a.contact_id] == a.name for a in linked)
        assert all(a.title for a in visit.attendees)
        # Dated in the story, not on the day the demo was seeded.
        # (changed last when its follow-up was recorded, if it was)
        assert local_day(visit.created_at) == day
        assert visit.updated_at == max([visit.created_at] + [c.created_at for c in visit.callbacks])
        assert visit.follow_up_on is None or visit.follow_up_on >= day
    assert len(pairs) >= 3  # the pairs vary
    assert {v.visit_type for v in visits} == EVERY_VISIT_TYPE
    assert any(a.name == "包海明" for v in visits for a in v.attendees)  # 雅丽丝's deputy general manager


def test_the_outreach_data_names_generated_key_firms_of_the_roster():
    """The generated firms are named in tracker/demo_outreach.py: they must stay what generate_firms makes."""
    specs = {f.name: f for f in demo_firms()}
    for name in {v.firm for v in VISITS} | {p.firm for p in PLANS}:
        firm = specs[name]
        assert firm.office_code == "0930" and firm.is_key and dict(firm.declarations)[2019] >= 80, name


def test_14_needs_in_every_state_with_working_day_deadlines(runner):
    seed(runner)
    campaign = campaign_2019()
    needs = list(db.session.scalars(sa.select(Need).order_by(Need.id)))
    assert len(needs) == 14
    by_status = {s: [n for n in needs if n.status is s] for s in NeedStatus}
    assert all(by_status.values()), {s: len(v) for s, v in by_status.items()}  # every state is there

    for need in needs:
        visit = need.visit
        assert visit is not None and visit.enterprise_id == need.enterprise_id and need.campaign_id == campaign.id
        assert need.source is NeedSource.VISIT and need.raised_on == local_day(visit.visited_at)
        assert need.department is not None and need.department.office.code == "0930"
        assert need.assigned_officer in visit.officers
        # The deadline is the category's working days, moved only by an approved extension.
        approved = [e for e in need.extensions if e.status is ExtensionStatus.APPROVED]
        working_days = default_deadline(need.raised_on, need.category)
        assert need.deadline == (approved[-1].new_deadline if approved else working_days)
        if approved:
            assert approved[0].old_deadline == working_days
            assert approved[0].decided_by.username == "manager" and approved[0].requested_at < approved[0].decided_at
        # The history is dated in 2019 and in order.
        times = [need.created_at, *(e.created_at for e in need.entries), *(f.created_at for f in need.follow_ups)]
        assert all(t.year == 2019 for t in times) and local_day(need.created_at) == need.raised_on
        assert [e.created_at for e in need.entries] == sorted(e.created_at for e in need.entries)

    for need in by_status[NeedStatus.IN_PROGRESS]:
        assert any(e.kind is NeedEntryKind.PROGRESS for e in need.entries)
    for need in by_status[NeedStatus.RESOLVED]:  # waiting for the firm's confirmation or a follow-up call
        assert need.resolved_at and confirmation_after_resolution(need) is None and not need.follow_ups
    for need in by_status[NeedStatus.CLOSED]:
        confirmation = confirmation_after_resolution(need)
        assert confirmation is not None and confirmation.satisfaction is Satisfaction.SATISFIED
        assert need.resolved_at <= confirmation.created_at <= need.closed_at
    for need in by_status[NeedStatus.UNRESOLVABLE]:
        assert need.explanation and need.closed_at
    # 不满意 sent one back to 办理中, and work went on after it.
    reopened = [n for n in needs if any(f.satisfaction is Satisfaction.DISSATISFIED for f in n.follow_ups)]
    assert len(reopened) == 1 and reopened[0].status is NeedStatus.IN_PROGRESS and reopened[0].resolved_at is None
    assert reopened[0].entries[-1].created_at > reopened[0].follow_ups[-1].created_at
    # One went past its deadline without an extension while still open; one had its deadline extended.
    assert any(n.status.is_open and not n.extensions and n.deadline < SPRING_2019[1] for n in needs)
    assert any(e.status is ExtensionStatus.APPROVED for n in needs for e in n.extensions)
    assert any(e.kind is NeedEntryKind.INTERNAL for n in needs for e in n.entries)
    # The firm's own contact rated one resolution in the portal.
    assert any(f.by.username == "yalisi" for n in needs for f in n.follow_ups)
    named = {n.enterprise.name for n in needs}
    assert SCREENED_NAMED <= named


def test_plans_in_every_state_and_a_completed_one_that_meets_the_rules(runner):
    seed(runner)
    campaign = campaign_2019()
    plans = list(db.session.scalars(sa.select(AssistancePlan).order_by(AssistancePlan.id)))
    assert {p.status for p in plans} == set(PlanStatus)
    visited = set(db.session.scalars(sa.select(Visit.enterprise_id)))
    for plan in plans:
        assert plan.campaign_id == campaign.id and plan.enterprise_id in visited
        assert plan.objective and plan.measures and plan.created_at.year == 2019
        assert plan.created_by.id == plan.enterprise.assigned_officer_id
        assert all(n.enterprise_id == plan.enterprise_id for m in plan.measures for n in m.needs)
        if plan.status in (PlanStatus.APPROVED, PlanStatus.IN_PROGRESS, PlanStatus.COMPLETED):
            assert plan.approved_by.username == "manager" and plan.submitted_at < plan.approved_at
    # The browser test drafts 光阳耐火's plan itself: one firm, one plan.
    assert "营口光阳耐火材料有限公司" not in {p.enterprise.name for p in plans}

    linked = {n.id for p in plans for m in p.measures for n in m.needs}
    assert len(linked) >= 10
    returned = [p for p in plans if p.status is PlanStatus.DRAFT and p.return_comment]
    assert returned and all(p.submitted_at is not None for p in returned)
    assert any(p.status is PlanStatus.DRAFT and p.submitted_at is None for p in plans)

    completed = [p for p in plans if p.status is PlanStatus.COMPLETED]
    assert len(completed) == 1 and completed[0].enterprise.name == "营口雅丽丝服装有限公司"
    plan = completed[0]
    assert completion_blockers(plan) == []
    assert all(m.status is MeasureStatus.DONE and m.result for m in plan.measures)
    assert all(n.status in SETTLED_NEED_STATUSES for m in plan.measures for n in m.needs)
    for plan in plans:
        if plan.status is PlanStatus.IN_PROGRESS:
            assert {m.status for m in plan.measures} >= {MeasureStatus.DONE}
            assert completion_blockers(plan)  # not finished yet, so not completed


def test_outreach_missing_from_an_older_demo_database_is_added_alone(runner):
    seed(runner)
    for model in (AssistancePlan, Need, Visit, Notification):
        for row in db.session.scalars(sa.select(model)):
            db.session.delete(row)
    db.session.commit()

    output = seed(runner)
    assert output.startswith("Demo data added: 26 visits, 14 needs, 7 assistance plans.")
    assert (count(Visit), count(Need), count(AssistancePlan)) == (26, 14, 7)


def test_every_demo_user_has_his_post_and_pages_name_him_by_it(runner, client):
    from tests.conftest import AuthActions

    seed(runner)
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    assert {name: user.label for name, user in users.items()} == {
        "admin": "系统管理员", "manager": "王科长 · 科长", "manager-dl": "李处长 · 处长", "officer": "张关员 · 关员",
        "officer2": "刘关员 · 关员", "bayuquan-officer": "赵关员 · 关员", "yalisi": "孙丽娟 · 单证主管",
        "longxin": "于海涛 · 外贸部经理"}
    auth = AuthActions(client)
    auth.login("manager-dl", DEMO_PASSWORD)
    home = client.get("/").get_data(as_text=True)
    assert 'id="who">处长 · 大连海关' in home
    auth.logout()
    auth.login("officer", DEMO_PASSWORD)
    yalisi = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == YALISI))
    form = client.get(f"/needs/new/{yalisi.id}").get_data(as_text=True)
    assert ">张关员 · 关员</option>" in form and "(officer)" not in form

    # A database seeded before posts were data gets them on the next seed; a post an admin set is kept.
    users["officer2"].title = None
    users["manager"].title = "副科长"
    db.session.commit()
    seed(runner)
    assert db.session.get(User, users["officer2"].id).title == "关员"
    assert db.session.get(User, users["manager"].id).title == "副科长"


def test_two_demo_follow_ups_are_recorded_on_their_visits_pages(runner, client):
    """The demo holds recorded callbacks (回访), dated in the story, so a visit's page shows its history."""
    from tests.conftest import AuthActions
    from tracker.visits.models import CallbackChannel, VisitCallback

    seed(runner)
    callbacks = list(db.session.scalars(sa.select(VisitCallback).order_by(VisitCallback.held_on)))
    assert [(c.held_on, c.channel) for c in callbacks] == [
        (date(2019, 3, 19), CallbackChannel.PHONE), (date(2019, 3, 27), CallbackChannel.MESSAGE)]
    for c in callbacks:
        assert c.visit.follow_up_on is None and c.due_on <= c.held_on and local_day(c.created_at) == c.held_on
        assert c.by_id in {o.id for o in c.visit.officers}
    auth = AuthActions(client)
    auth.login("officer", DEMO_PASSWORD)
    text = client.get(f"/visits/{callbacks[1].visit_id}").get_data(as_text=True)
    assert "原产地证书预约办理已试用两次" in text and "2019-03-27" in text
    seed(runner)  # a second run adds none
    assert db.session.scalar(sa.select(sa.func.count(VisitCallback.id))) == 2
