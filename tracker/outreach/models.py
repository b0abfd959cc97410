"""Visits, needs and their follow-ups, assistance plans and their measures, and in-app notifications.

State changes are made by the services of each feature (tracker/outreach/*_services.py), which check
the current state and raise OutreachError with a translated message for an impossible transition.
"""
import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.types import UTCDateTime, enum_column, utcnow


class OutreachError(ValueError):
    """A transition or edit that the current state does not allow; the message is shown to the user."""


# Reference tables ---------------------------------------------------------------------------------
class PolicyTopic(db.Model):
    """A policy introduced at visits and briefings (原产地证业务, 一体化通关 …). Editable by admins."""

    __tablename__ = "policy_topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)


class NeedCategory(db.Model):
    """A category of business need (通关时效, 原产地证 …) with its default deadline in working days."""

    __tablename__ = "need_categories"
    __table_args__ = (sa.CheckConstraint("deadline_days BETWEEN 1 AND 365", name="deadline_days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    # Default 办理时限 in working days, counted on the Chinese working-day calendar.
    deadline_days: Mapped[int] = mapped_column(default=10)
    active: Mapped[bool] = mapped_column(default=True)


# Visits -------------------------------------------------------------------------------------------
class VisitType(str, enum.Enum):
    DOOR_TO_DOOR = "door_to_door"  # 上门走访
    WORKSHOP = "workshop"  # 车间调研
    FORUM = "forum"  # 座谈会
    REMOTE = "remote"  # 电话/视频
    LOCAL_GOVERNMENT = "local_government"  # 走访地方政府

    @property
    def label(self):
        return VISIT_TYPE_LABELS[self]


VISIT_TYPE_LABELS = {
    VisitType.DOOR_TO_DOOR: _l("Door-to-door visit"),
    VisitType.WORKSHOP: _l("Workshop visit"),
    VisitType.FORUM: _l("Forum"),
    VisitType.REMOTE: _l("Phone or video call"),
    VisitType.LOCAL_GOVERNMENT: _l("Visit to local government"),
}

visit_officers = sa.Table(
    "visit_officers",
    db.metadata,
    sa.Column("visit_id", sa.ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="RESTRICT"), primary_key=True, index=True),
)

visit_topics = sa.Table(
    "visit_topics",
    db.metadata,
    sa.Column("visit_id", sa.ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("topic_id", sa.ForeignKey("policy_topics.id", ondelete="RESTRICT"), primary_key=True, index=True),
)


class Visit(db.Model):
    """A visit (走访) to a firm, usually by a pair of officers."""

    __tablename__ = "visits"
    __table_args__ = (sa.Index("ix_visits_enterprise_visited", "enterprise_id", "visited_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id", ondelete="RESTRICT"))
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    visit_type: Mapped[VisitType] = mapped_column(enum_column(VisitType, "visit_type"))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    findings: Mapped[str | None] = mapped_column(sa.Text)
    # When someone should call the firm back about this visit.
    follow_up_on: Mapped[date | None] = mapped_column(index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    enterprise = relationship("Enterprise")
    campaign = relationship("Campaign")
    officers = relationship("User", secondary=visit_officers, order_by="User.username")
    topics = relationship(PolicyTopic, secondary=visit_topics, order_by=PolicyTopic.id)
    attendees: Mapped[list["VisitAttendee"]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", order_by="VisitAttendee.id"
    )


class VisitAttendee(db.Model):
    """Someone of the firm who took part: one of its recorded contacts, or a name typed in."""

    __tablename__ = "visit_attendees"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enterprise_contacts.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(sa.String(100))
    title: Mapped[str | None] = mapped_column(sa.String(100))

    visit: Mapped[Visit] = relationship(back_populates="attendees")


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
    __audit_label__ = ("content",)
    __table_args__ = (
        sa.Index("ix_needs_status_deadline", "status", "deadline"),
        sa.Index("ix_needs_officer_status", "assigned_officer_id", "status", "deadline"),
        sa.Index("ix_needs_enterprise_status", "enterprise_id", "status"),
        # The needs list reads its pages in (deadline, id) order, whole or by category or department
        # (tracker/outreach/needs_routes.py, NeedPagination); status and enterprise_id make the first one
        # cover the overdue test and the scope (migration 3fb2f71a7537).
        sa.Index("ix_needs_deadline", "deadline", "id", "status", "enterprise_id"),
        sa.Index("ix_needs_category_deadline", "category_id", "deadline", "id"),
        sa.Index("ix_needs_department_deadline", "department_id", "deadline", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id", ondelete="RESTRICT"))
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    visit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("visits.id", ondelete="SET NULL"), index=True)
    source: Mapped[NeedSource] = mapped_column(enum_column(NeedSource, "source"))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("need_categories.id", ondelete="RESTRICT"))
    content: Mapped[str] = mapped_column(sa.Text)
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id", ondelete="RESTRICT"))
    assigned_officer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    raised_on: Mapped[date]
    # 办理时限: the last day, counted in working days from raised_on; moved only by an approved extension.
    deadline: Mapped[date]
    status: Mapped[NeedStatus] = mapped_column(enum_column(NeedStatus, "status"), default=NeedStatus.PENDING)
    # What the firm is told when the need cannot be resolved (visible to the firm).
    explanation: Mapped[str | None] = mapped_column(sa.Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

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


class NeedEntryKind(str, enum.Enum):
    PROGRESS = "progress"  # dated progress, visible to the firm
    INTERNAL = "internal"  # internal note: contacts never see it
    COMMENT = "comment"  # the firm's own comment from the portal


class NeedEntry(db.Model):
    """A dated line in a need's history: progress, an internal note, or the firm's comment."""

    __tablename__ = "need_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[NeedEntryKind] = mapped_column(enum_column(NeedEntryKind, "kind"))
    text: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    need: Mapped[Need] = relationship(back_populates="entries")
    author = relationship("User")


class ExtensionStatus(str, enum.Enum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"


class DeadlineExtension(db.Model):
    """A request to move a need's deadline, with a reason; a manager decides."""

    __tablename__ = "deadline_extensions"
    # My work lists a manager's requests awaiting a decision, oldest first (migration 3fb2f71a7537).
    __table_args__ = (sa.Index("ix_deadline_extensions_status", "status", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    old_deadline: Mapped[date]
    new_deadline: Mapped[date]
    reason: Mapped[str] = mapped_column(sa.String(500))
    status: Mapped[ExtensionStatus] = mapped_column(enum_column(ExtensionStatus, "status"),
                                                    default=ExtensionStatus.REQUESTED)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str | None] = mapped_column(sa.String(500))

    need: Mapped[Need] = relationship(back_populates="extensions")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])


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


class FollowUp(db.Model):
    """A follow-up (回访) or the firm's own rating of a resolution."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    channel: Mapped[FollowUpChannel] = mapped_column(enum_column(FollowUpChannel, "channel"))
    held_on: Mapped[date]
    satisfaction: Mapped[Satisfaction] = mapped_column(enum_column(Satisfaction, "satisfaction"))
    note: Mapped[str | None] = mapped_column(sa.Text)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    need: Mapped[Need] = relationship(back_populates="follow_ups")
    by = relationship("User")


# Assistance plans ---------------------------------------------------------------------------------
class PlanStatus(str, enum.Enum):
    DRAFT = "draft"  # 草拟
    SUBMITTED = "submitted"  # 待审批
    APPROVED = "approved"  # 已批准
    IN_PROGRESS = "in_progress"  # 实施中
    COMPLETED = "completed"  # 已完成

    @property
    def label(self):
        return PLAN_STATUS_LABELS[self]


PLAN_STATUS_LABELS = {
    PlanStatus.DRAFT: _l("Draft"),
    PlanStatus.SUBMITTED: _l("Awaiting approval"),
    PlanStatus.APPROVED: _l("Approved"),
    PlanStatus.IN_PROGRESS: _l("In progress"),
    PlanStatus.COMPLETED: _l("Completed"),
}


class AssistancePlan(db.Model):
    """One firm's assistance plan (帮扶方案) in one campaign: "one firm, one plan"."""

    __tablename__ = "assistance_plans"
    __table_args__ = (sa.UniqueConstraint("enterprise_id", "campaign_id"),
                      sa.Index("ix_assistance_plans_status", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id", ondelete="RESTRICT"))
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="RESTRICT"), index=True)
    objective: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[PlanStatus] = mapped_column(enum_column(PlanStatus, "status"), default=PlanStatus.DRAFT)
    # The manager's comment when he returned the plan for changes (退回修改); cleared on resubmission.
    return_comment: Mapped[str | None] = mapped_column(sa.Text)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    enterprise = relationship("Enterprise")
    campaign = relationship("Campaign")
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    measures: Mapped[list["PlanMeasure"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanMeasure.position"
    )


measure_needs = sa.Table(
    "measure_needs",
    db.metadata,
    sa.Column("measure_id", sa.ForeignKey("plan_measures.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("need_id", sa.ForeignKey("needs.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class MeasureStatus(str, enum.Enum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class PlanMeasure(db.Model):
    """A concrete assistance measure (帮扶措施) of a plan, with an owner and a deadline."""

    __tablename__ = "plan_measures"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("assistance_plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(sa.Text)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    deadline: Mapped[date | None]
    status: Mapped[MeasureStatus] = mapped_column(enum_column(MeasureStatus, "status"), default=MeasureStatus.OPEN)
    result: Mapped[str | None] = mapped_column(sa.Text)

    plan: Mapped[AssistancePlan] = relationship(back_populates="measures")
    owner = relationship("User")
    needs = relationship(Need, secondary=measure_needs, order_by=Need.id)


# Notifications --------------------------------------------------------------------------------------
class NotificationKind(str, enum.Enum):
    NEED_ASSIGNED = "need_assigned"
    DEADLINE_NEAR = "deadline_near"
    PLAN_APPROVED = "plan_approved"
    PLAN_RETURNED = "plan_returned"
    EXTENSION_DECIDED = "extension_decided"
    NEED_REOPENED = "need_reopened"


class Notification(db.Model):
    """An in-app notice for one user; the text is made in the reader's language from kind and params."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_unread", "user_id", "read_at", "created_at"),
                      sa.UniqueConstraint("user_id", "kind", "dedupe_key"))
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(enum_column(NotificationKind, "kind"))
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # Where the notice leads (a path inside the site).
    link: Mapped[str] = mapped_column(sa.String(300))
    # Makes repeated notices idempotent, e.g. "need:12:2019-10-08" for a deadline reminder.
    dedupe_key: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
