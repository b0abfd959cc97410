"""Certification coaching end to end in the browser (issue 14's acceptance): on a phone a firm's contact fills in
and submits his firm's self-assessment; the firm's officer reviews it in a customs assessment, re-scores an
item, shares it with the firm, and turns a shortfall into a measure of the firm's assistance plan; the contact
then reads the shared assessment.

The firm is one of the demo's 营口海关 firms that 张关员 looks after and nobody has assessed yet; its contact is
made here under a name unique to the run, so the test depends on no other.
"""
import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD
from tests.browser.conftest import sign_in_on as sign_in
from tracker.i18n import local_today

pytestmark = pytest.mark.browser

OFFICER = "officer"  # 张关员, 营口海关
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# The items the contact scores on the phone; the rest are scored before he opens the page.
ON_THE_PHONE = ("1.1.1", "3.2.1")




def prepare(live_app, token: str) -> dict:
    """A firm of 张关员's with no assessment, a plan a fix can go into (drafted in the demo's campaign when it
    has none), and a new contact of the firm."""
    from tracker.auth import services as auth
    from tracker.auth.models import Role, User
    from tracker.campaigns.models import Campaign
    from tracker.certification.models import Assessment
    from tracker.enterprises.models import Enterprise
    from tracker.extensions import db
    from tracker.plans import services as plans
    from tracker.plans.models import AssistancePlan

    with live_app.app_context():
        officer = db.session.scalar(sa.select(User).where(User.username == OFFICER))
        assessed = sa.select(Assessment.enterprise_id)
        firms = db.session.scalars(sa.select(Enterprise).where(
            Enterprise.assigned_officer_id == officer.id, Enterprise.id.not_in(assessed),
            Enterprise.archived_at.is_(None)).order_by(Enterprise.id)).all()
        campaigns = db.session.scalars(sa.select(Campaign).order_by(Campaign.declaration_year.desc())).all()
        for firm in firms:
            plan = db.session.scalar(sa.select(AssistancePlan).where(
                AssistancePlan.enterprise_id == firm.id, AssistancePlan.status.in_(plans.REMEDIATION_PLAN_STATUSES)))
            if plan is None:
                campaign = next((c for c in campaigns if c.office.contains(firm.office) and db.session.scalar(
                    sa.select(AssistancePlan.id).where(AssistancePlan.enterprise_id == firm.id,
                                                       AssistancePlan.campaign_id == c.id)) is None), None)
                if campaign is None:
                    continue
                plan = plans.create_plan(firm, campaign, "提升通关效率，争取一般认证", officer)
            contact = auth.create_user(username=f"cert{token}", display_name="赵单证", role=Role.ENTERPRISE_CONTACT,
                                       office=firm.office, password=DEMO_PASSWORD, enterprise=firm)
            db.session.commit()
            return {"firm_id": firm.id, "firm": firm.name, "plan_id": plan.id, "contact": contact.username}
    pytest.fail("the demo has no firm of 张关员's to assess")


def score_the_rest(live_app, assessment_id: int, username: str) -> None:
    """Every item but those scored on the phone: 达标, or 不适用 where an item need not apply."""
    from tracker.auth.models import User
    from tracker.certification import services
    from tracker.certification.models import Assessment, Score
    from tracker.extensions import db

    with live_app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        contact = db.session.scalar(sa.select(User).where(User.username == username))
        for item in assessment.standard.items:
            if item.number not in ON_THE_PHONE:
                score = Score.MET if item.applies_to_all or item.is_bonus else Score.NOT_APPLICABLE
                services.score_item(assessment, item, score, None, by=contact, opened_version=0)
        db.session.commit()


def test_a_self_assessment_on_a_phone_reviewed_shared_and_a_shortfall_planned(browser, base_url, live_app):
    from tracker.certification.models import Assessment, AssessmentKind, AssessmentStatus, ItemScore, Score
    from tracker.extensions import db
    from tracker.notifications.models import Notification, NotificationKind
    from tracker.plans.models import PlanMeasure

    made = prepare(live_app, uuid.uuid4().hex[:8])

    # The contact, on a phone: 信用认证自评 → start, score the last items, submit.
    phone = browser.new_context(base_url=base_url, viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        sign_in(page, made["contact"])
        page.goto("/certification/mine")
        page.get_by_role("button", name="开始评估").click()
        expect(page.locator("#result")).to_be_visible()
        assessment_id = int(re.search(r"/certification/assessments/(\d+)", page.url).group(1))
        score_the_rest(live_app, assessment_id, made["contact"])
        page.reload()
        expect(page.locator("#result-unscored")).to_contain_text("2项")
        # Submitting early is refused in words, nothing changes.
        page.get_by_role("button", name="提交海关").click()
        expect(page.locator(".alert-danger")).to_contain_text("还有2项未评分")
        item = page.locator(".cert-item", has=page.get_by_role("link", name="1.1.1", exact=True))
        item.get_by_text("达标", exact=True).click()
        item.get_by_role("button", name="保存").click()
        expect(page.locator(".alert-success")).to_contain_text("1.1.1")
        item = page.locator(".cert-item", has=page.get_by_role("link", name="3.2.1", exact=True))
        item.get_by_text("不达标", exact=True).click()
        item.get_by_placeholder(re.compile("备注")).fill("尚未建立进出口内部审计制度")
        item.get_by_role("button", name="保存").click()
        expect(page.locator("#result")).to_contain_text("未通过")
        page.get_by_role("button", name="提交海关").click()
        expect(page.locator(".alert-success")).to_contain_text("已提交海关")
        metrics = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
        assert metrics[0] <= metrics[1], f"the self-assessment is wider than the phone: {metrics}"
    finally:
        phone.close()

    # The officer reviews it, re-scores an item, shares the review and plans the fix of 3.2.1.
    desk = browser.new_context(base_url=base_url, viewport=DESKTOP)
    page = desk.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        sign_in(page, OFFICER)
        page.goto("/work/")
        page.get_by_text(f"{made['firm']}已提交信用认证自评").wait_for()
        page.goto(f"/certification/assessments/{assessment_id}")
        page.get_by_role("button", name="据此开展海关评估").click()
        expect(page.locator(".alert-success")).to_contain_text("海关评估已按企业自评的评分开始")
        review_id = int(re.search(r"/certification/assessments/(\d+)", page.url).group(1))
        assert review_id != assessment_id
        item = page.locator(".cert-item", has=page.get_by_role("link", name="1.1.1", exact=True))
        item.get_by_text("基本达标", exact=True).click()
        item.get_by_role("button", name="保存").click()
        expect(page.locator(".alert-success")).to_contain_text("1.1.1")
        page.get_by_role("button", name="告知企业").click()
        expect(page.locator(".alert-success")).to_contain_text("已告知企业")
        page.locator("#result-shortfalls li[data-item='3.2.1']").get_by_role("link", name="制定整改措施").click()
        form = page.locator("#remediation-form")
        expect(form.get_by_label("帮扶方案")).to_be_visible()
        form.get_by_label("帮扶措施").fill("建立进出口内部审计制度，每年审计一次单证")
        form.get_by_label("办理时限").fill("")
        form.get_by_role("button", name="列入帮扶方案").click()
        expect(page.locator("#remediation-form")).to_contain_text("请填写办理时限")
        form.get_by_label("办理时限").fill((local_today() + timedelta(days=60)).isoformat())
        form.get_by_role("button", name="列入帮扶方案").click()
        expect(page.locator(".alert-success")).to_contain_text("第3.2.1项的整改已列入帮扶方案")
        expect(page.locator("#remediation-measure")).to_contain_text("张")
        page.locator("#remediation-measure").get_by_role("link").click()
        expect(page.locator("[data-remediation-item='3.2.1']")).to_be_visible()
    finally:
        desk.close()

    # The contact reads the customs' assessment, shared with him.
    phone = browser.new_context(base_url=base_url, viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    try:
        sign_in(page, made["contact"])
        page.goto(f"/certification/assessments/{review_id}")
        expect(page.locator("#read-only")).to_be_visible()
        expect(page.locator(".cert-score-form")).to_have_count(0)
    finally:
        phone.close()

    with live_app.app_context():
        review = db.session.get(Assessment, review_id)
        assert review.kind is AssessmentKind.OFFICER and review.status is AssessmentStatus.SHARED
        assert db.session.get(Assessment, assessment_id).status is AssessmentStatus.SUBMITTED
        scores = {s.item.number: s for s in db.session.scalars(
            sa.select(ItemScore).where(ItemScore.assessment_id == review_id))}
        assert scores["1.1.1"].score is Score.MOSTLY and scores["1.1.1"].version_id == 2
        assert scores["3.2.1"].score is Score.NOT_MET and "尚未建立进出口内部审计制度" in scores["3.2.1"].note
        [measure] = db.session.scalars(sa.select(PlanMeasure).where(PlanMeasure.assessment_id == review_id)).all()
        assert measure.item.number == "3.2.1" and measure.plan_id == made["plan_id"]
        assert (measure.deadline - measure.set_on).days == 60
        contact_notices = db.session.scalars(sa.select(Notification.kind).where(
            Notification.link == f"/certification/assessments/{review_id}")).all()
        assert contact_notices == [NotificationKind.ASSESSMENT_SHARED]
