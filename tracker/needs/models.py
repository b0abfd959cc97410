"""The needs ledger (需求台账): needs, their history, deadline extensions and follow-ups (回访)."""
import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.domain import DomainError
from tracker.extensions import db
from tracker.types import UTCDateTime, enum_column, utcnow
from tracker.visits.models import Visit


# Reference table
class NeedCategory(db.Model):
    """A category of business need (通关时效, 原产地证 …) with its default deadline in working days."""

    __tablename__ = "need_categories"
    __label__ = _l("Need category")
    __table_args__ = (sa.CheckConstraint("deadline_days BETWEEN 1 AND 365", name="deadline_days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Optimistic locking: every UPDATE checks and moves it, so an edit made from an older version
    # matches no row (StaleDataError) instead of silently replacing the newer one (tracker.views).
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version_id}
    __audit_ignore__ = ("version_id",)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True, info={"label": _l("Name")})
    name_en: Mapped[str | None] = mapped_column(sa.String(200), info={"label": _l("English name")})
    # Default 办理时限 in working days, counted on the Chinese working-day calendar.
    deadline_days: Mapped[int] = mapped_column(default=10, info={"label": _l("Deadline in working days")})
    active: Mapped[bool] = mapped_column(default=True, info={"label": _l("In use")})


# Needs --------------------------------------------------------------------------------------------
class NeedSource(str, enum.Enum):
    VISIT = "visit"
    BRIEFING = "briefing"
    PORTAL = "portal"
    PHONE = "phone"

    @property
    def label(self):
        return NEED_SOURCE_LABELS[self]


NEED_SOURCE_LABELS = {
    NeedSource.VISIT: _l("Visit"),
    NeedSource.BRIEFING: _l("Policy briefing"),
    NeedSource.PORTAL: _l("Enterprise portal"),
    NeedSource.PHONE: _l("Phone"),
}


class NeedStatus(str, enum.Enum):
    PENDING = "pending"  # 待受理
    IN_PROGRESS = "in_progress"  # 办理中
    RESOLVED = "resolved"  # 已办结
    CLOSED = "closed"  # 已销号 (after a follow-up or the firm's confirmation)
    UNRESOLVABLE = "unresolvable"  # 无法解决（已说明）

    @property
    def label(self):
        return NEED_STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self in (NeedStatus.PENDING, NeedStatus.IN_PROGRESS)


NEED_STATUS_LABELS = {
    NeedStatus.PENDING: _l("Awaiting acceptance"),
    NeedStatus.IN_PROGRESS: _l("In progress"),
    NeedStatus.RESOLVED: _l("Resolved"),
    NeedStatus.CLOSED: _l("Closed off"),
    NeedStatus.UNRESOLVABLE: _l("Cannot be resolved (explained)"),
}

OPEN_NEED_STATUSES = (NeedStatus.PENDING, NeedStatus.IN_PROGRESS)


class Need(db.Model):
    """A business need (业务需求) a firm raised, handed to one department with a deadline."""

    __tablename__ = "needs"
    __label__ = _l("Need")
    __audit_label__ = ("content",)
    __table_args__ = (
        sa.Index("ix_needs_status_deadline", "status", "deadline"),
        sa.Index("ix_needs_officer_status", "assigned_officer_id", "status", "deadline"),
        sa.Index("ix_needs_enterprise_status", "enterprise_id", "status"),
        # The needs list reads its pages in (deadline, id) order, whole or by category or department
        # (tracker/needs/queries.py, need_page); status and enterprise_id make the first one
        # cover the overdue test and the scope (migration 3fb2f71a7537).
        sa.Index("ix_needs_deadline", "deadline", "id", "status", "enterprise_id"),
        sa.Index("ix_needs_category_deadline", "category_id", "deadline", "id"),
        sa.Index("ix_needs_department_deadline", "department_id", "deadline", "id"),
        # The campaign report counts a campaign's needs raised, and finished, in a period
        # (tracker/reports/needs.py; migration 5d1e8c3a9f27).
        sa.Index("ix_needs_campaign_raised", "campaign_id", "raised_on"),
        # The reports' firm condition probes each firm's needs of the campaign (migration 9e2b7c4d1a60).
        sa.Index("ix_needs_campaign_firm_raised", "campaign_id", "enterprise_id", "raised_on"),
        sa.Index("ix_needs_campaign_finished", "campaign_id", "finished_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Optimistic locking: every UPDATE checks and moves it, so an edit made from an older version
    # matches no row (StaleDataError) instead of silently replacing the newer one (tracker.views).
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version_id}
    __audit_ignore__ = ("version_id",)
    enterprise_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enterprises.id", ondelete="RESTRICT"), info={"label": _l("Enterprise")}
    )
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="SET NULL"), index=True, info={"label": _l("Campaign")}
    )
    visit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("visits.id", ondelete="SET NULL"), index=True, info={"label": _l("Visit")}
    )
    source: Mapped[NeedSource] = mapped_column(enum_column(NeedSource, "source"), info={"label": _l("Raised through")})
    category_id: Mapped[int] = mapped_column(
        sa.ForeignKey("need_categories.id", ondelete="RESTRICT"), info={"label": _l("Category")}
    )
    content: Mapped[str] = mapped_column(sa.Text, info={"label": _l("What the firm needs")})
    department_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("departments.id", ondelete="RESTRICT"), info={"label": _l("Responsible department")}
    )
    assigned_officer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"label": _l("Assigned officer")}
    )
    raised_on: Mapped[date] = mapped_column(info={"label": _l("Raised on")})
    # 办理时限: the last day, counted in working days from raised_on; moved only by an approved extension.
    deadline: Mapped[date] = mapped_column(info={"label": _l("Deadline")})
    status: Mapped[NeedStatus] = mapped_column(
        enum_column(NeedStatus, "status"), default=NeedStatus.PENDING, info={"label": _l("Status")}
    )
    # What the firm is told when the need cannot be resolved (visible to the firm).
    explanation: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Explanation given to the firm")})
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Resolved at")})
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Closed at")})
    # Set when the need is finished, that is resolved (已办结) or explained (无法解决), by services.resolve and
    # services.mark_unresolvable; cleared when a 不满意 follow-up reopens it; kept when it is closed off (销号).
    # finished_on is the local day of resolved_at (or, explained, of closed_at); working_days_to_close counts
    # the working days from raised_on to it on the calendar (tracker.workdays), so that reports take the
    # median and "on time" (finished_on <= deadline) in SQL.
    finished_on: Mapped[date | None] = mapped_column(info={"label": _l("Finished on")})
    working_days_to_close: Mapped[int | None] = mapped_column(info={"label": _l("Working days to close")})
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"label": _l("Created by")}
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Created at")})
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, info={"label": _l("Updated at")}
    )

    enterprise = relationship("Enterprise")
    campaign = relationship("Campaign")
    visit = relationship(Visit, backref="needs")
    category = relationship(NeedCategory)
    department = relationship("Department")
    assigned_officer = relationship("User", foreign_keys=[assigned_officer_id])
    entries: Mapped[list["NeedEntry"]] = relationship(
        back_populates="need", cascade="all, delete-orphan", order_by="NeedEntry.created_at"
    )
    extensions: Mapped[list["DeadlineExtension"]] = relationship(
        back_populates="need", cascade="all, delete-orphan", order_by="DeadlineExtension.requested_at"
    )
    follow_ups: Mapped[list["FollowUp"]] = relationship(
        back_populates="need", cascade="all, delete-orphan", order_by="FollowUp.created_at"
    )

    def is_overdue(self, today: date) -> bool:
        return self.status.is_open and self.deadline < today

    # The state machine. Each transition checks the state it starts from and raises DomainError when the
    # need is no longer there (a second click, a colleague who was quicker); the services add what goes
    # with it (history entries, notices), and the views and templates ask the can_* methods.
    def can_accept(self) -> bool:
        return self.status is NeedStatus.PENDING

    def can_resolve(self) -> bool:
        return self.status is NeedStatus.IN_PROGRESS

    def can_mark_unresolvable(self) -> bool:
        return self.status.is_open

    def can_close_off(self) -> bool:
        """The state allows closing off (销号); a follow-up or the firm's confirmation is needed too."""
        return self.status is NeedStatus.RESOLVED

    def can_be_followed_up(self) -> bool:
        """A follow-up call (回访) or the firm's rating is for a resolved need."""
        return self.status is NeedStatus.RESOLVED

    def can_be_edited(self) -> bool:
        return self.status.is_open

    def can_take_progress(self) -> bool:
        return self.status.is_open

    def can_request_extension(self) -> bool:
        return self.status.is_open and self.pending_extension() is None

    def pending_extension(self) -> "DeadlineExtension | None":
        return next((e for e in self.extensions if e.status is ExtensionStatus.REQUESTED), None)

    def _refusal(self, action: str) -> DomainError:
        return DomainError(_("A need that is %(status)s cannot be %(action)s.", status=self.status.label,
                             action=action))

    def accept(self) -> None:
        """待受理 → 办理中."""
        if not self.can_accept():
            raise self._refusal(_("accepted"))
        self.status = NeedStatus.IN_PROGRESS

    def resolve(self, at: datetime | None = None) -> None:
        """办理中 → 已办结 (*at*: when, by default now)."""
        if not self.can_resolve():
            raise self._refusal(_("resolved"))
        self.status = NeedStatus.RESOLVED
        self.resolved_at = at or utcnow()

    def mark_unresolvable(self, explanation: str, at: datetime | None = None) -> None:
        """待受理/办理中 → 无法解决（已说明）, with the explanation given to the firm (*at*: when, by default now)."""
        if not self.can_mark_unresolvable():
            raise self._refusal(_("marked as impossible to resolve"))
        self.explanation = explanation
        self.status = NeedStatus.UNRESOLVABLE
        self.closed_at = at or utcnow()

    def reopen(self) -> None:
        """已办结 → 办理中, after a follow-up or rating of 不满意: no longer finished."""
        if not self.can_be_followed_up():
            raise self._refusal(_("reopened"))
        self.status = NeedStatus.IN_PROGRESS
        self.resolved_at = None
        self.finished_on = None
        self.working_days_to_close = None

    def close_off(self, confirmed: bool) -> None:
        """已办结 → 已销号, only once a follow-up or the firm confirmed the resolution (*confirmed*)."""
        if not self.can_close_off():
            raise self._refusal(_("closed off"))
        if not confirmed:
            raise DomainError(_("A need can be closed off only after a follow-up call or the firm's own "
                                "confirmation, rated satisfied or basically satisfied."))
        self.status = NeedStatus.CLOSED
        self.closed_at = utcnow()


class NeedEntryKind(str, enum.Enum):
    PROGRESS = "progress"  # dated progress, visible to the firm
    INTERNAL = "internal"  # internal note: contacts never see it
    COMMENT = "comment"  # the firm's own comment from the portal

    @property
    def label(self):
        return NEED_ENTRY_KIND_LABELS[self]


NEED_ENTRY_KIND_LABELS = {
    NeedEntryKind.PROGRESS: _l("Progress"),
    NeedEntryKind.INTERNAL: _l("Internal note"),
    NeedEntryKind.COMMENT: _l("Comment from the firm"),
}


class NeedEntry(db.Model):
    """A dated line in a need's history: progress, an internal note, or the firm's comment."""

    __tablename__ = "need_entries"
    __label__ = _l("Need history entry")

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(
        sa.ForeignKey("needs.id", ondelete="CASCADE"), index=True, info={"label": _l("Need")}
    )
    kind: Mapped[NeedEntryKind] = mapped_column(enum_column(NeedEntryKind, "kind"), info={"label": _l("Kind")})
    text: Mapped[str] = mapped_column(sa.Text, info={"label": _l("Text")})
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"label": _l("Author")}
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Created at")})

    need: Mapped[Need] = relationship(back_populates="entries")
    author = relationship("User")


class ExtensionStatus(str, enum.Enum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # the need was resolved or explained before a manager decided

    @property
    def label(self):
        return EXTENSION_STATUS_LABELS[self]


# Each Chinese state term means one thing across needs, extensions and plans (tests/test_plans.py).
EXTENSION_STATUS_LABELS = {
    ExtensionStatus.REQUESTED: _l("Awaiting a decision"),
    ExtensionStatus.APPROVED: _l("Extension granted"),
    ExtensionStatus.REJECTED: _l("Extension refused"),
    ExtensionStatus.WITHDRAWN: _l("Extension request withdrawn: the need has been dealt with"),
}


class DeadlineExtension(db.Model):
    """A request to move a need's deadline, with a reason; a manager decides."""

    __tablename__ = "deadline_extensions"
    __label__ = _l("Deadline extension")
    # My work lists a manager's requests awaiting a decision, oldest first (migration 3fb2f71a7537).
    __table_args__ = (sa.Index("ix_deadline_extensions_status", "status", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(
        sa.ForeignKey("needs.id", ondelete="CASCADE"), index=True, info={"label": _l("Need")}
    )
    old_deadline: Mapped[date] = mapped_column(info={"label": _l("Old deadline")})
    new_deadline: Mapped[date] = mapped_column(info={"label": _l("New deadline")})
    reason: Mapped[str] = mapped_column(sa.String(500), info={"label": _l("Reason")})
    status: Mapped[ExtensionStatus] = mapped_column(enum_column(ExtensionStatus, "status"),
                                                    default=ExtensionStatus.REQUESTED, info={"label": _l("Status")})
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"label": _l("Requested by")}
    )
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Requested at")})
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"label": _l("Decided by")}
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Decided at")})
    decision_note: Mapped[str | None] = mapped_column(sa.String(500), info={"label": _l("Decision note")})

    need: Mapped[Need] = relationship(back_populates="extensions")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    def can_be_decided(self) -> bool:
        return self.status is ExtensionStatus.REQUESTED

    def decide(self, approve: bool, by_id: int, note: str | None) -> None:
        """Approve (the need's deadline moves) or reject a requested extension, once."""
        if not self.can_be_decided():
            raise DomainError(_("This extension has already been decided."))
        if approve and not self.need.status.is_open:
            raise DomainError(_("The need is %(status)s; its deadline can no longer be extended.",
                                status=self.need.status.label))
        self.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REJECTED
        self.decided_by_id = by_id
        self.decided_at = utcnow()
        self.decision_note = note
        if approve:
            self.need.deadline = self.new_deadline

    def withdraw(self) -> None:
        """A request still awaiting a decision lapses once its need is no longer open (办结): there is no
        deadline left to move, and nobody should be asked to decide it."""
        if not self.can_be_decided():
            raise DomainError(_("This extension has already been decided."))
        if self.need.status.is_open:
            raise DomainError(_("The need is still open; its extension awaits a decision."))
        self.status = ExtensionStatus.WITHDRAWN
        self.decided_at = utcnow()


class Satisfaction(str, enum.Enum):
    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意: reopens the need

    @property
    def label(self):
        return SATISFACTION_LABELS[self]


SATISFACTION_LABELS = {
    Satisfaction.SATISFIED: _l("Satisfied"),
    Satisfaction.BASICALLY_SATISFIED: _l("Basically satisfied"),
    Satisfaction.DISSATISFIED: _l("Dissatisfied"),
}


class FollowUpChannel(str, enum.Enum):
    CALL = "call"  # an officer's follow-up call (回访)
    FIRM = "firm"  # the firm's own confirmation and rating in the portal

    @property
    def label(self):
        return FOLLOW_UP_CHANNEL_LABELS[self]


FOLLOW_UP_CHANNEL_LABELS = {
    FollowUpChannel.CALL: _l("Follow-up call"),
    FollowUpChannel.FIRM: _l("The firm's own rating"),
}


class FollowUp(db.Model):
    """A follow-up (回访) or the firm's own rating of a resolution."""

    __tablename__ = "follow_ups"
    __label__ = _l("Follow-up")
    # The campaign report counts the follow-ups held in a period (tracker/reports/needs.py).
    __table_args__ = (sa.Index("ix_follow_ups_held_on", "held_on", "need_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(
        sa.ForeignKey("needs.id", ondelete="CASCADE"), index=True, info={"label": _l("Need")}
    )
    channel: Mapped[FollowUpChannel] = mapped_column(
        enum_column(FollowUpChannel, "channel"), info={"label": _l("Channel")}
    )
    held_on: Mapped[date] = mapped_column(info={"label": _l("Date of the follow-up")})
    satisfaction: Mapped[Satisfaction] = mapped_column(
        enum_column(Satisfaction, "satisfaction"), info={"label": _l("Satisfaction")}
    )
    note: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Note")})
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), info={"label": _l("By")})
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Created at")})

    need: Mapped[Need] = relationship(back_populates="follow_ups")
    by = relationship("User")
