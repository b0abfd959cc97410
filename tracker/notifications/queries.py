"""Reads for My work and the notification list."""
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from tracker.auth.models import Role, User
from tracker.extensions import db
from tracker.needs.models import OPEN_NEED_STATUSES, DeadlineExtension, ExtensionStatus, Need
from tracker.notifications.models import Notification
from tracker.notifications.services import REMINDER_WORKING_DAYS
from tracker.permissions import scope_enterprises
from tracker.plans.models import AssistancePlan, MeasureStatus, PlanMeasure
from tracker.visits.models import Visit, visit_officers

NOTIFICATIONS_PER_PAGE = 50


@dataclass
class MyWork:
    needs: list[Need]
    overdue: list[Need]
    visits: list[Visit]
    extensions: list[DeadlineExtension]
    recent: list[Notification]
    # Certification coaching: the fixes the user owns that are not carried into effect (the overdue first, by
    # deadline), and for managers the overdue fixes of their offices' firms that others own.
    remediations: list[PlanMeasure] = field(default_factory=list)
    overdue_remediations: list[PlanMeasure] = field(default_factory=list)


def my_work(user: User, today: date) -> MyWork:
    from tracker.workdays.services import add_working_days

    needs = db.session.scalars(
        sa.select(Need)
        .options(joinedload(Need.enterprise), joinedload(Need.category), joinedload(Need.department))
        .where(Need.assigned_officer_id == user.id, Need.status.in_(OPEN_NEED_STATUSES))
        .order_by(Need.deadline, Need.id)
    ).all()
    # Overdue first; ordering by deadline already puts them there, but the page says so too.
    overdue = [n for n in needs if n.is_overdue(today)]
    visits = db.session.scalars(
        sa.select(Visit)
        .join(visit_officers, visit_officers.c.visit_id == Visit.id)
        .options(joinedload(Visit.enterprise))
        .where(visit_officers.c.user_id == user.id, Visit.follow_up_on.is_not(None),
               Visit.follow_up_on <= add_working_days(today, REMINDER_WORKING_DAYS))
        .order_by(Visit.follow_up_on, Visit.id)
    ).all()
    extensions = []
    if user.role in (Role.MANAGER, Role.ADMIN):
        # The scope of scope_needs checked on each request's firm: the requests awaiting a decision are
        # few and read first (ix_deadline_extensions_status). Asked as "the need's firm is one of the
        # firms of his offices", SQLite read the needs of all those firms first: 195 ms at 1,000,000.
        extensions = db.session.scalars(
            scope_enterprises(sa.select(DeadlineExtension).join(DeadlineExtension.need).join(Need.enterprise), user)
            .options(contains_eager(DeadlineExtension.need).contains_eager(Need.enterprise),
                     joinedload(DeadlineExtension.requested_by))
            .where(DeadlineExtension.status == ExtensionStatus.REQUESTED)
            .order_by(DeadlineExtension.requested_at)
        ).all()
    recent = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(10)
    ).all()
    return MyWork(needs, overdue, visits, extensions, recent, *_remediations(user, today))


def _remediations(user: User, today: date) -> tuple[list[PlanMeasure], list[PlanMeasure]]:
    """Two statements, whatever the number of fixes (ix_plan_measures_remediation_due, plan_measures.owner_id)."""
    def select():
        return (sa.select(PlanMeasure).join(PlanMeasure.plan).join(AssistancePlan.enterprise)
                .options(contains_eager(PlanMeasure.plan).contains_eager(AssistancePlan.enterprise),
                         joinedload(PlanMeasure.item), joinedload(PlanMeasure.owner))
                .where(PlanMeasure.item_id.is_not(None), PlanMeasure.status != MeasureStatus.DONE)
                .order_by(PlanMeasure.deadline, PlanMeasure.id))

    mine = db.session.scalars(select().where(PlanMeasure.owner_id == user.id)).all()
    others = []
    if user.role in (Role.MANAGER, Role.ADMIN):
        others = db.session.scalars(scope_enterprises(select(), user).where(
            PlanMeasure.deadline < today,
            sa.or_(PlanMeasure.owner_id.is_(None), PlanMeasure.owner_id != user.id)).limit(100)).all()
    return mine, others


def notifications_page(user: User, page: int):
    stmt = (sa.select(Notification).where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()))
    return db.paginate(stmt, page=page, per_page=NOTIFICATIONS_PER_PAGE, error_out=False)
