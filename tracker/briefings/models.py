"""Policy briefings (进出口企业政策宣讲会): the briefing, its invitations, registrations and materials.

A briefing has places for *firms* (the article counts 84 firms): ``capacity`` is the number of firms, and a
registration holds how many people the firm sends and their names. ``registered`` counts the active
registrations and the database keeps ``0 <= registered <= capacity`` (a CHECK) while a registration takes
its place with one conditional UPDATE (services.register), as the counter's slots do.

A briefing goes DRAFT → OPEN (registration open) → CLOSED (registration closed) → HELD, and may be
CANCELLED before it is held; CLOSED may be opened again.
"""
import enum
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.domain import DomainError
from tracker.extensions import db
from tracker.types import UTCDateTime, enum_column, utcnow
from tracker.visits.models import PolicyTopic

# Limits, as the tables' CHECK constraints (forms read them from here).
CAPACITY = (1, 1000)
ATTENDEES = (1, 5)
# The entrance code works from this long before the start until the end.
CHECK_IN_OPENS_BEFORE = timedelta(hours=2)


class BriefingStatus(str, enum.Enum):
    DRAFT = "draft"  # 草稿
    OPEN = "open"  # 报名中
    CLOSED = "closed"  # 报名截止
    HELD = "held"  # 已举办
    CANCELLED = "cancelled"  # 已取消

    @property
    def label(self):
        return BRIEFING_STATUS_LABELS[self]


BRIEFING_STATUS_LABELS = {
    BriefingStatus.DRAFT: _l("Draft"),
    BriefingStatus.OPEN: _l("Open for registration"),
    BriefingStatus.CLOSED: _l("Registration closed"),
    BriefingStatus.HELD: _l("Held"),
    BriefingStatus.CANCELLED: _l("Cancelled"),
}
# Seen by firms (a draft is the office's alone).
PUBLISHED_STATUSES = (BriefingStatus.OPEN, BriefingStatus.CLOSED, BriefingStatus.HELD, BriefingStatus.CANCELLED)
# Attendance may be recorded.
CHECK_IN_STATUSES = (BriefingStatus.OPEN, BriefingStatus.CLOSED, BriefingStatus.HELD)

briefing_topics = sa.Table(
    "briefing_topics",
    db.metadata,
    sa.Column("briefing_id", sa.ForeignKey("briefings.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("topic_id", sa.ForeignKey("policy_topics.id", ondelete="RESTRICT"), primary_key=True, index=True),
)


class Briefing(db.Model):
    """A policy briefing (宣讲会) an office holds for the firms of its district."""

    __tablename__ = "briefings"
    __label__ = _l("Policy briefing")
    __audit_label__ = ("title",)
    __table_args__ = (
        sa.CheckConstraint("registered >= 0 AND registered <= capacity", name="registered_within_capacity"),
        sa.CheckConstraint(f"capacity BETWEEN {CAPACITY[0]} AND {CAPACITY[1]}", name="capacity"),
        sa.CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        sa.Index("ix_briefings_office_starts", "office_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Optimistic locking for edits (tracker.views); the counter below moves by Core UPDATEs, not the ORM.
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version_id}
    # registered moves with every registration; the registrations carry the history.
    __audit_ignore__ = ("version_id", "registered")
    title: Mapped[str] = mapped_column(sa.String(200), info={"label": _l("Title")})
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), info={"label": _l("Starts at")})
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), info={"label": _l("Ends at")})
    venue: Mapped[str] = mapped_column(sa.String(200), info={"label": _l("Venue")})
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id", ondelete="RESTRICT"), index=True,
                                           info={"label": _l("Office")})
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="SET NULL"), index=True,
                                                    info={"label": _l("Campaign")})
    description: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Description")})
    # Places for firms (not seats): a registration names how many people the firm sends.
    capacity: Mapped[int] = mapped_column(info={"label": _l("Places (firms)")})
    # Active registrations; CHECK 0 <= registered <= capacity (see the module's docstring).
    registered: Mapped[int] = mapped_column(default=0, server_default="0", info={"label": _l("Registered firms")})
    status: Mapped[BriefingStatus] = mapped_column(enum_column(BriefingStatus, "status"), default=BriefingStatus.DRAFT,
                                                   info={"label": _l("Status")})
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"),
                                                      info={"label": _l("Created by")})
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Created at")})

    office = relationship("Office")
    campaign = relationship("Campaign")
    created_by = relationship("User")
    topics = relationship(PolicyTopic, secondary=briefing_topics, order_by=PolicyTopic.id,
                          info={"label": _l("Policy topics")})
    materials: Mapped[list["BriefingMaterial"]] = relationship(
        back_populates="briefing", order_by="BriefingMaterial.uploaded_at", cascade="all, delete-orphan")

    @property
    def remaining(self) -> int:
        return max(0, self.capacity - self.registered)

    @property
    def check_in_opens_at(self) -> datetime:
        return self.starts_at - CHECK_IN_OPENS_BEFORE

    def check_in_window_holds(self, now: datetime) -> bool:
        return self.check_in_opens_at <= now <= self.ends_at

    # The state machine: each transition checks where it starts from.
    def can_edit(self) -> bool:
        return self.status in (BriefingStatus.DRAFT, BriefingStatus.OPEN, BriefingStatus.CLOSED)

    def can_open(self) -> bool:
        return self.status in (BriefingStatus.DRAFT, BriefingStatus.CLOSED)

    def can_close(self) -> bool:
        return self.status is BriefingStatus.OPEN

    def can_mark_held(self, now: datetime) -> bool:
        return self.status in (BriefingStatus.OPEN, BriefingStatus.CLOSED) and now >= self.starts_at

    def can_cancel(self) -> bool:
        return self.status in (BriefingStatus.DRAFT, BriefingStatus.OPEN, BriefingStatus.CLOSED)

    def can_invite(self) -> bool:
        return self.status in (BriefingStatus.DRAFT, BriefingStatus.OPEN, BriefingStatus.CLOSED)

    def can_check_in(self) -> bool:
        return self.status in CHECK_IN_STATUSES

    def is_published(self) -> bool:
        return self.status in PUBLISHED_STATUSES

    def _refusal(self, action: str) -> DomainError:
        return DomainError(_("A briefing that is %(status)s cannot be %(action)s.", status=self.status.label,
                             action=action))

    def open(self, now: datetime) -> None:
        """草稿/报名截止 → 报名中 (not once it has begun)."""
        if not self.can_open():
            raise self._refusal(_("opened for registration"))
        if now >= self.starts_at:
            raise DomainError(_("The briefing has begun: registration cannot be opened any more."))
        self.status = BriefingStatus.OPEN

    def close(self) -> None:
        """报名中 → 报名截止."""
        if not self.can_close():
            raise self._refusal(_("closed for registration"))
        self.status = BriefingStatus.CLOSED

    def mark_held(self, now: datetime) -> None:
        """报名中/报名截止 → 已举办, once it has begun."""
        if self.status not in (BriefingStatus.OPEN, BriefingStatus.CLOSED):
            raise self._refusal(_("marked as held"))
        if now < self.starts_at:
            raise DomainError(_("A briefing can be marked as held only once it has begun."))
        self.status = BriefingStatus.HELD

    def cancel(self) -> None:
        if not self.can_cancel():
            raise self._refusal(_("cancelled"))
        self.status = BriefingStatus.CANCELLED


class BriefingInvitation(db.Model):
    """A firm invited to a briefing (its contacts are told in the tracker and by e-mail)."""

    __tablename__ = "briefing_invitations"
    __label__ = _l("Briefing invitation")
    __table_args__ = (sa.UniqueConstraint("briefing_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    briefing_id: Mapped[int] = mapped_column(sa.ForeignKey("briefings.id", ondelete="CASCADE"),
                                             info={"label": _l("Policy briefing")})
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id", ondelete="CASCADE"), index=True,
                                               info={"label": _l("Enterprise")})
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Invited at")})
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"),
                                                      info={"label": _l("Invited by")})

    briefing: Mapped[Briefing] = relationship()
    enterprise = relationship("Enterprise")
    invited_by = relationship("User")


class RegistrationStatus(str, enum.Enum):
    REGISTERED = "registered"
    CANCELLED = "cancelled"

    @property
    def label(self):
        return REGISTRATION_STATUS_LABELS[self]


REGISTRATION_STATUS_LABELS = {
    RegistrationStatus.REGISTERED: _l("Registered"),
    RegistrationStatus.CANCELLED: _l("Registration cancelled"),
}


class CheckInMethod(str, enum.Enum):
    QR = "qr"  # the contact scanned the entrance code
    OFFICER = "officer"  # an officer ticked the firm on the check-in list

    @property
    def label(self):
        return CHECK_IN_METHOD_LABELS[self]


CHECK_IN_METHOD_LABELS = {
    CheckInMethod.QR: _l("Entrance code"),
    CheckInMethod.OFFICER: _l("Check-in list"),
}


class BriefingRegistration(db.Model):
    """A firm's registration for a briefing: how many come and who, and whether they came."""

    __tablename__ = "briefing_registrations"
    __label__ = _l("Briefing registration")
    __table_args__ = (
        sa.CheckConstraint(f"attendees BETWEEN {ATTENDEES[0]} AND {ATTENDEES[1]}", name="attendees"),
        # One active registration per firm and briefing (a cancelled one does not count), as the counter's.
        sa.Index("uq_briefing_registrations_firm", "briefing_id", "enterprise_id", unique=True,
                 sqlite_where=sa.text("status <> 'cancelled'"), postgresql_where=sa.text("status <> 'cancelled'")),
        sa.Index("ix_briefing_registrations_enterprise", "enterprise_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    briefing_id: Mapped[int] = mapped_column(sa.ForeignKey("briefings.id", ondelete="CASCADE"), index=True,
                                             info={"label": _l("Policy briefing")})
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id", ondelete="CASCADE"),
                                               info={"label": _l("Enterprise")})
    attendees: Mapped[int] = mapped_column(default=1, info={"label": _l("Number of attendees")})
    attendee_names: Mapped[str] = mapped_column(sa.Text, info={"label": _l("Attendees' names")})
    status: Mapped[RegistrationStatus] = mapped_column(
        enum_column(RegistrationStatus, "status"), default=RegistrationStatus.REGISTERED, info={"label": _l("Status")})
    registered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"),
                                                         info={"label": _l("Registered by")})
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                    info={"label": _l("Registered at")})
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Cancelled at")})
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Signed in at")})
    checked_in_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"),
                                                         info={"label": _l("Checked in by")})
    check_in_method: Mapped[CheckInMethod | None] = mapped_column(
        enum_column(CheckInMethod, "check_in_method"), info={"label": _l("Checked in through")})

    briefing: Mapped[Briefing] = relationship()
    enterprise = relationship("Enterprise")
    registered_by = relationship("User", foreign_keys=[registered_by_id])
    checked_in_by = relationship("User", foreign_keys=[checked_in_by_id])

    @property
    def is_active(self) -> bool:
        return self.status is RegistrationStatus.REGISTERED

    @property
    def names(self) -> list[str]:
        return [n for n in (line.strip() for line in self.attendee_names.splitlines()) if n]


class BriefingMaterial(db.Model):
    """A file handed out at a briefing (slides, a policy text, a form): stored under instance/uploads."""

    __tablename__ = "briefing_materials"
    __label__ = _l("Briefing material")
    __audit_label__ = ("original_filename",)

    id: Mapped[int] = mapped_column(primary_key=True)
    briefing_id: Mapped[int] = mapped_column(sa.ForeignKey("briefings.id", ondelete="CASCADE"), index=True,
                                             info={"label": _l("Policy briefing")})
    original_filename: Mapped[str] = mapped_column(sa.String(255), info={"label": _l("File name")})
    # The generated name on disk (uuid hex and the extension): never the uploader's.
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True, info={"label": _l("Stored as")})
    content_type: Mapped[str] = mapped_column(sa.String(100), info={"label": _l("Content type")})
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger, info={"label": _l("Size (bytes)")})
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"),
                                                       info={"label": _l("Uploaded by")})
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Uploaded at")})

    briefing: Mapped[Briefing] = relationship(back_populates="materials")
    uploaded_by = relationship("User")
