"""Assistance plans (帮扶方案): who may edit and approve them, their measures, and their life cycle.

草拟 → 待审批 → 已批准 (or 退回修改 back to 草拟) → 实施中 → 已完成. Each transition checks the current
state and raises DomainError with a translated message when it is impossible.
"""
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from tracker import dates
from tracker.auth.models import Role, User
from tracker.campaigns.models import Campaign
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.needs import services as needs_services
from tracker.notifications import services as notifications
from tracker.domain import DomainError
from tracker.needs.models import Need, NeedStatus
from tracker.notifications.models import NotificationKind
from tracker.plans.models import REMEDIATION_MAX_DAYS, AssistancePlan, MeasureStatus, PlanMeasure, PlanStatus
from tracker.permissions import can_see_office, can_see_plan  # noqa: F401  (can_see_plan for the views)

# A linked need counts as settled when it is closed off or explained as impossible.
SETTLED_NEED_STATUSES = (NeedStatus.CLOSED, NeedStatus.UNRESOLVABLE)
# What a firm's contact may read: the plan once a manager approved it.


# Permissions ----------------------------------------------------------------------------------------
def can_edit_firm_plans(user: User, enterprise: Enterprise) -> bool:
    """Officers draft the plans of the firms assigned to them; managers any firm of their subtree."""
    if user.role is Role.ADMIN:
        return True
    if user.role not in (Role.MANAGER, Role.OFFICER) or not user.office.contains(enterprise.office):
        return False
    return user.role is Role.MANAGER or enterprise.assigned_officer_id == user.id


def can_edit_plan(user: User, plan: AssistancePlan) -> bool:
    return can_edit_firm_plans(user, plan.enterprise)


def can_approve(user: User, plan: AssistancePlan) -> bool:
    """Approval (and returning for changes) belongs to the managers of the firm's office subtree."""
    return user.role is Role.MANAGER and user.office.contains(plan.enterprise.office)



def who_can_edit_plan(plan: AssistancePlan):
    """Who drafts and carries out the plan (the rule of can_edit_plan), for those who cannot."""
    return needs_services.who_can_act([plan.enterprise.assigned_officer], needs_services.managers_over(
        plan.enterprise.office), lambda user: can_edit_plan(user, plan))


def who_can_approve(plan: AssistancePlan):
    """Who approves the plan or returns it (the rule of can_approve), for those who cannot."""
    return needs_services.who_can_act([], needs_services.managers_over(plan.enterprise.office),
                                      lambda user: can_approve(user, plan))


# Creating and editing -------------------------------------------------------------------------------
def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise DomainError(message)


def create_plan(enterprise: Enterprise, campaign: Campaign, objective: str, by: User) -> AssistancePlan:
    """One firm, one plan: a second plan for the same firm and campaign is refused."""
    if not campaign.office.contains(enterprise.office):
        raise DomainError(_("%(name)s is not in this campaign's area.", name=enterprise.name))
    existing = db.session.scalar(sa.select(AssistancePlan.id).where(
        AssistancePlan.enterprise_id == enterprise.id, AssistancePlan.campaign_id == campaign.id))
    if existing is not None:
        raise DomainError(_("%(name)s already has a plan in this campaign.", name=enterprise.name))
    plan = AssistancePlan(enterprise=enterprise, campaign=campaign, objective=(objective or "").strip(),
                          status=PlanStatus.DRAFT, created_by=by)
    db.session.add(plan)
    db.session.flush()
    return plan


def update_objective(plan: AssistancePlan, objective: str) -> None:
    _require(plan.is_draft(), _("Only a draft plan can be changed."))
    plan.objective = (objective or "").strip()
    db.session.flush()


def _check_measure(plan: AssistancePlan, description: str, owner: User | None, needs: list[Need]) -> None:
    if not (description or "").strip():
        raise DomainError(_("Describe the measure."))
    if owner is not None and (not owner.role.is_staff or not owner.active):
        raise DomainError(_("The owner must be an active officer."))
    if any(n.enterprise_id != plan.enterprise_id for n in needs):
        raise DomainError(_("A measure can only answer needs of the plan's own firm."))


def add_measure(plan: AssistancePlan, *, description: str, owner: User | None = None, deadline: date | None = None,
                needs: list[Need] = (), today: date | None = None) -> PlanMeasure:
    """*today*: the local day of the change, by default the real one (the demo replays its history)."""
    _require(plan.is_draft(), _("Measures can only be added to a draft plan."))
    _check_measure(plan, description, owner, list(needs))
    dates.require(dates.deadline_problem(deadline, today=today))
    position = max((m.position for m in plan.measures), default=0) + 1
    measure = PlanMeasure(plan=plan, position=position, description=description.strip(), owner=owner,
                          deadline=deadline, needs=list(needs), status=MeasureStatus.OPEN)
    db.session.add(measure)
    db.session.flush()
    return measure


def update_measure(measure: PlanMeasure, *, description: str, owner: User | None, deadline: date | None,
                   needs: list[Need], today: date | None = None) -> None:
    """Change what a measure is; only while the plan is a draft. A deadline left as it was stays, however old."""
    plan = measure.plan
    _require(plan.is_draft(), _("Only a draft plan's measures can be changed."))
    _check_measure(plan, description, owner, needs)
    if measure.is_remediation:
        dates.require(remediation_deadline_problem(deadline, set_on=measure.set_on, previous=measure.deadline,
                                                   today=today))
    dates.require(dates.deadline_problem(deadline, previous=measure.deadline, today=today))
    measure.description, measure.owner, measure.deadline = description.strip(), owner, deadline
    measure.needs = list(needs)
    db.session.flush()


# Remediation: a shortfall against the certification standard, fixed by a measure ---------------------------
# A fix goes into the firm's plan while it is drafted or once a manager approved it (the standard, not the
# officer, says what must be fixed: no fresh approval); never into a plan awaiting the decision or completed.
REMEDIATION_PLAN_STATUSES = (PlanStatus.DRAFT, PlanStatus.APPROVED, PlanStatus.IN_PROGRESS)


def remediation_deadline_problem(deadline: date | None, *, set_on: date | None, previous: date | None = None,
                                 today: date | None = None) -> str | None:
    """A remediation has a deadline, at most 90 days after the day it was set (today for a new one)."""
    if deadline is None:
        return _("Give the fix a deadline: at most %(days)d days from the day it is set.", days=REMEDIATION_MAX_DAYS)
    if deadline == previous:
        return None
    limit = (set_on or dates._today(today)) + timedelta(days=REMEDIATION_MAX_DAYS)
    if deadline > limit:
        return _("A shortfall is fixed within %(days)d days: the deadline can be %(day)s at the latest.",
                 days=REMEDIATION_MAX_DAYS, day=limit.isoformat())
    return dates.deadline_problem(deadline, today=today)


def add_remediation(plan: AssistancePlan, *, assessment_id: int, item_id: int, description: str, owner: User | None,
                    deadline: date | None, today: date | None = None) -> PlanMeasure:
    """The measure that fixes item *item_id*'s shortfall in the assessment: with an owner and a deadline of at
    most 90 days. The plan's row is read again under a lock (a manager deciding on it at the same moment
    waits); one measure per shortfall is the database's to keep (uq_plan_measures_remediation)."""
    from sqlalchemy.exc import IntegrityError

    db.session.refresh(plan, with_for_update=True)
    _require(plan.status in REMEDIATION_PLAN_STATUSES, _(
        "The plan is %(status)s: a fix goes into a plan that is a draft, approved or being carried out.",
        status=plan.status.label))
    if owner is None:
        raise DomainError(_("Say who sees to the fix."))
    _check_measure(plan, description, owner, [])
    today = dates._today(today)
    dates.require(remediation_deadline_problem(deadline, set_on=today, today=today))
    position = max((m.position for m in plan.measures), default=0) + 1
    measure = PlanMeasure(plan_id=plan.id, position=position, description=description.strip(), owner=owner,
                          deadline=deadline, status=MeasureStatus.OPEN, assessment_id=assessment_id,
                          item_id=item_id, set_on=today)
    try:
        with db.session.begin_nested():
            db.session.add(measure)
            db.session.flush()
    except IntegrityError:
        raise DomainError(_("This shortfall has its fix in the plan already.")) from None
    db.session.expire(plan, ["measures"])
    return measure


def record_progress(measure: PlanMeasure, *, status: MeasureStatus, result: str | None) -> None:
    """Mark how a measure is going; only while the plan is being carried out."""
    _require(measure.plan.is_under_way(), _("Progress can only be recorded while the plan is in progress."))
    if status is MeasureStatus.DONE and not (result or "").strip():
        raise DomainError(_("Say what the measure achieved before marking it done."))
    measure.status = status
    measure.result = (result or "").strip() or None
    db.session.flush()


def remove_measure(measure: PlanMeasure) -> None:
    _require(measure.plan.is_draft(), _("Only a draft plan's measures can be removed."))
    measure.plan.measures.remove(measure)
    db.session.flush()


# Transitions ----------------------------------------------------------------------------------------
def submit(plan: AssistancePlan, by: User) -> None:
    """草拟 → 待审批: the plan needs an objective and at least one measure."""
    plan.submit()
    db.session.flush()


def _require_approver(plan: AssistancePlan, by: User) -> None:
    if not can_approve(by, plan):
        raise DomainError(_("Only a manager of the firm's customs office can decide on its plan."))


def _notify_decision(plan: AssistancePlan, kind: NotificationKind, by: User) -> None:
    """Tell the plan's author and the firm's officer what the manager decided (once per submission)."""
    recipients = {u.id for u in (plan.created_by, plan.enterprise.assigned_officer) if u is not None} - {by.id}
    stamp = plan.submitted_at.isoformat() if plan.submitted_at else "-"
    for user_id in sorted(recipients):
        notifications.notify(user_id, kind, link=notifications.site_path("plans.detail", plan_id=plan.id),
                             dedupe_key=f"plan:{plan.id}:{stamp}",
                             params={"plan_id": plan.id, "enterprise": plan.enterprise.name,
                                     "comment": plan.return_comment or ""})


def approve(plan: AssistancePlan, by: User) -> None:
    """待审批 → 已批准, by a manager of the firm's office subtree."""
    _require_approver(plan, by)
    plan.approve(by.id)
    db.session.flush()
    _notify_decision(plan, NotificationKind.PLAN_APPROVED, by)


def return_for_changes(plan: AssistancePlan, by: User, comment: str) -> None:
    """待审批 → 草拟 (退回修改) with the manager's comment."""
    _require_approver(plan, by)
    plan.return_for_changes(comment)
    db.session.flush()
    _notify_decision(plan, NotificationKind.PLAN_RETURNED, by)


def start(plan: AssistancePlan, by: User) -> None:
    """已批准 → 实施中."""
    plan.start()
    db.session.flush()


def completion_blockers(plan: AssistancePlan) -> list[str]:
    """Why the plan cannot be completed yet (empty when it can)."""
    problems = []
    undone = [m for m in plan.measures if m.status is not MeasureStatus.DONE]
    if undone:
        problems.append(_("%(n)d measures are not done.", n=len(undone)))
    unsettled = {n.id for m in plan.measures for n in m.needs if n.status not in SETTLED_NEED_STATUSES}
    if unsettled:
        problems.append(_("%(n)d linked needs are not closed off.", n=len(unsettled)))
    return problems


def complete(plan: AssistancePlan, by: User) -> None:
    """实施中 → 已完成, only when every measure is done and every linked need is closed off or explained."""
    plan.complete(completion_blockers(plan) if plan.is_under_way() else [])
    db.session.flush()
