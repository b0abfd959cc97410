"""Assistance plans (一企一策帮扶方案) and their measures."""
import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.needs.models import Need
from tracker.types import UTCDateTime, enum_column, utcnow


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

# The firm sees its plan once a manager has approved it.
VISIBLE_TO_FIRM = (PlanStatus.APPROVED, PlanStatus.IN_PROGRESS, PlanStatus.COMPLETED)


class AssistancePlan(db.Model):
    """One firm's assistance plan (帮扶方案) in one campaign: "one firm, one plan"."""

    __tablename__ = "assistance_plans"
    __table_args__ = (sa.UniqueConstraint("enterprise_id", "campaign_id"),
                      sa.Index("ix_assistance_plans_status", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # Optimistic locking: every UPDATE checks and moves it, so an edit made from an older version
    # matches no row (StaleDataError) instead of silently replacing the newer one (tracker.views).
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version_id}
    __audit_ignore__ = ("version_id",)
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
