"""A manager returns a plan, the officer fixes and resubmits it, the manager approves it (elements found by id)."""
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

FIRM = "营口光阳耐火材料有限公司"  # assigned to the demo user "officer"


def sign_in_as(page, username):
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill("browser demo password")
    page.locator("#username").press("Enter")
    expect(page.locator("#user-menu")).to_be_visible()


def sign_out(page):
    page.wait_for_load_state()  # the menu opens once Bootstrap's script has run
    page.locator("#user-menu").click()  # sign-out sits in the user's menu
    page.locator("#sign-out").click()


def test_manager_returns_officer_resubmits_manager_approves(page, live_app):
    from tracker.enterprises.models import Enterprise
    from tracker.extensions import db

    with live_app.app_context():
        firm_id = db.session.scalar(sa.select(Enterprise.id).where(Enterprise.name == FIRM))

    sign_in_as(page, "officer")
    page.goto(f"/plans/new?enterprise_id={firm_id}")
    page.locator("#objective").fill("帮助企业提升通关效率")
    page.locator("#submit").click()
    expect(page.locator("#plan-status")).to_have_attribute("data-status", "draft")
    plan_url = page.url
    page.locator("#measure-form #description").fill("辅导企业申请一般认证")
    page.locator("#measure-form #owner_id").select_option(index=1)
    page.locator("#measure-form #deadline").fill("2099-12-31")  # not in the past (tracker.dates)
    page.locator("#measure-form [type=submit]").click()
    expect(page.locator("#measure-table")).to_contain_text("辅导企业申请一般认证")
    page.locator("#submit-plan").click()
    expect(page.locator("#plan-status")).to_have_attribute("data-status", "submitted")
    sign_out(page)

    sign_in_as(page, "manager")
    page.goto(plan_url)
    page.locator("#comment").fill("请写明每项措施的办理时限")
    page.locator("#return-plan").click()
    expect(page.locator("#plan-status")).to_have_attribute("data-status", "draft")
    sign_out(page)

    sign_in_as(page, "officer")
    page.goto(plan_url)
    expect(page.locator("#return-comment")).to_contain_text("请写明每项措施的办理时限")
    page.locator("#edit-plan").click()
    page.locator("#objective").fill("帮助企业提升通关效率，各项措施于2019年底前完成")
    page.locator("#submit").click()
    expect(page.locator("#plan-objective")).to_contain_text("2019年底前完成")
    page.locator("#submit-plan").click()
    expect(page.locator("#plan-status")).to_have_attribute("data-status", "submitted")
    expect(page.locator("#return-comment")).to_have_count(0)
    sign_out(page)

    sign_in_as(page, "manager")
    page.goto(plan_url)
    page.locator("#approve-plan").click()
    expect(page.locator("#plan-status")).to_have_attribute("data-status", "approved")
    expect(page.locator("#plan-approval")).to_contain_text("王科长")

    page.locator("#print-plan").click()
    expect(page.locator("#print-measures")).to_contain_text("辅导企业申请一般认证")
    expect(page.locator("#print-measures")).to_contain_text("2099-12-31")
    expect(page.locator("#print-approval")).to_contain_text("王科长")
    expect(page.locator("nav")).to_have_count(0)
