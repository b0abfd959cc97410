"""The report as files: the whole report as XLSX (a summary sheet, then one sheet per section) or CSV (one long
table), and a listing (the rows behind a figure) as XLSX or CSV, streamed in constant memory: in the request
for a small list (DIRECT_LIMIT rows), by a job (a ReportExport row, reports/tasks.py) for a big one.

Everything is written from the report's structures (figures.Report, Section, Figure, Table, ListingPreview,
Listing), whatever sections there are. Every text cell goes through tracker.exports.safe_cell (a firm named
"=HYPERLINK(...)" is written as text with a leading apostrophe); numbers stay numbers, with a number format
per figure kind in XLSX.
"""
from __future__ import annotations

import csv
import enum
import io
import logging
import re
import secrets
import tempfile
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

import sqlalchemy as sa
from flask import current_app
from flask_babel import LazyString, force_locale, get_locale
from flask_babel import gettext as _

from tracker.database import write_lock_outside_requests
from tracker.exports import csv_response, safe_cell
from tracker.extensions import db
from tracker.i18n import local_datetime
from tracker.reports.figures import Listing, Report, Section
from tracker.reports.models import ExportStatus, ReportExport
from tracker.types import utcnow

log = logging.getLogger("tracker.reports")

# Rows fetched per round trip while a listing is streamed (Result.yield_per: a server-side cursor on
# PostgreSQL, the sqlite3 cursor's own batches on SQLite); only this many rows are in memory at once.
ROW_BATCH = 2000
# Rows between two progress updates of an export job (each in its own short transaction).
PROGRESS_EVERY = 2000
# A listing of at most this many rows downloads in the request; a longer one is written by a job.
DIRECT_LIMIT = 5000
# An export job's file and row are deleted after this many days (reports/tasks.py).
EXPORT_MAX_AGE_DAYS = 7
# A job still queued or running after this long has lost its worker: it is failed ("interrupted").
EXPORT_STUCK_AFTER = timedelta(hours=6)

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# XLSX number formats per figure kind, for a value and for a change (signed).
NUMBER_FORMATS = {"count": "#,##0", "share": "0.0%", "minutes": "0.0", "days": "0.0", "number": "#,##0.0"}
CHANGE_FORMATS = {"count": "+#,##0;-#,##0;0", "share": "+0.0%;-0.0%;0.0%", "minutes": "+0.0;-0.0;0.0",
                  "days": "+0.0;-0.0;0.0", "number": "+#,##0.0;-#,##0.0;0.0"}


# Values -------------------------------------------------------------------------------------------------
def plain(value: Any) -> Any:
    """A cell's value as a spreadsheet takes it: numbers, text, dates; anything else (an enum, a translated
    label, a model) as its text."""
    if value is None or isinstance(value, (str, bool, int, float, Decimal, date, datetime)):
        return value
    if isinstance(value, enum.Enum):
        label = getattr(value, "label", None)
        return str(label) if label is not None else str(value.value)
    if isinstance(value, LazyString):
        return str(value)
    return str(value)


def cell(value: Any) -> Any:
    """plain() and then safe_cell(): what every export writes."""
    return safe_cell(plain(value))


def rounded(value: Any, kind: str) -> Any:
    """A figure's value for CSV: a share with four decimals, minutes and days with one, counts as they are."""
    if isinstance(value, float):
        return round(value, 4 if kind == "share" else 1)
    return value


def locale_code() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "zh"


# Names --------------------------------------------------------------------------------------------------
_UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\s\x00-\x1f]+')
_UNSAFE_SHEET = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


def safe_filename(text: str) -> str:
    return _UNSAFE_FILENAME.sub("_", text).strip("._") or "report"


def report_basename(scope) -> str:
    """"营口海关2019年百企大调研": the report's office and the campaign (once, when the campaign's name already
    starts with the office's)."""
    office, campaign = scope.root_office.name, scope.campaign.name
    return safe_filename(campaign if campaign.startswith(office) else office + campaign)


def report_filename(scope, fmt: str) -> str:
    """营口海关2019年百企大调研_2019-06-01_2019-06-30.xlsx"""
    period = scope.period
    return f"{report_basename(scope)}_{period.start.isoformat()}_{period.end.isoformat()}.{fmt}"


def listing_filename(scope, listing: Listing, fmt: str) -> str:
    period = scope.period
    return (f"{report_basename(scope)}_{safe_filename(str(listing.title))}_{period.start.isoformat()}_"
            f"{period.end.isoformat()}.{fmt}")


def sheet_title(title: str, used: set[str] | None = None) -> str:
    """A title Excel accepts (31 characters, none of []:*?/\\), unique among *used* (which it joins)."""
    base = _UNSAFE_SHEET.sub(" ", str(title)).strip().strip("'")[:31] or "Sheet"
    name, n = base, 2
    while used is not None and name.lower() in used:
        suffix = f" ({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    if used is not None:
        used.add(name.lower())
    return name


# What the report is of ---------------------------------------------------------------------------------
def filters_text(scope) -> str:
    """The filters beside the offices and the period, in words: "Department: …; Officer: …", or "None"."""
    locale = locale_code()
    parts = []
    if scope.filters.department is not None:
        parts.append(_("Department: %(name)s", name=scope.filters.department.display_name(locale)))
    if scope.filters.officer is not None:
        parts.append(_("Officer: %(name)s", name=scope.filters.officer.label))
    return "; ".join(parts) if parts else _("None")


def offices_text(scope) -> str:
    return _("%(office)s and the offices below it", office=scope.root_office.display_name(locale_code()))


def summary_rows(report: Report) -> list[tuple[str, str]]:
    """What the report is of, as (label, value) pairs: the first sheet of the workbook, the CSV's first rows."""
    scope = report.scope
    return [
        (_("Campaign"), report.campaign.name),
        (_("Offices"), offices_text(scope)),
        (_("Period"), scope.period.label()),
        (_("Period before"), scope.previous.period.label()),
        (_("Filters"), filters_text(scope)),
        (_("Generated at"), local_datetime(report.generated_at)),
        *([(_("Slow figures counted at"), local_datetime(report.counted_at))] if report.counted_at else []),
    ]


def figure_header() -> list[str]:
    return [_("Figure"), _("Value"), _("Previous period"), _("Change")]


# The report as XLSX --------------------------------------------------------------------------------------
class _SheetWriter:
    """Appends rows to a write-only sheet: bold titles and headers, numbers with their kind's format."""

    def __init__(self, sheet):
        from openpyxl.styles import Font

        self.sheet = sheet
        self.bold = Font(bold=True)
        self.title_font = Font(bold=True, size=13)

    def _cell(self, value, *, font=None, number_format: str | None = None):
        from openpyxl.cell import WriteOnlyCell

        c = WriteOnlyCell(self.sheet, value=cell(value))
        if font is not None:
            c.font = font
        if number_format and isinstance(c.value, (int, float, Decimal)) and not isinstance(c.value, bool):
            c.number_format = number_format
        return c

    def title(self, text: str, big: bool = False) -> None:
        self.sheet.append([self._cell(text, font=self.title_font if big else self.bold)])

    def header(self, labels: Iterable) -> None:
        self.sheet.append([self._cell(label, font=self.bold) for label in labels])

    def row(self, values: Iterable, formats: Iterable[str | None] = ()) -> None:
        formats = list(formats)
        self.sheet.append([self._cell(v, number_format=formats[i] if i < len(formats) else None)
                           for i, v in enumerate(values)])

    def blank(self) -> None:
        self.sheet.append([])


def _write_section(writer: _SheetWriter, section: Section) -> None:
    writer.title(section.title, big=True)
    if section.note:
        writer.row([section.note])
    if section.figures:
        writer.blank()
        writer.header(figure_header())
        for f in section.figures:
            writer.row([f.label, f.value, f.previous, f.change],
                       [None, NUMBER_FORMATS.get(f.kind), NUMBER_FORMATS.get(f.kind), CHANGE_FORMATS.get(f.kind)])
    for table in section.tables:
        writer.blank()
        writer.title(table.title)
        writer.header(table.columns)
        formats = [None] + [NUMBER_FORMATS.get(table.column_kind(i)) for i in range(len(table.columns) - 1)]
        for r in table.rows:
            writer.row([r.label, *r.values], formats)
        if table.note:
            writer.row([table.note])
    for preview in section.lists:
        listing = preview.listing
        writer.blank()
        writer.title(f"{listing.title} ({preview.total})")
        writer.header(listing.header())
        for item in preview.rows:
            writer.row(listing.values(item))
        if preview.total > len(preview.rows):
            writer.row([_("The first %(shown)d of %(total)d; the list's own export holds them all.",
                          shown=len(preview.rows), total=preview.total)])


def report_xlsx(report: Report):
    """The workbook in a spooled temporary file (openpyxl's write-only mode: rows go to disk as written)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    used: set[str] = set()
    summary = workbook.create_sheet(sheet_title(_("Summary"), used))
    summary.column_dimensions["A"].width = 18
    summary.column_dimensions["B"].width = 60
    writer = _SheetWriter(summary)
    writer.title(report.campaign.name, big=True)
    for label, value in summary_rows(report):
        writer.row([label, value])
    for problem in report.scope.filters.problems:
        writer.row([_("Note"), problem])
    for section in report.sections:
        sheet = workbook.create_sheet(sheet_title(section.title, used))
        sheet.column_dimensions["A"].width = 40
        for letter in "BCDEFGH":
            sheet.column_dimensions[letter].width = 16
        _write_section(_SheetWriter(sheet), section)
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(spool)
    spool.seek(0)
    return spool


# The report as CSV: one long table -------------------------------------------------------------------
def csv_header() -> list[str]:
    return [_("Section"), _("Item"), _("Row"), _("Column"), _("Value"), _("Previous period")]


def report_csv_rows(report: Report) -> Iterator[list]:
    """(section, item, row, column, value, previous): the summary, each figure (item = its label), each table
    cell (item = the table, row = the row's label, column = the column's heading) and each listing preview's
    cell (row = its number in the list)."""
    summary = _("Summary")
    for label, value in summary_rows(report):
        yield [summary, label, "", "", value, ""]
    for section in report.sections:
        for f in section.figures:
            yield [section.title, f.label, "", "", rounded(f.value, f.kind), rounded(f.previous, f.kind)]
        for table in section.tables:
            for r in table.rows:
                for i, v in enumerate(r.values):
                    column = table.columns[i + 1] if i + 1 < len(table.columns) else ""
                    yield [section.title, table.title, r.label, column, rounded(v, table.column_kind(i)), ""]
        for preview in section.lists:
            listing = preview.listing
            header = listing.header()
            for n, item in enumerate(preview.rows, 1):
                for label, v in zip(header, listing.values(item)):
                    yield [section.title, listing.title, n, label, plain(v), ""]


def report_csv_response(report: Report):
    return csv_response(report_filename(report.scope, "csv"), csv_header(), report_csv_rows(report))


# Listings: streamed ------------------------------------------------------------------------------------
def listing_statement(listing: Listing, batch: int = ROW_BATCH) -> sa.Select:
    """The listing's select with its loader options, fetched *batch* rows at a time (yield_per)."""
    stmt = listing.select
    if listing.options:
        stmt = stmt.options(*listing.options)
    return stmt.execution_options(yield_per=batch)


def listing_rows(listing: Listing, batch: int = ROW_BATCH) -> Iterator[list]:
    """The listing's rows as lists of plain values, one batch in memory at a time: the rows are read from a
    cursor as they are written (the ORM's identity map holds them weakly, so written rows are let go)."""
    try:
        result = db.session.execute(listing_statement(listing, batch))
        rows = result.scalars() if listing.scalars else result
    except sa.exc.InvalidRequestError:
        # A loader option that cannot stream (joinedload() of a collection needs every row to unique them):
        # the rows are still written, read whole; the listing should use selectinload() instead.
        log.warning("listing %s cannot be streamed (a joined collection): read whole", listing.key)
        stmt = listing.select.options(*listing.options) if listing.options else listing.select
        result = db.session.execute(stmt)
        rows = result.scalars().unique() if listing.scalars else result.unique()
    try:
        for row in rows:
            yield [plain(v) for v in listing.values(row)]
    finally:
        result.close()


def listing_page(listing: Listing, limit: int) -> list:
    """The listing's first *limit* rows (the monthly report shows its lists in full up to that)."""
    stmt = listing.select.limit(limit)
    if listing.options:
        stmt = stmt.options(*listing.options)
    result = db.session.execute(stmt)
    return list(result.scalars().unique()) if listing.scalars else list(result.all())


def write_listing(listing: Listing, fmt: str, target, progress: Callable[[int], None] | None = None,
                  every: int = PROGRESS_EVERY) -> int:
    """Write the listing to *target* (a path or a binary file) as XLSX (write_xlsx) or CSV (UTF-8 with a BOM),
    reading its rows as it writes them; calls progress(rows) every *every* rows; returns the rows written."""
    header = [cell(h) for h in listing.header()]
    written = 0
    if fmt == "xlsx":
        rows = ([safe_cell(v) for v in values] for values in listing_rows(listing))
        return write_xlsx(target, listing.title, header, rows, progress, every)
    if fmt != "csv":
        raise ValueError(fmt)
    own = isinstance(target, (str, Path))
    raw = open(target, "wb") if own else target
    try:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="", write_through=False)
        out = csv.writer(text)
        out.writerow(header)
        for values in listing_rows(listing):
            out.writerow(["" if v is None else safe_cell(v) for v in values])
            written += 1
            if progress is not None and written % every == 0:
                progress(written)
        text.flush()
        text.detach()
    finally:
        if own:
            raw.close()
    return written


# The rows of a big sheet ------------------------------------------------------------------------------
# openpyxl's write-only mode keeps memory flat but spends ~12 µs a cell in its per-cell path (a cell object,
# its type checks, nested xmlfile elements for <c>, <is> and <t>): a 100,000-row roster of 8 columns took
# 22 s of its 30 s budget on the shared 2-core machine, and a national roster is twice that. So a listing's
# workbook is made by openpyxl's write-only mode (the package, the styles, the bold header row: all its own),
# and its data rows are then streamed into that sheet as the same XML openpyxl writes for write-only cells
# (inline strings, numbers, booleans; tests/test_reports_exports.py reads both back and compares), ~1 µs a
# cell. Memory stays flat: rows go from the cursor to the deflate stream of the zip entry.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ROWS_END = "</sheetData>"


def _xml_text(value: str) -> str:
    return _XML_ILLEGAL.sub("", value)[:32767].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _row_xml(values: list, number: int, letters: list[str]) -> str:
    from openpyxl.compat import safe_string
    from openpyxl.utils import get_column_letter

    while len(letters) < len(values):
        letters.append(get_column_letter(len(letters) + 1))
    row = str(number)
    out = [f'<row r="{row}">']
    for column, value in enumerate(values):
        if value is None or value == "":
            continue
        ref = letters[column] + row
        if isinstance(value, bool):
            out.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, (int, float, Decimal)):
            out.append(f'<c r="{ref}" t="n"><v>{safe_string(value)}</v></c>')
        else:
            text = str(value)
            space = ' xml:space="preserve"' if text != text.strip() else ""
            out.append(f'<c r="{ref}" t="inlineStr"><is><t{space}>{_xml_text(text)}</t></is></c>')
    out.append("</row>")
    return "".join(out)


def write_xlsx(target, title: str, header: list, rows: Iterable[list], progress: Callable[[int], None] | None = None,
               every: int = PROGRESS_EVERY) -> int:
    """One sheet: a bold header, then *rows* (values already through safe_cell), streamed. Returns the rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(title))
    bold = Font(bold=True)
    heading = []
    for label in header:
        c = WriteOnlyCell(sheet, value=label)
        c.font = bold
        heading.append(c)
    sheet.append(heading)
    shell = io.BytesIO()
    workbook.save(shell)
    written = 0
    letters: list[str] = []
    with zipfile.ZipFile(shell) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        sheets = [info for info in source.infolist() if info.filename.startswith("xl/worksheets/")]
        if len(sheets) != 1 or source.read(sheets[0]).decode("utf-8").count(_ROWS_END) != 1:
            raise RuntimeError("openpyxl wrote a workbook of an unexpected shape")
        for info in source.infolist():
            data = source.read(info)
            if info is not sheets[0]:
                out.writestr(info, data)
                continue
            head, tail = data.decode("utf-8").split(_ROWS_END)
            with out.open(info.filename, "w", force_zip64=True) as stream:
                stream.write(head.encode("utf-8"))
                chunk: list[str] = []
                for number, values in enumerate(rows, 2):
                    chunk.append(_row_xml(values, number, letters))
                    written += 1
                    if len(chunk) == 500:
                        stream.write("".join(chunk).encode("utf-8"))
                        chunk.clear()
                    if progress is not None and written % every == 0:
                        progress(written)
                stream.write(("".join(chunk) + _ROWS_END + tail).encode("utf-8"))
    return written


# Export jobs ---------------------------------------------------------------------------------------------
# Why a job failed, by the code stored in ReportExport.error.
def error_message(code: str | None) -> str:
    return {
        "queue": _("The job queue is not available; ask for the export again later."),
        "gone": _("The list is no longer yours to see (the campaign, the list or your role changed)."),
        "interrupted": _("The export was interrupted before it was finished; ask for it again."),
        "internal": _("The export could not be written; the error has been logged."),
    }.get(code or "", _("The export could not be written; the error has been logged."))


def exports_folder() -> Path:
    folder = Path(current_app.instance_path) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# Arguments of the query string that are not the listing's: never stored with a job.
_NOT_ARGS = {"page", "csrf_token", "submission_key"}


def job_args(request_args: Mapping, scope) -> dict[str, str]:
    """The query string a job rebuilds the listing from: the listing's own arguments, the report's filters,
    and the period made explicit (so that the job, whenever it runs, writes the period the user saw)."""
    args = {k: str(v) for k, v in request_args.items() if k not in _NOT_ARGS}
    args.update({k: str(v) for k, v in scope.args().items()})
    return args


def create_export(user, scope, key: str, args: Mapping, fmt: str, title: str) -> ReportExport:
    job = ReportExport(user_id=user.id, campaign_id=scope.campaign.id, listing_key=key, title=str(title)[:300],
                       args=job_args(args, scope), file_format=fmt, status=ExportStatus.QUEUED)
    db.session.add(job)
    db.session.flush()
    return job


def _update(job_id: int, **values) -> int:
    """Write *values* to the job's row in a transaction of its own (the page polling for it sees it at once);
    returns the rows changed."""
    table = ReportExport.__table__
    token = write_lock_outside_requests.set(True)
    try:
        with db.engine.begin() as conn:
            return conn.execute(table.update().where(table.c.id == job_id).values(**values)).rowcount
    finally:
        write_lock_outside_requests.reset(token)


def fail_export(job_id: int, code: str) -> None:
    _update(job_id, status=ExportStatus.FAILED.value, error=code, finished_at=utcnow())


def _rebuild(job: ReportExport):
    """The job's listing, built again for its user and his scope today; None when he may no longer see it."""
    from werkzeug.datastructures import MultiDict

    from tracker.campaigns.models import Campaign
    from tracker.reports import listings
    from tracker.reports.scope import scope_outside_request

    scope = scope_outside_request(job.user, db.session.get(Campaign, job.campaign_id), job.args)
    if scope is None:
        return None, None
    return scope, listings.build(job.listing_key, scope, MultiDict(job.args or {}))


def run_export(job_id: int) -> None:
    """The export job: claim the row, build the listing for its user, stream it to a file under
    instance/exports/ with progress every PROGRESS_EVERY rows, then record the file (or the failure)."""
    claimed = _update_claim(job_id)
    if not claimed:
        log.info("report export %s is not queued; nothing to do", job_id)
        return
    path: Path | None = None
    # The session only reads until the file is written (its updates go through _update's own transactions):
    # no SQLite write lock held meanwhile. The task runs in a context of its own, so this ends with it.
    write_lock_outside_requests.set(False)
    try:
        job = db.session.get(ReportExport, job_id)
        locale = (job.user.locale if job.user is not None else None) or current_app.config["BABEL_DEFAULT_LOCALE"]
        with force_locale(locale):
            scope, listing = _rebuild(job)
            if listing is None:
                db.session.rollback()
                fail_export(job_id, "gone")
                return
            total = db.session.scalar(listing.count)
            _update(job_id, rows_total=total)
            path = exports_folder() / f"{secrets.token_hex(16)}.{job.file_format}"
            download_name = listing_filename(scope, listing, job.file_format)
            written = write_listing(listing, job.file_format, path,
                                    progress=lambda n: _update(job_id, rows_written=n))
            db.session.rollback()  # end the read snapshot (and the server-side cursor's transaction)
        changed = _update(job_id, status=ExportStatus.DONE.value, rows_written=written,
                          rows_total=max(written, total or 0), file_path=str(path),
                          download_name=download_name[:300], finished_at=utcnow())
        if not changed:  # purged meanwhile
            path.unlink(missing_ok=True)
    except Exception:
        log.exception("report export %s failed", job_id)
        db.session.rollback()
        if path is not None:
            path.unlink(missing_ok=True)
        fail_export(job_id, "internal")


def _update_claim(job_id: int) -> bool:
    """queued -> running, in a transaction of its own: of two workers given the job, one writes it."""
    table = ReportExport.__table__
    token = write_lock_outside_requests.set(True)
    try:
        with db.engine.begin() as conn:
            result = conn.execute(table.update()
                                  .where(table.c.id == job_id, table.c.status == ExportStatus.QUEUED.value)
                                  .values(status=ExportStatus.RUNNING.value, started_at=utcnow()))
            return result.rowcount == 1
    finally:
        write_lock_outside_requests.reset(token)


def purge_exports(max_age: timedelta = timedelta(days=EXPORT_MAX_AGE_DAYS),
                  stuck_after: timedelta = EXPORT_STUCK_AFTER) -> dict[str, int]:
    """Delete exports older than *max_age* with their files, fail those queued or running for longer than
    *stuck_after* (their worker is gone), and delete files under instance/exports/ that no export names."""
    token = write_lock_outside_requests.set(True)
    try:
        return _purge(max_age, stuck_after)
    finally:
        write_lock_outside_requests.reset(token)


def _purge(max_age: timedelta, stuck_after: timedelta) -> dict[str, int]:
    now = utcnow()
    done = {"deleted": 0, "interrupted": 0, "files": 0}
    old = db.session.execute(sa.select(ReportExport.id, ReportExport.file_path)
                             .where(ReportExport.created_at < now - max_age)).all()
    for row in old:
        if row.file_path:
            Path(row.file_path).unlink(missing_ok=True)
            done["files"] += 1
    if old:
        db.session.execute(sa.delete(ReportExport).where(ReportExport.id.in_([row.id for row in old])))
        done["deleted"] = len(old)
    done["interrupted"] = db.session.execute(
        sa.update(ReportExport)
        .where(ReportExport.status.in_([ExportStatus.QUEUED, ExportStatus.RUNNING]),
               ReportExport.created_at < now - stuck_after)
        .values(status=ExportStatus.FAILED, error="interrupted", finished_at=now)
        .execution_options(synchronize_session=False)).rowcount
    kept = set(db.session.scalars(sa.select(ReportExport.file_path).where(ReportExport.file_path.is_not(None))))
    db.session.commit()
    cutoff = (now - max_age).timestamp()
    for path in exports_folder().iterdir():
        try:
            stale = path.is_file() and path.stat().st_mtime < cutoff
        except FileNotFoundError:
            continue
        if stale and str(path) not in kept:
            path.unlink(missing_ok=True)
            done["files"] += 1
    return done
