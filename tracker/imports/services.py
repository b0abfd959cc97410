"""Planning and committing a declaration-count import: every row valid, or nothing written.

analyse() reads a file and works out what it would change (new firms, new and changed counts,
unchanged rows) and every row's errors. commit() analyses the same file again inside the write
transaction, refuses if the result differs from the preview (the data moved on), and writes it all.
"""
import gc
import hashlib
import logging
import re
import secrets
import threading
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from flask import current_app
from flask_babel import gettext as _

from tracker.audit.listeners import audit_rows
from tracker.audit.models import AuditAction, AuditRecord
from tracker.auth.models import User
from tracker.database import write_lock_outside_requests
from tracker.imports.bulk import BulkWriter
from tracker.imports.models import DeclarationCount, DeclarationImport, ImportStatus
from tracker.imports.reader import ImportFileError, Limits, Progress, detect_format, read_rows
from tracker.enterprises.identifiers import IdentifierError, normalise_code, validate_uscc
from tracker.enterprises.models import Enterprise, TradeMode, enterprise_trade_modes, trade_mode_key
from tracker.enterprises import keys as search_keys
from tracker.extensions import db
from tracker.jobs import worker_id, worker_is_dead
from tracker.offices.models import Office
from tracker.types import utcnow

log = logging.getLogger("tracker.imports")
CHUNK = 500
# Rows written (with their audit records) at a time by apply_plan.
WRITE_CHUNK = 5_000
MAX_STORED_ERRORS = 1000
SAMPLES = 20


@dataclass
class RowError:
    row: int
    column: str | None
    code: str
    params: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "code": self.code, "params": self.params}


@dataclass(slots=True)
class _Row:
    number: int
    uscc: str | None
    uscc_check_ok: bool
    customs_code: str | None
    name: str | None
    year: int
    declarations: int
    trade_modes: tuple[str, ...]
    # The right check character when the USCC's fails (accepted only for a firm that already has it).
    check_expected: str | None = None


@dataclass
class Plan:
    """What an import would do. Keys of new firms are their USCCs."""

    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    new_firms: dict[str, dict] = field(default_factory=dict)  # uscc -> values
    new_counts: list[tuple] = field(default_factory=list)  # (firm key, year, declarations)
    updated_counts: list[tuple] = field(default_factory=list)  # (count id, firm id, year, old, new)
    unchanged: int = 0
    customs_codes_filled: dict[int, str] = field(default_factory=dict)
    trade_links: set[tuple] = field(default_factory=set)  # (firm key, trade mode id)
    years: set[int] = field(default_factory=set)

    @property
    def valid(self) -> bool:
        return not self.errors

    def summary(self) -> dict:
        return {
            "rows": self.rows,
            "new_firms": len(self.new_firms),
            "new_counts": len(self.new_counts),
            "updated_counts": len(self.updated_counts),
            "unchanged": self.unchanged,
            "firms_updated": len(self.customs_codes_filled),
            "trade_mode_links": len(self.trade_links),
            "years": sorted(self.years),
        }


# The cyclic garbage collector -----------------------------------------------------------------------
_paused = 0  # imports under way in this process with the collector off
_enabled_before = True  # whether it was on when the first of them began
_paused_lock = threading.Lock()


@contextmanager
def collector_paused():
    """Python's cyclic garbage collector off while an import reads and writes (re-entrant, thread-safe).

    A 100,000-row import keeps its plan, a million small objects, alive to the end, and each full
    collection walked them all again: a sixth of the import's time on PostgreSQL (2 s of 13), the
    server waiting meanwhile. The import makes almost no reference cycles (its peak memory is the same
    either way, bench/README.md); other threads' cycles wait until it ends.
    """
    global _paused, _enabled_before
    with _paused_lock:
        if _paused == 0:
            _enabled_before = gc.isenabled()
        _paused += 1
        gc.disable()
    try:
        yield
    finally:
        with _paused_lock:
            _paused -= 1
            if _paused == 0 and _enabled_before:
                gc.enable()


# Row parsing -------------------------------------------------------------------------------
_INT = re.compile(r"^\d+$")


def _parse_int(text: str) -> int | None:
    text = normalise_code(text).replace(",", "").removesuffix("年").removesuffix("票")
    if text.endswith(".0"):
        text = text[:-2]
    return int(text) if _INT.match(text) else None


def _trade_mode_lookup() -> dict[str, tuple[int, str]]:
    """Code or Chinese name -> (id, code)."""
    lookup = {}
    for mode in db.session.scalars(sa.select(TradeMode)):
        lookup[mode.code] = (mode.id, mode.code)
        lookup[mode.name] = (mode.id, mode.code)
    return lookup


def _parse_row(number: int, raw: dict[str, str], default_year: int | None, modes: dict, errors: list) -> _Row | None:
    before = len(errors)
    uscc = check_ok = check_expected = None
    if raw.get("uscc"):
        try:
            uscc, check_ok = validate_uscc(raw["uscc"]), True
        except IdentifierError as exc:
            if exc.code == "check":
                # Accepted only if a firm already holds it (an officer overrode the check when creating it).
                uscc, check_ok, check_expected = validate_uscc(raw["uscc"], allow_bad_check=True), False, exc.expected
            else:
                errors.append(RowError(number, "uscc", "uscc_" + exc.code))
    customs_code = None
    if raw.get("customs_code"):
        code = normalise_code(raw["customs_code"])
        if len(code) == 10 and code.isdigit():
            customs_code = code
        else:
            errors.append(RowError(number, "customs_code", "customs_code"))
    if not raw.get("uscc") and not raw.get("customs_code"):
        errors.append(RowError(number, "uscc", "no_identifier"))
    year = _parse_int(raw["year"]) if raw.get("year") else default_year
    if year is None:
        errors.append(RowError(number, "year", "year_missing" if not raw.get("year") else "year"))
    elif not 1980 <= year <= 2200:
        errors.append(RowError(number, "year", "year"))
    count = _parse_int(raw.get("declarations", ""))
    if count is None:
        errors.append(RowError(number, "declarations", "declarations"))
    trade_modes = []
    for token in re.split(r"[,，、;；/\s]+", raw.get("trade_modes", "")):
        if not token:
            continue
        if token not in modes:
            errors.append(RowError(number, "trade_modes", "trade_mode", {"value": token}))
        else:
            trade_modes.append(modes[token][1])
    name = " ".join(raw.get("name", "").split()) or None
    if name and len(name) > 200:
        errors.append(RowError(number, "name", "name_long"))
    if len(errors) > before:
        return None
    return _Row(number, uscc, bool(check_ok), customs_code, name, year, count, tuple(sorted(set(trade_modes))),
                check_expected)


# Analysis --------------------------------------------------------------------------------------
# PostgreSQL takes a chunk of keys as one array parameter (`= ANY(%s)`); an IN list of 500 bound
# parameters cost more to render and convert, in SQLAlchemy and psycopg, than the query took (about
# 1 s of a 100,000-row import). SQLite has no arrays, so it keeps IN lists of CHUNK.
ARRAY_CHUNK = 10_000


def _chunks(items: list, size: int | None = None):
    size = size or (ARRAY_CHUNK if db.session.get_bind().dialect.name == "postgresql" else CHUNK)
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _among(column, values: list):
    """`column IN values`, as one array parameter on PostgreSQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, values, type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


def _load_firms(usccs: set[str], codes: set[str]) -> tuple[dict, dict]:
    by_uscc, by_code = {}, {}
    columns = (Enterprise.id, Enterprise.uscc, Enterprise.customs_code, Enterprise.office_id, Enterprise.name)
    for chunk in _chunks(sorted(usccs)):
        for row in db.session.execute(sa.select(*columns).where(_among(Enterprise.uscc, chunk))):
            by_uscc[row.uscc] = row
    for chunk in _chunks(sorted(codes)):
        for row in db.session.execute(sa.select(*columns).where(_among(Enterprise.customs_code, chunk))):
            by_code[row.customs_code] = row
    return by_uscc, by_code


def analyse(path: Path, file_format: str, office: Office, default_year: int | None = None,
            progress: Progress | None = None, key_process: search_keys.KeyProcess | None = None) -> Plan:
    """Read and check the whole file against the database; write nothing.

    Given *key_process* (the caller means to write the plan), starts it as soon as the firms found show
    that the file brings enough new ones for apply_plan() to want their search keys from it.
    """
    plan = Plan()
    errors = plan.errors
    modes = _trade_mode_lookup()
    limits = Limits(max_rows=current_app.config["IMPORT_MAX_ROWS"],
                    xlsx_max_uncompressed=current_app.config["IMPORT_XLSX_MAX_UNCOMPRESSED"])
    found, rows_iter = read_rows(path, file_format, limits=limits, progress=progress)
    if "year" not in found and default_year is None:
        raise ImportFileError("year_column")
    rows: list[_Row] = []
    for number, raw in rows_iter:
        plan.rows += 1
        row = _parse_row(number, raw, default_year, modes, errors)
        if row is not None:
            rows.append(row)
    if plan.rows == 0:
        raise ImportFileError("no_rows")

    by_uscc, by_code = _load_firms({r.uscc for r in rows if r.uscc}, {r.customs_code for r in rows if r.customs_code})
    if key_process is not None and len(rows) >= search_keys.PARALLEL_FROM:
        # An upper bound of the new firms (a row whose firm either identifier finds is not new), known
        # before the rows are matched: the process then starts while they are.
        unknown = sum(1 for r in rows if r.uscc not in by_uscc and r.customs_code not in by_code)
        if unknown >= search_keys.PARALLEL_FROM:
            key_process.start()
    allowed_offices = set(db.session.scalars(
        sa.select(Office.id).where(Office.path.startswith(office.path, autoescape=True))
    ))
    mode_ids = {code: mode_id for mode_id, code in modes.values()}
    new_codes_taken: dict[str, str] = {}  # customs code -> uscc of the new firm taking it
    seen: dict[tuple, tuple[int, int]] = {}  # (firm key, year) -> (row number, declarations)
    matched: list[tuple] = []  # (firm key: int id or uscc for a new firm, year, declarations)

    # Each row is dropped once matched (memory: a 100,000-row file holds 100,000 of them).
    rows.reverse()
    while rows:
        row = rows.pop()
        firm = by_uscc.get(row.uscc) if row.uscc else None
        code_firm = by_code.get(row.customs_code) if row.customs_code else None
        if row.uscc and not row.uscc_check_ok and firm is None:
            errors.append(RowError(row.number, "uscc", "uscc_check", {"expected": row.check_expected}))
            continue
        if firm is not None and code_firm is not None and firm.id != code_firm.id:
            # The other firm is named only when it lies inside the import's area (the importer's scope).
            errors.append(RowError(row.number, "customs_code", "conflict", {"name": code_firm.name})
                          if code_firm.office_id in allowed_offices else RowError(row.number, "customs_code", "taken"))
            continue
        firm = firm or code_firm
        if firm is not None:
            if firm.office_id not in allowed_offices:
                errors.append(RowError(row.number, "uscc", "other_office"))
                continue
            key = firm.id
            if row.customs_code and firm.customs_code is None:
                holder = new_codes_taken.get(row.customs_code)
                if holder is not None or plan.customs_codes_filled.get(firm.id, row.customs_code) != row.customs_code:
                    errors.append(RowError(row.number, "customs_code", "code_twice"))
                    continue
                plan.customs_codes_filled[firm.id] = row.customs_code
            elif row.customs_code and firm.customs_code != row.customs_code:
                errors.append(RowError(row.number, "customs_code", "code_differs", {"code": firm.customs_code}))
                continue
        else:
            if not row.uscc:
                errors.append(RowError(row.number, "uscc", "unknown_without_uscc"))
                continue
            if not row.name:
                errors.append(RowError(row.number, "name", "unknown_without_name"))
                continue
            key = row.uscc
            new = plan.new_firms.get(key)
            if new is None:
                if row.customs_code and new_codes_taken.get(row.customs_code, key) != key:
                    errors.append(RowError(row.number, "customs_code", "code_twice"))
                    continue
                if row.customs_code:
                    new_codes_taken[row.customs_code] = key
                plan.new_firms[key] = {"name": row.name, "uscc": row.uscc, "customs_code": row.customs_code,
                                       "row": row.number}
            elif row.customs_code and new["customs_code"] not in (None, row.customs_code):
                errors.append(RowError(row.number, "customs_code", "code_differs", {"code": new["customs_code"]}))
                continue
        earlier = seen.get((key, row.year))
        if earlier is not None:
            if earlier[1] != row.declarations:
                errors.append(RowError(row.number, "declarations", "duplicate", {"row": earlier[0]}))
            continue
        seen[(key, row.year)] = (row.number, row.declarations)
        matched.append((key, row.year, row.declarations))
        for code in row.trade_modes:
            plan.trade_links.add((key, mode_ids[code]))
        plan.years.add(row.year)

    existing_ids = sorted({key for key, _, _ in matched if isinstance(key, int)})
    counts = {}
    for chunk in _chunks(existing_ids):
        for c in db.session.execute(
            sa.select(DeclarationCount.id, DeclarationCount.enterprise_id, DeclarationCount.year,
                      DeclarationCount.declarations).where(_among(DeclarationCount.enterprise_id, chunk))
        ):
            counts[(c.enterprise_id, c.year)] = c
    for key, year, declarations in matched:
        current = counts.get((key, year)) if isinstance(key, int) else None
        if current is None:
            plan.new_counts.append((key, year, declarations))
        elif current.declarations != declarations:
            plan.updated_counts.append((current.id, key, year, current.declarations, declarations))
        else:
            plan.unchanged += 1
    del matched, counts, seen

    if plan.trade_links:
        linked = set()
        for chunk in _chunks(existing_ids):
            linked.update(db.session.execute(
                sa.select(enterprise_trade_modes.c.enterprise_id, enterprise_trade_modes.c.trade_mode_id)
                .where(_among(enterprise_trade_modes.c.enterprise_id, chunk))
            ).tuples())
        plan.trade_links -= linked
    errors.sort(key=lambda e: e.row)
    return plan


def samples(plan: Plan) -> dict:
    """A few rows of each kind for the preview page."""
    return {
        "sample_new_firms": [{"name": v["name"], "uscc": k, "customs_code": v["customs_code"]}
                             for k, v in list(plan.new_firms.items())[:SAMPLES]],
        "sample_updated_counts": [{"enterprise_id": firm, "year": year, "old": old, "new": new}
                                  for _, firm, year, old, new in plan.updated_counts[:SAMPLES]],
    }


# Writing ---------------------------------------------------------------------------------------------
class StaleImport(Exception):
    """The database changed between preview and commit, so the preview no longer says what would happen."""


def _batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def apply_plan(plan: Plan, office: Office, import_record: DeclarationImport | None,
               key_process: search_keys.KeyProcess | None = None) -> None:
    """Write everything the plan says, in the current transaction (the caller commits or rolls back).

    Chunk by chunk (WRITE_CHUNK rows): a chunk's rows and their audit records are written before the
    next chunk is built, so memory does not grow with the file beyond the plan itself. The rows go to
    the driver directly (COPY on PostgreSQL, executemany on SQLite; see bulk.py) with ids reserved
    beforehand; the audit records have the shape write_audit_rows gives them.
    """
    db.session.flush()
    now = utcnow()
    import_id = import_record.id if import_record is not None else None
    writer = BulkWriter(db.session)
    firms, counts, audit = Enterprise.__table__, DeclarationCount.__table__, AuditRecord.__table__
    ids: dict[str, int] = {}
    # Firms keep their trade modes' codes beside the links (Enterprise.trade_mode_codes).
    mode_codes = dict(db.session.execute(sa.select(TradeMode.id, TradeMode.code)).all()) if plan.trade_links else {}
    new_codes: dict = {}
    for key, mode_id in plan.trade_links:
        new_codes.setdefault(key, []).append(mode_codes[mode_id])
    new_firms = list(_batches(plan.new_firms.items(), WRITE_CHUNK))
    # The search keys of a large batch come from a second process, a chunk ahead of the writes.
    names = [[firm["name"] for _, firm in chunk] for chunk in new_firms]
    with closing(search_keys.keys_by_chunk(names, process=key_process)) as chunk_keys:
        for chunk, keys in zip(new_firms, chunk_keys):
            rows = []
            reserved = writer.reserve_ids(firms, len(chunk))
            for firm_id, (uscc, firm), (initials, full, grams) in zip(reserved, chunk, keys):
                rows.append({"id": firm_id, "name": firm["name"], "uscc": uscc, "customs_code": firm["customs_code"],
                             "office_id": office.id, "name_initials": initials, "name_pinyin": full,
                             "search_grams": grams, "trade_mode_codes": trade_mode_key(new_codes.get(uscc, ())),
                             "is_key": False,
                             "created_at": now, "updated_at": now, "version_id": 1})
                ids[uscc] = firm_id
            writer.insert(firms, rows)
            writer.insert(audit, audit_rows([
                ("enterprises", r["id"], AuditAction.INSERT,
                 {k: [None, r[k]] for k in ("name", "uscc", "customs_code", "office_id") if r[k] is not None})
                for r in rows]))
    for chunk in _batches(plan.customs_codes_filled.items(), WRITE_CHUNK):
        writer.update(firms, [{"id": fid, "customs_code": code, "updated_at": now} for fid, code in chunk])
        writer.insert(audit, audit_rows([("enterprises", fid, AuditAction.UPDATE, {"customs_code": [None, code]})
                                         for fid, code in chunk]))
    for chunk in _batches(plan.new_counts, WRITE_CHUNK):
        rows = [{"id": count_id, "enterprise_id": ids.get(key, key), "year": year, "declarations": n,
                 "import_id": import_id, "updated_at": now}
                for count_id, (key, year, n) in zip(writer.reserve_ids(counts, len(chunk)), chunk)]
        writer.insert(counts, rows)
        writer.insert(audit, audit_rows([
            ("declaration_counts", r["id"], AuditAction.INSERT,
             {"enterprise_id": [None, r["enterprise_id"]], "year": [None, r["year"]],
              "declarations": [None, r["declarations"]], "import_id": [None, import_id]}) for r in rows]))
    for chunk in _batches(plan.updated_counts, WRITE_CHUNK):
        writer.update(counts, [{"id": cid, "declarations": new, "import_id": import_id, "updated_at": now}
                               for cid, _, _, _, new in chunk])
        writer.insert(audit, audit_rows([("declaration_counts", cid, AuditAction.UPDATE, {"declarations": [old, new]})
                                         for cid, _, _, old, new in chunk]))
    links = sorted(plan.trade_links, key=lambda t: (str(t[0]), t[1]))
    for chunk in _batches(links, WRITE_CHUNK):
        writer.insert(enterprise_trade_modes, [{"enterprise_id": ids.get(key, key), "trade_mode_id": mode_id}
                                               for key, mode_id in chunk])
    # Firms already registered that gained a trade mode: their codes again, from all their links.
    for chunk in _chunks(sorted(key for key in new_codes if isinstance(key, int))):
        codes: dict[int, list[str]] = {}
        for firm_id, code in db.session.execute(
            sa.select(enterprise_trade_modes.c.enterprise_id, TradeMode.code)
            .join(TradeMode, TradeMode.id == enterprise_trade_modes.c.trade_mode_id)
            .where(_among(enterprise_trade_modes.c.enterprise_id, chunk))
        ):
            codes.setdefault(firm_id, []).append(code)
        writer.update(firms, [{"id": firm_id, "trade_mode_codes": trade_mode_key(found), "updated_at": now}
                              for firm_id, found in codes.items()])


# The upload flow ----------------------------------------------------------------------------------
def uploads_folder() -> Path:
    folder = Path(current_app.instance_path) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store_upload(stream, filename: str, office: Office, default_year: int | None, by: User) -> DeclarationImport:
    """Save the upload, check its kind by name and content, and record it for analysis."""
    head = stream.read(8)
    file_format = detect_format(filename, head)  # raises ImportFileError
    path = uploads_folder() / f"{secrets.token_hex(16)}.{file_format}"
    digest = hashlib.sha256(head)
    size = len(head)
    with open(path, "wb") as out:
        out.write(head)
        while chunk := stream.read(1 << 20):
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
    record = DeclarationImport(
        filename=Path(filename).name[:255], sha256=digest.hexdigest(), file_format=file_format, size_bytes=size,
        stored_path=str(path), office=office, default_year=default_year, status=ImportStatus.READING,
        uploaded_by_id=by.id if by else None,
    )
    db.session.add(record)
    db.session.flush()
    return record


def _finish_analysis(record: DeclarationImport, plan: Plan | None, failure: ImportFileError | None) -> None:
    if failure is not None:
        record.status = ImportStatus.FAILED
        record.errors = [{"row": None, "column": None, "code": failure.code, "params": failure.params}]
        record.error_count = 1
        record.summary = {}
        _remove_file(record)
        return
    record.summary = {**plan.summary(), **samples(plan)}
    record.errors = [e.as_dict() for e in plan.errors[:MAX_STORED_ERRORS]]
    record.error_count = len(plan.errors)
    record.rows_read = plan.rows
    record.bytes_read = record.size_bytes
    record.status = ImportStatus.READY if plan.valid else ImportStatus.INVALID


def _claim(import_id: int, status: ImportStatus) -> bool:
    """Mark the import as this worker's job, in a transaction of its own; False if it is not waiting for one."""
    result = db.session.execute(
        sa.update(DeclarationImport)
        .where(DeclarationImport.id == import_id, DeclarationImport.status == status,
               DeclarationImport.job_owner.is_(None))
        .values(job_owner=worker_id())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:
        log.info("import %s is not %s or already has a job; nothing to do", import_id, status.value)
        return False
    return True


def run_analysis(import_id: int) -> None:
    """The read job: analyse an uploaded file, reporting progress in its record as it goes."""
    if not _claim(import_id, ImportStatus.READING):
        return
    me = worker_id()
    # Reads only until the end: no SQLite write lock held while the file is read.
    write_lock_outside_requests.set(False)
    record = db.session.get(DeclarationImport, import_id)
    table = DeclarationImport.__table__

    def report(progress: Progress) -> None:
        # Its own short transaction, so the page polling for progress sees it at once.
        with db.engine.begin() as conn:
            conn.execute(table.update().where(table.c.id == import_id)
                         .values(rows_read=progress.rows, bytes_read=progress.bytes))

    plan = failure = None
    try:
        with collector_paused():
            plan = analyse(Path(record.stored_path), record.file_format, record.office, record.default_year,
                           Progress(callback=report))
    except ImportFileError as exc:
        failure = exc
    db.session.rollback()  # end the read snapshot before writing the result
    # The result is written in a transaction that takes SQLite's write lock at BEGIN: a deferred one that
    # reads and then writes fails at once ("database is locked") if another writer committed meanwhile.
    write_lock_outside_requests.set(True)
    record = db.session.get(DeclarationImport, import_id, with_for_update=True)
    if record.status is not ImportStatus.READING or record.job_owner != me:
        db.session.commit()  # discarded while it was read
        return
    _finish_analysis(record, plan, failure)
    record.job_owner = None
    db.session.commit()


def run_commit(import_id: int, user_id: int | None) -> None:
    """The commit job: check the previewed file again inside the write transaction and write it."""
    from tracker.audit.listeners import cli_actor

    if not _claim(import_id, ImportStatus.COMMITTING):
        return
    write_lock_outside_requests.set(True)
    record = db.session.get(DeclarationImport, import_id, with_for_update=True)
    user = db.session.get(User, user_id) if user_id else None
    # The audit trail names the officer who chose to import, as when the write ran in his request.
    token = cli_actor.set((user.id, user.username) if user else (None, "job:import"))
    try:
        try:
            commit_import(record, user)
        except StaleImport:
            # commit_import refreshed the preview; keep that, write nothing else.
            record.notice = "stale"
        except ImportFileError as exc:
            db.session.rollback()
            fail_import(import_id, exc.code, exc.params, owner=worker_id())
            return
        else:
            record.notice = None
        record.job_owner = None
        db.session.commit()
    finally:
        cli_actor.reset(token)


_ANY_OWNER = object()


def fail_import(import_id: int, code: str, params: dict | None = None, *, owner=_ANY_OWNER) -> bool:
    """Mark an import that a job was reading or committing as failed with the reason *code*; commits.

    With *owner* (a worker id, or None for "no job has it"), only if its job is still that one's.
    """
    write_lock_outside_requests.set(True)
    record = db.session.get(DeclarationImport, import_id, with_for_update=True, populate_existing=True)
    if record is None or not record.in_progress or (owner is not _ANY_OWNER and record.job_owner != owner):
        db.session.commit()
        return False
    record.status = ImportStatus.FAILED
    record.errors = [{"row": None, "column": None, "code": code, "params": params or {}}]
    record.error_count = 1
    record.job_owner = None
    _remove_file(record)
    db.session.commit()
    log.warning("import %s failed: %s", import_id, code)
    return True


def fail_orphaned_imports() -> int:
    """At a consumer's start: imports whose job's worker died are failed, never left reading or committing."""
    rows = db.session.execute(
        sa.select(DeclarationImport.id, DeclarationImport.job_owner)
        .where(DeclarationImport.status.in_([ImportStatus.READING, ImportStatus.COMMITTING]),
               DeclarationImport.job_owner.is_not(None))
    ).all()
    db.session.commit()
    return sum(fail_import(row.id, "interrupted", owner=row.job_owner) for row in rows
               if worker_is_dead(row.job_owner))


def purge_abandoned_uploads(max_age: timedelta) -> dict[str, int]:
    """Remove uploads older than *max_age* that were neither imported nor discarded, and stray files.

    Previews waiting for the officer become discarded (notice "expired"); imports still "reading" or
    "committing" that no live worker has are failed ("interrupted"); files under instance/uploads/ that no
    import refers to are deleted.
    """
    write_lock_outside_requests.set(True)
    cutoff = utcnow() - max_age
    done = {"expired": 0, "interrupted": 0, "files": 0}
    previews = db.session.scalars(
        sa.select(DeclarationImport).where(DeclarationImport.status.in_([ImportStatus.READY, ImportStatus.INVALID]),
                                           DeclarationImport.created_at < cutoff)
        .with_for_update()
    ).all()
    for record in previews:
        record.status = ImportStatus.DISCARDED
        record.notice = "expired"
        _remove_file(record)
        done["expired"] += 1
    db.session.commit()
    stuck = db.session.execute(
        sa.select(DeclarationImport.id, DeclarationImport.job_owner)
        .where(DeclarationImport.status.in_([ImportStatus.READING, ImportStatus.COMMITTING]),
               DeclarationImport.created_at < cutoff)
    ).all()
    db.session.commit()
    for row in stuck:
        if row.job_owner is None or worker_is_dead(row.job_owner):
            done["interrupted"] += fail_import(row.id, "interrupted", owner=row.job_owner)
    kept = set(db.session.scalars(sa.select(DeclarationImport.stored_path)
                                  .where(DeclarationImport.stored_path.is_not(None))))
    db.session.commit()
    for path in uploads_folder().iterdir():
        try:
            old = path.stat().st_mtime < cutoff.timestamp()
        except FileNotFoundError:
            continue
        if path.is_file() and old and str(path) not in kept:
            path.unlink(missing_ok=True)
            done["files"] += 1
    return done


def commit_import(record: DeclarationImport, by: User | None) -> Plan:
    """Re-read the previewed file in this transaction and write it, or raise StaleImport."""
    if record.status is not ImportStatus.COMMITTING:
        raise StaleImport()
    path = Path(record.stored_path) if record.stored_path else None
    if path is None or not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != record.sha256:
        raise ImportFileError("file_gone")
    with collector_paused(), search_keys.KeyProcess() as key_process:
        plan = analyse(path, record.file_format, record.office, record.default_year, key_process=key_process)
        fresh = {**plan.summary(), **samples(plan)}
        if not plan.valid or fresh != record.summary:
            _finish_analysis(record, plan, None)
            raise StaleImport()
        apply_plan(plan, record.office, record, key_process)
    record.status = ImportStatus.COMMITTED
    record.committed_at = utcnow()
    _remove_file(record)
    db.session.flush()
    return plan


def request_commit(record: DeclarationImport) -> bool:
    """READY -> COMMITTING for the commit job; False (nothing changed) when it is not ready any more.

    A conditional UPDATE, so of two simultaneous requests exactly one starts a job.
    """
    result = db.session.execute(
        sa.update(DeclarationImport)
        .where(DeclarationImport.id == record.id, DeclarationImport.status == ImportStatus.READY)
        .values(status=ImportStatus.COMMITTING, notice=None, job_owner=None)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    db.session.refresh(record)
    return result.rowcount == 1


def discard_import(record: DeclarationImport) -> bool:
    """Discard an upload not imported (nor being imported); False when it cannot be any more."""
    if not record.can_discard():
        return False
    record.status = ImportStatus.DISCARDED
    _remove_file(record)
    db.session.flush()
    return True


def _remove_file(record: DeclarationImport) -> None:
    if record.stored_path:
        Path(record.stored_path).unlink(missing_ok=True)
        record.stored_path = None


# Messages ----------------------------------------------------------------------------------------------
def column_label(column: str | None) -> str:
    return {
        "uscc": _("Unified social credit code"), "customs_code": _("Customs code"), "name": _("Enterprise name"),
        "year": _("Year"), "declarations": _("Declarations"), "trade_modes": _("Trade modes"),
    }.get(column or "", "")


def error_message(code: str, params: dict | None = None) -> str:
    """The translated text of a row or file error."""
    p = params or {}
    messages = {
        # file
        "extension": _("Only .csv and .xlsx files can be imported."),
        "content_mismatch": _("The file's content is not %(kind)s although its name says so.", kind=p.get("expected", "")),
        "encoding": _("The file is neither UTF-8 nor GB18030 text."),
        "csv_syntax": _("The CSV file is malformed."),
        "corrupt": _("The workbook is damaged or not an XLSX file."),
        "xlsx_bomb": _("The workbook expands to far more data than its size suggests and was refused."),
        "too_many_rows": _("The file has more than %(limit)s rows.", limit=p.get("limit", "")),
        "empty": _("The file is empty."),
        "no_rows": _("The file has a header but no data rows."),
        "missing_columns": _("Columns not found: the file needs a declarations column (报关单票数) and a USCC "
                             "(统一社会信用代码) or customs code (海关编码) column."),
        "duplicate_columns": _("A column appears twice: %(columns)s.", columns=", ".join(p.get("columns", []))),
        "year_column": _("The file has no year column (年度): choose the year it covers."),
        "file_gone": _("The uploaded file is no longer available; upload it again."),
        "internal": _("The file could not be analysed. The error has been logged."),
        "interrupted": _("The job that was reading or importing this file stopped before it finished (the job "
                         "worker was restarted); nothing was imported. Upload the file again."),
        "queue": _("The job queue is not available, so the file could not be read. Try again later."),
        # row
        "uscc_length": _("A unified social credit code has 18 characters."),
        "uscc_characters": _("The code has characters a unified social credit code cannot have."),
        "uscc_region": _("Characters 3 to 8 must be a region code of six digits."),
        "uscc_check": _("The check character is wrong: it should be %(expected)s.", expected=p.get("expected", "")),
        "customs_code": _("A customs registration code has 10 digits."),
        "no_identifier": _("Give a unified social credit code or a customs code."),
        "year": _("Not a year."),
        "year_missing": _("The year is missing."),
        "declarations": _("The number of declarations must be a whole number, 0 or more."),
        "trade_mode": _("Unknown trade mode %(value)s.", value=p.get("value", "")),
        "name_long": _("The name is longer than 200 characters."),
        "conflict": _("The customs code belongs to another firm (%(name)s).", name=p.get("name", "")),
        "taken": _("The customs code belongs to another firm."),
        "other_office": _("This firm belongs to an office outside this import's area."),
        "code_differs": _("The firm's customs code is %(code)s, not this one.", code=p.get("code", "")),
        "code_twice": _("This customs code is given to two different firms in the file."),
        "unknown_without_uscc": _("No firm has this customs code; to create one, give its USCC and name."),
        "unknown_without_name": _("No firm has this code; to create one, give its name."),
        "duplicate": _("The same firm and year appear in row %(row)s with another count.", row=p.get("row", "")),
    }
    return messages.get(code, code)


def describe(error: dict) -> str:
    """'Row 12, Year: Not a year.' in the user's language."""
    text = error_message(error["code"], error.get("params"))
    if error.get("row") is None:
        return text
    column = column_label(error.get("column"))
    if column:
        return _("Row %(row)d, %(column)s: %(text)s", row=error["row"], column=column, text=text)
    return _("Row %(row)d: %(text)s", row=error["row"], text=text)
