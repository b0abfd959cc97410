"""The counter's pages, driven as an officer drives them: the day (at-risk sailings first, the queue, the
bookings to rearrange), each step allowed and refused, walk-ins, the hall display by its token, and the
counter's settings. The clock stands on Monday 2019-09-30, 08:45 in Yingkou; bookings were made on the
Friday before."""
import re
import threading
from datetime import date

import pytest
import requests
import sqlalchemy as sa

from tests.conftest import PASSWORD, certificate, csrf_from, local, query_count, slot_at, submission_key_from
from tracker.appointments import services as counter
from tracker.appointments.models import (
    Appointment, AppointmentStatus, DisplayToken, ServicePoint, WastedReason,
)
from tracker.extensions import db
from tracker.security import CSP


MONDAY = date(2019, 9, 30)
NOW = local(MONDAY, 8, 45)
FRIDAY = local(date(2019, 9, 27), 9)


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(counter, "clock", lambda: NOW)


def book(point, hh, mm, firm, by, sailing=date(2019, 10, 12), day=MONDAY, **kw):
    data = dict(certificate_type=certificate(), destination_country="ID", quantity=2, sailing_date=sailing)
    data.update(kw)
    return counter.book(slot_at(point, day, hh, mm), firm, by=by, now=FRIDAY, **data)


@pytest.fixture
def point(cast):
    point = counter.create_service_point(cast.org.yingkou, name="营口海关原产地证窗口", windows=2, capacity=3,
                                         now=FRIDAY)
    db.session.commit()
    return point


@pytest.fixture
def day(point, cast, factory):
    """Three bookings on Monday: 雅丽丝 at 08:30, 隆鑫 at 10:00 sailing on Tuesday (at risk), a third firm at
    09:00."""
    yalisi = cast.contact.enterprise
    yalisi.name = "营口雅丽丝服饰有限公司"
    other = factory.enterprise(cast.org.yingkou, name="营口隆鑫果蔬有限公司")
    third = factory.enterprise(cast.org.yingkou, name="营口三号贸易有限公司")
    early = book(point, 8, 30, yalisi, cast.officer)
    risky = book(point, 10, 0, other, cast.officer, sailing=date(2019, 10, 1), certificate_type=certificate("CO"),
                 quantity=3)
    middle = book(point, 9, 0, third, cast.officer)
    db.session.commit()
    return {"early": early, "risky": risky, "middle": middle}


def day_url(point, **args):
    return f"/counter/{point.id}/day" + ("?" + "&".join(f"{k}={v}" for k, v in args.items()) if args else "")


def step(client, point, appt, name, data=None):
    page = client.get(day_url(point))
    assert page.status_code == 200
    return client.post(f"/counter/appointments/{appt.id}/{name}",
                       data={"csrf_token": csrf_from(page), **(data or {})}, follow_redirects=True)


def fresh(appt) -> Appointment:
    db.session.rollback()
    return db.session.get(Appointment, appt.id)


def text(response) -> str:
    return response.get_data(as_text=True)


# The day ------------------------------------------------------------------------------------------
def test_the_officer_goes_straight_to_his_counter_and_sees_at_risk_sailings_first(client, auth, cast, day, point):
    auth.login("officer")
    response = client.get("/counter/")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/counter/{point.id}/day")
    html = text(client.get(day_url(point)))
    table = html[html.index('id="day-table"'):]
    order = [table.index(name) for name in ("营口隆鑫果蔬有限公司", "营口雅丽丝服饰有限公司", "营口三号贸易有限公司")]
    assert order == sorted(order)  # the 10:00 booking sailing tomorrow first, then by slot
    risky_row = table[table.index(f'id="appt-{day["risky"].id}"'):table.index(f'id="appt-{day["early"].id}"')]
    assert "船期临近" in risky_row
    assert "船期临近" not in table[table.index(f'id="appt-{day["early"].id}"'):]
    # Another day shows that day's bookings; nonsense in the date shows today.
    assert "营口雅丽丝" not in text(client.get(day_url(point, date="2019-10-08"))).split('id="day-table"')[1]
    assert client.get(day_url(point, date="nonsense")).status_code == 200
    assert client.get(day_url(point, date="0001-01-01")).status_code == 200


def test_the_day_page_costs_the_same_statements_with_more_bookings(app, client, auth, cast, day, point, factory):
    auth.login("officer")
    step(client, point, day["early"], "check-in")
    before = query_count(app, client, day_url(point))
    for n in range(6):
        firm = factory.enterprise(cast.org.yingkou)
        appt = book(point, 13 + (n + 1) // 2, 30 if n % 2 == 0 else 0, firm, cast.officer)
        if n % 2:
            counter.check_in(appt, by=cast.officer)
        if n == 3:
            counter.start(appt, by=cast.officer)
            counter.complete(appt, [(certificate("CO"), 1), (certificate("FORM_E"), 2)], by=cast.officer)
        if n == 5:
            counter.record_wasted(appt, WastedReason.OTHER, "印章不清", by=cast.officer)
    db.session.commit()
    assert query_count(app, client, day_url(point)) == before


def test_the_day_offers_each_step_only_where_it_applies(client, auth, cast, day, point, factory):
    """Forms for the steps an appointment's state allows, on its day only: a waiting firm can be called or
    sent away (wasted trip), the one being served completed, a booked one checked in; a served one offers
    nothing, and neither does any appointment on another day."""
    auth.login("officer")
    step(client, point, day["early"], "check-in")
    step(client, point, day["risky"], "check-in")
    step(client, point, day["risky"], "start")
    served = book(point, 14, 0, factory.enterprise(cast.org.yingkou), cast.officer)
    counter.check_in(served, by=cast.officer)
    counter.start(served, by=cast.officer)
    counter.complete(served, [(certificate("CO"), 1)], by=cast.officer)
    later_firm = factory.enterprise(cast.org.yingkou)
    tuesday = book(point, 9, 0, later_firm, cast.officer, day=date(2019, 10, 8))
    db.session.commit()
    html = text(client.get(day_url(point)))

    def actions(appt) -> set[str]:
        return set(re.findall(rf'action="/counter/appointments/{appt.id}/([a-z-]+)"', html))

    assert actions(day["early"]) == {"call", "start", "wasted"}
    assert actions(day["risky"]) == {"complete", "wasted"}
    assert actions(day["middle"]) == {"check-in"}
    assert actions(served) == set()
    assert html.count('name="a%d-window_id"' % day["early"].id) == 1  # the call form's window picker
    other_day = text(client.get(day_url(point, date="2019-10-08")))
    assert later_firm.name in other_day.split('id="day-table"')[1]
    assert f"/counter/appointments/{tuesday.id}/" not in other_day
    assert 'method="post"' not in other_day.split('id="day-table"')[1].split("</section>")[0]


def test_another_offices_officer_and_contacts_are_refused(client, auth, cast, day, point):
    auth.login("bayuquan-officer")
    assert client.get(day_url(point)).status_code == 403
    assert client.get("/counter/").status_code == 200  # no counter of his own: a list, empty
    page = client.get("/account/password")
    response = client.post(f"/counter/appointments/{day['early'].id}/check-in",
                           data={"csrf_token": csrf_from(page)})
    assert response.status_code == 404  # another office's firm at another office's counter
    assert fresh(day["early"]).status is AppointmentStatus.BOOKED
    auth.logout()
    auth.login("yalisi")
    assert client.get(day_url(point)).status_code == 403
    page = client.get("/account/password")
    response = client.post(f"/counter/appointments/{day['early'].id}/check-in", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 403
    assert fresh(day["early"]).status is AppointmentStatus.BOOKED


# The steps ----------------------------------------------------------------------------------------
def test_check_in_call_start_complete_with_the_certificates_issued(client, auth, cast, day, point):
    auth.login("officer")
    appt = day["risky"]
    response = step(client, point, appt, "check-in")
    assert "已取号，排队号1。" in text(response)
    assert fresh(appt).queue_number == 1 and fresh(appt).status is AppointmentStatus.WAITING
    # Checking in twice is refused in words.
    assert "无法取号" in text(step(client, point, appt, "check-in")) or "不能取号" in text(
        step(client, point, appt, "check-in"))
    window = point.windows[0]
    html = text(step(client, point, appt, "call", {f"a{appt.id}-window_id": window.id}))
    assert fresh(appt).status is AppointmentStatus.CALLED and fresh(appt).window_id == window.id
    assert "1号窗口" in html or "窗口 1" in html or "1 号窗口" in html
    step(client, point, appt, "start")
    assert fresh(appt).status is AppointmentStatus.SERVING
    # The complete form comes prefilled with the booked type and number.
    page = text(client.get(day_url(point)))
    assert re.search(rf'name="a{appt.id}-lines-0-quantity"[^>]*value="3"', page)
    co, form_e = certificate("CO"), certificate("FORM_E")
    response = step(client, point, appt, "complete", {
        f"a{appt.id}-lines-0-certificate_type_id": co.id, f"a{appt.id}-lines-0-quantity": 2,
        f"a{appt.id}-lines-1-certificate_type_id": form_e.id, f"a{appt.id}-lines-1-quantity": 1,
        f"a{appt.id}-lines-2-certificate_type_id": 0, f"a{appt.id}-lines-2-quantity": ""})
    served = fresh(appt)
    assert served.status is AppointmentStatus.COMPLETED
    assert sorted((i.certificate_type.code, i.quantity) for i in served.issued) == [("CO", 2), ("FORM_E", 1)]
    assert "已办结" in text(response) or "办结" in text(response)
    # Completing again is refused; nothing changes.
    again = step(client, point, appt, "complete", {
        f"a{appt.id}-lines-0-certificate_type_id": co.id, f"a{appt.id}-lines-0-quantity": 5})
    assert fresh(appt).issued[0].quantity in (1, 2) and len(fresh(appt).issued) == 2
    assert "alert-danger" in text(again)


def test_complete_without_any_line_and_steps_from_the_wrong_state_are_refused(client, auth, cast, day, point):
    auth.login("officer")
    appt = day["early"]
    assert "alert-danger" in text(step(client, point, appt, "start"))  # not checked in
    assert fresh(appt).status is AppointmentStatus.BOOKED
    step(client, point, appt, "check-in")
    step(client, point, appt, "start")
    response = step(client, point, appt, "complete", {f"a{appt.id}-lines-0-certificate_type_id": 0})
    assert fresh(appt).status is AppointmentStatus.SERVING
    assert "空跑" in text(response)  # "say which certificates were issued, or record a wasted trip"


def test_wasted_trip_needs_its_note_for_another_reason(client, auth, cast, day, point):
    auth.login("officer")
    appt = day["middle"]
    step(client, point, appt, "check-in")
    response = step(client, point, appt, "wasted", {f"a{appt.id}-reason": "other", f"a{appt.id}-note": " "})
    assert fresh(appt).status is AppointmentStatus.WAITING
    assert "其他原因" in text(response) or "原因" in text(response)
    step(client, point, appt, "wasted", {f"a{appt.id}-reason": "other", f"a{appt.id}-note": "印章不清"})
    wasted = fresh(appt)
    assert wasted.status is AppointmentStatus.WASTED and wasted.wasted_note == "印章不清"
    # Documents missing needs no note.
    other = day["early"]
    step(client, point, other, "check-in")
    html = text(step(client, point, other, "wasted", {f"a{other.id}-reason": "documents_missing"}))
    assert fresh(other).wasted_reason is WastedReason.DOCUMENTS_MISSING
    assert "单证不齐" in html


def test_no_show_by_hand_only_once_the_slot_has_started(client, auth, cast, day, point):
    auth.login("officer")
    html = text(client.get(day_url(point)))
    assert f"/counter/appointments/{day['early'].id}/no-show" in html  # 08:30 has started
    assert f"/counter/appointments/{day['middle'].id}/no-show" not in html  # 09:00 has not
    response = step(client, point, day["middle"], "no-show")
    assert fresh(day["middle"]).status is AppointmentStatus.BOOKED
    assert "alert-danger" in text(response)
    step(client, point, day["early"], "no-show")
    assert fresh(day["early"]).status is AppointmentStatus.NO_SHOW
    # A late arrival still checks in.
    step(client, point, day["early"], "check-in")
    assert fresh(day["early"]).status is AppointmentStatus.WAITING


def test_a_walk_in_resent_with_its_submission_key_joins_the_queue_once(client, auth, cast, day, point):
    auth.login("officer")
    page = client.get(f"/counter/{point.id}/walk-in")
    data = {"csrf_token": csrf_from(page), "submission_key": submission_key_from(page), "enterprise_id": 0,
            "visitor_name": "大石桥某矿产公司", "certificate_type_id": certificate("CO").id,
            "destination_country": "KR", "quantity": 1, "sailing_date": ""}
    first = client.post(f"/counter/{point.id}/walk-in", data=data, follow_redirects=True)
    assert "大石桥某矿产公司" in text(first)
    client.post(f"/counter/{point.id}/walk-in", data=data, follow_redirects=True)
    rows = db.session.scalars(sa.select(Appointment).where(Appointment.visitor_name == "大石桥某矿产公司")).all()
    assert len(rows) == 1 and rows[0].walk_in and rows[0].status is AppointmentStatus.WAITING
    assert rows[0].queue_number == 1
    # Neither a firm nor a name: refused at the field, nothing made.
    page = client.get(f"/counter/{point.id}/walk-in")
    response = client.post(f"/counter/{point.id}/walk-in", data={**data, "csrf_token": csrf_from(page),
                                                                 "submission_key": submission_key_from(page),
                                                                 "visitor_name": ""})
    assert response.status_code == 200 and 'id="form-errors"' in text(response)
    # A registered firm of his subtree.
    page = client.get(f"/counter/{point.id}/walk-in")
    firm = cast.contact.enterprise
    client.post(f"/counter/{point.id}/walk-in", data={**data, "csrf_token": csrf_from(page),
                                                      "submission_key": submission_key_from(page),
                                                      "enterprise_id": firm.id, "visitor_name": ""})
    made = db.session.scalar(sa.select(Appointment).where(Appointment.walk_in.is_(True),
                                                          Appointment.enterprise_id == firm.id))
    assert made is not None and made.queue_number == 2


# Thirty identical posts -----------------------------------------------------------------------------
def test_thirty_identical_check_ins_draw_one_queue_number(server, cast, day, point):
    session = requests.Session()
    page = session.get(f"{server}/login")
    session.post(f"{server}/login", data={"username": "officer", "password": PASSWORD,
                                          "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                                                                  page.text).group(1)})
    page = session.get(f"{server}/counter/{point.id}/day")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    appt_id = day["risky"].id
    db.session.rollback()
    barrier = threading.Barrier(30)
    statuses = [0] * 30

    def one(k):
        s = requests.Session()
        s.cookies.update(session.cookies)
        barrier.wait()
        statuses[k] = s.post(f"{server}/counter/appointments/{appt_id}/check-in", data={"csrf_token": token},
                             allow_redirects=False, timeout=120).status_code

    threads = [threading.Thread(target=one, args=(k,)) for k in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(statuses) == {302}
    db.session.rollback()
    appt = db.session.get(Appointment, appt_id)
    assert appt.status is AppointmentStatus.WAITING and appt.queue_number == 1
    numbers = db.session.scalars(sa.select(Appointment.queue_number).where(
        Appointment.service_point_id == point.id, Appointment.queue_number.is_not(None))).all()
    assert numbers == [1]


# The hall display -----------------------------------------------------------------------------------
def test_the_hall_display_shows_the_called_number_at_its_window_without_the_firms_name(client, auth, cast, day,
                                                                                       point):
    auth.login("manager")
    page = client.get(f"/counter/{point.id}/displays")
    response = client.post(f"/counter/{point.id}/displays", data={
        "csrf_token": csrf_from(page), "submission_key": submission_key_from(page), "name": "大厅东侧"})
    html = text(response)
    url = re.search(r'<code id="display-url">([^<]+)</code>', html).group(1)
    path = url[url.index("/counter/display/"):]
    # The officer calls 雅丽丝 to window 2, another firm waits.
    counter.check_in(day["early"], by=cast.officer)
    counter.call(day["early"], point.windows[1], by=cast.officer)
    counter.check_in(day["middle"], by=cast.officer)
    db.session.commit()
    auth.logout()
    screen = client.get(path)
    assert screen.status_code == 200
    shown = text(screen)
    assert re.search(r"1\s*号", shown) and "2号窗口" in shown.replace(" ", "")
    assert "营口雅丽丝服饰有限公司" not in shown and "营口三号贸易有限公司" not in shown
    assert "营口雅**" in shown
    assert '<meta http-equiv="refresh" content="5">' in shown and "<script" not in shown
    assert screen.headers["Content-Security-Policy"] == CSP and "unsafe-inline" not in CSP
    # Unknown and revoked tokens look alike: 404.
    assert client.get("/counter/display/nonsense").status_code == 404
    auth.login("manager")
    row = db.session.scalar(sa.select(DisplayToken).where(DisplayToken.service_point_id == point.id))
    page = client.get(f"/counter/{point.id}/displays")
    assert "大厅东侧" in text(page) and url not in text(page)  # the URL is shown once
    client.post(f"/counter/displays/{row.id}/revoke", data={"csrf_token": csrf_from(page)})
    auth.logout()
    assert client.get(path).status_code == 404


def test_officers_cannot_make_display_links_nor_edit_settings(client, auth, cast, point):
    auth.login("officer")
    assert client.get(f"/counter/{point.id}/displays").status_code == 403
    assert client.get(f"/counter/{point.id}/settings").status_code == 403
    assert client.get("/counter/settings").status_code == 403
    auth.logout()
    auth.login("manager-dl")  # the manager of the office above: he manages it
    assert client.get(f"/counter/{point.id}/settings").status_code == 200


# Settings -------------------------------------------------------------------------------------------
def settings_data(page, **changes) -> dict:
    """The settings form as the page fills it, with changes."""
    html = text(page)
    data = {"csrf_token": csrf_from(page)}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html):
        data.setdefault(name, value)
    for name in re.findall(r'<input[^>]*type="time"[^>]*name="([^"]+)"', html):
        data.setdefault(name, "")
    for name in re.findall(r'<input[^>]*name="([^"]+)"[^>]*type="time"', html):
        data.setdefault(name, "")
    if re.search(r'name="active"[^>]*checked', html):
        data["active"] = "y"
    data.pop("submit", None)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_change_of_hours_that_leaves_a_booked_slot_flags_it(client, auth, cast, day, point):
    auth.login("manager")
    page = client.get(f"/counter/{point.id}/settings")
    assert page.status_code == 200
    html = text(page)
    assert 'value="08:30"' in html and 'value="13:30"' in html
    # Monday closes in the afternoon now; the morning from 09:00 (the 08:30 slot has begun: it stays).
    data = settings_data(page, **{"days-0-first-opens": "09:30", "days-0-first-closes": "11:30",
                                  "days-0-second-opens": "", "days-0-second-closes": "", "capacity": "4"})
    response = client.post(f"/counter/{point.id}/settings", data=data, follow_redirects=True)
    shown = text(response)
    assert "1个预约需要重新安排，已通知相关企业。" in shown
    assert fresh(day["middle"]).needs_rearranging  # 09:00
    assert not fresh(day["risky"]).needs_rearranging  # 10:00 still offered
    db.session.refresh(point)
    assert point.capacity == 4
    # The day page lists the flagged bookings with their reason.
    day_html = text(client.get(day_url(point)))
    flagged = day_html[day_html.index('id="rearrange-table"'):]
    assert "营口三号贸易有限公司" in flagged


def test_a_stale_settings_form_says_so_and_saves_nothing(client, auth, cast, point):
    auth.login("manager")
    page = client.get(f"/counter/{point.id}/settings")
    first = settings_data(page, capacity="5")
    second = settings_data(page, capacity="7")
    assert client.post(f"/counter/{point.id}/settings", data=first).status_code == 302
    response = client.post(f"/counter/{point.id}/settings", data=second)
    assert response.status_code == 409
    assert "其他人" in text(response) or "别人" in text(response) or "他人" in text(response)
    db.session.rollback()
    assert db.session.get(ServicePoint, point.id).capacity == 5


def test_settings_refuse_overlapping_or_reversed_hours(client, auth, cast, point):
    auth.login("admin")
    page = client.get(f"/counter/{point.id}/settings")
    response = client.post(f"/counter/{point.id}/settings", data=settings_data(
        page, **{"days-1-first-opens": "12:00", "days-1-first-closes": "09:00"}))
    assert response.status_code == 200 and 'id="form-errors"' in text(response)
    response = client.post(f"/counter/{point.id}/settings", data=settings_data(
        page, **{"days-1-first-opens": "08:30", "days-1-first-closes": "14:00"}))
    assert response.status_code == 200 and "重叠" in text(response)


def test_a_manager_sets_up_a_counter_for_an_office_without_one(client, auth, cast, point):
    auth.login("manager-dl")
    page = client.get("/counter/settings")
    html = text(page)
    assert "营口海关原产地证窗口" in html and "鲅鱼圈海关" in html
    data = {"csrf_token": csrf_from(page), "submission_key": submission_key_from(page),
            "office_id": cast.org.bayuquan.id, "name": "鲅鱼圈原产地证窗口", "windows": 3}
    response = client.post("/counter/settings", data=data)
    assert response.status_code == 302
    client.post("/counter/settings", data=data)  # resent: one counter
    made = db.session.scalars(sa.select(ServicePoint).where(ServicePoint.office_id == cast.org.bayuquan.id)).all()
    assert len(made) == 1 and len(made[0].windows) == 3
