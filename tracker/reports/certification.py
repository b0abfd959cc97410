"""Report section: certification coaching (认证培育) of the campaign's roster firms, with the drill-down listings
behind it.

What the figures count (all under the report's filters, ``ReportScope``; the firms are the roster's firms of
the report's offices, with the officer filter the firms assigned to him, ``scope.roster_firms()``):

- **readiness** (a snapshot, as the assessments stand now: no period, no comparison). A firm is judged by its
  latest customs assessment (kind OFFICER, whatever its status, the latest by ``created_at`` then ``id``; a
  self-assessment never counts), through the standard's own rule (``tracker.certification.rule.evaluate``):

  - READY: the result passes (no 不达标 item, 100 + total >= 95, every item that applies scored);
  - CLOSE: no pass, but no 不达标 item either and at most 5 points short (100 + total >= 90);
  - FAR: the rest (any 不达标 item, or more than 5 points short);
  - NOT ASSESSED: no customs assessment at all.

  Items still unscored: as ``Result.passed`` says, a provisional result is no pass, so an assessment with an
  ordinary item still to score is never READY, however many points it holds; it is CLOSE or FAR on the items
  scored so far (an unscored item deducts nothing yet, so CLOSE there means "nothing scored so far puts the
  firm out of reach"). The listing says how many items are unscored. A stored score the item may not take
  (which the services never write) is read as unscored rather than failing the report.

- **items most often short**: over the same latest customs assessments, per item of the standard, how many
  firms score it 基本达标 and how many 不达标 (ordinary items only: a bonus item not met adds nothing, it is no
  shortfall). Items are those of a version of the standard: the 2014 and 2018 versions number their items
  differently (25 items against 1.1.1-4.8.2), so an item is grouped with its version, never by its number
  across versions; when the rows come from more than one version, each label names its version. The 10 with
  the most firms short, then the most 不达标, then in the standard's order.

- **certifications in the year**: roster firms whose credit history (``CreditRating``) gained a certified level
  (advanced_certified, general_certified, certified) with ``valid_from`` in the calendar year of the period's
  end (the whole year: a campaign that ended in June still shows the certifications its coaching brought in
  the autumn); ``previous`` is the year before. Not a new certification: a rating that only
  carries on a certified level the firm held the day before, at least as high (the demo's "第251号令施行，
  高级认证延续" on 2021-11-01, or a downgrade from 高级认证 to 一般认证), and a rating on the first day of its
  decree (2018-05-01, 2021-11-01, 2026-04-01) of a firm with no earlier rating: its history starts there, with
  the level the decree carried it into. A firm counts once in a year however many such ratings it has (the
  listing shows its latest).

Statements: four, whatever the data (the latest assessments; their versions' items; their scores; the
not-assessed count with the certifications of both years in one), each through ``cache.execute``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import aliased, contains_eager, joinedload

from tracker.campaigns.models import RosterEntry
from tracker.certification.models import (
    Assessment, AssessmentKind, CertificationStandard, ItemScore, Score, StandardItem,
)
from tracker.certification.rule import PASS_MARK, Result, evaluate
from tracker.enterprises.models import CreditRating, Enterprise
from tracker.enterprises.reference import CERTIFIED_LEVELS as REGIME_CERTIFIED_LEVELS
from tracker.enterprises.reference import CREDIT_LEVEL_LABELS, REGIME_STARTS
from tracker.i18n import local_today
from tracker.plans.models import AssistancePlan, MeasureStatus, PlanMeasure
from tracker.extensions import db
from tracker.i18n import LOCAL_TZ
from tracker.reports import cache
from tracker.reports.figures import Column, Figure, Listing, Row, Section, Table
from tracker.reports.listings import listing
from tracker.reports.scope import ReportScope

READY, CLOSE, FAR = "ready", "close", "far"
READINESS = (READY, CLOSE, FAR)
# CLOSE: at most this many points short of the pass mark, with no 不达标 item.
CLOSE_POINTS = 5
SHORT_ITEMS = 10
ITEM_CHARS = 40
NOTE_CHARS = 60
SHORT = (Score.MOSTLY, Score.NOT_MET)
# The certified levels of every decree (advanced first); a level ranks with the others it may carry on.
ADVANCED = "advanced_certified"
CERTIFIED_LEVELS = tuple(dict.fromkeys(level for levels in REGIME_CERTIFIED_LEVELS.values() for level in levels))
# The first day of each decree: a history that begins on it records the level the decree carried a firm into.
DECREE_STARTS = REGIME_STARTS


def sections(scope: ReportScope) -> list[Section]:
    return [certification_section(scope)]


def _locale() -> str:
    return str(get_locale() or "zh")


def _shorten(text: str | None, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _local_day(moment) -> str:
    return moment.astimezone(LOCAL_TZ).date().isoformat() if moment is not None else ""


# The latest customs assessments and their results ------------------------------------------------------------
def latest_conditions(scope: ReportScope) -> list[sa.ColumnElement]:
    """Assessment rows: the latest customs assessment (by created_at, then id) of each roster firm in scope."""
    later = aliased(Assessment)
    newer = sa.exists().where(
        later.enterprise_id == Assessment.enterprise_id, later.kind == AssessmentKind.OFFICER,
        sa.or_(later.created_at > Assessment.created_at,
               sa.and_(later.created_at == Assessment.created_at, later.id > Assessment.id)))
    return [Assessment.kind == AssessmentKind.OFFICER, Assessment.enterprise_id.in_(scope.roster_firms()), ~newer]


def latest_ids(scope: ReportScope) -> sa.Select:
    return sa.select(Assessment.id).where(*latest_conditions(scope))


@dataclass(frozen=True)
class _Item:
    """What the rule reads of an item (StandardItem's own allowed_scores), from a statement's row."""

    id: int
    standard_id: int
    number: str
    text: str
    is_bonus: bool
    applies_to_all: bool
    position: int
    version: str
    code: str

    allowed_scores = StandardItem.allowed_scores


@dataclass
class Assessed:
    """A roster firm's latest customs assessment, its result and its readiness."""

    id: int
    enterprise_id: int
    result: Result
    readiness: str


def readiness_of(result: Result) -> str:
    """READY, CLOSE or FAR (see the module's docstring)."""
    if result.passed:
        return READY
    if not result.not_met and result.points >= PASS_MARK - CLOSE_POINTS:
        return CLOSE
    return FAR


@dataclass
class Readiness:
    assessed: list[Assessed]
    items: dict[int, _Item]
    scores: dict[int, dict[int, Score]]
    _results: dict[int, Result] | None = None

    def ids(self, readiness: str | None = None) -> list[int]:
        return [a.id for a in self.assessed if readiness is None or a.readiness == readiness]

    def count(self, readiness: str) -> int:
        return sum(1 for a in self.assessed if a.readiness == readiness)

    def result(self, assessment_id: int) -> Result | None:
        if self._results is None:
            self._results = {a.id: a.result for a in self.assessed}
        return self._results.get(assessment_id)


def readiness(scope: ReportScope) -> Readiness:
    """The latest customs assessments of the roster firms in scope, each evaluated by the standard's rule, in
    three statements however many there are: the assessments, their versions' items, their scores."""
    rows = cache.execute(sa.select(Assessment.id, Assessment.enterprise_id, Assessment.standard_id)
                         .where(*latest_conditions(scope)).order_by(Assessment.id))
    versions = sa.select(Assessment.standard_id).where(*latest_conditions(scope))
    items: dict[int, _Item] = {}
    by_version: dict[int, list[_Item]] = {}
    for row in cache.execute(
            sa.select(StandardItem.id, StandardItem.standard_id, StandardItem.number, StandardItem.text,
                      StandardItem.is_bonus, StandardItem.applies_to_all, StandardItem.position,
                      CertificationStandard.version_label, CertificationStandard.code)
            .join(CertificationStandard, CertificationStandard.id == StandardItem.standard_id)
            .where(StandardItem.standard_id.in_(versions))
            .order_by(StandardItem.standard_id, StandardItem.position, StandardItem.id)):
        item = _Item(*row)
        items[item.id] = item
        by_version.setdefault(item.standard_id, []).append(item)
    scores: dict[int, dict[int, Score]] = {row.id: {} for row in rows}
    for assessment_id, item_id, score in cache.execute(
            sa.select(ItemScore.assessment_id, ItemScore.item_id, ItemScore.score)
            .where(ItemScore.assessment_id.in_(latest_ids(scope)))):
        item = items.get(item_id)
        if assessment_id in scores and item is not None and score in item.allowed_scores():
            scores[assessment_id][item_id] = score
    assessed = []
    for assessment_id, enterprise_id, standard_id in rows:
        result = evaluate(by_version.get(standard_id, []), scores[assessment_id])
        assessed.append(Assessed(assessment_id, enterprise_id, result, readiness_of(result)))
    return Readiness(assessed, items, scores)


# The section ------------------------------------------------------------------------------------------------
def year_window(scope: ReportScope, years_back: int = 0) -> tuple[date, date]:
    """The calendar year of the period's end (*years_back* years earlier), first and last day."""
    year = scope.period.end.year - years_back
    return date(year, 1, 1), date(year, 12, 31)


def certification_section(scope: ReportScope) -> Section:
    found = readiness(scope)
    not_assessed, new, new_before, overdue_fixes = counts(scope)
    year, _end = year_window(scope)
    figures = [
        Figure("certification.ready", _("Ready for certification"), found.count(READY), None,
               listing="certification.readiness", listing_args={"readiness": READY},
               note=_("Roster firms whose latest customs assessment passes (every item scored).")),
        Figure("certification.close", _("Close to ready"), found.count(CLOSE), None,
               listing="certification.readiness", listing_args={"readiness": CLOSE}, better=None,
               note=_("No item not met and at most %(n)d points short; an assessment with items still to score is "
                       "at best here.", n=CLOSE_POINTS)),
        Figure("certification.far", _("Far from ready"), found.count(FAR), None,
               listing="certification.readiness", listing_args={"readiness": FAR}, better="down",
               note=_("An item not met, or more than %(n)d points short.", n=CLOSE_POINTS)),
        Figure("certification.not_assessed", _("Not assessed"), not_assessed, None,
               listing="certification.not_assessed", better="down",
               note=_("Roster firms without a customs assessment.")),
        Figure("certification.new", _("Certifications in %(year)d", year=year.year), new, new_before,
               listing="certification.new",
               note=_("Roster firms that gained a certified level in the year of the period's end; a level "
                      "carried on under a new decree is not a new one.")),
        Figure("certification.overdue_fixes", _("Fixes overdue"), overdue_fixes, None,
               listing="certification.overdue_fixes", better="down",
               note=_("Measures of the assistance plans that fix a shortfall and are not carried into effect by "
                      "their deadline, as of today.")),
    ]
    section = Section("certification", _("Certification coaching"), figures=figures,
                      tables=[items_short(found)],
                      note=_("Readiness is as the latest customs assessments stand now, judged by the standard's "
                             "rule; a self-assessment does not count."))
    if scope.filters.department is not None:
        department = _("The department filter applies to needs only.")
        section.note = f"{section.note} {department}"
    return section


def _not_assessed_conditions(scope: ReportScope) -> list[sa.ColumnElement]:
    """RosterEntry (joined to Enterprise) rows in scope whose firm has no customs assessment."""
    return [*scope.roster_condition(),
            ~sa.exists().where(Assessment.enterprise_id == RosterEntry.enterprise_id,
                               Assessment.kind == AssessmentKind.OFFICER)]


def new_certification_conditions(scope: ReportScope, rating, low: date, high: date) -> list[sa.ColumnElement]:
    """*rating* (CreditRating or an alias) is a new certified level of a roster firm in scope, from *low* to
    *high* (see the module's docstring)."""
    before = aliased(CreditRating)
    carried_on = sa.exists().where(
        before.enterprise_id == rating.enterprise_id, before.valid_from < rating.valid_from,
        sa.or_(before.valid_to.is_(None), before.valid_to >= sa_day_before(rating.valid_from)),
        sa.or_(sa.and_(rating.level == ADVANCED, before.level == ADVANCED),
               sa.and_(rating.level != ADVANCED, before.level.in_(CERTIFIED_LEVELS))))
    earlier = aliased(CreditRating)
    history_starts = sa.and_(
        sa.or_(*(sa.and_(rating.regime == regime, rating.valid_from == start)
                 for regime, start in DECREE_STARTS.items())),
        ~sa.exists().where(earlier.enterprise_id == rating.enterprise_id, earlier.valid_from < rating.valid_from))
    return [rating.enterprise_id.in_(scope.roster_firms()), rating.level.in_(CERTIFIED_LEVELS),
            rating.valid_from.between(low, high), ~carried_on, ~history_starts]


def sa_day_before(column) -> sa.ColumnElement:
    from tracker.reports.sql import add_days

    return add_days(column, -1)


def _overdue_fix_conditions(scope: ReportScope, today: date) -> list[sa.ColumnElement]:
    """PlanMeasure (joined to its plan) rows that fix a shortfall of a roster firm in scope, not carried into
    effect by their deadline, which is gone (a snapshot, as of today)."""
    return [PlanMeasure.item_id.is_not(None), PlanMeasure.status != MeasureStatus.DONE,
            PlanMeasure.deadline < today, AssistancePlan.enterprise_id.in_(scope.roster_firms())]


def counts(scope: ReportScope) -> tuple[int, int, int, int]:
    """(roster firms not assessed, new certifications in the year, in the same days of the year before, fixes
    overdue today), in one statement."""
    low, high = year_window(scope)
    low_before, high_before = year_window(scope, 1)
    not_assessed = (sa.select(sa.func.count()).select_from(RosterEntry)
                    .join(Enterprise, Enterprise.id == RosterEntry.enterprise_id)
                    .where(*_not_assessed_conditions(scope)).scalar_subquery())
    current = (sa.select(sa.func.count(sa.distinct(CreditRating.enterprise_id)))
               .where(*new_certification_conditions(scope, CreditRating, low, high)).scalar_subquery())
    before = (sa.select(sa.func.count(sa.distinct(CreditRating.enterprise_id)))
              .where(*new_certification_conditions(scope, CreditRating, low_before, high_before)).scalar_subquery())
    overdue = (sa.select(sa.func.count()).select_from(PlanMeasure).join(PlanMeasure.plan)
               .where(*_overdue_fix_conditions(scope, local_today())).scalar_subquery())
    row = cache.execute(sa.select(not_assessed, current, before, overdue)).one()
    return tuple(int(v or 0) for v in row)


def items_short(found: Readiness) -> Table:
    """The items most often short (基本达标 or 不达标) in the latest customs assessments, SHORT_ITEMS of them."""
    tally: dict[int, list[int]] = {}
    for scores in found.scores.values():
        for item_id, score in scores.items():
            item = found.items[item_id]
            if item.is_bonus or score not in SHORT:
                continue
            counts_ = tally.setdefault(item_id, [0, 0])
            counts_[score is Score.NOT_MET] += 1
    ranked = sorted(tally.items(), key=lambda pair: (
        -(pair[1][0] + pair[1][1]), -pair[1][1], found.items[pair[0]].standard_id, found.items[pair[0]].position))
    ranked = ranked[:SHORT_ITEMS]
    several_versions = len({found.items[i].standard_id for i, _c in ranked}) > 1
    rows = []
    for item_id, (mostly, not_met) in ranked:
        item = found.items[item_id]
        label = f"{item.number} {_shorten(item.text, ITEM_CHARS)}"
        if several_versions:
            label = f"{label} · {item.version}"
        rows.append(Row(label, [mostly + not_met, not_met, mostly], listing="certification.short",
                        listing_args={"item": item_id}, key=f"{item.code}/{item.number}"))
    return Table("certification.items_short", _("Items most often short"),
                 [_("Item of the standard"), _("Firms short"), _("Not met"), _("Mostly met")], rows, chart="bar",
                 note=_("In the latest customs assessments: firms scoring the item mostly met or not met; an item "
                        "belongs to its version of the standard."))


# Listings ---------------------------------------------------------------------------------------------------
def _assessment_link(a: Assessment) -> str:
    return url_for("certification.assessment", assessment_id=a.id)


def _officer(user) -> str:
    return user.label if user is not None else ""


def _readiness_columns(found: Readiness) -> list[Column]:
    def result(a: Assessment) -> Result:
        return found.result(a.id) or evaluate([], {})

    return [
        Column("firm", _("Firm"), lambda a: a.enterprise.name, link=_assessment_link, kind="title"),
        Column("office", _("Customs office"), lambda a: a.enterprise.office.display_name(_locale())),
        Column("officer", _("Assessed by"), lambda a: _officer(a.created_by)),
        Column("date", _("Assessment started"), lambda a: _local_day(a.created_at), kind="lead"),
        Column("status", _("Status"), lambda a: str(a.status.label)),
        Column("version", _("Version"), lambda a: a.standard.version_label),
        Column("points", _("Points"), lambda a: result(a).points, align="end"),
        Column("not_met", _("Not met"), lambda a: len(result(a).not_met), align="end"),
        Column("mostly", _("Mostly met"), lambda a: len(result(a).mostly), align="end"),
        Column("unscored", _("Items unscored"), lambda a: len(result(a).unscored), align="end"),
        Column("missing", _("Points missing"), lambda a: result(a).missing_points, align="end"),
    ]


def _readiness_title(value: str | None) -> str:
    return {READY: _("Ready for certification"), CLOSE: _("Close to ready"),
            FAR: _("Far from ready")}.get(value, _("Firms assessed"))


@listing("certification.readiness")
def readiness_listing(scope: ReportScope, args) -> Listing:
    """The roster firms' latest customs assessments, readiness=ready|close|far keeping one class (any other
    value lists nothing; none: every firm assessed)."""
    found = readiness(scope)
    value = (args.get("readiness") or "").strip()
    if value and value not in READINESS:
        ids: list[int] = []
        title = _readiness_title(None)
    else:
        ids = found.ids(value or None)
        title = _readiness_title(value or None)
    where = [Assessment.id.in_(ids)]
    select = (sa.select(Assessment).join(Enterprise, Enterprise.id == Assessment.enterprise_id).where(*where)
              .order_by(Enterprise.name, Assessment.id))
    count = sa.select(sa.func.count()).select_from(Assessment).where(*where)
    options = (contains_eager(Assessment.enterprise).joinedload(Enterprise.office),
               joinedload(Assessment.created_by), joinedload(Assessment.standard))
    return Listing("certification.readiness", title, _readiness_columns(found), select, count, options=options)


@listing("certification.not_assessed")
def not_assessed_listing(scope: ReportScope, args) -> Listing:
    where = _not_assessed_conditions(scope)
    select = (sa.select(RosterEntry).join(Enterprise, Enterprise.id == RosterEntry.enterprise_id).where(*where)
              .order_by(RosterEntry.declarations.desc().nulls_last(), Enterprise.name, Enterprise.id))
    count = (sa.select(sa.func.count()).select_from(RosterEntry)
             .join(Enterprise, Enterprise.id == RosterEntry.enterprise_id).where(*where))
    columns = [
        Column("firm", _("Firm"), lambda e: e.enterprise.name,
               link=lambda e: url_for("certification.firm", enterprise_id=e.enterprise_id), kind="title"),
        Column("office", _("Customs office"), lambda e: e.enterprise.office.display_name(_locale())),
        Column("officer", _("Assigned officer"), lambda e: _officer(e.enterprise.assigned_officer)),
        Column("credit", _("Credit level"), lambda e: _level(e.enterprise.credit_level)),
        Column("declarations", _("Declarations"), lambda e: e.declarations, align="end"),
    ]
    eager = contains_eager(RosterEntry.enterprise)
    options = (eager.joinedload(Enterprise.office),
               contains_eager(RosterEntry.enterprise).joinedload(Enterprise.assigned_officer))
    return Listing("certification.not_assessed", _("Roster firms not assessed"), columns, select, count,
                   options=options)


@listing("certification.overdue_fixes")
def overdue_fixes_listing(scope: ReportScope, args) -> Listing:
    today = local_today()
    where = _overdue_fix_conditions(scope, today)
    select = (sa.select(PlanMeasure).join(PlanMeasure.plan)
              .join(Enterprise, Enterprise.id == AssistancePlan.enterprise_id).where(*where).order_by(PlanMeasure.deadline, Enterprise.name, PlanMeasure.id))
    count = sa.select(sa.func.count()).select_from(PlanMeasure).join(PlanMeasure.plan).where(*where)
    columns = [
        Column("firm", _("Firm"), lambda m: m.plan.enterprise.name,
               link=lambda m: url_for("plans.detail", plan_id=m.plan_id), kind="title"),
        Column("item", _("Item of the standard"), lambda m: m.item.number if m.item else "",
               link=lambda m: url_for("certification.item", assessment_id=m.assessment_id, item_id=m.item_id)
               if m.assessment_id else None),
        Column("measure", _("Measure"), lambda m: _shorten(m.description, NOTE_CHARS)),
        Column("owner", _("Owner"), lambda m: _officer(m.owner)),
        Column("deadline", _("Deadline"), lambda m: m.deadline.isoformat(), kind="lead"),
        Column("late", _("Days overdue"), lambda m: (today - m.deadline).days, align="end"),
    ]
    options = (contains_eager(PlanMeasure.plan).contains_eager(AssistancePlan.enterprise),
               joinedload(PlanMeasure.item), joinedload(PlanMeasure.owner))
    return Listing("certification.overdue_fixes", _("Fixes overdue"), columns, select, count, options=options)


def _level(level: str | None) -> str:
    return str(CREDIT_LEVEL_LABELS.get(level, level)) if level else _("Not rated")


def _item_arg(value) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


@listing("certification.short")
def short_listing(scope: ReportScope, args) -> Listing:
    """The firms whose latest customs assessment scores item=<id> mostly met or not met (an item that is not
    one, or none given, lists nothing)."""
    item_id = _item_arg(args.get("item"))
    item = db.session.get(StandardItem, item_id) if item_id is not None else None
    where = [ItemScore.assessment_id.in_(latest_ids(scope)), ItemScore.score.in_(SHORT)]
    if item is None or item.is_bonus:
        where.append(sa.false())
        title = _("Firms short on an item")
    else:
        where.append(ItemScore.item_id == item.id)
        title = _("Firms short on item %(number)s", number=item.number)
    select = (sa.select(ItemScore).join(Assessment, Assessment.id == ItemScore.assessment_id)
              .join(Enterprise, Enterprise.id == Assessment.enterprise_id).where(*where)
              .order_by(ItemScore.score.desc(), Enterprise.name, ItemScore.id))
    count = sa.select(sa.func.count()).select_from(ItemScore).where(*where)
    columns = [
        Column("firm", _("Firm"), lambda s: s.assessment.enterprise.name,
               link=lambda s: url_for("certification.item", assessment_id=s.assessment_id, item_id=s.item_id),
               kind="title"),
        Column("office", _("Customs office"), lambda s: s.assessment.enterprise.office.display_name(_locale())),
        Column("score", _("Score"), lambda s: str(s.score.label), kind="status"),
        Column("note", _("Note"), lambda s: _shorten(s.note, NOTE_CHARS)),
        Column("officer", _("Scored by"), lambda s: _officer(s.scored_by)),
        Column("date", _("Scored on"), lambda s: _local_day(s.scored_at), kind="lead"),
    ]
    options = (contains_eager(ItemScore.assessment).contains_eager(Assessment.enterprise)
               .joinedload(Enterprise.office), joinedload(ItemScore.scored_by))
    return Listing("certification.short", title, columns, select, count, options=options)


@listing("certification.new")
def new_listing(scope: ReportScope, args) -> Listing:
    """The roster firms certified in the year of the period's end: each firm's latest new certified level."""
    low, high = year_window(scope)
    later = aliased(CreditRating)
    where = [*new_certification_conditions(scope, CreditRating, low, high),
             ~sa.exists().where(later.enterprise_id == CreditRating.enterprise_id,
                                later.valid_from > CreditRating.valid_from,
                                *new_certification_conditions(scope, later, low, high))]
    select = (sa.select(CreditRating).join(Enterprise, Enterprise.id == CreditRating.enterprise_id).where(*where)
              .order_by(CreditRating.valid_from.desc(), Enterprise.name, CreditRating.id))
    count = sa.select(sa.func.count()).select_from(CreditRating).where(*where)
    columns = [
        Column("firm", _("Firm"), lambda r: r.enterprise.name,
               link=lambda r: url_for("enterprises.profile", enterprise_id=r.enterprise_id), kind="title"),
        Column("office", _("Customs office"), lambda r: r.enterprise.office.display_name(_locale())),
        Column("level", _("Credit level"), lambda r: r.level_label),
        Column("from", _("Valid from"), lambda r: r.valid_from.isoformat(), kind="lead"),
        Column("note", _("Note"), lambda r: r.note or ""),
    ]
    options = (contains_eager(CreditRating.enterprise).joinedload(Enterprise.office),)
    return Listing("certification.new", _("Certifications in %(year)d", year=low.year), columns, select, count,
                   options=options)
