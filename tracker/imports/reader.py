"""Reading declaration-count files: CSV (UTF-8 with or without BOM, or GB18030) and XLSX (streamed).

Whole-file problems raise ImportFileError; rows come out as (row number, {field: text}).
"""
import codecs
import csv
import io
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Iterator

FIELDS = ("uscc", "customs_code", "name", "year", "declarations", "trade_modes")

# Header spellings found in customs statistics exports, Chinese and English (compared after normalising).
HEADER_ALIASES = {
    "uscc": ("统一社会信用代码", "社会信用代码", "信用代码", "uscc", "unified social credit code"),
    "customs_code": ("海关编码", "海关注册编码", "海关代码", "备案编码", "customs_code", "customs code"),
    "name": ("企业名称", "经营单位名称", "收发货人名称", "名称", "name", "enterprise", "enterprise name"),
    "year": ("年度", "年份", "year"),
    "declarations": ("报关单票数", "报关单数", "报关单量", "票数", "declarations", "declaration count"),
    "trade_modes": ("贸易方式", "监管方式", "trade_modes", "trade modes", "trade mode"),
}


def _normalise_header(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    return " ".join(text.replace("_", " ").replace("（", "(").split())


_ALIASES = {_normalise_header(alias): name for name, aliases in HEADER_ALIASES.items() for alias in aliases}


class ImportFileError(Exception):
    """The file as a whole cannot be imported; *code* and *params* make the translated message."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass
class Limits:
    max_rows: int = 1_000_000
    # XLSX is a zip archive: cap what it may expand to, whatever its compressed size.
    xlsx_max_uncompressed: int = 300 * 1024 * 1024
    xlsx_max_ratio: int = 150
    xlsx_max_entries: int = 2_000


@dataclass
class Progress:
    rows: int = 0
    bytes: int = 0
    total_bytes: int = 0
    callback: Callable[["Progress"], None] | None = field(default=None, repr=False)
    every: int = 5_000

    def tick(self, rows: int, position: int) -> None:
        self.rows, self.bytes = rows, position
        if self.callback and rows % self.every == 0:
            self.callback(self)


ZIP_MAGIC = b"PK\x03\x04"


def detect_format(filename: str, head: bytes) -> str:
    """'csv' or 'xlsx', by the name and the content both."""
    suffix = Path(filename or "").suffix.lower()
    if suffix == ".xlsx":
        if not head.startswith(ZIP_MAGIC):
            raise ImportFileError("content_mismatch", expected="XLSX")
        return "xlsx"
    if suffix == ".csv":
        if head.startswith(ZIP_MAGIC) or b"\x00" in head:
            raise ImportFileError("content_mismatch", expected="CSV")
        return "csv"
    raise ImportFileError("extension")


def detect_encoding(path: Path) -> str:
    """UTF-8 (BOM or not) when the whole file decodes as UTF-8, else GB18030 (what Chinese Excel writes)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as fh:
        try:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8-sig"
        except UnicodeDecodeError:
            pass
    decoder = codecs.getincrementaldecoder("gb18030")()
    with open(path, "rb") as fh:
        try:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise ImportFileError("encoding") from exc
    return "gb18030"


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


class _CountingReader(io.RawIOBase):
    """Counts the bytes a text reader has consumed, for the progress bar."""

    def __init__(self, raw):
        self.raw, self.count = raw, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = self.raw.readinto(buffer)
        self.count += n or 0
        return n


def _csv_rows(path: Path, progress: Progress) -> Iterator[list[str]]:
    encoding = detect_encoding(path)
    with open(path, "rb") as raw:
        counter = _CountingReader(raw)
        text = io.TextIOWrapper(io.BufferedReader(counter), encoding=encoding, newline="")
        try:
            for row in csv.reader(text):
                yield row
                progress.bytes = counter.count
        except csv.Error as exc:
            raise ImportFileError("csv_syntax", detail=str(exc)) from exc


def _check_zip(path: Path, limits: Limits) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise ImportFileError("corrupt") from exc
    if len(infos) > limits.xlsx_max_entries:
        raise ImportFileError("xlsx_bomb")
    total = sum(i.file_size for i in infos)
    if total > limits.xlsx_max_uncompressed:
        raise ImportFileError("xlsx_bomb")
    for info in infos:
        if info.file_size > 1 << 20 and info.file_size > limits.xlsx_max_ratio * max(info.compress_size, 1):
            raise ImportFileError("xlsx_bomb")


def _xlsx_rows(path: Path, progress: Progress, limits: Limits) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    _check_zip(path, limits)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise ImportFileError("corrupt") from exc
    try:
        sheet = workbook.worksheets[0]
        size = path.stat().st_size
        for row in sheet.iter_rows(values_only=True):
            yield [_cell_text(v) for v in row]
            # Streaming XLSX gives no byte position; estimate it from the rows for the progress bar.
            progress.bytes = min(size, progress.bytes + 40)
    finally:
        workbook.close()


def read_rows(path: Path, file_format: str, *, limits: Limits | None = None,
              progress: Progress | None = None) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """The fields found in the header, and an iterator of (row number, {field: text}) for the data rows."""
    limits = limits or Limits()
    progress = progress or Progress()
    progress.total_bytes = path.stat().st_size
    raw_rows = _xlsx_rows(path, progress, limits) if file_format == "xlsx" else _csv_rows(path, progress)

    number = 0
    header: list[str | None] | None = None
    for values in raw_rows:
        number += 1
        if any(v.strip() for v in values):
            header = [_ALIASES.get(_normalise_header(v)) for v in values]
            break
    if header is None:
        raise ImportFileError("empty")
    found = [f for f in FIELDS if f in header]
    duplicates = sorted({f for f in header if f and header.count(f) > 1})
    if duplicates:
        raise ImportFileError("duplicate_columns", columns=duplicates)
    if "declarations" not in found or not ({"uscc", "customs_code"} & set(found)):
        raise ImportFileError("missing_columns", found=found)
    first_data_row = number

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        n = first_data_row
        data = 0
        for values in raw_rows:
            n += 1
            if not any(v.strip() for v in values):
                continue
            data += 1
            if data > limits.max_rows:
                raise ImportFileError("too_many_rows", limit=limits.max_rows)
            record = {name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(header) if name}
            progress.tick(data, progress.bytes)
            yield n, record

    return found, rows()
