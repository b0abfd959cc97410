"""Visits (走访): who may log and edit them, scoped queries, and logging a visit with the needs it raised."""
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import sqlalchemy as sa
from flask_babel import gettext as _

from tracker.auth.models import Role, User
from tracker.campaigns.models import Campaign, RosterEntry
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.i18n import LOCAL_TZ, local_today
from tracker.offices.models import Department
from tracker.domain import DomainError
from tracker.needs.models import Need, NeedCategory, NeedSource
from tracker.visits.models import CallbackChannel, PolicyTopic, Visit, VisitAttendee, VisitCallback, VisitType
from tracker.needs import services as needs_services
from tracker.permissions import can_see_office, can_see_visit  # noqa: F401  (can_see_visit for the views)
from tracker.types import utcnow

CALLBACK_NOTE_MAX = 2000


def local_to_utc(value: datetime) -> datetime:
    """A wall-clock time typed in Asia/Shanghai, as the aware UTC time the database keeps."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(timezone.utc)


def local_date(value: datetime) -> date:
    """The office's calendar day of a stored UTC time."""
    return value.astimezone(LOCAL_TZ).date()


# Permissions ----------------------------------------------------------------------------------------
def can_log_visit(user: User, enterprise: Enterprise) -> bool:
    """Staff log visits to the firms of their office's subtree."""
    return user.role.is_staff and can_see_office(user, enterprise.office)


def can_edit_visit(user: User, visit: Visit) -> bool:
    """Admins and the managers of the firm's office subtree edit any visit; officers the ones they made."""
    if user.role is Role.ADMIN:
        return True
    if not user.role.is_staff or not user.office.contains(visit.enterprise.office):
        return False
    return user.role is Role.MANAGER or any(o.id == user.id for o in visit.officers)



def default_campaign(enterprise: Enterprise) -> Campaign | None:
    """The newest campaign whose roster holds the firm: a visit counts toward its coverage."""
    return db.session.scalar(
        sa.select(Campaign).join(RosterEntry, RosterEntry.campaign_id == Campaign.id)
        .where(RosterEntry.enterprise_id == enterprise.id)
        .order_by(Campaign.declaration_year.desc(), Campaign.id.desc()).limit(1))


# Logging visits -------------------------------------------------------------------------------------
@dataclass
class Attendee:
    name: str
    title: str | None = None
    contact_id: int | None = None


@dataclass
class VisitData:
    """Validated fields of a visit."""

    visited_at: datetime  # aware
    visit_type: VisitType
    officers: list[User]
    campaign: Campaign | None = None
    topics: list[PolicyTopic] = field(default_factory=list)
    attendees: list[Attendee] = field(default_factory=list)
    summary: str = ""
    findings: str | None = None
    follow_up_on: date | None = None


@dataclass
class RaisedNeed:
    """A need the firm raised during the visit, entered in the visit form."""

    category: NeedCategory
    content: str
    department: Department | None = None


def check(enterprise: Enterprise, data: VisitData, by: User) -> None:
    if not data.officers:
        raise DomainError(_("Name at least one officer who made the visit."))
    if by.role is Role.OFFICER and all(o.id != by.id for o in data.officers):
        raise DomainError(_("You can only log visits you took part in: keep yourself among the officers."))
    if data.campaign is not None and not data.campaign.office.contains(enterprise.office):
        raise DomainError(_("%(name)s is not in this campaign's area.", name=enterprise.name))
    if data.follow_up_on is not None and data.follow_up_on < local_date(data.visited_at):
        raise DomainError(_("The follow-up date cannot be before the visit."))


def _apply(visit: Visit, data: VisitData) -> None:
    # No flush halfway (loading the attendees would make one): the edit reaches the audit trail as one record.
    with db.session.no_autoflush:
        visit.visited_at = local_to_utc(data.visited_at)
        visit.visit_type = data.visit_type
        visit.campaign = data.campaign
        visit.officers = list(data.officers)
        visit.topics = list(data.topics)
        visit.summary = (data.summary or "").strip()
        visit.findings = (data.findings or "").strip() or None
        visit.follow_up_on = data.follow_up_on
        wanted = [(a.contact_id, a.name.strip(), (a.title or "").strip() or None)
                  for a in data.attendees if a.name.strip()]
        if [(a.contact_id, a.name, a.title) for a in visit.attendees] != wanted:
            visit.attendees = [VisitAttendee(contact_id=c, name=n, title=t) for c, n, t in wanted]


def create_visit(enterprise: Enterprise, data: VisitData, by: User, needs: list[RaisedNeed] = ()) -> Visit:
    """Log a visit and, in the same transaction, the needs the firm raised at it."""
    check(enterprise, data, by)
    visit = Visit(enterprise=enterprise, created_by_id=by.id)
    _apply(visit, data)
    db.session.add(visit)
    db.session.flush()
    raise_needs_at_visit(visit, needs, by)
    return visit


def update_visit(visit: Visit, data: VisitData, by: User) -> None:
    check(visit.enterprise, data, by)
    _apply(visit, data)
    db.session.flush()


@dataclass
class CallbackData:
    """Validated fields of a recorded follow-up (回访) of a visit."""

    held_on: date
    channel: CallbackChannel
    note: str


def record_callback(visit: Visit, data: CallbackData, by: User, today: date | None = None) -> VisitCallback:
    """The firm has been called back about this visit: the callback is kept (when, how, what was said, who)
    and the visit's follow-up date cleared. Offered from that date on; the visit row is locked by the view."""
    if not can_edit_visit(by, visit):
        raise DomainError(_("Only the officers of the visit and their managers can do this."))
    note = (data.note or "").strip()
    if not note:
        raise DomainError(_("Say what came of the follow-up."))
    if len(note) > CALLBACK_NOTE_MAX:
        raise DomainError(_("The note is longer than %(max)d characters.", max=CALLBACK_NOTE_MAX))
    callback = VisitCallback(held_on=data.held_on, channel=data.channel, note=note,
                             by_id=by.id, created_at=utcnow())
    visit.record_callback(callback, today or local_today(), local_date(visit.visited_at))
    db.session.flush()
    return callback


def raise_needs_at_visit(visit: Visit, needs: list[RaisedNeed], by: User) -> list[Need]:
    """Record the needs raised at a visit through the ledger's create_need: pending, with the category's
    deadline in working days from the visit's day, assigned to the firm's officer (or the one logging
    the visit), who is notified when it is someone else."""
    enterprise = visit.enterprise
    officer = enterprise.assigned_officer or by
    return [
        needs_services.create_need(enterprise, needs_services.NeedData(
            source=NeedSource.VISIT, category=row.category, content=row.content,
            raised_on=local_date(visit.visited_at), department=row.department,
            assigned_officer=officer, visit=visit,
        ), by=by)
        for row in needs
    ]


def visits_of_enterprise(user: User, enterprise: Enterprise, limit: int = 50) -> list[Visit]:
    """The firm's visits, newest first, for its profile's timeline (officers and topics loaded at once)."""
    if not (user.role.is_staff or user.enterprise_id == enterprise.id):
        return []
    return list(db.session.scalars(
        sa.select(Visit).where(Visit.enterprise_id == enterprise.id)
        .options(sa.orm.selectinload(Visit.officers), sa.orm.selectinload(Visit.topics))
        .order_by(Visit.visited_at.desc()).limit(limit)))
