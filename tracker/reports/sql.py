"""SQL the two engines spell differently, for the report's aggregates: local months and weeks of a column,
seconds between two timestamps, and a percentile that both can compute (SQLite has no percentile_cont).

Each is a SQLAlchemy construct compiled per dialect, so the section modules write one query for both.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

# Asia/Shanghai has had no daylight saving time since 1991: a fixed +8 hours is exact for the survey's years.
_SQLITE_LOCAL = "+8 hours"
_PG_ZONE = "Asia/Shanghai"


class local_month(FunctionElement):
    """'YYYY-MM' of a date column, or of a UTC timestamp column read in local time (local=True)."""

    type = sa.String()
    inherit_cache = True

    def __init__(self, column, local: bool = False):
        self.local = local
        super().__init__(column)


@compiles(local_month, "sqlite")
def _month_sqlite(element, compiler, **kw):
    column = compiler.process(list(element.clauses)[0], **kw)
    shift = f", '{_SQLITE_LOCAL}'" if element.local else ""
    return f"strftime('%Y-%m', {column}{shift})"


@compiles(local_month, "postgresql")
def _month_pg(element, compiler, **kw):
    column = compiler.process(list(element.clauses)[0], **kw)
    if element.local:
        column = f"({column} AT TIME ZONE '{_PG_ZONE}')"
    return f"to_char({column}, 'YYYY-MM')"


class week_start(FunctionElement):
    """The Monday (ISO week) of a date column, as 'YYYY-MM-DD' text on both engines."""

    type = sa.String()
    inherit_cache = True


@compiles(week_start, "sqlite")
def _week_sqlite(element, compiler, **kw):
    column = compiler.process(list(element.clauses)[0], **kw)
    # 'weekday 0' moves to the coming Sunday (or stays on one); six days back is that week's Monday.
    return f"date({column}, 'weekday 0', '-6 days')"


@compiles(week_start, "postgresql")
def _week_pg(element, compiler, **kw):
    column = compiler.process(list(element.clauses)[0], **kw)
    return f"to_char(date_trunc('week', {column}), 'YYYY-MM-DD')"


class seconds_between(FunctionElement):
    """end - start in seconds (a float), for two UTC timestamp columns; NULL when either is."""

    type = sa.Float()
    inherit_cache = True


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_pg(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


def percentiles(session, value, conditions, percents=(50, 90), select_from=None) -> dict[int, float | None]:
    """Nearest-rank percentiles of *value* over the rows that meet *conditions*, in one statement on either
    engine (SQLite has no percentile_cont): a window numbers the ordered values, and the rows at the asked
    ranks, ceil(total * p / 100) in integer arithmetic, are kept. {50: median, 90: 90th}; None for no rows."""
    numbered = sa.select(value.label("v"), sa.func.row_number().over(order_by=value).label("n"),
                         sa.func.count().over().label("total"))
    if select_from is not None:
        numbered = numbered.select_from(select_from)
    numbered = numbered.where(*conditions, value.is_not(None)).subquery()
    ranks = {p: (numbered.c.total * p + 99) // 100 for p in percents}
    rows = session.execute(sa.select(numbered.c.n, numbered.c.total, numbered.c.v)
                           .where(sa.or_(*(numbered.c.n == rank for rank in ranks.values())))).all()
    found = {int(n): v for n, total, v in rows}
    total = rows[0][1] if rows else 0
    return {p: found.get(-(-total * p // 100)) if total else None for p in percents}


# Added for the counter's section ---------------------------------------------------------------------------
class local_date(FunctionElement):
    """The local (Asia/Shanghai) date of a UTC timestamp column, comparable with a Date column on both engines
    ('YYYY-MM-DD' text on SQLite, as SQLite stores dates; a date on PostgreSQL)."""

    type = sa.Date()
    inherit_cache = True


@compiles(local_date, "sqlite")
def _local_date_sqlite(element, compiler, **kw):
    column = compiler.process(list(element.clauses)[0], **kw)
    return f"date({column}, '{_SQLITE_LOCAL}')"


@compiles(local_date, "postgresql")
def _local_date_pg(element, compiler, **kw):
    column = compiler.process(list(element.clauses)[0], **kw)
    return f"CAST(({column} AT TIME ZONE '{_PG_ZONE}') AS DATE)"


class add_days(FunctionElement):
    """A date column plus a whole number of days (a literal int), a date on both engines."""

    type = sa.Date()
    inherit_cache = True

    def __init__(self, column, days: int):
        self.days = int(days)
        super().__init__(column)


@compiles(add_days, "sqlite")
def _add_days_sqlite(element, compiler, **kw):
    column = compiler.process(list(element.clauses)[0], **kw)
    return f"date({column}, '{element.days:+d} days')"


@compiles(add_days, "postgresql")
def _add_days_pg(element, compiler, **kw):
    column = compiler.process(list(element.clauses)[0], **kw)
    return f"({column} + {element.days:d})"


def percentiles_by(session, series: dict, percents=(50, 90)) -> dict[tuple[str, str], dict[int, float | None]]:
    """Nearest-rank percentiles, as ``percentiles``, of several values each split by a group, in ONE statement.

    *series* maps a name to ``(value, group, conditions)`` or ``(value, group, conditions, select_from)``: the
    value's rows meeting the conditions, split by *group* (a text expression such as the period a row belongs
    to); the parts are one UNION ALL. Returns ``{(name, group): {p: value}}`` for the groups that have rows (a
    missing group has none).

    PostgreSQL computes them with percentile_disc, an aggregate (one sort, no window to materialise), which is
    the nearest rank ceil(N * p / 100); its fraction is taken a hair below p / 100 so that the float product
    cannot round up past an exact rank (0.55 * 100 is 55.00000000000001 in floats), which keeps both engines'
    answers equal for any N below a billion. SQLite numbers the ordered values with a window, as
    ``percentiles``."""
    if not series:
        return {}
    specs = []
    for name, spec in series.items():
        value, group, conditions = spec[:3]
        specs.append((name, value, group, conditions, spec[3] if len(spec) > 3 else None))
    if session.get_bind().dialect.name == "postgresql":
        parts = []
        for name, value, group, conditions, select_from in specs:
            part = sa.select(sa.cast(sa.literal(name), sa.String).label("series"), sa.cast(group, sa.String).label("g"),
                             *(sa.func.percentile_disc(p / 100 - 1e-12).within_group(value).label(f"p{p}")
                               for p in percents))
            if select_from is not None:
                part = part.select_from(select_from)
            parts.append(part.where(*conditions, value.is_not(None)).group_by(group))
        rows = session.execute(sa.union_all(*parts)).all()
        return {(row.series, row.g): {p: getattr(row, f"p{p}") for p in percents} for row in rows}
    parts = []
    for name, value, group, conditions, select_from in specs:
        part = sa.select(sa.cast(sa.literal(name), sa.String).label("series"), sa.cast(group, sa.String).label("g"),
                         value.label("v"),
                         sa.func.row_number().over(partition_by=group, order_by=value).label("n"),
                         sa.func.count().over(partition_by=group).label("total"))
        if select_from is not None:
            part = part.select_from(select_from)
        parts.append(part.where(*conditions, value.is_not(None)))
    numbered = sa.union_all(*parts).subquery()
    ranks = [(numbered.c.total * p + 99) // 100 for p in percents]
    rows = session.execute(sa.select(numbered.c.series, numbered.c.g, numbered.c.n, numbered.c.total, numbered.c.v)
                           .where(sa.or_(*(numbered.c.n == rank for rank in ranks)))).all()
    found: dict[tuple[str, str], dict[int, float]] = {}
    totals: dict[tuple[str, str], int] = {}
    for name, group, n, total, v in rows:
        found.setdefault((name, group), {})[int(n)] = v
        totals[(name, group)] = int(total)
    return {key: {p: values.get(-(-totals[key] * p // 100)) for p in percents} for key, values in found.items()}
