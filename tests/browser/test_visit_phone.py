"""An officer logs a visit with two needs on a phone-sized viewport (elements found by id and name)."""
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

FIRM = "五矿营口中板有限责任公司"


def firm_id(live_app) -> int:
    from tracker.enterprises.models import Enterprise
    from tracker.extensions import db

    with live_app.app_context():
        return db.session.scalar(sa.select(Enterprise.id).where(Enterprise.name == FIRM))


def test_an_officer_logs_a_visit_with_two_needs_on_a_phone(browser, base_url, live_app):
    context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.goto("/login")
    page.locator("#username").fill("officer")
    page.locator("#password").fill("browser demo password")
    page.locator("#username").press("Enter")

    # From the firm's profile, as an officer in front of the firm would.
    page.goto(f"/enterprises/{firm_id(live_app)}")
    page.locator("#log-visit").click()
    expect(page.locator("#visit-form")).to_be_visible()
    # Nothing is wider than the phone: no horizontal scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.locator("#visited_at").fill("2019-09-27T09:30")
    page.locator("#visit_type").select_option("workshop")
    # The signed-in officer is ticked already; add his partner.
    expect(page.locator("#officers-group input:checked")).to_have_count(1)
    page.locator("#officers-group label", has_text="刘关员").click()
    page.locator("#topics-group input").first.check()
    page.locator("#other_attendees").fill("李厂长, 生产副总")
    page.locator("#summary").fill("车间调研，了解出口钢板通关情况")
    page.locator("[name='needs-0-category_id']").select_option(index=1)
    page.locator("[name='needs-0-content']").fill("希望缩短出口通关时间")
    page.locator("[name='needs-1-category_id']").select_option(index=2)
    page.locator("[name='needs-1-content']").fill("原产地证预约办理")
    page.locator("#submit").tap()

    expect(page.locator("#visit-needs li")).to_have_count(2)
    expect(page.locator("#visit-needs")).to_contain_text("希望缩短出口通关时间")
    expect(page.locator("#visit-officers")).to_contain_text("刘关员")
    expect(page.locator("#visit-officers")).to_contain_text("张关员")
    expect(page.locator("#visit-when")).to_contain_text("2019-09-27 09:30")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.goto(f"/enterprises/{firm_id(live_app)}")
    expect(page.locator("#visit-timeline")).to_contain_text("2019-09-27 09:30")
    context.close()
