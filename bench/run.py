"""Benchmarks at scale: the firm list, searches, a filtered list, a deep page and the profile page
(p50/p95 and SQL statements per request, at a small and a large size), and a 100,000-row import
as CSV and as XLSX (wall time and peak memory), on SQLite and on PostgreSQL.

    .venv/bin/python bench/run.py                       # both databases, 100,000 firms (make bench)
    .venv/bin/python bench/run.py --db sqlite --quick   # smoke run: 1,000 firms, few requests
    .venv/bin/python bench/run.py --only outreach       # issue 4: visits, needs and plans on those firms
    .venv/bin/python bench/run.py --only outreach --quick   # its smoke run: 1,000 firms, 10,000 needs

Prints a table, writes JSON to bench/results/ and, after a full run, refreshes the figures in
bench/README.md. Not part of the test suite.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))
# Set when this process runs from a snapshot of the work tree (see snapshot_and_rerun): results and
# README go back to the real checkout.
HOME = Path(os.environ.get("BENCH_SNAPSHOT_OF") or ROOT)

import sqlalchemy as sa  # noqa: E402

import datagen  # noqa: E402
import measure  # noqa: E402
import report  # noqa: E402

PASSWORD = "bench-Quartz-lantern-4921"
MANAGER = "manager-dl"  # 大连海关: sees 营口 and 鲅鱼圈
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/tracker_bench")
RESULTS = HOME / "bench" / "results"
FULL_FIRMS = 100_000

# Contention: wait until other processes use less than QUIET_CORES before measuring; measure a page
# again (RETRIES times at most) when they used more than DISTURBED_CORES while it was measured.
QUIET_CORES, DISTURBED_CORES, RETRIES = 0.25, 0.3, 2
WAIT = {"max_s": 600.0}

TARGETS = {
    "page_ms": 150, "profile_ms": 100, "csv_s": 15, "xlsx_s": 30, "import_rss_mb": 300,
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def bench_config(url: str) -> dict:
    """Like the suite's make_config, but not TESTING: the app as it runs in production, cheap hashing."""
    return {
        "TESTING": False,
        "SECRET_KEY": "bench-secret-key",
        "DATABASE_URL": url,
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        "RATELIMIT_STORAGE_URI": "memory://",
        "HUEY_IMMEDIATE": True,
    }


# Databases ---------------------------------------------------------------------------------------------
class Target:
    """Where one database of the benchmark lives; fresh() empties it."""

    def __init__(self, kind: str, workdir: Path):
        self.kind = kind
        self.workdir = workdir
        self.counter = 0
        self.url = ""

    def fresh(self, label: str) -> str:
        if self.kind == "sqlite":
            self.counter += 1
            path = self.workdir / f"bench-{self.counter}-{label}.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            self.url = "sqlite:///" + str(path)
        else:
            url = sa.engine.make_url(POSTGRES_URL)
            admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
                conn.exec_driver_sql(f'CREATE DATABASE "{url.database}"')
            admin.dispose()
            self.url = POSTGRES_URL
        return self.url

    def cleanup(self) -> None:
        if self.kind == "sqlite":
            for path in self.workdir.glob("bench-*.sqlite3*"):
                path.unlink(missing_ok=True)

    def size_mb(self) -> float | None:
        if self.kind == "sqlite":
            path = Path(self.url.removeprefix("sqlite:///"))
            return round(sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20, 1)
        engine = sa.create_engine(self.url)
        with engine.connect() as conn:
            size = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()
        engine.dispose()
        return round(size / 2**20, 1)


def migrated_app(url: str):
    """A fresh app on a database migrated through flask_migrate.upgrade, with the demo's offices and users."""
    from flask_migrate import upgrade

    from tracker import create_app
    from tracker.demo import seed_demo
    from tracker.extensions import db

    app = create_app(bench_config(url))
    timings = {}
    with app.app_context():
        started = time.perf_counter()
        upgrade()
        timings["migrate_s"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        seed_demo(PASSWORD)
        db.session.commit()
        timings["seed_demo_s"] = round(time.perf_counter() - started, 2)
        db.session.remove()
    return app, timings


def load_firms(app, firmset: datagen.FirmSet, n: int, adjust=None) -> dict:
    """Bulk-load n generated firms with five years of counts; returns ids the pages need and timings.

    adjust(firms), when given, may change the generated firm rows before they are written (the outreach
    benchmark shares the firms among more officers and keeps the rows)."""
    from tracker.auth.models import User
    from tracker.imports.models import DeclarationCount
    from tracker.demo import NAMED_FIRMS
    from tracker.enterprises.models import Enterprise, TradeMode, enterprise_trade_modes
    from tracker.extensions import db
    from tracker.offices.models import Office

    with app.app_context():
        engine = db.engine
        with engine.connect() as conn:
            offices = dict(conn.execute(sa.select(Office.code, Office.id)).all())
            officers = dict(conn.execute(sa.select(User.username, User.id)).all())
            modes = dict(conn.execute(sa.select(TradeMode.code, TradeMode.id)).all())
            taken = set(conn.execute(sa.select(Enterprise.customs_code).where(Enterprise.customs_code.isnot(None)))
                        .scalars())
            start_id = (conn.execute(sa.select(sa.func.max(Enterprise.id))).scalar() or 0) + 1
            demo_firm_id = conn.execute(sa.select(Enterprise.id).where(Enterprise.uscc == NAMED_FIRMS[0].uscc)).scalar()
            conn.rollback()
        started = time.perf_counter()
        firms, links, counts = firmset.rows(n, start_id, offices, officers, modes, taken)
        if adjust is not None:
            adjust(firms)
        generate_s = time.perf_counter() - started
        started = time.perf_counter()
        datagen.bulk_insert(engine, Enterprise.__table__, firms)
        datagen.reset_sequence(engine, "enterprises")
        datagen.bulk_insert(engine, enterprise_trade_modes, links)
        datagen.bulk_insert(engine, DeclarationCount.__table__, counts)
        insert_s = time.perf_counter() - started
        started = time.perf_counter()
        datagen.analyze(engine)
        analyze_s = time.perf_counter() - started
        with engine.connect() as conn:
            totals = {
                "enterprises": conn.execute(sa.select(sa.func.count()).select_from(Enterprise)).scalar(),
                "declaration_counts": conn.execute(sa.select(sa.func.count()).select_from(DeclarationCount)).scalar(),
                "trade_mode_links": conn.execute(sa.select(sa.func.count()).select_from(enterprise_trade_modes)).scalar(),
            }
            conn.rollback()
        engine.dispose()
    middle = next(f for f in firms[n // 2:] + firms if f["archived_at"] is None)
    return {
        "bulk_firms": n, "totals": totals, "profile_firm_id": middle["id"], "demo_firm_id": demo_firm_id,
        "generate_s": round(generate_s, 2), "insert_s": round(insert_s, 2), "analyze_s": round(analyze_s, 2),
    }


# Pages -------------------------------------------------------------------------------------------------
def pages_for(n: int, ids: dict) -> list[tuple[str, str, float]]:
    """(name, url, target ms). The deep page is page 500 at 100,000 firms, the same depth at other sizes."""
    deep = max(1, n // 200)
    return [
        ("list", "/enterprises/", TARGETS["page_ms"]),
        ("search_name", f"/enterprises/?q={datagen.NAME_TERM}", TARGETS["page_ms"]),
        ("search_pinyin", "/enterprises/?q=ylsf", TARGETS["page_ms"]),
        ("search_broad", "/enterprises/?q=耐火", TARGETS["page_ms"]),
        ("filtered", "/enterprises/?credit=general_credit&trade_mode=0110&sort=-declarations", TARGETS["page_ms"]),
        ("page_deep", f"/enterprises/?page={deep}", TARGETS["page_ms"]),
        ("profile", f"/enterprises/{ids['profile_firm_id']}", TARGETS["profile_ms"]),
        ("profile_demo", f"/enterprises/{ids['demo_firm_id']}", TARGETS["profile_ms"]),
    ]


def measure_size(target: Target, firmset: datagen.FirmSet, n: int, warmup: int, timed: int,
                 investigate: bool) -> dict:
    from tracker.extensions import db
    from tracker.gunicorn import settle

    log(f"{target.kind}: building a database with {n:,} firms")
    url = target.fresh(f"pages-{n}")
    app, timings = migrated_app(url)
    ids = load_firms(app, firmset, n)
    ids.update(timings)
    ids["database_mb"] = target.size_mb()
    log(f"{target.kind}: {ids['totals']} (insert {ids['insert_s']} s, analyze {ids['analyze_s']} s, "
        f"{ids['database_mb']} MB)")
    with app.app_context():
        engine = db.engine
    statement_log = measure.StatementLog(engine)
    client = app.test_client()
    measure.sign_in(client, MANAGER, PASSWORD)
    settle()  # as a gunicorn worker does once the app is loaded (tracker/gunicorn.py)
    load_before = os.getloadavg()
    pages = measure_pages(target, engine, statement_log, {MANAGER: client},
                          [(name, url, ms, MANAGER) for name, url, ms in pages_for(n, ids)],
                          n, warmup, timed, investigate)
    gc.unfreeze()
    engine.dispose()
    return {"firms": n, "setup": ids, "pages": pages, "loadavg_before": load_before, "loadavg_after": os.getloadavg()}


def measure_pages(target: Target, engine, statement_log, clients: dict, page_list, n: int, warmup: int, timed: int,
                  investigate: bool, row_re=measure.FIRM_LINK_RE) -> list[dict]:
    """Measure each (name, url, target ms, username) with that user's signed-in client."""
    pages = []
    for name, url_path, target_ms, who in page_list:
        client = clients[who]
        for attempt in range(1, RETRIES + 2):
            waited = measure.wait_for_quiet(QUIET_CORES, max_wait_s=WAIT["max_s"], say=log)
            result = measure.measure_page(client, statement_log, name, url_path, target_ms, warmup, timed,
                                          row_re=row_re)
            result.attempts = attempt
            if result.foreign_cores <= DISTURBED_CORES:
                break
            log(f"{target.kind} {name}: other processes used {result.foreign_cores} cores meanwhile; measuring again")
        page = result.as_dict()
        page["waited_for_quiet_s"] = waited
        page["user"] = who
        if investigate and not result.passed:
            page["investigation"] = investigate_page(engine, client, result, target.kind)
        pages.append(page)
        log(f"{target.kind} {n:>7,} {name:<18} p50 {result.p50:7.1f} ms  p95 {result.p95:7.1f} ms  "
            f"{result.queries:2d} queries  {result.firms_on_page:2d} rows on page  "
            f"{'PASS' if result.passed else 'FAIL'} (≤ {target_ms:.0f} ms)  [cpu p50 {page['cpu_p50_ms']} ms, "
            f"others {result.foreign_cores} cores]")
    return pages


# Outreach (issue 4) -------------------------------------------------------------------------------------
OUTREACH_ROW_RE = re.compile(r'href="/(?:needs|visits)/(\d+)["#]')
_OUTREACH_CACHE: dict = {}  # the generated rows, shared by both databases (same reference ids, same rows)


def outreach_pages(info: dict, needs_total: int) -> list[tuple[str, str, float, str]]:
    """(name, url, target ms, user). The deep page is a quarter of the way through the needs list, as the
    registry's page 500 of 2,000."""
    ms = TARGETS["page_ms"]
    deep = max(2, needs_total // 50 // 4)
    cat, dept = info["category_id"], info["department_id"]
    return [
        ("work_officer", "/work/", ms, "officer"),
        ("work_manager", "/work/", ms, "manager"),
        ("needs_list", "/needs/", ms, MANAGER),
        ("needs_page2", "/needs/?page=2", ms, MANAGER),
        ("needs_deep", f"/needs/?page={deep}", ms, MANAGER),
        ("needs_open", "/needs/?status=open", ms, MANAGER),
        ("needs_in_progress", "/needs/?status=in_progress", ms, MANAGER),
        ("needs_overdue", "/needs/?overdue=1", ms, MANAGER),
        ("needs_category", f"/needs/?category={cat}", ms, MANAGER),
        ("needs_department", f"/needs/?department={dept}", ms, MANAGER),
        ("needs_officer", f"/needs/?officer={info['busy_officer_id']}", ms, MANAGER),
        ("needs_search", f"/needs/?q={info['search_term']}", ms, MANAGER),
        ("needs_firm", f"/needs/?enterprise={info['hot_firm_id']}", ms, MANAGER),
        ("needs_combined", "/needs/?status=open&category={}&department={}".format(*info["combined"]), ms, MANAGER),
        # An officer of 营口 sees 80 % of the firms: the scope cannot be left out of the counts.
        ("needs_list_officer", "/needs/", ms, "officer"),
        ("needs_overdue_officer", "/needs/?overdue=1", ms, "officer"),
        ("profile_hot", f"/enterprises/{info['hot_firm_id']}", ms, MANAGER),
        ("profile_hot_officer", f"/enterprises/{info['hot_firm_id']}", ms, "officer"),
    ]


def measure_outreach_size(target: Target, firmset: datagen.FirmSet, n: int, warmup: int, timed: int,
                          investigate: bool) -> dict:
    """A database with n firms and their outreach data (5 visits, 10 needs, 1 plan a firm), and its pages."""
    from tracker.extensions import db
    from tracker.gunicorn import settle

    app, setup = build_outreach_database(target, firmset, n)
    info = setup["outreach_info"]
    with app.app_context():
        engine = db.engine
    statement_log = measure.StatementLog(engine)
    clients = {}
    for who in (MANAGER, "manager", "officer"):
        clients[who] = app.test_client()
        measure.sign_in(clients[who], who, PASSWORD)
    settle()
    load_before = os.getloadavg()
    pages = measure_pages(target, engine, statement_log, clients,
                          outreach_pages(info, setup["outreach_totals"]["needs"]), n, warmup, timed,
                          investigate, row_re=OUTREACH_ROW_RE)
    gc.unfreeze()
    engine.dispose()
    return {"firms": n, "setup": setup, "pages": pages, "loadavg_before": load_before,
            "loadavg_after": os.getloadavg()}


def build_outreach_database(target: Target, firmset: datagen.FirmSet, n: int):
    """A fresh database with n firms and their outreach rows; returns the app on it and what was done."""
    import outreach
    from tracker.extensions import db
    from tracker.needs.models import Need
    from tracker.visits.models import Visit
    from tracker.workdays.services import add_working_days

    log(f"{target.kind}: building an outreach database with {n:,} firms")
    url = target.fresh(f"outreach-{n}")
    app, timings = migrated_app(url)
    with app.app_context():
        engine = db.engine
        started = time.perf_counter()
        outreach.add_officers(engine, PASSWORD)
        refs = outreach.read_refs(engine)
        outreach.add_campaigns(engine, refs)
        timings["officers_campaigns_s"] = round(time.perf_counter() - started, 2)
        today = outreach.local_today()
        horizon = add_working_days(today, 2)
        db.session.remove()
    kept = {}

    def adjust(firms):
        outreach.assign_firms(firms, refs)
        kept["firms"] = firms

    setup = load_firms(app, firmset, n, adjust=adjust)
    setup.update(timings)
    key = (n, refs.key, kept["firms"][0]["id"], today)
    if key not in _OUTREACH_CACHE:
        for other in [k for k in _OUTREACH_CACHE if k[0] == n]:
            del _OUTREACH_CACHE[other]
        started = time.perf_counter()
        _OUTREACH_CACHE[key] = outreach.generate(kept["firms"], refs, horizon, today)
        setup["outreach_generate_s"] = round(time.perf_counter() - started, 2)
        log(f"generated the outreach rows in {setup['outreach_generate_s']} s: {_OUTREACH_CACHE[key].counts()}")
    else:
        setup["outreach_generate_s"] = None  # generated for the other database
    data = _OUTREACH_CACHE[key]
    kept.clear()
    with app.app_context():
        engine = db.engine
        started = time.perf_counter()
        setup["outreach_write_s_by_table"] = outreach.write(engine, data, say=log)
        setup["outreach_write_s"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        datagen.analyze(engine)
        setup["outreach_analyze_s"] = round(time.perf_counter() - started, 2)
        with engine.connect() as conn:
            setup["outreach_totals"] = {name: conn.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar()
                                        for name, _c, _r in data.tables}
            setup["needs_by_status"] = dict(conn.execute(
                sa.select(Need.__table__.c.status, sa.func.count()).group_by(Need.__table__.c.status)).all())
            setup["max_visits_of_a_firm"] = conn.execute(sa.select(sa.func.count()).select_from(Visit).group_by(
                Visit.enterprise_id).order_by(sa.func.count().desc()).limit(1)).scalar()
            conn.rollback()
    setup["outreach_info"] = data.info
    setup["database_mb"] = target.size_mb()
    log(f"{target.kind}: outreach rows written in {setup['outreach_write_s']} s, analyze "
        f"{setup['outreach_analyze_s']} s, {setup['database_mb']} MB; {data.info}")
    return app, setup


def investigate_page(engine, client, result: measure.PageResult, kind: str) -> dict:
    """For a page over its target: where the time goes (per statement), the slowest plans, a cProfile."""
    slow = [s for s in result.statements if s["mean_ms"] >= 5][:3]
    plans = []
    for s in slow:
        params = result.sample_params.get(s["sql"])
        try:
            plan = measure.explain(engine, s["sql"], params)
        except Exception as exc:  # keep the run going; the plan is a diagnostic
            plan = f"(EXPLAIN failed: {exc})"
        plans.append({"sql": s["sql"], "params": repr(params), "mean_ms": s["mean_ms"], "plan": plan})
    profile = measure.profile_request(client, result.url)
    return {"sql_ms_per_request": round(sum(s["mean_ms"] for s in result.statements), 1),
            "plans": plans, "cprofile_top": profile}


# Imports -----------------------------------------------------------------------------------------------
def run_import(url: str, path: Path, instance: Path, prototype: bool = False) -> dict:
    """`flask import-declarations FILE --office 0930` as its own process: wall time and its peak RSS.

    The peak comes from GNU time (/usr/bin/time), which forks the command itself: Linux carries the
    parent's high-water RSS across fork and exec, so os.wait4 on a child of this (large) process
    would report this process's memory, not the import's.
    """
    env = dict(os.environ, TRACKER_DATABASE_URL=url, TRACKER_INSTANCE_PATH=str(instance),
               TRACKER_SECRET_KEY="bench-secret-key", PYTHONPATH=str(ROOT))  # this tree's tracker, not the editable install's
    flask = Path(sys.executable).parent / "flask"
    command = [str(flask), "--app", "tracker", "import-declarations", str(path), "--office", "0930"]
    if prototype:
        command = [sys.executable, str(BENCH / "import_prototype.py"), str(path), "--office", "0930"]
    out_path, err_path, time_path = instance / "import.out", instance / "import.err", instance / "import.time"
    gnu_time = shutil.which("time", path="/usr/bin:/bin")
    if gnu_time:
        command = [gnu_time, "-f", "%M %U %S", "-o", str(time_path)] + command
    for attempt in range(1, RETRIES + 1):  # an import is long: one retry at most
        waited = measure.wait_for_quiet(QUIET_CORES, max_wait_s=WAIT["max_s"], say=log)
        window = measure.CpuWindow().start()
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            started = time.perf_counter()
            proc = subprocess.run(command, env=env, stdout=out, stderr=err, cwd=ROOT)
            elapsed = time.perf_counter() - started
        foreign = window.stop()
        # A re-run must start from the same database: only an import that wrote nothing can be repeated.
        if foreign <= DISTURBED_CORES or attempt == RETRIES or "0 new firms, 0 new counts" not in out_path.read_text("utf-8", "replace"):
            break
        log(f"import: other processes used {foreign} cores meanwhile; running it again")
    output = out_path.read_text("utf-8", "replace").strip()
    errors = err_path.read_text("utf-8", "replace").strip()
    result = {"seconds": round(elapsed, 2), "exit_code": proc.returncode, "foreign_cores": foreign,
              "waited_for_quiet_s": waited, "attempts": attempt,
              "summary": output.splitlines()[-1] if output else "", "stderr_tail": "\n".join(errors.splitlines()[-5:])}
    if gnu_time:
        # The last line: "Command exited with non-zero status N" may come first.
        max_kb, user_s, system_s = time_path.read_text().split("\n")[-2].split()
        result.update(peak_rss_mb=round(int(max_kb) / 1024, 1), user_s=float(user_s), system_s=float(system_s),
                      peak_rss_source="GNU time")
    else:
        result.update(peak_rss_mb=None, peak_rss_source="unavailable (install GNU time)")
    return result


def _import_totals(app) -> dict:
    from tracker.audit.models import AuditRecord
    from tracker.imports.models import DeclarationCount
    from tracker.enterprises.models import Enterprise
    from tracker.extensions import db

    with app.app_context():
        with db.engine.connect() as conn:
            totals = {name: conn.execute(sa.select(sa.func.count()).select_from(model)).scalar()
                      for name, model in (("enterprises", Enterprise), ("declaration_counts", DeclarationCount),
                                          ("audit_records", AuditRecord))}
            conn.rollback()
        db.engine.dispose()
    return totals


def measure_imports(target: Target, files: dict[str, Path], rows: int, workdir: Path, prototype: bool) -> dict:
    results = {}
    for fmt, path in files.items():
        url = target.fresh(f"import-{fmt}")
        app, _timings = migrated_app(url)
        before = _import_totals(app)
        instance = workdir / f"instance-{target.kind}-{fmt}"
        instance.mkdir(exist_ok=True)
        log(f"{target.kind}: importing {rows:,} rows from {path.name} ({path.stat().st_size / 2**20:.1f} MB)")
        first = run_import(url, path, instance)
        log(f"{target.kind}: {fmt} import {first['seconds']} s, peak {first['peak_rss_mb']} MB: {first['summary']}")
        after = _import_totals(app)
        again = run_import(url, path, instance)
        log(f"{target.kind}: {fmt} re-import {again['seconds']} s, peak {again['peak_rss_mb']} MB: {again['summary']}")
        unchanged = _import_totals(app) == after
        limit = TARGETS["csv_s"] if fmt == "csv" else TARGETS["xlsx_s"]
        result = {
            "rows": rows, "file_mb": round(path.stat().st_size / 2**20, 2), "import": first, "reimport": again,
            "written": {k: after[k] - before[k] for k in after}, "target_s": limit,
            "time_passed": first["exit_code"] == 0 and first["seconds"] <= limit,
            "memory_passed": max(first["peak_rss_mb"] or 1e9, again["peak_rss_mb"] or 1e9) <= TARGETS["import_rss_mb"],
            "reimport_unchanged": unchanged and again["exit_code"] == 0
            and f"0 new firms, 0 new counts, 0 updated counts, {rows} unchanged" in again["summary"],
        }
        if prototype:
            # The proposed write path (bench/import_prototype.py) on a fresh database; the app's own
            # re-import afterwards must find every row unchanged, i.e. the prototype wrote the same data.
            url = target.fresh(f"prototype-{fmt}")
            app, _timings = migrated_app(url)
            before = _import_totals(app)
            proto = run_import(url, path, instance, prototype=True)
            after = _import_totals(app)
            check = run_import(url, path, instance)
            log(f"{target.kind}: {fmt} PROTOTYPE import {proto['seconds']} s, peak {proto['peak_rss_mb']} MB; "
                f"app re-import after it: {check['summary']}")
            result["prototype"] = {
                "import": proto, "app_reimport": check, "written": {k: after[k] - before[k] for k in after},
                "same_as_app": {k: after[k] - before[k] for k in after} == result["written"]
                and f"{rows} unchanged" in check["summary"],
            }
        results[fmt] = result
    return results


# Snapshot ----------------------------------------------------------------------------------------------
SNAPSHOT_IGNORE = shutil.ignore_patterns(".venv", ".git", "instance", "results", "__pycache__", ".pytest_cache",
                                         "test-results", "node_modules", "*.sqlite3*")


def snapshot_and_rerun(argv: list[str]) -> int:
    """Run from a copy of the work tree, so that edits made meanwhile (templates are read from disk at
    every render, migrations at upgrade) cannot change the code under a run half-way through."""
    snapshot = Path(tempfile.mkdtemp(prefix="tracker-bench-tree-")) / "tree"
    shutil.copytree(ROOT, snapshot, ignore=SNAPSHOT_IGNORE)
    log(f"running from a snapshot of the work tree in {snapshot}")
    env = dict(os.environ, BENCH_SNAPSHOT_OF=str(ROOT), PYTHONPATH=str(snapshot))
    try:
        return subprocess.call([sys.executable, str(snapshot / "bench" / "run.py"), *argv], env=env)
    finally:
        shutil.rmtree(snapshot.parent, ignore_errors=True)


def provenance() -> dict:
    """Which code was measured (read-only git commands on the real checkout)."""
    def git(*args):
        try:
            return subprocess.run(["git", *args], cwd=HOME, capture_output=True, text=True, timeout=20).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    status = git("status", "--porcelain")
    return {"commit": git("rev-parse", "--short", "HEAD"), "subject": git("log", "-1", "--format=%s"),
            "uncommitted_paths": len(status.splitlines()) if status else 0,
            "snapshot": bool(os.environ.get("BENCH_SNAPSHOT_OF"))}


# Machine -----------------------------------------------------------------------------------------------
def machine_info(kinds: list[str]) -> dict:
    info = {
        "nproc": os.cpu_count(), "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }
    try:
        meminfo = Path("/proc/meminfo").read_text()
        info["memory_gb"] = round(int(meminfo.split("MemTotal:")[1].split()[0]) / 2**20, 1)
        cpu = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
               if line.startswith("model name")]
        info["cpu"] = cpu[0] if cpu else ""
    except (OSError, IndexError):
        pass
    if "postgresql" in kinds:
        try:
            engine = sa.create_engine(sa.engine.make_url(POSTGRES_URL).set(database="postgres"))
            with engine.connect() as conn:
                info["postgresql"] = conn.exec_driver_sql("SHOW server_version").scalar()
                info["postgresql_settings"] = {
                    name: conn.exec_driver_sql(f"SHOW {name}").scalar()
                    for name in ("shared_buffers", "work_mem", "effective_cache_size", "jit")
                }
            engine.dispose()
        except Exception as exc:
            info["postgresql"] = f"unreachable: {exc}"
    return info


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--firms", type=int, default=FULL_FIRMS, help="firms at the large size (default 100,000)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1,000 firms, few requests, 1,000-row imports")
    parser.add_argument("--requests", type=int, default=40, help="timed requests per page (at least 30 for the figures)")
    parser.add_argument("--import-rows", type=int, default=None, help="rows in the import files (default 100,000)")
    parser.add_argument("--only", choices=("registry", "outreach"), default=None,
                        help="registry: the firm pages and the imports; outreach: issue 4's visits, needs and "
                             "plans pages (default: both)")
    parser.add_argument("--skip-imports", action="store_true")
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument("--prototype", action="store_true",
                        help="also time bench/import_prototype.py, the write path proposed before the app had it")
    parser.add_argument("--no-readme", action="store_true", help="do not refresh bench/README.md")
    parser.add_argument("--max-wait", type=float, default=WAIT["max_s"],
                        help="seconds to wait for other processes to leave the CPUs before a measurement (0: never wait)")
    parser.add_argument("--in-place", action="store_true",
                        help="run the work tree as it is instead of a snapshot of it (edits during the run then show)")
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if not args.in_place and not os.environ.get("BENCH_SNAPSHOT_OF"):
        return snapshot_and_rerun(argv)

    WAIT["max_s"] = args.max_wait
    firms = 1_000 if args.quick else args.firms
    small = 1_000 if firms > 1_000 else max(50, firms // 10)
    warmup, timed = (1, 5) if args.quick else (3, max(30, args.requests))
    import_rows = args.import_rows or (1_000 if args.quick else 100_000)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    registry = args.only in (None, "registry")
    do_outreach = args.only in (None, "outreach") and not args.skip_pages
    if not registry:
        args.skip_imports = True
    full = registry and not args.quick and firms == FULL_FIRMS and import_rows == 100_000 and timed >= 30
    full_outreach = do_outreach and not args.quick and firms == FULL_FIRMS and timed >= 30

    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="tracker-bench-"))
    os.environ["TRACKER_INSTANCE_PATH"] = str(workdir / "instance")
    run = {"started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "firms": firms,
           "small_firms": small, "warmup": warmup, "timed_requests": timed, "import_rows": import_rows,
           "full": full, "full_outreach": full_outreach, "parts": [p for p, on in (("registry", registry),
                                                                                 ("outreach", do_outreach)) if on],
           "code": provenance(), "machine": machine_info(kinds), "databases": {}}
    import tracker

    run["code"]["tracker_path"] = str(Path(tracker.__file__).parent)
    log(f"code: {run['code']}")
    log(f"machine: {run['machine']}")
    try:
        firmset = None
        if not args.skip_pages or do_outreach:
            log(f"generating {firms:,} firm names and their pinyin keys")
            t = time.perf_counter()
            firmset = datagen.FirmSet(firms)
            run["generate_names_s"] = round(time.perf_counter() - t, 1)
        files = {}
        if not args.skip_imports:
            rows = datagen.import_rows(import_rows)
            files = {"csv": workdir / f"declarations-{import_rows}.csv", "xlsx": workdir / f"declarations-{import_rows}.xlsx"}
            t = time.perf_counter()
            datagen.write_csv(files["csv"], rows)
            datagen.write_xlsx(files["xlsx"], rows)
            log(f"wrote the import files in {time.perf_counter() - t:.1f} s")
        for kind in kinds:
            target = Target(kind, workdir)
            result = {}
            if registry and not args.skip_pages:
                # As many requests at both sizes: the ratio of their p95s is a target (report.RATIO_LIMIT).
                result["small"] = measure_size(target, firmset, small, warmup, timed, investigate=False)
                result["large"] = measure_size(target, firmset, firms, warmup, timed, investigate=True)
            if not args.skip_imports:
                result["imports"] = measure_imports(target, files, import_rows, workdir, args.prototype)
            if registry:
                result["verdicts"] = report.verdicts(result, TARGETS)
            if do_outreach:
                part = time.perf_counter()
                result["outreach_small"] = measure_outreach_size(target, firmset, small, warmup, min(timed, 10),
                                                                 investigate=False)
                result["outreach_large"] = measure_outreach_size(target, firmset, firms, warmup, timed,
                                                                 investigate=True)
                result["outreach_verdicts"] = report.outreach_verdicts(result)
                result["outreach_elapsed_s"] = round(time.perf_counter() - part, 1)
            run["databases"][kind] = result
            target.cleanup()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    run["elapsed_s"] = round(time.perf_counter() - started, 1)

    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"{stamp}-{'-'.join(kinds)}{'-' + args.only if args.only else ''}{'-quick' if args.quick else ''}.json"
    out.write_text(json.dumps(run, ensure_ascii=False, indent=1))
    report.write_profiles(run, RESULTS, stamp)
    if full:
        for kind in kinds:
            (RESULTS / f"latest-{kind}.json").write_text(json.dumps(
                {**{k: v for k, v in run.items() if k != "databases"},
                 "databases": {kind: {k: v for k, v in run["databases"][kind].items() if not k.startswith("outreach")}}},
                ensure_ascii=False, indent=1))
    if full_outreach:
        for kind in kinds:
            (RESULTS / f"latest-outreach-{kind}.json").write_text(json.dumps(
                {**{k: v for k, v in run.items() if k != "databases"},
                 "databases": {kind: {k: v for k, v in run["databases"][kind].items() if k.startswith("outreach")}}},
                ensure_ascii=False, indent=1))
    print()
    print(report.text_table(run))
    print(f"\nResults: {out} ({run['elapsed_s']} s in all)")
    if full and not args.no_readme:
        report.refresh_readme(HOME / "bench" / "README.md", RESULTS, TARGETS)
        print("bench/README.md refreshed.")
    if full_outreach and not args.no_readme:
        report.refresh_outreach_readme(HOME / "bench" / "README.md", RESULTS)
        print("bench/README.md refreshed (outreach).")
    failed = [v for db in run["databases"].values() for v in db.get("verdicts", []) + db.get("outreach_verdicts", [])
              if not v["passed"]]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
