"""One-time links: an invitation to open a firm's contact account, and a password reset.

A link is "<id>.<proof>", the proof an HMAC of the row's secret under the app's secret key (as the session
credential is derived, tracker.auth.models.User.session_credential): the database alone, a backup or a
DBA's query, opens no account; the officer who made an invitation can be shown its link again while it
is valid. A link is used once: the use is a conditional UPDATE judged by its row count, so two requests
with one link give one account.
"""
import enum
import hashlib
import hmac
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import User
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.types import UTCDateTime, enum_column, utcnow


class TokenPurpose(str, enum.Enum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"

    @property
    def label(self) -> str:
        return str(PURPOSE_LABELS[self])


PURPOSE_LABELS = {TokenPurpose.INVITATION: _l("Invitation"), TokenPurpose.PASSWORD_RESET: _l("Password reset")}


class LinkState(str, enum.Enum):
    PENDING = "pending"
    USED = "used"
    REVOKED = "revoked"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self])


STATE_LABELS = {LinkState.PENDING: _l("Waiting to be used"), LinkState.USED: _l("Used"),
                LinkState.REVOKED: _l("Withdrawn"), LinkState.EXPIRED: _l("Expired")}


def new_secret() -> str:
    return secrets.token_urlsafe(24)


class AccountToken(db.Model):
    """A one-time link: an invitation for a firm's contact (the account is made when it is used) or a reset
    of an existing account's password."""

    __tablename__ = "account_tokens"
    __label__ = _l("Account link")
    __table_args__ = (
        sa.CheckConstraint(
            "(purpose = 'invitation' AND enterprise_id IS NOT NULL)"
            " OR (purpose = 'password_reset' AND user_id IS NOT NULL)",
            name="account_token_target",
        ),
    )
    __audit_redact__ = ("secret",)

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[TokenPurpose] = mapped_column(enum_column(TokenPurpose, "token_purpose"),
                                                  info={"label": _l("Purpose")})
    secret: Mapped[str] = mapped_column(sa.String(64), default=new_secret, info={"label": _l("Link secret")})
    enterprise_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("enterprises.id", ondelete="CASCADE"), index=True, info={"label": _l("Enterprise")})
    # The account reset, or the account the invitation made once it was used.
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True, info={"label": _l("Account")})
    # Who is invited: the name and post the account starts with, and where the link is mailed.
    display_name: Mapped[str | None] = mapped_column(sa.String(100), info={"label": _l("Name")})
    title: Mapped[str | None] = mapped_column(sa.String(40), info={"label": _l("Post")})
    email: Mapped[str | None] = mapped_column(sa.String(200), info={"label": _l("Email")})
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"label": _l("Created by")})
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Created at")})
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), info={"label": _l("Valid until")})
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Used at")})
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Withdrawn at")})

    enterprise: Mapped[Enterprise | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    def proof(self) -> str:
        key = current_app.config["SECRET_KEY"]
        key = key.encode() if isinstance(key, str) else key
        message = f"tracker.account-link:{self.purpose.value}:{self.id}:{self.secret}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    @property
    def token(self) -> str:
        """What the link carries."""
        return f"{self.id}.{self.proof()}"

    def matches(self, proof: str) -> bool:
        return hmac.compare_digest(proof, self.proof())

    def state(self, now: datetime | None = None) -> LinkState:
        now = now or utcnow()
        if self.used_at is not None:
            return LinkState.USED
        if self.revoked_at is not None:
            return LinkState.REVOKED
        if self.expires_at <= now:
            return LinkState.EXPIRED
        return LinkState.PENDING

    def can_renew(self) -> bool:
        return self.purpose is TokenPurpose.INVITATION and self.used_at is None

    def __repr__(self) -> str:
        return f"<AccountToken {self.id} {self.purpose.value}>"
