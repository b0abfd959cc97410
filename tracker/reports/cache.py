"""Slow figures kept for a few minutes: what makes a national dashboard a page rather than a wait.

A national campaign's report aggregates millions of rows (3,000,000 appointments, 1,000,000 needs): each
reader would wait 20 seconds for figures that change by a handful a minute. So a section's aggregate
statement goes through :func:`execute`, and one that took longer than ``REPORT_CACHE_MIN_MS`` has its rows
kept (``ReportCacheEntry``, by a digest of its SQL and parameters on its database). The next reader of the
same figures gets them from there while they are younger than ``REPORT_CACHE_MAX_AGE_SECONDS``; a periodic
job (`reports/refresh.py`, every minute) counts again the reports read within ``REPORT_CACHE_KEEP_HOURS``
whose figures are older than ``REPORT_CACHE_FRESH_SECONDS``, so a report in use stays at most a few minutes
old, and the page says when its kept figures were counted. A small office's statements are fast and never
kept: its figures are always live.

What is kept is what the statement returned (counts, sums, dates, enum members), never a page: labels,
links and the reader's language are applied again on each request. The statement's SQL bounds the report
to its offices (``ReportScope.office_bounds``), so an entry is reachable only by a reader whose scope sends
the very same statement. Writes go through a connection of their own (not the request's session): a GET
never commits the session, and the cache is not the request's data (RFC 9110 allows a safe request caches).

Set ``REPORT_CACHE_MIN_MS`` to None to count every figure live (the test suite does, except the tests of
this module).
"""
from __future__ import annotations

import collections
import contextlib
import contextvars
import functools
import hashlib
import json
import logging
import pickle
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator

import sqlalchemy as sa
from flask import current_app, g, has_request_context

from tracker.database import write_lock_outside_requests
from tracker.extensions import db
from tracker.reports.models import ReportCacheEntry, ReportCacheReport
from tracker.types import utcnow

log = logging.getLogger("tracker.reports.cache")

# Part of every key: bump when what a statement's rows mean changes without its SQL changing.
VERSION = "1"
# A refresher that died holding a report gives it up after this long.
CLAIM_TIMEOUT = timedelta(minutes=10)
# A reader bumps the report's read_at at most this often (a read costs no write).
READ_TOUCH = timedelta(minutes=10)


@dataclass
class Build:
    """One report being built: who for (``identity``), whether it refreshes (counts every kept statement again),
    what it knew before (``known``: its kept statements' rows by key, read in one query; None when the report
    keeps none yet, so each statement is looked up by its key, which finds another reader's) and what it used."""

    report_key: str
    identity: dict
    refresh: bool = False
    read_at: datetime | None = None
    known: dict[str, Any] | None = None
    used: set[str] = field(default_factory=set)  # the keys it kept or read kept
    oldest: datetime | None = None  # when the oldest kept rows it used were counted
    stored: int = 0
    listed: tuple[str, ...] = ()  # the statement keys its row held


_build: contextvars.ContextVar[Build | None] = contextvars.ContextVar("report_cache_build", default=None)


def min_ms() -> float | None:
    value = current_app.config.get("REPORT_CACHE_MIN_MS")
    return None if value is None or float(value) < 0 else float(value)


def _seconds(name: str) -> timedelta:
    return timedelta(seconds=float(current_app.config[name]))


def digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join((VERSION, *parts)).encode()).hexdigest()


def identity_of(scope, listing: dict | None = None) -> dict:
    """What builds the report again: its campaign, its reader, his language, and the filters as asked (the
    period only when one was asked for: the default one ends today, whichever day that is)."""
    from flask_babel import get_locale

    args = scope.filters.args()
    if not scope.filters.explicit_period:
        args.pop("from", None)
        args.pop("to", None)
    identity = {"campaign": scope.campaign.id, "user": scope.user.id, "locale": str(get_locale() or ""),
                "args": {k: str(v) for k, v in sorted(args.items())}}
    if listing is not None:  # a drill-down's page: its key, its own arguments and the page number
        identity["listing"] = listing
    return identity


@contextlib.contextmanager
def building(scope, refresh: bool = False, listing: dict | None = None) -> Iterator[Build | None]:
    """Around a report's build (or a drill-down page's, *listing*): its aggregate statements may be kept
    (None when the cache is off)."""
    if min_ms() is None or scope.user is None:
        yield None
        return
    identity = identity_of(scope, listing)
    key = digest("report", json.dumps(identity, sort_keys=True))
    build = Build(key, identity, refresh)
    row = db.session.execute(sa.select(ReportCacheReport.read_at, ReportCacheReport.statement_keys)
                             .where(ReportCacheReport.key == key)).first()
    if row is not None:
        build.read_at, build.listed = row.read_at, tuple(row.statement_keys or ())
        build.known = {}
        if build.listed and not refresh:
            build.known = {e.key: e for e in db.session.execute(
                sa.select(ReportCacheEntry.key, ReportCacheEntry.rows, ReportCacheEntry.computed_at)
                .where(ReportCacheEntry.key.in_(build.listed)))}
    token = _build.set(build)
    try:
        yield build
    finally:
        _build.reset(token)
    _record(build)


def _record(build: Build) -> None:
    """After a build: a report that keeps rows is recorded, with the keys it keeps (a refresh says when it
    counted); a reader bumps read_at now and then."""
    now = utcnow()
    table = ReportCacheReport.__table__
    keys = sorted(build.used)
    if build.refresh:
        _write(lambda conn: conn.execute(table.update().where(table.c.key == build.report_key)
                                         .values(refreshed_at=now, refreshing_since=None, statement_keys=keys)))
        return
    if not build.used:
        return
    if build.read_at is None or build.stored or tuple(keys) != build.listed:
        # A reader whose figures were all kept by another's report has one of his own from now on (refreshed
        # for him, and dropped if he may no longer read it), as old as those figures.
        values = {"key": build.report_key, "identity": build.identity, "read_at": now, "statement_keys": keys,
                  "refreshed_at": now if build.stored else (build.oldest or now)}
        _write(lambda conn: conn.execute(_upsert(conn, table, values, ("key",),
                                                 ("identity", "read_at", "statement_keys"))))
    elif build.read_at < now - READ_TOUCH:
        _write(lambda conn: conn.execute(table.update().where(table.c.key == build.report_key).values(read_at=now)))


def _write(operation: Callable) -> None:
    """Run *operation(conn)* in a transaction of its own. In a request, after it (flush_writes): a request
    holds its session's connection until its end, and thirty readers each waiting for a second connection
    while holding one would drain the pool."""
    if has_request_context():
        g.setdefault("report_cache_writes", []).append(operation)
        return
    with _connection() as conn:
        operation(conn)


def flush_writes(error: BaseException | None = None) -> None:
    """At the request's end (teardown_app_request): its session's connection given back first, then the
    kept rows written in one transaction. A failure to keep them is logged, never the reader's error."""
    operations = g.pop("report_cache_writes", None)
    if not operations or error is not None:
        return
    db.session.remove()
    try:
        with _connection() as conn:
            for operation in operations:
                operation(conn)
    except sa.exc.SQLAlchemyError:
        log.warning("report figures could not be kept", exc_info=True)


@contextlib.contextmanager
def _connection():
    """A transaction of its own, apart from the request's session (which a GET never commits)."""
    token = write_lock_outside_requests.set(True)
    try:
        with db.engine.begin() as conn:
            yield conn
    finally:
        write_lock_outside_requests.reset(token)


def _upsert(conn, table, values: dict, index: tuple, update: tuple):
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table).values(**values)
    return stmt.on_conflict_do_update(index_elements=list(index), set_={c: stmt.excluded[c] for c in update})


class Rows(list):
    """A statement's rows, kept or live, read as a Result's ``.all()`` would be."""

    def all(self) -> "Rows":
        return self

    def first(self):
        return self[0] if self else None

    def scalar(self):
        return self[0][0] if self else None

    def one(self):
        if len(self) != 1:
            raise ValueError(f"{len(self)} rows where one was expected")
        return self[0]


class _KeptRowBase:
    """What a kept row adds to its namedtuple: ``_mapping``, as sqlalchemy's Row has."""

    __slots__ = ()

    @property
    def _mapping(self) -> dict:
        return dict(zip(self._names, self))


@functools.lru_cache(maxsize=256)
def _row_type(fields: tuple[str, ...]) -> type:
    """A kept row's type: by position, by unpacking and by attribute (C-level, as fast as a Row's)."""
    base = collections.namedtuple("KeptRow", fields, rename=True)
    # _names: the columns' own names (a name that is no identifier is renamed in _fields, not in _mapping).
    return type("KeptRow", (_KeptRowBase, base), {"__slots__": (), "_names": fields})


def _kept_rows(blob: bytes) -> Rows:
    fields, values = pickle.loads(blob)  # noqa: S301 - written by this app alone, from its own statements
    make = _row_type(tuple(fields))._make
    return Rows(map(make, values))


# The SQL of each statement shape this process has compiled, by sqlalchemy's cache key (the one its own
# compiled cache uses): a statement is compiled once per shape, not once per report.
_sql_of_shape: dict = {}


def statement_key(stmt) -> str:
    """A digest of the statement's SQL on this database and of its parameters' values."""
    dialect = db.session.get_bind().dialect
    cache_key = stmt._generate_cache_key()  # sqlalchemy's documented recipe for result caches (dogpile)
    if cache_key is None:
        compiled = stmt.compile(dialect=dialect)
        return digest(dialect.name, str(compiled), repr(sorted((k, repr(v)) for k, v in compiled.params.items())))
    shape = (dialect.name, cache_key.key)
    sql = _sql_of_shape.get(shape)
    if sql is None:
        sql = _sql_of_shape[shape] = str(stmt.compile(dialect=dialect))
        if len(_sql_of_shape) > 10_000:  # shapes are a few dozen; never grow without bound
            _sql_of_shape.clear()
    values = [bind.effective_value for bind in cache_key.bindparams]
    return digest(dialect.name, sql, repr(values))


def execute(stmt) -> Rows:
    """The rows of an aggregate statement: kept ones while young enough, else counted (and kept if slow)."""
    build = _build.get()
    if build is None:
        return Rows(db.session.execute(stmt).all())
    key = statement_key(stmt)
    if build.known is None:  # no kept statements of its own yet: perhaps another reader's
        existing = db.session.execute(sa.select(ReportCacheEntry.key, ReportCacheEntry.rows,
                                                ReportCacheEntry.computed_at)
                                      .where(ReportCacheEntry.key == key)).first()
    else:
        existing = build.known.get(key)
    if existing is not None and not build.refresh and existing.computed_at > utcnow() - _seconds(
            "REPORT_CACHE_MAX_AGE_SECONDS"):
        build.used.add(key)
        build.oldest = existing.computed_at if build.oldest is None else min(build.oldest, existing.computed_at)
        return _kept_rows(existing.rows)
    started = time.perf_counter()
    result = db.session.execute(stmt)
    fields, rows = tuple(result.keys()), result.all()
    took = (time.perf_counter() - started) * 1000
    if took >= min_ms() or (build.refresh and key in build.listed):
        blob = pickle.dumps((fields, [tuple(row) for row in rows]), protocol=pickle.HIGHEST_PROTOCOL)
        values = {"key": key, "report_key": build.report_key, "rows": blob, "computed_at": utcnow(),
                  "took_ms": int(took)}
        _write(lambda conn: conn.execute(_upsert(conn, ReportCacheEntry.__table__, values, ("key",),
                                                 ("report_key", "rows", "computed_at", "took_ms"))))
        build.stored += 1
        build.used.add(key)
    return Rows(rows)


def first_entities(select, options, limit: int, offset: int = 0) -> list:
    """The first *limit* entities of a listing's ORM select (a preview of it on the dashboard). Their ids go
    through :func:`execute` (a national preview orders thousands of rows for five); the entities are then
    loaded by id through the same select, its joins and options intact, which the ids make a few index
    lookups. Without a build (the cache off), or for a select of several columns, one plain statement."""
    descriptions = select.column_descriptions
    entity = descriptions[0].get("entity") if len(descriptions) == 1 else None
    mapper = sa.inspect(entity, raiseerr=False) if entity is not None else None
    if _build.get() is None or mapper is None or len(mapper.primary_key) != 1:
        return list(db.session.scalars(select.offset(offset).limit(limit).options(*options)).unique())
    pk = mapper.primary_key[0]
    ids = list(dict.fromkeys(row[0] for row in execute(
        select.with_only_columns(pk, maintain_column_froms=True).offset(offset).limit(limit))))
    # Loaded even when there are none, so the page sends the same statements whatever the data.
    # Through the listing's own select (its options may fill relationships from its joins: contains_eager),
    # unordered: the ids give the order (an ORDER BY could lead the planner to walk an index past them).
    found = {getattr(obj, pk.key): obj for obj in db.session.scalars(
        select.where(pk.in_(ids)).order_by(None).options(*options)).unique()}
    return [found[i] for i in ids if i in found]


class _Reader:
    """What ``sql.percentiles`` needs of a session, through the cache."""

    @staticmethod
    def execute(stmt) -> Rows:
        return execute(stmt)

    @staticmethod
    def get_bind():
        return db.session.get_bind()


reader = _Reader()
