"""Every demo user's lists fit a 390 px phone, and the menu fits a 1366 px desktop on one row.

On the phone no element may reach past the right edge of the viewport (lists turn into cards, nothing
scrolls sideways) and no table cell is squeezed to a character or two a line; on the desktop every top-level menu item is one line of text and the whole bar one row.
"""
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, OVERFLOW, open_user_menu

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
YALISI = "营口雅丽丝服装有限公司"

STAFF_LISTS = ["/", "/enterprises/", "/needs/", "/needs/?overdue=1", "/plans/", "/visits/", "/campaigns/",
               "/imports/", "/work/", "/work/notifications"]
PAGES = {
    "officer": STAFF_LISTS + ["/reports/mine", "campaign", "plan", "profile"],
    "manager": STAFF_LISTS + ["/team", "/reports/", "/reports/mine", "campaign", "plan", "profile", "dashboard",
                              "not visited"],
    "admin": STAFF_LISTS + ["/team", "/admin/users", "/admin/offices", "/admin/reference", "/admin/calendar",
                            "/admin/audit", "campaign", "plan", "profile"],
    "yalisi": ["/portal/", "plan", "profile"],
}


@pytest.fixture(scope="module")
def places(live_app):
    """The pages that need an id: the 2019 campaign, 雅丽丝's plan and profile."""
    from tracker.campaigns.models import Campaign
    from tracker.enterprises.models import Enterprise
    from tracker.extensions import db
    from tracker.plans.models import AssistancePlan

    with live_app.app_context():
        campaign = db.session.scalar(sa.select(Campaign.id).where(Campaign.name == "2019年百企大调研"))
        yalisi = db.session.scalar(sa.select(Enterprise.id).where(Enterprise.name == YALISI))
        plan = db.session.scalar(sa.select(AssistancePlan.id).where(AssistancePlan.enterprise_id == yalisi))
    return {"campaign": f"/campaigns/{campaign}", "plan": f"/plans/{plan}", "profile": f"/enterprises/{yalisi}",
            "dashboard": f"/reports/campaigns/{campaign}",
            "not visited": f"/reports/campaigns/{campaign}/list/roster.not_visited"}


def signed_in(browser, base_url, username, viewport):
    context = browser.new_context(base_url=base_url, viewport=viewport, is_mobile=viewport is PHONE,
                                  has_touch=viewport is PHONE)
    page = context.new_page()
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("#username").press("Enter")
    expect(page.locator("#user-menu")).to_be_attached()
    # The menu is in the DOM before the stylesheets have applied: measure only the loaded page.
    page.wait_for_load_state("load")
    return context, page


@pytest.mark.parametrize("username", list(PAGES))
def test_every_list_fits_a_phone(browser, base_url, places, username):
    context, page = signed_in(browser, base_url, username, PHONE)
    try:
        for path in PAGES[username]:
            response = page.goto(places.get(path, path))
            assert response.ok, path
            found = page.evaluate(OVERFLOW)
            assert found["scrollWidth"] <= found["innerWidth"], (path, found)
            assert not found["wide"], (path, found)
            assert not found["squeezed"], (path, found)
    finally:
        context.close()


def test_a_list_becomes_cards_on_a_phone_and_a_table_on_a_desktop(browser, base_url):
    context, page = signed_in(browser, base_url, "manager", PHONE)
    try:
        page.goto("/needs/")
        expect(page.locator("#needs-table thead")).to_be_hidden()
        first = page.locator("#needs-table tbody tr").first
        # The card leads with the firm, then status and deadline, each on its own line, then the rest.
        firm, status, deadline, need = (first.locator(f"td.{kind}").first.bounding_box()
                                        for kind in ("rl-title", "rl-status", "rl-lead", "rl-rest:visible"))
        assert firm["y"] + firm["height"] <= status["y"] + 1
        assert status["y"] + status["height"] <= deadline["y"] + 1
        assert deadline["y"] + deadline["height"] <= need["y"] + 1
        assert firm["width"] > 300  # the name runs across the card, not one character a line
        expect(first.locator("td.rl-nocard")).to_be_hidden()  # the # column stays in the table
        page.set_viewport_size(DESKTOP)
        expect(page.locator("#needs-table thead")).to_be_visible()
        headers = page.locator("#needs-table thead th:visible")
        heights = {round(headers.nth(i).bounding_box()["height"]) for i in range(headers.count())}
        assert len(heights) == 1  # no header is taller than its neighbours: none stacks
        firm_cell = page.locator("#needs-table tbody tr").first.locator("td.rl-title")
        line = float(page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight)"))
        assert firm_cell.locator(".rl-value").bounding_box()["width"] > 4 * line
    finally:
        context.close()


# Top-level menu entries per role: what each may use, and nothing else.
MENUS = {
    "officer": ["首页", "企业", "走访帮扶", "原产地证窗口", "统计报表"],
    "manager": ["首页", "企业", "走访帮扶", "原产地证窗口", "统计报表", "人员名单"],
    "admin": ["首页", "企业", "走访帮扶", "原产地证窗口", "统计报表", "人员名单", "系统管理"],
    "yalisi": ["我的企业", "原产地证预约", "政策宣讲会", "信用认证自评", "通知"],
}

# For each top-level item of the bar: its text's line count and its vertical centre.
MENU_ROWS = """() => Array.from(document.querySelectorAll('#mainnav > .navbar-nav > li > a, .navbar-brand'))
  .map(a => {
    const range = document.createRange();
    range.selectNodeContents(a);
    const lines = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
    const box = a.getBoundingClientRect();
    return {text: a.textContent.trim(), lines: lines.size, middle: box.top + box.height / 2};
  })"""


@pytest.mark.parametrize("username", list(MENUS))
def test_the_menu_fits_one_row_on_a_desktop(browser, base_url, username):
    context, page = signed_in(browser, base_url, username, DESKTOP)
    try:
        items = page.locator("#menu > li > a")
        expect(items).to_have_text(MENUS[username])
        rows = page.evaluate(MENU_ROWS)
        assert {r["lines"] for r in rows} == {1}, rows
        middles = [r["middle"] for r in rows]
        assert max(middles) - min(middles) < 2, rows  # brand, menu and user menu on one row
        page.locator("#user-menu").click()
        expect(page.locator("#sign-out")).to_be_visible()
    finally:
        context.close()


def test_the_current_page_is_marked_in_the_menu(browser, base_url):
    context, page = signed_in(browser, base_url, "admin", DESKTOP)
    try:
        home = page.locator("#menu > li > a", has_text="首页")
        expect(home).to_have_attribute("aria-current", "page")
        expect(page.locator("#menu [aria-current]")).to_have_count(1)

        page.locator("#nav-outreach").click()
        page.locator("#nav-plans").click()
        expect(page).to_have_url("/plans/")
        expect(page.locator("#nav-outreach")).to_have_class("nav-link dropdown-toggle active")
        expect(page.locator("#nav-outreach")).to_have_attribute("aria-current", "true")
        expect(page.locator("#nav-plans")).to_have_attribute("aria-current", "page")
        expect(home).not_to_have_attribute("aria-current", "page")

        # A page below a list marks the list's item too.
        page.locator("#plans tbody a").first.click()
        expect(page.locator("#nav-plans")).to_have_attribute("aria-current", "page")

        page.goto("/admin/users")
        expect(page.locator("#nav-admin")).to_have_attribute("aria-current", "true")
        expect(page.locator("#nav-outreach")).not_to_have_attribute("aria-current", "true")
        expect(page.locator("#menu [aria-current=page]")).to_have_text("用户")
    finally:
        context.close()


def test_the_phone_menu_folds_and_opens(browser, base_url):
    context, page = signed_in(browser, base_url, "officer", PHONE)
    try:
        expect(page.locator("#menu")).to_be_hidden()
        page.get_by_role("button", name="菜单").click()
        page.locator("#nav-outreach").click()
        page.locator("#nav-visits").click()
        expect(page).to_have_url("/visits/")
        expect(page.locator("#nav-visits")).to_have_attribute("aria-current", "page")
        found = page.evaluate(OVERFLOW)
        assert found["wide"] == found["squeezed"] == []
        # The user's menu holds sign-out.
        open_user_menu(page)
        page.locator("#sign-out").click()
        expect(page.get_by_text("您已退出登录")).to_be_visible()
    finally:
        context.close()


def test_a_firm_name_in_a_card_is_never_one_character_a_line(browser, base_url, places):
    context, page = signed_in(browser, base_url, "officer", PHONE)
    try:
        page.goto(places["campaign"])
        name = page.locator("#roster tbody tr").first.locator("td.rl-title a")
        box = name.bounding_box()
        size = float(name.evaluate("a => parseFloat(getComputedStyle(a).fontSize)"))
        assert box["width"] > 6 * size
    finally:
        context.close()


# Each label of a list's filter form: how many lines its text takes.
FILTER_LABELS = """() => Array.from(document.querySelectorAll('form[role=search] label')).map(label => {
    const range = document.createRange();
    range.selectNodeContents(label);
    const lines = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
    return {text: label.textContent.trim(), lines: lines.size};
  })"""


def test_the_filter_labels_of_every_list_stay_on_one_line_on_a_desktop(browser, base_url):
    context, page = signed_in(browser, base_url, "admin", DESKTOP)
    try:
        for path in ["/enterprises/", "/needs/", "/admin/audit"]:
            assert page.goto(path).ok, path
            labels = page.evaluate(FILTER_LABELS)
            assert labels, path
            assert [label for label in labels if label["lines"] > 1] == [], path
    finally:
        context.close()
