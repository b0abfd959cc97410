"""Reports and drill-down pages built through the kept figures of reports/cache.py, and the refresher that
counts the reports in use again (the consumer's refresh_report_cache task, every minute).

Apart from cache.py because building a report needs the sections (queries.build_report), which need the
cache: this module sits above both.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from tracker.database import write_lock_outside_requests
from tracker.extensions import db
from tracker.reports.cache import CLAIM_TIMEOUT, _connection, _seconds, building, execute, first_entities, min_ms
from tracker.reports.models import ReportCacheEntry, ReportCacheReport
from tracker.reports.queries import build_report
from tracker.types import utcnow

log = logging.getLogger("tracker.reports.refresh")


def rebuild(identity: dict):
    """The report *identity* names, for its reader as he may see it now; None when he no longer may (or it
    is gone)."""
    from flask_babel import force_locale

    from tracker.auth.models import User
    from tracker.campaigns.models import Campaign
    from tracker.reports.scope import scope_outside_request

    with force_locale(identity.get("locale") or current_app.config["BABEL_DEFAULT_LOCALE"]):
        scope = scope_outside_request(db.session.get(User, identity.get("user")),
                                      db.session.get(Campaign, identity.get("campaign")), identity.get("args"))
        if scope is None:
            return None
        if "listing" in identity:
            return listing_page(scope, identity["listing"], refresh=True)
        return build_report(scope, refresh=True)


def listing_page(scope, asked: dict, per_page: int = 50, refresh: bool = False):
    """A drill-down's page: its total and its rows (ids kept as a preview's are), under the scope's filters.
    *asked* is {"key", "args" (the query string: filters and the listing's own), "page"}; None for an unknown
    listing."""
    from werkzeug.datastructures import MultiDict

    from tracker.pagination import Page
    from tracker.reports import listings

    built = listings.build(asked["key"], scope, MultiDict(asked.get("args") or {}))
    if built is None:
        return None
    with building(scope, refresh=refresh, listing=asked):
        if built.scalars:
            items = lambda offset, limit: first_entities(built.select, built.options or (), limit, offset)  # noqa: E731
        else:
            items = lambda offset, limit: list(db.session.execute(  # noqa: E731
                built.select.offset(offset).limit(limit).options(*(built.options or ()))).all())
        page = Page.of(asked.get("page"), per_page, count=lambda: execute(built.count).scalar() or 0, items=items)
    return built, page


def refresh_reports(limit: int = 10, now: datetime | None = None) -> dict[str, int]:
    """Count again the reports read lately whose figures are no longer fresh (the most recently read first,
    *limit* of them), and forget the reports nobody has read within REPORT_CACHE_KEEP_HOURS."""
    done = {"refreshed": 0, "dropped": 0, "purged": 0}
    if min_ms() is None:
        return done
    now = now or utcnow()
    keep = timedelta(hours=float(current_app.config["REPORT_CACHE_KEEP_HOURS"]))
    fresh = _seconds("REPORT_CACHE_FRESH_SECONDS")
    table = ReportCacheReport.__table__
    due = db.session.execute(
        sa.select(table.c.key, table.c.identity)
        .where(table.c.read_at >= now - keep, table.c.refreshed_at < now - fresh,
               sa.or_(table.c.refreshing_since.is_(None), table.c.refreshing_since < now - CLAIM_TIMEOUT))
        .order_by(table.c.read_at.desc()).limit(limit)).all()
    db.session.rollback()
    for key, identity in due:
        with _connection() as conn:
            claimed = conn.execute(
                table.update().where(table.c.key == key, sa.or_(table.c.refreshing_since.is_(None),
                                                                table.c.refreshing_since < now - CLAIM_TIMEOUT))
                .values(refreshing_since=utcnow())).rowcount == 1
        if not claimed:
            continue
        # The build only reads: its session must not take SQLite's write lock for the minute a national report
        # may take (officers' saves would wait); the kept rows are written through transactions of their own.
        token = write_lock_outside_requests.set(False)
        try:
            report = rebuild(identity)
        except Exception:
            log.exception("report %s could not be counted again", key)
            db.session.rollback()
            with _connection() as conn:
                conn.execute(table.update().where(table.c.key == key).values(refreshing_since=None))
            continue
        finally:
            write_lock_outside_requests.reset(token)
        db.session.rollback()  # the build only read
        if report is None:
            _forget(sa.select(table.c.key).where(table.c.key == key))
            done["dropped"] += 1
        else:
            done["refreshed"] += 1
    done["purged"] = _forget(sa.select(table.c.key).where(table.c.read_at < now - keep))
    entries = ReportCacheEntry.__table__
    with _connection() as conn:
        conn.execute(entries.delete().where(entries.c.computed_at < now - keep))
    return done


def _forget(keys: sa.Select) -> int:
    """Delete the reports *keys* selects, with their kept statements."""
    table, entries = ReportCacheReport.__table__, ReportCacheEntry.__table__
    with _connection() as conn:
        found = list(conn.scalars(keys))
        if found:
            conn.execute(entries.delete().where(entries.c.report_key.in_(found)))
            conn.execute(table.delete().where(table.c.key.in_(found)))
    return len(found)
