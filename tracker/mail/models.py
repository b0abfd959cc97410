"""The outbox: mail written in the same transaction as the change it announces, sent later by a job."""
import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db
from tracker.types import UTCDateTime, enum_column, utcnow


class OutboxStatus(str, enum.Enum):
    PENDING = "pending"  # waiting to be sent (again, after next_attempt_at)
    SENDING = "sending"  # claimed by one run of the send task; no other run may send it
    SENT = "sent"
    FAILED = "failed"  # given up: too many attempts, or the sender died while sending


class OutboxMessage(db.Model):
    """One e-mail to send, at most once."""

    __tablename__ = "outbox_messages"
    # A log of its own; the change that queued it is audited where it happens.
    __audited__ = False
    __table_args__ = (
        # The send sweep reads the pending messages that are due.
        sa.Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # ["a@example.org", ...]
    recipients: Mapped[list[str]] = mapped_column(sa.JSON)
    sender: Mapped[str | None] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[OutboxStatus] = mapped_column(enum_column(OutboxStatus, "status"), default=OutboxStatus.PENDING)
    # Tries so far (a try counts from the moment it is claimed).
    attempts: Mapped[int] = mapped_column(default=0)
    # Not to be tried before this moment (the backoff after a failure); None: at once.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
