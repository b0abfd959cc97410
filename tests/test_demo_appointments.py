"""The certificate counter's demo (tracker/demo_appointments.py): two counters, six months of history made
through the services on the real clock, bookings in the next working days, and a hall display whose URL the
loader prints."""
import re
from datetime import time, timedelta

import sqlalchemy as sa

from tests.test_demo import DEMO_PASSWORD, LONGXIN, YALISI
from tracker.appointments import services as counter
from tracker.appointments.models import (
    Appointment, AppointmentStatus, IssuedCertificate, ServicePoint, ServiceRating, Slot, WastedReason,
)
from tracker.auth.models import User
from tracker.demo_appointments import ASEAN, HISTORY_DAYS
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.offices.models import Office


def seed(runner):
    result = runner.invoke(args=["seed-demo", "--password", DEMO_PASSWORD])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    return result.output


def point_of(code: str) -> ServicePoint:
    return db.session.scalar(sa.select(ServicePoint).join(Office).where(Office.code == code))


def firm(uscc: str) -> Enterprise:
    return db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == uscc))


def appointments_of(enterprise: Enterprise) -> list[Appointment]:
    return db.session.scalars(sa.select(Appointment).where(Appointment.enterprise_id == enterprise.id)
                              .order_by(Appointment.day)).all()


def test_two_counters_with_their_windows_hours_and_slots_of_the_past_and_ahead(runner):
    seed(runner)
    today = counter.local_day(counter.clock())
    yingkou, bayuquan = point_of("0930"), point_of("0931")
    assert yingkou.name == "营口海关原产地证窗口" and [w.number for w in yingkou.windows] == [1, 2]
    assert bayuquan.name == "鲅鱼圈海关原产地证窗口" and [w.number for w in bayuquan.windows] == [1]
    assert yingkou.capacity == 2
    assert {(p.weekday, p.opens, p.closes) for p in yingkou.hours} == {
        (d, o, c) for d in range(5) for o, c in ((time(8, 30), time(11, 30)), (time(13, 30), time(16, 30)))}
    for point in (yingkou, bayuquan):
        first, last = db.session.execute(sa.select(sa.func.min(Slot.day), sa.func.max(Slot.day))
                                         .where(Slot.service_point_id == point.id)).one()
        # Six months back, and the booking window ahead.
        assert today - timedelta(days=HISTORY_DAYS) <= first <= today - timedelta(days=HISTORY_DAYS - 4)
        assert last >= today + timedelta(days=point.booking_days - 4)
        # Slots only on working days, 12 of 30 minutes each.
        per_day = db.session.execute(sa.select(Slot.day, sa.func.count()).where(Slot.service_point_id == point.id)
                                     .group_by(Slot.day)).all()
        assert all(n == 12 and d.weekday() < 5 or n == 12 for d, n in per_day)
        assert not any(d.month == 10 and 1 <= d.day <= 7 for d, _ in per_day)  # 国庆 is closed


def test_yalisi_is_served_three_or_four_times_a_month_and_never_makes_a_wasted_trip(runner):
    seed(runner)
    today = counter.local_day(counter.clock())
    yalisi = firm(YALISI)
    contact = db.session.scalar(sa.select(User).where(User.username == "yalisi"))
    history = [a for a in appointments_of(yalisi) if a.day < today]
    served = [a for a in history if a.status is AppointmentStatus.COMPLETED]
    assert 18 <= len(served) <= 24
    assert served == history  # never a wasted trip, never a no-show
    assert all(a.day >= today - timedelta(days=HISTORY_DAYS) for a in served)
    for a in served:
        assert a.booked_by_id == contact.id and a.booked_at < a.slot.starts_at - a.service_point.min_notice
        assert a.checked_in_at < a.called_at < a.started_at < a.finished_at
        assert a.queue_number >= 1 and a.window is not None and a.served_by is not None
        assert [(i.certificate_type.code, i.quantity) for i in a.issued] == [(a.certificate_type.code, a.quantity)]
        assert a.certificate_type.code == ("FORM_E" if a.destination_country in ASEAN else "CO")
        assert a.sailing_date > a.day and a.port == "营口港"
    assert {a.certificate_type.code for a in served} == {"FORM_E", "CO"}
    # Three or four in every month-long stretch.
    stretch = HISTORY_DAYS / 6
    first = today - timedelta(days=HISTORY_DAYS)
    per_stretch = [sum(1 for a in served if i * stretch <= (a.day - first).days < (i + 1) * stretch) for i in range(6)]
    assert all(n in (3, 4) for n in per_stretch), per_stretch
    ratings = [a.rating for a in served if a.rating is not None]
    assert ratings and all(r.good for r in ratings)


def test_longxin_ships_plums_to_indonesia_from_bayuquan(runner):
    seed(runner)
    longxin = appointments_of(firm(LONGXIN))
    assert len(longxin) >= 8
    assert {(a.service_point.office.code, a.certificate_type.code, a.destination_country, a.port) for a in longxin} == {
        ("0931", "FORM_E", "ID", "鲅鱼圈港")}
    assert all("李子" in a.notes for a in longxin)


def test_other_firms_have_a_few_no_shows_one_wasted_trip_and_one_answered_poor_rating(runner):
    seed(runner)
    yalisi = firm(YALISI)
    no_shows = db.session.scalars(sa.select(Appointment).where(Appointment.status == AppointmentStatus.NO_SHOW)).all()
    assert 2 <= len(no_shows) <= 6 and yalisi.id not in {a.enterprise_id for a in no_shows}
    assert all(a.checked_in_at is None and a.finished_at > a.slot.ends_at for a in no_shows)
    wasted = db.session.scalars(sa.select(Appointment).where(Appointment.status == AppointmentStatus.WASTED)).all()
    assert len(wasted) == 1
    assert wasted[0].wasted_reason is WastedReason.DOCUMENTS_MISSING and wasted[0].enterprise_id != yalisi.id
    assert wasted[0].wasted_note and not wasted[0].issued
    poor = db.session.scalars(sa.select(ServiceRating).where(ServiceRating.good.is_(False))).all()
    assert len(poor) == 1
    rating = poor[0]
    assert rating.comment and rating.answer and rating.answered_by.username == "manager-dl"
    # Answered within one working day: on or before the day due, and never late.
    assert counter.local_day(rating.answered_at) <= rating.answer_due
    assert not rating.is_answer_late(counter.local_day(counter.clock()))
    assert rating.appointment.enterprise_id != yalisi.id
    # Two walk-ins, served without a slot.
    walk_ins = db.session.scalars(sa.select(Appointment).where(Appointment.walk_in.is_(True))).all()
    assert len(walk_ins) == 2 and all(a.slot_id is None and a.status is AppointmentStatus.COMPLETED for a in walk_ins)
    assert db.session.scalar(sa.select(sa.func.count(IssuedCertificate.id))) == db.session.scalar(
        sa.select(sa.func.count(Appointment.id)).where(Appointment.status == AppointmentStatus.COMPLETED))


def test_every_slot_counts_exactly_its_active_appointments(runner):
    seed(runner)
    active = (sa.select(sa.func.count(Appointment.id)).where(Appointment.slot_id == Slot.id,
                                                             Appointment.status != AppointmentStatus.CANCELLED)
              .scalar_subquery())
    mismatched = db.session.execute(sa.select(Slot.id, Slot.booked, active).where(Slot.booked != active)).all()
    assert mismatched == []
    assert db.session.scalar(sa.select(sa.func.count(Slot.id)).where(Slot.booked > Slot.capacity)) == 0
    assert db.session.scalar(sa.select(sa.func.sum(Slot.booked))) == db.session.scalar(
        sa.select(sa.func.count(Appointment.id)).where(Appointment.slot_id.isnot(None)))


def test_bookings_in_the_next_working_days_one_with_its_sailing_within_48_hours(runner):
    seed(runner)
    now = counter.clock()
    today = counter.local_day(now)
    upcoming = db.session.scalars(sa.select(Appointment).where(Appointment.status == AppointmentStatus.BOOKED)
                                  .order_by(Appointment.day)).all()
    assert len(upcoming) >= 4
    assert all(a.slot.starts_at > now and a.day <= today + timedelta(days=7) for a in upcoming)
    assert firm(YALISI).id in {a.enterprise_id for a in upcoming}
    # On its counter day the sailing is within 48 hours: flagged and served first.
    assert sum(1 for a in upcoming if a.sailing_at_risk(a.slot.starts_at)) >= 1


def test_the_loader_prints_the_hall_display_url_once_and_a_second_run_adds_nothing(runner, client):
    output = seed(runner)
    assert re.search(r"\b2 service points, \d+ appointments[,.]", output)
    url = re.search(r"Hall display of 营口海关原产地证窗口.*: (http://127\.0\.0\.1:5000(/\S+))", output)
    assert url, output
    token = url.group(2).rstrip("/").rsplit("/", 1)[1]
    assert counter.display_point(token).id == point_of("0930").id
    if "counter.display" in client.application.view_functions:
        assert client.get(url.group(2)).status_code == 200
    before = [db.session.scalar(sa.select(sa.func.count()).select_from(m))
              for m in (ServicePoint, Slot, Appointment, ServiceRating)]
    again = seed(runner)
    assert "nothing added" in again and "Hall display" not in again
    assert [db.session.scalar(sa.select(sa.func.count()).select_from(m))
            for m in (ServicePoint, Slot, Appointment, ServiceRating)] == before
