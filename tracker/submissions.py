"""One submission, one effect: the one-time keys that creating forms carry.

A form that creates something is rendered with a fresh random key (a hidden field). The request that
creates the record inserts the key in the same transaction, under its primary key; a second request
with the same key (a double click, a resend, a retry after a timeout) cannot insert it again, creates
nothing and is sent to the record the first one made (created_url).
"""
from datetime import datetime, timedelta

import sqlalchemy as sa
from huey import crontab
from sqlalchemy.orm import Mapped, mapped_column

from tracker import jobs
from tracker.extensions import db
from tracker.types import UTCDateTime, utcnow

KEY_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"


class SubmissionKey(db.Model):
    __tablename__ = "submission_keys"
    __audited__ = False

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    # Where the record the submission made is shown (None: nothing to show, e.g. a comment).
    created_url: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


def purge_submission_keys(older_than: timedelta | datetime) -> int:
    """Delete the keys used before a moment (or older than an age); returns how many. The periodic
    jobs call it; a form kept open longer than that and sent twice could then create twice."""
    cutoff = older_than if isinstance(older_than, datetime) else utcnow() - older_than
    result = db.session.execute(sa.delete(SubmissionKey).where(SubmissionKey.created_at < cutoff))
    db.session.commit()
    return result.rowcount


# A key outlives any form a person keeps open: a week is far more than a working day's tab.
SUBMISSION_KEY_MAX_AGE = timedelta(days=7)


@jobs.periodic(crontab(minute="29", hour="3"))
def purge_old_submission_keys() -> int:
    """Daily: the one-time keys of forms sent more than a week ago."""
    return purge_submission_keys(SUBMISSION_KEY_MAX_AGE)
