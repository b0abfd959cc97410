"""In-app notifications (a need assigned, a deadline within two working days, a plan approved or returned,
an extension decided or withdrawn, a need reopened): the writes and the texts. The pages are in routes.py.

Notices are made through notify(), which is idempotent per (user, kind, dedupe_key): calling it again for
the same event does nothing. Deadline reminders are made by a periodic job (tracker/notifications/tasks.py)
and by ``flask --app tracker notify-deadlines``, never while a page is read. The text is made in the
reader's language from kind and params when shown.
"""
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from tracker.auth.models import User
from tracker.extensions import db
from tracker.needs.models import OPEN_NEED_STATUSES, Need
from tracker.notifications.models import Notification, NotificationKind
from tracker.types import utcnow

# "A deadline within two working days".
REMINDER_WORKING_DAYS = 2


# The service --------------------------------------------------------------------------------------
def site_path(endpoint: str, **values) -> str:
    """A path inside the site for a notice's link, also outside a request (the CLI command)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def absolute_url(path: str) -> str:
    """A site path as a link for an e-mail or a QR code: under SITE_URL when it is set (behind a proxy that
    rewrites the host), else under the address the current request came to; outside a request without
    SITE_URL, the path alone."""
    from flask import has_request_context, request

    base = current_app.config.get("SITE_URL") or (request.host_url if has_request_context() else "")
    return base.rstrip("/") + path


def need_link(need: Need) -> str:
    return site_path("needs.detail", need_id=need.id)


def notify(user: User | int, kind: NotificationKind, *, link: str, dedupe_key: str,
           params: dict | None = None) -> Notification | None:
    """Add a notice for *user* unless one with the same kind and dedupe_key exists; returns the new one.

    Plans call it too: notify(officer, NotificationKind.PLAN_APPROVED (or PLAN_RETURNED), link=...,
    dedupe_key=f"plan:{plan.id}:{n}", params={"enterprise": firm name, "comment": return comment}).
    """
    user_id = user if isinstance(user, int) else user.id
    exists = db.session.scalar(
        sa.select(Notification.id).where(Notification.user_id == user_id, Notification.kind == kind,
                                         Notification.dedupe_key == dedupe_key)
    )
    if exists is not None:
        return None
    notification = Notification(user_id=user_id, kind=kind, params=params or {}, link=link[:300],
                                dedupe_key=dedupe_key[:100], created_at=utcnow())
    try:
        # A concurrent request may have made the same notice: the unique constraint decides.
        with db.session.begin_nested():
            db.session.add(notification)
    except IntegrityError:
        return None
    return notification


def deadline_reminders(today: date | None = None, user: User | None = None) -> int:
    """Notify each assigned officer of his open needs due from today to two working days ahead.

    Idempotent: the dedupe key holds the deadline, so an extended deadline is reminded of again.
    Returns how many notices were made.
    """
    from tracker.i18n import local_today
    from tracker.workdays.services import add_working_days

    today = today or local_today()
    horizon = add_working_days(today, REMINDER_WORKING_DAYS)
    stmt = (
        sa.select(Need).options(joinedload(Need.enterprise))
        .where(Need.status.in_(OPEN_NEED_STATUSES), Need.assigned_officer_id.is_not(None),
               Need.deadline.between(today, horizon))
    )
    if user is not None:
        stmt = stmt.where(Need.assigned_officer_id == user.id)
    needs = db.session.scalars(stmt).all()
    if not needs:
        return 0
    keys = {f"need:{n.id}:{n.deadline.isoformat()}" for n in needs}
    existing = sa.select(Notification.user_id, Notification.dedupe_key).where(
        Notification.kind == NotificationKind.DEADLINE_NEAR, Notification.dedupe_key.in_(keys))
    if user is not None:
        # My work: only his own notices can match (the unique index starts with user_id; without it
        # PostgreSQL reads all the notifications, 36 ms at 635,000).
        existing = existing.where(Notification.user_id == user.id)
    existing = set(db.session.execute(existing).all())
    made = 0
    for need in needs:
        key = f"need:{need.id}:{need.deadline.isoformat()}"
        if (need.assigned_officer_id, key) in existing:
            continue
        if notify(need.assigned_officer_id, NotificationKind.DEADLINE_NEAR, link=need_link(need), dedupe_key=key,
                  params={"need_id": need.id, "enterprise": need.enterprise.name,
                          "deadline": need.deadline.isoformat()}):
            made += 1
    db.session.flush()
    return made


def message(notification: Notification) -> str:
    """The notice's text in the reader's language."""
    p = notification.params or {}
    firm = p.get("enterprise", "")
    kind = notification.kind
    if kind is NotificationKind.NEED_ASSIGNED:
        return _("Need #%(id)s of %(firm)s has been assigned to you.", id=p.get("need_id"), firm=firm)
    if kind is NotificationKind.NEED_RAISED:
        if p.get("assigned"):
            return _("%(firm)s raised need #%(id)s in the portal; it is assigned to you.", id=p.get("need_id"), firm=firm)
        return _("%(firm)s raised need #%(id)s in the portal; the firm has no assigned officer: please assign it.",
                 id=p.get("need_id"), firm=firm)
    if kind is NotificationKind.DEADLINE_NEAR:
        return _("Need #%(id)s of %(firm)s is due on %(day)s.", id=p.get("need_id"), firm=firm, day=p.get("deadline"))
    if kind is NotificationKind.EXTENSION_DECIDED:
        if p.get("approved"):
            return _("The extension for need #%(id)s of %(firm)s was approved: the deadline is now %(day)s.",
                     id=p.get("need_id"), firm=firm, day=p.get("deadline"))
        return _("The extension for need #%(id)s of %(firm)s was rejected.", id=p.get("need_id"), firm=firm)
    if kind is NotificationKind.EXTENSION_WITHDRAWN:
        return _("The extension for need #%(id)s of %(firm)s was withdrawn: the need has been dealt with.",
                 id=p.get("need_id"), firm=firm)
    if kind is NotificationKind.NEED_REOPENED:
        return _("Need #%(id)s of %(firm)s was reopened: the firm is dissatisfied.", id=p.get("need_id"), firm=firm)
    if kind is NotificationKind.PLAN_APPROVED:
        return _("The assistance plan of %(firm)s was approved.", firm=firm)
    if kind is NotificationKind.PLAN_RETURNED:
        return _("The assistance plan of %(firm)s was returned for changes.", firm=firm)
    # The certificate counter (tracker/appointments/notices.py).
    if kind is NotificationKind.APPOINTMENT_AFFECTED:
        return _("Your appointment at %(counter)s on %(when)s cannot go ahead as booked (%(reason)s); an officer "
                 "will arrange another slot, or move it yourself.", counter=p.get("counter", ""),
                 when=p.get("when", ""), reason=p.get("reason", ""))
    if kind is NotificationKind.APPOINTMENT_FLAGGED:
        return _("%(count)s booking(s) at %(counter)s on %(day)s must be rearranged (%(reason)s).",
                 count=p.get("count", ""), counter=p.get("counter", ""), day=p.get("day", ""),
                 reason=p.get("reason", ""))
    if kind is NotificationKind.POOR_RATING:
        return _("%(firm)s rated its service at %(counter)s 差评: please answer by %(day)s.", firm=firm,
                 counter=p.get("counter", ""), day=p.get("due", ""))
    if kind is NotificationKind.RATING_ANSWERED:
        return _("%(counter)s has answered your rating of the service.", counter=p.get("counter", ""))
    if kind is NotificationKind.BRIEFING_INVITED:
        return _("Your firm is invited to the policy briefing \"%(title)s\" on %(when)s at %(venue)s.",
                 title=p.get("title", ""), when=p.get("when", ""), venue=p.get("venue", ""))
    # Certification coaching (tracker/certification/services.py).
    if kind is NotificationKind.ASSESSMENT_SHARED:
        return _("Customs shared its certification assessment of %(firm)s with you: %(points)s points.",
                 firm=firm, points=p.get("points", ""))
    if kind is NotificationKind.SELF_ASSESSMENT_SUBMITTED:
        return _("%(firm)s submitted its certification self-assessment (%(points)s points): please review it.",
                 firm=firm, points=p.get("points", ""))
    if kind is NotificationKind.REMEDIATION_ASSIGNED:
        return _("You see to the fix of item %(item)s for %(firm)s, by %(day)s.", item=p.get("item", ""), firm=firm,
                 day=p.get("deadline", ""))
    if kind is NotificationKind.CERTIFICATION_DECIDED:
        if p.get("certified"):
            from tracker.enterprises.reference import CREDIT_LEVEL_LABELS

            level = p.get("level", "")
            return _("%(firm)s has been certified: %(level)s from %(day)s.", firm=firm,
                     level=CREDIT_LEVEL_LABELS.get(level, level), day=p.get("day", ""))
        return _("The certification application of %(firm)s was refused: %(reason)s", firm=firm,
                 reason=p.get("reason", ""))
    return kind.value


def unread_count(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(Notification.user_id == user.id,
                                                         Notification.read_at.is_(None))
    ) or 0


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()


def mark_all_read(user: User) -> int:
    result = db.session.execute(
        sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False)
    )
    return result.rowcount
