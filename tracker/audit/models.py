"""Audit records, written by the session listener in tracker.audit.listeners."""
import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db
from tracker.types import UTCDateTime, enum_column, utcnow


class AuditAction(str, enum.Enum):
    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"

    @property
    def label(self):
        return ACTION_LABELS[self]


ACTION_LABELS = {
    AuditAction.INSERT: _l("Created"),
    AuditAction.UPDATE: _l("Changed"),
    AuditAction.DELETE: _l("Deleted"),
}


class AuditRecord(db.Model):
    """One insert, update or delete of a domain record."""

    __tablename__ = "audit_records"
    __table_args__ = (sa.Index("ix_audit_records_entity", "entity_type", "entity_id"),)
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # No foreign key: the trail must outlive the user it names.
    actor_id: Mapped[int | None] = mapped_column(index=True)
    # The actor's username at the time, or "cli:<name>" / "system" outside a request.
    actor_name: Mapped[str] = mapped_column(sa.String(100))
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction, "action"))
    # The table name of the record, e.g. "users".
    entity_type: Mapped[str] = mapped_column(sa.String(64))
    entity_id: Mapped[str] = mapped_column(sa.String(64))
    # {field: [old, new]}; secrets appear as "[redacted]".
    changes: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
