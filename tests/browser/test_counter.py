"""At the counter, in a real browser on the real clock: an officer checks a firm in, calls it to window 1,
serves it and records its certificates; another firm's trip is wasted (documents missing); the hall
display, opened by its token without signing in, shows the number called to window 1.

The point and today's bookings are made in the database around the current time (a slot that started
ten minutes ago), so the test does not depend on the day's opening hours or the calendar."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, OVERFLOW

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def counter_day(live_app):
    """营口海关's counter (made if the demo has none), a slot under way now and two firms booked into it,
    and a hall display link."""
    from tracker.appointments import services
    from tracker.appointments.models import Appointment, AppointmentStatus, CertificateType, ServicePoint, Slot
    from tracker.auth.models import User
    from tracker.enterprises.models import Enterprise
    from tracker.extensions import db
    from tracker.offices.models import Office

    with live_app.app_context():
        office = db.session.scalar(sa.select(Office).where(Office.code == "0930"))
        point = db.session.scalar(sa.select(ServicePoint).where(ServicePoint.office_id == office.id))
        if point is None:
            point = services.create_service_point(office, name="营口海关原产地证窗口", windows=2)
        officer = db.session.scalar(sa.select(User).where(User.username == "officer"))
        firms = db.session.scalars(sa.select(Enterprise).where(Enterprise.office_id == office.id)
                                   .order_by(Enterprise.id).limit(2)).all()
        now = services.clock().replace(second=0, microsecond=0)
        slot = Slot(service_point_id=point.id, day=services.local_day(now), starts_at=now - timedelta(minutes=10),
                    ends_at=now + timedelta(minutes=20), capacity=5, booked=2, offered=True)
        db.session.add(slot)
        db.session.flush()
        certificate = db.session.scalar(sa.select(CertificateType).where(CertificateType.code == "FORM_E"))
        booked = []
        for firm in firms:
            appt = Appointment(service_point_id=point.id, slot_id=slot.id, enterprise_id=firm.id, day=slot.day,
                               status=AppointmentStatus.BOOKED, certificate_type_id=certificate.id,
                               destination_country="ID", quantity=2, booked_by_id=officer.id)
            db.session.add(appt)
            db.session.flush()
            booked.append(appt.id)
        _row, raw = services.create_display_token(point, "大厅", by=None)
        db.session.commit()
        return {"point": point.id, "served": booked[0], "wasted": booked[1], "token": raw,
                "names": [f.name for f in firms]}


def officer_page(browser, base_url, viewport=DESKTOP):
    context = browser.new_context(base_url=base_url, viewport=viewport, is_mobile=viewport is PHONE,
                                  has_touch=viewport is PHONE)
    page = context.new_page()
    page.goto("/login")
    page.locator("#username").fill("officer")
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("#username").press("Enter")
    expect(page.locator("#user-menu")).to_be_attached()
    return context, page


def test_an_officer_serves_one_firm_and_records_a_wasted_trip_for_another(browser, base_url, counter_day):
    context, page = officer_page(browser, base_url)
    page.goto(f"/counter/{counter_day['point']}/day")
    served = page.locator(f"#appt-{counter_day['served']}")
    served.get_by_role("button", name="取号").click()
    flash = page.locator(".alert-success")
    expect(flash).to_contain_text("已取号，排队号")
    number = flash.inner_text().split("排队号")[1].split("。")[0].strip()

    served = page.locator(f"#appt-{counter_day['served']}")
    served.get_by_role("combobox", name="窗口").select_option(label="1号窗口")
    served.get_by_role("button", name="叫号").click()
    expect(page.locator(".alert-success")).to_contain_text(f"已叫{number}号到1号窗口")

    # The hall display, opened without signing in, shows the call.
    screen = browser.new_context(base_url=base_url, viewport={"width": 1920, "height": 1080})
    hall = screen.new_page()
    response = hall.goto(f"/counter/display/{counter_day['token']}")
    assert response.status == 200
    latest = hall.locator("#calls .hall-latest")
    expect(latest).to_contain_text(f"{number}号")
    expect(latest).to_contain_text("1号窗口")
    for name in counter_day["names"]:
        expect(hall.locator("body")).not_to_contain_text(name)
    screen.close()

    served = page.locator(f"#appt-{counter_day['served']}")
    served.get_by_role("button", name="开始办理").click()
    expect(page.locator(".alert-success")).to_contain_text(f"正在办理{number}号")
    served = page.locator(f"#appt-{counter_day['served']}")
    served.locator("form[action$='/complete']").get_by_role("button", name="办结").click()
    expect(page.locator(".alert-success")).to_contain_text("已办结：为")
    expect(page.locator(f"#appt-{counter_day['served']}")).to_contain_text("已签发：")

    other = page.locator(f"#appt-{counter_day['wasted']}")
    other.get_by_role("button", name="取号").click()
    expect(page.locator(".alert-success")).to_contain_text("已取号")
    other = page.locator(f"#appt-{counter_day['wasted']}")
    other.locator("summary", has_text="空跑").click()
    other.get_by_label("空跑原因").select_option(label="单证不齐")
    other.get_by_role("button", name="登记空跑").click()
    expect(page.locator(".alert-success")).to_contain_text("登记空跑：单证不齐")
    expect(page.locator(f"#appt-{counter_day['wasted']}")).to_contain_text("单证不齐")
    context.close()


def test_the_counter_day_fits_a_phone(browser, base_url, counter_day, live_app):
    """With a firm in each step of the queue (their forms open on the page), nothing reaches past 390 px."""
    from tracker.appointments import services
    from tracker.appointments.models import CertificateType, ServicePoint
    from tracker.auth.models import User
    from tracker.extensions import db

    with live_app.app_context():
        point = db.session.get(ServicePoint, counter_day["point"])
        officer = db.session.scalar(sa.select(User).where(User.username == "officer"))
        certificate = db.session.scalar(sa.select(CertificateType).where(CertificateType.code == "FORM_E"))
        for step in range(3):
            appt = services.walk_in(point, by=officer, visitor_name=f"来访企业{step}", certificate_type=certificate,
                                    destination_country="ID", quantity=1)
            if step >= 1:
                services.call(appt, point.windows[0], by=officer)
            if step == 2:
                services.start(appt, by=officer)
        db.session.commit()
    context, page = officer_page(browser, base_url, PHONE)
    page.goto(f"/counter/{counter_day['point']}/day")
    page.wait_for_load_state("load")
    measured = page.evaluate(OVERFLOW)
    assert measured["scrollWidth"] <= measured["innerWidth"], measured
    assert not measured["wide"] and not measured["squeezed"], measured
    # The buttons are big enough to tap.
    for button in (page.locator("#walk-in"), page.locator("form.counter-complete button")):
        box = button.bounding_box()
        assert box is not None and box["height"] >= 36
    expect(page.locator(f"#appt-{counter_day['served']}")).to_be_visible()
    context.close()
