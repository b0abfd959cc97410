"""Certification coaching, remediation (issue 14, item 3) and the way from the firm's self-assessment to the
customs' own: a shortfall becomes a measure of the firm's assistance plan with an owner and a deadline of at
most 90 days, one per shortfall; re-scoring after the fix keeps the item's history; an overdue fix shows in My
work; the notices of sharing and submitting; the customs' assessment started from a submitted self-assessment."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import Factory, csrf_from, query_count, race, submission_key_from
from tracker.certification import services
from tracker.certification.models import (
    Assessment, AssessmentKind, AssessmentStatus, ItemScore, ItemScoreHistory, Score, StandardItem,
)
from tracker.extensions import db
from tracker.i18n import local_today
from tracker.notifications.models import Notification, NotificationKind
from tracker.plans import services as plans
from tracker.plans.models import MeasureStatus, PlanMeasure, PlanStatus

MET, MOSTLY, NOT_MET = Score.MET, Score.MOSTLY, Score.NOT_MET


def login(auth, who):
    assert auth.login(who.username).status_code == 302


def item_of(assessment, number: str) -> StandardItem:
    return db.session.scalar(sa.select(StandardItem).where(StandardItem.standard_id == assessment.standard_id,
                                                           StandardItem.number == number))


def measures() -> list[PlanMeasure]:
    db.session.expire_all()
    return db.session.scalars(sa.select(PlanMeasure).order_by(PlanMeasure.id)).all()


def notices(kind) -> list[Notification]:
    return db.session.scalars(sa.select(Notification).where(Notification.kind == kind)
                              .order_by(Notification.id)).all()


@pytest.fixture
def coached(cast):
    """雅丽丝, assigned to the officer, with a draft plan in the 2019 campaign and a customs assessment in which
    3.2.1 is not met and 1.1.2 mostly met (1.1.1 met)."""
    firm = cast.contact.enterprise
    firm.assigned_officer = cast.officer
    campaign = Factory.campaign(cast.org.yingkou)
    plan = Factory.plan(firm, campaign, cast.officer)
    assessment = Factory.assessment(firm, cast.officer, scores={"1.1.1": MET, "1.1.2": MOSTLY, "3.2.1": NOT_MET})
    db.session.commit()
    return assessment, plan


@pytest.fixture
def officer2(factory, cast):
    """Another officer of 营口海关, not the firm's."""
    user = factory.user("officer", cast.org.yingkou, username="officer-wang")
    db.session.commit()
    return user


def fix_form(client, assessment, item):
    page = client.get(f"/certification/assessments/{assessment.id}/items/{item.id}")
    assert page.status_code == 200
    return page


def post_fix(client, assessment, item, page=None, **fields):
    page = page or fix_form(client, assessment, item)
    text = page.get_data(as_text=True)
    target = re.search(r'<option[^>]*value="((?:plan|campaign):\d+)"', text).group(1)
    data = {"csrf_token": csrf_from(page), "submission_key": submission_key_from(page), "target": target,
            "description": "建立关务内控制度并培训", "owner_id": "", "deadline": ""}
    data.update(fields)
    return client.post(f"/certification/assessments/{assessment.id}/items/{item.id}/remediation", data=data)


def test_a_shortfall_becomes_a_measure_of_the_plan_with_an_owner_and_a_deadline(client, auth, cast, coached,
                                                                               officer2):
    assessment, plan = coached
    item = item_of(assessment, "3.2.1")
    login(auth, cast.officer)
    page = fix_form(client, assessment, item)
    text = page.get_data(as_text=True)
    assert 'id="remediation-form"' in text and "2019年百企大调研" in text
    # The assessment lists the shortfall with a link to plan its fix.
    listing = client.get(f"/certification/assessments/{assessment.id}").get_data(as_text=True)
    assert f'data-plan-fix="{item.id}"' in listing
    deadline = local_today() + timedelta(days=90)
    done = post_fix(client, assessment, item, page, owner_id=str(officer2.id), deadline=deadline.isoformat())
    assert done.status_code == 302 and done.headers["Location"].endswith("#remediation")
    [measure] = [m for m in measures() if m.item_id is not None]
    assert (measure.plan_id, measure.assessment_id, measure.item_id) == (plan.id, assessment.id, item.id)
    assert (measure.owner_id, measure.deadline, measure.set_on) == (officer2.id, deadline, local_today())
    assert measure.status is MeasureStatus.OPEN and measure.description == "建立关务内控制度并培训"
    # The owner is told; the assessment and the plan show the fix.
    [notice] = notices(NotificationKind.REMEDIATION_ASSIGNED)
    assert notice.user_id == officer2.id and notice.link == f"/plans/{plan.id}"
    listing = client.get(f"/certification/assessments/{assessment.id}").get_data(as_text=True)
    assert f'data-remediation="{measure.id}"' in listing and f'data-plan-fix="{item.id}"' not in listing
    plan_page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert 'data-remediation-item="3.2.1"' in plan_page
    item_page = client.get(f"/certification/assessments/{assessment.id}/items/{item.id}").get_data(as_text=True)
    assert 'id="remediation-measure"' in item_page and 'id="remediation-form"' not in item_page
    # A second fix of the same shortfall, with a fresh form key: refused in words, nothing written.
    again = post_fix(client, assessment, item, fix_form(client, assessment, item_of(assessment, "1.1.2")),
                     owner_id=str(cast.officer.id), deadline=deadline.isoformat())
    assert again.status_code == 400 and "该差距的整改措施已在帮扶方案中" in again.get_data(as_text=True)
    assert len([m for m in measures() if m.item_id is not None]) == 1


@pytest.mark.parametrize("days, owner, message", [
    (91, True, "差距须在90天内整改"),
    (-1, True, "不能早于今天"),
    (None, True, "请填写办理时限"),
    (30, False, "请选择负责人"),
])
def test_a_fix_needs_an_owner_and_a_deadline_within_90_days(client, auth, cast, coached, days, owner, message):
    assessment, plan = coached
    item = item_of(assessment, "3.2.1")
    login(auth, cast.officer)
    deadline = "" if days is None else (local_today() + timedelta(days=days)).isoformat()
    refused = post_fix(client, assessment, item, owner_id=str(cast.officer.id) if owner else "", deadline=deadline)
    assert refused.status_code == 400 and message in refused.get_data(as_text=True)
    assert [m.item_id for m in measures()] == [None]  # the plan's own measure only


def test_only_a_shortfall_of_the_customs_assessment_gets_a_fix_and_only_from_its_planners(client, auth, cast,
                                                                                       coached, officer2):
    assessment, plan = coached
    deadline = (local_today() + timedelta(days=30)).isoformat()
    met = item_of(assessment, "1.1.1")
    login(auth, cast.officer)
    page = client.get(f"/certification/assessments/{assessment.id}/items/{met.id}").get_data(as_text=True)
    assert 'id="remediation-form"' not in page
    blind = auth.post(f"/certification/assessments/{assessment.id}/items/{met.id}/remediation", {
        "target": f"plan:{plan.id}", "description": "x", "owner_id": str(cast.officer.id), "deadline": deadline},
        form_page=f"/certification/assessments/{assessment.id}/items/{item_of(assessment, '3.2.1').id}")
    assert blind.status_code == 400 and "1.1.1项不是本次评估的差距" in blind.get_data(as_text=True)
    auth.logout()
    # An officer of the office who is not the firm's: no form, and a 403 on the POST.
    login(auth, officer2)
    item = item_of(assessment, "3.2.1")
    assert 'id="remediation-form"' not in client.get(
        f"/certification/assessments/{assessment.id}/items/{item.id}").get_data(as_text=True)
    assert auth.post(f"/certification/assessments/{assessment.id}/items/{item.id}/remediation",
                     {"target": f"plan:{plan.id}"}).status_code == 403
    auth.logout()
    # Another office's officer: a 404, as if there were no such assessment. The firm's contact: 403.
    login(auth, cast.officer_byq)
    assert auth.post(f"/certification/assessments/{assessment.id}/items/{item.id}/remediation",
                     {"target": f"plan:{plan.id}"}).status_code == 404
    auth.logout()
    services.share(db.session.get(Assessment, assessment.id), by=cast.officer)
    db.session.commit()
    login(auth, cast.contact)
    assert auth.post(f"/certification/assessments/{assessment.id}/items/{item.id}/remediation",
                     {"target": f"plan:{plan.id}"}).status_code == 403
    assert [m.item_id for m in measures()] == [None]


def test_a_fix_goes_into_an_approved_plan_or_a_new_one_never_into_one_awaiting_approval(app, cast):
    firm = cast.contact.enterprise
    firm.assigned_officer = cast.officer
    old = Factory.campaign(cast.org.yingkou)
    under_way = Factory.campaign(cast.org.yingkou, year=2026, name="2026年百企大调研")
    plan = Factory.plan(firm, old, cast.officer)
    plans.submit(plan, by=cast.officer)
    assessment = Factory.assessment(firm, cast.officer, scores={"3.2.1": NOT_MET, "1.1.2": MOSTLY})
    db.session.commit()
    today = local_today()
    targets = services.remediation_targets(firm, today)
    # A plan awaiting approval is not offered; the campaign under way is, as a new plan.
    assert [t.value for t in targets] == [f"campaign:{under_way.id}"]
    with pytest.raises(Exception, match="待审批"):
        plans.add_remediation(plan, assessment_id=assessment.id, item_id=item_of(assessment, "3.2.1").id,
                              description="x", owner=cast.officer, deadline=today + timedelta(days=10))
    db.session.rollback()
    measure = services.plan_remediation(
        assessment, item_of(assessment, "3.2.1"), target=f"campaign:{under_way.id}", description="完善内部审计",
        owner=cast.officer, deadline=today + timedelta(days=60), by=cast.officer)
    new_plan = measure.plan
    assert new_plan.campaign_id == under_way.id and new_plan.status is PlanStatus.DRAFT
    # Approved and started, the plan still takes a fix: the standard says what must be fixed.
    plans.approve(plan, by=cast.manager)
    plans.start(plan, by=cast.officer)
    fix = services.plan_remediation(assessment, item_of(assessment, "1.1.2"), target=f"plan:{plan.id}",
                                    description="明确关务岗位职责", owner=cast.officer,
                                    deadline=today + timedelta(days=90), by=cast.officer)
    db.session.commit()
    assert fix.plan_id == plan.id and plan.status is PlanStatus.IN_PROGRESS
    # The plan cannot be completed while the fix is not carried into effect.
    db.session.expire(plan, ["measures"])
    assert [m.item_id is not None for m in plan.measures] == [False, True]
    assert [b for b in plans.completion_blockers(plan) if "2" in b]  # both measures not done, the fix one of them


def test_rescoring_after_the_fix_keeps_the_history_and_the_fix_stays_in_the_plan(client, auth, cast, coached):
    assessment, plan = coached
    item = item_of(assessment, "3.2.1")
    measure = services.plan_remediation(assessment, item, target=f"plan:{plan.id}", description="建章立制",
                                        owner=cast.officer, deadline=local_today() + timedelta(days=45),
                                        by=cast.officer)
    db.session.commit()
    login(auth, cast.officer)
    page = client.get(f"/certification/assessments/{assessment.id}/items/{item.id}")
    version = re.search(r'name="version" value="(\d+)"', page.get_data(as_text=True)).group(1)
    assert client.post(f"/certification/assessments/{assessment.id}/items/{item.id}", data={
        "csrf_token": csrf_from(page), "score": "met", "note": "整改后复核达标", "version": version}).status_code == 302
    db.session.expire_all()
    history = db.session.scalars(sa.select(ItemScoreHistory).where(
        ItemScoreHistory.assessment_id == assessment.id, ItemScoreHistory.item_id == item.id)
        .order_by(ItemScoreHistory.revision)).all()
    assert [(h.revision, h.score) for h in history] == [(1, NOT_MET), (2, MET)]
    assert db.session.get(PlanMeasure, measure.id).item_id == item.id
    text = client.get(f"/certification/assessments/{assessment.id}/items/{item.id}").get_data(as_text=True)
    assert 'id="remediation-measure"' in text and "整改后复核达标" in text


def test_editing_a_fix_keeps_it_within_90_days_of_the_day_it_was_set(client, auth, cast, coached):
    assessment, plan = coached
    item = item_of(assessment, "3.2.1")
    today = local_today()
    measure = services.plan_remediation(assessment, item, target=f"plan:{plan.id}", description="建章立制",
                                        owner=cast.officer, deadline=today + timedelta(days=30), by=cast.officer)
    db.session.commit()
    with pytest.raises(Exception, match="90"):
        plans.update_measure(measure, description="建章立制", owner=cast.officer,
                             deadline=today + timedelta(days=91), needs=[])
    db.session.rollback()
    plans.update_measure(db.session.get(PlanMeasure, measure.id), description="建章立制并培训", owner=cast.officer,
                         deadline=today + timedelta(days=90), needs=[])
    db.session.commit()
    assert db.session.get(PlanMeasure, measure.id).deadline == today + timedelta(days=90)


def test_an_overdue_fix_shows_in_my_work_for_its_owner_and_the_offices_manager(client, auth, cast, coached):
    assessment, plan = coached
    item = item_of(assessment, "3.2.1")
    measure = services.plan_remediation(assessment, item, target=f"plan:{plan.id}", description="建章立制",
                                        owner=cast.officer, deadline=local_today() + timedelta(days=10),
                                        by=cast.officer)
    db.session.commit()
    login(auth, cast.officer)
    work = client.get("/work/").get_data(as_text=True)
    assert 'id="my-remediations"' in work and "建章立制" in work and 'data-overdue="1"' not in work
    # Time passes: the deadline is gone and the fix not carried into effect.
    db.session.execute(sa.update(PlanMeasure).where(PlanMeasure.id == measure.id)
                       .values(deadline=local_today() - timedelta(days=1)))
    db.session.commit()
    work = client.get("/work/").get_data(as_text=True)
    assert 'data-overdue="1"' in work and "已超期1项" in work
    auth.logout()
    login(auth, cast.manager)
    work = client.get("/work/").get_data(as_text=True)
    assert 'id="overdue-remediations-list"' in work and "建章立制" in work
    auth.logout()
    login(auth, cast.officer_byq)
    assert "建章立制" not in client.get("/work/").get_data(as_text=True)


def test_my_work_costs_the_same_statements_with_one_fix_or_twelve(app, client, auth, cast, coached):
    assessment, plan = coached
    numbers = [i.number for i in assessment.standard.items if not i.is_bonus][:13]
    for number in numbers:
        services.score_item(assessment, item_of(assessment, number), MOSTLY, None, by=cast.officer,
                            opened_version=0 if number not in ("1.1.1", "1.1.2", "3.2.1") else
                            db.session.scalar(sa.select(ItemScore.version_id).where(
                                ItemScore.assessment_id == assessment.id,
                                ItemScore.item_id == item_of(assessment, number).id)))
    db.session.commit()

    def fix(number):
        services.plan_remediation(assessment, item_of(assessment, number), target=f"plan:{plan.id}",
                                  description=f"整改{number}", owner=cast.officer,
                                  deadline=local_today() + timedelta(days=20), by=cast.officer)
        db.session.commit()

    login(auth, cast.manager)
    fix(numbers[0])
    one = query_count(app, client, "/work/")
    for number in numbers[1:]:
        fix(number)
    db.session.execute(sa.update(PlanMeasure).where(PlanMeasure.item_id.is_not(None))
                       .values(deadline=local_today() - timedelta(days=2)))
    db.session.commit()
    assert query_count(app, client, "/work/") == one


def test_thirty_fixes_of_one_shortfall_at_once_make_one_measure(app, cast, coached):
    assessment, plan = coached
    assessment_id, item_id, plan_id = assessment.id, item_of(assessment, "3.2.1").id, plan.id
    officer_id = cast.officer.id

    def work(k):
        from tracker.auth.models import User

        services.plan_remediation(db.session.get(Assessment, assessment_id),
                                  db.session.get(StandardItem, item_id), target=f"plan:{plan_id}",
                                  description=f"整改{k}", owner=db.session.get(User, officer_id),
                                  deadline=local_today() + timedelta(days=30), by=db.session.get(User, officer_id))

    outcomes = race(app, 30, work)
    assert outcomes.count("ok") == 1 and not [o for o in outcomes if o.startswith("error")]
    db.session.rollback()  # the test's own transaction began before the race: read what it committed
    assert len([m for m in measures() if m.item_id == item_id]) == 1


def test_submitting_tells_the_officer_and_the_review_starts_from_the_firms_scores(client, auth, cast):
    firm = cast.contact.enterprise
    firm.assigned_officer = cast.officer
    self_assessment = Factory.assessment(firm, cast.contact, kind=AssessmentKind.SELF)
    notes = {"1.1.1": "已设关务部", "3.2.1": "内审未开展"}
    for item in self_assessment.standard.items:
        score = NOT_MET if item.number == "3.2.1" else (MET if item.applies_to_all or item.is_bonus else
                                                        Score.NOT_APPLICABLE)
        services.score_item(self_assessment, item, score, notes.get(item.number), by=cast.contact, opened_version=0)
    db.session.commit()
    login(auth, cast.contact)
    assert auth.post(f"/certification/assessments/{self_assessment.id}/submit").status_code == 302
    [submitted] = notices(NotificationKind.SELF_ASSESSMENT_SUBMITTED)
    assert submitted.user_id == cast.officer.id and submitted.link == f"/certification/assessments/{self_assessment.id}"
    auth.logout()
    login(auth, cast.officer)
    page = client.get(f"/certification/assessments/{self_assessment.id}")
    assert 'id="review-form"' in page.get_data(as_text=True)
    key = submission_key_from(page)
    data = {"csrf_token": csrf_from(page), "submission_key": key}
    started = client.post(f"/certification/assessments/{self_assessment.id}/review", data=data)
    assert started.status_code == 302
    # The same form sent again leads to the same assessment.
    assert client.post(f"/certification/assessments/{self_assessment.id}/review", data=data).status_code == 302
    db.session.expire_all()
    [review] = db.session.scalars(sa.select(Assessment).where(Assessment.kind == AssessmentKind.OFFICER)).all()
    assert started.headers["Location"].endswith(f"/certification/assessments/{review.id}")
    assert review.standard_id == self_assessment.standard_id and review.status is AssessmentStatus.DRAFT
    copied = {s.item.number: (s.score, s.note, s.scored_by_id) for s in db.session.scalars(
        sa.select(ItemScore).where(ItemScore.assessment_id == review.id))}
    assert len(copied) == len(self_assessment.standard.items)
    assert copied["3.2.1"] == (NOT_MET, "来自企业自评：内审未开展", cast.officer.id)
    assert copied["1.2.1"][1] == "来自企业自评"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ItemScoreHistory).where(
        ItemScoreHistory.assessment_id == review.id)) == len(copied)
    # The firm's own stays as submitted; a second review while one is under way is refused.
    assert db.session.get(Assessment, self_assessment.id).status is AssessmentStatus.SUBMITTED
    page = client.get(f"/certification/assessments/{self_assessment.id}")
    again = client.post(f"/certification/assessments/{self_assessment.id}/review", data={
        "csrf_token": csrf_from(page), "submission_key": submission_key_from(page)}, follow_redirects=True)
    assert "进行中的海关评估" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == 2
    # Sharing the review tells the firm's contacts.
    assert auth.post(f"/certification/assessments/{review.id}/share").status_code == 302
    [shared] = notices(NotificationKind.ASSESSMENT_SHARED)
    assert shared.user_id == cast.contact.id and shared.link == f"/certification/assessments/{review.id}"
    auth.logout()
    # A contact may not start a review, nor may an officer of another office see the self-assessment.
    login(auth, cast.contact)
    assert auth.post(f"/certification/assessments/{self_assessment.id}/review").status_code == 403
    auth.logout()
    login(auth, cast.officer_byq)
    assert auth.post(f"/certification/assessments/{self_assessment.id}/review").status_code == 404


def test_a_draft_self_assessment_cannot_be_reviewed(cast):
    firm = cast.contact.enterprise
    draft = Factory.assessment(firm, cast.contact, kind=AssessmentKind.SELF, scores={"1.1.1": MET})
    with pytest.raises(Exception, match="已提交"):
        services.start_review(draft, by=cast.officer)


def test_every_form_of_the_assessment_and_item_pages_carries_its_csrf_token(client, auth, cast, coached):
    """The assessment page once drew its score forms without the token (a template name shadowed the form):
    every POST from a real browser was refused. Each <form method="post"> must hold its own token."""
    assessment, plan = coached
    login(auth, cast.officer)
    for url in (f"/certification/assessments/{assessment.id}",
                f"/certification/assessments/{assessment.id}/items/{item_of(assessment, '3.2.1').id}"):
        html = client.get(url).get_data(as_text=True)
        forms = re.findall(r'<form method="post".*?</form>', html, flags=re.S)
        assert len(forms) > 3
        assert [f[:120] for f in forms if 'name="csrf_token"' not in f] == []
