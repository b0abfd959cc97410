"""Bulk data for the benchmarks: firms with five years of declaration counts, and import files.

Everything is a pure function of a seed, so every run (and both databases) gets the same firms.
The rows are written with Core statements (SQLite) or COPY (PostgreSQL): the ORM's validator that
keeps the pinyin keys is bypassed, so the keys are computed here with the app's own pinyin_keys().
"""
from __future__ import annotations

import csv
import math
import multiprocessing
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from tracker import demo_names as names
from tracker.demo import TRADE_MODE_CHOICES, make_org_code, make_uscc
from tracker.enterprises.grams import search_words
from tracker.enterprises.models import trade_mode_key

SEED = 20240601
YEARS = (2015, 2016, 2017, 2018, 2019)
# Search terms the pages use; the generator makes sure some firms hold them at every size.
NAME_TERM = "鸿运"
FORMS = (("有限公司", 85), ("有限责任公司", 10), ("股份有限公司", 5))
PREFIXES = {"0930": (("营口", 60), ("大石桥市", 25), ("盖州市", 15)), "0931": (("营口", 70), ("鲅鱼圈", 30))}
CREDIT_LEVELS = ((None, 60), ("general_credit", 28), ("general_certified", 6), ("advanced_certified", 2),
                 ("discredited", 4))
ECONOMIC_TYPES = (("6", 60), ("3", 10), ("4", 10), ("1", 6), ("2", 2), ("5", 4), ("9", 8))
ZONES = ("9", "3", "2", "4", "1", "5")

_BRAND_CHARS = sorted(set("".join(names.BRANDS)))


def _weighted(rng: random.Random, pairs):
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _brand(rng: random.Random) -> str:
    # Half the registered brands are the common ones, half an arbitrary pair of brand characters.
    if rng.random() < 0.5:
        return rng.choice(names.BRANDS)
    return rng.choice(_BRAND_CHARS) + rng.choice(_BRAND_CHARS)


def firm_names(n: int, seed: int, office_of) -> list[tuple[str, str]]:
    """n distinct (name, industry); every 400th name holds NAME_TERM so a name search finds firms at any size."""
    rng = random.Random(seed)
    taken: set[str] = set()
    out = []
    for i in range(n):
        office = office_of(i)
        industry = _weighted(rng, list(names.INDUSTRY_WEIGHTS[office].items()))
        tries = 0
        while True:
            tries += 1
            if i % 400 == 7:  # the search term, alone or with a third character once its combinations run out
                brand = NAME_TERM if tries < 3 else NAME_TERM + rng.choice(_BRAND_CHARS)
            else:
                brand = _brand(rng)
            name = (_weighted(rng, PREFIXES[office]) + brand + rng.choice(names.INDUSTRY_WORDS[industry])
                    + _weighted(rng, FORMS))
            if name not in taken:
                taken.add(name)
                out.append((name, industry))
                break
    return out


def _pinyin_chunk(chunk: list[str]) -> list[tuple[str, str]]:
    from tracker.enterprises.pinyin import pinyin_keys

    return [pinyin_keys(n) for n in chunk]


def pinyin_for(all_names: list[str], processes: int = 2) -> list[tuple[str, str]]:
    """pinyin_keys() of every name, on every core (about 0.2 ms a name on one core)."""
    if len(all_names) < 5000 or processes < 2:
        return _pinyin_chunk(all_names)
    size = 2000
    chunks = [all_names[i:i + size] for i in range(0, len(all_names), size)]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        parts = pool.map(_pinyin_chunk, chunks)
    return [k for part in parts for k in part]


class FirmSet:
    """N generated firms (names and pinyin keys computed once; the rest is drawn per database)."""

    def __init__(self, n: int, seed: int = SEED):
        self.n = n
        self.seed = seed
        self.offices = ["0931" if random.Random(seed + i).random() < 0.2 else "0930" for i in range(n)]
        named = firm_names(n, seed, lambda i: self.offices[i])
        self.names = [name for name, _ in named]
        self.industries = [industry for _, industry in named]
        self.keys = pinyin_for(self.names)

    def rows(self, n: int, start_id: int, office_ids: dict[str, int], officer_ids: dict[str, int],
             mode_ids: dict[str, int], taken_customs: set[str]):
        """(enterprise rows, trade-mode links, declaration-count rows) for the first n firms."""
        rng = random.Random(self.seed * 7 + 1)
        now = datetime(2020, 1, 15, 8, 0, tzinfo=timezone.utc)
        serials: dict[tuple[str, str], int] = {}
        firms, links, counts = [], [], []
        for i in range(n):
            office = self.offices[i]
            name = self.names[i]
            industry = self.industries[i]
            region = "210804" if office == "0931" else rng.choice(names.INDUSTRY_REGIONS[industry])
            economic_type = _weighted(rng, ECONOMIC_TYPES)
            customs_code = None
            if rng.random() < 0.85:
                zone = rng.choice(ZONES)
                while True:
                    serial = serials.get((zone, economic_type), 0) + 1
                    serials[(zone, economic_type)] = serial
                    if serial > 9999:
                        break
                    code = f"2108{zone}{economic_type}{serial:04d}"
                    if code not in taken_customs:
                        customs_code = code
                        break
            if office == "0931":
                officer = "bayuquan-officer" if rng.random() < 0.9 else None
            else:
                officer = rng.choice(("officer", "officer2")) if rng.random() < 0.85 else None
            created = now - timedelta(days=rng.randint(0, 5 * 365), seconds=rng.randint(0, 86399))
            firm_id = start_id + i
            street = rng.choice(names.STREETS[region])
            firms.append({
                "id": firm_id, "name": name, "name_en": None,
                "name_initials": self.keys[i][0], "name_pinyin": self.keys[i][1],
                "search_grams": search_words(name, None, self.keys[i][0], self.keys[i][1]),
                "uscc": make_uscc("91", region, make_org_code(f"8{i:07d}")), "uscc_override_reason": None,
                "customs_code": customs_code, "office_id": office_ids[office],
                "district": names.DISTRICTS[region], "address": f"{names.DISTRICTS[region]}{street}{rng.randint(1, 399)}号",
                "industry": industry, "economic_type": economic_type, "is_key": rng.random() < 0.05,
                "assigned_officer_id": officer_ids.get(officer) if officer else None, "notes": None,
                "credit_level": _weighted(rng, CREDIT_LEVELS),
                "archived_at": now if rng.random() < 0.01 else None,
                "created_at": created, "updated_at": created,
            })
            choices = TRADE_MODE_CHOICES.get(industry, TRADE_MODE_CHOICES["_"])
            modes = rng.choices([c[1] for c in choices], weights=[c[0] for c in choices])[0]
            known = [code for code in modes if code in mode_ids]
            links.extend({"enterprise_id": firm_id, "trade_mode_id": mode_ids[code]} for code in known)
            firms[-1]["trade_mode_codes"] = trade_mode_key(known)
            # A long tail: most firms file tens of declarations a year, a few thousands.
            base = max(1, int(20 * math.exp(rng.gauss(0.8, 1.1))))
            for year in YEARS:
                base = max(0, round(base * rng.uniform(0.8, 1.25)))
                counts.append({"enterprise_id": firm_id, "year": year, "declarations": base,
                               "import_id": None, "updated_at": now})
        return firms, links, counts


# Loading ---------------------------------------------------------------------------------------------
def bulk_insert(engine: sa.Engine, table: sa.Table, rows: list[dict]) -> None:
    """Insert many rows fast: COPY on PostgreSQL, executemany in one transaction on SQLite."""
    if not rows:
        return
    columns = list(rows[0])
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cur:
                with cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([row[c] for c in columns])
            raw.commit()
        finally:
            raw.close()
        return
    with engine.begin() as conn:
        for start in range(0, len(rows), 20000):
            conn.execute(table.insert(), rows[start:start + 20000])


def reset_sequence(engine: sa.Engine, table: str) -> None:
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def analyze(engine: sa.Engine) -> None:
    if engine.dialect.name == "postgresql":
        # A freshly loaded table has no visibility map yet; autovacuum would build it in production.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


# Import files ----------------------------------------------------------------------------------------
IMPORT_HEADER = ("统一社会信用代码", "企业名称", "年度", "报关单票数")


def import_rows(n: int, seed: int = SEED + 99, year: int = 2020) -> list[tuple]:
    """n rows for n new firms (USCC bodies starting with 9, unlike every other generated firm)."""
    rng = random.Random(seed)
    firm_list = firm_names(n, seed, lambda i: "0930")
    rows = []
    for i, (name, _industry) in enumerate(firm_list):
        region = rng.choice(list(names.DISTRICTS))
        uscc = make_uscc("91", region, make_org_code(f"9{i:07d}"))
        rows.append((uscc, name, year, max(0, int(20 * math.exp(rng.gauss(0.8, 1.1))))))
    return rows


def write_csv(path: Path, rows: list[tuple]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(IMPORT_HEADER)
        writer.writerows(rows)


def write_xlsx(path: Path, rows: list[tuple]) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("报关单统计")
    sheet.append(list(IMPORT_HEADER))
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
