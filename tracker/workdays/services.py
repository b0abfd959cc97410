"""Working days in China (工作日): the holidays library, admin overrides on top, weekends underneath.

A day is decided by the first of these that speaks:

1. an admin override (``CalendarOverride``): ``closure`` is not a working day, ``workday`` is;
2. the library's official schedule for the year, when it has one: a public holiday or a substituted
   day off (休息日（由…调休）) is not a working day, a make-up weekend (调休上班) is;
3. the weekend: Monday to Friday are working days, Saturday and Sunday are not.

What python-holidays 0.109 does for China (checked by hand; tests/test_workdays.py pins each point):

- ``holidays.China`` never raises for a year. From 1950 to 2100 it *computes* the statutory days
  (元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆) from the Gregorian and lunar calendars and adds "observed"
  days (补假) by moving weekend holidays to the next weekday; outside 1950-2100 it returns no holiday at
  all. For a year without a State Council notice these computed days are a guess, not the schedule:
  for 2027 it gives 春节（补假）on 02-09 and 02-10 and no make-up working day.
- The official arrangement of a year is its entry in ``special_public_holidays`` (the substituted days
  off, each naming the weekend day worked instead). 0.109 has an entry for every year from 2001 to
  2026 and none after; ``library_year(y).known`` is exactly "the library has year y's entry".
- ``weekend_workdays`` is no per-year answer: every ``China()`` object starts with the cross-year make-up
  days of *all* years (2001-12-29, 2001-12-30, 2005-12-31, 2006-12-30, 2006-12-31 and 2011-12-31, worked
  for the next year's New Year or Spring Festival) and gains a year's own make-up days only when that
  year is populated. It is therefore never empty, even for 2031: filter it by year.
- A ``China`` object answers for years it was not built with: with ``expand=False`` silently as if
  there were no holiday (``China(years=2027, expand=False).is_working_day(date(2026, 10, 1))`` is
  True), with the default ``expand=True`` by populating that year into the object. Each year is
  therefore read once into an immutable ``LibraryYear`` (``functools.lru_cache``): the data changes only
  with a new release of the package, so caching it per process is safe.
- Holiday names follow the process locale (``LANG=C.UTF-8`` gives English) unless ``language`` is
  passed; this module always passes it.

A year is *confirmed* when the library has its notice, or when an admin has entered at least one
override dated in it (next year's schedule, published by the State Council late in the year before).
In an unconfirmed year the library's computed guesses are ignored, so only weekends and overrides
count, and an admin typing in the real notice starts from a plain week; pages show
``unconfirmed_warning()`` beside such dates. Two limits remain: a later notice can still make a
late-December weekend of a confirmed year a working day (the last time was 2011-12-31), which an admin
enters as a ``workday`` override; and a single override (an office closure) confirms its whole year.

Overrides are read for a whole range in one query, never one query per day.
"""
import functools
import re
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType
from typing import Iterable, Literal, Mapping

import holidays
import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from tracker.extensions import db
from tracker.workdays.models import CalendarOverride, OverrideKind

CalendarStatus = Literal["confirmed", "unconfirmed"]
CONFIRMED: CalendarStatus = "confirmed"
UNCONFIRMED: CalendarStatus = "unconfirmed"

ONE_DAY = timedelta(days=1)
# A walk for working days reads overrides ahead in chunks at least this long.
MIN_CHUNK_DAYS = 31
# Only a calendar closed for years could need a longer walk; stop rather than loop.
MAX_WALK_DAYS = 3660
NAME_MAX_LENGTH = CalendarOverride.__table__.c.name.type.length

# Interface locale -> the library's language code.
LIBRARY_LANGUAGES = {"zh": "zh_CN", "en": "en_US"}
DEFAULT_LIBRARY_LANGUAGE = "zh_CN"


class CalendarError(Exception):
    """An override that cannot be saved; the message is for the user."""


class ScheduleError(CalendarError):
    """A pasted schedule with bad lines; ``problems`` names every one by its number."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


# The library, one year at a time -------------------------------------------------------------
@dataclass(frozen=True)
class LibraryYear:
    """What the holidays library says about one year, without overrides."""

    year: int
    # The library has the State Council's schedule for the year.
    known: bool
    # Public holidays and substituted days off (on weekends too); empty when the year is not known.
    holidays: Mapping[date, str]
    # Make-up working weekends (调休上班) falling in the year, whichever year's notice set them.
    workdays: frozenset[date]

    def is_working(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


@functools.lru_cache(maxsize=256)
def library_year(year: int, language: str = DEFAULT_LIBRARY_LANGUAGE) -> LibraryYear:
    """The library's data for a year, read once per process and language."""
    if not holidays.China.start_year <= year <= holidays.China.end_year:
        return LibraryYear(year, False, MappingProxyType({}), frozenset())
    china = holidays.China(years=year, language=language, expand=False)
    known = bool(china.special_public_holidays.get(year))
    workdays = frozenset(d for d in china.weekend_workdays if d.year == year)
    days = {d: name for d, name in sorted(china.items()) if d.year == year} if known else {}
    return LibraryYear(year, known, MappingProxyType(days), workdays)


def display_language() -> str:
    """The library language matching the interface (holiday names on pages)."""
    locale = get_locale()
    return LIBRARY_LANGUAGES.get(locale.language if locale else "", DEFAULT_LIBRARY_LANGUAGE)


# Overrides -------------------------------------------------------------------------------------
def overrides_between(first: date, last: date) -> dict[date, OverrideKind]:
    """The overrides from *first* to *last*, both included, in one query."""
    if last < first:
        return {}
    rows = db.session.execute(
        sa.select(CalendarOverride.day, CalendarOverride.kind).where(CalendarOverride.day.between(first, last))
    )
    return {day: kind for day, kind in rows}


def _is_working(day: date, overrides: Mapping[date, OverrideKind]) -> bool:
    kind = overrides.get(day)
    if kind is not None:
        return kind is OverrideKind.WORKDAY
    return library_year(day.year).is_working(day)


class _Walk:
    """A forward walk over days that reads the overrides ahead in growing chunks (one query each)."""

    def __init__(self, first: date, expected_days: int):
        self.first = first
        self.last = first - ONE_DAY
        self.overrides: dict[date, OverrideKind] = {}
        self._read_until(first + timedelta(days=max(expected_days, MIN_CHUNK_DAYS)))

    def _read_until(self, last: date) -> None:
        self.overrides.update(overrides_between(self.last + ONE_DAY, last))
        self.last = last

    def is_working(self, day: date) -> bool:
        if day > self.last:
            # Double what has been read so far: a long walk still takes only a few queries.
            self._read_until(day + timedelta(days=max((self.last - self.first).days, MIN_CHUNK_DAYS)))
        return _is_working(day, self.overrides)


# The questions other features ask ----------------------------------------------------------------
def is_working_day(day: date) -> bool:
    return _is_working(day, overrides_between(day, day))


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after *start* (start itself is not counted), e.g. a deadline of n working days."""
    if n < 1:
        raise ValueError("n must be at least 1")
    # About 250 working days a year: n * 1.5 calendar days plus a golden week is read in one query.
    walk = _Walk(start + ONE_DAY, n * 3 // 2 + 21)
    day, counted = start, 0
    while counted < n:
        day += ONE_DAY
        if (day - start).days > MAX_WALK_DAYS + 2 * n:
            raise RuntimeError(f"no {n} working days within {MAX_WALK_DAYS} days after {start}")
        if walk.is_working(day):
            counted += 1
    return day


def next_working_day(day: date) -> date:
    """The first working day after *day* (a working *day* itself is not the answer)."""
    return add_working_days(day, 1)


def working_days_between(a: date, b: date) -> int:
    """The working days after *a* up to and including *b*, so that add_working_days(a, n) == b gives n.

    Negative when *b* is before *a*; 0 when they are the same day.
    """
    if b < a:
        return -working_days_between(b, a)
    first = a + ONE_DAY
    overrides = overrides_between(first, b)
    return sum(_is_working(first + timedelta(days=i), overrides) for i in range((b - a).days))


def confirmed_years(years: Iterable[int]) -> set[int]:
    """Those of *years* whose schedule is confirmed: known to the library or given overrides (one query)."""
    years = set(years)
    confirmed = {y for y in years if library_year(y).known}
    rest = years - confirmed
    if rest:
        year_of_day = sa.extract("year", CalendarOverride.day)
        stmt = (
            sa.select(year_of_day)
            .where(CalendarOverride.day.between(date(min(rest), 1, 1), date(max(rest), 12, 31)))
            .distinct()
        )
        confirmed |= {int(y) for y in db.session.scalars(stmt)} & rest
    return confirmed


def _years(day: date, since: date | None) -> range:
    first, last = (min(day, since), max(day, since)) if since else (day, day)
    return range(first.year, last.year + 1)


def calendar_status(day: date, since: date | None = None) -> CalendarStatus:
    """"confirmed" when the official schedule of the day's year is known (library or overrides).

    With *since* (e.g. the start of a deadline), every year from there to *day* must be confirmed.
    """
    years = _years(day, since)
    return CONFIRMED if confirmed_years(years) == set(years) else UNCONFIRMED


def unconfirmed_warning(day: date, since: date | None = None) -> str | None:
    """The text a page shows beside a date worked out in an unconfirmed year, or None."""
    years = _years(day, since)
    missing = sorted(set(years) - confirmed_years(years))
    if not missing:
        return None
    return _(
        "The holiday schedule for %(year)d is not confirmed yet, so %(day)s was worked out from weekends "
        "only and may change once the official schedule is published.",
        year=missing[0], day=day.isoformat(),
    )


# A year at a glance (the admin page and `flask workdays show`) -----------------------------------
@dataclass(frozen=True)
class YearStatus:
    year: int
    library_known: bool
    override_count: int

    @property
    def confirmed(self) -> bool:
        return self.library_known or self.override_count > 0


@dataclass(frozen=True)
class DayException:
    """A weekday that is not a working day, or a weekend day that is."""

    day: date
    working: bool
    name: str | None
    # "override" or "library"
    source: str


def _year_range(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def year_overrides(year: int) -> list[CalendarOverride]:
    first, last = _year_range(year)
    return list(db.session.scalars(
        sa.select(CalendarOverride)
        .where(CalendarOverride.day.between(first, last))
        .options(joinedload(CalendarOverride.created_by))
        .order_by(CalendarOverride.day)
    ))


def year_status(year: int, overrides: list[CalendarOverride] | None = None) -> YearStatus:
    if overrides is None:
        overrides = year_overrides(year)
    return YearStatus(year, library_year(year).known, len(overrides))


def year_exceptions(year: int, overrides: list[CalendarOverride] | None = None,
                    language: str = DEFAULT_LIBRARY_LANGUAGE) -> list[DayException]:
    """Every day of *year* that differs from a plain Monday-to-Friday week, and why."""
    if overrides is None:
        overrides = year_overrides(year)
    by_day = {o.day: o for o in overrides}
    library = library_year(year, language)
    first, last = _year_range(year)
    result = []
    day = first
    while day <= last:
        override = by_day.get(day)
        if override is not None:
            working, name, source = override.is_working, override.name, "override"
        else:
            working, name, source = library.is_working(day), library.holidays.get(day), "library"
        if working != (day.weekday() < 5):
            result.append(DayException(day, working, name, source))
        day += ONE_DAY
    return result


# Admin changes -----------------------------------------------------------------------------------
def override_problem(day: date, kind: OverrideKind, existing: Mapping[date, object]) -> str | None:
    """Why an override of *kind* on *day* would be refused (translated), or None.

    *existing* holds the overrides already saved around the day. An override must change the day:
    a ``workday`` on a day that already works or a ``closure`` on a day already off is refused.
    """
    if day in existing:
        return _("%(day)s already has an override; delete it first to change it.", day=day.isoformat())
    library = library_year(day.year, display_language())
    if kind is OverrideKind.WORKDAY and library.is_working(day):
        if day in library.workdays:
            return _("%(day)s is already a make-up working day in the official schedule.", day=day.isoformat())
        return _("%(day)s is a weekday and already a working day.", day=day.isoformat())
    if kind is OverrideKind.CLOSURE and not library.is_working(day):
        if day in library.holidays:
            return _("%(day)s is already a holiday: %(name)s.", day=day.isoformat(), name=library.holidays[day])
        return _("%(day)s is a weekend day and already not a working day.", day=day.isoformat())
    return None


# Features whose data follow the calendar (the counter's slots) register here: each is called with the
# days an admin's change touched, in the same transaction, after the change is flushed.
CHANGE_LISTENERS: list = []


def _changed(days: list[date]) -> None:
    for listener in CHANGE_LISTENERS:
        listener(days)


def add_override(day: date, kind: OverrideKind, name: str, by=None) -> CalendarOverride:
    problem = override_problem(day, kind, overrides_between(day, day))
    if problem:
        raise CalendarError(problem)
    override = CalendarOverride(day=day, kind=kind, name=name.strip(), created_by_id=by.id if by else None)
    db.session.add(override)
    db.session.flush()
    _changed([day])
    return override


def delete_override(override: CalendarOverride) -> None:
    day = override.day
    db.session.delete(override)
    db.session.flush()
    _changed([day])


@dataclass(frozen=True)
class ScheduleLine:
    number: int
    day: date
    kind: OverrideKind
    name: str


DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _line_problem(number: int, problem: str) -> str:
    return _("Line %(number)d: %(problem)s", number=number, problem=problem)


def parse_schedule(text: str) -> tuple[list[ScheduleLine], list[tuple[int, str]]]:
    """Read lines ``YYYY-MM-DD closure|workday name``; blank lines and lines starting with # are skipped.

    Returns the good lines and (line number, problem) for every bad one.
    """
    lines: list[ScheduleLine] = []
    problems: list[tuple[int, str]] = []
    seen: dict[date, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(maxsplit=2)
        if len(parts) < 3:
            problems.append((number, _("Write the day, closure or workday, and a name, e.g. "
                                       "“2027-10-08 closure 国庆节”.")))
            continue
        day_text, kind_text, name = parts
        found = []
        day = None
        try:
            if not DAY_RE.fullmatch(day_text):
                raise ValueError(day_text)
            day = date.fromisoformat(day_text)
        except ValueError:
            found.append(_("“%(value)s” is not a date written YYYY-MM-DD.", value=day_text))
        try:
            kind = OverrideKind(kind_text.lower())
        except ValueError:
            found.append(_("The kind must be closure or workday, not “%(value)s”.", value=kind_text))
        if len(name) > NAME_MAX_LENGTH:
            found.append(_("The name is longer than %(max)d characters.", max=NAME_MAX_LENGTH))
        if day is not None and day in seen:
            found.append(_("%(day)s is already on line %(line)d.", day=day.isoformat(), line=seen[day]))
        if day is not None:
            seen.setdefault(day, number)
        if found:
            problems.extend((number, problem) for problem in found)
        else:
            lines.append(ScheduleLine(number, day, kind, name))
    return lines, problems


def add_schedule(text: str, by=None) -> list[CalendarOverride]:
    """Save every line of a pasted schedule, or none: ScheduleError lists every bad line by number."""
    lines, problems = parse_schedule(text)
    if not lines and not problems:
        raise ScheduleError([_("Paste at least one line.")])
    existing = overrides_between(min(l.day for l in lines), max(l.day for l in lines)) if lines else {}
    for line in lines:
        problem = override_problem(line.day, line.kind, existing)
        if problem:
            problems.append((line.number, problem))
    if problems:
        problems.sort(key=lambda p: p[0])
        raise ScheduleError([_line_problem(number, problem) for number, problem in problems])
    created = [
        CalendarOverride(day=line.day, kind=line.kind, name=line.name, created_by_id=by.id if by else None)
        for line in lines
    ]
    db.session.add_all(created)
    db.session.flush()
    _changed([c.day for c in created])
    return created
