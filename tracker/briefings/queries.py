"""The reads of policy briefings: the staff list with its counts, a briefing's registrations and invitations,
the firms to invite, a contact's briefings and the portal's card. Every list is scoped (scope_briefings)."""
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from tracker.auth.models import Role, User
from tracker.briefings.models import (
    PUBLISHED_STATUSES, Briefing, BriefingInvitation, BriefingMaterial, BriefingRegistration, BriefingStatus,
    RegistrationStatus,
)
from tracker.campaigns.models import RosterEntry
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.offices.models import Office
from tracker.permissions import visible_office_ids

PER_PAGE = 25


def scope_briefings(stmt: sa.Select, user: User) -> sa.Select:
    """Staff: the briefings of their office subtree (admins: all). A contact: the published briefings his firm
    is invited to or registered for, and the open ones of the offices above his firm (services.can_see_briefing)."""
    if user.role is Role.ADMIN:
        return stmt
    if user.role.is_staff:
        return stmt.where(Briefing.office_id.in_(visible_office_ids(user)))
    if user.role is not Role.ENTERPRISE_CONTACT:
        return stmt.where(sa.false())
    firm_path = sa.select(Office.path).join(Enterprise, Enterprise.office_id == Office.id).where(
        Enterprise.id == user.enterprise_id).scalar_subquery()
    offices_above = sa.select(Office.id).where(firm_path.startswith(Office.path))
    invited = sa.select(BriefingInvitation.briefing_id).where(BriefingInvitation.enterprise_id == user.enterprise_id)
    registered = sa.select(BriefingRegistration.briefing_id).where(
        BriefingRegistration.enterprise_id == user.enterprise_id)
    return stmt.where(Briefing.status.in_(PUBLISHED_STATUSES), sa.or_(
        sa.and_(Briefing.status == BriefingStatus.OPEN, Briefing.office_id.in_(offices_above)),
        Briefing.id.in_(invited), Briefing.id.in_(registered)))


@dataclass
class Counts:
    invited: int = 0
    registered: int = 0
    attended: int = 0
    people: int = 0
    people_attended: int = 0


def counts_of(briefing_ids: list[int]) -> dict[int, Counts]:
    """Invited, registered and attended firms (and people) per briefing, in two statements whatever the number."""
    result = {i: Counts() for i in briefing_ids}
    if not briefing_ids:
        return result
    active = BriefingRegistration.status == RegistrationStatus.REGISTERED
    attended = sa.and_(active, BriefingRegistration.checked_in_at.is_not(None))
    for row in db.session.execute(
            sa.select(BriefingRegistration.briefing_id, sa.func.count().filter(active),
                      sa.func.count().filter(attended),
                      sa.func.coalesce(sa.func.sum(BriefingRegistration.attendees).filter(active), 0),
                      sa.func.coalesce(sa.func.sum(BriefingRegistration.attendees).filter(attended), 0))
            .where(BriefingRegistration.briefing_id.in_(briefing_ids)).group_by(BriefingRegistration.briefing_id)):
        c = result[row[0]]
        c.registered, c.attended, c.people, c.people_attended = row[1], row[2], row[3], row[4]
    for briefing_id, n in db.session.execute(
            sa.select(BriefingInvitation.briefing_id, sa.func.count())
            .where(BriefingInvitation.briefing_id.in_(briefing_ids)).group_by(BriefingInvitation.briefing_id)):
        result[briefing_id].invited = n
    return result


def briefing_page(user: User, page: int, status: str | None = None):
    stmt = scope_briefings(sa.select(Briefing), user).options(joinedload(Briefing.office))
    if status in {s.value for s in BriefingStatus}:
        stmt = stmt.where(Briefing.status == status)
    stmt = stmt.order_by(Briefing.starts_at.desc(), Briefing.id.desc())
    return db.paginate(stmt, page=page, per_page=PER_PAGE, error_out=False)


def registrations_of(briefing: Briefing, active_only: bool = False) -> list[BriefingRegistration]:
    stmt = (sa.select(BriefingRegistration).where(BriefingRegistration.briefing_id == briefing.id)
            .options(joinedload(BriefingRegistration.enterprise), joinedload(BriefingRegistration.checked_in_by),
                     joinedload(BriefingRegistration.registered_by))
            .join(Enterprise, Enterprise.id == BriefingRegistration.enterprise_id)
            .order_by(BriefingRegistration.status, Enterprise.name_pinyin, BriefingRegistration.id))
    if active_only:
        stmt = stmt.where(BriefingRegistration.status == RegistrationStatus.REGISTERED)
    return db.session.scalars(stmt).all()


def invitations_of(briefing: Briefing) -> list[BriefingInvitation]:
    return db.session.scalars(
        sa.select(BriefingInvitation).where(BriefingInvitation.briefing_id == briefing.id)
        .options(joinedload(BriefingInvitation.enterprise), joinedload(BriefingInvitation.invited_by))
        .join(Enterprise, Enterprise.id == BriefingInvitation.enterprise_id).order_by(Enterprise.name_pinyin)).all()


def materials_of(briefing: Briefing) -> list[BriefingMaterial]:
    return db.session.scalars(sa.select(BriefingMaterial).where(BriefingMaterial.briefing_id == briefing.id)
                              .order_by(BriefingMaterial.uploaded_at, BriefingMaterial.id)).all()


def invitable_firms(briefing: Briefing, user: User, limit: int = 500) -> list[Enterprise]:
    """The firms the briefing may invite: its campaign's roster (when it has one), or else the firms of its
    office's subtree; in either case only those of the briefing's district and the user's subtree, not
    archived, and not invited yet."""
    in_district = Enterprise.office_id.in_(
        sa.select(Office.id).where(Office.path.startswith(briefing.office.path, autoescape=True)))
    stmt = sa.select(Enterprise).where(in_district, Enterprise.archived_at.is_(None), ~sa.exists().where(
        BriefingInvitation.briefing_id == briefing.id, BriefingInvitation.enterprise_id == Enterprise.id))
    if user.role is not Role.ADMIN:
        stmt = stmt.where(Enterprise.office_id.in_(visible_office_ids(user)))
    if briefing.campaign_id is not None:
        stmt = stmt.where(Enterprise.id.in_(sa.select(RosterEntry.enterprise_id).where(
            RosterEntry.campaign_id == briefing.campaign_id)))
    return db.session.scalars(stmt.order_by(Enterprise.name_pinyin, Enterprise.id).limit(limit)).all()


def registrable_firms(briefing: Briefing, user: User, q: str, limit: int = 20) -> list[Enterprise]:
    """Firms an officer may register by phone: of the briefing's district and his subtree, matching q."""
    from tracker.enterprises.search import search_condition

    if not q:
        return []
    stmt = sa.select(Enterprise).where(
        Enterprise.office_id.in_(sa.select(Office.id).where(Office.path.startswith(briefing.office.path,
                                                                                   autoescape=True))),
        Enterprise.archived_at.is_(None), search_condition(q))
    if user.role is not Role.ADMIN:
        stmt = stmt.where(Enterprise.office_id.in_(visible_office_ids(user)))
    return db.session.scalars(stmt.order_by(Enterprise.name_pinyin).limit(limit)).all()


# The contact's side --------------------------------------------------------------------------------
def firm_briefings(user: User) -> list[tuple[Briefing, BriefingRegistration | None, bool]]:
    """(briefing, the firm's active registration or None, invited) for each briefing the contact may see,
    newest first; three statements."""
    briefings = db.session.scalars(scope_briefings(sa.select(Briefing), user).options(joinedload(Briefing.office))
                                   .order_by(Briefing.starts_at.desc()).limit(100)).all()
    ids = [b.id for b in briefings]
    registrations = {r.briefing_id: r for r in db.session.scalars(sa.select(BriefingRegistration).where(
        BriefingRegistration.briefing_id.in_(ids), BriefingRegistration.enterprise_id == user.enterprise_id,
        BriefingRegistration.status == RegistrationStatus.REGISTERED))} if ids else {}
    invited = set(db.session.scalars(sa.select(BriefingInvitation.briefing_id).where(
        BriefingInvitation.briefing_id.in_(ids), BriefingInvitation.enterprise_id == user.enterprise_id))) if ids \
        else set()
    return [(b, registrations.get(b.id), b.id in invited) for b in briefings]


@dataclass
class PortalBriefings:
    open: list[Briefing]  # open for registration to his firm, not registered yet
    upcoming: list[tuple[Briefing, BriefingRegistration]]  # his firm's coming registrations


def briefings_for_portal(user: User, now: datetime | None = None) -> PortalBriefings:
    """What the contact's portal home shows: briefings open for registration to his firm (not yet registered)
    and his firm's upcoming registrations, soonest first."""
    from tracker.briefings.services import clock

    now = now or clock()
    if user.role is not Role.ENTERPRISE_CONTACT:
        return PortalBriefings([], [])
    mine = sa.select(BriefingRegistration.briefing_id).where(
        BriefingRegistration.enterprise_id == user.enterprise_id,
        BriefingRegistration.status == RegistrationStatus.REGISTERED)
    open_ = db.session.scalars(scope_briefings(sa.select(Briefing), user).where(
        Briefing.status == BriefingStatus.OPEN, Briefing.starts_at > now, Briefing.id.not_in(mine))
        .order_by(Briefing.starts_at).limit(5)).all()
    upcoming = db.session.execute(
        sa.select(Briefing, BriefingRegistration).join(BriefingRegistration,
                                                       BriefingRegistration.briefing_id == Briefing.id)
        .where(BriefingRegistration.enterprise_id == user.enterprise_id,
               BriefingRegistration.status == RegistrationStatus.REGISTERED, Briefing.ends_at > now,
               Briefing.status.in_((BriefingStatus.OPEN, BriefingStatus.CLOSED)))
        .order_by(Briefing.starts_at).limit(5)).all()
    return PortalBriefings(list(open_), [(b, r) for b, r in upcoming])
