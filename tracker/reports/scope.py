"""The report's filters and what they select: one place that says which firms, visits, needs, plans and
appointments a figure counts, so that a figure and the list behind it (its drill-down) can never disagree.

A report is of one campaign, for the user's office subtree (the campaign is loaded through ``load_or_404``,
so it lies inside it), filtered by a period (default: the campaign's start to today), an office of the
campaign's subtree, a responsible department and an officer. The period before is the same number of days
just before it, for the comparison.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from tracker.auth.models import Role, User
from tracker.campaigns.models import Campaign, RosterEntry
from tracker.enterprises.models import Enterprise
from tracker.i18n import LOCAL_TZ
from tracker.offices.models import Department, Office

# A period longer than this is refused (a typo such as 2091 for 2019 would otherwise scan decades).
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    """Days from start to end, both included, in local (Asia/Shanghai) dates."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        """The same number of days just before."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[local midnight of start, local midnight after end) as aware datetimes, for UTC timestamp columns."""
        low = datetime.combine(self.start, time(0), LOCAL_TZ)
        high = datetime.combine(self.end + timedelta(days=1), time(0), LOCAL_TZ)
        return low, high

    def holds_timestamp(self, column) -> sa.ColumnElement:
        low, high = self.utc_bounds()
        return sa.and_(column >= low, column < high)

    def holds_date(self, column) -> sa.ColumnElement:
        return column.between(self.start, self.end)

    def label(self) -> str:
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


def _iso(value: str | None) -> date | None:
    try:
        parsed = date.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return parsed if 1900 <= parsed.year <= 2999 else None


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


def default_period(campaign: Campaign, today: date) -> Period:
    """The campaign's start to today, or to its end once it has ended; at most MAX_DAYS long."""
    start = campaign.starts_on or date(today.year, 1, 1)
    end = today if campaign.ends_on is None or campaign.ends_on > today else campaign.ends_on
    end = min(max(start, end), start + timedelta(days=MAX_DAYS - 1))
    return Period(start, end)


@dataclass(frozen=True)
class ReportFilters:
    """The filters as given, already checked against what the user may see; ``problems`` says what was dropped."""

    period: Period
    office: Office | None = None
    department: Department | None = None
    officer: User | None = None
    problems: tuple[str, ...] = ()
    explicit_period: bool = False

    @classmethod
    def parse(cls, args, campaign: Campaign, user: User, today: date) -> "ReportFilters":
        """From a query string; a value the user may not filter by is dropped with a translated reason, which
        names nothing outside his scope (an unknown id and another office's id read the same)."""
        from tracker.extensions import db

        problems: list[str] = []
        period = default_period(campaign, today)
        start, end = _iso(args.get("from")), _iso(args.get("to"))
        explicit = bool(start or end)
        if args.get("from") and start is None or args.get("to") and end is None:
            problems.append(_("A date was not understood; use the form 2019-06-30."))
        start, end = start or period.start, end or period.end
        if end < start:
            problems.append(_("The period ended before it began; the two dates have been swapped."))
            start, end = end, start
        if (end - start).days + 1 > MAX_DAYS:
            problems.append(_("A report covers at most three years; the period has been shortened."))
            start = end - timedelta(days=MAX_DAYS - 1)
        period = Period(start, end)

        office = department = officer = None
        subtree = campaign.office.path
        if (office_id := _int(args.get("office"))) is not None:
            office = db.session.get(Office, office_id)
            if office is None or not office.path.startswith(subtree):
                problems.append(_("The office asked for is not one of this campaign's; all its offices are shown."))
                office = None
        if (department_id := _int(args.get("department"))) is not None:
            department = db.session.get(Department, department_id)
            inside = (office or campaign.office).path
            if department is None or not department.office.path.startswith(inside):
                problems.append(_("The department asked for is not one of these offices'; all are shown."))
                department = None
        if (officer_id := _int(args.get("officer"))) is not None:
            officer = db.session.get(User, officer_id)
            inside = (office or campaign.office).path
            if officer is None or not officer.role.is_staff or not officer.office.path.startswith(inside):
                problems.append(_("The officer asked for does not work in these offices; all are shown."))
                officer = None
        # The campaign is in the user's subtree (load_or_404), so its offices are too; an office filter
        # inside the campaign is therefore inside the user's subtree as well.
        del user
        return cls(period, office, department, officer, tuple(problems), explicit)

    def args(self, **extra) -> dict:
        """The query string that gives these filters again (for links to drill-downs and exports)."""
        args: dict = {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()}
        if self.office is not None:
            args["office"] = self.office.id
        if self.department is not None:
            args["department"] = self.department.id
        if self.officer is not None:
            args["officer"] = self.officer.id
        args.update({k: v for k, v in extra.items() if v is not None})
        return args


class ReportScope:
    """What a campaign's report counts, under its filters, for one period. ``previous`` is the same scope for
    the period before. Every condition is a SQL expression: sections aggregate with them, listings select
    rows with the same ones."""

    def __init__(self, campaign: Campaign, user: User, filters: ReportFilters, today: date,
                 now: datetime | None = None, period: Period | None = None):
        self.campaign = campaign
        self.user = user
        self.filters = filters
        self.today = today
        self.now = now if now is not None else datetime.combine(today, time(12), LOCAL_TZ)
        self.period = period or filters.period

    @property
    def previous(self) -> "ReportScope":
        return ReportScope(self.campaign, self.user, self.filters, self.today, self.now, self.period.previous())

    def with_period(self, period: Period) -> "ReportScope":
        return ReportScope(self.campaign, self.user, replace(self.filters, period=period), self.today, self.now,
                           period)

    # Offices and firms ---------------------------------------------------------------------------------
    @property
    def root_office(self) -> Office:
        """The office whose subtree the report covers: the office filter, or the campaign's office."""
        return self.filters.office or self.campaign.office

    def office_ids(self) -> sa.Select:
        """The offices of the report: the root office's subtree, and never outside the user's."""
        return sa.select(Office.id).where(self.office_bounds())

    def office_bounds(self) -> sa.ColumnElement:
        """The offices' condition: the deeper of the root office's subtree and the user's (none when the two
        do not meet). Decided here rather than in SQL, so every user whose subtree holds the report's offices
        sends the same statement (reports/cache.py keeps slow statements by their SQL)."""
        root = self.root_office.path
        if self.user is not None and self.user.role is not Role.ADMIN:
            mine = self.user.office.path
            if mine.startswith(root) and mine != root:
                root = mine
            elif not root.startswith(mine):
                return sa.false()
        return Office.path.startswith(root, autoescape=True)

    def office_condition(self, column) -> sa.ColumnElement:
        return column.in_(self.office_ids())

    def roster_condition(self) -> list[sa.ColumnElement]:
        """Conditions on RosterEntry joined to Enterprise (select_from RosterEntry, join Enterprise): the
        campaign's roster firms of the report's offices (and, with the officer filter, the officer's firms)."""
        conditions = [RosterEntry.campaign_id == self.campaign.id, self.office_condition(Enterprise.office_id)]
        if self.filters.officer is not None:
            conditions.append(Enterprise.assigned_officer_id == self.filters.officer.id)
        return conditions

    def roster_firms(self) -> sa.Select:
        """Select of the ids of the roster's firms under the filters."""
        return (sa.select(RosterEntry.enterprise_id).join(Enterprise, Enterprise.id == RosterEntry.enterprise_id)
                .where(*self.roster_condition()))

    def firm_condition(self, column) -> sa.ColumnElement:
        """A firm id column restricted to the firms of the report's offices."""
        return column.in_(sa.select(Enterprise.id).where(self.office_condition(Enterprise.office_id)))

    # Records -------------------------------------------------------------------------------------------
    def visit_conditions(self, in_period: bool = True) -> list[sa.ColumnElement]:
        """Visit rows: the campaign's visits to firms of the offices, in the period, with the officer among
        those who went."""
        from tracker.visits.models import Visit, visit_officers

        conditions = [Visit.campaign_id == self.campaign.id, self.firm_condition(Visit.enterprise_id)]
        if in_period:
            conditions.append(self.period.holds_timestamp(Visit.visited_at))
        if self.filters.officer is not None:
            conditions.append(Visit.id.in_(sa.select(visit_officers.c.visit_id)
                                           .where(visit_officers.c.user_id == self.filters.officer.id)))
        return conditions

    def need_conditions(self, in_period: bool = True, date_column=None) -> list[sa.ColumnElement]:
        """Need rows: the campaign's needs of firms of the offices, raised in the period (or with
        *date_column* in it), handed to the department, assigned to the officer."""
        from tracker.needs.models import Need

        conditions = [Need.campaign_id == self.campaign.id, self.firm_condition(Need.enterprise_id)]
        if in_period:
            column = date_column if date_column is not None else Need.raised_on
            if isinstance(column.type, sa.Date):
                conditions.append(self.period.holds_date(column))
            else:
                conditions.append(self.period.holds_timestamp(column))
        if self.filters.department is not None:
            conditions.append(Need.department_id == self.filters.department.id)
        if self.filters.officer is not None:
            conditions.append(Need.assigned_officer_id == self.filters.officer.id)
        return conditions

    def plan_conditions(self) -> list[sa.ColumnElement]:
        """AssistancePlan rows: the campaign's plans of firms of the offices (a snapshot: no period); with the
        officer filter, the plans of the officer's firms."""
        from tracker.plans.models import AssistancePlan

        conditions = [AssistancePlan.campaign_id == self.campaign.id,
                      self.firm_condition(AssistancePlan.enterprise_id)]
        if self.filters.officer is not None:
            conditions.append(AssistancePlan.enterprise_id.in_(
                sa.select(Enterprise.id).where(Enterprise.assigned_officer_id == self.filters.officer.id)))
        return conditions

    def point_ids(self) -> sa.Select:
        from tracker.appointments.models import ServicePoint

        return sa.select(ServicePoint.id).where(self.office_condition(ServicePoint.office_id))

    def appointment_conditions(self, in_period: bool = True) -> list[sa.ColumnElement]:
        """Appointment rows: at the counters of the report's offices, on days of the period, served by the
        officer. The counter serves every firm, on the roster or not: its figures are not the campaign's."""
        from tracker.appointments.models import Appointment

        conditions = [Appointment.service_point_id.in_(self.point_ids())]
        if in_period:
            conditions.append(self.period.holds_date(Appointment.day))
        if self.filters.officer is not None:
            conditions.append(Appointment.served_by_id == self.filters.officer.id)
        return conditions

    def args(self, **extra) -> dict:
        return self.filters.args(**extra)


def scope_outside_request(user: User | None, campaign: Campaign | None, args) -> ReportScope | None:
    """The report's scope under the filters *args* for *user* as he may read it today, built outside a
    request (a job: an export, a refresh of kept figures). None when he no longer may: gone or inactive, no
    longer a manager, the campaign gone or outside his subtree."""
    from werkzeug.datastructures import MultiDict

    from tracker.i18n import local_today
    from tracker.permissions import visibility_of

    if (user is None or not user.active or user.role not in (Role.ADMIN, Role.MANAGER) or campaign is None
            or not visibility_of(Campaign)(user, campaign)):
        return None
    today = local_today()
    return ReportScope(campaign, user, ReportFilters.parse(MultiDict(args or {}), campaign, user, today), today)
