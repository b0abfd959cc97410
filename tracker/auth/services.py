"""Account operations: sign-in checks, passwords, creating and deactivating users."""
import hmac
import logging

import sqlalchemy as sa
from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.auth.models import Role, User
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.offices.models import Office
from tracker.types import utcnow

log = logging.getLogger("tracker.security")


class AccountError(ValueError):
    """An account operation that cannot be done; the message is shown to the user."""


def load_user_by_session_token(cookie_id: str) -> User | None:
    """Flask-Login's loader: the cookie holds "<user id>.<credential>" (User.get_id); the credential is
    derived from the session token, so rotating the token invalidates it."""
    user_id, _, credential = (cookie_id or "").partition(".")
    if not (user_id.isascii() and user_id.isdigit()) or len(user_id) > 9 or not credential:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or not hmac.compare_digest(credential, user.session_credential()):
        return None
    return user


def unauthorized():
    from tracker.permissions import is_api_request
    from flask import abort

    if is_api_request():
        abort(401)
    flash(_("Please sign in to see this page."), "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


_dummy_hashes: dict[str, str] = {}


def verify_password(user: User | None, password: str) -> bool:
    """Check a password; without a user, spend the same time so timing does not reveal usernames."""
    if user is None:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        if method not in _dummy_hashes:
            _dummy_hashes[method] = generate_password_hash("not a password", method=method)
        check_password_hash(_dummy_hashes[method], password)
        return False
    return check_password_hash(user.password_hash, password)


def find_user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == normalise_username(username)))


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def authenticate(username: str, password: str) -> User | None:
    """The active user with this username and password, or None. Logs every outcome."""
    user = find_user(username)
    ok = verify_password(user, password)
    ip = request.remote_addr if request else None
    if not ok or user is None:
        log.warning("sign-in failed: username=%r ip=%s reason=bad credentials", username, ip)
        return None
    if not user.active:
        log.warning("sign-in failed: username=%r ip=%s reason=deactivated", username, ip)
        return None
    log.info("sign-in succeeded: username=%s ip=%s", user.username, ip)
    return user


def record_sign_in(user: User) -> None:
    user.last_login_at = utcnow()
    db.session.flush()


def end_all_sessions(user: User) -> None:
    """Sign the user out everywhere: browser sessions, remember-me cookies and API tokens."""
    from tracker.api.auth import revoke_all_tokens

    user.rotate_session_token()
    revoke_all_tokens(user)


def set_password(user: User, password: str) -> None:
    """Set a new password and end every session the user has."""
    user.password_hash = hash_password(password)
    end_all_sessions(user)
    db.session.flush()


def create_user(
    *,
    username: str,
    display_name: str,
    role: Role,
    office: Office | None,
    password: str,
    enterprise: Enterprise | None = None,
    title: str | None = None,
) -> User:
    from tracker.security import check_new_password

    username = normalise_username(username)
    if not username:
        raise AccountError(_("A username is required."))
    if find_user(username) is not None:
        raise AccountError(_("The username %(name)s is already taken.", name=username))
    if role is Role.ENTERPRISE_CONTACT:
        if enterprise is None:
            raise AccountError(_("An enterprise contact must belong to an enterprise."))
        office = enterprise.office
    elif enterprise is not None:
        raise AccountError(_("Only enterprise contacts belong to an enterprise."))
    if office is None:
        raise AccountError(_("An office is required."))
    reason = check_new_password(password, username)
    if reason:
        raise AccountError(reason)
    title = _post(title)
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        title=title,
        role=role,
        office=office,
        enterprise=enterprise,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    db.session.flush()
    return user


def update_profile(user: User, *, display_name: str, title: str | None) -> None:
    """Rename a user or change his post (职务): what pickers and pages call him (User.label)."""
    display_name = (display_name or "").strip()
    if not display_name:
        raise AccountError(_("A display name is required."))
    user.display_name = display_name
    user.title = _post(title)
    db.session.flush()


POST_MAX = 40  # users.title


def _post(title: str | None) -> str | None:
    """A post (职务) as stored: trimmed, None when blank, refused when longer than the column."""
    title = (title or "").strip() or None
    if title is not None and len(title) > POST_MAX:
        raise AccountError(_("A post has at most %(max)d characters.", max=POST_MAX))
    return title


def deactivate_user(user: User, by: User | None = None) -> None:
    if by is not None and by.id == user.id:
        raise AccountError(_("You cannot deactivate your own account."))
    if not user.active:
        raise AccountError(_("%(name)s is already deactivated.", name=user.username))
    user.active = False
    end_all_sessions(user)
    db.session.flush()
    log.info("user deactivated: username=%s by=%s", user.username, by.username if by else "cli")


def reactivate_user(user: User) -> None:
    if user.active:
        raise AccountError(_("%(name)s is already active.", name=user.username))
    user.active = True
    end_all_sessions(user)
    db.session.flush()
