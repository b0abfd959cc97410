"""The writes of the certificate counter: slots made from the hours and the calendar, bookings that take a
place in the database, the counter's steps, ratings, tokens.

Every function flushes and never commits (the caller's run_change does). Times are UTC datetimes; a
"day" is a local (Asia/Shanghai) date. Functions that depend on the clock take ``now=`` (UTC) so that
tests and the demo's replayed history follow the same rules.
"""
import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from babel import Locale
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.util import identity_key
from sqlalchemy.orm.attributes import set_committed_value

from tracker.appointments.models import (
    BOOKING_DAYS, CAPACITY, GRACE_MINUTES, MIN_NOTICE_MINUTES, QUANTITY, SLOT_MINUTES, Appointment,
    AppointmentStatus, CalendarFeed, CertificateType, CounterWindow, DisplayToken, IssuedCertificate,
    OpeningPeriod, ServicePoint, ServiceRating, Slot, WastedReason,
)
from tracker.auth.models import Role, User
from tracker.domain import DomainError
from tracker.extensions import db
from tracker.i18n import LOCAL_TZ
from tracker.permissions import can_see_appointment, can_see_enterprise, can_see_office
from tracker.types import utcnow
from tracker.workdays import services as workdays

ONE_DAY = timedelta(days=1)
# The counter's clock: utcnow, which tests replace to stand on a day of the 2019 calendar.
clock = utcnow
# How many free slots a full slot offers instead.
ALTERNATIVES = 3


# Time helpers -------------------------------------------------------------------------------------
def local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def at_local(day: date, clock: time) -> datetime:
    """A local wall-clock time on a day, as UTC."""
    return datetime.combine(day, clock, LOCAL_TZ).astimezone(timezone.utc)


def local_time(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%H:%M")


# Destination countries: Babel's territory names (CLDR), in the reader's language -------------------
# Codes that are not countries or territories one ships to (CLDR's regions, "unknown", the EU …).
_NOT_DESTINATIONS = {"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB", "XK", "CN"}


def _territories(language: str) -> dict[str, str]:
    return Locale.parse(language).territories


def country_codes() -> frozenset[str]:
    return frozenset(code for code in _territories("en") if len(code) == 2 and code.isalpha()
                     and code not in _NOT_DESTINATIONS)


COUNTRY_CODES = country_codes()


def _language(locale: str | None = None) -> str:
    if locale:
        return locale
    current = get_locale()
    return current.language if current is not None else "zh"


def country_name(code: str | None, locale: str | None = None) -> str:
    if not code:
        return ""
    return _territories(_language(locale)).get(code, code)


def country_choices(locale: str | None = None) -> list[tuple[str, str]]:
    """(code, name) for every destination, sorted by name in the reader's language (pinyin order for
    Chinese, through the sort key the registry uses for names)."""
    names = _territories(_language(locale))
    pairs = [(code, names.get(code, code)) for code in COUNTRY_CODES]
    if _language(locale) == "zh":
        from tracker.enterprises.pinyin import pinyin_keys

        return sorted(pairs, key=lambda p: pinyin_keys(p[1])[1])
    return sorted(pairs, key=lambda p: p[1])


# Access questions ---------------------------------------------------------------------------------
def can_manage_point(user: User, point: ServicePoint) -> bool:
    """Admins, and the managers of the point's office or an office above it."""
    if user.role is Role.ADMIN:
        return True
    return user.role is Role.MANAGER and can_see_office(user, point.office)


def can_work_counter(user: User, point: ServicePoint) -> bool:
    """Officers and managers of the point's office subtree (and admins) serve at its counter."""
    if user.role is Role.ADMIN:
        return True
    return user.role in (Role.MANAGER, Role.OFFICER) and can_see_office(user, point.office)


def can_book_for(user: User, enterprise) -> bool:
    """A contact books for his own firm only; staff for any firm of their subtree."""
    if enterprise is None:
        return False
    if user.role is Role.ENTERPRISE_CONTACT:
        return user.enterprise_id == enterprise.id
    return can_see_enterprise(user, enterprise)


def can_cancel(user: User, appointment: Appointment, now: datetime | None = None) -> bool:
    """Before check-in; a contact only up to the minimum notice before the slot, staff until it starts."""
    if not appointment.can_change() or appointment.slot is None:
        return False
    now = now or clock()
    if user.role is Role.ENTERPRISE_CONTACT:
        return now <= appointment.slot.starts_at - appointment.service_point.min_notice
    return can_see_appointment(user, appointment) and now < appointment.slot.ends_at


def change_refusal(user: User, appointment: Appointment, now: datetime | None = None) -> str | None:
    """Why the user may not cancel or move this appointment (None: he may)."""
    if can_cancel(user, appointment, now):
        return None
    if not appointment.can_change():
        return _("Only a booking nobody has checked in yet can be cancelled or moved; it is %(status)s now.",
                 status=appointment.status.label)
    if user.role is Role.ENTERPRISE_CONTACT:
        return _("Bookings can be cancelled or moved up to %(minutes)d minutes before the slot; please call the "
                 "counter.", minutes=appointment.service_point.min_notice_minutes)
    return _("The slot is over; record the appointment as a no-show instead.")


# Opening hours and slots --------------------------------------------------------------------------
def opening_periods(point: ServicePoint, day: date, working: bool) -> list[tuple[time, time]]:
    """The point's hours on a day: none on a day that is not a working day (holidays, closures); a
    make-up working weekend day (调休) takes its weekday's hours if any are set, else Monday's."""
    if not working:
        return []
    periods = point.periods_on(day.weekday())
    if not periods and day.weekday() >= 5:
        periods = point.periods_on(0)
    return [(p.opens, p.closes) for p in periods]


def slot_times(point: ServicePoint, day: date, working: bool) -> list[tuple[datetime, datetime]]:
    """(start, end) in UTC of each whole slot of the day's hours; a period's remainder shorter than a slot
    is not offered."""
    step = timedelta(minutes=point.slot_minutes)
    out = []
    for opens, closes in opening_periods(point, day, working):
        start, end = at_local(day, opens), at_local(day, closes)
        while start + step <= end:
            out.append((start, start + step))
            start += step
    return out


def _insert_ignore(table, rows: list[dict]) -> None:
    """INSERT … ON CONFLICT DO NOTHING on either engine (two materialisations at once make each slot once)."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(insert(table).values(rows).on_conflict_do_nothing())


@dataclass
class Materialised:
    made: int = 0
    withdrawn: int = 0
    flagged: list[Appointment] | None = None


def materialize_slots(point: ServicePoint, first: date, last: date, *, reason: str | None = None,
                      now: datetime | None = None) -> Materialised:
    """Make the point's slots from *first* to *last* agree with its hours, capacity and the calendar.

    Missing slots are made; a slot the hours or the calendar no longer offer is deleted when nobody booked
    it, or else kept, marked not offered, and its bookings flagged for an officer to rearrange, the firms
    told (never silently dropped). A slot still offered takes the new capacity, never below its bookings.
    """
    now = now or clock()
    first = max(first, local_day(now))
    result = Materialised(flagged=[])
    if last < first:
        return result
    overrides = workdays.overrides_between(first, last)
    wanted: dict[datetime, datetime] = {}
    day = first
    while day <= last:
        working = workdays._is_working(day, overrides)
        for start, end in slot_times(point, day, working):
            wanted[start] = end
        day += ONE_DAY
    existing = db.session.scalars(
        sa.select(Slot).where(Slot.service_point_id == point.id, Slot.day.between(first, last))
    ).all()
    have = {s.starts_at: s for s in existing}
    rows = [dict(service_point_id=point.id, day=local_day(start), starts_at=start, ends_at=end,
                 capacity=point.capacity, booked=0, offered=True)
            for start, end in wanted.items() if start not in have and start > now]
    _insert_ignore(Slot.__table__, rows)
    result.made = len(rows)
    withdrawn = []
    for slot in existing:
        if slot.starts_at in wanted and wanted[slot.starts_at] == slot.ends_at:
            slot.offered = True
            slot.capacity = max(point.capacity, slot.booked)
        elif slot.starts_at <= now:
            continue  # the past stays as it was
        elif slot.booked == 0:
            db.session.delete(slot)
            result.withdrawn += 1
        else:
            slot.offered = False
            withdrawn.append(slot.id)
            result.withdrawn += 1
    if withdrawn:
        result.flagged = _flag_for_rearranging(point, withdrawn, reason or _("The counter's hours changed."))
    db.session.flush()
    return result


def _flag_for_rearranging(point: ServicePoint, slot_ids: list[int], reason: str) -> list[Appointment]:
    flagged = db.session.scalars(
        sa.select(Appointment).where(Appointment.slot_id.in_(slot_ids),
                                     Appointment.status == AppointmentStatus.BOOKED,
                                     Appointment.needs_rearranging.is_(False))
    ).all()
    for appointment in flagged:
        appointment.needs_rearranging = True
        appointment.rearrange_reason = reason[:200]
    db.session.flush()
    if flagged and rearrange_hook is not None:
        rearrange_hook(point, flagged)
    return flagged


# Told to the firms and the officers when bookings are flagged (tracker/appointments/notices.py sets it,
# so that this module does not import the mail and notification texts).
rearrange_hook = None


def materialize_ahead(point: ServicePoint, *, now: datetime | None = None, reason: str | None = None) -> Materialised:
    """The point's slots for today and its booking window (the periodic job and every change of hours)."""
    now = now or clock()
    today = local_day(now)
    return materialize_slots(point, today, today + timedelta(days=point.booking_days + 1), reason=reason, now=now)


def calendar_changed(days: list[date]) -> None:  # registered in workdays.CHANGE_LISTENERS below
    """The working-day calendar changed on these days (an admin's closure, next year's schedule): every
    point's slots on them are made again, and bookings on a day that closed are flagged."""
    if not days:
        return
    first, last = min(days), max(days)
    today = local_day(clock())
    for point in db.session.scalars(sa.select(ServicePoint)).all():
        # Only the days slots are made for (the booking window): next year's schedule makes none.
        horizon = today + timedelta(days=point.booking_days + 1)
        if first <= horizon:
            materialize_slots(point, first, min(last, horizon), reason=_("The counter is closed that day."))


# Service points -----------------------------------------------------------------------------------
def _within(value: int, bounds: tuple[int, int], message: str) -> None:
    if not bounds[0] <= value <= bounds[1]:
        raise DomainError(message % {"min": bounds[0], "max": bounds[1]})


def check_rules(slot_minutes: int, capacity: int, booking_days: int, min_notice_minutes: int,
                grace_minutes: int) -> None:
    _within(slot_minutes, SLOT_MINUTES, _("A slot lasts between %(min)d and %(max)d minutes."))
    _within(capacity, CAPACITY, _("A slot serves between %(min)d and %(max)d firms."))
    _within(booking_days, BOOKING_DAYS, _("Bookings open between %(min)d and %(max)d days ahead."))
    _within(min_notice_minutes, MIN_NOTICE_MINUTES, _("The minimum notice is between %(min)d and %(max)d minutes."))
    _within(grace_minutes, GRACE_MINUTES, _("The grace period is between %(min)d and %(max)d minutes."))


def parse_hours(periods: list[tuple[int, time, time]]) -> list[tuple[int, time, time]]:
    """Check a week's opening periods: each opens before it closes, none overlaps another that day."""
    out = sorted(periods)
    for weekday, opens, closes in out:
        if not 0 <= weekday <= 6:
            raise DomainError(_("A weekday is Monday to Sunday."))
        if opens >= closes:
            raise DomainError(_("Opening hours must open before they close (%(opens)s-%(closes)s).",
                                opens=opens.strftime("%H:%M"), closes=closes.strftime("%H:%M")))
    for (d1, _o1, c1), (d2, o2, _c2) in zip(out, out[1:]):
        if d1 == d2 and o2 < c1:
            raise DomainError(_("Two opening periods on the same day overlap."))
    return out


def create_service_point(office, *, name: str, windows: int = 2, hours=None, by=None, now=None,
                         **rules) -> ServicePoint:
    if db.session.scalar(sa.select(ServicePoint.id).where(ServicePoint.office_id == office.id)):
        raise DomainError(_("This office has a counter already."))
    point = ServicePoint(office=office, office_id=office.id, name=name.strip(), **rules)
    check_rules(point.slot_minutes or 30, point.capacity or 2, point.booking_days or 14,
                point.min_notice_minutes if point.min_notice_minutes is not None else 60,
                point.grace_minutes if point.grace_minutes is not None else 30)
    if not 1 <= windows <= 99:
        raise DomainError(_("A counter has between 1 and 99 windows."))
    point.windows = [CounterWindow(number=n) for n in range(1, windows + 1)]
    default = [(d, time(8, 30), time(11, 30)) for d in range(5)] + [(d, time(13, 30), time(16, 30)) for d in range(5)]
    point.hours = [OpeningPeriod(weekday=d, opens=o, closes=c) for d, o, c in parse_hours(hours or default)]
    db.session.add(point)
    db.session.flush()
    materialize_ahead(point, now=now)
    return point


def update_service_point(point: ServicePoint, *, name: str, address: str | None, slot_minutes: int, capacity: int,
                         booking_days: int, min_notice_minutes: int, grace_minutes: int, active: bool,
                         hours: list[tuple[int, time, time]], windows: int, now=None) -> Materialised:
    """Change a point's rules and hours; its future slots follow, and bookings they no longer hold are
    flagged for rearranging (materialize_slots)."""
    check_rules(slot_minutes, capacity, booking_days, min_notice_minutes, grace_minutes)
    if not 1 <= windows <= 99:
        raise DomainError(_("A counter has between 1 and 99 windows."))
    hours = parse_hours(hours)
    point.name, point.address = name.strip(), (address or "").strip() or None
    point.slot_minutes, point.capacity, point.booking_days = slot_minutes, capacity, booking_days
    point.min_notice_minutes, point.grace_minutes, point.active = min_notice_minutes, grace_minutes, active
    current = {(p.weekday, p.opens, p.closes): p for p in point.hours}
    wanted = set(hours)
    for key, period in current.items():
        if key not in wanted:
            point.hours.remove(period)
    for weekday, opens, closes in hours:
        if (weekday, opens, closes) not in current:
            point.hours.append(OpeningPeriod(weekday=weekday, opens=opens, closes=closes))
    by_number = {w.number: w for w in point.windows}
    for number, window in by_number.items():
        window.active = number <= windows
    for number in range(1, windows + 1):
        if number not in by_number:
            point.windows.append(CounterWindow(number=number))
    db.session.flush()
    db.session.expire(point, ["hours", "windows"])
    return materialize_ahead(point, now=now, reason=_("The counter's hours changed."))


# Booking ----------------------------------------------------------------------------------------
class SlotFull(DomainError):
    """The slot has no place left; ``alternatives`` are the nearest slots that have."""

    def __init__(self, slot: Slot, alternatives: list[Slot]):
        super().__init__(_("This slot is fully booked."))
        self.slot = slot
        self.alternatives = alternatives


def bookable_slots(point: ServicePoint, day: date, now: datetime | None = None) -> list[Slot]:
    """The point's offered slots on a day that may still be booked (remaining places shown as they are)."""
    now = now or clock()
    first_start = now + point.min_notice
    if day > local_day(now) + timedelta(days=point.booking_days):
        return []
    return db.session.scalars(
        sa.select(Slot).where(Slot.service_point_id == point.id, Slot.day == day, Slot.offered.is_(True),
                              Slot.starts_at >= first_start)
        .order_by(Slot.starts_at)
    ).all()


def _nearest(slots: list[Slot], around: datetime, n: int) -> list[Slot]:
    """The n slots nearest in time to *around*, nearest first (the earlier on a tie)."""
    return sorted(slots, key=lambda s: (abs((s.starts_at - around).total_seconds()), s.starts_at))[:n]


@functools.cache
def _no_place_statement() -> sa.Select:
    """The statement of _no_place, built once (a refused booking is the common answer under load, and
    building this union costs more than running it): its values are bound at each execution."""
    free = sa.select(Slot.id).where(
        Slot.service_point_id == sa.bindparam("point_id"), Slot.offered.is_(True), Slot.booked < Slot.capacity,
        Slot.starts_at >= sa.bindparam("first_start"), Slot.day <= sa.bindparam("last_day"),
        Slot.id != sa.bindparam("slot_id"))
    around = sa.bindparam("around")
    later = free.where(Slot.starts_at >= around).order_by(Slot.starts_at).limit(ALTERNATIVES).subquery()
    earlier = free.where(Slot.starts_at < around).order_by(Slot.starts_at.desc()).limit(ALTERNATIVES).subquery()
    members = sa.union_all(
        sa.select(Slot.id, sa.literal_column("'own'").label("kind")).where(Slot.id == sa.bindparam("slot_id")),
        sa.select(Appointment.slot_id, sa.literal_column("'held'").label("kind")).where(
            Appointment.slot_id == sa.bindparam("slot_id"), Appointment.enterprise_id == sa.bindparam("enterprise_id"),
            Appointment.status != AppointmentStatus.CANCELLED),
        sa.select(later.c.id, sa.literal_column("'near'").label("kind")),
        sa.select(earlier.c.id, sa.literal_column("'near'").label("kind")),
    ).subquery()
    return (sa.select(Slot, members.c.kind).join(members, members.c.id == Slot.id)
            .execution_options(populate_existing=True))


def _no_place(slot: Slot, enterprise_id: int, now: datetime, who: str) -> DomainError:
    """Why the slot gave no place, read in one statement: the slot's own row afresh (kept on it), whether
    the firm holds a place in it already (then that is the answer), and the nearest free slots of its
    counter that may be booked now, before and after it."""
    point = slot.service_point
    rows = db.session.execute(_no_place_statement(), {
        "slot_id": slot.id, "point_id": point.id, "enterprise_id": enterprise_id, "around": slot.starts_at,
        "first_start": now + point.min_notice, "last_day": local_day(now) + timedelta(days=point.booking_days),
    }).all()
    if any(kind == "held" for _slot, kind in rows):
        return DomainError(_("%(firm)s has booked this slot already.", firm=who))
    return SlotFull(slot, _nearest([s for s, kind in rows if kind == "near"], slot.starts_at, ALTERNATIVES))


def booking_problem(slot: Slot, now: datetime) -> str | None:
    """Why a slot cannot be booked now, apart from being full (None: it can)."""
    point = slot.service_point
    if not point.active:
        return _("This counter is not taking bookings at present.")
    if not slot.offered:
        return _("This slot is no longer offered.")
    if slot.starts_at < now + point.min_notice:
        return _("Bookings close %(minutes)d minutes before the slot starts.", minutes=point.min_notice_minutes)
    if slot.day > local_day(now) + timedelta(days=point.booking_days):
        return _("Bookings open %(days)d days ahead.", days=point.booking_days)
    return None


def calendar_warning(slot_or_day) -> str | None:
    """The warning shown beside a date whose year's holiday schedule is not confirmed yet."""
    day = slot_or_day.day if isinstance(slot_or_day, Slot) else slot_or_day
    return workdays.unconfirmed_warning(day)


def _take_place(slot: Slot) -> bool:
    """The database gives the slot's place or refuses: one conditional UPDATE, judged by whether it changed
    a row; RETURNING gives the new count (kept on the slot without another read)."""
    booked = db.session.execute(
        sa.update(Slot).where(Slot.id == slot.id, Slot.offered.is_(True), Slot.booked < Slot.capacity)
        .values(booked=Slot.booked + 1).returning(Slot.booked).execution_options(synchronize_session=False)
    ).scalar()
    if booked is None:
        return False
    set_committed_value(slot, "booked", booked)
    return True


def _free_place(slot_id: int) -> None:
    db.session.execute(
        sa.update(Slot).where(Slot.id == slot_id, Slot.booked > 0)
        .values(booked=Slot.booked - 1).execution_options(synchronize_session=False)
    )
    # The session's copy of the slot (if it holds one) reads its count again: book() trusts a count read
    # in the transaction to refuse a full slot without trying.
    held = db.session.identity_map.get(identity_key(Slot, slot_id))
    if held is not None:
        db.session.expire(held, ["booked"])


def check_request(*, certificate_type: CertificateType | None, destination_country: str | None, quantity: int | None,
                  sailing_date: date | None, today: date, sailing_required: bool = True) -> None:
    if certificate_type is None or not certificate_type.active:
        raise DomainError(_("Choose a certificate type from the list."))
    if destination_country not in COUNTRY_CODES:
        raise DomainError(_("Choose the destination country from the list."))
    if quantity is None or not QUANTITY[0] <= quantity <= QUANTITY[1]:
        raise DomainError(_("Between %(min)d and %(max)d certificates.", min=QUANTITY[0], max=QUANTITY[1]))
    if sailing_date is None:
        if sailing_required:
            raise DomainError(_("Give the sailing date."))
    elif sailing_date < today:
        raise DomainError(_("The sailing date cannot be in the past."))


def book(slot: Slot, enterprise, *, by: User, certificate_type: CertificateType, destination_country: str,
         quantity: int, sailing_date: date | None, vessel: str | None = None, port: str | None = None,
         notes: str | None = None, now: datetime | None = None) -> Appointment:
    """Book a place in *slot* for *enterprise*; SlotFull (with the nearest free slots) when none is left."""
    now = now or clock()
    if not can_book_for(by, enterprise):
        raise DomainError(_("You cannot book for this firm."))
    problem = booking_problem(slot, now)
    if problem:
        raise DomainError(problem)
    check_request(certificate_type=certificate_type, destination_country=destination_country, quantity=quantity,
                  sailing_date=sailing_date, today=local_day(now))
    # No read first whether the firm holds a place in the slot: the partial unique index answers that for a
    # booking that got a place, and the one statement after a refused UPDATE for one that did not.
    # A slot read full in this transaction is refused without trying the UPDATE (most refusals under load).
    if slot.booked >= slot.capacity or not _take_place(slot):
        raise _no_place(slot, enterprise.id, now, enterprise.name)
    appointment = Appointment(
        service_point_id=slot.service_point_id, service_point=slot.service_point, slot_id=slot.id, slot=slot,
        enterprise_id=enterprise.id, enterprise=enterprise, day=slot.day, status=AppointmentStatus.BOOKED,
        certificate_type_id=certificate_type.id, certificate_type=certificate_type,
        destination_country=destination_country, quantity=quantity, sailing_date=sailing_date,
        vessel=_text(vessel, 100), port=_text(port, 100), notes=_text(notes, 2000), booked_by_id=by.id,
        booked_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(appointment)
    except IntegrityError:
        # The firm holds a place in the slot already (the partial unique index): the place just taken is
        # given back, so the slot's count stays right whatever the caller does next.
        _free_place(slot.id)
        raise DomainError(_("%(firm)s has booked this slot already.", firm=enterprise.name)) from None
    return appointment


def _text(value: str | None, limit: int) -> str | None:
    value = (value or "").strip()
    return value[:limit] or None


def _active_booking(slot_id: int, enterprise_id: int) -> int | None:
    return db.session.scalar(sa.select(Appointment.id).where(
        Appointment.slot_id == slot_id, Appointment.enterprise_id == enterprise_id,
        Appointment.status != AppointmentStatus.CANCELLED))


def cancel(appointment: Appointment, *, by: User, now: datetime | None = None) -> Appointment:
    now = now or clock()
    refusal = change_refusal(by, appointment, now)
    if refusal:
        raise DomainError(refusal)
    appointment.mark_cancelled(by, now)
    _free_place(appointment.slot_id)
    db.session.flush()
    return appointment


def reschedule(appointment: Appointment, slot: Slot, *, by: User, now: datetime | None = None) -> Appointment:
    """Move a booking to another slot of the same counter; the new place is taken before the old is freed."""
    now = now or clock()
    refusal = change_refusal(by, appointment, now)
    if refusal and not (by.role.is_staff and appointment.needs_rearranging and appointment.can_change()):
        raise DomainError(refusal)
    if slot.service_point_id != appointment.service_point_id:
        raise DomainError(_("An appointment moves to another slot of the same counter; book the other counter "
                            "instead."))
    if slot.id == appointment.slot_id:
        raise DomainError(_("This is the appointment's slot already."))
    problem = booking_problem(slot, now)
    if problem:
        raise DomainError(problem)
    if _active_booking(slot.id, appointment.enterprise_id) is not None:
        raise DomainError(_("%(firm)s has booked this slot already.", firm=appointment.who))
    if not _take_place(slot):
        raise _no_place(slot, appointment.enterprise_id, now, appointment.who)
    old = appointment.slot_id
    appointment.slot_id, appointment.slot, appointment.day = slot.id, slot, slot.day
    appointment.needs_rearranging, appointment.rearrange_reason = False, None
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise DomainError(_("%(firm)s has booked this slot already.", firm=appointment.who)) from None
    _free_place(old)
    return appointment


# The counter's day --------------------------------------------------------------------------------
def _next_queue_number(point: ServicePoint, day: date) -> int:
    """The day's next queue number. The point's row is locked first (FOR UPDATE on PostgreSQL; SQLite's
    writing transaction holds the database), so two check-ins never draw the same number; the unique
    constraint stands behind it."""
    db.session.execute(sa.select(ServicePoint.id).where(ServicePoint.id == point.id).with_for_update())
    highest = db.session.scalar(sa.select(sa.func.max(Appointment.queue_number)).where(
        Appointment.service_point_id == point.id, Appointment.day == day))
    return (highest or 0) + 1


def check_in(appointment: Appointment, *, by: User, now: datetime | None = None) -> Appointment:
    """The firm has arrived: it draws a queue number (a late arrival marked a no-show may still check in
    on its day)."""
    now = now or clock()
    if appointment.day != local_day(now):
        raise DomainError(_("This appointment is for %(day)s; it can be checked in on that day only.",
                            day=appointment.day.isoformat()))
    appointment.mark_checked_in(_next_queue_number(appointment.service_point, appointment.day), now)
    if appointment.finished_at is not None:  # was a no-show
        appointment.finished_at = None
    db.session.flush()
    return appointment


def walk_in(point: ServicePoint, *, by: User, enterprise=None, visitor_name: str | None = None,
            certificate_type: CertificateType, destination_country: str, quantity: int,
            sailing_date: date | None = None, vessel: str | None = None, notes: str | None = None,
            now: datetime | None = None) -> Appointment:
    """A firm served without an appointment (即到即办): straight into today's queue."""
    now = now or clock()
    if not can_work_counter(by, point):
        raise DomainError(_("You do not work at this counter."))
    if enterprise is not None and not can_book_for(by, enterprise):
        raise DomainError(_("You cannot book for this firm."))
    visitor_name = _text(visitor_name, 200)
    if enterprise is None and not visitor_name:
        raise DomainError(_("Choose the firm, or give the visitor's firm name."))
    check_request(certificate_type=certificate_type, destination_country=destination_country, quantity=quantity,
                  sailing_date=sailing_date, today=local_day(now), sailing_required=False)
    today = local_day(now)
    appointment = Appointment(
        service_point_id=point.id, service_point=point, enterprise_id=enterprise.id if enterprise else None,
        enterprise=enterprise, visitor_name=None if enterprise else visitor_name, walk_in=True, day=today,
        status=AppointmentStatus.WAITING, certificate_type_id=certificate_type.id,
        certificate_type=certificate_type, destination_country=destination_country, quantity=quantity,
        sailing_date=sailing_date, vessel=_text(vessel, 100), notes=_text(notes, 2000), booked_by_id=by.id,
        booked_at=now, checked_in_at=now, queue_number=_next_queue_number(point, today))
    db.session.add(appointment)
    db.session.flush()
    return appointment


def _today_only(appointment: Appointment, now: datetime) -> None:
    if appointment.day != local_day(now):
        raise DomainError(_("This appointment is for %(day)s, not today.", day=appointment.day.isoformat()))


def call(appointment: Appointment, window: CounterWindow, *, by: User, now: datetime | None = None) -> Appointment:
    now = now or clock()
    _today_only(appointment, now)
    if window.service_point_id != appointment.service_point_id or not window.active:
        raise DomainError(_("Choose one of this counter's windows."))
    appointment.mark_called(window, now)
    db.session.flush()
    return appointment


def start(appointment: Appointment, *, by: User, now: datetime | None = None) -> Appointment:
    now = now or clock()
    _today_only(appointment, now)
    appointment.mark_started(by, now)
    db.session.flush()
    return appointment


def complete(appointment: Appointment, issued: list[tuple[CertificateType, int]], *, by: User,
             now: datetime | None = None) -> Appointment:
    """Service done: the certificates issued, by type (at least one)."""
    now = now or clock()
    lines: dict[int, tuple[CertificateType, int]] = {}
    for certificate_type, quantity in issued:
        if certificate_type is None or not quantity:
            continue
        if not QUANTITY[0] <= quantity <= QUANTITY[1]:
            raise DomainError(_("Between %(min)d and %(max)d certificates.", min=QUANTITY[0], max=QUANTITY[1]))
        if certificate_type.id in lines:
            raise DomainError(_("Each certificate type once, with its number."))
        lines[certificate_type.id] = (certificate_type, quantity)
    if not lines:
        raise DomainError(_("Say which certificates were issued, or record a wasted trip."))
    appointment.mark_completed(now)
    appointment.issued = [IssuedCertificate(certificate_type_id=t.id, certificate_type=t, quantity=q)
                          for t, q in lines.values()]
    db.session.flush()
    if completed_hook is not None:  # the firm is asked to rate the service (notices.py)
        completed_hook(appointment)
    return appointment


# Set by tracker/appointments/notices.py: the firm's confirmation with the link to rate the service.
completed_hook = None


def record_no_show(appointment: Appointment, *, by: User | None, now: datetime | None = None) -> Appointment:
    """By hand (once the slot has started) or by the periodic job (after the slot and the grace period)."""
    now = now or clock()
    if appointment.slot is not None and now < appointment.slot.starts_at:
        raise DomainError(_("The slot has not started yet; a firm can be marked as not come once it has."))
    appointment.mark_no_show(now)
    db.session.flush()
    return appointment


def record_wasted(appointment: Appointment, reason: WastedReason, note: str | None, *, by: User,
                  now: datetime | None = None) -> Appointment:
    now = now or clock()
    appointment.mark_wasted(reason, _text(note, 500), by, now)
    db.session.flush()
    return appointment


def mark_no_shows(now: datetime | None = None, batch: int = 500) -> int:
    """The periodic job: every booking whose slot ended more than the grace period ago, nobody having
    checked in, becomes a no-show. Each row is re-read under the lock and marked once."""
    now = now or clock()
    stmt = (sa.select(Appointment.id).join(Slot, Slot.id == Appointment.slot_id)
            .join(ServicePoint, ServicePoint.id == Appointment.service_point_id)
            .where(Appointment.status == AppointmentStatus.BOOKED, Slot.ends_at < now)
            .order_by(Appointment.id).limit(batch))
    marked = 0
    for appointment_id in db.session.scalars(stmt).all():
        appointment = db.session.scalars(
            sa.select(Appointment).where(Appointment.id == appointment_id).with_for_update()
            .execution_options(populate_existing=True)).one()
        if appointment.status is not AppointmentStatus.BOOKED:
            continue
        if appointment.slot.ends_at + appointment.service_point.grace > now:
            continue
        appointment.mark_no_show(now)
        marked += 1
    db.session.flush()
    return marked


# 好差评 ---------------------------------------------------------------------------------------------
def can_rate(user: User, appointment: Appointment) -> bool:
    return (user.role is Role.ENTERPRISE_CONTACT and appointment.enterprise_id == user.enterprise_id
            and appointment.status is AppointmentStatus.COMPLETED)


def can_answer(user: User, rating: ServiceRating) -> bool:
    """The managers of the counter's office (or above), and admins."""
    return (not rating.good and rating.answered_at is None
            and can_manage_point(user, rating.appointment.service_point))


def rate(appointment: Appointment, *, good: bool, comment: str | None, by: User,
         now: datetime | None = None) -> ServiceRating:
    now = now or clock()
    if not can_rate(by, appointment):
        raise DomainError(_("A service is rated by the firm once it has been served."))
    if appointment.rating is not None:
        raise DomainError(_("This service has been rated already."))
    comment = _text(comment, 1000)
    if not good and not comment:
        raise DomainError(_("Please say what went wrong, so that the office can answer."))
    # By its id only: set through the relationship, the backref would put the rating on the appointment before
    # the session knows it (the savepoint's flush then warns and refuses).
    rating = ServiceRating(appointment_id=appointment.id, good=good, comment=comment,
                           rated_by_id=by.id, rated_at=now,
                           answer_due=None if good else workdays.add_working_days(local_day(now), 1))
    try:
        with db.session.begin_nested():
            db.session.add(rating)
    except IntegrityError:
        raise DomainError(_("This service has been rated already.")) from None
    db.session.expire(appointment, ["rating"])
    if not good and poor_rating_hook is not None:
        poor_rating_hook(rating)
    return rating


def answer(rating: ServiceRating, text: str, *, by: User, now: datetime | None = None) -> ServiceRating:
    now = now or clock()
    if rating.good:
        raise DomainError(_("Only a poor rating is answered."))
    if rating.answered_at is not None:
        raise DomainError(_("This rating has been answered already."))
    if not can_manage_point(by, rating.appointment.service_point):
        raise DomainError(_("The counter office's managers answer its ratings."))
    text = _text(text, 1000)
    if not text:
        raise DomainError(_("Write the answer to the firm."))
    rating.answer, rating.answered_by_id, rating.answered_at = text, by.id, now
    db.session.flush()
    if answer_hook is not None:
        answer_hook(rating)
    return rating


# Set by tracker/appointments/notices.py: who is told of a poor rating and of its answer.
poor_rating_hook = None
answer_hook = None


# Tokens ---------------------------------------------------------------------------------------------
def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(24)


def create_display_token(point: ServicePoint, name: str, *, by: User | None) -> tuple[DisplayToken, str]:
    """A hall display's token: returned once in clear (for its URL), stored as its SHA-256."""
    raw = new_token()
    row = DisplayToken(service_point_id=point.id, service_point=point, name=_text(name, 100) or point.name,
                       token_hash=_hash(raw), created_by_id=by.id if by else None)
    db.session.add(row)
    db.session.flush()
    return row, raw


def display_point(raw: str) -> ServicePoint | None:
    """The service point a display token opens, or None (unknown or revoked)."""
    if not raw or len(raw) > 100:
        return None
    row = db.session.scalar(sa.select(DisplayToken).where(DisplayToken.token_hash == _hash(raw),
                                                          DisplayToken.revoked_at.is_(None)))
    return row.service_point if row is not None else None


def revoke_display_token(row: DisplayToken, now: datetime | None = None) -> None:
    if row.revoked_at is None:
        row.revoked_at = now or clock()
        db.session.flush()


def create_calendar_feed(enterprise, *, by: User | None, now: datetime | None = None) -> tuple[CalendarFeed, str]:
    """A new private feed URL for a firm; the firm's older feeds stop working."""
    now = now or clock()
    for old in db.session.scalars(sa.select(CalendarFeed).where(CalendarFeed.enterprise_id == enterprise.id,
                                                                CalendarFeed.revoked_at.is_(None))):
        old.revoked_at = now
    raw = new_token()
    row = CalendarFeed(enterprise_id=enterprise.id, token_hash=_hash(raw), created_by_id=by.id if by else None)
    db.session.add(row)
    db.session.flush()
    return row, raw


def feed_enterprise(raw: str):
    if not raw or len(raw) > 100:
        return None
    row = db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.token_hash == _hash(raw),
                                                          CalendarFeed.revoked_at.is_(None)))
    return row.enterprise if row is not None else None


def revoke_calendar_feeds(enterprise, now: datetime | None = None) -> int:
    rows = db.session.scalars(sa.select(CalendarFeed).where(CalendarFeed.enterprise_id == enterprise.id,
                                                            CalendarFeed.revoked_at.is_(None))).all()
    for row in rows:
        row.revoked_at = now or clock()
    db.session.flush()
    return len(rows)


if calendar_changed not in workdays.CHANGE_LISTENERS:
    workdays.CHANGE_LISTENERS.append(calendar_changed)
