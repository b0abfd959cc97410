"""Declaration counts and the imports that brought them."""
import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.types import UTCDateTime, enum_column, utcnow


class ImportStatus(str, enum.Enum):
    READING = "reading"  # the file is being read and checked
    READY = "ready"  # checked, every row valid: the preview waits for the officer
    INVALID = "invalid"  # checked, some rows wrong: nothing can be written
    COMMITTING = "committing"  # the officer chose to import: a job checks it again and writes it
    COMMITTED = "committed"
    FAILED = "failed"  # could not be read at all (not CSV/XLSX, corrupt, too large), or its job died
    DISCARDED = "discarded"

    @property
    def label(self):
        return STATUS_LABELS[self]


STATUS_LABELS = {
    ImportStatus.READING: _l("Reading"),
    ImportStatus.READY: _l("Ready to import"),
    ImportStatus.INVALID: _l("Has errors"),
    ImportStatus.COMMITTING: _l("Importing"),
    ImportStatus.COMMITTED: _l("Imported"),
    ImportStatus.FAILED: _l("Could not be read"),
    ImportStatus.DISCARDED: _l("Discarded"),
}


class DeclarationImport(db.Model):
    """An uploaded statistics file: read, previewed, then committed whole or not at all."""

    __tablename__ = "declaration_imports"
    __label__ = _l("Declaration import")

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(sa.String(255), info={"label": _l("File")})
    # SHA-256 of the file: the commit re-reads exactly the file that was previewed.
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True, info={"label": _l("SHA-256 of the file")})
    file_format: Mapped[str] = mapped_column(sa.String(8), info={"label": _l("Format")})
    size_bytes: Mapped[int] = mapped_column(info={"label": _l("Size in bytes")})
    # Where the upload waits between preview and commit (under instance/uploads).
    stored_path: Mapped[str | None] = mapped_column(sa.String(500), info={"label": _l("Stored at")})
    # The office whose firms the file describes; new firms are created under it.
    office_id: Mapped[int] = mapped_column(
        sa.ForeignKey("offices.id", ondelete="RESTRICT"), index=True,
        info={"label": _l("Customs office of these firms")}
    )
    # Year for rows that give none.
    default_year: Mapped[int | None] = mapped_column(info={"label": _l("Year, for rows that give none")})
    status: Mapped[ImportStatus] = mapped_column(
        enum_column(ImportStatus, "status"), default=ImportStatus.READING, info={"label": _l("Status")}
    )
    # The job worker (host:pid:token) reading or committing it now; None when no job has it.
    job_owner: Mapped[str | None] = mapped_column(sa.String(100), info={"label": _l("Job")})
    # What the page should say about the last commit or clean-up: "stale" (the data moved on, a new
    # preview was made) or "expired" (discarded unimported after IMPORT_PREVIEW_MAX_AGE_HOURS).
    notice: Mapped[str | None] = mapped_column(sa.String(20), info={"label": _l("Notice")})
    # Progress while reading: rows read so far and bytes of the file consumed.
    rows_read: Mapped[int] = mapped_column(default=0, info={"label": _l("Rows read")})
    bytes_read: Mapped[int] = mapped_column(default=0, info={"label": _l("Bytes read")})
    # {"rows", "new_firms", "new_counts", "updated_counts", "unchanged", "years"} and samples.
    summary: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, info={"label": _l("Summary")})
    # [{"row": n, "column": name, "code": ..., "message": ...}], capped.
    errors: Mapped[list[Any]] = mapped_column(sa.JSON, default=list, info={"label": _l("Errors")})
    error_count: Mapped[int] = mapped_column(default=0, info={"label": _l("Number of errors")})
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"label": _l("Uploaded by")}
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Created at")})
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Imported at")})

    office = relationship("Office")
    uploaded_by = relationship("User")

    @property
    def in_progress(self) -> bool:
        """A job is reading or writing it: the page polls for its progress."""
        return self.status in (ImportStatus.READING, ImportStatus.COMMITTING)

    def can_commit(self) -> bool:
        return self.status is ImportStatus.READY

    def can_discard(self) -> bool:
        return self.status in (ImportStatus.READING, ImportStatus.READY, ImportStatus.INVALID)


class DeclarationCount(db.Model):
    """The number of customs declarations (报关单票数) a firm filed in one year."""

    __tablename__ = "declaration_counts"
    __label__ = _l("Declaration count")
    __table_args__ = (
        sa.UniqueConstraint("enterprise_id", "year"),
        # Screening asks "which firms reached N in year Y".
        sa.Index("ix_declaration_counts_year_declarations", "year", "declarations"),
        sa.CheckConstraint("declarations >= 0", name="non_negative"),
        sa.CheckConstraint("year BETWEEN 1980 AND 2200", name="year_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enterprises.id", ondelete="CASCADE"), info={"label": _l("Enterprise")}
    )
    year: Mapped[int] = mapped_column(info={"label": _l("Year")})
    declarations: Mapped[int] = mapped_column(info={"label": _l("Declarations")})
    # The import that last set this count (None when typed in by hand or seeded).
    import_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("declaration_imports.id", ondelete="SET NULL"), index=True, info={"label": _l("Import")}
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, info={"label": _l("Updated at")}
    )

    source = relationship(DeclarationImport)
    enterprise = relationship("Enterprise")
