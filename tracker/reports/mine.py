"""An officer's own dashboard: his firms, his open and overdue needs, his visits this month and today's counter.

Each number is one aggregate and links to the list that shows the same rows (the directory, the needs list
and the visits list take the officer as a filter), so a figure and its list cannot disagree. Bounded: five
statements whatever the officer's workload.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from tracker.appointments.models import Appointment, AppointmentStatus, ServicePoint
from tracker.auth.models import User
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.needs.models import OPEN_NEED_STATUSES, Need
from tracker.reports.scope import Period
from tracker.visits.models import Visit, visit_officers

NEEDS_SHOWN = 8


@dataclass
class CounterToday:
    point: ServicePoint
    booked: int = 0  # still to come
    waiting: int = 0  # checked in, called or being served
    served: int = 0
    wasted: int = 0
    no_show: int = 0


@dataclass
class MyDashboard:
    today: date
    month: Period
    firms: int
    key_firms: int
    open_needs: int
    overdue_needs: int
    due_soon: int  # open, due within the next seven days (not overdue)
    needs: list[Need]  # the most urgent open needs
    visits_this_month: int
    firms_visited_this_month: int
    visits_last_month: int
    counters: list[CounterToday] = field(default_factory=list)


def month_of(day: date) -> Period:
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return Period(start, following - timedelta(days=1))


def my_dashboard(user: User, today: date) -> MyDashboard:
    month = month_of(today)
    last_month = month_of(month.start - timedelta(days=1))

    firms, key_firms = db.session.execute(
        sa.select(sa.func.count(Enterprise.id), sa.func.count(Enterprise.id).filter(Enterprise.is_key.is_(True)))
        .where(Enterprise.assigned_officer_id == user.id, Enterprise.archived_at.is_(None))).one()

    open_needs, overdue, due_soon = db.session.execute(
        sa.select(sa.func.count(Need.id), sa.func.count(Need.id).filter(Need.deadline < today),
                  sa.func.count(Need.id).filter(Need.deadline.between(today, today + timedelta(days=7))))
        .where(Need.assigned_officer_id == user.id, Need.status.in_(OPEN_NEED_STATUSES))).one()
    needs = db.session.scalars(
        sa.select(Need).options(joinedload(Need.enterprise), joinedload(Need.category))
        .where(Need.assigned_officer_id == user.id, Need.status.in_(OPEN_NEED_STATUSES))
        .order_by(Need.deadline, Need.id).limit(NEEDS_SHOWN)).all()

    mine = (sa.select(Visit.id, Visit.enterprise_id, Visit.visited_at)
            .join(visit_officers, visit_officers.c.visit_id == Visit.id)
            .where(visit_officers.c.user_id == user.id,
                   Visit.visited_at >= last_month.utc_bounds()[0], Visit.visited_at < month.utc_bounds()[1])
            .subquery())
    in_month = month.holds_timestamp(mine.c.visited_at)
    visits, firms_visited, visits_before = db.session.execute(
        sa.select(sa.func.count(mine.c.id).filter(in_month),
                  sa.func.count(sa.distinct(sa.case((in_month, mine.c.enterprise_id)))),
                  sa.func.count(mine.c.id).filter(last_month.holds_timestamp(mine.c.visited_at))))\
        .one()

    return MyDashboard(today=today, month=month, firms=firms, key_firms=key_firms, open_needs=open_needs,
                       overdue_needs=overdue, due_soon=due_soon, needs=needs, visits_this_month=visits,
                       firms_visited_this_month=firms_visited, visits_last_month=visits_before,
                       counters=_counters(user, today))


def _counters(user: User, today: date) -> list[CounterToday]:
    """The counter of the officer's own office today, by status (one statement)."""
    rows = db.session.execute(
        sa.select(ServicePoint, Appointment.status, sa.func.count(Appointment.id))
        .outerjoin(Appointment, sa.and_(Appointment.service_point_id == ServicePoint.id, Appointment.day == today))
        .where(ServicePoint.office_id == user.office_id)
        .group_by(ServicePoint.id, Appointment.status).order_by(ServicePoint.id)).all()
    counters: dict[int, CounterToday] = {}
    for point, status, count in rows:
        board = counters.setdefault(point.id, CounterToday(point))
        if status is AppointmentStatus.BOOKED:
            board.booked += count
        elif status in (AppointmentStatus.WAITING, AppointmentStatus.CALLED, AppointmentStatus.SERVING):
            board.waiting += count
        elif status is AppointmentStatus.COMPLETED:
            board.served += count
        elif status is AppointmentStatus.WASTED:
            board.wasted += count
        elif status is AppointmentStatus.NO_SHOW:
            board.no_show += count
    return list(counters.values())
