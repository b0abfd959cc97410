"""Report sections: the survey's coverage (the roster, the firms visited, the visits by month and by officer)
and the roster's firms (their credit levels, their offices), with the drill-down listings behind them.

What the figures count (all under the report's filters, ``ReportScope``):

- the roster: the campaign's roster firms of the report's offices (with the officer filter, the firms
  assigned to him), as it stands: a snapshot, no period;
- a campaign visit: ``scope.visit_conditions()``, i.e. a visit of this campaign to a firm of the offices
  (on the roster or not: an officer may count a visit to a firm of the area toward the campaign), with the
  officer filter among those who went;
- firms visited: roster firms with at least one campaign visit in the period; coverage is their share of
  the roster;
- firms not yet visited: roster firms with no campaign visit at all up to the period's end (before the
  period too); its ``previous`` is the same up to the end of the period before.

Statements: the outreach section costs four (the figures of both periods in one; the months; the officers;
the first rows of the firms not yet visited), the credit section two, whatever the data.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time

import sqlalchemy as sa
from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from tracker.auth.models import User, user_label
from tracker.campaigns.models import RosterEntry
from tracker.enterprises.models import Enterprise
from tracker.enterprises.reference import CREDIT_LEVEL_LABELS
from tracker.extensions import db
from tracker.i18n import LOCAL_TZ
from tracker.offices.models import Office
from tracker.reports import cache, sql
from tracker.reports.figures import Column, Figure, Listing, ListingPreview, Row, Section, Table, share
from tracker.reports.listings import listing
from tracker.reports.scope import ReportScope
from tracker.visits.models import Visit, visit_officers

# Rows of the firms not yet visited shown on the dashboard itself (the rest are a click away).
PREVIEW_ROWS = 10
NOT_RATED = "none"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def sections(scope: ReportScope) -> list[Section]:
    return [outreach_section(scope), credit_section(scope)]


# Shared pieces -------------------------------------------------------------------------------------------
def _locale() -> str:
    return str(get_locale() or "zh")


def _int_arg(args, name: str) -> tuple[bool, int | None]:
    """(given, value): an argument that is absent is (False, None); one that is not a usable id (True, None)."""
    raw = args.get(name)
    if raw is None or raw == "":
        return False, None
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return True, None
    return True, number if 0 < number < 2**31 else None


def _month_bounds(value: str | None) -> tuple[datetime, datetime] | None:
    """[local midnight of the month's first day, the next month's) for 'YYYY-MM', else None."""
    match = _MONTH.match((value or "").strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (1900 <= year <= 2999 and 1 <= month <= 12):
        return None
    following = date(year + month // 12, month % 12 + 1, 1)
    return (datetime.combine(date(year, month, 1), time(0), LOCAL_TZ), datetime.combine(following, time(0), LOCAL_TZ))


def months_of(start: date, end: date) -> list[str]:
    """'YYYY-MM' of every month the days from start to end touch, in order."""
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def visited_firm_ids(scope: ReportScope) -> sa.Select:
    """Ids of the firms with a campaign visit in the scope's period."""
    return sa.select(Visit.enterprise_id).where(*scope.visit_conditions())


def visited_by_end(scope: ReportScope) -> sa.ColumnElement:
    """A roster entry's firm had a campaign visit up to the end of the scope's period (any time before)."""
    _, high = scope.period.utc_bounds()
    return sa.exists().where(Visit.enterprise_id == RosterEntry.enterprise_id,
                             *scope.visit_conditions(in_period=False), Visit.visited_at < high)


def credit_label(level: str | None) -> str:
    if level is None:
        return _("Not rated")
    return str(CREDIT_LEVEL_LABELS.get(level, level))


def _officers_text(officers) -> str:
    separator = "、" if _locale().startswith("zh") else ", "
    return separator.join(u.label for u in officers)


# Section: survey coverage ---------------------------------------------------------------------------------
def outreach_section(scope: ReportScope) -> Section:
    figures = outreach_figures(scope)
    section = Section("outreach", _("Survey coverage"), figures=figures,
                      tables=[visits_by_month(scope), visits_by_officer(scope)])
    not_visited = section.figure("outreach.not_visited")
    section.lists.append(preview(roster_not_visited(scope, {}), int(not_visited.value or 0)))
    if scope.filters.department is not None:
        section.note = _("The department filter applies to needs only; the survey's figures are of all "
                         "departments.")
    return section


def outreach_figures(scope: ReportScope) -> list[Figure]:
    """The section's figures for the period and the period before, in one statement: the roster outer-joined
    to, per firm of the campaign's visits up to the period's end, its first visit and its visits in either
    period (the visits' totals count the firms off the roster too)."""
    cur_low, cur_high = scope.period.utc_bounds()
    prev_low, prev_high = scope.previous.period.utc_bounds()
    in_current = sa.and_(Visit.visited_at >= cur_low, Visit.visited_at < cur_high)
    in_previous = sa.and_(Visit.visited_at >= prev_low, Visit.visited_at < prev_high)
    # Per firm with campaign visits up to the period's end: its first visit, its visits in either period.
    # A CTE, read three times (PostgreSQL materializes it once; so does SQLite for a CTE used more than once).
    per_firm = (
        sa.select(Visit.enterprise_id.label("firm"), sa.func.min(Visit.visited_at).label("first"),
                  sa.func.count().filter(in_current).label("current"),
                  sa.func.count().filter(in_previous).label("previous"))
        .where(*scope.visit_conditions(in_period=False), Visit.visited_at < cur_high)
        .group_by(Visit.enterprise_id)
        .cte("per_firm")
    )
    # The roster, each firm once (unique campaign and firm), with its firm's visits if it has any.
    roster = scope.roster_firms().subquery()
    has_visits = per_firm.c.firm.is_not(None)
    row = cache.execute(
        sa.select(
            sa.func.count().label("roster"),
            sa.select(sa.func.coalesce(sa.func.sum(per_firm.c.current), 0)).scalar_subquery(),
            sa.select(sa.func.coalesce(sa.func.sum(per_firm.c.previous), 0)).scalar_subquery(),
            sa.func.count().filter(per_firm.c.current > 0),
            sa.func.count().filter(per_firm.c.previous > 0),
            sa.func.count().filter(has_visits),
            sa.func.count().filter(sa.and_(has_visits, per_firm.c.first < prev_high)),
        ).select_from(roster.outerjoin(per_firm, per_firm.c.firm == roster.c.enterprise_id))
    ).one()
    size, visits, visits_before, visited, visited_before, seen, seen_before = (int(v or 0) for v in row)
    return [
        Figure("outreach.roster", _("Firms on the roster"), size, None, listing="roster.all", better=None,
               note=_("As the roster stands now.")),
        Figure("outreach.visited", _("Firms visited"), visited, visited_before, listing="roster.visited",
               note=_("Roster firms with a campaign visit in the period.")),
        Figure("outreach.coverage", _("Coverage"), share(visited, size), share(visited_before, size), kind="share",
               listing="roster.visited", note=_("Firms visited in the period, of the roster.")),
        Figure("outreach.visits", _("Visits"), visits, visits_before, listing="visits.all",
               note=_("Campaign visits in the period, to firms on the roster or not.")),
        Figure("outreach.not_visited", _("Firms not yet visited"), size - seen, size - seen_before,
               listing="roster.not_visited", better="down",
               note=_("Roster firms with no campaign visit up to the period's end.")),
    ]


def visits_by_month(scope: ReportScope) -> Table:
    """Every month of the period (local time): its campaign visits and the roster firms they reached."""
    month = sql.local_month(Visit.visited_at, local=True)
    # Per month and firm first (a hash aggregate, no DISTINCT to sort), then per month with the roster.
    per_firm = (sa.select(month.label("month"), Visit.enterprise_id.label("firm"), sa.func.count().label("n"))
                .where(*scope.visit_conditions()).group_by(month, Visit.enterprise_id).subquery())
    roster = scope.roster_firms().subquery()
    found = {m: (n, firms) for m, n, firms in cache.execute(
        sa.select(per_firm.c.month, sa.func.sum(per_firm.c.n), sa.func.count(roster.c.enterprise_id))
        .select_from(per_firm.outerjoin(roster, roster.c.enterprise_id == per_firm.c.firm))
        .group_by(per_firm.c.month))}
    rows = [Row(m, [int(found.get(m, (0, 0))[0]), int(found.get(m, (0, 0))[1])], listing="visits.all",
                listing_args={"month": m}, key=m)
            for m in months_of(scope.period.start, scope.period.end)]
    return Table("outreach.by_month", _("Visits per month"), [_("Month"), _("Visits"), _("Firms visited")], rows,
                 chart="line", note=_("Firms visited: roster firms with a campaign visit in the month."))


def visits_by_officer(scope: ReportScope) -> Table:
    """Each officer who took part in the period's campaign visits (a visit counts for each officer who went):
    his visits and the roster firms they reached."""
    # Per officer and firm first, then per officer with the roster and the officer's name.
    per_firm = (sa.select(visit_officers.c.user_id.label("user_id"), Visit.enterprise_id.label("firm"),
                          sa.func.count().label("n"))
                .select_from(visit_officers).join(Visit, Visit.id == visit_officers.c.visit_id)
                .where(*scope.visit_conditions()).group_by(visit_officers.c.user_id, Visit.enterprise_id)
                .subquery())
    roster = scope.roster_firms().subquery()
    visits = sa.func.sum(per_firm.c.n)
    result = cache.execute(
        sa.select(User.id, User.display_name, User.title, visits, sa.func.count(roster.c.enterprise_id))
        .select_from(per_firm)
        .join(User, User.id == per_firm.c.user_id)
        .outerjoin(roster, roster.c.enterprise_id == per_firm.c.firm)
        .group_by(User.id, User.display_name, User.title)
        .order_by(visits.desc(), User.display_name, User.id))
    rows = [Row(user_label(name, title), [int(n), int(firms)], listing="visits.all", listing_args={"by": user_id},
                key=str(user_id))
            for user_id, name, title, n, firms in result]
    return Table("outreach.by_officer", _("Visits per officer"), [_("Officer"), _("Visits"), _("Firms visited")],
                 rows, chart="bar", note=_("A visit counts for each officer who went."))


def preview(built: Listing, total: int, args: dict | None = None) -> ListingPreview:
    rows = cache.first_entities(built.select, built.options or (), PREVIEW_ROWS)
    return ListingPreview(built, rows, total, args or {})


# Section: the roster's firms ----------------------------------------------------------------------------
def credit_section(scope: ReportScope) -> Section:
    section = Section("credit", _("The roster's firms"), tables=[credit_levels(scope), firms_by_office(scope)])
    return section


def credit_levels(scope: ReportScope) -> Table:
    counts = dict(cache.execute(
        sa.select(Enterprise.credit_level, sa.func.count()).select_from(RosterEntry)
        .join(Enterprise, Enterprise.id == RosterEntry.enterprise_id)
        .where(*scope.roster_condition()).group_by(Enterprise.credit_level)).all())
    order = [level for level in CREDIT_LEVEL_LABELS if level in counts]
    order += sorted(level for level in counts if level is not None and level not in CREDIT_LEVEL_LABELS)
    if None in counts:
        order.append(None)
    rows = [Row(credit_label(level), [int(counts[level])], listing="roster.all",
                listing_args={"credit": level if level is not None else NOT_RATED}, key=level or NOT_RATED)
            for level in order]
    return Table("credit.levels", _("Credit levels of the roster's firms"), [_("Credit level"), _("Firms")], rows,
                 chart="pie", note=_("The firms' current credit level."))


def firms_by_office(scope: ReportScope) -> Table:
    """Per office of the report (a firm counts at its own office): roster firms, those visited in the period,
    and the coverage."""
    visited = visited_firm_ids(scope).group_by(Visit.enterprise_id).subquery()
    result = cache.execute(
        sa.select(Office.id, Office.code, Office.name, Office.name_en, sa.func.count(),
                  sa.func.count(visited.c.enterprise_id))
        .select_from(RosterEntry)
        .join(Enterprise, Enterprise.id == RosterEntry.enterprise_id)
        .join(Office, Office.id == Enterprise.office_id)
        .outerjoin(visited, visited.c.enterprise_id == RosterEntry.enterprise_id)
        .where(*scope.roster_condition())
        .group_by(Office.id, Office.code, Office.name, Office.name_en, Office.path)
        .order_by(Office.path))
    locale = _locale()
    rows = []
    for office_id, code, name, name_en, firms, seen in result:
        label = name_en if locale == "en" and name_en else name
        rows.append(Row(label, [int(firms), int(seen), share(int(seen), int(firms))], listing="roster.all",
                        listing_args={"in_office": office_id}, key=code))
    return Table("credit.by_office", _("Firms by office"),
                 [_("Office"), _("Firms on the roster"), _("Visited in the period"), _("Coverage")], rows,
                 chart="bar", kinds=["count", "count", "share"],
                 note=_("Each firm counts at its own office; visited: a campaign visit in the period."))


# Listings: firms of the roster ------------------------------------------------------------------------------
def _firm_columns() -> list[Column]:
    return [
        Column("name", _("Firm"), lambda e: e.enterprise.name,
               link=lambda e: url_for("enterprises.profile", enterprise_id=e.enterprise_id), kind="title"),
        Column("uscc", _("Unified social credit code"), lambda e: e.enterprise.uscc),
        Column("office", _("Customs office"), lambda e: e.enterprise.office.display_name(_locale())),
        Column("officer", _("Assigned officer"),
               lambda e: e.enterprise.assigned_officer.label if e.enterprise.assigned_officer else ""),
        Column("credit", _("Credit level"), lambda e: credit_label(e.enterprise.credit_level)),
        Column("declarations", _("Declarations"), lambda e: e.declarations, align="end"),
    ]


def _firm_options() -> tuple:
    eager = contains_eager(RosterEntry.enterprise)
    return (eager.joinedload(Enterprise.office), contains_eager(RosterEntry.enterprise)
            .joinedload(Enterprise.assigned_officer))


def _roster_args(scope: ReportScope, args) -> tuple[list[sa.ColumnElement], list[str]]:
    """Conditions and title parts from a firm listing's own arguments: credit=<level|none>, in_office=<id>.
    A value that cannot match gives a condition that matches nothing."""
    conditions: list[sa.ColumnElement] = []
    parts: list[str] = []
    credit = args.get("credit")
    if credit is not None and credit != "":
        if credit == NOT_RATED:
            conditions.append(Enterprise.credit_level.is_(None))
        elif len(credit) <= 32:
            conditions.append(Enterprise.credit_level == credit)
        else:
            conditions.append(sa.false())
        parts.append(credit_label(None if credit == NOT_RATED else credit))
    given, office_id = _int_arg(args, "in_office")
    if given:
        office = db.session.get(Office, office_id) if office_id is not None else None
        # Named only inside the report's offices (whose office_ids() also keeps to the user's subtree).
        if office is None or not office.path.startswith(scope.root_office.path):
            conditions.append(sa.false())
        else:
            conditions.append(Enterprise.office_id == office.id)
            parts.append(office.display_name(_locale()))
    return conditions, parts


def _firm_listing(key: str, title: str, scope: ReportScope, conditions: list, parts: list[str]) -> Listing:
    where = [*scope.roster_condition(), *conditions]
    select = (sa.select(RosterEntry).join(Enterprise, Enterprise.id == RosterEntry.enterprise_id).where(*where)
              .order_by(RosterEntry.declarations.desc().nulls_last(), Enterprise.name, Enterprise.id))
    count = (sa.select(sa.func.count()).select_from(RosterEntry)
             .join(Enterprise, Enterprise.id == RosterEntry.enterprise_id).where(*where))
    if parts:
        title = f"{title} · {' · '.join(parts)}"
    return Listing(key, title, _firm_columns(), select, count, options=_firm_options())


@listing("roster.all")
def roster_all(scope: ReportScope, args) -> Listing:
    conditions, parts = _roster_args(scope, args)
    return _firm_listing("roster.all", _("The roster's firms"), scope, conditions, parts)


@listing("roster.visited")
def roster_visited(scope: ReportScope, args) -> Listing:
    conditions, parts = _roster_args(scope, args)
    conditions.append(RosterEntry.enterprise_id.in_(visited_firm_ids(scope)))
    return _firm_listing("roster.visited", _("Firms visited"), scope, conditions, parts)


@listing("roster.not_visited")
def roster_not_visited(scope: ReportScope, args) -> Listing:
    conditions, parts = _roster_args(scope, args)
    conditions.append(~visited_by_end(scope))
    return _firm_listing("roster.not_visited", _("Firms not yet visited"), scope, conditions, parts)


# Listings: visits --------------------------------------------------------------------------------------------
def _visit_columns() -> list[Column]:
    return [
        Column("date", _("Date"), lambda v: v.visited_at.astimezone(LOCAL_TZ).date().isoformat(), kind="lead"),
        Column("firm", _("Firm"), lambda v: v.enterprise.name,
               link=lambda v: url_for("visits.detail", visit_id=v.id), kind="title"),
        Column("type", _("Type of visit"), lambda v: str(v.visit_type.label)),
        Column("officers", _("Officers"), lambda v: _officers_text(v.officers)),
    ]


@listing("visits.all")
def visits_all(scope: ReportScope, args) -> Listing:
    """The period's campaign visits; month=YYYY-MM (local) keeps one month, by=<user id> one officer's."""
    conditions = list(scope.visit_conditions())
    parts: list[str] = []
    month = args.get("month")
    if month is not None and month != "":
        bounds = _month_bounds(month)
        if bounds is None:
            conditions.append(sa.false())
        else:
            conditions += [Visit.visited_at >= bounds[0], Visit.visited_at < bounds[1]]
            parts.append(month.strip())
    given, user_id = _int_arg(args, "by")
    if given:
        if user_id is None:
            conditions.append(sa.false())
        else:
            conditions.append(Visit.id.in_(sa.select(visit_officers.c.visit_id)
                                           .where(visit_officers.c.user_id == user_id)))
            # Named only if he went on one of the visits listed (so an id names no one else).
            officer = db.session.scalar(sa.select(User).where(User.id == user_id).where(
                sa.exists().where(Visit.id == visit_officers.c.visit_id, visit_officers.c.user_id == User.id,
                                  *conditions)))
            if officer is not None:
                parts.append(officer.label)
    select = (sa.select(Visit).where(*conditions).order_by(Visit.visited_at.desc(), Visit.id.desc()))
    count = sa.select(sa.func.count()).select_from(Visit).where(*conditions)
    title = _("Campaign visits")
    if parts:
        title = f"{title} · {' · '.join(parts)}"
    return Listing("visits.all", title, _visit_columns(), select, count,
                   options=(joinedload(Visit.enterprise), selectinload(Visit.officers)))
