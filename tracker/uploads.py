"""Uploaded documents (briefing materials, later certification evidence): checked by their content, stored
under generated names, written all-or-nothing with the database row.

A file is accepted when its bytes are one of the kinds below *and* its name's extension says the same kind:
PDF (``%PDF-``), PNG (its 8-byte signature), JPEG (``FF D8 FF``), and the Office Open XML documents DOCX and
XLSX, which are zip archives holding ``[Content_Types].xml`` and ``word/`` resp. ``xl/`` parts (read with
zipfile, their declared sizes checked before anything is expanded: a zip bomb is refused unread). Anything
else — a program renamed .pdf (``MZ``, ELF), a script, a zip that is no Word document — is refused with a
translated reason. The client's content type and name are never trusted: the stored type is the kind's.

    checked = check_upload(storage)              # UploadRefused (a DomainError) with the reason
    name = store(checked, "briefings")           # written now; removed again if the transaction rolls back
    discard_after_commit("briefings", name)      # deleting a row: the file goes once the deletion commits
"""
import io
import os
import re
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from tracker.domain import DomainError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# A DOCX or XLSX may not declare more than this uncompressed, nor more entries (zip bombs).
ZIP_MAX_UNCOMPRESSED = 200 * 1024 * 1024
ZIP_MAX_ENTRIES = 5000


@dataclass(frozen=True)
class Kind:
    name: str
    extensions: tuple[str, ...]
    content_type: str
    label: str


KINDS = {
    "pdf": Kind("pdf", ("pdf",), "application/pdf", "PDF"),
    "docx": Kind("docx", ("docx",), "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 "Word (.docx)"),
    "xlsx": Kind("xlsx", ("xlsx",), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "Excel (.xlsx)"),
    "png": Kind("png", ("png",), "image/png", "PNG"),
    "jpeg": Kind("jpeg", ("jpg", "jpeg"), "image/jpeg", "JPEG"),
}
BY_EXTENSION = {ext: kind for kind in KINDS.values() for ext in kind.extensions}
ACCEPT = ",".join("." + ext for ext in BY_EXTENSION)  # the file input's accept attribute
ACCEPTED_TEXT = _l("PDF, Word (.docx), Excel (.xlsx), PNG or JPEG")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class UploadRefused(DomainError):
    """The file is not accepted; the message says why, in the user's language."""


@dataclass(frozen=True)
class CheckedFile:
    original_filename: str
    kind: Kind
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def extension(self) -> str:
        return self.kind.extensions[0]


def max_bytes() -> int:
    return int(current_app.config.get("UPLOAD_MAX_BYTES") or DEFAULT_MAX_BYTES)


def upload_root() -> Path:
    folder = current_app.config.get("UPLOAD_FOLDER")
    return Path(folder) if folder else Path(current_app.instance_path) / "uploads"


def clean_filename(name: str | None) -> str:
    """The uploader's name for display and download: no directories, no control characters, at most 200."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().lstrip(".")
    return name[-200:] or "file"


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.0f}"


def sniff(data: bytes) -> str | None:
    """The kind the bytes are (a KINDS key), "executable", "zip" (some other archive) or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(PNG_SIGNATURE):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa")):
        return "executable"
    if data.startswith(b"PK\x03\x04"):
        return _office_kind(data)
    return None


def _office_kind(data: bytes) -> str:
    """docx, xlsx, or zip for an archive that is neither (or cannot be read, or would expand too far)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return "zip"
    if len(entries) > ZIP_MAX_ENTRIES or sum(e.file_size for e in entries) > ZIP_MAX_UNCOMPRESSED:
        raise UploadRefused(_("The file would expand to far more than a document holds; it is refused."))
    names = {e.filename for e in entries}
    if "[Content_Types].xml" not in names:
        return "zip"
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise UploadRefused(_("The document contains macros; save it without macros (.docx or .xlsx) and "
                              "upload it again."))
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return "zip"


def check_upload(storage) -> CheckedFile:
    """Read an uploaded file (a werkzeug FileStorage) and accept it or raise UploadRefused with the reason."""
    if storage is None or not getattr(storage, "filename", None):
        raise UploadRefused(_("Choose a file to upload."))
    name = clean_filename(storage.filename)
    limit = max_bytes()
    data = storage.stream.read(limit + 1)
    if len(data) > limit:
        raise UploadRefused(_("The file is larger than %(mb)s MB.", mb=_megabytes(limit)))
    if not data:
        raise UploadRefused(_("The file is empty."))
    claimed = BY_EXTENSION.get(_extension(name))
    if claimed is None:
        raise UploadRefused(_("Only %(kinds)s files are accepted.", kinds=ACCEPTED_TEXT))
    found = sniff(data)
    if found == "executable":
        raise UploadRefused(_("The file is a program or a script, not a document; it is refused."))
    if found not in KINDS:
        raise UploadRefused(_("The file's content is not a %(kind)s document, whatever its name says; only "
                              "%(kinds)s files are accepted.", kind=claimed.label, kinds=ACCEPTED_TEXT))
    if KINDS[found] is not claimed:
        raise UploadRefused(_("The file is a %(found)s document but its name ends in .%(ext)s; rename it and "
                              "upload it again.", found=KINDS[found].label, ext=_extension(name)))
    return CheckedFile(name, claimed, data)


# Storing: all-or-nothing with the transaction -------------------------------------------------------------
_WRITTEN = "uploads_written"
_TO_DISCARD = "uploads_to_discard"


def path_of(area: str, stored_name: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}\.[a-z]{3,4}", stored_name):
        raise ValueError(f"not a stored name: {stored_name!r}")
    return upload_root() / area / stored_name


def store(checked: CheckedFile, area: str, session: Session | None = None) -> str:
    """Write the file under a generated name in upload_root()/area; returns the name. If the session's
    transaction rolls back instead of committing, the file is removed again."""
    from tracker.extensions import db

    session = session or db.session
    folder = upload_root() / area
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = f"{uuid.uuid4().hex}.{checked.extension}"
    path = folder / stored_name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(checked.data)
    session.info.setdefault(_WRITTEN, []).append(str(path))
    return stored_name


def discard_after_commit(area: str, stored_name: str, session: Session | None = None) -> None:
    """Remove the file once the transaction that deletes its row commits (kept if it rolls back)."""
    from tracker.extensions import db

    session = session or db.session
    session.info.setdefault(_TO_DISCARD, []).append(str(path_of(area, stored_name)))


def _unlink(paths) -> None:
    for path in paths or ():
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.info.pop(_WRITTEN, None)
    _unlink(session.info.pop(_TO_DISCARD, None))


def _after_transaction_end(session: Session, transaction) -> None:
    """The outermost transaction ended without a commit (rolled back, or the session closed: a request's
    teardown after an unexpected error): the files it wrote go, the deletions it meant are forgotten."""
    if transaction.parent is not None or transaction.nested:
        return
    _unlink(session.info.pop(_WRITTEN, None))
    session.info.pop(_TO_DISCARD, None)


def register_upload_listeners() -> None:
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_transaction_end", _after_transaction_end)


register_upload_listeners()
