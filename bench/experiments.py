"""Evidence for the fixes bench/README.md proposes: the list's queries as the app builds them today,
next to the proposed shapes, timed on a 100,000-firm database (SQLite or PostgreSQL).

    .venv/bin/python bench/experiments.py --db sqlite
    .venv/bin/python bench/experiments.py --db postgresql

It changes no app code: the proposed queries are built here from the app's own ListFilters, and the
proposed index is created on the benchmark's throw-away database only.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import sqlalchemy as sa  # noqa: E402
from werkzeug.datastructures import MultiDict  # noqa: E402

import datagen  # noqa: E402
import run  # noqa: E402

PAGE_SIZE = 50
CASES = {
    "list": {},
    "page_deep": {"page": "500"},
    "search_name": {"q": datagen.NAME_TERM},
    "search_pinyin": {"q": "ylsf"},
    "search_broad": {"q": "耐火"},
    "filtered": {"credit": "general_credit", "trade_mode": "0110", "sort": "-declarations"},
}
INDEX = "bench_ix_enterprises_name_pinyin"


def timed(fn, repeat: int) -> float:
    fn()  # warm
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 1)


def shapes(args: dict, user):
    """(current items, current count, lean count, deferred-join items, one-scan items) for one page."""
    from tracker.imports.models import DeclarationCount
    from tracker.enterprises.models import Enterprise
    from tracker.enterprises.queries import SORTS, ListFilters

    filters = ListFilters(MultiDict(args))
    stmt = filters.select(user)
    page = int(args.get("page", 1))
    offset = (page - 1) * PAGE_SIZE
    current_items = stmt.limit(PAGE_SIZE).offset(offset)
    # What RowPagination._query_count sends today.
    current_count = sa.select(sa.func.count()).select_from(
        stmt.order_by(None).options(sa.orm.noload("*")).subquery())
    # Proposed: count the firms that pass the filters, without the outer join and the selected columns.
    lean_count = sa.select(sa.func.count()).select_from(Enterprise).where(stmt.whereclause)
    # Proposed: pick the page's ids on narrow rows (the sort key and the id), then load those 50 firms.
    inner = sa.select(Enterprise.id)
    if filters.sort == "-declarations":
        inner = inner.outerjoin(DeclarationCount, sa.and_(DeclarationCount.enterprise_id == Enterprise.id,
                                                          DeclarationCount.year == filters.year))
    inner = inner.where(stmt.whereclause).order_by(*SORTS[filters.sort]).limit(PAGE_SIZE).offset(offset).subquery()
    deferred_items = stmt.join(inner, inner.c.id == Enterprise.id)
    # Proposed for searches: one scan gives the page and the total (count(*) OVER ()).
    one_scan = current_items.add_columns(sa.func.count().over().label("total"))
    return filters, current_items, current_count, lean_count, deferred_items, one_scan


def exists_trade_mode(args: dict, user):
    """The filtered list with the trade-mode filter as a correlated EXISTS instead of IN (subquery)."""
    from tracker.enterprises.models import Enterprise, TradeMode, enterprise_trade_modes as etm
    from tracker.enterprises.queries import ListFilters

    rest = {k: v for k, v in args.items() if k != "trade_mode"}
    filters = ListFilters(MultiDict(rest))
    stmt = filters.select(user).where(sa.exists().where(
        etm.c.enterprise_id == Enterprise.id,
        etm.c.trade_mode_id == sa.select(TradeMode.id).where(TradeMode.code == args["trade_mode"]).scalar_subquery()))
    lean = sa.select(sa.func.count()).select_from(Enterprise).where(stmt.whereclause)
    return stmt.limit(PAGE_SIZE), lean


def ids_first(args: dict, user):
    """One pass over the matching firms for their ids and sort keys (no ORDER BY/LIMIT, so no index walk);
    the total is the number of ids, the page is sorted in Python, then its 50 firms are loaded by id."""
    from tracker.imports.models import DeclarationCount
    from tracker.enterprises.models import Enterprise
    from tracker.enterprises.queries import ListFilters
    from tracker.extensions import db

    filters = ListFilters(MultiDict(args))
    stmt = filters.select(user)
    page = int(args.get("page", 1))
    if filters.sort == "-declarations":
        keys = (sa.select(Enterprise.id, sa.func.coalesce(DeclarationCount.declarations, -1))
                .outerjoin(DeclarationCount, sa.and_(DeclarationCount.enterprise_id == Enterprise.id,
                                                     DeclarationCount.year == filters.year)))
        order = lambda r: (-r[1], r[0])  # noqa: E731
    else:
        keys = sa.select(Enterprise.id, Enterprise.name_pinyin)
        order = lambda r: (r[1], r[0])  # noqa: E731
    rows = db.session.execute(keys.where(stmt.whereclause)).all()
    rows.sort(key=order)
    page_ids = [r[0] for r in rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]]
    items = db.session.execute(stmt.where(Enterprise.id.in_(page_ids))).unique().all()
    return len(rows), [e.id for e, _ in items]


def run_case(name: str, args: dict, user, repeat: int) -> dict:
    from tracker.extensions import db

    filters, items, count, lean, deferred, one_scan = shapes(args, user)
    session = db.session

    def rows(stmt):
        return lambda: session.execute(stmt).unique().all()

    def scalar(stmt):
        return lambda: session.execute(stmt).scalar()

    result = {
        "items_ms": timed(rows(items), repeat),
        "count_ms": timed(scalar(count), repeat),
        "lean_count_ms": timed(scalar(lean), repeat),
        "deferred_items_ms": timed(rows(deferred), repeat),
        "one_scan_items_ms": timed(rows(one_scan), repeat),
    }
    # The proposed shapes must return what the app shows today.
    same_rows = [e.id for e, _ in session.execute(items).unique().all()] == \
        [e.id for e, _ in session.execute(deferred).unique().all()]
    same_count = session.execute(count).scalar() == session.execute(lean).scalar()
    result["ids_first_ms"] = timed(lambda: ids_first(args, user), repeat)
    total, ids = ids_first(args, user)
    result["ids_first_same"] = (total == session.execute(count).scalar()
                                and ids == [e.id for e, _ in session.execute(items).unique().all()])
    if "trade_mode" in args:
        ex_items, ex_count = exists_trade_mode(args, user)
        result["exists_items_ms"] = timed(rows(ex_items), repeat)
        result["exists_lean_count_ms"] = timed(scalar(ex_count), repeat)
        result["exists_same"] = session.execute(ex_count).scalar() == session.execute(count).scalar()
    result["deferred_same_rows"] = same_rows
    result["lean_same_count"] = same_count
    result["total"] = session.execute(lean).scalar()
    session.rollback()
    return result


def plans(engine, name: str, args: dict, user) -> dict:
    """EXPLAIN of the current and the deferred items query for one page."""
    from tracker.extensions import db

    import measure

    _, items, _, lean, deferred, _ = shapes(args, user)
    out = {}
    for label, stmt in (("current", items), ("deferred", deferred), ("lean_count", lean)):
        compiled = stmt.compile(dialect=engine.dialect)
        params = compiled.params
        sql = str(compiled)
        if engine.dialect.name == "sqlite":
            params = tuple(params[k] for k in compiled.positiontup)
        out[label] = measure.explain(engine, sql, params)
    db.session.rollback()
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--firms", type=int, default=run.FULL_FIRMS)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args(argv)

    from tracker.auth.models import User
    from tracker.extensions import db

    workdir = Path(tempfile.mkdtemp(prefix="tracker-bench-exp-"))
    os.environ["TRACKER_INSTANCE_PATH"] = str(workdir / "instance")
    target = run.Target(args.db, workdir)
    url = target.fresh("experiments")
    firmset = datagen.FirmSet(args.firms)
    app, _ = run.migrated_app(url)
    run.load_firms(app, firmset, args.firms)
    report = {"db": args.db, "firms": args.firms, "repeat": args.repeat, "cases": {}, "plans": {}}
    from tracker.database import write_lock_outside_requests

    # Reads only, like a GET request: no SQLite write lock held by the session (the index needs it).
    write_lock_outside_requests.set(False)
    with app.app_context():
        engine = db.engine
        user = db.session.scalar(sa.select(User).where(User.username == run.MANAGER))
        for stage in ("without_index", "with_index"):
            if stage == "with_index":
                db.session.rollback()
                with engine.begin() as conn:
                    conn.exec_driver_sql(f"CREATE INDEX {INDEX} ON enterprises (name_pinyin, id)")
                datagen.analyze(engine)
            for name, case in CASES.items():
                r = run_case(name, case, user, args.repeat)
                report["cases"].setdefault(name, {})[stage] = r
                print(f"{args.db} {stage:<14} {name:<14} items {r['items_ms']:7.1f}  count {r['count_ms']:6.1f}  "
                      f"lean count {r['lean_count_ms']:6.1f}  deferred items {r['deferred_items_ms']:7.1f}  "
                      f"one-scan items {r['one_scan_items_ms']:7.1f}  ids-first (page+total) {r['ids_first_ms']:6.1f} "
                      f"{r['ids_first_same']}"
                      + (f"  EXISTS items {r['exists_items_ms']:6.1f} count {r['exists_lean_count_ms']:6.1f} {r['exists_same']}"
                         if "exists_same" in r else "") + f" ms  total {r['total']}  "
                      f"same rows {r['deferred_same_rows']} same count {r['lean_same_count']}", flush=True)
            for name in ("list", "page_deep", "filtered"):
                report["plans"].setdefault(name, {})[stage] = plans(engine, name, CASES[name], user)
        db.session.remove()
        engine.dispose()
    target.cleanup()
    shutil.rmtree(workdir, ignore_errors=True)
    run.RESULTS.mkdir(exist_ok=True)
    out = run.RESULTS / f"experiments-{args.db}.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print(f"written {out}")
    import report as report_module

    report_module.refresh_experiments(run.HOME / "bench" / "README.md", run.RESULTS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
