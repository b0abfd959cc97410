"""API bearer tokens: issuing, recognising on every API request, revoking, and noting their use.

The API knows its callers by bearer token alone. ``tracker.permissions.enforce_access`` calls
``authenticate_api_request`` for every API request, which makes the token's user (or nobody) the
request's ``current_user`` before Flask-Login would look at the session cookie. A cookie therefore
never authenticates an API call, which is what makes it safe to exempt the API from CSRF checks.
"""
import functools
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from flask import current_app, g, request
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import contains_eager

from tracker.api.models import ApiToken, hash_token
from tracker.auth.models import User
from tracker.extensions import db
from tracker.types import utcnow

log = logging.getLogger("tracker.security")

TOKEN_LIFETIME = timedelta(hours=24)
# last_used_at is bookkeeping, not an audit trail: at most one write per token a minute.
LAST_USED_INTERVAL = timedelta(minutes=1)


def isoformat(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, e.g. 2026-05-01T08:00:00Z."""
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def issue_token(user: User) -> tuple[str, ApiToken]:
    """A new token for *user*: the caller gets the token once; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    now = utcnow().replace(microsecond=0)
    record = ApiToken(user=user, token_hash=hash_token(token), created_at=now, expires_at=now + TOKEN_LIFETIME)
    db.session.add(record)
    db.session.flush()
    log.info("api token issued: username=%s token_id=%s ip=%s", user.username, record.id, request.remote_addr)
    return token, record


def revoke_token(record: ApiToken) -> None:
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        db.session.flush()
        log.info("api token revoked: username=%s token_id=%s ip=%s",
                 record.user.username, record.id, request.remote_addr)


def revoke_all_tokens(user: User) -> int:
    """Revoke every live token of *user* (for password changes and deactivation); returns how many."""
    now = utcnow()
    live = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None),
                                  ApiToken.expires_at > now)
    ).all()
    for record in live:
        record.revoked_at = now
    db.session.flush()
    if live:
        log.info("api tokens revoked: username=%s count=%d", user.username, len(live))
    return len(live)


def purge_spent_tokens(older_than: timedelta) -> int:
    """Delete the tokens that expired or were revoked more than *older_than* ago; returns how many.

    Until then a spent token is still answered "expired" or "revoked" rather than "unknown".
    """
    cutoff = utcnow() - older_than
    result = db.session.execute(
        sa.delete(ApiToken).where(sa.or_(ApiToken.expires_at < cutoff, ApiToken.revoked_at < cutoff))
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    if result.rowcount:
        log.info("api tokens purged: count=%d", result.rowcount)
    return result.rowcount


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, or None."""
    credentials = request.authorization
    if credentials is None or credentials.type.lower() != "bearer":
        return None
    return credentials.token or None


def _refusal(record: ApiToken | None, now: datetime) -> str | None:
    """Why a presented token does not authenticate, or None when it does."""
    if record is None:
        return "unknown token"
    if record.revoked_at is not None:
        return "revoked"
    if record.expires_at <= now:
        return "expired"
    if not record.user.active:
        return "user deactivated"
    return None


@dataclass(frozen=True)
class TokenUse:
    """What the after-request hook needs to note a token's use, read before the view runs."""

    token_id: int
    stale: bool  # last_used_at is older than LAST_USED_INTERVAL (or unset)


@functools.cache
def _token_statement() -> sa.Select:
    """A token by its hash, with its user: built once, as every API request runs it first."""
    return (sa.select(ApiToken).join(ApiToken.user).options(contains_eager(ApiToken.user))
            .where(ApiToken.token_hash == sa.bindparam("token_hash")))


def authenticate_api_request() -> None:
    """Make the bearer token's user the current user, or nobody; the session cookie never counts."""
    g.api_token = None
    g.api_token_use = None
    user = None
    raw = bearer_token()
    if raw:
        now = utcnow()
        record = db.session.scalar(_token_statement(), {"token_hash": hash_token(raw)})
        reason = _refusal(record, now)
        if reason is None:
            user = record.user
            g.api_token = record
            g.api_token_use = TokenUse(
                record.id, record.last_used_at is None or record.last_used_at <= now - LAST_USED_INTERVAL
            )
        else:
            log.info("api token refused: token_id=%s ip=%s reason=%s",
                     record.id if record else None, request.remote_addr, reason)
    # Flask-Login's own hook for "this request's user"; set before anything reads current_user.
    current_app.login_manager._update_request_context_with_user(user)


def current_token() -> ApiToken | None:
    """The token that authenticated this API request."""
    return g.get("api_token")


def record_token_use(response):
    """after_request: note when a token was last used, at most once a minute.

    Done after the view, in a transaction of its own that starts with the write: a read-only
    request's transaction on SQLite could not upgrade to a writer once another one has written.
    A failure here costs only the timestamp, never the caller's answer.
    """
    use = g.get("api_token_use")
    if use is None or not use.stale:
        return response
    now = utcnow()
    try:
        db.session.rollback()  # what the request did not commit is discarded at teardown anyway
        db.session.execute(
            sa.update(ApiToken)
            .where(
                ApiToken.id == use.token_id,
                ApiToken.revoked_at.is_(None),
                sa.or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - LAST_USED_INTERVAL),
            )
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("could not record the use of api token %s", use.token_id, exc_info=True)
    return response
