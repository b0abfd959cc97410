"""The counter's reads: the points of a user's subtree, a point's day, its queue and the hall display.
Each page reads its rows in a fixed number of statements, whatever the number of appointments."""
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from tracker.appointments.models import (
    QUEUE_STATUSES, Appointment, AppointmentStatus, CertificateType, CounterWindow, DisplayToken, IssuedCertificate,
    ServicePoint,
)
from tracker.auth.models import Role, User
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.offices.models import Office
from tracker.permissions import scope_enterprises, visible_office_ids


def points_for(user: User) -> list[ServicePoint]:
    """The counters of the user's office subtree (all of them for an admin)."""
    stmt = sa.select(ServicePoint).options(joinedload(ServicePoint.office)).order_by(ServicePoint.name)
    if user.role is not Role.ADMIN:
        stmt = stmt.where(ServicePoint.office_id.in_(visible_office_ids(user)))
    return db.session.scalars(stmt).all()


def offices_without_point(user: User) -> list[Office]:
    stmt = (sa.select(Office).where(~sa.exists().where(ServicePoint.office_id == Office.id))
            .order_by(Office.path))
    if user.role is not Role.ADMIN:
        stmt = stmt.where(Office.id.in_(visible_office_ids(user)))
    return db.session.scalars(stmt).all()


EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _appointment_options():
    return (joinedload(Appointment.enterprise), joinedload(Appointment.certificate_type),
            joinedload(Appointment.window), joinedload(Appointment.slot),
            selectinload(Appointment.issued).joinedload(IssuedCertificate.certificate_type))


@dataclass
class Day:
    point: ServicePoint
    day: date
    now: datetime
    appointments: list[Appointment] = field(default_factory=list)
    queue: list[Appointment] = field(default_factory=list)
    flagged: list[Appointment] = field(default_factory=list)
    windows: list[CounterWindow] = field(default_factory=list)
    certificate_types: list[CertificateType] = field(default_factory=list)

    def at_risk(self, appointment: Appointment) -> bool:
        return appointment.sailing_at_risk(self.now)


def _order(appointment: Appointment, now: datetime):
    """At-risk sailings first (the nearest sailing first), then by slot (walk-ins by arrival), then number."""
    risk = appointment.sailing_at_risk(now)
    start = appointment.slot.starts_at if appointment.slot is not None else (appointment.checked_in_at
                                                                            or appointment.booked_at)
    return (0 if risk else 1, appointment.sailing_date or date.min if risk else date.min, start, appointment.queue_number or 0,
            appointment.id)


def counter_day(point: ServicePoint, day: date, now: datetime) -> Day:
    rows = db.session.scalars(
        sa.select(Appointment).options(*_appointment_options())
        .where(Appointment.service_point_id == point.id, Appointment.day == day,
               Appointment.status != AppointmentStatus.CANCELLED)
    ).unique().all()
    result = Day(point=point, day=day, now=now)
    result.appointments = sorted(rows, key=lambda a: _order(a, now))
    result.queue = sorted((a for a in rows if a.status in QUEUE_STATUSES), key=lambda a: a.queue_number or 0)
    result.flagged = db.session.scalars(
        sa.select(Appointment).options(*_appointment_options())
        .where(Appointment.service_point_id == point.id, Appointment.needs_rearranging.is_(True),
               Appointment.status == AppointmentStatus.BOOKED)
        .order_by(Appointment.day, Appointment.id)
    ).unique().all()
    result.windows = db.session.scalars(
        sa.select(CounterWindow).where(CounterWindow.service_point_id == point.id, CounterWindow.active.is_(True))
        .order_by(CounterWindow.number)).all()
    result.certificate_types = active_certificate_types()
    return result


def active_certificate_types() -> list[CertificateType]:
    return db.session.scalars(sa.select(CertificateType).where(CertificateType.active.is_(True))
                              .order_by(CertificateType.sort_order, CertificateType.id)).all()


def walk_in_firms(user: User, limit: int = 2000) -> list[Enterprise]:
    """The firms of the user's subtree a walk-in may be recorded for (by name)."""
    stmt = scope_enterprises(sa.select(Enterprise), user).order_by(Enterprise.name).limit(limit)
    return db.session.scalars(stmt).all()


@dataclass
class Board:
    """What the hall display shows: the numbers called (latest first), being served, waiting."""
    called: list[Appointment]
    serving: list[Appointment]
    waiting: list[Appointment]


def display_board(point: ServicePoint, day: date) -> Board:
    rows = db.session.scalars(
        sa.select(Appointment).options(joinedload(Appointment.window), joinedload(Appointment.enterprise))
        .where(Appointment.service_point_id == point.id, Appointment.day == day,
               Appointment.status.in_(QUEUE_STATUSES))
    ).unique().all()
    called = sorted((a for a in rows if a.status is AppointmentStatus.CALLED),
                    key=lambda a: a.called_at or EARLIEST, reverse=True)
    serving = sorted((a for a in rows if a.status is AppointmentStatus.SERVING),
                     key=lambda a: a.started_at or EARLIEST, reverse=True)
    waiting = sorted((a for a in rows if a.status is AppointmentStatus.WAITING), key=lambda a: a.queue_number or 0)
    return Board(called=called, serving=serving, waiting=waiting)


def display_tokens(point: ServicePoint) -> list[DisplayToken]:
    return db.session.scalars(
        sa.select(DisplayToken).options(joinedload(DisplayToken.created_by))
        .where(DisplayToken.service_point_id == point.id).order_by(DisplayToken.created_at.desc(), DisplayToken.id.desc())
    ).all()


def mask_name(name: str | None) -> str:
    """A firm's name as a public screen may show it: the first three characters, then **."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[:3] + "**"
