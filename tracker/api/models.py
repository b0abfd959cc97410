"""API bearer tokens, stored hashed."""
import hashlib
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.types import UTCDateTime, utcnow


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(db.Model):
    """A bearer token for the JSON API: valid 24 h, revocable; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"
    __label__ = _l("API token")
    __audit_redact__ = ("token_hash",)
    __audit_ignore__ = ("last_used_at",)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True, info={"label": _l("User")}
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, info={"label": _l("Token")})
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Created at")})
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), info={"label": _l("Expires at")})
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Revoked at")})
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User")

    def is_valid(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now
