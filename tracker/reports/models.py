"""An export of a drill-down listing written by a job (a big list: the roster of a national campaign)."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.types import UTCDateTime, enum_column, utcnow


class ExportStatus(str, enum.Enum):
    QUEUED = "queued"  # waiting for a worker
    RUNNING = "running"  # a worker writes the file; rows_written moves
    DONE = "done"  # the file waits for its owner under instance/exports/
    FAILED = "failed"  # see error

    @property
    def label(self):
        return STATUS_LABELS[self]


STATUS_LABELS = {
    ExportStatus.QUEUED: _l("Waiting"),
    ExportStatus.RUNNING: _l("Being written"),
    ExportStatus.DONE: _l("Ready"),
    ExportStatus.FAILED: _l("Failed"),
}


class ReportExport(db.Model):
    """A listing written to XLSX or CSV by a job, for the user who asked for it alone (visibility: its owner).

    ``args`` holds the query string the listing was asked with (the report's filters and the listing's own
    arguments): the job builds the report's scope again from it, for that user, so the file holds what his
    drill-down page shows. Files and rows are deleted after EXPORT_MAX_AGE_DAYS (reports/tasks.py)."""

    __tablename__ = "report_exports"
    __label__ = _l("Report export")
    # Progress moves every few thousand rows: not worth an audit record each time.
    __audited__ = False
    __table_args__ = (
        sa.Index("ix_report_exports_user_id_created_at", "user_id", "created_at"),
        sa.Index("ix_report_exports_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         info={"label": _l("Asked by")})
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True,
                                             info={"label": _l("Campaign")})
    listing_key: Mapped[str] = mapped_column(sa.String(100), info={"label": _l("List")})
    # The title of the listing when it was asked for, in the user's language (the page shows it while queued).
    title: Mapped[str] = mapped_column(sa.String(300), default="", info={"label": _l("Title")})
    args: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, info={"label": _l("Filters")})
    file_format: Mapped[str] = mapped_column(sa.String(8), info={"label": _l("Format")})
    status: Mapped[ExportStatus] = mapped_column(enum_column(ExportStatus, "status"), default=ExportStatus.QUEUED,
                                                 info={"label": _l("Status")})
    rows_written: Mapped[int] = mapped_column(default=0, info={"label": _l("Rows written")})
    rows_total: Mapped[int | None] = mapped_column(info={"label": _l("Rows in all")})
    # Where the file is (under instance/exports/) and the name it is downloaded as.
    file_path: Mapped[str | None] = mapped_column(sa.String(500), info={"label": _l("Stored at")})
    download_name: Mapped[str | None] = mapped_column(sa.String(300), info={"label": _l("File")})
    error: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Error")})
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Created at")})
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Started at")})
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Finished at")})

    user = relationship("User")
    campaign = relationship("Campaign")

    @property
    def in_progress(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)

    @property
    def percent(self) -> int:
        if self.status is ExportStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(100 * self.rows_written / self.rows_total))


class ReportCacheReport(db.Model):
    """A report someone has read whose statements are kept (ReportCacheEntry): what to build it again from.

    ``identity`` is the campaign, the reader (his office bounds the report), his language and the query string's
    filters as asked: without a period, the default one moves with the day, so a refresh after midnight counts
    the new day. The periodic refresher builds the reports read within REPORT_CACHE_KEEP_HOURS whose figures
    are older than REPORT_CACHE_FRESH_SECONDS; a report unread for longer is deleted with its statements."""

    __tablename__ = "report_cache_reports"
    __label__ = _l("Kept report")
    # A cache: rewritten every few minutes, holds nothing anyone entered.
    __audited__ = False

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True, info={"label": _l("Key")})
    identity: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, info={"label": _l("Report")})
    read_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True,
                                              info={"label": _l("Last read")})
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Counted at")})
    # The keys of the statements it keeps: a reader reads them in one query, and counts the others live.
    statement_keys: Mapped[list[str]] = mapped_column(sa.JSON, default=list, info={"label": _l("Kept statements")})
    # Set while a refresher builds it (two consumers never build the same report at once).
    refreshing_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Being counted")})


class ReportCacheEntry(db.Model):
    """The rows of one slow aggregate statement of a report, kept so the next reader does not wait for them.

    ``key`` is a digest of the statement's SQL and parameters on its database (so another filter, period, day
    or language is another entry); ``rows`` its result as pickled Python values (written by this app alone)."""

    __tablename__ = "report_cache_entries"
    __label__ = _l("Kept figures")
    __audited__ = False

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True, info={"label": _l("Key")})
    report_key: Mapped[str] = mapped_column(sa.String(64), index=True, info={"label": _l("Report")})
    rows: Mapped[bytes] = mapped_column(sa.LargeBinary, info={"label": _l("Rows")})
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True,
                                                  info={"label": _l("Counted at")})
    took_ms: Mapped[int] = mapped_column(default=0, info={"label": _l("Milliseconds")})
