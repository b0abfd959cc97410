"""Assistance plans (一企一策帮扶方案) and their measures."""
import enum
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.domain import DomainError
from tracker.extensions import db
from tracker.needs.models import Need
from tracker.types import UTCDateTime, enum_column, utcnow


# Assistance plans ---------------------------------------------------------------------------------
class PlanStatus(str, enum.Enum):
    DRAFT = "draft"  # 草拟中
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
    # Not the need's "In progress" (办理中): a plan is carried out (实施中), a need handled.
    PlanStatus.IN_PROGRESS: _l("Being carried out"),
    PlanStatus.COMPLETED: _l("Completed"),
}

# The firm sees its plan once a manager has approved it.
VISIBLE_TO_FIRM = (PlanStatus.APPROVED, PlanStatus.IN_PROGRESS, PlanStatus.COMPLETED)


class AssistancePlan(db.Model):
    """One firm's assistance plan (帮扶方案) in one campaign: "one firm, one plan"."""

    __tablename__ = "assistance_plans"
    __label__ = _l("Assistance plan")
    __table_args__ = (sa.UniqueConstraint("enterprise_id", "campaign_id"),
                      sa.Index("ix_assistance_plans_status", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # Optimistic locking: every UPDATE checks and moves it, so an edit made from an older version
    # matches no row (StaleDataError) instead of silently replacing the newer one (tracker.views).
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version_id}
    __audit_ignore__ = ("version_id",)
    enterprise_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enterprises.id", ondelete="RESTRICT"), info={"label": _l("Enterprise")}
    )
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="RESTRICT"), index=True, info={"label": _l("Campaign")}
    )
    objective: Mapped[str] = mapped_column(sa.Text, default="", info={"label": _l("Objective")})
    status: Mapped[PlanStatus] = mapped_column(
        enum_column(PlanStatus, "status"), default=PlanStatus.DRAFT, info={"label": _l("Status")}
    )
    # The manager's comment when he returned the plan for changes (退回修改); cleared on resubmission.
    return_comment: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("What should change")})
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Submitted at")})
    approved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"label": _l("Approved by")}
    )
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Approved at")})
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"label": _l("Drafted by")}
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Created at")})
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, info={"label": _l("Updated at")}
    )

    enterprise = relationship("Enterprise")
    campaign = relationship("Campaign")
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    measures: Mapped[list["PlanMeasure"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanMeasure.position"
    )

    # The state machine: each transition checks the state it starts from and raises DomainError when the
    # plan is no longer there; services add the rest (who may, notices) and templates ask the can_* methods.
    def is_draft(self) -> bool:
        """A draft's objective and measures can be changed; it can be submitted."""
        return self.status is PlanStatus.DRAFT

    def can_submit(self) -> bool:
        return self.status is PlanStatus.DRAFT

    def awaits_decision(self) -> bool:
        """A submitted plan waits for a manager to approve it or return it for changes."""
        return self.status is PlanStatus.SUBMITTED

    def can_start(self) -> bool:
        return self.status is PlanStatus.APPROVED

    def is_under_way(self) -> bool:
        """Measures record their progress while the plan is carried out; then it can be completed."""
        return self.status is PlanStatus.IN_PROGRESS

    def is_visible_to_firm(self) -> bool:
        return self.status in VISIBLE_TO_FIRM

    @staticmethod
    def _require(allowed: bool, message: str) -> None:
        if not allowed:
            raise DomainError(message)

    def submit(self) -> None:
        """草拟 → 待审批: the plan needs an objective and at least one measure."""
        self._require(self.can_submit(), _("Only a draft plan can be submitted."))
        if not self.objective.strip():
            raise DomainError(_("Give the plan an objective before submitting it."))
        if not self.measures:
            raise DomainError(_("Add at least one measure before submitting the plan."))
        self.status = PlanStatus.SUBMITTED
        self.submitted_at = utcnow()
        self.return_comment = None

    def approve(self, by_id: int) -> None:
        """待审批 → 已批准."""
        self._require(self.awaits_decision(), _("Only a plan awaiting approval can be approved."))
        self.status = PlanStatus.APPROVED
        self.approved_by_id = by_id
        self.approved_at = utcnow()

    def return_for_changes(self, comment: str) -> None:
        """待审批 → 草拟 (退回修改) with the manager's comment."""
        self._require(self.awaits_decision(), _("Only a plan awaiting approval can be returned."))
        if not (comment or "").strip():
            raise DomainError(_("Say what should change when returning a plan."))
        self.status = PlanStatus.DRAFT
        self.return_comment = comment.strip()

    def start(self) -> None:
        """已批准 → 实施中."""
        self._require(self.can_start(), _("Only an approved plan can be started."))
        self.status = PlanStatus.IN_PROGRESS

    def complete(self, blockers: list[str]) -> None:
        """实施中 → 已完成, only when nothing blocks it (*blockers*: every measure done, every need settled)."""
        self._require(self.is_under_way(), _("Only a plan in progress can be completed."))
        if blockers:
            raise DomainError(_("The plan cannot be completed yet:") + " " + " ".join(blockers))
        self.status = PlanStatus.COMPLETED


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

    @property
    def label(self):
        return MEASURE_STATUS_LABELS[self]


MEASURE_STATUS_LABELS = {
    MeasureStatus.OPEN: _l("Not started"),
    MeasureStatus.IN_PROGRESS: _l("Under way"),
    # 已落实, not the plan's 已完成: a measure is carried into effect, a plan completed.
    MeasureStatus.DONE: _l("Carried into effect"),
}


# A shortfall against the certification standard is fixed within 90 days (DOMAIN.md: 认证培育).
REMEDIATION_MAX_DAYS = 90


class PlanMeasure(db.Model):
    """A concrete assistance measure (帮扶措施) of a plan, with an owner and a deadline.

    A remediation (整改) is a measure that fixes a shortfall of a customs assessment against the certification
    standard (assessment_id, item_id: one measure per shortfall, which the database keeps): its deadline is at
    most REMEDIATION_MAX_DAYS after the day it was set (set_on), and re-scoring the item after the fix keeps
    the item's history in the assessment."""

    __tablename__ = "plan_measures"
    __label__ = _l("Measure")
    __table_args__ = (sa.UniqueConstraint("assessment_id", "item_id", name="uq_plan_measures_remediation"),
                      sa.Index("ix_plan_measures_remediation_due", "item_id", "status", "deadline"))

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assistance_plans.id", ondelete="CASCADE"), index=True, info={"label": _l("Assistance plan")}
    )
    position: Mapped[int] = mapped_column(default=0, info={"label": _l("Position")})
    description: Mapped[str] = mapped_column(sa.Text, info={"label": _l("Measure")})
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True, info={"label": _l("Owner")}
    )
    deadline: Mapped[date | None] = mapped_column(info={"label": _l("Deadline")})
    status: Mapped[MeasureStatus] = mapped_column(
        enum_column(MeasureStatus, "status"), default=MeasureStatus.OPEN, info={"label": _l("Status")}
    )
    result: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Result")})
    # A remediation: the customs assessment and the item of the standard it fixes, and the day it was set.
    assessment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("certification_assessments.id", ondelete="SET NULL"),
        info={"label": _l("Certification assessment")})
    item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("certification_items.id", ondelete="RESTRICT"), info={"label": _l("Item of the standard")})
    set_on: Mapped[date | None] = mapped_column(info={"label": _l("Remediation set on")})

    plan: Mapped[AssistancePlan] = relationship(back_populates="measures")
    owner = relationship("User")
    assessment = relationship("Assessment")
    item = relationship("StandardItem")
    needs = relationship(Need, secondary=measure_needs, order_by=Need.id, info={"label": _l("Needs it answers")})

    @property
    def is_remediation(self) -> bool:
        return self.item_id is not None

    def remediation_limit(self, today: date) -> date:
        """The latest deadline a remediation may have: 90 days after it was set (today for a new one)."""
        return (self.set_on or today) + timedelta(days=REMEDIATION_MAX_DAYS)

    def is_overdue(self, today: date) -> bool:
        """Its deadline has passed and it is not carried into effect (flagged on the plan's page)."""
        return self.deadline is not None and self.deadline < today and self.status is not MeasureStatus.DONE
