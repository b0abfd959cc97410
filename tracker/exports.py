"""Excel and CSV exports of a list view, streamed, with spreadsheet formula injection neutralised."""
import codecs
import csv
import io
import re
import tempfile
from datetime import date, datetime
from typing import Iterable, Sequence
from urllib.parse import quote

from flask import Response, send_file, stream_with_context
from flask_babel import LazyString

# Control characters no XLSX cell may hold (openpyxl raises IllegalCharacterError): an old record
# pasted from a terminal or a PDF may carry one; the export drops them instead of failing.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

# A cell starting with one of these is a formula (or becomes one) in Excel and LibreOffice.
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, LazyString):  # a translated label
        value = str(value)
    if isinstance(value, str):
        value = _ILLEGAL.sub("", value)
        if value.startswith(DANGEROUS_PREFIXES):
            return "'" + value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _disposition(filename: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(filename)}"


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> Response:
    """UTF-8 with a BOM so that Chinese Excel opens it correctly."""

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        yield codecs.BOM_UTF8.decode("utf-8")
        writer.writerow([safe_cell(h) for h in header])
        for i, row in enumerate(rows, 1):
            writer.writerow(["" if v is None else safe_cell(v) for v in row])
            if i % 500 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(generate()), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": _disposition(filename)})


def xlsx_response(filename: str, sheet_title: str, header: Sequence[str], rows: Iterable[Sequence]) -> Response:
    """openpyxl's write-only mode streams rows to a temporary file, so memory stays flat."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.append([safe_cell(h) for h in header])
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(spool)
    spool.seek(0)
    return send_file(spool, as_attachment=True, download_name=filename,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
