"""The counter's core rules, at the service level: slots from the hours and the working-day calendar, the
booking window and notice, capacity held by the database under concurrency, rescheduling, closures that
flag bookings, queue numbers and automatic no-shows. The pages, the API and the browser drive the same
services in their own test modules."""
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import certificate, local, slot_at, race
from tracker.appointments import services as counter
from tracker.appointments.models import (
    Appointment, AppointmentStatus, CertificateType, Slot, WastedReason,
)
from tracker.domain import DomainError
from tracker.extensions import db
from tracker.workdays import services as workdays
from tracker.workdays.models import OverrideKind


# Friday 2019-09-27, 09:00 in Yingkou: the week before the National Day holiday (10-01 to 10-07) and its
# make-up working Sunday 2019-09-29.
NOW = local(date(2019, 9, 27), 9)


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(counter, "clock", lambda: NOW)


@pytest.fixture
def point(cast):
    point = counter.create_service_point(cast.org.yingkou, name="营口海关原产地证窗口", windows=2, capacity=3,
                                         now=NOW)
    db.session.commit()
    return point


def book(slot, firm, by, now=NOW, **kw):
    data = dict(certificate_type=certificate(), destination_country="ID", quantity=2,
                sailing_date=date(2019, 10, 12))
    data.update(kw)
    return counter.book(slot, firm, by=by, now=now, **data)


# Slots from hours and calendar ----------------------------------------------------------------------
def test_slots_follow_the_hours_and_the_working_day_calendar(point):
    days = {d for d in db.session.scalars(sa.select(Slot.day).where(Slot.service_point_id == point.id))}
    # The National Day holiday is closed, its make-up working Sunday open, an ordinary Saturday closed.
    assert not days & {date(2019, 10, d) for d in range(1, 8)}
    assert date(2019, 9, 29) in days and date(2019, 9, 28) not in days
    assert date(2019, 9, 30) in days and date(2019, 10, 8) in days
    # Two periods of three hours, 30-minute slots: 12 a day, from 08:30 to 16:00.
    monday = db.session.scalars(sa.select(Slot).where(Slot.service_point_id == point.id,
                                                      Slot.day == date(2019, 9, 30)).order_by(Slot.starts_at)).all()
    assert len(monday) == 12
    assert monday[0].starts_at == local(date(2019, 9, 30), 8, 30)
    assert monday[-1].ends_at == local(date(2019, 9, 30), 16, 30)
    assert {s.capacity for s in monday} == {3}
    # Today's slots already begun are not made; the booking window ends 14 days ahead (plus the day after).
    assert slot_at(point, date(2019, 9, 27), 8, 30) is None
    assert slot_at(point, date(2019, 9, 27), 9, 30) is not None
    assert max(days) <= date(2019, 10, 12)


def test_an_admin_closure_wins_and_flags_the_days_bookings(point, cast, factory):
    firm = cast.contact.enterprise
    appointment = book(slot_at(point, date(2019, 10, 8), 9), firm, cast.contact)
    db.session.commit()
    workdays.add_override(date(2019, 10, 8), OverrideKind.CLOSURE, "办公楼停电", by=cast.admin)
    db.session.commit()
    slots = db.session.scalars(sa.select(Slot).where(Slot.day == date(2019, 10, 8))).all()
    # Only the booked slot is kept, withdrawn; its booking is flagged, not dropped.
    assert [(s.starts_at, s.offered, s.booked) for s in slots] == [(local(date(2019, 10, 8), 9), False, 1)]
    db.session.refresh(appointment)
    assert appointment.status is AppointmentStatus.BOOKED and appointment.needs_rearranging
    assert appointment.rearrange_reason
    # A withdrawn slot takes no more bookings.
    with pytest.raises(DomainError):
        book(slots[0], factory.enterprise(cast.org.yingkou), cast.officer)


def test_an_unconfirmed_year_is_bookable_with_a_warning(cast):
    later = local(date(2031, 3, 3), 9)
    point = counter.create_service_point(cast.org.yingkou, name="窗口", now=later)
    db.session.commit()
    slot = slot_at(point, date(2031, 3, 4), 9)
    assert slot is not None
    assert "2031" in counter.calendar_warning(slot)
    assert counter.calendar_warning(slot_at(point, date(2031, 3, 4), 9).day.replace(year=2019)) is None


def test_a_change_of_hours_keeps_booked_slots_and_flags_them(point, cast):
    booked = book(slot_at(point, date(2019, 9, 30), 15), cast.contact.enterprise, cast.contact)
    db.session.commit()
    mornings = [(d, time(8, 30), time(11, 30)) for d in range(5)]
    result = counter.update_service_point(point, name=point.name, address=None, slot_minutes=30, capacity=2,
                                          booking_days=14, min_notice_minutes=60, grace_minutes=30, active=True,
                                          hours=mornings, windows=2, now=NOW)
    db.session.commit()
    assert [a.id for a in result.flagged] == [booked.id]
    afternoon = slot_at(point, date(2019, 9, 30), 15)
    assert afternoon.offered is False and afternoon.booked == 1
    assert slot_at(point, date(2019, 9, 30), 14) is None
    assert slot_at(point, date(2019, 9, 30), 9).capacity == 2
    db.session.refresh(booked)
    assert booked.needs_rearranging


def test_hours_are_checked(point):
    with pytest.raises(DomainError):
        counter.parse_hours([(0, time(11), time(9))])
    with pytest.raises(DomainError):
        counter.parse_hours([(0, time(8), time(11)), (0, time(10), time(12))])
    with pytest.raises(DomainError):
        counter.check_rules(30, 0, 14, 60, 30)


# Booking rules ----------------------------------------------------------------------------------------
def test_the_booking_window_and_the_minimum_notice(point, cast):
    firm = cast.contact.enterprise
    # 09:30 today is 30 minutes away, inside the one-hour notice; 10:00 is exactly an hour away.
    with pytest.raises(DomainError, match="60"):
        book(slot_at(point, date(2019, 9, 27), 9, 30), firm, cast.contact)
    assert book(slot_at(point, date(2019, 9, 27), 10), firm, cast.contact).status is AppointmentStatus.BOOKED
    # 2019-10-11 is 14 days ahead: open; 2019-10-12 (a make-up working Saturday) is 15 days ahead: not yet.
    assert book(slot_at(point, date(2019, 10, 11), 9), firm, cast.contact)
    with pytest.raises(DomainError, match="14"):
        book(slot_at(point, date(2019, 10, 12), 9), firm, cast.contact)


def test_a_contact_books_for_his_own_firm_only_and_staff_within_their_subtree(point, cast):
    slot = slot_at(point, date(2019, 9, 30), 9)
    with pytest.raises(DomainError):
        book(slot, cast.contact_byq.enterprise, cast.contact)
    with pytest.raises(DomainError):
        book(slot, cast.contact_byq.enterprise, cast.officer)  # 鲅鱼圈's firm, 营口's officer
    assert book(slot, cast.contact_byq.enterprise, cast.officer_byq)


def test_one_active_booking_per_firm_per_slot_and_the_request_is_checked(point, cast):
    slot = slot_at(point, date(2019, 9, 30), 9)
    firm = cast.contact.enterprise
    first = book(slot, firm, cast.contact)
    with pytest.raises(DomainError, match="已预约该时段"):
        book(slot, firm, cast.officer)
    # The second booking took a place before the unique index refused it, and gave it back.
    assert db.session.scalar(sa.select(Slot.booked).where(Slot.id == slot.id)) == slot.booked == 1
    counter.cancel(first, by=cast.contact, now=NOW)
    assert slot.booked == 0  # the session's copy reads the freed place
    assert book(slot, firm, cast.contact)  # a cancelled booking no longer counts
    assert db.session.scalar(sa.select(Slot.booked).where(Slot.id == slot.id)) == 1
    for bad in (dict(destination_country="XX"), dict(destination_country="CN"), dict(quantity=0),
                dict(quantity=100), dict(sailing_date=date(2019, 9, 26)), dict(sailing_date=None)):
        with pytest.raises(DomainError):
            book(slot_at(point, date(2019, 9, 30), 10), firm, cast.contact, **bad)
    assert slot_at(point, date(2019, 9, 30), 10).booked == 0


def test_a_full_slot_says_so_and_offers_the_nearest_free_slots(point, cast, factory):
    slot = slot_at(point, date(2019, 9, 30), 10)
    for _ in range(3):
        book(slot, factory.enterprise(cast.org.yingkou), cast.officer)
    # The slot just after is full too: the nearest free ones are 09:30, then 09:00 and 11:00 (an hour either
    # way: the earlier first, for a sailing).
    for _ in range(3):
        book(slot_at(point, date(2019, 9, 30), 10, 30), factory.enterprise(cast.org.yingkou), cast.officer)
    with pytest.raises(counter.SlotFull) as refused:
        book(slot, cast.contact.enterprise, cast.contact)
    assert [s.starts_at for s in refused.value.alternatives] == [
        local(date(2019, 9, 30), 9, 30), local(date(2019, 9, 30), 9), local(date(2019, 9, 30), 11)]
    assert slot.booked == 3


def test_a_firm_holding_a_place_in_a_full_slot_is_told_so_not_offered_others(point, cast, factory):
    slot = slot_at(point, date(2019, 9, 30), 10)
    book(slot, cast.contact.enterprise, cast.contact)
    for _ in range(2):
        book(slot, factory.enterprise(cast.org.yingkou), cast.officer)
    with pytest.raises(DomainError, match="已预约该时段") as refused:
        book(slot, cast.contact.enterprise, cast.officer)
    assert not isinstance(refused.value, counter.SlotFull)
    assert db.session.scalar(sa.select(Slot.booked).where(Slot.id == slot.id)) == 3


def test_a_place_freed_in_the_same_transaction_can_be_booked_at_once(point, cast, factory):
    """book() refuses a slot it reads full without trying the UPDATE; a cancellation or a move out of the
    slot in the same session must not leave it reading full."""
    slot = slot_at(point, date(2019, 9, 30), 11)
    firms = [factory.enterprise(cast.org.yingkou) for _ in range(4)]
    made = [book(slot, firm, cast.officer) for firm in firms[:3]]
    assert slot.booked == slot.capacity == 3
    counter.cancel(made[0], by=cast.officer, now=NOW)
    assert book(slot, firms[3], cast.officer)
    counter.reschedule(made[1], slot_at(point, date(2019, 9, 30), 14), by=cast.officer, now=NOW)
    assert book(slot, firms[0], cast.officer)
    with pytest.raises(counter.SlotFull):
        book(slot, factory.enterprise(cast.org.yingkou), cast.officer)
    assert db.session.scalar(sa.select(Slot.booked).where(Slot.id == slot.id)) == 3


def test_cancel_and_reschedule_limits(point, cast):
    firm = cast.contact.enterprise
    soon = book(slot_at(point, date(2019, 9, 27), 11), firm, cast.contact)
    # 10:05: 55 minutes before the slot, within the notice: the contact may no longer cancel or move it.
    late = local(date(2019, 9, 27), 10, 5)
    with pytest.raises(DomainError, match="60"):
        counter.cancel(soon, by=cast.contact, now=late)
    with pytest.raises(DomainError):
        counter.reschedule(soon, slot_at(point, date(2019, 9, 30), 9), by=cast.contact, now=late)
    # An officer still may, until the slot is over.
    counter.reschedule(soon, slot_at(point, date(2019, 9, 30), 9), by=cast.officer, now=late)
    assert soon.slot.starts_at == local(date(2019, 9, 30), 9)
    assert slot_at(point, date(2019, 9, 27), 11).booked == 0 and soon.slot.booked == 1
    # Once checked in, nobody cancels it.
    counter.check_in(soon, by=cast.officer, now=local(date(2019, 9, 30), 8, 50))
    with pytest.raises(DomainError):
        counter.cancel(soon, by=cast.officer, now=local(date(2019, 9, 30), 8, 51))


# Capacity under concurrency: separate threads, each its own connection --------------------------------
N = 50


def test_fifty_simultaneous_bookings_fill_a_slot_of_three_exactly(app, point, cast, factory):
    slot_id = slot_at(point, date(2019, 9, 30), 9).id
    firms = [factory.enterprise(cast.org.yingkou).id for _ in range(N)]
    officer_id, type_id = cast.officer.id, certificate().id
    db.session.commit()

    def work(k):
        from tracker.auth.models import User
        from tracker.enterprises.models import Enterprise

        counter.book(db.session.get(Slot, slot_id), db.session.get(Enterprise, firms[k]),
                     by=db.session.get(User, officer_id), certificate_type=db.session.get(CertificateType, type_id),
                     destination_country="ID", quantity=1, sailing_date=date(2019, 10, 12), now=NOW)

    outcomes = race(app, N, work, {counter.SlotFull: "full"})
    assert sorted(outcomes).count("ok") == 3, outcomes
    assert outcomes.count("full") == N - 3, outcomes
    db.session.rollback()
    assert db.session.get(Slot, slot_id).booked == 3
    assert db.session.scalar(sa.select(sa.func.count(Appointment.id)).where(Appointment.slot_id == slot_id)) == 3


def test_fifty_simultaneous_reschedules_into_a_slot_of_three(app, point, cast, factory):
    target_id = slot_at(point, date(2019, 9, 30), 14).id
    appointments = []
    for k in range(N):
        firm = factory.enterprise(cast.org.yingkou)
        source = db.session.scalars(sa.select(Slot).where(Slot.service_point_id == point.id, Slot.booked < 3,
                                                          Slot.day > date(2019, 10, 7)).order_by(Slot.starts_at)
                                    ).first()
        appointments.append(book(source, firm, cast.officer).id)
    officer_id = cast.officer.id
    db.session.commit()

    def work(k):
        from tracker.auth.models import User

        counter.reschedule(db.session.get(Appointment, appointments[k]), db.session.get(Slot, target_id),
                           by=db.session.get(User, officer_id), now=NOW)

    outcomes = race(app, N, work, {counter.SlotFull: "full"})
    assert outcomes.count("ok") == 3, outcomes
    assert outcomes.count("full") == N - 3, outcomes
    db.session.rollback()
    assert db.session.get(Slot, target_id).booked == 3
    # Every slot's count equals its active appointments: no place lost or doubled by the moves.
    counts = dict(db.session.execute(sa.select(Appointment.slot_id, sa.func.count()).where(
        Appointment.status != AppointmentStatus.CANCELLED).group_by(Appointment.slot_id)).all())
    for slot in db.session.scalars(sa.select(Slot).where(Slot.service_point_id == point.id)):
        assert slot.booked == counts.get(slot.id, 0), slot


def test_the_database_refuses_a_slot_over_capacity_whatever_the_code_does(point):
    slot = slot_at(point, date(2019, 9, 30), 9)
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.update(Slot).where(Slot.id == slot.id).values(booked=4))
        db.session.flush()
    db.session.rollback()


# The counter's day ------------------------------------------------------------------------------------
def test_queue_numbers_walk_ins_calls_and_the_times_they_give(point, cast):
    day = date(2019, 9, 30)
    firm = cast.contact.enterprise
    booked = book(slot_at(point, day, 9), firm, cast.contact)
    arrival = local(day, 8, 50)
    counter.check_in(booked, by=cast.officer, now=arrival)
    walk = counter.walk_in(point, by=cast.officer, visitor_name="营口某贸易公司", certificate_type=certificate("CO"),
                           destination_country="JP", quantity=1, now=local(day, 8, 55))
    assert (booked.queue_number, walk.queue_number) == (1, 2)
    assert walk.status is AppointmentStatus.WAITING and walk.walk_in
    window = point.windows[0]
    counter.call(booked, window, by=cast.officer, now=local(day, 9, 2))
    counter.start(booked, by=cast.officer, now=local(day, 9, 3))
    counter.complete(booked, [(certificate("FORM_E"), 2), (certificate("CO"), 1)], by=cast.officer,
                     now=local(day, 9, 15))
    assert booked.status is AppointmentStatus.COMPLETED
    assert booked.waiting_time == timedelta(minutes=12) and booked.handling_time == timedelta(minutes=12)
    assert {(i.certificate_type.code, i.quantity) for i in booked.issued} == {("FORM_E", 2), ("CO", 1)}
    with pytest.raises(DomainError):
        counter.complete(walk, [(certificate("CO"), 1)], by=cast.officer, now=local(day, 9, 16))
    counter.call(walk, point.windows[1], by=cast.officer, now=local(day, 9, 16))
    with pytest.raises(DomainError, match="其他原因"):
        counter.record_wasted(walk, WastedReason.OTHER, "", by=cast.officer, now=local(day, 9, 20))
    counter.record_wasted(walk, WastedReason.DOCUMENTS_MISSING, None, by=cast.officer, now=local(day, 9, 20))
    assert walk.status is AppointmentStatus.WASTED and walk.wasted_reason is WastedReason.DOCUMENTS_MISSING
    # Checking in on another day is refused.
    tomorrow = book(slot_at(point, date(2019, 10, 8), 9), firm, cast.contact)
    with pytest.raises(DomainError, match="2019-10-08"):
        counter.check_in(tomorrow, by=cast.officer, now=arrival)


def test_no_shows_are_marked_after_the_slot_and_its_grace_period_once(point, cast):
    day = date(2019, 9, 30)
    appointment = book(slot_at(point, day, 9), cast.contact.enterprise, cast.contact)
    db.session.commit()
    # The slot ends at 09:30, the grace period is 30 minutes: still booked at 09:59, a no-show at 10:01.
    assert counter.mark_no_shows(now=local(day, 9, 59)) == 0
    assert counter.mark_no_shows(now=local(day, 10, 1)) == 1
    assert counter.mark_no_shows(now=local(day, 10, 2)) == 0
    db.session.commit()
    assert appointment.status is AppointmentStatus.NO_SHOW
    # A late arrival on the day may still check in.
    counter.check_in(appointment, by=cast.officer, now=local(day, 10, 20))
    assert appointment.status is AppointmentStatus.WAITING and appointment.finished_at is None


def test_destination_names_come_from_babel_in_both_languages():
    assert counter.country_name("ID", "zh") == "印度尼西亚"
    assert counter.country_name("ID", "en") == "Indonesia"
    codes = {code for code, _name in counter.country_choices("zh")}
    assert {"ID", "VN", "TH", "JP", "US", "DE"} <= codes and "CN" not in codes and "EU" not in codes
    assert len(codes) > 200
