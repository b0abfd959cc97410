"""A firm's contact rates a resolution 不满意 in the portal on a phone and the need reopens (issue 4).

The need is made here through the services, so the test does not depend on the demo's outreach records;
it is found in every list by its content, which is unique to each run.
"""
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, open_phone_menu, open_user_menu

pytestmark = pytest.mark.browser

FIRM = "营口雅丽丝服装有限公司"  # the demo contact yalisi's firm
OFFICER = "officer"  # 张关员, the firm's officer in the demo
PHONE = {"width": 390, "height": 844}


def make_resolved_need(live_app, content: str, resolution: str, internal: str) -> int:
    """A need of yalisi's firm, assigned to the officer, accepted and resolved, with an internal note."""
    from tracker.auth.models import User
    from tracker.enterprises.models import Enterprise
    from tracker.extensions import db
    from tracker.needs import services as services
    from tracker.needs.models import NeedCategory, NeedSource

    with live_app.app_context():
        firm = db.session.scalar(sa.select(Enterprise).where(Enterprise.name == FIRM))
        officer = db.session.scalar(sa.select(User).where(User.username == OFFICER))
        category = db.session.scalar(
            sa.select(NeedCategory).where(NeedCategory.active.is_(True)).order_by(NeedCategory.id))
        today = services.local_today()
        need = services.create_need(firm, services.NeedData(
            source=NeedSource.PHONE, category=category, content=content, raised_on=today,
            deadline=today + timedelta(days=30), assigned_officer=officer), by=officer)
        services.accept(need, by=officer)
        services.add_internal_note(need, internal, by=officer)
        services.resolve(need, resolution, by=officer)
        db.session.commit()
        return need.id


def need_state(live_app, need_id: int):
    """(status value, [(channel, satisfaction, note, username)]) as the database holds them now."""
    from tracker.extensions import db
    from tracker.needs.models import Need

    with live_app.app_context():
        need = db.session.get(Need, need_id)
        return need.status.value, [(f.channel.value, f.satisfaction.value, f.note, f.by.username if f.by else None)
                                   for f in need.follow_ups]


def sign_in(page, username: str):
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_a_contact_rates_a_resolution_dissatisfied_and_the_need_reopens(browser, base_url, live_app):
    token = uuid.uuid4().hex[:8]
    content = f"希望开通原产地证书夜间签证窗口（{token}）"
    resolution = f"已在营口海关业务大厅开设夜间签证专窗（{token}）"
    internal = f"内部备注：该企业去年曾有违规记录（{token}）"
    dissatisfied_note = f"专窗只开到晚上七点，还是赶不上装船（{token}）"
    need_id = make_resolved_need(live_app, content, resolution, internal)

    context = browser.new_context(base_url=base_url, viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        # The contact signs in (Chinese is the default) and lands on his firm's portal.
        sign_in(page, "yalisi")
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        expect(page.get_by_role("heading", name=FIRM)).to_be_visible()
        expect(page.get_by_role("heading", name="我们的业务需求")).to_be_visible()
        our_needs = page.locator("#portal-needs li", has_text=content)
        expect(our_needs).to_have_count(1)
        expect(our_needs).to_contain_text("已办结")
        our_needs.get_by_role("link", name=content).click()

        # The need: its resolution is there, the internal note is not.
        expect(page.get_by_role("heading", name=f"业务需求 #{need_id}")).to_contain_text("已办结")
        expect(page.get_by_role("heading", name="办理进展")).to_be_visible()
        expect(page.get_by_text(resolution)).to_be_visible()
        expect(page.locator("body")).not_to_contain_text(internal)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        rate_form = page.locator("form", has=page.get_by_role("button", name="确认并评价"))
        expect(page.get_by_role("heading", name="确认办结")).to_be_visible()
        satisfaction = rate_form.get_by_label("满意度")
        expect(satisfaction).to_be_visible()

        # The wrong way first: nothing is preselected, and sending the form without a choice is refused
        # with the error under the field; the note typed is still there and nothing changed.
        expect(satisfaction).to_have_value("")
        rate_form.get_by_label("评价说明（选填）").fill(dissatisfied_note)
        rate_form.get_by_role("button", name="确认并评价").tap()
        rate_form = page.locator("form", has=page.get_by_role("button", name="确认并评价"))
        expect(rate_form.get_by_text("请选择满意程度。")).to_be_visible()
        expect(rate_form.get_by_label("评价说明（选填）")).to_have_value(dissatisfied_note)
        expect(page.get_by_role("heading", name=f"业务需求 #{need_id}")).to_contain_text("已办结")
        expect(page.get_by_text("您的评价")).to_have_count(0)
        assert need_state(live_app, need_id) == ("resolved", [])

        # Now 不满意 with a note.
        rate_form = page.locator("form", has=page.get_by_role("button", name="确认并评价"))
        rate_form.get_by_label("满意度").select_option(label="不满意")
        rate_form.get_by_role("button", name="确认并评价").tap()

        expect(page.get_by_role("alert").filter(has_text="谢谢。该业务需求已重新打开，海关将继续办理。")).to_be_visible()
        heading = page.get_by_role("heading", name=f"业务需求 #{need_id}")
        expect(heading).to_contain_text("办理中")
        expect(heading.locator("[data-status]")).to_have_attribute("data-status", "in_progress")
        rating = page.locator("#portal-history li", has_text="您的评价")
        expect(rating).to_have_count(1)
        expect(rating).to_contain_text("不满意")
        expect(rating).to_contain_text(dissatisfied_note)  # the contact reads his own note back
        # Reopened: nothing left to confirm; the resolution stays in the history; still no internal note.
        expect(page.get_by_role("button", name="确认并评价")).to_have_count(0)
        expect(page.get_by_text(resolution)).to_be_visible()
        expect(page.locator("body")).not_to_contain_text(internal)
        assert need_state(live_app, need_id) == (
            "in_progress", [("firm", "dissatisfied", dissatisfied_note, "yalisi")])

        # Back on the portal home the need is listed as in progress again.
        page.get_by_role("link", name="我的企业").first.click()
        expect(page.locator("#portal-needs li", has_text=content)).to_contain_text("办理中")

        open_user_menu(page)
        page.get_by_role("button", name="退出登录").click()
        expect(page.get_by_text("您已退出登录")).to_be_visible()

        # The assigned officer finds it reopened on My work, told why, and sees the firm's 不满意 and note.
        sign_in(page, OFFICER)
        expect(page.get_by_role("heading", name="欢迎您，张关员")).to_be_visible()
        open_phone_menu(page)
        page.get_by_role("button", name="走访帮扶").click()
        page.get_by_role("link", name="我的工作").click()
        expect(page.get_by_role("heading", name="我的工作")).to_be_visible()
        row = page.locator("#my-needs tr", has_text=content)
        expect(row).to_have_count(1)
        expect(row).to_contain_text(FIRM)
        expect(row).to_contain_text("办理中")
        expect(page.locator("#recent-notifications")).to_contain_text(
            f"{FIRM}的业务需求 #{need_id} 已重新打开：企业评价为不满意。")
        row.get_by_role("link", name=content).click()

        expect(page.get_by_role("heading", name=f"业务需求 #{need_id}")).to_contain_text("办理中")
        follow_ups = page.locator("#follow-ups")
        expect(follow_ups).to_contain_text("企业自评")
        expect(follow_ups).to_contain_text("孙丽娟")
        expect(follow_ups.locator("strong")).to_have_text("不满意")
        expect(follow_ups).to_contain_text(dissatisfied_note)
        # Staff do see the internal note (so its absence from the portal above was meaningful).
        expect(page.locator("#history")).to_contain_text(internal)
        # And the officer can work on it again.
        expect(page.get_by_role("button", name="标记为已办结")).to_be_visible()
    finally:
        context.close()
