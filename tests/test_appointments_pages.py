"""The booking pages as their users drive them: a contact and an officer book in GET steps and one form
post, the booking window and the minimum notice refuse with their reasons, a resent form books once, a full
slot offers the nearest free ones, cancel and move within their limits, the .ics and the firm's private feed,
a contact's 404 for another firm's appointment by every URL, the history from the audit trail, and GETs
that never write. The clock stands on Friday 2019-09-27 09:00 in Yingkou (tests/test_appointments_core.py)."""
import re
from datetime import date

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from tests.conftest import certificate, csrf_from, local, page, query_count, slot_at, submission_key_from
from tracker.appointments import services as counter
from tracker.appointments.models import (
    Appointment, AppointmentStatus, CalendarFeed, Slot,
)
from tracker.audit.models import AuditRecord
from tracker.extensions import db
from tracker.submissions import SubmissionKey
from tracker.workdays import services as workdays
from tracker.workdays.models import OverrideKind


NOW = local(date(2019, 9, 27), 9)
MONDAY = date(2019, 9, 30)


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(counter, "clock", lambda: NOW)


@pytest.fixture
def point(cast):
    for user in (cast.admin, cast.manager, cast.officer, cast.officer_byq, cast.contact, cast.contact_byq):
        user.locale = "en"
    point = counter.create_service_point(cast.org.yingkou, name="营口海关原产地证窗口", windows=2, capacity=3, now=NOW)
    point.address = "营口市站前区渤海大街"
    db.session.commit()
    return point


def book(slot, firm, by, **kw):
    data = dict(certificate_type=certificate(), destination_country="ID", quantity=2, sailing_date=date(2019, 10, 12))
    data.update(kw)
    appointment = counter.book(slot, firm, by=by, now=NOW, **data)
    db.session.commit()
    return appointment


def details(**kw) -> dict:
    data = {"certificate_type_id": str(certificate().id), "destination_country": "ID", "quantity": "2",
            "sailing_date": "2019-10-12", "vessel": "YM WISDOM", "port": "营口港", "notes": ""}
    data.update(kw)
    return data


def form_post(client, form_url: str, data: dict, post_url: str = "/appointments/new", **kw):
    """Open the form page as a user does, then send it with its CSRF token and submission key."""
    response = client.get(form_url)
    assert response.status_code == 200, response.status_code
    fields = {"csrf_token": csrf_from(response)}
    if 'name="submission_key"' in response.get_data(as_text=True):
        fields["submission_key"] = submission_key_from(response)
    fields.update(data)
    return client.post(post_url, data=fields, **kw)


def appointments_of(firm) -> list[Appointment]:
    db.session.expire_all()
    return db.session.scalars(sa.select(Appointment).where(Appointment.enterprise_id == firm.id)
                              .order_by(Appointment.id)).all()


def text(response) -> str:
    return response.get_data(as_text=True)


# Booking --------------------------------------------------------------------------------------------
def test_a_contact_books_in_steps_and_one_form(client, auth, cast, point):
    auth.login("yalisi")
    # The counter of his firm's office is chosen for him; its days and their free slots are offered.
    body = page(client, "/appointments/new")
    assert "营口海关原产地证窗口" in body and 'id="day-choices"' in body
    assert "2019-09-30" in body and "2019-10-01" not in body  # the National Day holiday is closed
    body = page(client, f"/appointments/new?point={point.id}&day=2019-09-30")
    slot = slot_at(point, MONDAY, 9)
    assert f'data-slot="{slot.id}"' in body and "3 places left" in body
    body = page(client, f"/appointments/new?slot={slot.id}")
    assert "FORM E" in body or "Form E" in body or certificate().name in body
    assert "Indonesia" in body  # destination names from CLDR in the reader's language
    response = form_post(client, f"/appointments/new?slot={slot.id}", details(slot=str(slot.id)))
    assert response.status_code == 302
    [appointment] = appointments_of(cast.contact.enterprise)
    assert response.headers["Location"].endswith(f"/appointments/{appointment.id}")
    assert appointment.status is AppointmentStatus.BOOKED and appointment.slot_id == slot.id
    assert (appointment.quantity, appointment.vessel, appointment.port) == (2, "YM WISDOM", "营口港")
    assert appointment.booked_by_id == cast.contact.id
    db.session.refresh(slot)
    assert slot.booked == 1
    body = page(client, f"/appointments/{appointment.id}")
    assert "Booked" in body and "Indonesia" in body and "09:00" in body
    # His list shows it, upcoming, with its buttons.
    body = page(client, "/appointments/")
    assert "2019-09-30 09:00–09:30" in body and "Cancel the appointment" in body and ".ics" in body


def test_the_details_are_all_checked_at_once(client, auth, cast, point):
    auth.login("yalisi")
    slot = slot_at(point, MONDAY, 9)
    response = form_post(client, f"/appointments/new?slot={slot.id}",
                         details(slot=str(slot.id), certificate_type_id="0", destination_country="XX",
                                 quantity="0", sailing_date="2019-09-01"))
    assert response.status_code == 422
    body = text(response)
    assert 'id="form-errors"' in body
    assert "The sailing date cannot be in the past." in body
    assert "Choose Certificate type." in body
    assert "Number must be between 1 and 99." in body
    response = form_post(client, f"/appointments/new?slot={slot.id}", details(slot=str(slot.id), sailing_date=""))
    assert response.status_code == 422 and "Fill in Sailing date." in text(response)
    assert appointments_of(cast.contact.enterprise) == []


def test_an_officer_books_for_a_firm_of_his_subtree_only(client, auth, cast, point, factory):
    firm = factory.enterprise(cast.org.yingkou, name="营口隆盛贸易有限公司")
    other = factory.enterprise(cast.org.bayuquan, name="鲅鱼圈远洋有限公司")
    db.session.commit()
    auth.login("officer")
    body = page(client, "/appointments/new?q=隆盛")
    assert "营口隆盛贸易有限公司" in body
    slot = slot_at(point, MONDAY, 10)
    response = form_post(client, f"/appointments/new?enterprise={firm.id}&slot={slot.id}",
                         details(slot=str(slot.id), enterprise=str(firm.id)))
    assert response.status_code == 302
    [appointment] = appointments_of(firm)
    assert appointment.booked_by_id == cast.officer.id
    # A firm of 鲅鱼圈 is outside 营口's subtree: not found, by the steps or by the form.
    auth.logout()
    auth.login("bayuquan-officer")
    assert client.get(f"/appointments/new?enterprise={firm.id}").status_code == 404
    auth.logout()
    auth.login("officer")
    assert client.get(f"/appointments/new?enterprise={other.id}&slot={slot.id}").status_code == 404
    response = form_post(client, f"/appointments/new?enterprise={firm.id}&slot={slot.id}",
                         details(slot=str(slot.id), enterprise=str(other.id)))
    assert response.status_code == 404
    assert appointments_of(other) == []


def test_the_booking_window_and_the_minimum_notice_refuse_with_their_reason(client, auth, cast, point):
    auth.login("yalisi")
    # 09:30 today is within the hour's notice: not offered, and refused if sent anyway.
    soon = slot_at(point, date(2019, 9, 27), 9, 30)
    assert f'data-slot="{soon.id}"' not in page(client, f"/appointments/new?point={point.id}&day=2019-09-27")
    response = form_post(client, f"/appointments/new?slot={soon.id}", details(slot=str(soon.id)))
    assert response.status_code == 422
    assert "Bookings close 60 minutes before the slot starts." in text(response)
    # A day past the 14-day window (its slots are made one day beyond it).
    late = db.session.scalar(sa.select(Slot).where(Slot.service_point_id == point.id,
                                                   Slot.day > date(2019, 10, 11)).order_by(Slot.starts_at))
    assert late is not None
    response = form_post(client, f"/appointments/new?slot={late.id}", details(slot=str(late.id)))
    assert response.status_code == 422 and "Bookings open 14 days ahead." in text(response)
    assert appointments_of(cast.contact.enterprise) == []


def test_an_unconfirmed_year_shows_its_warning(client, auth, cast, monkeypatch):
    later = local(date(2031, 3, 3), 9)
    monkeypatch.setattr(counter, "clock", lambda: later)
    cast.contact.locale = "en"
    point = counter.create_service_point(cast.org.yingkou, name="营口海关原产地证窗口", now=later)
    db.session.commit()
    auth.login("yalisi")
    body = page(client, f"/appointments/new?point={point.id}&day=2031-03-04")
    assert 'id="calendar-warning"' in body and "2031" in body
    slot = slot_at(point, date(2031, 3, 4), 9)
    assert 'id="calendar-warning"' in page(client, f"/appointments/new?slot={slot.id}")


def test_the_same_submission_sent_twice_books_once(client, auth, cast, point):
    auth.login("yalisi")
    slot = slot_at(point, MONDAY, 9)
    response = client.get(f"/appointments/new?slot={slot.id}")
    data = {"csrf_token": csrf_from(response), "submission_key": submission_key_from(response),
            **details(slot=str(slot.id))}
    first = client.post("/appointments/new", data=data)
    second = client.post("/appointments/new", data=data)
    [appointment] = appointments_of(cast.contact.enterprise)
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers["Location"].endswith(f"/appointments/{appointment.id}")
    db.session.refresh(slot)
    assert slot.booked == 1
    assert "it was recorded once" in page(client, second.headers["Location"])


def test_a_full_slot_offers_the_nearest_free_ones(client, auth, cast, point, factory):
    slot = slot_at(point, MONDAY, 9)
    for _n in range(3):
        book(slot, factory.enterprise(cast.org.yingkou), cast.officer)
    auth.login("yalisi")
    body = page(client, f"/appointments/new?point={point.id}&day=2019-09-30")
    assert re.search(rf'<button[^>]*disabled data-slot="{slot.id}">09:00–09:30 · full', body)
    response = form_post(client, f"/appointments/new?slot={slot.id}", details(slot=str(slot.id)))
    assert response.status_code == 409
    body = text(response)
    assert "This slot is fully booked." in body
    nearest = [slot_at(point, MONDAY, 8, 30), slot_at(point, MONDAY, 9, 30), slot_at(point, MONDAY, 10)]
    for alternative in nearest:
        assert f'value="{alternative.id}"' in body
    # Picking one of them (the form's other values kept) books it.
    key = submission_key_from(response)
    response = client.post("/appointments/new", data={"csrf_token": csrf_from(response), "submission_key": key,
                                                      **details(slot=str(nearest[1].id))})
    assert response.status_code == 302
    [appointment] = appointments_of(cast.contact.enterprise)
    assert appointment.slot_id == nearest[1].id


# Cancel and move --------------------------------------------------------------------------------------
def test_a_contact_cancels_and_moves_up_to_the_minimum_notice(client, auth, cast, point):
    appointment = book(slot_at(point, MONDAY, 9), cast.contact.enterprise, cast.contact)
    auth.login("yalisi")
    target = slot_at(point, MONDAY, 14)
    body = page(client, f"/appointments/{appointment.id}/reschedule?day=2019-09-30")
    assert f'value="{target.id}"' in body
    response = form_post(client, f"/appointments/{appointment.id}/reschedule?day=2019-09-30",
                         {"slot": str(target.id)}, post_url=f"/appointments/{appointment.id}/reschedule")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).slot_id == target.id
    assert slot_at(point, MONDAY, 9).booked == 0 and target.booked == 1
    response = form_post(client, f"/appointments/{appointment.id}", {},
                         post_url=f"/appointments/{appointment.id}/cancel", follow_redirects=True)
    assert "The appointment has been cancelled." in text(response)
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status is AppointmentStatus.CANCELLED
    assert slot_at(point, MONDAY, 14).booked == 0


def test_within_the_notice_the_contact_is_told_why_and_refused(client, auth, cast, point, monkeypatch):
    appointment = book(slot_at(point, MONDAY, 9), cast.contact.enterprise, cast.contact)
    monkeypatch.setattr(counter, "clock", lambda: local(MONDAY, 8, 30))
    auth.login("yalisi")
    body = page(client, f"/appointments/{appointment.id}")
    assert "Cancel the appointment" not in body
    assert "Bookings can be cancelled or moved up to 60 minutes before the slot" in body
    assert 'id="refusal"' in page(client, f"/appointments/{appointment.id}/reschedule")
    csrf = csrf_from(client.get("/appointments/"))
    response = client.post(f"/appointments/{appointment.id}/cancel", data={"csrf_token": csrf}, follow_redirects=True)
    assert "Bookings can be cancelled or moved up to 60 minutes before the slot" in text(response)
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status is AppointmentStatus.BOOKED
    # The officer may still cancel until the slot starts.
    auth.logout()
    auth.login("officer")
    response = form_post(client, f"/appointments/{appointment.id}", {},
                         post_url=f"/appointments/{appointment.id}/cancel", follow_redirects=True)
    assert "The appointment has been cancelled." in text(response)


def test_a_checked_in_appointment_is_neither_cancelled_nor_moved(client, auth, cast, point, monkeypatch):
    appointment = book(slot_at(point, MONDAY, 9), cast.contact.enterprise, cast.contact)
    counter.check_in(appointment, by=cast.officer, now=local(MONDAY, 8, 40))
    db.session.commit()
    auth.login("officer")
    monkeypatch.setattr(counter, "clock", lambda: local(MONDAY, 8, 45))
    body = page(client, f"/appointments/{appointment.id}")
    assert "Cancel the appointment" not in body and "Only a booking nobody has checked in yet" in body
    response = form_post(client, f"/appointments/{appointment.id}", {"slot": str(slot_at(point, MONDAY, 14).id)},
                         post_url=f"/appointments/{appointment.id}/reschedule")
    assert response.status_code == 422
    assert "Only a booking nobody has checked in yet" in text(response)


def test_staff_move_a_flagged_appointment_and_a_full_target_offers_alternatives(client, auth, cast, point, factory):
    appointment = book(slot_at(point, date(2019, 10, 8), 9), cast.contact.enterprise, cast.contact)
    workdays.add_override(date(2019, 10, 8), OverrideKind.CLOSURE, "办公楼停电", by=cast.admin)
    db.session.commit()
    full = slot_at(point, date(2019, 10, 9), 9)
    for _n in range(3):
        book(full, factory.enterprise(cast.org.yingkou), cast.officer)
    auth.login("officer")
    body = page(client, f"/appointments/{appointment.id}")
    db.session.refresh(appointment)
    assert appointment.needs_rearranging
    assert 'id="rearrange-warning"' in body and appointment.rearrange_reason in body
    assert "To be rearranged" in page(client, "/appointments/?rearrange=1")
    response = form_post(client, f"/appointments/{appointment.id}/reschedule?day=2019-10-09",
                         {"slot": str(full.id)}, post_url=f"/appointments/{appointment.id}/reschedule")
    assert response.status_code == 409 and "This slot is fully booked." in text(response)
    alternative = slot_at(point, date(2019, 10, 9), 9, 30)
    assert f'value="{alternative.id}"' in text(response)
    response = client.post(f"/appointments/{appointment.id}/reschedule",
                           data={"csrf_token": csrf_from(response), "slot": str(alternative.id)})
    assert response.status_code == 302
    db.session.expire_all()
    moved = db.session.get(Appointment, appointment.id)
    assert moved.slot_id == alternative.id and not moved.needs_rearranging


# Calendar ---------------------------------------------------------------------------------------------
def parse(response) -> Calendar:
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.data)


def test_the_ics_of_an_appointment(client, auth, cast, point):
    appointment = book(slot_at(point, MONDAY, 9), cast.contact.enterprise, cast.contact, vessel="YM WISDOM")
    auth.login("yalisi")
    cal = parse(client.get(f"/appointments/{appointment.id}.ics"))
    [event] = cal.walk("VEVENT")
    start = event.decoded("dtstart")
    assert start == local(MONDAY, 9) and str(start.tzinfo) == "Asia/Shanghai"
    assert event["dtstart"].params["TZID"] == "Asia/Shanghai"
    assert event.decoded("dtend") == local(MONDAY, 9, 30)
    assert cal.walk("VTIMEZONE")[0]["tzid"] == "Asia/Shanghai"
    assert str(event["summary"]) == "原产地证预约：营口海关原产地证窗口"
    assert "营口海关原产地证窗口" in str(event["location"]) and "渤海大街" in str(event["location"])
    description = str(event["description"])
    assert certificate().name in description and "2019-10-12" in description and "印度尼西亚" in description
    assert str(event["status"]) == "CONFIRMED"
    uid = str(event["uid"])
    # Cancelled: the same event (same UID), STATUS:CANCELLED.
    counter.cancel(db.session.get(Appointment, appointment.id), by=cast.contact, now=NOW)
    db.session.commit()
    [event] = parse(client.get(f"/appointments/{appointment.id}.ics")).walk("VEVENT")
    assert str(event["uid"]) == uid and str(event["status"]) == "CANCELLED"


def _feed_url(response) -> str:
    match = re.search(r'id="feed-url" value="([^"]+)"', text(response))
    assert match
    return match.group(1)


def test_a_firm_feed_by_token_and_its_revocation(client, auth, cast, point, caplog):
    mine = book(slot_at(point, MONDAY, 9), cast.contact.enterprise, cast.contact)
    book(slot_at(point, MONDAY, 10), cast.contact_byq.enterprise, cast.contact_byq)
    auth.login("yalisi")
    body = page(client, "/appointments/")
    assert 'id="calendar-feed"' in body and "Make a calendar feed" in body
    response = form_post(client, "/appointments/", {},
                         post_url=f"/appointments/firms/{cast.contact.enterprise.id}/feed")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    url = _feed_url(response)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    stored = db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.enterprise_id == cast.contact.enterprise.id))
    assert token not in stored.token_hash
    auth.logout()
    # The feed is public: read without signing in, the firm's appointments only.
    path = url.split("localhost", 1)[1]
    cal = parse(client.get(path))
    uids = [str(e["uid"]) for e in cal.walk("VEVENT")]
    assert uids == [f"appointment-{mine.id}@customs-outreach-tracker"]
    # The token is shown once: never on the pages after, never in the log.
    auth.login("yalisi")
    body = page(client, "/appointments/")
    assert token not in body and "A feed is in use" in body
    assert token not in caplog.text
    # Switched off: the URL answers 404 like any unknown token.
    response = form_post(client, "/appointments/", {},
                         post_url=f"/appointments/firms/{cast.contact.enterprise.id}/feed/revoke",
                         follow_redirects=True)
    assert "The calendar feed has been switched off" in text(response)
    auth.logout()
    assert client.get(path).status_code == 404
    assert client.get("/appointments/feed/not-a-token.ics").status_code == 404


def test_a_new_feed_address_replaces_the_old(client, auth, cast, point):
    auth.login("yalisi")
    post_url = f"/appointments/firms/{cast.contact.enterprise.id}/feed"
    first = _feed_url(form_post(client, "/appointments/", {}, post_url=post_url)).split("localhost", 1)[1]
    second = _feed_url(form_post(client, "/appointments/", {}, post_url=post_url)).split("localhost", 1)[1]
    assert first != second
    assert client.get(first).status_code == 404 and client.get(second).status_code == 200


# Scope --------------------------------------------------------------------------------------------------
def test_a_contact_gets_404_for_another_firms_appointment_by_every_url(client, auth, cast, point):
    theirs = book(slot_at(point, MONDAY, 9), cast.contact_byq.enterprise, cast.contact_byq)
    auth.login("yalisi")
    for url in (f"/appointments/{theirs.id}", f"/appointments/{theirs.id}.ics",
                f"/appointments/{theirs.id}/reschedule"):
        assert client.get(url).status_code == 404, url
    csrf = csrf_from(client.get("/appointments/"))
    for url in (f"/appointments/{theirs.id}/cancel", f"/appointments/{theirs.id}/reschedule",
                f"/appointments/firms/{cast.contact_byq.enterprise.id}/feed",
                f"/appointments/firms/{cast.contact_byq.enterprise.id}/feed/revoke"):
        assert client.post(url, data={"csrf_token": csrf, "slot": "1"}).status_code == 404, url
    assert "鲅鱼圈" not in page(client, "/appointments/") or theirs.enterprise.name not in page(client, "/appointments/")
    # Another firm's feed answers only for its own token.
    db.session.expire_all()
    assert db.session.get(Appointment, theirs.id).status is AppointmentStatus.BOOKED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarFeed)) == 0


# History ----------------------------------------------------------------------------------------------
def test_the_history_shows_booked_moved_and_cancelled_with_who_and_when(client, auth, cast, point):
    auth.login("yalisi")
    slot = slot_at(point, MONDAY, 9)
    response = form_post(client, f"/appointments/new?slot={slot.id}", details(slot=str(slot.id)))
    appointment_id = int(response.headers["Location"].rsplit("/", 1)[1])
    target = slot_at(point, MONDAY, 14)
    form_post(client, f"/appointments/{appointment_id}/reschedule?day=2019-09-30", {"slot": str(target.id)},
              post_url=f"/appointments/{appointment_id}/reschedule")
    auth.logout()
    auth.login("officer")
    form_post(client, f"/appointments/{appointment_id}", {}, post_url=f"/appointments/{appointment_id}/cancel")
    body = page(client, f"/appointments/{appointment_id}")
    history = body.split('id="appointment-history"', 1)[1].split("</ol>", 1)[0]
    steps = re.findall(r"<strong>([^<]+)</strong>", history)
    assert steps == ["Booked", "Moved to another slot", "Cancelled"]
    assert "2019-09-30 09:00–09:30 → 2019-09-30 14:00–14:30" in history
    assert history.count(cast.contact.display_name) >= 2 and cast.officer.display_name in history


# Lists --------------------------------------------------------------------------------------------------
def test_the_staff_list_filters_and_its_query_count_does_not_grow(app, client, auth, cast, point, factory):
    firms = [factory.enterprise(cast.org.yingkou, name=f"营口测试{n}号有限公司") for n in range(3)]
    book(slot_at(point, MONDAY, 9), firms[0], cast.officer)
    auth.login("officer")
    few = query_count(app, client, "/appointments/")
    for n, day in enumerate((MONDAY, date(2019, 10, 8), date(2019, 10, 9))):
        for hh in (10, 14, 15):
            book(slot_at(point, day, hh), firms[(n + hh) % 3], cast.officer)
    assert query_count(app, client, "/appointments/") == few
    body = page(client, f"/appointments/?day=2019-10-08&point={point.id}")
    assert body.count("2019-10-08 ") >= 3 and "2019-09-30 09:00" not in body
    body = page(client, "/appointments/?q=营口测试1号")
    assert "营口测试1号有限公司" in body and "营口测试2号有限公司" not in body
    assert "No appointments match." in page(client, "/appointments/?status=completed")


def test_the_contact_list_query_count_does_not_grow(app, client, auth, cast, point):
    firm = cast.contact.enterprise
    book(slot_at(point, MONDAY, 9), firm, cast.contact)
    auth.login("yalisi")
    few = query_count(app, client, "/appointments/")
    for day in (date(2019, 10, 8), date(2019, 10, 9), date(2019, 10, 10)):
        book(slot_at(point, day, 10), firm, cast.contact)
    assert query_count(app, client, "/appointments/") == few
    body = page(client, "/appointments/")
    # Upcoming first, soonest first.
    assert body.index("2019-09-30 09:00") < body.index("2019-10-08 10:00") < body.index("2019-10-10 10:00")


def test_a_get_never_writes(client, auth, cast, point):
    appointment = book(slot_at(point, MONDAY, 9), cast.contact.enterprise, cast.contact)
    slot = slot_at(point, MONDAY, 10)
    auth.login("yalisi")
    before = (db.session.scalar(sa.select(sa.func.count()).select_from(AuditRecord)),
              db.session.scalar(sa.select(sa.func.count()).select_from(SubmissionKey)),
              db.session.scalar(sa.select(sa.func.count()).select_from(Appointment)))
    for url in ("/appointments/", "/appointments/new", f"/appointments/new?point={point.id}&day=2019-09-30",
                f"/appointments/new?slot={slot.id}", f"/appointments/{appointment.id}",
                f"/appointments/{appointment.id}.ics", f"/appointments/{appointment.id}/reschedule?day=2019-09-30",
                f"/appointments/{appointment.id}/cancel", "/appointments/feed/x.ics"):
        client.get(url)
    db.session.expire_all()
    after = (db.session.scalar(sa.select(sa.func.count()).select_from(AuditRecord)),
             db.session.scalar(sa.select(sa.func.count()).select_from(SubmissionKey)),
             db.session.scalar(sa.select(sa.func.count()).select_from(Appointment)))
    assert after == before
    assert db.session.get(Appointment, appointment.id).status is AppointmentStatus.BOOKED


def test_the_portal_shows_the_coming_appointments_and_the_firm_page_links_staff(client, auth, cast, point):
    appointment = book(slot_at(point, MONDAY, 9), cast.contact.enterprise, cast.contact)
    auth.login("yalisi")
    body = page(client, "/portal/")
    section = body.split('id="portal-appointments"', 1)[1].split("</ul>", 1)[0]
    assert f"/appointments/{appointment.id}" in section and "2019-09-30 09:00–09:30" in section
    assert 'id="portal-book"' in body
    auth.logout()
    auth.login("officer")
    body = page(client, f"/enterprises/{cast.contact.enterprise.id}")
    assert f"/appointments/new?enterprise={cast.contact.enterprise.id}" in body
    body = page(client, f"/appointments/?enterprise={cast.contact.enterprise.id}")
    assert 'id="calendar-feed"' in body and "2019-09-30 09:00" in body
