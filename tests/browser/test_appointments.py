"""A firm's contact books a certificate-of-origin appointment on a phone, downloads its .ics and cancels it
(issue 11). The server runs on the real clock: the counter and its slots are made relative to now, and the
test books the first slot of the next working day after today."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, OVERFLOW

pytestmark = pytest.mark.browser

FIRM = "营口雅丽丝服装有限公司"  # the demo contact yalisi's firm
PHONE = {"width": 390, "height": 844}


def counter_of_the_firm(live_app) -> tuple[int, str]:
    """The counter of the firm's office (made here if the demo has none), and the first day after today
    with a free slot there."""
    from tracker.appointments import queries
    from tracker.appointments import services as counter
    from tracker.appointments.models import ServicePoint
    from tracker.enterprises.models import Enterprise
    from tracker.extensions import db

    with live_app.test_request_context():
        firm = db.session.scalar(sa.select(Enterprise).where(Enterprise.name == FIRM))
        point = db.session.scalar(sa.select(ServicePoint).where(ServicePoint.office_id == firm.office_id))
        if point is None:
            point = counter.create_service_point(firm.office, name="营口海关原产地证窗口", windows=2, capacity=3)
        else:
            counter.materialize_ahead(point)
        db.session.commit()
        now = counter.clock()
        today = counter.local_day(now)
        day = next(d.day for d in queries.bookable_days(point, now) if d.day > today and d.free)
        return point.id, day.isoformat()


def ics_text(download) -> str:
    with open(download.path(), encoding="utf-8") as handle:
        return handle.read()


def test_a_contact_books_on_a_phone_downloads_the_ics_and_cancels(browser, base_url, live_app):
    point_id, day = counter_of_the_firm(live_app)
    context = browser.new_context(base_url=base_url, viewport=PHONE, accept_downloads=True)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("用户名").fill("yalisi")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("h1")).to_contain_text(FIRM)

    # The portal leads to the booking pages; the firm's office's counter is chosen for it.
    page.goto("/appointments/")
    page.locator("#book-button").click()
    expect(page.locator("#point")).to_have_value(str(point_id))
    page.locator("#day-choices a", has_text=day).click()
    slot = page.locator("#slot-choices a").first
    slot_text = slot.inner_text()
    slot.click()
    expect(page.locator("#chosen-slot")).to_contain_text(day)
    page.get_by_label("证书类型").select_option(index=1)
    page.get_by_label("目的国").select_option("ID")
    page.get_by_label("证书份数").fill("3")
    page.get_by_label("船期").fill((date.fromisoformat(day) + timedelta(days=7)).isoformat())
    page.get_by_label("船名").fill("YM WISDOM")
    layout = page.evaluate(OVERFLOW)
    assert layout["scrollWidth"] <= layout["innerWidth"], layout
    page.get_by_role("button", name="预约", exact=True).click()

    expect(page.locator(".alert-success")).to_contain_text("预约成功")
    expect(page.locator("h1")).to_contain_text("已预约")
    expect(page.locator("#appointment-facts")).to_contain_text("印度尼西亚")
    expect(page.locator("#appointment-history")).to_contain_text("已预约")
    layout = page.evaluate(OVERFLOW)
    assert layout["scrollWidth"] <= layout["innerWidth"], layout

    # The firm's list on the phone: cards, nothing wider than the screen.
    page.goto("/appointments/")
    expect(page.locator("#appointments-table")).to_contain_text(day)
    layout = page.evaluate(OVERFLOW)
    assert layout["scrollWidth"] <= layout["innerWidth"] and not layout["squeezed"], layout
    page.locator("#appointments-table a", has_text=day).first.click()

    # The .ics: one event, in Asia/Shanghai, at the slot booked.
    with page.expect_download() as info:
        page.get_by_role("link", name="加入日历（.ics）").click()
    download = info.value
    assert download.suggested_filename.endswith(".ics")
    text = ics_text(download)
    assert "BEGIN:VEVENT" in text and "TZID=Asia/Shanghai" in text
    assert "原产地证预约：" in text and "STATUS:CONFIRMED" in text
    assert "DTSTART;TZID=Asia/Shanghai:" + day.replace("-", "") + "T" + slot_text[:5].replace(":", "") in text

    # Cancelled from the same page: the place is free again, the history says so.
    page.get_by_role("button", name="取消预约").click()
    expect(page.locator(".alert-success")).to_contain_text("预约已取消")
    expect(page.locator("h1")).to_contain_text("已取消")
    expect(page.locator("#appointment-history")).to_contain_text("已取消")
    expect(page.get_by_role("button", name="取消预约")).to_have_count(0)
    context.close()
