"""The certificate counter under load (issue 11, item 11), over real HTTP against gunicorn with 4 workers, on
SQLite and on PostgreSQL:

1. the data: the demo (with its two counters), 100,000 generated firms (bench/datagen.py), 99 more offices
   each with a counter, and 3,000,000 past appointments (24 a working day at each of 100 counters over five
   years, in 1,500,000 slots), bulk-loaded with COPY (PostgreSQL) or executemany in big transactions (SQLite);
2. bookings: 2,000 ``POST /api/v1/appointments`` from 50 concurrent clients (threads, each on its own
   connection) over the 12 slots of one day at 营口海关's counter: 10 of capacity 20 and 2 already full;
   throughput, p50/p95 latency, status codes, server errors, and after the run every slot's active
   appointments against its capacity and its ``booked``;
3. the counter's day page ``/counter/<point_id>/day`` at that scale, signed in as 张关员 (营口海关).

Each answer carries the request's time and its SQL time (bench/counter_gunicorn.py), reported beside the
client's latency.

    .venv/bin/python bench/counter.py                      # both databases (make bench-counter)
    .venv/bin/python bench/counter.py --db sqlite --quick  # smoke run: 30,000 appointments, 300 bookings

Prints a table and PASS/FAIL per target, writes JSON to bench/results/. Not part of the test suite.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, time as dtime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402

import datagen  # noqa: E402
import run as bench_run  # noqa: E402
from measure import percentile  # noqa: E402

PASSWORD = bench_run.PASSWORD
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
API = "/api/v1"
RESULTS = ROOT / "bench" / "results"
TARGETS = {"bookings_per_s": 150, "booking_p95_ms": 300, "day_p95_ms": 150}
SEED = 11


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# Data ------------------------------------------------------------------------------------------------
def load_counters(app, points_wanted: int, days: int) -> dict:
    """99 offices with a counter each beside 营口海关's, then *days* working days of past appointments at
    every counter (two firms in each of 12 slots a day), ending the day before the demo's history."""
    from tracker.appointments.models import (
        Appointment, CertificateType, CounterWindow, OpeningPeriod, ServicePoint, Slot,
    )
    from tracker.auth.models import User
    from tracker.enterprises.models import Enterprise
    from tracker.extensions import db
    from tracker.i18n import LOCAL_TZ
    from tracker.offices.models import Office

    with app.app_context():
        dalian = db.session.scalar(sa.select(Office).where(Office.code == "0900"))
        yingkou = db.session.scalar(sa.select(ServicePoint).join(Office).where(Office.code == "0930"))
        points = [yingkou]
        for i in range(1, points_wanted):
            office = Office(code=f"B{i:03d}", name=f"压测海关{i:03d}", name_en=f"Bench Customs {i:03d}", parent=dalian)
            point = ServicePoint(office=office, name=f"压测海关{i:03d}原产地证窗口", capacity=2,
                                 windows=[CounterWindow(number=1), CounterWindow(number=2)],
                                 hours=[OpeningPeriod(weekday=d, opens=o, closes=c) for d in range(5)
                                        for o, c in ((dtime(8, 30), dtime(11, 30)), (dtime(13, 30), dtime(16, 30)))])
            db.session.add(point)
            points.append(point)
        db.session.commit()
        windows = {p.id: [w.id for w in p.windows] for p in points}
        firms = db.session.scalars(sa.select(Enterprise.id).order_by(Enterprise.id)).all()
        staff = db.session.scalars(sa.select(User.id).where(User.username.in_(("officer", "officer2")))).all()
        types = dict(db.session.execute(sa.select(CertificateType.code, CertificateType.id)).all())
        first_demo = db.session.scalar(sa.select(sa.func.min(Slot.day)).where(Slot.service_point_id == yingkou.id))
        slot_id = (db.session.scalar(sa.select(sa.func.max(Slot.id))) or 0) + 1
        appt_id = (db.session.scalar(sa.select(sa.func.max(Appointment.id))) or 0) + 1
        point_ids = [p.id for p in points]
        db.session.remove()
        engine = db.engine

        work_days = []
        day = first_demo - timedelta(days=1)
        while len(work_days) < days:
            if day.weekday() < 5:
                work_days.append(day)
            day -= timedelta(days=1)
        work_days.reverse()
        starts = [(8, 30), (9, 0), (9, 30), (10, 0), (10, 30), (11, 0),
                  (13, 30), (14, 0), (14, 30), (15, 0), (15, 30), (16, 0)]
        rng = random.Random(SEED)
        countries = ("VN", "TH", "MY", "ID", "US", "JP", "DE", "KR")
        started = time.perf_counter()
        slot_cols = ["id", "service_point_id", "day", "starts_at", "ends_at", "capacity", "booked", "offered"]
        appt_cols = ["id", "version_id", "service_point_id", "slot_id", "enterprise_id", "walk_in", "status", "day",
                     "certificate_type_id", "destination_country", "quantity", "sailing_date", "booked_by_id",
                     "booked_at", "queue_number", "window_id", "served_by_id", "checked_in_at", "called_at",
                     "started_at", "finished_at", "needs_rearranging"]
        sqlite = engine.dialect.name == "sqlite"

        def ts(value: datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else value

        def batches():
            nonlocal slot_id, appt_id
            slots, appts = [], []
            for day in work_days:
                local_starts = [datetime.combine(day, dtime(h, m), LOCAL_TZ).astimezone(timezone.utc) for h, m in starts]
                sailing = day + timedelta(days=3)
                for pid in point_ids:
                    queue = 0
                    for start in local_starts:
                        end = start + timedelta(minutes=30)
                        slots.append((slot_id, pid, day, ts(start), ts(end), 2, 2, True))
                        a, b = rng.sample(firms, 2)
                        for firm in (a, b):
                            queue += 1
                            country = countries[rng.randrange(8)]
                            no_show = rng.random() < 0.03
                            arrived = start - timedelta(minutes=rng.randrange(15))
                            called = start + timedelta(minutes=rng.randrange(10))
                            done = called + timedelta(minutes=5 + rng.randrange(12))
                            appts.append((
                                appt_id, 1, pid, slot_id, firm, False, "no_show" if no_show else "completed", day,
                                types["FORM_E" if country in ("VN", "TH", "MY", "ID") else "CO"], country,
                                1 + rng.randrange(4), sailing, staff[0], ts(start - timedelta(days=2)),
                                None if no_show else queue, None if no_show else windows[pid][queue % 2],
                                None if no_show else staff[queue % 2],
                                None if no_show else ts(arrived), None if no_show else ts(called),
                                None if no_show else ts(called + timedelta(minutes=1)),
                                ts(end + timedelta(minutes=35)) if no_show else ts(done), False))
                            appt_id += 1
                        slot_id += 1
                if len(appts) >= 100_000:
                    yield slots, appts
                    slots, appts = [], []
            if appts:
                yield slots, appts

        total = 0
        if sqlite:
            raw = engine.raw_connection()
            try:
                cur = raw.cursor()
                for slots, appts in batches():
                    cur.execute("BEGIN")  # the app's connections run in autocommit (tracker/database.py)
                    cur.executemany(f"INSERT INTO slots ({', '.join(slot_cols)}) VALUES ({', '.join('?' * len(slot_cols))})",
                                    slots)
                    cur.executemany(f"INSERT INTO appointments ({', '.join(appt_cols)}) "
                                    f"VALUES ({', '.join('?' * len(appt_cols))})", appts)
                    raw.commit()
                    total += len(appts)
            finally:
                raw.close()
        else:
            raw = engine.raw_connection()
            try:
                with raw.cursor() as cur:
                    for slots, appts in batches():
                        with cur.copy(f"COPY slots ({', '.join(slot_cols)}) FROM STDIN") as copy:
                            for row in slots:
                                copy.write_row(row)
                        with cur.copy(f"COPY appointments ({', '.join(appt_cols)}) FROM STDIN") as copy:
                            for row in appts:
                                copy.write_row(row)
                        raw.commit()
                        total += len(appts)
                    for table in ("slots", "appointments"):
                        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                raw.commit()
            finally:
                raw.close()
        load_s = time.perf_counter() - started
        # The indexes the models declare that the migrations may not have made yet (one a new model
        # index waits for its migration): the bench measures the schema of tracker/appointments/models.py.
        started = time.perf_counter()
        made = []
        for table in (Appointment.__table__, Slot.__table__):
            for index in table.indexes:
                if index.name not in {i["name"] for i in sa.inspect(engine).get_indexes(table.name)}:
                    index.create(engine)
                    made.append(index.name)
        index_s = time.perf_counter() - started
        started = time.perf_counter()
        datagen.analyze(engine)
        analyze_s = time.perf_counter() - started
        with engine.connect() as conn:
            counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in
                      ("enterprises", "service_points", "slots", "appointments")}
        engine.dispose()
    return {"loaded_appointments": total, "load_s": round(load_s, 1), "analyze_s": round(analyze_s, 1),
            "indexes_made": made, "index_s": round(index_s, 1),
            "counts": counts, "yingkou_point": point_ids[0], "first_day": work_days[0].isoformat(),
            "last_day": work_days[-1].isoformat()}


def booking_slots(app, full: int = 2, open_: int = 10, capacity: int = 20, ahead: int = 5) -> dict:
    """The 12 slots of one day at 营口海关's counter, *ahead* working days ahead: 10 of capacity 20, 2 full
    (two bookings each made through the services before the run)."""
    from tracker.appointments import services as counter
    from tracker.appointments.models import CertificateType, ServicePoint, Slot
    from tracker.auth.models import User
    from tracker.enterprises.models import Enterprise
    from tracker.extensions import db
    from tracker.offices.models import Office
    from tracker.workdays.services import add_working_days

    with app.app_context():
        point = db.session.scalar(sa.select(ServicePoint).join(Office).where(Office.code == "0930"))
        day = add_working_days(counter.local_day(counter.clock()), ahead)
        slots = db.session.scalars(sa.select(Slot).where(Slot.service_point_id == point.id, Slot.day == day)
                                   .order_by(Slot.starts_at)).all()[:open_ + full]
        officer = db.session.scalar(sa.select(User).where(User.username == "officer"))
        firms = db.session.scalars(sa.select(Enterprise.id).where(Enterprise.office_id == point.office_id,
                                                                  Enterprise.archived_at.is_(None))
                                   .order_by(Enterprise.id)).all()
        form_e = db.session.scalar(sa.select(CertificateType).where(CertificateType.code == "FORM_E"))
        for slot in slots[:open_]:
            slot.capacity = capacity
        for k, slot in enumerate(slots[open_:]):
            slot.capacity = 2
            db.session.flush()
            for firm_id in firms[2 * k:2 * k + 2]:
                counter.book(slot, db.session.get(Enterprise, firm_id), by=officer, certificate_type=form_e,
                             destination_country="ID", quantity=1, sailing_date=day + timedelta(days=3))
        db.session.commit()
        out = {"day": day.isoformat(), "slot_ids": [s.id for s in slots], "full_ids": [s.id for s in slots[open_:]],
               "firm_ids": firms[2 * full:], "sailing": (day + timedelta(days=3)).isoformat(),
               "point_id": point.id}
        db.session.remove()
    return out


def overbooking_check(app, slot_ids: list[int]) -> dict:
    from tracker.appointments.models import Appointment, AppointmentStatus, Slot
    from tracker.extensions import db

    with app.app_context():
        active = (sa.select(sa.func.count(Appointment.id)).where(Appointment.slot_id == Slot.id,
                                                                 Appointment.status != AppointmentStatus.CANCELLED)
                  .correlate(Slot).scalar_subquery())
        rows = db.session.execute(sa.select(Slot.id, Slot.capacity, Slot.booked, active.label("active"))
                                  .where(Slot.id.in_(slot_ids))).all()
        everywhere = db.session.scalar(sa.select(sa.func.count()).select_from(
            sa.select(Slot.id).where(Slot.booked > Slot.capacity).subquery()))
        db.session.remove()
    return {"slots": [dict(r._mapping) for r in rows],
            "overbooked": sum(1 for r in rows if r.active > r.capacity) + everywhere,
            "booked_mismatch": sum(1 for r in rows if r.active != r.booked),
            "booked": sum(r.active for r in rows)}


# The server ------------------------------------------------------------------------------------------
class Server:
    def __init__(self, url: str, instance: Path, workers: int = 4):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        env = {**os.environ, "TRACKER_INSTANCE_PATH": str(instance), "TRACKER_SECRET_KEY": "bench-secret-key" * 3,
               "TRACKER_DATABASE_URL": url, "TRACKER_PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
               "TRACKER_RATELIMIT_STORAGE_URI": "memory://", "PYTHONPATH": f"{BENCH}:{ROOT}"}
        self.log = open(instance / "gunicorn.log", "w")
        self.process = subprocess.Popen(
            [GUNICORN, "--config", "python:counter_gunicorn", "--workers", str(workers), "--bind",
             f"127.0.0.1:{self.port}", "--timeout", "120", "--backlog", "2048", "tracker:create_app()"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                if requests.get(self.base + "/login", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        else:
            self.stop()
            raise RuntimeError("gunicorn did not answer; see " + str(instance / "gunicorn.log"))
        # Every worker warm (each loads its app lazily on its first requests).
        for _ in range(16):
            requests.get(self.base + "/login", timeout=30)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


# CPU accounting (Linux /proc): what the run cost in CPU, independent of how busy the shared machine is.
TICK = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _machine_busy() -> float:
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / TICK  # all but idle and iowait


def _backends(url: str) -> list[int]:
    if not url.startswith("postgresql"):
        return []
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        pids = conn.execute(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                    "AND pid <> pg_backend_pid()")).scalars().all()
    engine.dispose()
    return list(pids)


class CpuMeter:
    """CPU seconds of the gunicorn workers, the database's server processes for this database (PostgreSQL),
    this process (the load generator), and the whole machine, over a stretch of time."""

    def __init__(self, server: "Server", url: str):
        self.server, self.url = server, url

    def sample(self) -> dict:
        workers = _children(self.server.process.pid)
        backends = {pid: _cpu_of(pid) for pid in _backends(self.url)}
        return {"workers": sum(_cpu_of(p) for p in workers), "backends": backends,
                "client": sum(os.times()[:2]), "machine": _machine_busy(), "at": time.perf_counter()}

    @staticmethod
    def between(before: dict, after: dict, requests_done: int) -> dict:
        wall = after["at"] - before["at"]
        db_cpu = sum(cpu - before["backends"].get(pid, 0.0) for pid, cpu in after["backends"].items())
        app_cpu = after["workers"] - before["workers"]
        client_cpu = after["client"] - before["client"]
        machine = after["machine"] - before["machine"]
        per = 1000 / max(requests_done, 1)
        return {"app_cpu_ms_per_request": round(app_cpu * per, 2), "db_cpu_ms_per_request": round(db_cpu * per, 2),
                "client_cpu_ms_per_request": round(client_cpu * per, 2),
                "server_cpu_ms_per_request": round((app_cpu + db_cpu) * per, 2),
                "capacity_on_2_free_cores_per_s": round(2000 / max((app_cpu + db_cpu) * per, 0.001), 0),
                "machine_busy_cores": round(machine / wall, 2),
                "others_cores": round(max(0.0, machine - app_cpu - db_cpu - client_cpu) / wall, 2)}


def timing(response) -> tuple[float, float, int]:
    h = response.headers
    return (float(h.get("X-Bench-Request-Ms", "nan")), float(h.get("X-Bench-Sql-Ms", "nan")),
            int(h.get("X-Bench-Sql-Count", "0")))


def summary(values: list[float]) -> dict:
    if not values:
        return {}
    return {"p50": round(percentile(values, 50), 1), "p95": round(percentile(values, 95), 1),
            "max": round(max(values), 1), "mean": round(sum(values) / len(values), 1)}


# Bookings --------------------------------------------------------------------------------------------
class Client:
    """One load-generating client on http.client: a fraction of requests' CPU (the load generator shares
    the two cores with the server; locust's FastHttpUser exists for the same reason). Gunicorn's sync
    workers close each connection after its answer, so a closed connection is opened again."""

    def __init__(self, base: str):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.connection: http.client.HTTPConnection | None = None

    def post_json(self, path: str, body: dict, headers: dict) -> tuple[int, dict, bytes]:
        payload = json.dumps(body).encode()
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
            try:
                self.connection.request("POST", path, body=payload,
                                        headers={**headers, "Content-Type": "application/json"})
                response = self.connection.getresponse()
                data = response.read()
            except (http.client.HTTPException, ConnectionError):
                self.close()
                if attempt == 2:
                    raise
                continue
            answer_headers = {k.lower(): v for k, v in response.getheaders()}
            if response.will_close:
                self.close()
            return response.status, answer_headers, data
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _header_timing(headers: dict) -> tuple[float, float, int]:
    return (float(headers.get("x-bench-request-ms", "nan")), float(headers.get("x-bench-sql-ms", "nan")),
            int(headers.get("x-bench-sql-count", "0")))


def booking_load(base: str, setup: dict, requests_total: int, clients: int, rate: float | None = None) -> dict:
    """*requests_total* bookings from *clients* clients over setup's slots.

    rate=None: a closed loop, each client sending its next request as soon as the last is answered (the
    throughput the server gives; the latency is then mostly the queue of clients, clients / throughput).
    rate=R: an open loop at R requests a second in all, each client on a fixed schedule (request k of the
    run due at k / R seconds); latency counts from the due time, so a request the server falls behind on
    is charged its wait (no coordinated omission)."""
    token = requests.post(f"{base}{API}/tokens", auth=("officer", PASSWORD), timeout=30)
    token.raise_for_status()
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    rng = random.Random(SEED)
    bodies = [{"slot_id": rng.choice(setup["slot_ids"]), "enterprise_id": rng.choice(setup["firm_ids"]),
               "certificate_type": rng.choice(("FORM_E", "CO")), "destination_country": rng.choice(("ID", "VN", "US")),
               "quantity": 1 + rng.randrange(3), "sailing_date": setup["sailing"]} for _ in range(requests_total)]
    results: list = [None] * requests_total
    cursor = iter(range(requests_total))
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    path = f"{API}/appointments"
    start = [0.0]

    def client():
        http_client = Client(base)
        barrier.wait()
        while True:
            with lock:
                k = next(cursor, None)
            if k is None:
                break
            if rate is not None:
                due = start[0] + k / rate
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                started = due
            else:
                started = time.perf_counter()
            try:
                status, answer_headers, data = http_client.post_json(path, bodies[k], headers)
                elapsed = (time.perf_counter() - started) * 1000
                error = json.loads(data).get("error") if status == 409 else None
                results[k] = (status, elapsed, *_header_timing(answer_headers), error)
            except (OSError, http.client.HTTPException, ValueError) as exc:
                results[k] = (0, (time.perf_counter() - started) * 1000, float("nan"), float("nan"), 0, repr(exc))
        http_client.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    start[0] = time.perf_counter()
    barrier.wait()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start[0]
    statuses: dict[str, int] = {}
    for r in results:
        statuses[str(r[0])] = statuses.get(str(r[0]), 0) + 1
    return {
        "requests": requests_total, "clients": clients, "mode": "closed loop" if rate is None else f"open loop {rate}/s",
        "wall_s": round(wall, 2), "requests_per_s": round(requests_total / wall, 1),
        "statuses": statuses, "server_errors": sum(1 for r in results if r[0] >= 500 or r[0] == 0),
        "slot_full_409": sum(1 for r in results if r[0] == 409 and r[5] == "slot_full"),
        "latency_ms": summary([r[1] for r in results]),
        "request_ms": summary([r[2] for r in results if r[2] == r[2]]),
        "sql_ms": summary([r[3] for r in results if r[3] == r[3]]),
        "sql_statements": summary([float(r[4]) for r in results]),
        "latency_201_ms": summary([r[1] for r in results if r[0] == 201]),
        "latency_409_ms": summary([r[1] for r in results if r[0] == 409]),
        "sql_201_ms": summary([r[3] for r in results if r[0] == 201]),
        "errors_sample": [r for r in results if r[0] >= 500 or r[0] == 0][:5],
    }


# The counter's day -----------------------------------------------------------------------------------
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def signed_in(base: str, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(base + "/login", timeout=30)
    token = CSRF_RE.search(page.text).group(1)
    response = session.post(base + "/login", data={"username": username, "password": PASSWORD, "csrf_token": token},
                            allow_redirects=False, timeout=30)
    if response.status_code != 302:
        raise RuntimeError(f"sign-in as {username}: HTTP {response.status_code}")
    return session


def day_pages(base: str, point_id: int, days: dict[str, str], warmup: int, timed: int) -> dict:
    session = signed_in(base, "officer")
    out = {}
    for name, day in days.items():
        url = f"{base}/counter/{point_id}/day" + (f"?date={day}" if day else "")
        for _ in range(warmup):
            session.get(url, timeout=60)
        latency, server, sql, count, rows = [], [], [], [], 0
        for _ in range(timed):
            started = time.perf_counter()
            response = session.get(url, timeout=60)
            latency.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: HTTP {response.status_code}")
            r, s, n = timing(response)
            server.append(r)
            sql.append(s)
            count.append(n)
            rows = response.text.count('name="csrf_token"')
        out[name] = {"url": url.removeprefix(base), "latency_ms": summary(latency), "request_ms": summary(server),
                     "sql_ms": summary(sql), "sql_statements": max(count), "forms_on_page": rows}
    return out


# One database ----------------------------------------------------------------------------------------
def run_database(kind: str, workdir: Path, args) -> dict:
    target = bench_run.Target(kind, workdir)
    url = target.fresh("counter")
    log(f"{kind}: migrate and seed the demo")
    app, timings = bench_run.migrated_app(url)
    log(f"{kind}: {args.firms:,} firms")
    firmset = datagen.FirmSet(args.firms)
    loaded = bench_run.load_firms(app, firmset, args.firms)
    days = args.appointments // (args.points * 24)
    log(f"{kind}: {days * args.points * 24:,} past appointments at {args.points} counters over {days} working days")
    data = load_counters(app, args.points, days)
    log(f"{kind}: loaded in {data['load_s']} s (+ {data['analyze_s']} s ANALYZE): {data['counts']}")
    setup = booking_slots(app)
    instance = workdir / f"instance-{kind}"
    instance.mkdir(exist_ok=True)
    server = Server(url, instance)
    try:
        log(f"{kind}: {args.requests} bookings from {args.clients} clients over {len(setup['slot_ids'])} slots")
        meter = CpuMeter(server, url)
        before = meter.sample()
        bookings = booking_load(server.base, setup, args.requests, args.clients)
        bookings["cpu"] = CpuMeter.between(before, meter.sample(), args.requests)
        log(f"{kind}: CPU {bookings['cpu']}")
        check = overbooking_check(app, setup["slot_ids"])
        bookings.update({"overbooked_slots": check["overbooked"], "booked_mismatch": check["booked_mismatch"],
                         "booked_after": check["booked"], "slots": check["slots"]})
        log(f"{kind}: {bookings['requests_per_s']} req/s, p50 {bookings['latency_ms']['p50']} ms, "
            f"p95 {bookings['latency_ms']['p95']} ms, statuses {bookings['statuses']}, "
            f"overbooked {check['overbooked']}, booked mismatch {check['booked_mismatch']}")
        # The same again on the next working day's 12 slots, at a steady rate: the latency at that load.
        paced_setup = booking_slots(app, ahead=6)
        log(f"{kind}: {args.requests} bookings at {args.rate}/s from {args.clients} clients")
        before = meter.sample()
        paced = booking_load(server.base, paced_setup, args.requests, args.clients, rate=args.rate)
        paced["cpu"] = CpuMeter.between(before, meter.sample(), args.requests)
        paced_check = overbooking_check(app, paced_setup["slot_ids"])
        paced.update({"overbooked_slots": paced_check["overbooked"], "booked_mismatch": paced_check["booked_mismatch"],
                      "booked_after": paced_check["booked"], "slots": paced_check["slots"]})
        log(f"{kind}: paced {paced['requests_per_s']} req/s, p50 {paced['latency_ms']['p50']} ms, "
            f"p95 {paced['latency_ms']['p95']} ms, statuses {paced['statuses']}, overbooked {paced_check['overbooked']}")
        past = date.fromisoformat(data["last_day"]) - timedelta(days=140)
        while past.weekday() >= 5:
            past -= timedelta(days=1)
        pages = day_pages(server.base, data["yingkou_point"],
                          {"past day (24 appointments)": past.isoformat(), "today": "",
                           "booking day (200+ appointments, extra)": setup["day"]},
                          warmup=5, timed=args.page_requests)
        for name, page in pages.items():
            log(f"{kind}: day page {name}: p50 {page['latency_ms']['p50']} ms, p95 {page['latency_ms']['p95']} ms, "
                f"SQL {page['sql_ms'].get('p50')} ms in {page['sql_statements']} statements")
    finally:
        server.stop()
    size = target.size_mb()
    target.cleanup()
    return {"kind": kind, "timings": timings, "firms": loaded["totals"], "data": data, "setup": {
        k: v for k, v in setup.items() if k != "firm_ids"}, "bookings": bookings, "paced": paced, "pages": pages,
        "size_mb": size}


def verdicts(result: dict) -> list[tuple[str, str, bool]]:
    """Throughput from the closed loop (what the server gives when pushed); the latency target at the
    throughput target, from the paced run (in a closed loop the latency is the queue of clients: 50 clients
    at 150/s wait 333 ms on average by Little's law, whatever the server's own time)."""
    b, p, kind = result["bookings"], result["paced"], result["kind"]
    out = []
    for name, run in (("closed loop", b), ("paced", p)):
        out.append((f"0 overbookings ({name})",
                    f"{run['overbooked_slots']} slots over capacity, {run['booked_mismatch']} booked ≠ count",
                    run["overbooked_slots"] == 0 and run["booked_mismatch"] == 0))
        out.append((f"0 server errors ({name})", f"{run['server_errors']} (statuses {run['statuses']})",
                    run["server_errors"] == 0))
    if kind == "postgresql":
        out.append((f"≥ {TARGETS['bookings_per_s']} bookings/s (closed loop)", f"{b['requests_per_s']}/s",
                    b["requests_per_s"] >= TARGETS["bookings_per_s"]))
        out.append((f"booking p95 ≤ {TARGETS['booking_p95_ms']} ms at {p['mode'].removeprefix('open loop ')}",
                    f"{p['latency_ms']['p95']} ms (served {p['requests_per_s']}/s)",
                    p["latency_ms"]["p95"] <= TARGETS["booking_p95_ms"]
                    and p["requests_per_s"] >= 0.97 * TARGETS["bookings_per_s"]))
    page = result["pages"]["past day (24 appointments)"]
    out.append((f"day page p95 ≤ {TARGETS['day_p95_ms']} ms", f"{page['latency_ms']['p95']} ms",
                page["latency_ms"]["p95"] <= TARGETS["day_p95_ms"]))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="1,000 firms, 30,000 appointments, 300 bookings")
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--appointments", type=int, default=3_000_000)
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rate", type=float, default=float(TARGETS["bookings_per_s"]),
                        help="the paced run's requests a second (default: the throughput target)")
    parser.add_argument("--page-requests", type=int, default=100)
    args = parser.parse_args(argv)
    if args.quick:
        args.firms, args.appointments, args.page_requests = 1000, 28_800, 20
        if "--requests" not in " ".join(argv or sys.argv):
            args.requests = 300
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    RESULTS.mkdir(parents=True, exist_ok=True)
    results, ok = [], True
    with tempfile.TemporaryDirectory(prefix="bench-counter-") as tmp:
        for kind in kinds:
            result = run_database(kind, Path(tmp), args)
            results.append(result)
    print()
    for result in results:
        print(f"== {result['kind']}")
        b = result["bookings"]
        print(f"bookings: {b['requests']} requests, {b['clients']} clients, {b['wall_s']} s, {b['requests_per_s']}/s; "
              f"statuses {b['statuses']}; booked {b['booked_after']}")
        print(f"  cpu              {b.get('cpu')}")
        for label in ("latency_ms", "request_ms", "sql_ms", "sql_statements", "latency_201_ms", "sql_201_ms"):
            print(f"  {label:16} {b[label]}")
        p = result["paced"]
        print(f"paced: {p['requests']} requests, {p['mode']}, {p['wall_s']} s, served {p['requests_per_s']}/s; "
              f"statuses {p['statuses']}; booked {p['booked_after']}")
        print(f"  cpu              {p.get('cpu')}")
        for label in ("latency_ms", "request_ms", "sql_ms", "latency_201_ms", "latency_409_ms"):
            print(f"  {label:16} {p[label]}")
        for name, page in result["pages"].items():
            print(f"day page {name}: latency {page['latency_ms']}, in app {page['request_ms']}, "
                  f"SQL {page['sql_ms']} ({page['sql_statements']} statements)")
        for name, got, passed in verdicts(result):
            ok &= passed
            print(f"  {'PASS' if passed else 'FAIL'}  {name}: {got}")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    path = RESULTS / f"counter-{stamp}{'-quick' if args.quick else ''}.json"
    path.write_text(json.dumps({"args": vars(args), "machine": bench_run.machine_info(kinds), "results": results},
                               indent=1, default=str))
    print(f"\nJSON: {path}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
