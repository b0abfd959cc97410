"""The certificate-of-origin counter: service points, their slots, appointments and how each was served.

A service point (原产地证窗口) is an office's counter: its windows (窗口), opening hours per weekday, slot
length, capacity per slot, booking window and minimum notice. Slots are rows, made ahead for the booking
window (services.materialize_slots); each slot counts its bookings in ``booked``, and the database keeps
``0 <= booked <= capacity`` (a CHECK) while a booking takes its place with a conditional
``UPDATE … SET booked = booked + 1 WHERE booked < capacity`` whose row count says whether it got one: no
slot ever holds more bookings than its capacity, on SQLite or PostgreSQL, under any concurrency.

An appointment goes BOOKED → WAITING (checked in, a queue number) → CALLED (to a window) → SERVING →
COMPLETED, or ends as CANCELLED, NO_SHOW or WASTED (空跑, with its reason). Walk-ins (即到即办) start at
WAITING without a slot. Each step's time is kept, so waiting and handling times can be read off.
"""
import enum
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.domain import DomainError
from tracker.extensions import db
from tracker.types import UTCDateTime, enum_column, utcnow

# Limits, as the tables' CHECK constraints (forms and the API read them from here).
SLOT_MINUTES = (5, 240)
CAPACITY = (1, 50)
BOOKING_DAYS = (1, 90)
MIN_NOTICE_MINUTES = (0, 7 * 24 * 60)
GRACE_MINUTES = (0, 240)
QUANTITY = (1, 99)
# A sailing this close to now puts an appointment at risk (flagged and served first).
SAILING_AT_RISK = timedelta(hours=48)


# Reference table ----------------------------------------------------------------------------------
class CertificateType(db.Model):
    """A kind of certificate of origin (C/O, FORM E, RCEP …): an editable reference list, never code."""

    __tablename__ = "certificate_types"
    __label__ = _l("Certificate type")

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version_id}
    __audit_ignore__ = ("version_id",)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True, info={"label": _l("Code")})
    name: Mapped[str] = mapped_column(sa.String(100), unique=True, info={"label": _l("Name")})
    name_en: Mapped[str | None] = mapped_column(sa.String(200), info={"label": _l("English name")})
    sort_order: Mapped[int] = mapped_column(default=100, server_default="100", info={"label": _l("Order")})
    active: Mapped[bool] = mapped_column(default=True, info={"label": _l("In use")})

    def display_name(self, locale: str | None = None) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name


# Service points -----------------------------------------------------------------------------------
class ServicePoint(db.Model):
    """An office's certificate counter and its booking rules (editable by admins and the office's managers)."""

    __tablename__ = "service_points"
    __label__ = _l("Service point")
    __table_args__ = (
        sa.CheckConstraint(f"slot_minutes BETWEEN {SLOT_MINUTES[0]} AND {SLOT_MINUTES[1]}", name="slot_minutes"),
        sa.CheckConstraint(f"capacity BETWEEN {CAPACITY[0]} AND {CAPACITY[1]}", name="capacity"),
        sa.CheckConstraint(f"booking_days BETWEEN {BOOKING_DAYS[0]} AND {BOOKING_DAYS[1]}", name="booking_days"),
        sa.CheckConstraint(f"min_notice_minutes BETWEEN {MIN_NOTICE_MINUTES[0]} AND {MIN_NOTICE_MINUTES[1]}",
                           name="min_notice_minutes"),
        sa.CheckConstraint(f"grace_minutes BETWEEN {GRACE_MINUTES[0]} AND {GRACE_MINUTES[1]}",
                           name="grace_minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version_id}
    __audit_ignore__ = ("version_id",)
    # One counter per office: the office is how firms and officers find it.
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id", ondelete="CASCADE"), unique=True,
                                           info={"label": _l("Office")})
    name: Mapped[str] = mapped_column(sa.String(100), info={"label": _l("Name")})
    address: Mapped[str | None] = mapped_column(sa.String(200), info={"label": _l("Address")})
    slot_minutes: Mapped[int] = mapped_column(default=30, server_default="30",
                                              info={"label": _l("Slot length (minutes)")})
    capacity: Mapped[int] = mapped_column(default=2, server_default="2", info={"label": _l("Firms per slot")})
    booking_days: Mapped[int] = mapped_column(default=14, server_default="14",
                                              info={"label": _l("Booking window (days ahead)")})
    min_notice_minutes: Mapped[int] = mapped_column(default=60, server_default="60",
                                                    info={"label": _l("Minimum notice (minutes)")})
    # After a slot's end plus this, an appointment nobody checked in for is a no-show.
    grace_minutes: Mapped[int] = mapped_column(default=30, server_default="30",
                                               info={"label": _l("No-show grace period (minutes)")})
    active: Mapped[bool] = mapped_column(default=True, info={"label": _l("Taking bookings")})
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Created at")})

    office = relationship("Office")
    windows: Mapped[list["CounterWindow"]] = relationship(
        back_populates="service_point", order_by="CounterWindow.number", cascade="all, delete-orphan")
    hours: Mapped[list["OpeningPeriod"]] = relationship(
        back_populates="service_point", order_by="(OpeningPeriod.weekday, OpeningPeriod.opens)",
        cascade="all, delete-orphan")

    @property
    def min_notice(self) -> timedelta:
        return timedelta(minutes=self.min_notice_minutes)

    @property
    def grace(self) -> timedelta:
        return timedelta(minutes=self.grace_minutes)

    def periods_on(self, weekday: int) -> list["OpeningPeriod"]:
        """The opening periods of a weekday (0 Monday). A make-up working weekend day without hours of its
        own takes Monday's (services.opening_periods decides when that applies)."""
        return [p for p in self.hours if p.weekday == weekday]

    def __repr__(self) -> str:
        return f"<ServicePoint {self.id} office={self.office_id}>"


class OpeningPeriod(db.Model):
    """One stretch of opening hours on a weekday, e.g. Monday 08:30-11:30."""

    __tablename__ = "opening_periods"
    __label__ = _l("Opening hours")
    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        sa.CheckConstraint("opens < closes", name="opens_before_closes"),
        sa.UniqueConstraint("service_point_id", "weekday", "opens"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_point_id: Mapped[int] = mapped_column(sa.ForeignKey("service_points.id", ondelete="CASCADE"),
                                                  info={"label": _l("Service point")})
    weekday: Mapped[int] = mapped_column(info={"label": _l("Weekday")})
    opens: Mapped[time] = mapped_column(info={"label": _l("Opens")})
    closes: Mapped[time] = mapped_column(info={"label": _l("Closes")})

    service_point: Mapped[ServicePoint] = relationship(back_populates="hours")


class CounterWindow(db.Model):
    """A window (窗口) of the counter, to which a queue number is called."""

    __tablename__ = "counter_windows"
    __label__ = _l("Counter window")
    __table_args__ = (sa.UniqueConstraint("service_point_id", "number"),
                      sa.CheckConstraint("number BETWEEN 1 AND 99", name="number"))

    id: Mapped[int] = mapped_column(primary_key=True)
    service_point_id: Mapped[int] = mapped_column(sa.ForeignKey("service_points.id", ondelete="CASCADE"),
                                                  info={"label": _l("Service point")})
    number: Mapped[int] = mapped_column(info={"label": _l("Window number")})
    active: Mapped[bool] = mapped_column(default=True, info={"label": _l("In use")})

    service_point: Mapped[ServicePoint] = relationship(back_populates="windows")

    @property
    def label(self) -> str:
        return _("Window %(number)d", number=self.number)


class Slot(db.Model):
    """A bookable stretch of a service point's hours. ``booked`` counts its active appointments; the CHECK
    keeps it within the capacity whatever the concurrency (see the module's docstring)."""

    __tablename__ = "slots"
    __label__ = _l("Slot")
    __audited__ = False  # ``booked`` moves with every booking; the appointments carry the history
    __table_args__ = (
        sa.UniqueConstraint("service_point_id", "starts_at"),
        sa.CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
        sa.CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        sa.Index("ix_slots_point_day", "service_point_id", "day", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_point_id: Mapped[int] = mapped_column(sa.ForeignKey("service_points.id", ondelete="CASCADE"))
    # The local (Asia/Shanghai) date of the slot, for the day's reads.
    day: Mapped[date] = mapped_column()
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column()
    booked: Mapped[int] = mapped_column(default=0, server_default="0")
    # False once the hours or the calendar no longer offer it; its bookings are flagged to rearrange.
    offered: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    service_point: Mapped[ServicePoint] = relationship()

    @property
    def remaining(self) -> int:
        return max(0, self.capacity - self.booked) if self.offered else 0

    def __repr__(self) -> str:
        return f"<Slot {self.id} {self.starts_at:%Y-%m-%d %H:%M} {self.booked}/{self.capacity}>"


# Appointments -------------------------------------------------------------------------------------
class AppointmentStatus(str, enum.Enum):
    BOOKED = "booked"  # 已预约
    WAITING = "waiting"  # 已取号 (checked in, waiting)
    CALLED = "called"  # 已叫号
    SERVING = "serving"  # 办理中
    COMPLETED = "completed"  # 已办结
    CANCELLED = "cancelled"  # 已取消
    NO_SHOW = "no_show"  # 未到
    WASTED = "wasted"  # 空跑 (came, could not be served)

    @property
    def label(self):
        return APPOINTMENT_STATUS_LABELS[self]

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


APPOINTMENT_STATUS_LABELS = {
    AppointmentStatus.BOOKED: _l("Booked"),
    AppointmentStatus.WAITING: _l("Checked in, waiting"),
    AppointmentStatus.CALLED: _l("Called"),
    AppointmentStatus.SERVING: _l("Being served"),
    AppointmentStatus.COMPLETED: _l("Served"),
    AppointmentStatus.CANCELLED: _l("Cancelled"),
    AppointmentStatus.NO_SHOW: _l("Did not come"),
    AppointmentStatus.WASTED: _l("Wasted trip"),
}
FINAL_STATUSES = frozenset({AppointmentStatus.COMPLETED, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW,
                            AppointmentStatus.WASTED})
# In the queue: checked in and not yet finished.
QUEUE_STATUSES = (AppointmentStatus.WAITING, AppointmentStatus.CALLED, AppointmentStatus.SERVING)


class WastedReason(str, enum.Enum):
    DOCUMENTS_MISSING = "documents_missing"
    SYSTEM_OUTAGE = "system_outage"
    WRONG_CERTIFICATE_TYPE = "wrong_certificate_type"
    OTHER = "other"

    @property
    def label(self):
        return WASTED_REASON_LABELS[self]


WASTED_REASON_LABELS = {
    WastedReason.DOCUMENTS_MISSING: _l("Documents missing"),
    WastedReason.SYSTEM_OUTAGE: _l("System outage"),
    WastedReason.WRONG_CERTIFICATE_TYPE: _l("Wrong certificate type"),
    WastedReason.OTHER: _l("Other reason"),
}


class Appointment(db.Model):
    """A firm's booking at the counter, or a walk-in (即到即办), and how it was served."""

    __tablename__ = "appointments"
    __label__ = _l("Appointment")
    __table_args__ = (
        sa.CheckConstraint(f"quantity BETWEEN {QUANTITY[0]} AND {QUANTITY[1]}", name="quantity"),
        sa.CheckConstraint("walk_in OR slot_id IS NOT NULL", name="booked_has_slot"),
        sa.CheckConstraint("enterprise_id IS NOT NULL OR visitor_name IS NOT NULL", name="someone"),
        # One queue number per service point and day.
        sa.UniqueConstraint("service_point_id", "day", "queue_number", name="uq_appointments_queue_number"),
        # One active booking per firm per slot (a cancelled one does not count).
        sa.Index("uq_appointments_firm_slot", "slot_id", "enterprise_id", unique=True,
                 sqlite_where=sa.text("status <> 'cancelled'"), postgresql_where=sa.text("status <> 'cancelled'")),
        sa.Index("ix_appointments_point_day", "service_point_id", "day", "status"),
        sa.Index("ix_appointments_enterprise", "enterprise_id", "day"),
        # The counter's day lists a point's bookings to rearrange (any day): without this index both engines
        # walk every appointment the point ever had (bench/README.md, issue 11). Needs a migration.
        sa.Index("ix_appointments_to_rearrange", "service_point_id", "needs_rearranging", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version_id}
    __audit_ignore__ = ("version_id", "reminded_at")
    service_point_id: Mapped[int] = mapped_column(sa.ForeignKey("service_points.id", ondelete="CASCADE"),
                                                  info={"label": _l("Service point")})
    slot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("slots.id", ondelete="RESTRICT"), index=True,
                                                info={"label": _l("Slot")})
    enterprise_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enterprises.id", ondelete="CASCADE"),
                                                      info={"label": _l("Enterprise")})
    # A walk-in from a firm not in the registry: its name as given at the counter.
    visitor_name: Mapped[str | None] = mapped_column(sa.String(200), info={"label": _l("Visitor")})
    walk_in: Mapped[bool] = mapped_column(default=False, info={"label": _l("Walk-in")})
    status: Mapped[AppointmentStatus] = mapped_column(
        enum_column(AppointmentStatus, "status"), default=AppointmentStatus.BOOKED, info={"label": _l("Status")})
    # The local date it is for (the slot's day; a walk-in's day of arrival).
    day: Mapped[date] = mapped_column(info={"label": _l("Day")})
    certificate_type_id: Mapped[int] = mapped_column(sa.ForeignKey("certificate_types.id", ondelete="RESTRICT"),
                                                     info={"label": _l("Certificate type")})
    # ISO 3166 code; the name is Babel's, in the reader's language.
    destination_country: Mapped[str] = mapped_column(sa.String(2), info={"label": _l("Destination country")})
    quantity: Mapped[int] = mapped_column(default=1, info={"label": _l("Number of certificates")})
    sailing_date: Mapped[date | None] = mapped_column(info={"label": _l("Sailing date")})
    vessel: Mapped[str | None] = mapped_column(sa.String(100), info={"label": _l("Vessel")})
    port: Mapped[str | None] = mapped_column(sa.String(100), info={"label": _l("Port of loading")})
    notes: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Notes")})
    booked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"),
                                                     info={"label": _l("Booked by")})
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Booked at")})
    queue_number: Mapped[int | None] = mapped_column(info={"label": _l("Queue number")})
    window_id: Mapped[int | None] = mapped_column(sa.ForeignKey("counter_windows.id", ondelete="SET NULL"),
                                                  info={"label": _l("Window")})
    served_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"),
                                                     info={"label": _l("Served by")})
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Checked in at")})
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Called at")})
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Service started at")})
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Finished at")})
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Cancelled at")})
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"),
                                                        info={"label": _l("Cancelled by")})
    wasted_reason: Mapped[WastedReason | None] = mapped_column(
        enum_column(WastedReason, "wasted_reason"), info={"label": _l("Reason for the wasted trip")})
    wasted_note: Mapped[str | None] = mapped_column(sa.String(500), info={"label": _l("Wasted trip: details")})
    # Set when a change of hours or a closure took its slot away: an officer must rearrange it.
    needs_rearranging: Mapped[bool] = mapped_column(default=False, server_default=sa.false(),
                                                    info={"label": _l("To be rearranged")})
    rearrange_reason: Mapped[str | None] = mapped_column(sa.String(200), info={"label": _l("Why it must move")})
    # The contact's reminder e-mail (the working day before): set once, so it is never sent twice.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    service_point: Mapped[ServicePoint] = relationship()
    slot: Mapped[Slot | None] = relationship()
    enterprise = relationship("Enterprise")
    certificate_type: Mapped[CertificateType] = relationship()
    window: Mapped[CounterWindow | None] = relationship()
    booked_by = relationship("User", foreign_keys=[booked_by_id])
    served_by = relationship("User", foreign_keys=[served_by_id])
    cancelled_by = relationship("User", foreign_keys=[cancelled_by_id])
    issued: Mapped[list["IssuedCertificate"]] = relationship(
        back_populates="appointment", cascade="all, delete-orphan", order_by="IssuedCertificate.id")
    rating: Mapped["ServiceRating | None"] = relationship(back_populates="appointment", uselist=False)

    # Questions ------------------------------------------------------------------------------------
    @property
    def who(self) -> str:
        return self.enterprise.name if self.enterprise is not None else (self.visitor_name or "")

    @property
    def is_active(self) -> bool:
        return self.status is not AppointmentStatus.CANCELLED

    def sailing_at_risk(self, now: datetime) -> bool:
        """The sailing is within 48 hours (of local midnight starting the sailing day) and it is not over."""
        if self.sailing_date is None or self.status.is_final:
            return False
        from tracker.i18n import LOCAL_TZ

        sailing = datetime.combine(self.sailing_date, time(0), LOCAL_TZ)
        return sailing - now <= SAILING_AT_RISK

    @property
    def waiting_time(self) -> timedelta | None:
        if self.checked_in_at is None or self.called_at is None:
            return None
        return self.called_at - self.checked_in_at

    @property
    def handling_time(self) -> timedelta | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    def can_change(self) -> bool:
        """Cancel or reschedule: only a booking nobody has checked in yet."""
        return self.status is AppointmentStatus.BOOKED and not self.walk_in

    # Transitions (the services add who and when, and keep the slot's count) ----------------------
    def _require(self, *allowed: AppointmentStatus, refusal: str) -> None:
        if self.status not in allowed:
            raise DomainError(refusal % {"status": self.status.label})

    def mark_cancelled(self, by, now: datetime) -> None:
        self._require(AppointmentStatus.BOOKED,
                      refusal=_("Only a booking nobody has checked in yet can be cancelled; it is %(status)s now."))
        self.status = AppointmentStatus.CANCELLED
        self.cancelled_at = now
        self.cancelled_by_id = by.id if by is not None else None
        self.needs_rearranging = False

    def mark_checked_in(self, queue_number: int, now: datetime) -> None:
        self._require(AppointmentStatus.BOOKED, AppointmentStatus.NO_SHOW,
                      refusal=_("This appointment cannot be checked in: it is %(status)s."))
        self.status = AppointmentStatus.WAITING
        self.queue_number = queue_number
        self.checked_in_at = now

    def mark_called(self, window: CounterWindow, now: datetime) -> None:
        self._require(AppointmentStatus.WAITING, AppointmentStatus.CALLED,
                      refusal=_("Only a checked-in firm can be called; this one is %(status)s."))
        self.status = AppointmentStatus.CALLED
        self.window = window
        self.window_id = window.id
        self.called_at = now

    def mark_started(self, by, now: datetime) -> None:
        self._require(AppointmentStatus.CALLED, AppointmentStatus.WAITING,
                      refusal=_("Service can start only for a firm in the queue; this one is %(status)s."))
        if self.called_at is None:
            self.called_at = now
        self.status = AppointmentStatus.SERVING
        self.started_at = now
        self.served_by_id = by.id if by is not None else None

    def mark_completed(self, now: datetime) -> None:
        self._require(AppointmentStatus.SERVING,
                      refusal=_("Only a service under way can be completed; this one is %(status)s."))
        self.status = AppointmentStatus.COMPLETED
        self.finished_at = now

    def mark_no_show(self, now: datetime) -> None:
        self._require(AppointmentStatus.BOOKED,
                      refusal=_("Only a booking nobody checked in for can be a no-show; this one is %(status)s."))
        self.status = AppointmentStatus.NO_SHOW
        self.finished_at = now

    def mark_wasted(self, reason: WastedReason, note: str | None, by, now: datetime) -> None:
        self._require(AppointmentStatus.WAITING, AppointmentStatus.CALLED, AppointmentStatus.SERVING,
                      refusal=_("A wasted trip is recorded for a firm that came; this one is %(status)s."))
        if reason is WastedReason.OTHER and not (note or "").strip():
            raise DomainError(_("Say what the other reason was."))
        self.status = AppointmentStatus.WASTED
        self.wasted_reason = reason
        self.wasted_note = (note or "").strip() or None
        self.finished_at = now
        if self.started_at is None:
            self.started_at = now
        if self.called_at is None:
            self.called_at = now
        if self.served_by_id is None and by is not None:
            self.served_by_id = by.id

    def __repr__(self) -> str:
        return f"<Appointment {self.id} {self.status.value} slot={self.slot_id}>"


class IssuedCertificate(db.Model):
    """Certificates issued at a completed service, by type."""

    __tablename__ = "issued_certificates"
    __label__ = _l("Certificates issued")
    __table_args__ = (sa.UniqueConstraint("appointment_id", "certificate_type_id"),
                      sa.CheckConstraint(f"quantity BETWEEN 1 AND {QUANTITY[1]}", name="quantity"))

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(sa.ForeignKey("appointments.id", ondelete="CASCADE"),
                                                info={"label": _l("Appointment")})
    certificate_type_id: Mapped[int] = mapped_column(sa.ForeignKey("certificate_types.id", ondelete="RESTRICT"),
                                                     info={"label": _l("Certificate type")})
    quantity: Mapped[int] = mapped_column(info={"label": _l("Number of certificates")})

    appointment: Mapped[Appointment] = relationship(back_populates="issued")
    certificate_type: Mapped[CertificateType] = relationship()


# 好差评 ---------------------------------------------------------------------------------------------
class ServiceRating(db.Model):
    """The firm's 好评 or 差评 of one service; a 差评 must be answered by the office's manager within one
    working day (answer_due), and the firm reads the answer."""

    __tablename__ = "service_ratings"
    __label__ = _l("Service rating")
    __table_args__ = (sa.Index("ix_service_ratings_unanswered", "good", "answered_at", "answer_due"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version_id}
    __audit_ignore__ = ("version_id",)
    appointment_id: Mapped[int] = mapped_column(sa.ForeignKey("appointments.id", ondelete="CASCADE"), unique=True,
                                                info={"label": _l("Appointment")})
    good: Mapped[bool] = mapped_column(info={"label": _l("Rating")})
    comment: Mapped[str | None] = mapped_column(sa.String(1000), info={"label": _l("Comment")})
    rated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"),
                                                    info={"label": _l("Rated by")})
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Rated at")})
    answer_due: Mapped[date | None] = mapped_column(info={"label": _l("Answer due")})
    answer: Mapped[str | None] = mapped_column(sa.String(1000), info={"label": _l("Answer")})
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"),
                                                       info={"label": _l("Answered by")})
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Answered at")})

    appointment: Mapped[Appointment] = relationship(back_populates="rating")
    rated_by = relationship("User", foreign_keys=[rated_by_id])
    answered_by = relationship("User", foreign_keys=[answered_by_id])

    @property
    def label(self) -> str:
        return _("Good") if self.good else _("Poor")

    def is_answer_late(self, today: date) -> bool:
        return (not self.good and self.answer_due is not None
                and (self.answered_at is None and today > self.answer_due))


# Tokens: the hall display and the firms' calendar feeds ---------------------------------------------
class DisplayToken(db.Model):
    """A revocable token that opens one service point's hall display (叫号屏) without signing in.
    Only its SHA-256 is stored; the URL is shown once, when it is made."""

    __tablename__ = "display_tokens"
    __label__ = _l("Hall display")
    __audit_redact__ = ("token_hash",)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_point_id: Mapped[int] = mapped_column(sa.ForeignKey("service_points.id", ondelete="CASCADE"),
                                                  index=True, info={"label": _l("Service point")})
    name: Mapped[str] = mapped_column(sa.String(100), info={"label": _l("Name")})
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, info={"label": _l("Token")})
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"),
                                                      info={"label": _l("Created by")})
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Created at")})
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Revoked at")})

    service_point: Mapped[ServicePoint] = relationship()
    created_by = relationship("User")


class CalendarFeed(db.Model):
    """A firm's private calendar feed (.ics of its appointments), opened by a secret, revocable token."""

    __tablename__ = "calendar_feeds"
    __label__ = _l("Calendar feed")
    __audit_redact__ = ("token_hash",)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id", ondelete="CASCADE"), index=True,
                                               info={"label": _l("Enterprise")})
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, info={"label": _l("Token")})
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"),
                                                      info={"label": _l("Created by")})
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Created at")})
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Revoked at")})

    enterprise = relationship("Enterprise")


class CounterDigest(db.Model):
    """That an officer's digest of a day's counter was queued: at most one per officer and day."""

    __tablename__ = "counter_digests"
    __audited__ = False
    __table_args__ = (sa.UniqueConstraint("user_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column()
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
