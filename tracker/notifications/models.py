"""In-app notifications: one row per notice and reader."""
import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db
from tracker.types import UTCDateTime, enum_column, utcnow


# Notifications --------------------------------------------------------------------------------------
class NotificationKind(str, enum.Enum):
    NEED_ASSIGNED = "need_assigned"
    DEADLINE_NEAR = "deadline_near"
    PLAN_APPROVED = "plan_approved"
    PLAN_RETURNED = "plan_returned"
    EXTENSION_DECIDED = "extension_decided"
    NEED_REOPENED = "need_reopened"
    EXTENSION_WITHDRAWN = "extension_withdrawn"
    # A firm's contact raised a need in the portal (to its officer, or the managers while it has none).
    NEED_RAISED = "need_raised"
    # The certificate counter: bookings an officer must rearrange, a firm's appointment affected,
    # a poor rating for the office's manager, and its answer for the firm.
    APPOINTMENT_FLAGGED = "appointment_flagged"
    APPOINTMENT_AFFECTED = "appointment_affected"
    POOR_RATING = "poor_rating"
    RATING_ANSWERED = "rating_answered"
    # Policy briefings: a firm's contacts are invited (tracker/briefings/services.py).
    BRIEFING_INVITED = "briefing_invited"
    # Certification coaching (tracker/certification/services.py): the customs' assessment shared with the
    # firm, a self-assessment submitted to customs, a shortfall's fix given to an officer, and the decision
    # on a certification application.
    ASSESSMENT_SHARED = "assessment_shared"
    SELF_ASSESSMENT_SUBMITTED = "self_assessed"
    REMEDIATION_ASSIGNED = "remediation_assigned"
    CERTIFICATION_DECIDED = "cert_decided"


class Notification(db.Model):
    """An in-app notice for one user; the text is made in the reader's language from kind and params."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_unread", "user_id", "read_at", "created_at"),
                      sa.UniqueConstraint("user_id", "kind", "dedupe_key"))
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(enum_column(NotificationKind, "kind"))
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # Where the notice leads (a path inside the site).
    link: Mapped[str] = mapped_column(sa.String(300))
    # Makes repeated notices idempotent, e.g. "need:12:2019-10-08" for a deadline reminder.
    dedupe_key: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
