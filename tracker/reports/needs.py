"""Report sections: the needs ledger (业务需求) and the assistance plans (帮扶方案) of a campaign.

Every need figure counts the campaign's needs of the report's firms (its offices), handed to the department
and assigned to the officer of the filters (``ReportScope.need_conditions``). What each counts:

- **raised**: needs whose ``raised_on`` lies in the period;
- **overdue** (a snapshot, no comparison): open needs (待受理, 办理中) whose deadline is before today, whenever
  raised (``needs.services.overdue_condition``, the rule of ``Need.is_overdue``);
- **closed**: needs *finished* in the period, that is whose ``finished_on`` lies in it. ``finished_on`` is the
  local day the need was resolved (已办结, ``resolved_at``) or explained as impossible to resolve (无法解决
  （已说明）, ``closed_at``); needs.services sets it. A resolved need closed off (销号) later still counts once,
  on the day it was resolved: closing off confirms a resolution, it does not finish the need again. A need a
  不满意 follow-up reopened is not finished (the service clears ``finished_on``) until it is resolved again, and
  then counts on that day;
- **median working days to close**: the nearest-rank median of ``working_days_to_close`` (working days from
  ``raised_on`` to ``finished_on`` on the calendar, tracker.workdays) of the needs closed in the period;
- **closed on time**: of the needs closed in the period, the share finished on or before their deadline (as
  an approved extension left it): ``finished_on <= deadline``;
- **satisfied**: of the follow-ups (回访, or the firm's own rating) held in the period (``held_on``), of the
  needs under the filters whenever raised, the share rated 满意 or 基本满意;
- **reopened**: needs with a 不满意 follow-up held in the period (each need once).

The tables break down the needs raised in the period by their status today, their category and their
department, and the follow-ups of the period by satisfaction. The plans section is a snapshot of the
campaign's plans of the report's firms as they stand (the period and the department filter do not apply;
the officer filter keeps the plans of his firms).

Statements: the needs section costs five (the needs' counts of both periods and every breakdown in one
grouped statement; the two medians; the follow-ups of both periods; the first overdue needs), the plans
section two, whatever the data.
"""
from __future__ import annotations

import collections

from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
import sqlalchemy as sa
from sqlalchemy.orm import aliased, contains_eager, joinedload, selectinload

from tracker.needs.models import FollowUp, Need, NeedCategory, NeedStatus, Satisfaction
from tracker.needs.services import overdue_condition
from tracker.offices.models import Department, Office
from tracker.plans.models import AssistancePlan, MeasureStatus, PlanMeasure, PlanStatus
from tracker.reports import cache
from tracker.reports.figures import Column, Figure, Listing, ListingPreview, Row, Section, Table, share
from tracker.reports.listings import listing
from tracker.reports.scope import Period, ReportScope
from tracker.reports.sql import percentiles

SATISFIED = (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED)
APPROVED_OR_LATER = (PlanStatus.APPROVED, PlanStatus.IN_PROGRESS, PlanStatus.COMPLETED)
PREVIEW_ROWS = 10
CONTENT_CHARS = 60
NO_DEPARTMENT = "none"


def sections(scope: ReportScope) -> list[Section]:
    return [needs_section(scope), plans_section(scope)]


# Small helpers ---------------------------------------------------------------------------------------
def _locale() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "zh"


def _named(name: str, name_en: str | None, locale: str) -> str:
    """A reference row's name in the reader's language, as Office.display_name and Department.display_name."""
    return name_en if locale == "en" and name_en else name


def _truncate(text: str | None, limit: int = CONTENT_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _positive_int(value) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


def _enum_arg(enum_cls, column, value) -> list[sa.ColumnElement]:
    """The condition an enum argument asks for: none when absent, nothing matches when unknown."""
    value = (value or "").strip()
    if not value:
        return []
    try:
        return [column == enum_cls(value)]
    except ValueError:
        return [sa.false()]


def _id_arg(column, value) -> list[sa.ColumnElement]:
    if value is None or not str(value).strip():
        return []
    number = _positive_int(value)
    return [column == number] if number is not None else [sa.false()]


def _union(scope: ReportScope) -> Period:
    """The period before and the period together (they are contiguous): one statement reads both."""
    return Period(scope.previous.period.start, scope.period.end)


def _count(condition) -> sa.ColumnElement:
    return sa.func.count().filter(condition)


# Needs: the conditions each figure and its listing share ---------------------------------------------
def raised_conditions(scope: ReportScope) -> list:
    return scope.need_conditions()


def closed_conditions(scope: ReportScope) -> list:
    return scope.need_conditions(date_column=Need.finished_on)


def late_conditions(scope: ReportScope) -> list:
    return [*closed_conditions(scope), Need.finished_on > Need.deadline]


def overdue_conditions(scope: ReportScope) -> list:
    return [*scope.need_conditions(in_period=False), overdue_condition(scope.today)]


def follow_up_conditions(scope: ReportScope) -> list:
    """Follow-ups (joined to their need) held in the period, of the needs under the filters."""
    return [*scope.need_conditions(in_period=False), scope.period.holds_date(FollowUp.held_on)]


def reopened_conditions(scope: ReportScope) -> list:
    reopening = (sa.select(FollowUp.need_id)
                 .where(FollowUp.satisfaction == Satisfaction.DISSATISFIED, scope.period.holds_date(FollowUp.held_on)))
    return [*scope.need_conditions(in_period=False), Need.id.in_(reopening)]


# The needs section -----------------------------------------------------------------------------------
def _need_groups(scope: ReportScope) -> list:
    """One statement for both periods, three groupings in a UNION ALL: per status, the needs raised, closed,
    closed on time and overdue (their sums are the section's figures); per category and per department, the
    needs raised in the period. A few dozen rows and one per department, whatever the number of needs."""
    current, before = scope.period, scope.previous.period
    union = _union(scope)
    overdue = overdue_condition(scope.today)
    closed_now, closed_before = current.holds_date(Need.finished_on), before.holds_date(Need.finished_on)
    on_time = Need.finished_on <= Need.deadline
    raised_now = current.holds_date(Need.raised_on)
    where = (*scope.need_conditions(in_period=False),
             sa.or_(union.holds_date(Need.raised_on), union.holds_date(Need.finished_on), overdue))
    null_text, null_int, zero = sa.cast(sa.null(), sa.String), sa.cast(sa.null(), sa.Integer), sa.literal(0)

    def kind(name: str):
        return sa.cast(sa.literal(name), sa.String).label("kind")

    by_status = (sa.select(
        kind("status"), sa.cast(Need.status, sa.String).label("status"), null_int.label("category_id"),
        null_text.label("category"), null_text.label("category_en"), null_int.label("department_id"),
        null_text.label("department"), null_text.label("department_en"), null_text.label("office"),
        null_text.label("office_en"),
        _count(raised_now).label("raised"), _count(before.holds_date(Need.raised_on)).label("raised_before"),
        _count(closed_now).label("closed"), _count(closed_before).label("closed_before"),
        _count(sa.and_(closed_now, on_time)).label("on_time"),
        _count(sa.and_(closed_before, on_time)).label("on_time_before"),
        _count(overdue).label("overdue"))
        .select_from(Need).where(*where).group_by(Need.status))
    by_category = (sa.select(
        kind("category"), null_text, Need.category_id, NeedCategory.name, NeedCategory.name_en, null_int,
        null_text, null_text, null_text, null_text, sa.func.count(), zero, zero, zero, zero, zero, zero)
        .select_from(Need).join(NeedCategory, NeedCategory.id == Need.category_id)
        .where(*where, raised_now)
        .group_by(Need.category_id, NeedCategory.name, NeedCategory.name_en))
    office = aliased(Office)
    by_department = (sa.select(
        kind("department"), null_text, null_int, null_text, null_text, Need.department_id, Department.name,
        Department.name_en, office.name, office.name_en, sa.func.count(), zero, zero, zero, zero, zero, zero)
        .select_from(Need)
        .outerjoin(Department, Department.id == Need.department_id)
        .outerjoin(office, office.id == Department.office_id)
        .where(*where, raised_now)
        .group_by(Need.department_id, Department.name, Department.name_en, office.name, office.name_en))
    return cache.execute(sa.union_all(by_status, by_category, by_department)).all()


def _follow_up_groups(scope: ReportScope) -> dict[Satisfaction, sa.Row]:
    """One statement for both periods: follow-ups per satisfaction, and the distinct needs they are of."""
    current, before = scope.period, scope.previous.period
    stmt = (
        sa.select(
            FollowUp.satisfaction,
            _count(current.holds_date(FollowUp.held_on)).label("now"),
            _count(before.holds_date(FollowUp.held_on)).label("before"),
            sa.func.count(sa.distinct(FollowUp.need_id)).filter(current.holds_date(FollowUp.held_on)).label("needs"),
            sa.func.count(sa.distinct(FollowUp.need_id)).filter(before.holds_date(FollowUp.held_on))
            .label("needs_before"),
        )
        .select_from(FollowUp)
        .join(Need, Need.id == FollowUp.need_id)
        .where(*scope.need_conditions(in_period=False), _union(scope).holds_date(FollowUp.held_on))
        .group_by(FollowUp.satisfaction)
    )
    return {row.satisfaction: row for row in cache.execute(stmt)}


def _median_days(scope: ReportScope) -> int | None:
    return percentiles(cache.reader, Need.working_days_to_close, closed_conditions(scope), percents=(50,))[50]


GROUP_COUNTS = ("raised", "raised_before", "closed", "closed_before", "on_time", "on_time_before", "overdue")


def needs_section(scope: ReportScope) -> Section:
    locale = _locale()
    groups = _need_groups(scope)
    follow_ups = _follow_up_groups(scope)
    median, median_before = _median_days(scope), _median_days(scope.previous)

    # The status rows hold every count of the figures; the category and department rows their breakdowns.
    sums = dict.fromkeys(GROUP_COUNTS, 0)
    raised_by_status = dict.fromkeys(NeedStatus, 0)
    for row in groups:
        if row.kind == "status":
            for name in GROUP_COUNTS:
                sums[name] += getattr(row, name)
            raised_by_status[NeedStatus(row.status)] += row.raised
    raised, raised_before = sums["raised"], sums["raised_before"]
    closed, closed_before = sums["closed"], sums["closed_before"]
    on_time, on_time_before = sums["on_time"], sums["on_time_before"]
    overdue = sums["overdue"]

    def rated(field: str, kinds=tuple(Satisfaction)) -> int:
        return sum(getattr(follow_ups[s], field) for s in kinds if s in follow_ups)

    dissatisfied = follow_ups.get(Satisfaction.DISSATISFIED)
    figures = [
        Figure("needs.raised", _("Needs raised"), raised, raised_before, listing="needs.all"),
        Figure("needs.overdue", _("Overdue needs"), overdue, None, listing="needs.overdue", better="down",
               note=_("Open today and past their deadline, whenever raised.")),
        Figure("needs.closed", _("Needs closed"), closed, closed_before, listing="needs.closed",
               note=_("Resolved, or explained as impossible to resolve, in the period.")),
        Figure("needs.days_to_close", _("Median working days to close"), median, median_before, kind="days",
               listing="needs.closed", better="down", note=_("Of the needs closed in the period.")),
        Figure("needs.on_time", _("Closed on time"), share(on_time, closed), share(on_time_before, closed_before),
               kind="share", listing="needs.late",
               note=_("Of the needs closed in the period, finished by their deadline; the list shows those closed "
                      "late.")),
        Figure("needs.satisfied", _("Satisfied follow-ups"), share(rated("now", SATISFIED), rated("now")),
               share(rated("before", SATISFIED), rated("before")), kind="share", listing="needs.followups",
               note=_("Follow-ups in the period rated satisfied or basically satisfied.")),
        Figure("needs.reopened", _("Needs reopened"), dissatisfied.needs if dissatisfied else 0,
               dissatisfied.needs_before if dissatisfied else 0, listing="needs.reopened", better="down",
               note=_("Needs with a dissatisfied follow-up in the period.")),
    ]

    heading = _("Needs raised")
    by_status = [Row(str(status.label), [raised_by_status[status]],
                     listing="needs.all", listing_args={"status": status.value}, key=status.value)
                 for status in NeedStatus]

    categories: dict[int, list] = {}
    departments: dict[int | None, list] = {}
    for row in groups:
        if row.kind == "category":
            entry = categories.setdefault(row.category_id, [_named(row.category, row.category_en, locale), 0])
            entry[1] += row.raised
        elif row.kind == "department":
            entry = departments.setdefault(row.department_id, [
                _named(row.department, row.department_en, locale) if row.department_id is not None else None,
                _named(row.office, row.office_en, locale) if row.department_id is not None else None, 0])
            entry[2] += row.raised
    by_category = [Row(name, [n], listing="needs.all", listing_args={"category": category_id}, key=str(category_id))
                   for category_id, (name, n) in sorted(categories.items(), key=lambda i: (-i[1][1], i[1][0]))]
    # Departments of different offices may share a name (综合业务科): those are told apart by their office.
    names = collections.Counter(name for key, (name, _office, _n) in departments.items() if key is not None)
    by_department = []
    for department_id, (name, office_name, n) in sorted(
            departments.items(), key=lambda i: (i[0] is None, -i[1][2], i[1][0] or "")):
        if department_id is None:
            by_department.append(Row(_("No department"), [n], listing="needs.all",
                                     listing_args={"department": NO_DEPARTMENT}, key=NO_DEPARTMENT))
            continue
        label = f"{office_name} · {name}" if names[name] > 1 else name
        by_department.append(Row(label, [n], listing="needs.all", listing_args={"department": department_id},
                                 key=str(department_id)))

    satisfaction = [Row(str(s.label), [follow_ups[s].now if s in follow_ups else 0], listing="needs.followups",
                        listing_args={"satisfaction": s.value}, key=s.value) for s in Satisfaction]
    tables = [
        Table("needs.by_status", _("Needs by status"), [_("Status"), heading], by_status, chart="bar",
              note=_("Needs raised in the period, by their status today.")),
        Table("needs.by_category", _("Needs by category"), [_("Category"), heading], by_category, chart="bar"),
        Table("needs.by_department", _("Needs by department"), [_("Responsible department"), heading],
              by_department, chart="bar"),
        Table("needs.satisfaction", _("Satisfaction of follow-ups"), [_("Satisfaction"), _("Follow-ups")],
              satisfaction, chart="pie", note=_("Follow-ups held in the period.")),
    ]

    overdue_list = overdue_listing(scope, {})
    rows = cache.first_entities(overdue_list.select, overdue_list.options or (), PREVIEW_ROWS)
    return Section("needs", _("Needs"), figures, tables, lists=[ListingPreview(overdue_list, rows, overdue)])


# The plans section -----------------------------------------------------------------------------------
def plans_section(scope: ReportScope) -> Section:
    conditions = scope.plan_conditions()
    plans = dict(cache.execute(sa.select(AssistancePlan.status, sa.func.count()).where(*conditions)
                                    .group_by(AssistancePlan.status)).all())
    measures = dict(cache.execute(
        sa.select(PlanMeasure.status, sa.func.count()).join(AssistancePlan, AssistancePlan.id == PlanMeasure.plan_id)
        .where(*conditions).group_by(PlanMeasure.status)).all())
    total, measure_total = sum(plans.values()), sum(measures.values())
    approved = sum(plans.get(s, 0) for s in APPROVED_OR_LATER)
    figures = [
        Figure("plans.count", _("Assistance plans"), total, None, listing="plans.all"),
        Figure("plans.approved", _("Plans approved"), share(approved, total), None, kind="share",
               listing="plans.all", note=_("Approved, being carried out or completed.")),
        Figure("plans.measures_done", _("Measures carried into effect"),
               share(measures.get(MeasureStatus.DONE, 0), measure_total), None, kind="share",
               listing="measures.all", note=_("Of all the measures of these plans.")),
    ]
    tables = [
        Table("plans.by_status", _("Plans by state"), [_("State"), _("Plans")],
              [Row(str(s.label), [plans.get(s, 0)], listing="plans.all", listing_args={"status": s.value}, key=s.value)
               for s in PlanStatus], chart="bar"),
        Table("plans.measures_by_status", _("Measures by status"), [_("Status"), _("Measures")],
              [Row(str(s.label), [measures.get(s, 0)], listing="measures.all", listing_args={"status": s.value},
                   key=s.value) for s in MeasureStatus], chart="bar"),
    ]
    return Section("plans", _("Assistance plans"), figures, tables,
                   note=_("Plans as they stand today: the period and the department do not apply; with an officer, "
                          "the plans of his firms."))


# Listings --------------------------------------------------------------------------------------------
NEED_OPTIONS = (joinedload(Need.enterprise), joinedload(Need.category), joinedload(Need.department),
                joinedload(Need.assigned_officer))


def _need_link(need: Need) -> str:
    return url_for("needs.detail", need_id=need.id)


def need_columns(finished: bool = False) -> list[Column]:
    locale = _locale()
    columns = [
        Column("content", _("Need"), lambda n: _truncate(n.content), link=_need_link, kind="title"),
        Column("firm", _("Enterprise"), lambda n: n.enterprise.name),
        Column("category", _("Category"), lambda n: _named(n.category.name, n.category.name_en, locale)),
        Column("department", _("Responsible department"),
               lambda n: n.department.display_name(locale) if n.department is not None else None),
        Column("officer", _("Assigned officer"),
               lambda n: n.assigned_officer.label if n.assigned_officer is not None else None),
        Column("raised_on", _("Raised on"), lambda n: n.raised_on),
        Column("deadline", _("Deadline"), lambda n: n.deadline, kind="lead"),
        Column("status", _("Status"), lambda n: str(n.status.label), kind="status"),
    ]
    if finished:
        columns += [Column("finished_on", _("Finished on"), lambda n: n.finished_on),
                    Column("working_days", _("Working days to close"), lambda n: n.working_days_to_close,
                           align="end")]
    return columns


def need_listing(key: str, title: str, conditions: list, order, finished: bool = False) -> Listing:
    return Listing(key=key, title=title, columns=need_columns(finished),
                   select=sa.select(Need).where(*conditions).order_by(*order),
                   count=sa.select(sa.func.count()).select_from(Need).where(*conditions),
                   options=NEED_OPTIONS)


@listing("needs.all")
def all_needs(scope: ReportScope, args) -> Listing:
    """The needs raised in the period; status=<NeedStatus value>, category=<id>, department=<id or 'none'>."""
    conditions = [*raised_conditions(scope), *_enum_arg(NeedStatus, Need.status, args.get("status")),
                  *_id_arg(Need.category_id, args.get("category"))]
    department = (args.get("department") or "").strip()
    if department == NO_DEPARTMENT:
        conditions.append(Need.department_id.is_(None))
    else:
        conditions += _id_arg(Need.department_id, department)
    return need_listing("needs.all", _("Needs raised"), conditions, (Need.raised_on.desc(), Need.id.desc()))


@listing("needs.overdue")
def overdue_listing(scope: ReportScope, args) -> Listing:
    return need_listing("needs.overdue", _("Overdue needs"), overdue_conditions(scope), (Need.deadline, Need.id))


@listing("needs.closed")
def closed_listing(scope: ReportScope, args) -> Listing:
    return need_listing("needs.closed", _("Needs closed"), closed_conditions(scope),
                        (Need.finished_on.desc(), Need.id.desc()), finished=True)


@listing("needs.late")
def late_listing(scope: ReportScope, args) -> Listing:
    return need_listing("needs.late", _("Needs closed after their deadline"), late_conditions(scope),
                        (Need.finished_on.desc(), Need.id.desc()), finished=True)


@listing("needs.reopened")
def reopened_listing(scope: ReportScope, args) -> Listing:
    return need_listing("needs.reopened", _("Needs reopened"), reopened_conditions(scope),
                        (Need.raised_on.desc(), Need.id.desc()))


@listing("needs.followups")
def follow_up_listing(scope: ReportScope, args) -> Listing:
    """The follow-ups held in the period; satisfaction=<Satisfaction value>."""
    conditions = [*follow_up_conditions(scope), *_enum_arg(Satisfaction, FollowUp.satisfaction,
                                                           args.get("satisfaction"))]
    columns = [
        Column("need", _("Need"), lambda f: _truncate(f.need.content), link=lambda f: _need_link(f.need),
               kind="title"),
        Column("firm", _("Enterprise"), lambda f: f.need.enterprise.name),
        Column("held_on", _("Date of the follow-up"), lambda f: f.held_on, kind="lead"),
        Column("channel", _("Channel"), lambda f: str(f.channel.label)),
        Column("by", _("By"), lambda f: f.by.label if f.by is not None else None),
        Column("satisfaction", _("Satisfaction"), lambda f: str(f.satisfaction.label), kind="status"),
    ]
    joined = sa.select(FollowUp).join(Need, Need.id == FollowUp.need_id).where(*conditions)
    return Listing(key="needs.followups", title=_("Follow-ups"), columns=columns,
                   select=joined.order_by(FollowUp.held_on.desc(), FollowUp.id.desc()),
                   count=sa.select(sa.func.count()).select_from(FollowUp).join(Need, Need.id == FollowUp.need_id)
                   .where(*conditions),
                   options=(contains_eager(FollowUp.need).joinedload(Need.enterprise), joinedload(FollowUp.by)))


def _plan_link(plan: AssistancePlan) -> str:
    return url_for("plans.detail", plan_id=plan.id)


def _done(plan: AssistancePlan) -> str:
    return f"{sum(m.status is MeasureStatus.DONE for m in plan.measures)}/{len(plan.measures)}"


@listing("plans.all")
def plans_listing(scope: ReportScope, args) -> Listing:
    """The campaign's plans of the report's firms; status=<PlanStatus value>."""
    conditions = [*scope.plan_conditions(), *_enum_arg(PlanStatus, AssistancePlan.status, args.get("status"))]
    columns = [
        Column("firm", _("Enterprise"), lambda p: p.enterprise.name, link=_plan_link, kind="title"),
        Column("objective", _("Objective"), lambda p: _truncate(p.objective)),
        Column("status", _("State"), lambda p: str(p.status.label), kind="status"),
        Column("measures", _("Measures carried into effect"), _done, align="end"),
    ]
    return Listing(key="plans.all", title=_("Assistance plans"), columns=columns,
                   select=sa.select(AssistancePlan).where(*conditions).order_by(AssistancePlan.id),
                   count=sa.select(sa.func.count()).select_from(AssistancePlan).where(*conditions),
                   options=(joinedload(AssistancePlan.enterprise), selectinload(AssistancePlan.measures)))


@listing("measures.all")
def measures_listing(scope: ReportScope, args) -> Listing:
    """The measures of those plans; status=<MeasureStatus value>."""
    conditions = [*scope.plan_conditions(), *_enum_arg(MeasureStatus, PlanMeasure.status, args.get("status"))]
    columns = [
        Column("measure", _("Measure"), lambda m: _truncate(m.description), link=lambda m: _plan_link(m.plan),
               kind="title"),
        Column("firm", _("Enterprise"), lambda m: m.plan.enterprise.name),
        Column("owner", _("Owner"), lambda m: m.owner.label if m.owner is not None else None),
        Column("deadline", _("Deadline"), lambda m: m.deadline, kind="lead"),
        Column("status", _("Status"), lambda m: str(m.status.label), kind="status"),
    ]
    joined = sa.select(PlanMeasure).join(AssistancePlan, AssistancePlan.id == PlanMeasure.plan_id).where(*conditions)
    return Listing(key="measures.all", title=_("Measures"), columns=columns,
                   select=joined.order_by(AssistancePlan.id, PlanMeasure.position, PlanMeasure.id),
                   count=sa.select(sa.func.count()).select_from(PlanMeasure)
                   .join(AssistancePlan, AssistancePlan.id == PlanMeasure.plan_id).where(*conditions),
                   options=(contains_eager(PlanMeasure.plan).joinedload(AssistancePlan.enterprise),
                            joinedload(PlanMeasure.owner)))
