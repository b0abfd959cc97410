"""Timing pages through the Flask test client, counting and timing their SQL, and profiling the slow ones."""
from __future__ import annotations

import cProfile
import io
import os
import pstats
import re
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
FIRM_LINK_RE = re.compile(r'href="/enterprises/(\d+)"')
NEED_LINK_RE = re.compile(r'href="/needs/(\d+)"')
TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (what numpy.percentile does by default)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


class StatementLog:
    """Every statement the engine sends while recording, with its parameters and execution time."""

    def __init__(self, engine: sa.Engine):
        self.recording = False
        self.records: list[tuple[str, object, float]] = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        started = conn.info["bench_started"].pop()
        if self.recording:
            self.records.append((statement, parameters, time.perf_counter() - started))

    def start(self) -> None:
        self.records = []
        self.recording = True

    def stop(self) -> list[tuple[str, object, float]]:
        self.recording = False
        return self.records

    @staticmethod
    def queries(records) -> list[tuple[str, object, float]]:
        """Statements other than transaction control (SQLite's BEGIN is issued as a statement)."""
        return [r for r in records if not TRANSACTION_CONTROL.match(r[0])]


def sign_in(client, username: str, password: str) -> None:
    page = client.get("/login")
    match = CSRF_RE.search(page.get_data(as_text=True))
    if not match:
        raise RuntimeError("the sign-in page has no CSRF token")
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": match.group(1)})
    if response.status_code != 302:
        raise RuntimeError(f"sign-in as {username} failed: HTTP {response.status_code}")


@dataclass
class PageResult:
    name: str
    url: str
    target_ms: float
    times_ms: list[float] = field(default_factory=list)
    query_counts: list[int] = field(default_factory=list)
    firms_on_page: int = 0
    status: int = 0
    bytes: int = 0
    statements: list[dict] = field(default_factory=list)  # per distinct statement: mean ms and the SQL
    sample_params: dict = field(default_factory=dict)
    cpu_ms: list[float] = field(default_factory=list)  # this process's CPU per request (SQLite runs in it)
    foreign_cores: float = 0.0
    server_cpu_ms: float = 0.0  # PostgreSQL server CPU per request (mean; clock ticks of 10 ms, summed)
    attempts: int = 1

    @property
    def p50(self) -> float:
        return percentile(self.times_ms, 50)

    @property
    def p95(self) -> float:
        return percentile(self.times_ms, 95)

    @property
    def queries(self) -> int:
        return max(self.query_counts) if self.query_counts else 0

    @property
    def queries_stable(self) -> bool:
        return len(set(self.query_counts)) <= 1

    @property
    def passed(self) -> bool:
        return self.p95 <= self.target_ms

    def as_dict(self) -> dict:
        return {
            "name": self.name, "url": self.url, "target_ms": self.target_ms, "requests": len(self.times_ms),
            "p50_ms": round(self.p50, 1), "p95_ms": round(self.p95, 1), "min_ms": round(min(self.times_ms), 1),
            "max_ms": round(max(self.times_ms), 1), "mean_ms": round(statistics.fmean(self.times_ms), 1),
            "queries": self.queries, "query_counts_seen": sorted(set(self.query_counts)),
            "firms_on_page": self.firms_on_page, "status": self.status, "bytes": self.bytes,
            "passed": self.passed, "statements": self.statements,
            "cpu_p50_ms": round(percentile(self.cpu_ms, 50), 1), "cpu_p95_ms": round(percentile(self.cpu_ms, 95), 1),
            "foreign_cores": self.foreign_cores, "attempts": self.attempts,
            "server_cpu_ms": round(self.server_cpu_ms, 1),
        }


def measure_page(client, log: StatementLog, name: str, url: str, target_ms: float, warmup: int,
                 timed: int, row_re: re.Pattern = FIRM_LINK_RE) -> PageResult:
    """p50/p95 of timed requests after warmup ones; firms_on_page counts the distinct row_re matches."""
    result = PageResult(name, url, target_ms)
    for _ in range(warmup):
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {response.status_code}")
    per_statement: dict[str, list[float]] = defaultdict(list)
    window = CpuWindow().start()
    for _ in range(timed):
        log.start()
        cpu = time.process_time()
        started = time.perf_counter()
        response = client.get(url)
        body = response.get_data()
        elapsed = time.perf_counter() - started
        result.cpu_ms.append((time.process_time() - cpu) * 1000)
        records = StatementLog.queries(log.stop())
        result.times_ms.append(elapsed * 1000)
        result.query_counts.append(len(records))
        for statement, params, seconds in records:
            per_statement[statement].append(seconds * 1000)
        result.status = response.status_code
        result.bytes = len(body)
        result.firms_on_page = len(set(row_re.findall(body.decode("utf-8", "replace"))))
        if not result.sample_params:
            result.sample_params = {s: p for s, p, _ in records}
    result.foreign_cores = window.stop()
    per_request = len(result.times_ms)
    result.server_cpu_ms = window.postgres_s * 1000 / per_request
    result.statements = sorted(
        ({"sql": s, "mean_ms": round(sum(t) / per_request, 2), "executions_per_request": len(t) / per_request}
         for s, t in per_statement.items()),
        key=lambda d: -d["mean_ms"],
    )
    return result


def explain(engine: sa.Engine, statement: str, params) -> str:
    """The plan of one statement as it was sent: EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL."""
    if engine.dialect.name == "postgresql":
        prefix = "EXPLAIN (ANALYZE, BUFFERS) "
    else:
        prefix = "EXPLAIN QUERY PLAN "
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + statement, params if params else ()).all()
        conn.rollback()
    if engine.dialect.name == "postgresql":
        return "\n".join(r[0] for r in rows)
    # (id, parent, notused, detail): indent by depth.
    depth = {0: -1}
    lines = []
    for row in rows:
        node, parent, detail = row[0], row[1], row[-1]
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + detail)
    return "\n".join(lines)


def time_statement(engine: sa.Engine, statement: str, params, repeat: int = 5) -> float:
    """Median milliseconds to execute and fetch one statement, outside the app."""
    samples = []
    with engine.connect() as conn:
        for _ in range(repeat):
            started = time.perf_counter()
            conn.exec_driver_sql(statement, params if params else ()).all()
            samples.append((time.perf_counter() - started) * 1000)
        conn.rollback()
    return statistics.median(samples)


def profile_request(client, url: str, top: int = 25) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    client.get(url).get_data()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# Contention --------------------------------------------------------------------------------------------
# The machine is shared (other people run test suites on it). Every measurement records how many cores
# other processes kept busy meanwhile; a disturbed page is measured again once the machine is quiet.
_TICK = os.sysconf("SC_CLK_TCK")


def _machine_busy_s() -> float:
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / _TICK


def _postgres_cpu_s() -> float:
    """CPU of every PostgreSQL server process (the benchmark's own queries run there), including the
    backends and parallel workers that have exited (the postmaster's reaped children: cutime, cstime)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        if name == "postgres" or name.startswith("postgres:"):
            parts = text[text.rindex(")") + 2:].split()
            total += int(parts[11]) + int(parts[12]) + int(parts[13]) + int(parts[14])  # utime, stime, cutime, cstime
    return total / _TICK


def _own_cpu_s() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class CpuWindow:
    """Cores kept busy by other processes between start() and stop() (this process, its children and
    the PostgreSQL server count as ours)."""

    def start(self) -> "CpuWindow":
        self.wall = time.perf_counter()
        self.busy, self.own, self.pg = _machine_busy_s(), _own_cpu_s(), _postgres_cpu_s()
        return self

    def stop(self) -> float:
        wall = time.perf_counter() - self.wall
        busy = _machine_busy_s() - self.busy
        self.postgres_s = _postgres_cpu_s() - self.pg
        ours = (_own_cpu_s() - self.own) + self.postgres_s
        return round(max(0.0, busy - ours) / max(wall, 1e-6), 2)


def wait_for_quiet(limit_cores: float = 0.2, sample_s: float = 3.0, max_wait_s: float = 600,
                   say=print) -> float:
    """Wait until other processes use less than limit_cores over a sample; returns the seconds waited."""
    started = time.perf_counter()
    warned = False
    while True:
        window = CpuWindow().start()
        time.sleep(sample_s)
        foreign = window.stop()
        waited = time.perf_counter() - started
        if foreign < limit_cores or waited >= max_wait_s:
            return round(waited, 1)
        if not warned:
            say(f"other processes keep {foreign} cores busy: waiting for a quiet machine (up to {max_wait_s:.0f} s)")
            warned = True
