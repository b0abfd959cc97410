"""The visit form's campaign follows the visit's date until the officer picks one (static/js/visit-form.js)."""
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

FIRM = "五矿营口中板有限责任公司"  # on the demo's 2019 roster


def test_the_campaign_follows_the_date_and_says_when_there_is_none(page, live_app):
    from tracker.campaigns.models import Campaign
    from tracker.enterprises.models import Enterprise
    from tracker.extensions import db

    with live_app.app_context():
        firm_id = db.session.scalar(sa.select(Enterprise.id).where(Enterprise.name == FIRM))
        campaign_id = db.session.scalar(sa.select(Campaign.id).where(Campaign.declaration_year == 2019))
    page.goto("/login")
    page.locator("#username").fill("officer")
    page.locator("#password").fill("browser demo password")
    page.locator("#username").press("Enter")
    page.goto(f"/visits/new?enterprise_id={firm_id}")
    # Logged today: no campaign of this year has the firm, and the page says so.
    expect(page.locator("#campaign_id")).to_have_value("0")
    expect(page.locator("#campaign-note")).to_be_visible()
    page.locator("#visited_at").fill("2019-09-27T09:30")
    page.locator("#visited_at").dispatch_event("change")
    expect(page.locator("#campaign_id")).to_have_value(str(campaign_id))
    expect(page.locator("#campaign-note")).to_be_hidden()
    page.locator("#visited_at").fill("2018-09-27T09:30")
    page.locator("#visited_at").dispatch_event("change")
    expect(page.locator("#campaign_id")).to_have_value("0")
    expect(page.locator("#campaign-note")).to_contain_text("2018")
    # Once the officer picks a campaign himself, a new date leaves it alone.
    page.locator("#campaign_id").select_option(str(campaign_id))
    page.locator("#visited_at").fill("2017-09-27T09:30")
    page.locator("#visited_at").dispatch_event("change")
    expect(page.locator("#campaign_id")).to_have_value(str(campaign_id))
