"""Reads of the booking pages: the appointments list (a firm's own, or the staff's scope with filters), the
counters a firm may book at, the days and slots offered, and an appointment's history from the audit trail."""
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from tracker.appointments import services
from tracker.appointments.models import (
    FINAL_STATUSES, Appointment, AppointmentStatus, CertificateType, ServicePoint, Slot,
)
from tracker.audit.display import readable
from tracker.audit.models import AuditAction, AuditRecord
from tracker.auth.models import Role, User
from tracker.enterprises.models import Enterprise
from tracker.enterprises.search import search_condition
from tracker.extensions import db
from tracker.forms import EARLIEST_DATE, LATEST_DATE, db_int
from tracker.offices.models import Office
from tracker.pagination import Page
from tracker.permissions import scope_appointments, scope_enterprises, visible_office_ids

PER_PAGE = 50
# A firm's calendar feed: the appointments of the last 90 days and every upcoming one.
FEED_PAST_DAYS = 90
FEED_LIMIT = 1000


def _iso_day(value: str | None) -> date | None:
    try:
        day = date.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return day if EARLIEST_DATE <= day <= LATEST_DATE else None


class AppointmentFilters:
    """The staff list's query-string filters (a contact's list takes none but the page)."""

    def __init__(self, args):
        self.q = args.get("q", "").strip()[:100]
        self.point = args.get("point", type=db_int)
        self.day = _iso_day(args.get("day"))
        status = args.get("status", "")
        self.status = status if status in {s.value for s in AppointmentStatus} else ""
        self.rearrange = args.get("rearrange", "") == "1"
        self.enterprise = args.get("enterprise", type=db_int)

    @property
    def active(self) -> bool:
        return bool(self.q or self.point or self.day or self.status or self.rearrange or self.enterprise)

    def where(self, stmt: sa.Select) -> sa.Select:
        if self.q:
            stmt = stmt.where(Appointment.enterprise_id.in_(sa.select(Enterprise.id).where(search_condition(self.q))))
        if self.point:
            stmt = stmt.where(Appointment.service_point_id == self.point)
        if self.day:
            stmt = stmt.where(Appointment.day == self.day)
        if self.status:
            stmt = stmt.where(Appointment.status == AppointmentStatus(self.status))
        if self.rearrange:
            stmt = stmt.where(Appointment.needs_rearranging.is_(True), Appointment.status == AppointmentStatus.BOOKED)
        if self.enterprise:
            stmt = stmt.where(Appointment.enterprise_id == self.enterprise)
        return stmt


def appointment_page(user: User, filters: AppointmentFilters | None, today: date, page) -> Page:
    """Upcoming appointments first (soonest first), then the past ones (latest first): two statements
    whatever the number of rows (the page with its counter, slot, firm and certificate type; the count)."""
    upcoming = Appointment.day >= today
    base = scope_appointments(sa.select(Appointment), user)
    if filters is not None:
        base = filters.where(base)
    stmt = (base.outerjoin(Slot, Slot.id == Appointment.slot_id)
            .options(contains_eager(Appointment.slot), joinedload(Appointment.service_point),
                     joinedload(Appointment.enterprise), joinedload(Appointment.certificate_type))
            .order_by(sa.case((upcoming, 0), else_=1), sa.case((upcoming, Appointment.day)),
                      Appointment.day.desc(), Slot.starts_at, Appointment.id))

    def items(offset: int, limit: int):
        return db.session.scalars(stmt.limit(limit).offset(offset)).unique().all()

    def count() -> int:
        counted = base.with_only_columns(sa.func.count(Appointment.id)).order_by(None)
        return db.session.scalar(counted)

    return Page.of(page, PER_PAGE, count=count, items=items)


def upcoming(user: User, today: date, limit: int = 5) -> list[Appointment]:
    """A contact's firm's coming appointments (not cancelled, not over), soonest first."""
    if user.role is not Role.ENTERPRISE_CONTACT:
        return []
    return db.session.scalars(
        scope_appointments(sa.select(Appointment), user)
        .where(Appointment.day >= today, Appointment.status.in_(
            (AppointmentStatus.BOOKED, AppointmentStatus.WAITING, AppointmentStatus.CALLED, AppointmentStatus.SERVING)))
        .outerjoin(Slot, Slot.id == Appointment.slot_id)
        .options(contains_eager(Appointment.slot), joinedload(Appointment.service_point),
                 joinedload(Appointment.certificate_type))
        .order_by(Appointment.day, Slot.starts_at, Appointment.id).limit(limit)).unique().all()


def recent_past(user: User, today: date, limit: int = 5) -> list[Appointment]:
    """A contact's firm's latest appointments that are over (served, missed, cancelled), newest first, with
    their rating: the portal asks for a rating of a service not rated yet."""
    if user.role is not Role.ENTERPRISE_CONTACT:
        return []
    return db.session.scalars(
        scope_appointments(sa.select(Appointment), user)
        .where(sa.or_(Appointment.day < today, Appointment.status.in_(FINAL_STATUSES)))
        .outerjoin(Slot, Slot.id == Appointment.slot_id)
        .options(contains_eager(Appointment.slot), joinedload(Appointment.service_point),
                 joinedload(Appointment.certificate_type), selectinload(Appointment.rating))
        .order_by(Appointment.day.desc(), Slot.starts_at.desc(), Appointment.id.desc()).limit(limit)).unique().all()


def points_in_scope(user: User) -> list[ServicePoint]:
    """The counters of the staff list's filter: those of the user's subtree (all for admins)."""
    stmt = sa.select(ServicePoint).options(joinedload(ServicePoint.office)).order_by(ServicePoint.name)
    if user.role is not Role.ADMIN:
        stmt = stmt.where(ServicePoint.office_id.in_(visible_office_ids(user)))
    return db.session.scalars(stmt).all()


# Booking ----------------------------------------------------------------------------------------
def active_points() -> list[ServicePoint]:
    """Every counter taking bookings (a firm may book at any of them)."""
    return db.session.scalars(
        sa.select(ServicePoint).join(ServicePoint.office).where(ServicePoint.active.is_(True))
        .options(contains_eager(ServicePoint.office)).order_by(Office.path, ServicePoint.name)).all()


def default_point(points: list[ServicePoint], office: Office | None) -> ServicePoint | None:
    """The counter of the office, or of the nearest office above it; else the only one there is."""
    if office is not None:
        ancestors = [code for code in office.path.strip("/").split("/") if code]
        by_code = {p.office.code: p for p in points}
        for code in reversed(ancestors):
            if code in by_code:
                return by_code[code]
    return points[0] if len(points) == 1 else None


@dataclass
class BookableDay:
    day: date
    slots: int
    free: int
    warning: str | None


def bookable_days(point: ServicePoint, now) -> list[BookableDay]:
    """The working days of the booking window with slots still open to booking, with their free places."""
    today = services.local_day(now)
    last = today + timedelta(days=point.booking_days)
    free = sa.func.sum(sa.case((Slot.booked < Slot.capacity, 1), else_=0))
    rows = db.session.execute(
        sa.select(Slot.day, sa.func.count(Slot.id), free)
        .where(Slot.service_point_id == point.id, Slot.offered.is_(True), Slot.day <= last,
               Slot.starts_at >= now + point.min_notice)
        .group_by(Slot.day).order_by(Slot.day)).all()
    return [BookableDay(day, n, int(f or 0), services.calendar_warning(day)) for day, n, f in rows]


def certificate_types() -> list[CertificateType]:
    return db.session.scalars(sa.select(CertificateType).where(CertificateType.active.is_(True))
                              .order_by(CertificateType.sort_order, CertificateType.id)).all()


def firms_to_book_for(user: User, q: str, limit: int = 20) -> list[Enterprise]:
    """Staff looking a firm up to book for: the matches of their subtree (none before they type)."""
    q = (q or "").strip()[:100]
    if not q:
        return []
    stmt = (scope_enterprises(sa.select(Enterprise), user)
            .where(search_condition(q), Enterprise.archived_at.is_(None)).order_by(Enterprise.name))
    return db.session.scalars(stmt.limit(limit)).all()


def feed_appointments(enterprise: Enterprise, today: date) -> list[Appointment]:
    return db.session.scalars(
        sa.select(Appointment).where(Appointment.enterprise_id == enterprise.id,
                                     Appointment.day >= today - timedelta(days=FEED_PAST_DAYS))
        .options(joinedload(Appointment.slot), joinedload(Appointment.service_point),
                 joinedload(Appointment.certificate_type), joinedload(Appointment.window))
        .order_by(Appointment.day, Appointment.id).limit(FEED_LIMIT)).unique().all()


# History ----------------------------------------------------------------------------------------
@dataclass
class Step:
    """One moment of an appointment's life as the page tells it: what happened, who did it, when."""

    what: str
    entry: object  # tracker.audit.display.Entry: actor, when (local time), changes
    detail: str = ""  # the slot booked, or the move from one slot to the other


def _status(value) -> AppointmentStatus | None:
    try:
        return AppointmentStatus(value)
    except ValueError:
        return None


def _what(record: AuditRecord) -> str:
    changes = record.changes or {}
    if record.action is AuditAction.INSERT:
        return _("Walked in") if (changes.get("walk_in") or [None, None])[-1] else _("Booked")
    if record.action is AuditAction.DELETE:
        return _("Deleted")
    new = {key: pair[1] if isinstance(pair, list) and len(pair) == 2 else pair for key, pair in changes.items()}
    status = _status(new.get("status")) if "status" in new else None
    if status is AppointmentStatus.CANCELLED:
        return _("Cancelled")
    if "slot_id" in new:
        return _("Moved to another slot")
    if status is not None:
        return {
            AppointmentStatus.WAITING: _("Checked in"),
            AppointmentStatus.CALLED: _("Called to a window"),
            AppointmentStatus.SERVING: _("Service started"),
            AppointmentStatus.COMPLETED: _("Served: certificates issued"),
            AppointmentStatus.NO_SHOW: _("Recorded as not come"),
            AppointmentStatus.WASTED: _("Recorded as a wasted trip"),
            AppointmentStatus.BOOKED: _("Booked again"),
        }.get(status, status.label)
    if new.get("needs_rearranging") is True:
        return _("Flagged to be rearranged")
    return _("Changed")


def history(appointment: Appointment) -> list[Step]:
    """The appointment's audit records, oldest first, each named as the step it was (a fixed number of
    statements: the records, then the people and rows they name)."""
    records = db.session.scalars(
        sa.select(AuditRecord).where(AuditRecord.entity_type == Appointment.__tablename__,
                                     AuditRecord.entity_id == str(appointment.id))
        .order_by(AuditRecord.occurred_at, AuditRecord.id)).all()
    slot_ids = set()
    for record in records:
        pair = (record.changes or {}).get("slot_id")
        for value in (pair if isinstance(pair, list) else [pair]):
            if isinstance(value, int):
                slot_ids.add(value)
    slots = {s.id: s for s in db.session.scalars(sa.select(Slot).where(Slot.id.in_(sorted(slot_ids))))} \
        if slot_ids else {}

    def shown(value) -> str:
        slot = slots.get(value) if isinstance(value, int) else None
        if slot is None:
            return ""
        return f"{slot.day.isoformat()} {services.local_time(slot.starts_at)}–{services.local_time(slot.ends_at)}"

    steps = []
    for record, entry in zip(records, readable(records)):
        pair = (record.changes or {}).get("slot_id")
        detail = ""
        if isinstance(pair, list) and len(pair) == 2 and record.action is AuditAction.UPDATE:
            detail = f"{shown(pair[0])} → {shown(pair[1])}" if shown(pair[0]) else shown(pair[1])
        elif pair is not None and record.action is AuditAction.INSERT:
            detail = shown(pair[1] if isinstance(pair, list) else pair)
        steps.append(Step(_what(record), entry, detail))
    return steps
