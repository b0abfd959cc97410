"""The campaign reports at national scale (issue 12, item 8), over real HTTP against gunicorn, on SQLite and on
PostgreSQL.

1. The data set, built once and cached (a row in ``bench_dataset`` says which generator built it): the office
   tree of 海关总署 → 42 直属海关 → 5 隶属海关 each, with departments; a manager for every office and officers
   for every 隶属海关 (one per 70 firms, at least 3); 200,000 firms spread over the 隶属海关 (skewed: a few
   offices hold several thousand) with five years of declaration counts (1,000,000 rows); a national
   campaign of 海关总署 whose roster holds 60 % of the firms (about 120,000) and a campaign of every 隶属海关
   (its firms at 80 declarations); 500,000 visits over 2019 with their officers; 1,000,000 needs (statuses
   mixed, deadlines in working days, resolved and closed ones with their times, about 200,000 follow-ups
   with a satisfaction, reopened ones); 100,000 assistance plans with about 3 measures each; 3,000,000
   appointments over 2019's working days at a counter of every 隶属海关 (completed ones with their check-in,
   call, start and end, no-shows, cancellations, wasted trips with reasons, walk-ins, sailing dates),
   the certificates issued and the firms' 好评/差评 with the answers. Everything is a pure function of a
   seed and the scale: --scale 0.005 is the same office tree and users with 1,000 firms and 0.5 % of
   every record, for the query-count comparison.
2. Pages through gunicorn (4 workers, bench/counter_gunicorn.py: the request's in-app time, SQL time and
   statement count come back in headers), signed in as 海关总署's manager and as the manager of the largest
   隶属海关: the dashboard (national, a quarter against the one before, filtered to one office, and the 隶属
   海关's own campaign), drill-down lists, p50/p95 after warm-up; the same pages at 1,000 firms (statement
   counts must be equal); each page's SQL alone (its statements recorded in-process, re-run raw on one
   connection) and the ratio page time / SQL time; the roster export (XLSX, write-only openpyxl) with its
   wall time and peak memory.

    .venv/bin/python bench/reports.py                                 # both databases (make bench-reports)
    .venv/bin/python bench/reports.py --engine sqlite --load-only     # build (or check) the cached data sets
    .venv/bin/python bench/reports.py --engine postgresql --requests 20
    .venv/bin/python bench/reports.py --scale 0.05                    # a smaller "national" data set

Prints Markdown tables, writes JSON and Markdown to bench/results/ (git-ignored); --readme rewrites the
figures between the bench:reports markers of bench/README.md. Not part of the test suite.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from array import array
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from itertools import accumulate
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

import datagen  # noqa: E402
import measure  # noqa: E402
import run as bench_run  # noqa: E402

PASSWORD = bench_run.PASSWORD
RESULTS = ROOT / "bench" / "results"
README = ROOT / "bench" / "README.md"
# Bump when the generator changes what it writes: a cached data set of another version is rebuilt.
DATA_VERSION = "reports-1"
SEED = 20191231
NATIONAL = {"firms": 200_000, "visits": 500_000, "needs": 1_000_000, "plans": 100_000, "appointments": 3_000_000}
SMALL_SCALE = 0.005  # 1,000 firms
SLOW_PAGE_S = 30  # a page whose last warm-up request took longer is timed SLOW_PAGE_REQUESTS times
SLOW_PAGE_REQUESTS = 3
ROSTER_SHARE = 0.6  # of the live firms, on the national roster
OFFICE_THRESHOLD = 80  # the 隶属海关's own campaigns
FIRMS_PER_OFFICER = 70
NATIONAL_MANAGER = "bench-national"
TARGETS = {"dashboard_national_ms": 500, "dashboard_office_ms": 200, "drilldown_ms": 200, "export_s": 30,
           "export_mb": 200, "ratio": 1.5}
DATA_DIR = Path(os.environ.get("BENCH_REPORTS_DIR") or Path(tempfile.gettempdir()) / "tracker-bench-reports")
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# Tables written in bulk: their secondary indexes are dropped before the load and made again after it.
BULK_TABLES = ("declaration_counts", "roster_entries", "visits", "visit_officers", "needs", "follow_ups",
               "assistance_plans", "plan_measures", "slots", "appointments", "issued_certificates",
               "service_ratings")
# The drill-down lists to time, when they exist (the section modules register them).
PREFERRED_LISTINGS = ("needs.all", "needs.overdue", "roster.not_visited", "appointments.wasted", "visits.all")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# The office tree ------------------------------------------------------------------------------------
# The 42 直属海关 (code, city, English); 大连海关 0900 and its 营口 0930 / 鲅鱼圈 0931 come from the demo.
DIRECT = (
    ("0100", "北京", "Beijing"), ("0200", "天津", "Tianjin"), ("0400", "石家庄", "Shijiazhuang"),
    ("0500", "太原", "Taiyuan"), ("0600", "满洲里", "Manzhouli"), ("0700", "呼和浩特", "Hohhot"),
    ("0800", "沈阳", "Shenyang"), ("0900", "大连", "Dalian"), ("1500", "长春", "Changchun"),
    ("1900", "哈尔滨", "Harbin"), ("2200", "上海", "Shanghai"), ("2300", "南京", "Nanjing"),
    ("2900", "杭州", "Hangzhou"), ("3100", "宁波", "Ningbo"), ("3300", "合肥", "Hefei"), ("3500", "福州", "Fuzhou"),
    ("3700", "厦门", "Xiamen"), ("4000", "南昌", "Nanchang"), ("4200", "青岛", "Qingdao"), ("4300", "济南", "Jinan"),
    ("4600", "郑州", "Zhengzhou"), ("4700", "武汉", "Wuhan"), ("4900", "长沙", "Changsha"),
    ("5100", "广州", "Guangzhou"), ("5200", "黄埔", "Huangpu"), ("5300", "深圳", "Shenzhen"),
    ("5700", "拱北", "Gongbei"), ("6000", "汕头", "Shantou"), ("6400", "海口", "Haikou"),
    ("6700", "湛江", "Zhanjiang"), ("6800", "江门", "Jiangmen"), ("7200", "南宁", "Nanning"),
    ("7900", "成都", "Chengdu"), ("8000", "重庆", "Chongqing"), ("8300", "贵阳", "Guiyang"),
    ("8600", "昆明", "Kunming"), ("8800", "拉萨", "Lhasa"), ("9000", "西安", "Xi'an"), ("9400", "乌鲁木齐", "Urumqi"),
    ("9500", "兰州", "Lanzhou"), ("9600", "银川", "Yinchuan"), ("9700", "西宁", "Xining"),
)
LEAF_SUFFIXES = (("港区", "Port"), ("机场", "Airport"), ("开发区", "Development Zone"), ("保税区", "Bonded Zone"),
                 ("铁路", "Railway"))
DEMO_LEAVES = {"0900": ("0930", "0931")}
DIRECT_DEPARTMENTS = (("企业管理和稽查处", "Enterprise Management and Audit Division"),
                      ("综合业务处", "General Operations Division"))
LEAF_DEPARTMENTS = (("综合业务科", "General Operations Section"), ("企业管理科", "Enterprise Management Section"),
                    ("通关监管科", "Clearance Supervision Section"), ("原产地签证科", "Certificate of Origin Section"))
SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞宇浩凯"


# Time: every timestamp is generated as seconds since 1970 (UTC), every date as a proleptic ordinal, and
# written as text each database reads back as the column's type.
EPOCH = date(1970, 1, 1).toordinal()
LOCAL_OFFSET = 8 * 3600  # Asia/Shanghai, no daylight saving since 1991


def local_sec(ordinal: int, hour: int, minute: int = 0, second: int = 0) -> int:
    return (ordinal - EPOCH) * 86400 + hour * 3600 + minute * 60 + second - LOCAL_OFFSET


def local_ordinal(sec: int) -> int:
    return (sec + LOCAL_OFFSET) // 86400 + EPOCH


class Formats:
    """Timestamps as SQLAlchemy stores them on SQLite (naive UTC text with microseconds) or as PostgreSQL
    reads them on COPY (with the zone); dates in ISO form on both."""

    def __init__(self, postgres: bool):
        self.suffix = "+00" if postgres else ".000000"
        self._days: dict[int, str] = {}

    def day(self, ordinal: int | None) -> str | None:
        if ordinal is None:
            return None
        text = self._days.get(ordinal)
        if text is None:
            text = self._days[ordinal] = date.fromordinal(ordinal).isoformat()
        return text

    def ts(self, sec: int | None) -> str | None:
        if sec is None:
            return None
        d, rest = divmod(sec, 86400)
        h, rest = divmod(rest, 3600)
        m, s = divmod(rest, 60)
        return f"{self.day(d + EPOCH)} {h:02d}:{m:02d}:{s:02d}{self.suffix}"

    def dt(self, value: datetime) -> str:
        return self.ts(int(value.timestamp()))


class Calendar:
    """China's working days (the app's holidays library, no overrides) as sorted ordinals."""

    def __init__(self, first_year: int, last_year: int):
        from tracker.workdays.services import library_year

        days = []
        for year in range(first_year, last_year + 1):
            lib = library_year(year)
            day = date(year, 1, 1)
            while day.year == year:
                if lib.is_working(day):
                    days.append(day.toordinal())
                day += timedelta(days=1)
        self.days = days

    def add(self, ordinal: int, n: int) -> int:
        """The n-th working day after *ordinal* (tracker.workdays.services.add_working_days)."""
        return self.days[bisect_right(self.days, ordinal) + n - 1]

    def between(self, a: int, b: int) -> int:
        """Working days after a up to and including b (working_days_between)."""
        return bisect_right(self.days, b) - bisect_right(self.days, a)

    def in_year(self, year: int) -> list[int]:
        lo, hi = date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()
        return [d for d in self.days if lo <= d <= hi]


class Picker:
    """Weighted choice by bisection over cumulative weights (rng.choices does the same, slower per call)."""

    def __init__(self, items, weights):
        self.items = list(items)
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random):
        return self.items[bisect_right(self.cum, rng.random() * self.total)]


def _stochastic_round(rng: random.Random, x: float) -> int:
    whole = int(x)
    return whole + (rng.random() < x - whole)


# Writing --------------------------------------------------------------------------------------------
class Loader:
    """Rows straight to the driver: COPY (PostgreSQL) or executemany in transactions of CHUNK rows on the raw
    connection (SQLite), values already in storage form. Foreign keys are checked at the small scale (a
    generator bug fails there) and not at national scale (SQLite: foreign_keys off; PostgreSQL:
    session_replication_role = replica, which also skips triggers; there are none on these tables)."""

    CHUNK = 100_000

    def __init__(self, engine: sa.Engine, check_foreign_keys: bool):
        self.postgres = engine.dialect.name == "postgresql"
        self.raw = engine.raw_connection()
        self.rows: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        cur = self.raw.cursor()
        if self.postgres:
            if not check_foreign_keys:
                cur.execute("SET session_replication_role = replica")
            cur.execute("SET maintenance_work_mem = '512MB'")
            self.raw.commit()
        else:
            cur.execute(f"PRAGMA foreign_keys = {'ON' if check_foreign_keys else 'OFF'}")
            cur.execute("PRAGMA cache_size = -400000")
        cur.close()

    def write(self, table: str, columns: tuple[str, ...], rows) -> int:
        started = time.perf_counter()
        written = 0
        chunk: list = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= self.CHUNK:
                self._flush(table, columns, chunk)
                written += len(chunk)
                chunk = []
        if chunk:
            self._flush(table, columns, chunk)
            written += len(chunk)
        self.rows[table] = self.rows.get(table, 0) + written
        self.seconds[table] = self.seconds.get(table, 0.0) + time.perf_counter() - started
        return written

    def _flush(self, table: str, columns: tuple[str, ...], chunk: list) -> None:
        if self.postgres:
            with self.raw.cursor() as cur:
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in chunk:
                        copy.write_row(row)
            self.raw.commit()
        else:
            cur = self.raw.cursor()
            # The app's SQLite connections are in autocommit mode (it sends BEGIN itself).
            cur.execute("BEGIN")
            cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                            chunk)
            cur.execute("COMMIT")
            cur.close()

    def execute(self, sql: str, params=()) -> None:
        cur = self.raw.cursor()
        cur.execute(sql, params)
        cur.close()
        self.raw.commit()

    def close(self) -> None:
        if not self.postgres:
            cur = self.raw.cursor()
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute("PRAGMA cache_size = -2000")
            cur.close()
        else:
            cur = self.raw.cursor()
            cur.execute("RESET session_replication_role")
            cur.close()
            self.raw.commit()
        self.raw.close()


def secondary_indexes(engine: sa.Engine, tables) -> list[tuple[str, str, str]]:
    """(table, index name, CREATE statement) of the plain indexes of *tables*, as the migrations made them:
    not the primary keys or the UNIQUE constraints (those stay, and are kept up during the load)."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            rows = conn.execute(sa.text(
                "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename = ANY(:tables) AND indexname NOT IN (SELECT conname FROM pg_constraint)"),
                {"tables": list(tables)}).all()
        else:
            rows = conn.execute(sa.text(
                "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({', '.join(repr(t) for t in tables)})")).all()
        conn.rollback()
    return [tuple(r) for r in rows]


def drop_indexes(engine: sa.Engine, indexes) -> None:
    with engine.begin() as conn:
        for _table, name, _sql in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')


def create_indexes(engine: sa.Engine, indexes) -> dict[str, float]:
    seconds = {}
    for _table, name, sql in indexes:
        started = time.perf_counter()
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")
            conn.exec_driver_sql(sql)
        seconds[name] = round(time.perf_counter() - started, 2)
    return seconds


# The data set ---------------------------------------------------------------------------------------
@dataclass
class World:
    """The reference data the records are generated against (ids read back from the database)."""

    root: int = 0
    direct: dict[str, int] = field(default_factory=dict)  # code -> office id
    leaves: list[dict] = field(default_factory=list)  # {"code", "id", "parent", "city", "firms", ...}
    departments: dict[int, list[int]] = field(default_factory=dict)  # office id -> department ids
    managers: dict[int, int] = field(default_factory=dict)  # office id -> manager's user id
    officers: dict[int, list[int]] = field(default_factory=dict)  # office id -> officers' user ids
    categories: list[tuple[int, str, int]] = field(default_factory=list)  # (id, name, deadline days)
    certificate_types: dict[str, int] = field(default_factory=dict)
    points: dict[int, tuple[int, list[int]]] = field(default_factory=dict)  # office id -> (point id, window ids)


def build_tree(world: World) -> int:
    """海关总署 → 42 直属海关 → 5 隶属海关 each (大连海关: the demo's 营口 and 鲅鱼圈 and three more), with their
    departments, through the ORM (about 250 offices)."""
    from tracker.extensions import db
    from tracker.offices.models import Department, Office

    existing = {o.code: o for o in db.session.scalars(sa.select(Office))}
    root = existing["0000"]
    made = 0
    leaves = []
    for code, city, city_en in DIRECT:
        office = existing.get(code)
        if office is None:
            office = Office(code=code, name=f"{city}海关", name_en=f"{city_en} Customs", parent=root)
            db.session.add(office)
            existing[code] = office
            made += 1
            for name, name_en in DIRECT_DEPARTMENTS:
                db.session.add(Department(office=office, name=name, name_en=name_en))
        kept = DEMO_LEAVES.get(code, ())
        codes = list(kept) + [f"{code[:2]}{k:02d}" for k in range(1, 6 - len(kept))]
        for k, leaf_code in enumerate(codes):
            leaf = existing.get(leaf_code)
            if leaf is None:
                suffix, suffix_en = LEAF_SUFFIXES[k - len(kept)]
                leaf = Office(code=leaf_code, name=f"{city}{suffix}海关", name_en=f"{city_en} {suffix_en} Customs",
                              parent=office)
                db.session.add(leaf)
                existing[leaf_code] = leaf
                made += 1
                for name, name_en in LEAF_DEPARTMENTS:
                    db.session.add(Department(office=leaf, name=name, name_en=name_en))
            leaves.append((leaf_code, leaf, code, "营口" if leaf_code in kept else city))
    db.session.commit()
    world.root = root.id
    world.direct = {code: existing[code].id for code, _c, _e in DIRECT}
    world.leaves = [{"code": c, "id": o.id, "parent": world.direct[p], "city": city} for c, o, p, city in leaves]
    for dept_id, office_id in db.session.execute(sa.select(Department.id, Department.office_id).order_by(Department.id)):
        world.departments.setdefault(office_id, []).append(dept_id)
    # Outside a request the app's SQLite transactions take the write lock at BEGIN: end this one before
    # other connections write.
    db.session.commit()
    return made


def add_users(engine: sa.Engine, world: World, firms_per_leaf: list[int]) -> int:
    """海关总署's manager (bench-national), a manager for every office (bench-mgr-<code>) and the 隶属海关's
    officers (bench-<code>-NNN, one per FIRMS_PER_OFFICER firms, at least 3), able to sign in with the bench
    password."""
    from werkzeug.security import generate_password_hash

    from tracker.auth.models import User

    hashed = generate_password_hash(PASSWORD, "scrypt:1024:8:1")
    created = datetime(2018, 12, 1, tzinfo=timezone.utc)
    rows = []

    def person(k: int) -> str:
        return SURNAMES[k % len(SURNAMES)] + GIVEN[(k * 7) % len(GIVEN)] + GIVEN[(k * 3 + 5) % len(GIVEN)]

    def user(username, name, role, office_id, title):
        rows.append({"username": username, "display_name": name, "title": title, "role": role,
                     "office_id": office_id, "enterprise_id": None, "active": True, "password_hash": hashed,
                     "session_token": f"{username}-{len(rows):06d}-bench-session-token", "locale": None,
                     "last_login_at": None, "created_at": created})

    user(NATIONAL_MANAGER, "陈司长", "manager", world.root, "司长")
    for code, office_id in world.direct.items():
        user(f"bench-mgr-{code}", person(len(rows)), "manager", office_id, "处长")
    for leaf, firms in zip(world.leaves, firms_per_leaf):
        user(f"bench-mgr-{leaf['code']}", person(len(rows)), "manager", leaf["id"], "科长")
        for k in range(1, max(3, round(firms / FIRMS_PER_OFFICER)) + 1):
            user(f"bench-{leaf['code']}-{k:03d}", person(len(rows)), "officer", leaf["id"], "关员")
    with engine.begin() as conn:
        conn.execute(User.__table__.insert(), rows)
        for user_id, username, role, office_id in conn.execute(
                sa.select(User.id, User.username, User.role, User.office_id)
                .where(User.username.like("bench-%")).order_by(User.id)):
            if role == "manager":
                world.managers[office_id] = user_id
            else:
                world.officers.setdefault(office_id, []).append(user_id)
    return len(rows)


def add_points(world: World) -> int:
    """A counter (原产地签证窗口) at every 隶属海关 that has none (the demo's 营口 and 鲅鱼圈 have theirs): two to
    four windows, open 08:30-11:30 and 13:30-16:30 on working days."""
    from datetime import time as dtime

    from tracker.appointments.models import CertificateType, CounterWindow, OpeningPeriod, ServicePoint
    from tracker.extensions import db

    have = {p.office_id: p for p in db.session.scalars(sa.select(ServicePoint))}
    made = 0
    for k, leaf in enumerate(world.leaves):
        if leaf["id"] in have:
            continue
        point = ServicePoint(office_id=leaf["id"], name=f"{leaf['city']}原产地签证窗口{leaf['code']}", capacity=2,
                             windows=[CounterWindow(number=n) for n in range(1, 2 + 1 + k % 3)],
                             hours=[OpeningPeriod(weekday=d, opens=o, closes=c) for d in range(5)
                                    for o, c in ((dtime(8, 30), dtime(11, 30)), (dtime(13, 30), dtime(16, 30)))])
        db.session.add(point)
        have[leaf["id"]] = point
        made += 1
    db.session.commit()
    for office_id, point in have.items():
        world.points[office_id] = (point.id, sorted(w.id for w in point.windows))
    world.certificate_types = dict(db.session.execute(sa.select(CertificateType.code, CertificateType.id)).all())
    db.session.commit()
    return made


class NationalFirms(datagen.FirmSet):
    """datagen's firms (names, USCCs, counts for 2015-2019, credit levels, trade modes), with the city of
    their 隶属海关 in front of the name instead of 营口's (the demo's two keep theirs)."""

    def __init__(self, n: int, leaf_of: list[int], leaves: list[dict], seed: int = SEED):
        self.n, self.seed = n, seed
        self.offices = ["0931" if leaves[leaf_of[i]]["code"] == "0931" else "0930" for i in range(n)]
        named = datagen.firm_names(n, seed, lambda i: self.offices[i])
        prefixes = sorted({p for pairs in datagen.PREFIXES.values() for p, _w in pairs}, key=len, reverse=True)
        taken: set[str] = set()
        self.names, self.industries = [], []
        for i, (name, industry) in enumerate(named):
            city = leaves[leaf_of[i]]["city"]
            if city != "营口":
                rest = next((name[len(p):] for p in prefixes if name.startswith(p)), name)
                name = city + rest
                if name in taken:
                    name = f"{city}市{rest}"
                if name in taken:
                    name = f"{city}{i}{rest}"
            taken.add(name)
            self.names.append(name)
            self.industries.append(industry)
        self.keys = datagen.pinyin_for(self.names)


@dataclass
class Firms:
    """What the records need to know of each generated firm, by index (ids are start + index)."""

    start: int
    leaf: array  # index into world.leaves
    officer: array  # assigned officer's id, 0 for none
    live: list[bool]
    declarations_2018: array
    national: set[int] = field(default_factory=set)  # indexes on the national roster
    office_roster: set[int] = field(default_factory=set)  # on their 隶属海关's roster
    by_leaf: list[list[int]] = field(default_factory=list)  # live firm indexes per leaf


def assign_leaves(n: int, leaves: list) -> list[int]:
    """Each firm's 隶属海关 (an index into leaves), skewed: a few hold several thousand firms, many a few hundred."""
    rng = random.Random(SEED + 1)
    weights = [rng.lognormvariate(0, 1.0) for _ in leaves]
    cum = list(accumulate(weights))
    return [bisect_right(cum, rng.random() * cum[-1]) for _ in range(n)]


def load_firms(engine: sa.Engine, world: World, leaf_of: list[int], loader: Loader, fmt: Formats,
               say) -> tuple[Firms, dict]:
    from tracker.enterprises.models import Enterprise, TradeMode, enterprise_trade_modes

    n = len(leaf_of)
    rng = random.Random(SEED + 6)
    started = time.perf_counter()
    firmset = NationalFirms(n, leaf_of, world.leaves)
    names_s = time.perf_counter() - started
    with engine.connect() as conn:
        modes = dict(conn.execute(sa.select(TradeMode.code, TradeMode.id)).all())
        taken = set(conn.execute(sa.select(Enterprise.customs_code).where(Enterprise.customs_code.isnot(None))).scalars())
        start = (conn.execute(sa.select(sa.func.max(Enterprise.id))).scalar() or 0) + 1
        conn.rollback()
    firms_rows, links, counts = firmset.rows(n, start, {"0930": 0, "0931": 0}, {}, modes, taken)
    officer = array("i", [0] * n)
    for i, row in enumerate(firms_rows):
        leaf = world.leaves[leaf_of[i]]
        row["office_id"] = leaf["id"]
        staff = world.officers[leaf["id"]]
        row["assigned_officer_id"] = staff[rng.randrange(len(staff))] if rng.random() < 0.95 else None
        officer[i] = row["assigned_officer_id"] or 0
    started = time.perf_counter()
    datagen.bulk_insert(engine, Enterprise.__table__, firms_rows)
    datagen.reset_sequence(engine, "enterprises")
    loader.rows["enterprises"] = n
    loader.seconds["enterprises"] = time.perf_counter() - started
    started = time.perf_counter()
    datagen.bulk_insert(engine, enterprise_trade_modes, links)
    loader.rows["enterprise_trade_modes"] = len(links)
    loader.seconds["enterprise_trade_modes"] = time.perf_counter() - started
    d2018 = array("i", [0] * n)
    for c in counts:
        if c["year"] == 2018:
            d2018[c["enterprise_id"] - start] = c["declarations"]
    updated = fmt.dt(counts[0]["updated_at"]) if counts else None
    loader.write("declaration_counts", ("enterprise_id", "year", "declarations", "import_id", "updated_at"),
                 ((c["enterprise_id"], c["year"], c["declarations"], None, updated) for c in counts))
    live = [row["archived_at"] is None for row in firms_rows]
    firms = Firms(start, array("i", leaf_of), officer, live, d2018)
    firms.by_leaf = [[] for _ in world.leaves]
    for i in range(n):
        if live[i]:
            firms.by_leaf[leaf_of[i]].append(i)
    say(f"  {n:,} firms over {len(world.leaves)} 隶属海关 (largest {max(len(x) for x in firms.by_leaf):,}, "
        f"names and pinyin {names_s:.1f} s), {len(counts):,} declaration counts")
    return firms, {"firms": n, "names_s": round(names_s, 1)}


def add_campaigns(engine: sa.Engine, world: World, firms: Firms, loader: Loader) -> dict:
    """The national campaign (海关总署, 2019, on 2018's declarations, its threshold set so that ROSTER_SHARE
    of the live firms reach it) and every 隶属海关's own (threshold 80), with their rosters."""
    from tracker.campaigns.models import Campaign

    live_counts = sorted((firms.declarations_2018[i] for i in range(len(firms.live)) if firms.live[i]), reverse=True)
    threshold = max(1, live_counts[min(len(live_counts) - 1, int(len(live_counts) * ROSTER_SHARE))])
    created = datetime(2019, 2, 20, 2, 0, tzinfo=timezone.utc)
    screened = datetime(2019, 2, 25, 2, 0, tzinfo=timezone.utc)
    common = {"declaration_year": 2018, "starts_on": date(2019, 3, 1), "ends_on": date(2019, 12, 31),
              "screened_at": screened, "created_at": created}
    rows = [{"name": "2019年全国百企大调研", "office_id": world.root, "threshold": threshold,
             "created_by_id": world.managers[world.root], **common}]
    for leaf in world.leaves:
        rows.append({"name": f"2019年{leaf['city']}{leaf['code']}百企大调研", "office_id": leaf["id"],
                     "threshold": OFFICE_THRESHOLD, "created_by_id": world.managers[leaf["id"]], **common})
    with engine.begin() as conn:
        conn.execute(Campaign.__table__.insert(), rows)
        ids = dict(conn.execute(sa.select(Campaign.office_id, Campaign.id)
                                .where(Campaign.name.in_([r["name"] for r in rows]))).all())
        next_id = (conn.execute(sa.text("SELECT max(id) FROM roster_entries")).scalar() or 0) + 1
    national = ids[world.root]
    entries = []
    for i in range(len(firms.live)):
        if not firms.live[i]:
            continue
        d = firms.declarations_2018[i]
        if d >= threshold:
            firms.national.add(i)
            entries.append((national, firms.start + i, d))
        if d >= OFFICE_THRESHOLD:
            firms.office_roster.add(i)
            entries.append((ids[world.leaves[firms.leaf[i]]["id"]], firms.start + i, d))
    loader.write("roster_entries", ("id", "campaign_id", "enterprise_id", "declarations", "source"),
                 ((next_id + k, c, e, d, "screening") for k, (c, e, d) in enumerate(entries)))
    for leaf in world.leaves:
        leaf["campaign"] = ids[leaf["id"]]
    return {"national_campaign": national, "national_threshold": threshold, "national_roster": len(firms.national),
            "office_rosters": len(firms.office_roster)}


def next_ids(engine: sa.Engine, tables) -> dict[str, int]:
    with engine.connect() as conn:
        out = {t: (conn.execute(sa.text(f"SELECT max(id) FROM {t}")).scalar() or 0) + 1 for t in tables}
        conn.rollback()
    return out


VISIT_TYPES = (("door_to_door", 55), ("workshop", 15), ("forum", 10), ("remote", 15), ("local_government", 5))
MONTH_WEIGHTS = (3, 3, 10, 12, 12, 11, 8, 8, 10, 9, 8, 6)  # visits a working day, by month of 2019
SUMMARIES = ("与企业负责人座谈，了解进出口业务和通关情况。", "实地查看生产车间和仓储条件，宣讲原产地证书政策。",
             "企业反映出口查验等待时间较长，已记录。", "介绍一体化通关和提前申报措施，企业表示将试用。",
             "了解企业信用认证培育进展，指导整改内控制度。", "走访加工贸易手册核销情况，企业希望简化流程。")
NEED_TEXTS = ("希望缩短出口货物查验等待时间", "申请原产地证书时希望能够预约办理", "咨询高级认证企业标准和培育安排",
              "进口原料检验检疫放行时间较长", "加工贸易手册变更手续繁琐，希望简化", "咨询保税仓库设立条件",
              "希望了解关税减免政策适用范围", "出口退运货物如何办理手续", "希望海关到企业开展政策宣讲")
CATEGORY_WEIGHTS = {"通关时效": 22, "原产地证": 18, "企业信用认证": 8, "检验检疫": 14, "加工贸易监管": 10,
                    "保税政策": 6, "税费": 12, "其他": 10}
# Final status of a need raised in 2019, seen years later; follow-ups on 30 % of the closed ones, and 2 %
# of the needs reopened by a dissatisfied follow-up on the way.
NEED_STATUSES = (("closed", 60), ("resolved", 20), ("unresolvable", 5), ("in_progress", 9), ("pending", 6))
PLAN_STATUSES = (("completed", 55), ("in_progress", 20), ("approved", 10), ("submitted", 7), ("draft", 8))


def firm_weights(firms: Firms, rng: random.Random) -> Picker:
    """How often a firm is visited or raises a need: a long tail, roster firms far more."""
    n = len(firms.live)
    weights = []
    for i in range(n):
        if not firms.live[i]:
            weights.append(0.0)
        elif i in firms.national:
            weights.append(3.0 * rng.lognormvariate(0, 0.9))
        elif i in firms.office_roster:
            weights.append(1.5 * rng.lognormvariate(0, 0.9))
        else:
            weights.append(0.4 * rng.lognormvariate(0, 0.9))
    return Picker(range(n), weights)


def campaign_of(firm: int, firms: Firms, world: World, national: int, rng: random.Random) -> int | None:
    u = rng.random()
    if firm in firms.national:
        if u < 0.7:
            return national
        if u < 0.95 and firm in firms.office_roster:
            return world.leaves[firms.leaf[firm]]["campaign"]
        return None
    if firm in firms.office_roster and u < 0.8:
        return world.leaves[firms.leaf[firm]]["campaign"]
    return None


@dataclass
class Visits:
    firm: array
    day: array
    sec: array
    campaign: array  # 0: none
    lead: array


def load_visits(world: World, firms: Firms, scale: float, national: int, loader: Loader, fmt: Formats,
                cal: Calendar, ids: dict) -> Visits:
    rng = random.Random(SEED + 2)
    n = round(NATIONAL["visits"] * scale)
    pick_firm = firm_weights(firms, rng)
    days = cal.in_year(2019)
    start = date(2019, 3, 1).toordinal()
    all_days = Picker(days, [MONTH_WEIGHTS[date.fromordinal(d).month - 1] for d in days])
    campaign_days = Picker([d for d in days if d >= start],
                           [MONTH_WEIGHTS[date.fromordinal(d).month - 1] for d in days if d >= start])
    types = Picker([t for t, _w in VISIT_TYPES], [w for _t, w in VISIT_TYPES])
    v = Visits(array("i"), array("i"), array("q"), array("i"), array("i"))
    first = ids["visits"]
    team_rows = []

    def rows():
        for k in range(n):
            firm = pick_firm.pick(rng)
            campaign = campaign_of(firm, firms, world, national, rng)
            day = (campaign_days if campaign else all_days).pick(rng)
            sec = local_sec(day, 9 + rng.randrange(8), rng.randrange(60))
            office = world.leaves[firms.leaf[firm]]["id"]
            staff = world.officers[office]
            own = firms.officer[firm]
            lead = own if own and rng.random() < 0.85 else staff[rng.randrange(len(staff))]
            team = {lead}
            r = rng.random()
            for _ in range(1 if r < 0.5 else 2 if r < 0.6 else 0):
                team.add(staff[rng.randrange(len(staff))])
            visit_id = first + k
            for user_id in sorted(team):
                team_rows.append((visit_id, user_id))
            follow_up = fmt.day(day + rng.randint(7, 30)) if rng.random() < 0.05 else None
            v.firm.append(firm)
            v.day.append(day)
            v.sec.append(sec)
            v.campaign.append(campaign or 0)
            v.lead.append(lead)
            when = fmt.ts(sec)
            yield (visit_id, firms.start + firm, campaign, when, types.pick(rng), SUMMARIES[rng.randrange(6)], None,
                   follow_up, lead, when, when)

    loader.write("visits", ("id", "enterprise_id", "campaign_id", "visited_at", "visit_type", "summary", "findings",
                            "follow_up_on", "created_by_id", "created_at", "updated_at"), rows())
    loader.write("visit_officers", ("visit_id", "user_id"), team_rows)
    return v


def load_needs(engine: sa.Engine, world: World, firms: Firms, visits: Visits, scale: float, national: int,
               loader: Loader, fmt: Formats, cal: Calendar, ids: dict) -> dict:
    """Needs (80 % raised at a visit, with its campaign), their follow-ups, and, when the needs table has
    them (another part of issue 12 adds them), finished_on and working_days_to_close."""
    from tracker.needs.models import NeedCategory

    rng = random.Random(SEED + 3)
    n = round(NATIONAL["needs"] * scale)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("needs")}
    extra = tuple(c for c in ("finished_on", "working_days_to_close") if c in columns)
    with engine.connect() as conn:
        categories = [tuple(r) for r in conn.execute(
            sa.select(NeedCategory.id, NeedCategory.name, NeedCategory.deadline_days).order_by(NeedCategory.id))]
        conn.rollback()
    pick_category = Picker(categories, [CATEGORY_WEIGHTS.get(name, 5) for _i, name, _d in categories])
    pick_status = Picker([s for s, _w in NEED_STATUSES], [w for _s, w in NEED_STATUSES])
    pick_firm = firm_weights(firms, rng)
    days = cal.in_year(2019)
    start = date(2019, 3, 1).toordinal()
    campaign_days = [d for d in days if d >= start]
    sources = Picker(("portal", "phone", "briefing"), (40, 40, 20))
    first, fu_id = ids["needs"], ids["follow_ups"]
    follow_ups = []
    statuses: dict[str, int] = {}
    n_visits = len(visits.firm)

    def resolve_after(raised: int, deadline_days: int) -> int:
        wd = max(1, round(rng.lognormvariate(math.log(0.55 * deadline_days), 0.6)))
        return cal.add(raised, min(wd, 120))

    def rows():
        nonlocal fu_id
        for k in range(n):
            need_id = first + k
            if n_visits and rng.random() < 0.8:
                v = rng.randrange(n_visits)
                firm, raised, campaign = visits.firm[v], visits.day[v], visits.campaign[v] or None
                created = visits.sec[v] + 3600
                source, visit_id, creator = "visit", ids["visits"] + v, visits.lead[v]
            else:
                firm = pick_firm.pick(rng)
                campaign = campaign_of(firm, firms, world, national, rng)
                raised = (campaign_days if campaign else days)[rng.randrange(len(campaign_days if campaign else days))]
                created = local_sec(raised, 9 + rng.randrange(8), rng.randrange(60))
                source, visit_id = sources.pick(rng), None
                staff = world.officers[world.leaves[firms.leaf[firm]]["id"]]
                creator = staff[rng.randrange(len(staff))]
            leaf = world.leaves[firms.leaf[firm]]
            category, _name, deadline_days = pick_category.pick(rng)
            deadline = cal.add(raised, deadline_days)
            u = rng.random()
            department = None
            if u < 0.7:
                department = rng.choice(world.departments[leaf["id"]])
            elif u < 0.95:
                department = rng.choice(world.departments[leaf["parent"]])
            own = firms.officer[firm]
            u = rng.random()
            staff = world.officers[leaf["id"]]
            assigned = (own if own and u < 0.8 else staff[rng.randrange(len(staff))]) if u < 0.97 else None
            status = pick_status.pick(rng)
            statuses[status] = statuses.get(status, 0) + 1
            resolved_at = closed_at = None
            explanation = None
            finished = None
            updated = created
            who = assigned or creator
            reopened = status in ("closed", "resolved", "in_progress") and rng.random() < 0.02
            if reopened:
                first_done = resolve_after(raised, deadline_days)
                held = min(first_done + rng.randint(1, 5), date(2019, 12, 31).toordinal() + 30)
                fu_id += 1
                when = local_sec(held, 10 + rng.randrange(6), rng.randrange(60))
                follow_ups.append((fu_id, need_id, "call", fmt.day(held), "dissatisfied", "企业对答复不满意，重新办理。",
                                   who, fmt.ts(when)))
                raised_for_final = held
                updated = when
            else:
                raised_for_final = raised
            if status in ("closed", "resolved"):
                done = resolve_after(raised_for_final, deadline_days)
                resolved = local_sec(done, 9 + rng.randrange(8), rng.randrange(60))
                resolved_at = fmt.ts(resolved)
                finished = done
                updated = resolved
                if status == "closed":
                    closed_day = cal.add(done, rng.randint(1, 8))
                    closed = local_sec(closed_day, 9 + rng.randrange(8), rng.randrange(60))
                    closed_at = fmt.ts(closed)
                    updated = closed
                    if rng.random() < 0.3:
                        fu_id += 1
                        follow_ups.append((fu_id, need_id, "call" if rng.random() < 0.8 else "firm", fmt.day(closed_day),
                                           "satisfied" if rng.random() < 0.75 else "basically_satisfied", None, who,
                                           closed_at))
            elif status == "unresolvable":
                done = resolve_after(raised, deadline_days)
                closed = local_sec(done, 9 + rng.randrange(8), rng.randrange(60))
                closed_at = fmt.ts(closed)
                explanation = "涉及总署政策调整，已向企业说明。"
                finished = done
                updated = closed
            row = (need_id, firms.start + firm, campaign, visit_id, source, category, NEED_TEXTS[rng.randrange(9)],
                   department, assigned, fmt.day(raised), fmt.day(deadline), status, explanation, resolved_at,
                   closed_at, creator, fmt.ts(created), fmt.ts(updated))
            if extra:
                values = {"finished_on": fmt.day(finished),
                          "working_days_to_close": cal.between(raised, finished) if finished else None}
                row = row + tuple(values[c] for c in extra)
            yield row

    loader.write("needs", ("id", "enterprise_id", "campaign_id", "visit_id", "source", "category_id", "content",
                           "department_id", "assigned_officer_id", "raised_on", "deadline", "status", "explanation",
                           "resolved_at", "closed_at", "created_by_id", "created_at", "updated_at") + extra, rows())
    loader.write("follow_ups", ("id", "need_id", "channel", "held_on", "satisfaction", "note", "by_id", "created_at"),
                 follow_ups)
    return {"needs_by_status": statuses, "need_columns_filled": list(extra)}


def load_plans(world: World, firms: Firms, scale: float, national: int, loader: Loader, fmt: Formats,
               ids: dict) -> dict:
    rng = random.Random(SEED + 4)
    n = round(NATIONAL["plans"] * scale)
    on_national = sorted(firms.national)
    on_office = sorted(firms.office_roster)
    chosen = [(f, national) for f in rng.sample(on_national, min(len(on_national), round(n * 0.7)))]
    rest = n - len(chosen)
    chosen += [(f, world.leaves[firms.leaf[f]]["campaign"]) for f in rng.sample(on_office, min(len(on_office), rest))]
    pick_status = Picker([s for s, _w in PLAN_STATUSES], [w for _s, w in PLAN_STATUSES])
    measures = []
    measure_id = ids["plan_measures"] - 1

    def rows():
        nonlocal measure_id
        for k, (firm, campaign) in enumerate(chosen):
            plan_id = ids["assistance_plans"] + k
            leaf = world.leaves[firms.leaf[firm]]
            staff = world.officers[leaf["id"]]
            owner = firms.officer[firm] or staff[rng.randrange(len(staff))]
            status = pick_status.pick(rng)
            created_day = date(2019, 3, 10).toordinal() + rng.randrange(120)
            created = local_sec(created_day, 9 + rng.randrange(8), rng.randrange(60))
            submitted = None if status == "draft" else created + 86400 * rng.randint(1, 10)
            approved = submitted + 86400 * rng.randint(1, 7) if status in ("approved", "in_progress", "completed") else None
            returned = "请补充具体措施和时限。" if status == "draft" and rng.random() < 0.2 else None
            approver = world.managers[leaf["id"]] if approved else None
            for position in range(rng.choice((1, 2, 3, 3, 3, 4, 5))):
                measure_id += 1
                m_status = ("done" if status == "completed" else "open" if status in ("draft", "submitted")
                            else ("open", "in_progress", "done")[rng.randrange(3)])
                measures.append((measure_id, plan_id, position, NEED_TEXTS[rng.randrange(9)].replace("希望", "协助"),
                                 owner, fmt.day(date(2019, 12, 20).toordinal() - rng.randrange(200)), m_status,
                                 "已完成。" if m_status == "done" else None))
            yield (plan_id, firms.start + firm, campaign, "帮助企业解决通关和认证方面的问题，提升贸易便利化水平。", status,
                   returned, fmt.ts(submitted), approver, fmt.ts(approved), owner, fmt.ts(created),
                   fmt.ts(approved or submitted or created))

    loader.write("assistance_plans", ("id", "enterprise_id", "campaign_id", "objective", "status", "return_comment",
                                      "submitted_at", "approved_by_id", "approved_at", "created_by_id", "created_at",
                                      "updated_at"), rows())
    loader.write("plan_measures", ("id", "plan_id", "position", "description", "owner_id", "deadline", "status",
                                   "result"), measures)
    return {"plans": len(chosen), "measures": len(measures)}


TYPE_WEIGHTS = {"CO": 35, "FORM_E": 25, "RCEP": 15, "FORM_A": 3, "APTA": 5, "FORM_P": 3, "FORM_F": 2, "FORM_N": 2,
                "FORM_X": 2, "FORM_R": 1, "FORM_L": 1, "FORM_S": 2, "FORM_IS": 1, "FORM_AU": 3}
COUNTRIES = {"CO": ("US", "DE", "GB", "FR", "IT", "NL", "CA", "AE", "SA", "BR"),
             "FORM_E": ("VN", "TH", "MY", "ID", "PH", "SG", "MM", "KH"), "RCEP": ("JP", "KR", "AU", "NZ", "VN", "TH"),
             "FORM_A": ("NO", "RU", "KZ"), "APTA": ("IN", "KR", "BD", "LK"), "FORM_P": ("PK",), "FORM_F": ("CL",),
             "FORM_N": ("NZ",), "FORM_X": ("SG",), "FORM_R": ("PE",), "FORM_L": ("CR",), "FORM_S": ("CH",),
             "FORM_IS": ("IS",), "FORM_AU": ("AU",)}
SLOT_STARTS = ((8, 30), (9, 0), (9, 30), (10, 0), (10, 30), (11, 0), (13, 30), (14, 0), (14, 30), (15, 0), (15, 30),
               (16, 0))
WASTED_REASONS = (("documents_missing", 55), ("wrong_certificate_type", 20), ("system_outage", 10), ("other", 15))


def load_appointments(world: World, firms: Firms, scale: float, loader: Loader, fmt: Formats, cal: Calendar,
                      ids: dict) -> dict:
    """Every working day of 2019 at every 隶属海关's counter: bookings in 12 half-hour slots (a slot row for
    each slot that had one), of capacity fitted to the office's firms, and walk-ins; statuses, step times,
    certificates issued and ratings. About 7 % walk-ins, 5 % cancelled, 4 % no-shows, 2 % wasted trips."""
    rng = random.Random(SEED + 5)
    total = round(NATIONAL["appointments"] * scale)
    days = cal.in_year(2019)
    live_total = sum(len(x) for x in firms.by_leaf) or 1
    types = {code: world.certificate_types[code] for code in sorted(world.certificate_types) if code in TYPE_WEIGHTS}
    pick_type = Picker(list(types), [TYPE_WEIGHTS[c] for c in types])
    pick_reason = Picker([r for r, _w in WASTED_REASONS], [w for _r, w in WASTED_REASONS])
    all_live = [i for leaf in firms.by_leaf for i in leaf]
    next_slot, next_appt = ids["slots"], ids["appointments"]
    next_issued, next_rating = ids["issued_certificates"], ids["service_ratings"]
    counts = {"completed": 0, "cancelled": 0, "no_show": 0, "wasted": 0, "walk_in": 0}
    slot_cols = ("id", "service_point_id", "day", "starts_at", "ends_at", "capacity", "booked", "offered")
    appt_cols = ("id", "service_point_id", "slot_id", "enterprise_id", "visitor_name", "walk_in", "status", "day",
                 "certificate_type_id", "destination_country", "quantity", "sailing_date", "booked_by_id", "booked_at",
                 "queue_number", "window_id", "served_by_id", "checked_in_at", "called_at", "started_at",
                 "finished_at", "cancelled_at", "cancelled_by_id", "wasted_reason", "wasted_note", "needs_rearranging")
    issued_cols = ("id", "appointment_id", "certificate_type_id", "quantity")
    rating_cols = ("id", "appointment_id", "good", "comment", "rated_by_id", "rated_at", "answer_due", "answer",
                   "answered_by_id", "answered_at")
    plan = []
    for k, leaf in enumerate(world.leaves):
        share = len(firms.by_leaf[k]) / live_total
        daily = total * share / len(days)
        booked = daily * 0.93
        capacity = max(1, math.ceil(booked / len(SLOT_STARTS) * 1.3))
        plan.append((leaf, daily, capacity))
    slots, appts, issued, ratings = [], [], [], []

    def flush():
        loader.write("slots", slot_cols, slots)
        loader.write("appointments", appt_cols, appts)
        loader.write("issued_certificates", issued_cols, issued)
        loader.write("service_ratings", rating_cols, ratings)
        slots.clear(), appts.clear(), issued.clear(), ratings.clear()

    for day in days:
        for k, (leaf, daily, capacity) in enumerate(plan):
            point, windows = world.points[leaf["id"]]
            staff = world.officers[leaf["id"]]
            manager = world.managers[leaf["id"]]
            local = firms.by_leaf[k] if len(firms.by_leaf[k]) >= 5 else all_live
            n_booked = min(capacity * len(SLOT_STARTS), _stochastic_round(rng, daily * 0.93 * rng.uniform(0.6, 1.4)))
            n_walk = _stochastic_round(rng, daily * 0.07 * rng.uniform(0.5, 1.5))
            queue = 0
            # Bookings spread over the slots, each holding at most `capacity`.
            per_slot = [0] * len(SLOT_STARTS)
            for _ in range(n_booked):
                s = rng.randrange(len(SLOT_STARTS))
                while per_slot[s] >= capacity:
                    s = (s + 1) % len(SLOT_STARTS)
                per_slot[s] += 1
            entries = []  # (slot index or None, walk-in)
            for s, m in enumerate(per_slot):
                entries.extend((s, False) for _ in range(m))
            entries.extend((None, True) for _ in range(n_walk))
            slot_ids: dict[int, list] = {}
            for s, walk_in in entries:
                appt_id = next_appt
                next_appt += 1
                code = pick_type.pick(rng)
                type_id = types[code]
                country = COUNTRIES[code][rng.randrange(len(COUNTRIES[code]))]
                if walk_in:
                    slot_id = None
                    start = local_sec(day, 8 + rng.randrange(8), 30 * rng.randrange(2)) + rng.randrange(1800)
                    end = start + 1800
                else:
                    if s not in slot_ids:
                        h, m = SLOT_STARTS[s]
                        slot_ids[s] = [next_slot, local_sec(day, h, m), 0, set()]
                        next_slot += 1
                    slot_id, start = slot_ids[s][0], slot_ids[s][1]
                    end = start + 1800
                firm = local[rng.randrange(len(local))]
                if slot_id is not None:
                    pool = local if len(slot_ids[s][3]) < len(local) // 2 else all_live
                    while firm in slot_ids[s][3]:
                        firm = pool[rng.randrange(len(pool))]
                    slot_ids[s][3].add(firm)
                enterprise_id, visitor = firms.start + firm, None
                if walk_in and rng.random() < 0.02:
                    enterprise_id, visitor = None, "个人申请人"
                u = rng.random()
                if walk_in:
                    status = "wasted" if u < 0.04 else "completed"
                else:
                    status = ("cancelled" if u < 0.05 else "no_show" if u < 0.09 else "wasted" if u < 0.11
                              else "completed")
                if slot_id is not None and status != "cancelled":
                    slot_ids[s][2] += 1
                booked_at = start - 3600 * rng.randint(2, 240) if not walk_in else start
                booked_by = staff[rng.randrange(len(staff))] if walk_in or rng.random() < 0.3 else None
                sailing = fmt.day(day + rng.randint(0, 2) if rng.random() < 0.25 else day + rng.randint(3, 10)) \
                    if rng.random() < 0.6 else None
                q = window = served = checked = called = started = finished = cancelled = cancelled_by = None
                reason = note = None
                if status in ("completed", "wasted"):
                    queue += 1
                    q = queue
                    window = windows[q % len(windows)]
                    served = staff[q % len(staff)]
                    checked = start - rng.randrange(900) if not walk_in else start
                    called = checked + min(3600, int(rng.expovariate(1 / 540)))
                    started = called + rng.randrange(90)
                    if status == "completed":
                        finished = started + min(3600, int(rng.lognormvariate(math.log(420), 0.45)))
                    else:
                        finished = started + 120 + rng.randrange(180)
                        reason = pick_reason.pick(rng)
                        note = "企业印章不清晰" if reason == "other" else None
                elif status == "no_show":
                    finished = end + 1800
                else:
                    cancelled = booked_at + (start - booked_at) // 2
                    cancelled_by = booked_by
                quantity = 1 + min(98, int(rng.expovariate(0.5)))
                counts[status] += 1
                counts["walk_in"] += walk_in
                appts.append((appt_id, point, slot_id, enterprise_id, visitor, walk_in, status, fmt.day(day), type_id,
                              country, quantity, sailing, booked_by, fmt.ts(booked_at), q, window, served,
                              fmt.ts(checked), fmt.ts(called), fmt.ts(started), fmt.ts(finished), fmt.ts(cancelled),
                              cancelled_by, reason, note, False))
                if status == "completed":
                    issued.append((next_issued, appt_id, type_id, quantity))
                    next_issued += 1
                    if rng.random() < 0.08:
                        other = pick_type.pick(rng)
                        if other != code:
                            issued.append((next_issued, appt_id, types[other], 1 + rng.randrange(3)))
                            next_issued += 1
                    if rng.random() < 0.25:
                        good = rng.random() < 0.97
                        rated = finished + rng.randrange(2 * 86400)
                        due = cal.add(local_ordinal(rated), 1) if not good else None
                        answer = answered = answered_by = None
                        if not good:
                            v = rng.random()
                            if v < 0.95:
                                answered = (rated + rng.randrange(6 * 3600) if v < 0.85
                                            else local_sec(due, 10) + 86400 * rng.randint(1, 5))
                                answer = "已联系企业说明情况，并改进窗口服务。"
                                answered_by = manager
                        ratings.append((next_rating, appt_id, good, None if good else "等待时间太长", None, fmt.ts(rated),
                                        fmt.day(due), answer, answered_by, fmt.ts(answered)))
                        next_rating += 1
            for s, (slot_id, start, booked, _firms) in slot_ids.items():
                slots.append((slot_id, point, fmt.day(day), fmt.ts(start), fmt.ts(start + 1800), capacity, booked, True))
        if len(appts) >= 200_000:
            flush()
    flush()
    return {"appointments_by_kind": counts}


# Building, caching ----------------------------------------------------------------------------------
MARKER = "bench_dataset"


def dataset_url(kind: str, scale: float) -> str:
    tag = "national" if scale == 1 else "s" + f"{scale:g}".replace(".", "_")
    if kind == "sqlite":
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        return "sqlite:///" + str(DATA_DIR / f"reports-{tag}.sqlite3")
    return str(sa.engine.make_url(POSTGRES_URL).set(database=f"bench_reports_{tag}" if scale != 1 else "bench_reports"))


def read_marker(url: str) -> dict | None:
    """The marker's rows, or None when the database, the table or a complete data set is missing."""
    if url.startswith("sqlite") and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table(MARKER):
                return None
            rows = dict(conn.execute(sa.text(f"SELECT key, value FROM {MARKER}")).all())
    except sa.exc.OperationalError:
        return None
    finally:
        engine.dispose()
    values = {k: json.loads(v) for k, v in rows.items()}
    return values if values.get("state") == "complete" else None


def write_marker(engine: sa.Engine, values: dict) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {MARKER} (key VARCHAR(50) PRIMARY KEY, value TEXT NOT NULL)")
        conn.exec_driver_sql(f"DELETE FROM {MARKER}")
        for key, value in values.items():
            conn.execute(sa.text(f"INSERT INTO {MARKER} (key, value) VALUES (:k, :v)"),
                         {"k": key, "v": json.dumps(value, ensure_ascii=False, default=str)})


def fresh_database(kind: str, url: str) -> None:
    if kind == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    target = sa.engine.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    admin.dispose()


def database_mb(kind: str, url: str) -> float:
    if kind == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        return round(sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20, 1)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        size = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()
    engine.dispose()
    return round(size / 2**20, 1)


def build(kind: str, url: str, scale: float) -> dict:
    """A fresh database with the data set at *scale*; returns the marker's values."""
    from tracker.extensions import db

    started_all = time.perf_counter()
    steps: dict[str, float] = {}

    def step(name: str, since: float) -> float:
        steps[name] = round(time.perf_counter() - since, 1)
        return time.perf_counter()

    log(f"{kind}: building the reports data set at scale {scale:g} ({url})")
    fresh_database(kind, url)
    t = time.perf_counter()
    app, timings = bench_run.migrated_app(url)
    steps.update({"migrate": timings["migrate_s"], "seed_demo": timings["seed_demo_s"]})
    t = time.perf_counter()
    world = World()
    fmt = Formats(kind == "postgresql")
    cal = Calendar(2018, 2021)
    info: dict = {}
    with app.app_context():
        engine = db.engine
        made = build_tree(world)
        # Firms per 隶属海关 decide its officers.
        leaf_of = assign_leaves(max(100, round(NATIONAL["firms"] * scale)), world.leaves)
        per_leaf = [0] * len(world.leaves)
        for k in leaf_of:
            per_leaf[k] += 1
        users = add_users(engine, world, per_leaf)
        points = add_points(world)
        db.session.remove()
        t = step("offices_users_points", t)
        log(f"{kind}: {made} offices, {users} users, {points} counters")
        indexes = secondary_indexes(engine, BULK_TABLES)
        drop_indexes(engine, indexes)
        loader = Loader(engine, check_foreign_keys=scale < 0.05)
        firms, firm_info = load_firms(engine, world, leaf_of, loader, fmt, log)
        info.update(firm_info)
        t = step("firms", t)
        info.update(add_campaigns(engine, world, firms, loader))
        national = info["national_campaign"]
        ids = next_ids(engine, ("visits", "needs", "follow_ups", "assistance_plans", "plan_measures", "slots",
                                "appointments", "issued_certificates", "service_ratings"))
        t = step("campaigns_rosters", t)
        visits = load_visits(world, firms, scale, national, loader, fmt, cal, ids)
        t = step("visits", t)
        log(f"{kind}: {loader.rows['visits']:,} visits in {steps['visits']} s")
        info.update(load_needs(engine, world, firms, visits, scale, national, loader, fmt, cal, ids))
        del visits
        t = step("needs", t)
        log(f"{kind}: {loader.rows['needs']:,} needs, {loader.rows['follow_ups']:,} follow-ups in {steps['needs']} s")
        info.update(load_plans(world, firms, scale, national, loader, fmt, ids))
        t = step("plans", t)
        info.update(load_appointments(world, firms, scale, loader, fmt, cal, ids))
        t = step("appointments", t)
        log(f"{kind}: {loader.rows['appointments']:,} appointments in {steps['appointments']} s")
        loader.close()
        index_s = create_indexes(engine, indexes)
        t = step("indexes", t)
        log(f"{kind}: {len(indexes)} indexes made again in {steps['indexes']} s")
        if kind == "postgresql":
            with engine.begin() as conn:
                for table in ("enterprises", "declaration_counts", "roster_entries", "visits", "needs", "follow_ups",
                              "assistance_plans", "plan_measures", "slots", "appointments", "issued_certificates",
                              "service_ratings"):
                    conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                         f"coalesce((SELECT max(id) FROM {table}), 1))")
        datagen.analyze(engine)
        t = step("analyze", t)
        largest = max(range(len(world.leaves)), key=lambda k: len(firms.by_leaf[k]))
        leaf = world.leaves[largest]
        with engine.connect() as conn:
            revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
            tables = {name: conn.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar() for name in
                      ("offices", "departments", "users", "enterprises", "declaration_counts", "campaigns",
                       "roster_entries", "visits", "visit_officers", "needs", "follow_ups", "assistance_plans",
                       "plan_measures", "service_points", "slots", "appointments", "issued_certificates",
                       "service_ratings")}
            visited = conn.execute(sa.text(
                "SELECT count(*) FROM roster_entries r WHERE r.campaign_id = :c AND EXISTS (SELECT 1 FROM visits v "
                "WHERE v.enterprise_id = r.enterprise_id AND v.campaign_id = :c)"), {"c": national}).scalar()
            conn.rollback()
        info.update({"office": {"code": leaf["code"], "id": leaf["id"], "campaign": leaf["campaign"],
                                "manager": f"bench-mgr-{leaf['code']}", "firms": len(firms.by_leaf[largest])},
                     "direct_office": {"id": leaf["parent"]},
                     "national_manager": NATIONAL_MANAGER, "national_roster_visited": visited})
        engine.dispose()
    load_s = round(time.perf_counter() - started_all, 1)
    marker = {"version": DATA_VERSION, "scale": scale, "built_at": datetime.now(timezone.utc).isoformat(),
              "load_s": load_s, "steps": steps, "write_s": {k: round(v, 1) for k, v in loader.seconds.items()},
              "index_s": index_s, "tables": tables, "info": info, "revision": revision,
              "database_mb": database_mb(kind, url), "state": "complete"}
    engine = sa.create_engine(url)
    write_marker(engine, marker)
    engine.dispose()
    log(f"{kind}: data set built in {load_s} s, {marker['database_mb']} MB: {tables}")
    return marker


def fill_need_columns(engine: sa.Engine, cal: Calendar) -> list[str]:
    """finished_on and working_days_to_close, for a cached data set built before those columns existed: filled
    from resolved_at (resolved, closed) or closed_at (unresolvable), when no row has them yet."""
    columns = {c["name"] for c in sa.inspect(engine).get_columns("needs")}
    wanted = [c for c in ("finished_on", "working_days_to_close") if c in columns]
    if not wanted:
        return []
    with engine.connect() as conn:
        filled = conn.execute(sa.text(f"SELECT count(*) FROM needs WHERE {wanted[0]} IS NOT NULL")).scalar()
        conn.rollback()
    if filled:
        return []
    log(f"filling {', '.join(wanted)} of the cached needs")
    table = sa.Table("needs", sa.MetaData(), autoload_with=engine)  # the model may not know the columns yet
    with engine.connect() as conn:
        rows = conn.execute(sa.select(table.c.id, table.c.raised_on, table.c.status, table.c.resolved_at,
                                      table.c.closed_at).where(table.c.status.in_(("resolved", "closed",
                                                                                     "unresolvable")))).all()
        conn.rollback()
    updates = []
    for need_id, raised, status, resolved_at, closed_at in rows:
        done = resolved_at if status in ("resolved", "closed") and resolved_at else closed_at
        if done is None:
            continue
        if done.tzinfo is None:  # reflected SQLite timestamps are naive UTC
            done = done.replace(tzinfo=timezone.utc)
        finished = local_ordinal(int(done.timestamp()))
        values = {"finished_on": date.fromordinal(finished), "working_days_to_close": cal.between(raised.toordinal(), finished)}
        updates.append({"b_id": need_id, **{f"b_{c}": values[c] for c in wanted}})
    stmt = table.update().where(table.c.id == sa.bindparam("b_id")).values(
        {c: sa.bindparam(f"b_{c}") for c in wanted})
    with engine.begin() as conn:
        for start in range(0, len(updates), 50_000):
            conn.execute(stmt, updates[start:start + 50_000])
    return wanted


def ensure_dataset(kind: str, scale: float, rebuild: bool = False) -> tuple[str, dict]:
    """The cached data set at *scale* (built when missing, of another version, or with rebuild), migrated to the
    code's head (new migrations run on the loaded data, as they would in production)."""
    url = dataset_url(kind, scale)
    marker = None if rebuild else read_marker(url)
    if marker is not None and (marker.get("version") != DATA_VERSION or marker.get("scale") != scale):
        log(f"{kind}: the cached data set is of {marker.get('version')} at {marker.get('scale')}: rebuilding")
        marker = None
    if marker is None:
        return url, build(kind, url, scale)
    from flask_migrate import upgrade

    from tracker import create_app
    from tracker.extensions import db

    app = create_app(bench_run.bench_config(url))
    with app.app_context():
        started = time.perf_counter()
        upgrade()
        engine = db.engine
        with engine.connect() as conn:
            revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
            conn.rollback()
        changed = sorted(revision) != sorted(marker.get("revision", []))
        filled = fill_need_columns(engine, Calendar(2018, 2021))
        if changed or filled:
            datagen.analyze(engine)
            marker.setdefault("upgrades", []).append({"at": datetime.now(timezone.utc).isoformat(), "from": marker.get(
                "revision"), "to": revision, "filled": filled, "seconds": round(time.perf_counter() - started, 1)})
            marker["revision"] = revision
            marker["database_mb"] = database_mb(kind, url)
            write_marker(engine, marker)
            log(f"{kind}: cached data set migrated to {revision} (filled {filled}) in "
                f"{marker['upgrades'][-1]['seconds']} s")
        db.session.remove()
        engine.dispose()
    log(f"{kind}: cached data set at scale {scale:g}: built {marker['built_at']} in {marker['load_s']} s, "
        f"{marker['database_mb']} MB")
    return url, marker


# Measuring ------------------------------------------------------------------------------------------
@dataclass
class Page:
    name: str
    url: str
    user: str
    target_ms: float | None
    kind: str = "dashboard"  # or "list"


def pages_for(info: dict, listing_keys: list[str]) -> list[Page]:
    national, office = info["national_campaign"], info["office"]
    n500, n200 = TARGETS["dashboard_national_ms"], TARGETS["dashboard_office_ms"]
    pages = [
        Page("dashboard, national", f"/reports/campaigns/{national}", NATIONAL_MANAGER, n500),
        Page("dashboard, national, 2019-Q3 against Q2 (extra)",
             f"/reports/campaigns/{national}?from=2019-07-01&to=2019-09-30", NATIONAL_MANAGER, n500),
        Page(f"dashboard, national campaign, office filter {office['code']}",
             f"/reports/campaigns/{national}?office={office['id']}", NATIONAL_MANAGER, n200),
        Page(f"dashboard, {office['code']}'s own campaign, as its manager", f"/reports/campaigns/{office['campaign']}",
             office["manager"], n200),
    ]
    for key in listing_keys:
        pages.append(Page(f"list {key}, national", f"/reports/campaigns/{national}/list/{key}", NATIONAL_MANAGER,
                          TARGETS["drilldown_ms"], "list"))
        pages.append(Page(f"list {key}, {office['code']}", f"/reports/campaigns/{office['campaign']}/list/{key}",
                          office["manager"], TARGETS["drilldown_ms"], "list"))
    return pages


def registered_listings(url: str) -> tuple[list[str], list[str]]:
    """(every registered drill-down key, the report endpoints that look like exports)."""
    from tracker import create_app
    from tracker.reports import listings

    app = create_app(bench_run.bench_config(url))
    with app.app_context():
        listings.load_modules()
        keys = sorted(listings.LISTINGS)
        exports = sorted(f"{r.rule} [{','.join(sorted(r.methods - {'HEAD', 'OPTIONS'}))}]" for r in app.url_map.iter_rules()
                         if r.endpoint.startswith("reports.") and "export" in r.endpoint)
    return keys, exports


def choose_listings(keys: list[str], wanted: list[str] | None, every: bool) -> list[str]:
    if every:
        return keys
    if wanted:
        return [k for k in wanted if k in keys]
    chosen = [k for k in PREFERRED_LISTINGS if k in keys]
    for want in PREFERRED_LISTINGS:  # a section may name it differently: needs.overdue_list, roster.unvisited
        if want in chosen:
            continue
        tail = want.split(".")[-1].replace("not_", "un")
        near = [k for k in keys if k.split(".")[0] == want.split(".")[0] and (want.split(".")[-1] in k or tail in k)]
        if near:
            chosen.append(near[0])
    return chosen


def measure_http(server, url: str, pages: list[Page], warmup: int, timed: int, max_wait: float) -> dict:
    import counter

    sessions = {}
    out = {}
    meter = counter.CpuMeter(server, url)
    for page in pages:
        if page.user not in sessions:
            sessions[page.user] = counter.signed_in(server.base, page.user)
        session = sessions[page.user]
        started = time.perf_counter()
        first = session.get(server.base + page.url, timeout=300)
        first_s = time.perf_counter() - started
        # The first request of a page counts what nothing has kept yet (reports/cache.py): a cold reader's wait.
        first_ms = round(first_s * 1000, 1)
        if first.status_code == 404:
            out[page.name] = {"url": page.url, "status": 404, "skipped": True}
            log(f"  {page.name}: 404, skipped")
            continue
        for _ in range(max(0, warmup - 1)):
            started = time.perf_counter()
            session.get(server.base + page.url, timeout=300)
            first_s = time.perf_counter() - started
        # A page slower than SLOW_PAGE_S a request is timed SLOW_PAGE_REQUESTS times only (said in the table).
        page_timed = min(timed, SLOW_PAGE_REQUESTS) if first_s > SLOW_PAGE_S else timed
        measure.wait_for_quiet(0.3, 3.0, max_wait, say=log)
        latency, in_app, sql, count, statuses = [], [], [], [], set()
        before = meter.sample()
        body = b""
        timed_here = page_timed
        for _ in range(timed_here):
            started = time.perf_counter()
            response = session.get(server.base + page.url, timeout=300)
            body = response.content
            latency.append((time.perf_counter() - started) * 1000)
            statuses.add(response.status_code)
            r, s, c = counter.timing(response)
            in_app.append(r)
            sql.append(s)
            count.append(c)
        cpu = counter.CpuMeter.between(before, meter.sample(), timed_here)
        out[page.name] = {
            "url": page.url, "user": page.user, "status": sorted(statuses), "bytes": len(body), "first_ms": first_ms,
            "latency_ms": _summary(latency), "in_app_ms": _summary(in_app), "sql_in_app_ms": _summary(sql),
            "statements": max(count), "statements_seen": sorted(set(count)), "others_cores": cpu["others_cores"],
            "cpu": cpu, "target_ms": page.target_ms, "kind": page.kind, "requests": timed_here}
        log(f"  {page.name}: p50 {out[page.name]['latency_ms']['p50']} ms, p95 {out[page.name]['latency_ms']['p95']} ms, "
            f"{max(count)} statements, SQL {out[page.name]['sql_in_app_ms']['p50']} ms, HTTP {sorted(statuses)}")
    for session in sessions.values():
        session.close()
    return out


def _summary(values: list[float]) -> dict:
    if not values:
        return {}
    return {"p50": round(measure.percentile(values, 50), 1), "p95": round(measure.percentile(values, 95), 1),
            "min": round(min(values), 1), "max": round(max(values), 1), "mean": round(statistics.fmean(values), 1)}


READ_ONLY = re.compile(r"^\s*(SELECT|WITH)\b", re.I)


def sql_alone(url: str, pages: list[Page], skipped: set[str], repeat: int) -> dict:
    """Each page's statements recorded in-process (test client, the same app and database), then run again raw
    on one DBAPI connection, each *repeat* times (median per statement, summed); the page's own in-process
    time over as many requests, for comparison. Statements that write (none expected on a report) count with
    the time they took in the page."""
    from tracker import create_app
    from tracker.extensions import db

    app = create_app(bench_run.bench_config(url))
    out = {}
    # No app context stays pushed around the test client's requests: each request must push its own, or
    # flask-login's user (kept in g) would be shared between requests and users, and not loaded per request.
    with app.app_context():
        engine = db.engine
    log_ = measure.StatementLog(engine)
    callers: list[str] = []

    def caller(conn, cursor, statement, parameters, context, executemany):
        # Which code of tracker/ sent the statement (the innermost frame of tracker/reports/ other than its
        # sql helpers, else of tracker/): the section and function that cost the time.
        if not log_.recording:
            return
        app_dir = str(ROOT / "tracker") + "/"
        frames = [f for f in traceback.extract_stack() if f.filename.startswith(app_dir)]
        own = [f for f in frames if f.filename.startswith(app_dir + "reports/")
               and not f.filename.endswith(("/reports/sql.py", "/reports/figures.py"))]
        f = (own or frames or [None])[-1]
        callers.append("" if f is None else f"{f.filename[len(app_dir):]}:{f.lineno} {f.name}()")

    sa.event.listen(engine, "before_cursor_execute", caller)
    clients = {}
    for page in pages:
        if page.name in skipped:
            continue
        client = clients.get(page.user)
        if client is None:
            client = clients[page.user] = app.test_client()
            measure.sign_in(client, page.user, PASSWORD)
        for _ in range(2):
            client.get(page.url).get_data()
        page_ms = []
        page_repeat = repeat
        for k in range(repeat):
            if k >= page_repeat:
                break
            started = time.perf_counter()
            client.get(page.url).get_data()
            page_ms.append((time.perf_counter() - started) * 1000)
            if page_ms[-1] > SLOW_PAGE_S * 1000:
                page_repeat = min(repeat, 1)
        callers.clear()
        log_.start()
        client.get(page.url).get_data()
        all_records = log_.stop()
        where = list(callers)
        keep = [k for k, r in enumerate(all_records) if not measure.TRANSACTION_CONTROL.match(r[0])]
        records = [all_records[k] for k in keep]
        where = [where[k] if k < len(where) else "" for k in keep]
        raw = engine.raw_connection()
        try:
            samples: list[list[float]] = [[] for _ in records]
            for _ in range(page_repeat):
                for k, (statement, params, seconds) in enumerate(records):
                    if not READ_ONLY.match(statement):
                        samples[k].append(seconds * 1000)
                        continue
                    cur = raw.cursor()
                    started = time.perf_counter()
                    cur.execute(statement, params if params else ())
                    cur.fetchall()
                    samples[k].append((time.perf_counter() - started) * 1000)
                    cur.close()
            raw.rollback()
        finally:
            raw.close()
        per_statement = [statistics.median(s) for s in samples]
        total = sum(per_statement)
        out[page.name] = {
            "statements": len(records), "sql_alone_ms": round(total, 1),
            "in_process_ms": round(statistics.median(page_ms), 1),
            "slowest": sorted(({"ms": round(ms, 2), "where": w, "sql": r[0][:2000]}
                               for ms, r, w in zip(per_statement, records, where)), key=lambda d: -d["ms"])[:5]}
        log(f"  {page.name}: SQL alone {total:.1f} ms in {len(records)} statements, in-process page "
            f"{out[page.name]['in_process_ms']} ms")
    engine.dispose()
    return out


def scope_probes(url: str, info: dict, repeat: int = 3) -> list[dict]:
    """What the report's base conditions (tracker/reports/scope.py) cost at this scale, the floor under every
    section's statement that filters by them: one count(*) per entity under the default filters, for the
    national campaign as bench-national and for the largest 隶属海关's campaign as its manager, with and
    without the firm condition (firm_condition: the entity's firm among the offices' firms), median of
    *repeat* runs, and each statement's plan (EXPLAIN QUERY PLAN / EXPLAIN ANALYZE) in the JSON."""
    from flask_login import login_user

    from tracker import create_app
    from tracker.appointments.models import Appointment
    from tracker.auth.models import User
    from tracker.campaigns.models import Campaign, RosterEntry
    from tracker.enterprises.models import Enterprise
    from tracker.extensions import db
    from tracker.i18n import local_today
    from tracker.needs.models import Need
    from tracker.plans.models import AssistancePlan
    from tracker.reports.scope import ReportFilters, ReportScope
    from tracker.visits.models import Visit

    app = create_app(bench_run.bench_config(url))
    out = []
    with app.app_context():
        engine = db.engine
        statements = measure.StatementLog(engine)
        for label, campaign_id, username in (("national", info["national_campaign"], NATIONAL_MANAGER),
                                             (info["office"]["code"], info["office"]["campaign"],
                                              info["office"]["manager"])):
            with app.test_request_context():
                user = db.session.scalar(sa.select(User).where(User.username == username))
                login_user(user)
                campaign = db.session.get(Campaign, campaign_id)
                today = local_today()
                scope = ReportScope(campaign, user, ReportFilters.parse({}, campaign, user, today), today)
                firmless = lambda conditions, column: [c for c in conditions  # noqa: E731
                                                       if str(c) != str(scope.firm_condition(column))]
                count = sa.func.count()
                queries = {
                    "roster (roster_condition)": sa.select(count).select_from(RosterEntry).join(
                        Enterprise, Enterprise.id == RosterEntry.enterprise_id).where(*scope.roster_condition()),
                    "visits (visit_conditions)": sa.select(count).select_from(Visit).where(*scope.visit_conditions()),
                    "visits, no firm condition": sa.select(count).select_from(Visit).where(
                        *firmless(scope.visit_conditions(), Visit.enterprise_id)),
                    "needs (need_conditions)": sa.select(count).select_from(Need).where(*scope.need_conditions()),
                    "needs, no firm condition": sa.select(count).select_from(Need).where(
                        *firmless(scope.need_conditions(), Need.enterprise_id)),
                    "needs, any date (need_conditions(in_period=False))": sa.select(count).select_from(Need).where(
                        *scope.need_conditions(in_period=False)),
                    "plans (plan_conditions)": sa.select(count).select_from(AssistancePlan).where(
                        *scope.plan_conditions()),
                    "appointments (appointment_conditions)": sa.select(count).select_from(Appointment).where(
                        *scope.appointment_conditions()),
                }
                for name, stmt in queries.items():
                    times = []
                    for k in range(repeat):
                        statements.start()
                        started = time.perf_counter()
                        rows = db.session.execute(stmt).scalar()
                        times.append((time.perf_counter() - started) * 1000)
                        records = measure.StatementLog.queries(statements.stop())
                    sql, params, _s = records[-1]
                    try:
                        plan = measure.explain(engine, sql, params)
                    except Exception as exc:  # a plan is a help, not a result
                        plan = f"(no plan: {exc})"
                    out.append({"campaign": label, "probe": name, "rows": rows, "ms": round(statistics.median(times), 1),
                                "sql": sql, "plan": plan})
                    log(f"  {label}: {name}: {rows:,} rows in {out[-1]['ms']} ms")
                # The contract's percentile (tracker/reports/sql.py: a row_number() window over every value),
                # for the counter's waiting time: its cost grows with the appointments in scope.
                from tracker.reports.sql import percentiles, seconds_between

                times = []
                for k in range(repeat):
                    started = time.perf_counter()
                    value = percentiles(db.session, seconds_between(Appointment.checked_in_at, Appointment.called_at),
                                        scope.appointment_conditions())
                    times.append((time.perf_counter() - started) * 1000)
                out.append({"campaign": label, "probe": "waiting time p50/p90 (sql.percentiles, appointment_conditions)",
                            "rows": f"{value[50]:.0f} / {value[90]:.0f} s" if value[50] is not None else "—",
                            "ms": round(statistics.median(times), 1), "sql": "", "plan": ""})
                log(f"  {label}: percentiles {value} in {out[-1]['ms']} ms")
                db.session.remove()
        engine.dispose()
    return out


def vm_status(pid: int | str = "self") -> dict[str, float]:
    """VmRSS and VmHWM (peak resident memory) of a process, in MB, from /proc."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            out[line.split(":")[0]] = round(int(line.split()[1]) / 1024, 1)
    return out


def export_child(spec: dict) -> dict:
    """In a process of its own (its peak memory is the export's): the roster's rows written as XLSX.

    mode "listing:<key>": the report's roster listing under the default filters, every row through
    openpyxl's write-only workbook with safe_cell, as tracker.exports.xlsx_response does (what the export job
    will do); mode "route": GET /campaigns/<id>/roster.xlsx through the test client (the campaign's own roster
    export, tracker.exports.xlsx_response itself)."""
    from tracker import create_app
    from tracker.extensions import db

    config = bench_run.bench_config(spec["url"])
    config["HUEY_IMMEDIATE"] = True  # the export job runs in this process, in its own app context (as a consumer)
    app = create_app(config)
    if spec["mode"].startswith("job:"):
        return export_job(app, spec)
    if spec["mode"].startswith("direct:"):
        return export_direct(app, spec)
    if spec["mode"] == "route":  # the test client's requests push their own app contexts
        client = app.test_client()
        measure.sign_in(client, spec["user"], PASSWORD)
        client.get(f"/campaigns/{spec['campaign']}").get_data()
        before = vm_status()
        started = time.perf_counter()
        response = client.get(f"/campaigns/{spec['campaign']}/roster.xlsx")
        data = response.get_data()
        seconds = time.perf_counter() - started
        after = vm_status()
        status, size, rows = response.status_code, len(data), None
        path = Path(tempfile.gettempdir()) / f"bench-roster-{os.getpid()}.xlsx"
        path.write_bytes(data)
        from openpyxl import load_workbook

        # A write-only sheet has no dimension: count its rows (after the measurement).
        rows = sum(1 for _ in load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True)) - 1
        path.unlink()
    else:
        with app.app_context():
            from flask_login import login_user
            from openpyxl import Workbook

            from tracker.auth.models import User
            from tracker.campaigns.models import Campaign
            from tracker.exports import safe_cell
            from tracker.i18n import local_today
            from tracker.reports import listings
            from tracker.reports.scope import ReportFilters, ReportScope

            key = spec["mode"].split(":", 1)[1]
            with app.test_request_context():
                user = db.session.scalar(sa.select(User).where(User.username == spec["user"]))
                login_user(user)
                campaign = db.session.get(Campaign, spec["campaign"])
                today = local_today()
                scope = ReportScope(campaign, user, ReportFilters.parse({}, campaign, user, today), today)
                listing = listings.build(key, scope, {})
                before = vm_status()
                started = time.perf_counter()
                workbook = Workbook(write_only=True)
                sheet = workbook.create_sheet(title=str(listing.title)[:31])
                sheet.append([safe_cell(h) for h in listing.header()])
                stmt = listing.select
                if listing.options:
                    stmt = stmt.options(*listing.options)
                result = db.session.execute(stmt.execution_options(yield_per=1000))
                rows = 0
                for row in (result.scalars() if listing.scalars else result):
                    sheet.append([safe_cell(v) for v in listing.values(row)])
                    rows += 1
                path = Path(tempfile.gettempdir()) / f"bench-roster-{os.getpid()}.xlsx"
                workbook.save(path)
                seconds = time.perf_counter() - started
                status, size = 200, path.stat().st_size
                path.unlink()
            db.session.remove()
        after = vm_status()
    return {"mode": spec["mode"], "status": status, "rows": rows, "seconds": round(seconds, 2),
            "bytes": size, "rss_before_mb": before["VmRSS"], "peak_mb": after["VmHWM"],
            "growth_mb": round(after["VmHWM"] - before["VmRSS"], 1)}


def export_job(app, spec: dict) -> dict:
    """mode "job:<key>[:<fmt>]": the listing's export job as POST .../list/<key>/export.<fmt> makes it (a
    ReportExport row of tracker.reports.exports.create_export, committed), then the Huey task
    tracker.reports.tasks.export_listing called in immediate mode: it runs exports.run_export in a fresh app
    context and session of this process, as a consumer would (claim, count, stream with progress updates,
    file under instance/exports/). Wall time of the task, this process's peak RSS (VmHWM) after it."""
    from flask_login import login_user

    from tracker.auth.models import User
    from tracker.campaigns.models import Campaign
    from tracker.extensions import db
    from tracker.i18n import local_today
    from tracker.reports import exports, listings, tasks
    from tracker.reports.models import ReportExport
    from tracker.reports.scope import ReportFilters, ReportScope

    parts = spec["mode"].split(":")
    key, fmt = parts[1], (parts[2] if len(parts) > 2 else "xlsx")
    with app.test_request_context():
        user = db.session.scalar(sa.select(User).where(User.username == spec["user"]))
        login_user(user)
        campaign = db.session.get(Campaign, spec["campaign"])
        today = local_today()
        scope = ReportScope(campaign, user, ReportFilters.parse({}, campaign, user, today), today)
        listing = listings.build(key, scope, {})
        job_id = exports.create_export(user, scope, key, {}, fmt, listing.title).id
        db.session.commit()
        db.session.remove()
    before = vm_status()
    started = time.perf_counter()
    tasks.export_listing(job_id)  # immediate mode: runs here, now, in an isolated context
    seconds = time.perf_counter() - started
    after = vm_status()
    with app.app_context():
        job = db.session.get(ReportExport, job_id)
        status, rows, error = job.status.value, job.rows_written, job.error
        path = Path(job.file_path) if job.file_path else None
        size = path.stat().st_size if path is not None and path.exists() else 0
        timed = (job.finished_at - job.started_at).total_seconds() if job.finished_at and job.started_at else None
        if path is not None:
            path.unlink(missing_ok=True)
        db.session.delete(job)
        db.session.commit()
        db.session.remove()
    return {"mode": spec["mode"], "status": status, "error": error, "rows": rows, "seconds": round(seconds, 2),
            "job_seconds": None if timed is None else round(timed, 2), "bytes": size,
            "rss_before_mb": before["VmRSS"], "peak_mb": after["VmHWM"],
            "growth_mb": round(after["VmHWM"] - before["VmRSS"], 1)}


def export_direct(app, spec: dict) -> dict:
    """mode "direct:<key>[:<fmt>]": GET /reports/campaigns/<id>/list/<key>.<fmt> through the test client (the
    download in the request, for lists of at most DIRECT_LIMIT rows; a longer one is redirected)."""
    parts = spec["mode"].split(":")
    key, fmt = parts[1], (parts[2] if len(parts) > 2 else "xlsx")
    client = app.test_client()
    measure.sign_in(client, spec["user"], PASSWORD)
    client.get(f"/reports/campaigns/{spec['campaign']}").get_data()
    before = vm_status()
    started = time.perf_counter()
    response = client.get(f"/reports/campaigns/{spec['campaign']}/list/{key}.{fmt}")
    data = response.get_data()
    seconds = time.perf_counter() - started
    after = vm_status()
    rows = None
    if response.status_code == 200 and fmt == "xlsx":
        path = Path(tempfile.gettempdir()) / f"bench-list-{os.getpid()}.xlsx"
        path.write_bytes(data)
        from openpyxl import load_workbook

        rows = sum(1 for _ in load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True)) - 1
        path.unlink()
    return {"mode": spec["mode"], "campaign": spec["campaign"], "status": response.status_code, "rows": rows,
            "seconds": round(seconds, 2), "bytes": len(data), "rss_before_mb": before["VmRSS"],
            "peak_mb": after["VmHWM"], "growth_mb": round(after["VmHWM"] - before["VmRSS"], 1)}


def run_export_child(url: str, campaign: int, user: str, mode: str) -> dict:
    spec = {"url": url, "campaign": campaign, "user": user, "mode": mode}
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, str(Path(__file__)), "--export-child", json.dumps(spec)],
                          capture_output=True, text=True, cwd=ROOT, timeout=1800)
    if proc.returncode != 0:
        return {"mode": mode, "error": proc.stderr[-3000:]}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_s"] = round(time.perf_counter() - started, 1)
    return result


def export_over_http(url: str, instance: Path, campaign: int, user: str, path: str) -> dict:
    """GET an export URL through a gunicorn of one worker (the counter bench's settings), timing it and
    reading that worker's peak memory (VmHWM) before and after."""
    import counter

    server = counter.Server(url, instance, workers=1)
    try:
        session = counter.signed_in(server.base, user)
        session.get(server.base + f"/campaigns/{campaign}", timeout=300)
        worker = counter._children(server.process.pid)[0]
        before = vm_status(worker)
        started = time.perf_counter()
        response = session.get(server.base + path, timeout=600)
        seconds = time.perf_counter() - started
        after = vm_status(worker)
        return {"url": path, "status": response.status_code, "bytes": len(response.content), "seconds": round(seconds, 2),
                "rss_before_mb": before["VmRSS"], "peak_mb": after["VmHWM"],
                "growth_mb": round(after["VmHWM"] - before["VmRSS"], 1)}
    finally:
        server.stop()


def run_engine(kind: str, args, workdir: Path) -> dict:
    import counter

    small_url, small = ensure_dataset(kind, args.small_scale, args.rebuild)
    big_url, big = ensure_dataset(kind, args.scale, args.rebuild)
    result = {"kind": kind, "datasets": {"small": small, "national": big}, "requests": args.requests}
    if args.load_only:
        return result
    if args.probes_only:
        log(f"{kind}: the report scope's base conditions")
        result["probes"] = scope_probes(big_url, big["info"])
        return result
    keys, export_rules = registered_listings(big_url)
    chosen = choose_listings(keys, args.keys, args.all_listings)
    log(f"{kind}: {len(keys)} drill-down lists registered; timing {chosen or 'none'}; report export routes: "
        f"{export_rules or 'none'}")
    result.update({"listings_registered": keys, "listings_timed": chosen, "export_routes": export_rules})
    for label, url, marker, timed in (() if args.exports_only else
                                      (("small", small_url, small, args.small_requests),
                                       ("national", big_url, big, args.requests))):
        pages = pages_for(marker["info"], chosen)
        if args.skip_pages:
            pages = [p for p in pages if not re.search(args.skip_pages, p.name)]
        instance = workdir / f"instance-{kind}-{label}"
        instance.mkdir(exist_ok=True)
        log(f"{kind}: pages at {marker['tables']['enterprises']:,} firms ({timed} requests each after {args.warmup})")
        server = counter.Server(url, instance, workers=args.workers)
        try:
            result[f"http_{label}"] = measure_http(server, url, pages, args.warmup, timed, args.max_wait)
        finally:
            server.stop()
        if label == "national":
            skipped = {name for name, r in result["http_national"].items() if r.get("skipped")}
            log(f"{kind}: each page's SQL alone")
            result["sql_alone"] = sql_alone(url, pages, skipped, args.sql_repeat)
            if not args.no_probes:
                log(f"{kind}: the report scope's base conditions")
                result["probes"] = scope_probes(url, marker["info"])
    if args.skip_exports:
        return result
    info = big["info"]
    national, manager = info["national_campaign"], NATIONAL_MANAGER
    exports = {}
    roster_keys = [k for k in keys if k.startswith("roster.") and k != "roster.not_visited"]
    preferred = next((k for k in ("roster.all", "roster.firms", "roster.size", "roster") if k in keys), None)
    roster_key = preferred or (roster_keys[0] if roster_keys else None)
    instance = workdir / f"instance-{kind}-export"
    instance.mkdir(exist_ok=True)
    os.environ["TRACKER_INSTANCE_PATH"] = str(instance)  # the export job's files go under instance/exports/
    try:
        if roster_key:
            log(f"{kind}: roster export job ({roster_key}, xlsx: tasks.export_listing in immediate mode)")
            exports["job"] = run_export_child(big_url, national, manager, f"job:{roster_key}:xlsx")
            log(f"  {exports['job']}")
            if args.csv_export:
                log(f"{kind}: roster export job ({roster_key}, csv)")
                exports["job_csv"] = run_export_child(big_url, national, manager, f"job:{roster_key}:csv")
                log(f"  {exports['job_csv']}")
            office = info["office"]
            log(f"{kind}: direct listing export of {office['code']}'s own campaign ({roster_key}.xlsx in the request)")
            exports["direct"] = run_export_child(big_url, office["campaign"], office["manager"],
                                                 f"direct:{roster_key}:xlsx")
        if args.campaign_roster_export:
            log(f"{kind}: roster export, /campaigns/<id>/roster.xlsx in-process")
            exports["route"] = run_export_child(big_url, national, manager, "route")
            log(f"{kind}: roster export, /campaigns/<id>/roster.xlsx over HTTP (one gunicorn worker)")
            exports["http"] = export_over_http(big_url, instance, national, manager, f"/campaigns/{national}/roster.xlsx")
            exports["http"]["rows"] = exports["route"].get("rows")  # the same file
    finally:
        os.environ.pop("TRACKER_INSTANCE_PATH", None)
    if args.export_url:
        exports["extra"] = export_over_http(big_url, instance, national, manager,
                                            args.export_url.format(campaign=national))
    for name, e in exports.items():
        log(f"  export {name}: {e}")
    result["exports"] = exports
    return result


# Output ---------------------------------------------------------------------------------------------
def _n(value) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def markdown(results: list[dict], machine: dict) -> str:
    lines = []
    for result in results:
        kind = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[result["kind"]]
        big, small = result["datasets"]["national"], result["datasets"]["small"]
        lines += [f"### {kind}", ""]
        lines += ["| data set | national | small |", "|---|---:|---:|"]
        for table in big["tables"]:
            lines.append(f"| {table} | {_n(big['tables'][table])} | {_n(small['tables'].get(table, ''))} |")
        lines.append(f"| national roster (threshold {big['info']['national_threshold']} in 2018) / visited | "
                     f"{_n(big['info']['national_roster'])} / {_n(big['info']['national_roster_visited'])} | "
                     f"{_n(small['info']['national_roster'])} / {_n(small['info']['national_roster_visited'])} |")
        lines.append(f"| the largest 隶属海关 ({big['info']['office']['code']}): firms | {_n(big['info']['office']['firms'])} | "
                     f"{_n(small['info']['office']['firms'])} ({small['info']['office']['code']}) |")
        lines.append(f"| load (migrate, seed, generate, write, indexes, ANALYZE) | {big['load_s']} s | {small['load_s']} s |")
        lines.append(f"| database size | {big['database_mb']} MB | {small['database_mb']} MB |")
        lines.append("")
        steps = ", ".join(f"{k} {v} s" for k, v in big["steps"].items())
        lines += [f"National load by step: {steps}.", ""]
        pages_table = result.get("http_national", {})
        if pages_table:
            lines += ["| page | p50 ms | p95 ms | target | first request ms | in app p50 | its SQL p50 | SQL alone | "
                      "ratio (≤ 1.5) | statements at 1,000 firms | at national | others' cores | |",
                      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
            for name, page in pages_table.items():
                small_page = result.get("http_small", {}).get(name, {})
                if page.get("skipped"):
                    lines.append(f"| {name} | | | | | | | | | | | | 404: not registered |")
                    continue
                alone = result.get("sql_alone", {}).get(name, {})
                ratio = (page["latency_ms"]["p50"] / alone["sql_alone_ms"]) if alone.get("sql_alone_ms") else None
                verdicts = []
                if page["target_ms"] is not None:
                    verdicts.append("PASS" if page["latency_ms"]["p95"] <= page["target_ms"] else "**FAIL**")
                if small_page.get("statements") is not None:
                    # Fewer at national scale: figures kept by reports/cache.py are read, not counted.
                    verdicts.append("counts equal" if small_page["statements"] == page["statements"] else
                                    "fewer (kept)" if page["statements"] < small_page["statements"] else
                                    "**counts differ**")
                if ratio is not None:
                    verdicts.append("ratio PASS" if ratio <= TARGETS["ratio"] else "**ratio FAIL**")
                if page["status"] != [200]:
                    verdicts.append(f"HTTP {page['status']}")
                timed_n = page.get("requests")
                few = f" ({timed_n} requests)" if timed_n is not None and timed_n < result.get("requests", 0) else ""
                lines.append(
                    f"| {name} `{page['url']}`{few} | {page['latency_ms']['p50']} | {page['latency_ms']['p95']} | "
                    f"≤ {page['target_ms']:.0f} | {page.get('first_ms', '')} | {page['in_app_ms']['p50']} | "
                    f"{page['sql_in_app_ms']['p50']} | "
                    f"{alone.get('sql_alone_ms', '')} | {'' if ratio is None else f'{ratio:.2f}'} | "
                    f"{small_page.get('statements', '')} | {page['statements']} | {page['others_cores']} | "
                    f"{', '.join(verdicts)} |")
            lines.append("")
        if result.get("sql_alone"):
            lines += ["The costliest statements of each page (SQL alone, median ms; the code that sent it):", "",
                      "| page | 1st | 2nd | 3rd |", "|---|---|---|---|"]
            for name, alone in result["sql_alone"].items():
                cells = [f"{d['ms']} ms `{d.get('where') or d['sql'][:60]}`" for d in alone.get("slowest", [])[:3]]
                lines.append(f"| {name} | " + " | ".join(cells + [""] * (3 - len(cells))) + " |")
            lines.append("")
        if result.get("probes"):
            office = big["info"]["office"]["code"]
            lines += ["The report scope's base conditions alone (one count each, default filters; plans in the JSON):", "",
                      f"| count(*) of | national campaign: rows | ms | {office}'s campaign: rows | ms |",
                      "|---|---:|---:|---:|---:|"]
            by = {(p["campaign"], p["probe"]): p for p in result["probes"]}
            for probe in dict.fromkeys(p["probe"] for p in result["probes"]):
                a, b = by.get(("national", probe), {}), by.get((office, probe), {})
                lines.append(f"| {probe} | {_n(a.get('rows', ''))} | {a.get('ms', '')} | {_n(b.get('rows', ''))} | "
                             f"{b.get('ms', '')} |")
            lines.append("")
        if result.get("exports"):
            lines += ["| roster export (national campaign) | rows | bytes | time | peak memory (process) | growth | |",
                      "|---|---:|---:|---:|---:|---:|---|"]
            labels = {"job": "export job `roster.all` XLSX (tasks.export_listing, immediate mode, a process of its own)",
                      "job_csv": "export job `roster.all` CSV (the same)",
                      "direct": "direct listing download `/reports/campaigns/<office>/list/roster.all.xlsx`",
                      "listing": "report listing → openpyxl write-only (in a process of its own)",
                      "route": "`/campaigns/<id>/roster.xlsx` (xlsx_response) in a process of its own",
                      "http": "`/campaigns/<id>/roster.xlsx` over HTTP, one gunicorn worker",
                      "extra": "--export-url over HTTP"}
            for name, e in result["exports"].items():
                if "seconds" not in e or e.get("status") not in (200, "done"):
                    lines.append(f"| {labels[name]} | | | | | | error (status {e.get('status')}): see JSON |")
                    continue
                ok = e["seconds"] <= TARGETS["export_s"] and e["peak_mb"] <= TARGETS["export_mb"]
                lines.append(f"| {labels[name]} | {_n(e['rows']) if e.get('rows') is not None else ''} | {_n(e['bytes'])} | "
                             f"{e['seconds']} s | {e['peak_mb']} MB | {e['growth_mb']} MB | "
                             f"{'PASS' if ok else '**FAIL**'} (≤ {TARGETS['export_s']} s, ≤ {TARGETS['export_mb']} MB) |")
            lines.append("")
            lines.append(f"Drill-down lists registered: {', '.join(result.get('listings_registered', [])) or 'none'}; "
                         f"report export routes: {', '.join(result.get('export_routes', [])) or 'none'}.")
            lines.append("")
    lines.append(f"Machine: {machine.get('nproc')} cores ({machine.get('cpu', '')}), {machine.get('memory_gb')} GB; "
                 f"Python {machine.get('python')}, SQLite {machine.get('sqlite')}"
                 + (f", PostgreSQL {machine['postgresql']} ({machine.get('postgresql_settings')})"
                    if machine.get("postgresql") else "") + ".")
    return "\n".join(lines)


def rewrite_readme(text: str) -> bool:
    start, end = "<!-- bench:reports:start -->", "<!-- bench:reports:end -->"
    content = README.read_text()
    if start not in content or end not in content:
        return False
    head, rest = content.split(start, 1)
    _old, tail = rest.split(end, 1)
    README.write_text(f"{head}{start}\n\n{text}\n\n{end}{tail}")
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--scale", type=float, default=1.0, help="the national data set's scale (1: 200,000 firms)")
    parser.add_argument("--small-scale", type=float, default=SMALL_SCALE, help="for the query counts (1,000 firms)")
    parser.add_argument("--requests", type=int, default=40, help="timed requests a page at national scale")
    parser.add_argument("--small-requests", type=int, default=5, help="timed requests a page at the small scale")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--sql-repeat", type=int, default=5, help="runs of each page's statements, raw")
    parser.add_argument("--keys", nargs="*", help="drill-down keys to time (default: needs.all, needs.overdue, "
                                                    "roster.not_visited, appointments.wasted, or the nearest)")
    parser.add_argument("--all-listings", action="store_true", help="time every registered drill-down list")
    parser.add_argument("--csv-export", action="store_true", help="also time the roster export job as CSV")
    parser.add_argument("--campaign-roster-export", action="store_true",
                        help="also time the campaign's own /campaigns/<id>/roster.xlsx (in-process and over HTTP)")
    parser.add_argument("--skip-pages", metavar="REGEX", help="leave out the pages whose name matches")
    parser.add_argument("--no-probes", action="store_true", help="skip the scope's base conditions timed alone")
    parser.add_argument("--exports-only", action="store_true", help="measure the exports only")
    parser.add_argument("--skip-exports", action="store_true", help="measure the pages only")
    parser.add_argument("--export-url", help="another export URL to time over HTTP ({campaign}: the national one)")
    parser.add_argument("--load-only", action="store_true", help="build or check the cached data sets, measure nothing")
    parser.add_argument("--probes-only", action="store_true",
                        help="only time the report scope's base conditions on the national data set")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the data sets even if cached")
    parser.add_argument("--max-wait", type=float, default=120, help="seconds to wait for a quiet machine per page")
    parser.add_argument("--readme", action="store_true", help="rewrite the bench:reports block of bench/README.md")
    parser.add_argument("--from-json", nargs="+", metavar="FILE",
                        help="print (and with --readme write) the tables of earlier runs' JSON, measuring nothing")
    parser.add_argument("--export-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.export_child:
        print(json.dumps(export_child(json.loads(args.export_child))))
        return 0
    if args.from_json:
        runs = [json.loads(Path(f).read_text()) for f in args.from_json]
        merged: dict[str, dict] = {}  # a later run of an engine adds to (and overrides) an earlier one's parts
        for run in runs:
            for r in run["results"]:
                merged.setdefault(r["kind"], {}).update(r)
        text = markdown([merged[k] for k in ("sqlite", "postgresql") if k in merged], runs[-1]["machine"])
        print(text)
        if args.readme:
            print("bench/README.md rewritten" if rewrite_readme(text) else "bench/README.md has no bench:reports markers")
        return 0
    kinds = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        for kind in kinds:
            results.append(run_engine(kind, args, Path(tmp)))
    machine = bench_run.machine_info(kinds)
    text = markdown(results, machine)
    print()
    print(text)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    path = RESULTS / f"reports-{stamp}.json"
    path.write_text(json.dumps({"args": vars(args), "machine": machine, "results": results}, indent=1, default=str,
                               ensure_ascii=False))
    (RESULTS / f"reports-{stamp}.md").write_text(text + "\n")
    print(f"\nJSON: {path}\nMarkdown: {path.with_suffix('.md')}")
    if args.readme and not args.load_only:
        print("bench/README.md rewritten" if rewrite_readme(text) else "bench/README.md has no bench:reports markers")
    failed = any("**" in line for line in text.splitlines() if line.startswith("|"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
