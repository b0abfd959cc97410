"""Contact accounts: invite a firm's contact, accept the invitation, reset a forgotten password, and
deactivate or reactivate a contact's account. Flush, never commit (tracker.views.run_change commits)."""
import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from flask_babel import force_locale, gettext as _

from tracker.accounts.models import AccountToken, LinkState, TokenPurpose, new_secret
from tracker.auth import services as auth
from tracker.auth.models import Role, User
from tracker.domain import DomainError
from tracker.enterprises import services as enterprises
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.i18n import local_datetime
from tracker.mail.services import queue_mail
from tracker.notifications import services as notification_links
from tracker.types import utcnow

log = logging.getLogger("tracker.security")


class LinkError(DomainError):
    """A link that cannot be used (any more); the message says why, never whose it was."""


# Who may do what ----------------------------------------------------------------------------------------
def can_manage_accounts(user: User, enterprise: Enterprise) -> bool:
    """Staff who may edit the firm invite its contacts and switch their accounts off and on."""
    return user.is_authenticated and user.role.is_staff and enterprises.can_edit(user, enterprise)


def can_manage_contact(user: User, contact: User) -> bool:
    return contact.is_contact and contact.enterprise is not None and can_manage_accounts(user, contact.enterprise)


def can_manage_link(user: User, link: AccountToken) -> bool:
    return link.purpose is TokenPurpose.INVITATION and can_manage_accounts(user, link.enterprise)


# Links --------------------------------------------------------------------------------------------------
def absolute_url(endpoint: str, **values) -> str:
    """A link for an e-mail to one of the site's pages (tracker.notifications.services.absolute_url)."""
    return notification_links.absolute_url(notification_links.site_path(endpoint, **values))


def invitation_url(link: AccountToken) -> str:
    return absolute_url("accounts.join", token=link.token)


def find_link(token: str, purpose: TokenPurpose) -> AccountToken | None:
    """The link a token names, or None for a malformed, unknown or forged one (all alike)."""
    ident, _dot, proof = (token or "").partition(".")
    if not (ident.isascii() and ident.isdigit()) or len(ident) > 12 or len(proof) != 64:
        return None
    link = db.session.get(AccountToken, int(ident))
    if link is None or link.purpose is not purpose or not link.matches(proof):
        return None
    return link


LINK_PROBLEMS = {
    LinkState.USED: lambda: _("This link has already been used. Each link works once."),
    LinkState.REVOKED: lambda: _("This link has been withdrawn. Ask customs for a new one."),
    LinkState.EXPIRED: lambda: _("This link has expired. Ask for a new one."),
}


def link_problem(link: AccountToken | None, now: datetime | None = None) -> str | None:
    """Why the link cannot be used, in words for its holder; None when it can."""
    if link is None:
        return _("This link is not valid. Check that it was copied whole, or ask for a new one.")
    state = link.state(now)
    if state is LinkState.PENDING and link.purpose is TokenPurpose.PASSWORD_RESET and \
            (link.user is None or not link.user.active):
        return LINK_PROBLEMS[LinkState.REVOKED]()
    return LINK_PROBLEMS[state]() if state in LINK_PROBLEMS else None


def _use(link: AccountToken, now: datetime) -> None:
    """Spend the link: one UPDATE that only an unused, valid link matches, so of two requests one wins."""
    result = db.session.execute(
        sa.update(AccountToken)
        .where(AccountToken.id == link.id, AccountToken.used_at.is_(None), AccountToken.revoked_at.is_(None),
               AccountToken.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.refresh(link)
        raise LinkError(link_problem(link, now) or LINK_PROBLEMS[LinkState.USED]())
    db.session.refresh(link)


# Invitations --------------------------------------------------------------------------------------------
def invite_contact(enterprise: Enterprise, *, display_name: str, title: str | None = None,
                   email: str | None = None, by: User, now: datetime | None = None) -> AccountToken:
    """An invitation for one of the firm's contacts, valid INVITATION_VALID_HOURS; mailed when it has an
    address (the officer is shown the link either way, to pass on by phone or WeChat)."""
    if enterprise.archived:
        raise DomainError(_("An archived firm cannot be given new accounts."))
    display_name = (display_name or "").strip()
    if not display_name:
        raise DomainError(_("A name is required."))
    now = now or utcnow()
    link = AccountToken(purpose=TokenPurpose.INVITATION, enterprise=enterprise, display_name=display_name,
                        title=(title or "").strip() or None, email=(email or "").strip() or None,
                        created_by=by, created_at=now, expires_at=now + _invitation_validity())
    db.session.add(link)
    db.session.flush()
    _mail_invitation(link)
    return link


def _invitation_validity() -> timedelta:
    return timedelta(hours=current_app.config["INVITATION_VALID_HOURS"])


def renew_invitation(link: AccountToken, *, by: User, now: datetime | None = None) -> AccountToken:
    """A new link for an invitation not used yet (the old one stops working), valid for the full period."""
    if not link.can_renew():
        raise DomainError(_("This invitation has been accepted already."))
    now = now or utcnow()
    link.secret = new_secret()
    link.revoked_at = None
    link.created_by = by
    link.expires_at = now + _invitation_validity()
    db.session.flush()
    _mail_invitation(link)
    return link


def revoke_invitation(link: AccountToken, *, now: datetime | None = None) -> None:
    if link.used_at is not None:
        raise DomainError(_("This invitation has been accepted already."))
    if link.revoked_at is not None:
        raise DomainError(_("This invitation has been withdrawn already."))
    link.revoked_at = now or utcnow()
    db.session.flush()


def _mail_invitation(link: AccountToken) -> None:
    if not link.email:
        return
    # The firm's clerk reads the tracker's default language; the officer's own choice is his.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = _("Your account for %(firm)s in the customs enterprise tracker", firm=link.enterprise.name)
        body = _("Hello %(name)s,\n\ncustoms has opened an account for you as a contact of %(firm)s: you can follow "
                 "your firm's needs and assistance plan, book certificate appointments and register for "
                 "briefings.\n\nChoose your username and password here (the link works once, until %(until)s):\n"
                 "%(url)s\n\nIf you did not expect this message, ignore it.",
                 name=link.display_name, firm=link.enterprise.name, url=invitation_url(link),
                 until=local_datetime(link.expires_at))
    queue_mail(link.email, subject, body)


def accept_invitation(link: AccountToken, *, username: str, display_name: str, password: str,
                      now: datetime | None = None) -> User:
    """Spend the invitation and open the contact's account under his chosen username and password."""
    now = now or utcnow()
    _use(link, now)
    enterprise = link.enterprise
    if enterprise.archived:
        raise LinkError(LINK_PROBLEMS[LinkState.REVOKED]())
    try:
        with db.session.begin_nested():
            user = auth.create_user(username=username, display_name=display_name or link.display_name or username,
                                    role=Role.ENTERPRISE_CONTACT, office=None, password=password,
                                    enterprise=enterprise, title=link.title)
    except auth.AccountError as exc:
        raise DomainError(str(exc)) from exc
    except sa.exc.IntegrityError as exc:  # the same username chosen at the same moment through another link
        raise DomainError(_("The username %(name)s is already taken.", name=auth.normalise_username(username))) \
            from exc
    user.email = link.email
    link.user = user
    db.session.flush()
    log.info("invitation accepted: username=%s enterprise=%s link=%s", user.username, enterprise.id, link.id)
    return user


# Password reset -----------------------------------------------------------------------------------------
def request_password_reset(email: str, *, now: datetime | None = None) -> int:
    """Mail a reset link to every active contact account with this address; the caller answers the same
    whether or not there was one. Returns how many were sent (for the log and the tests)."""
    email = (email or "").strip()
    if not email:
        return 0
    now = now or utcnow()
    accounts = db.session.scalars(
        sa.select(User).where(sa.func.lower(User.email) == email.lower(), User.active.is_(True),
                              User.role == Role.ENTERPRISE_CONTACT).order_by(User.id)).all()
    minutes = current_app.config["PASSWORD_RESET_VALID_MINUTES"]
    for user in accounts:
        link = AccountToken(purpose=TokenPurpose.PASSWORD_RESET, user=user, email=user.email, created_at=now,
                            expires_at=now + timedelta(minutes=minutes))
        db.session.add(link)
        db.session.flush()
        with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            subject = _("Set a new password for the customs enterprise tracker")
            body = _("Hello %(name)s,\n\nsomeone asked to set a new password for your account %(username)s. If it "
                     "was you, open this link within %(minutes)d minutes (it works once):\n%(url)s\n\nIf it was not "
                     "you, ignore this message: your password stays as it is.",
                     name=user.display_name, username=user.username, minutes=minutes,
                     url=absolute_url("accounts.reset_password", token=link.token))
        queue_mail(user.email, subject, body)
    log.info("password reset asked: accounts=%d ip=%s", len(accounts),
             request.remote_addr if has_request_context() else None)
    return len(accounts)


def reset_password(link: AccountToken, password: str, *, now: datetime | None = None) -> User:
    """Spend the reset link and set the password: every session of the account ends, and the other reset
    links still out for it stop working."""
    now = now or utcnow()
    user = link.user
    if user is None or not user.active:
        raise LinkError(LINK_PROBLEMS[LinkState.REVOKED]())
    from tracker.security import check_new_password

    reason = check_new_password(password, user.username)
    if reason:
        raise DomainError(reason)
    _use(link, now)
    auth.set_password(user, password)
    db.session.execute(
        sa.update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == TokenPurpose.PASSWORD_RESET,
               AccountToken.used_at.is_(None), AccountToken.revoked_at.is_(None))
        .values(revoked_at=now).execution_options(synchronize_session=False))
    log.info("password reset: username=%s", user.username)
    return user


# Deactivation -------------------------------------------------------------------------------------------
def deactivate_contact(contact: User, *, by: User) -> None:
    """Switch a contact's account off: his sessions, remember-me cookies and API tokens end at once."""
    try:
        auth.deactivate_user(contact, by=by)
    except auth.AccountError as exc:
        raise DomainError(str(exc)) from exc


def reactivate_contact(contact: User, *, by: User) -> None:
    try:
        auth.reactivate_user(contact)
    except auth.AccountError as exc:
        raise DomainError(str(exc)) from exc
    log.info("user reactivated: username=%s by=%s", contact.username, by.username)


def purge_spent_links(older_than: timedelta, *, now: datetime | None = None) -> int:
    """Delete links used, withdrawn or expired longer ago than older_than (an accepted invitation's account
    stays; the audit trail keeps who invited whom)."""
    cutoff = (now or utcnow()) - older_than
    result = db.session.execute(sa.delete(AccountToken).where(sa.or_(
        AccountToken.used_at < cutoff, AccountToken.revoked_at < cutoff, AccountToken.expires_at < cutoff)))
    return result.rowcount
