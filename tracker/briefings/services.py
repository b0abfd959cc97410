"""The writes of policy briefings: create and edit, transitions, invitations (notice and e-mail),
registrations that take a place in the database, check-in at the door (entrance code or check-in list),
materials. Who may do what is asked here too (can_*), by the routes and the templates alike.

Every function flushes and never commits (the caller's run_change does). Functions that depend on the
clock take ``now=`` (UTC, default ``clock()``) and the acting user ``by=``, so that the demo can replay
June 2019 through them.
"""
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from tracker import uploads
from tracker.appointments.notices import absolute, firm_contacts, mail_to
from tracker.auth.models import Role, User
from tracker.briefings.models import (
    ATTENDEES, CAPACITY, Briefing, BriefingInvitation, BriefingMaterial, BriefingRegistration, BriefingStatus,
    CheckInMethod, RegistrationStatus,
)
from tracker.domain import DomainError
from tracker.extensions import db
from tracker.i18n import LOCAL_TZ
from tracker.notifications.models import NotificationKind
from tracker.notifications.services import notify, site_path
from tracker.permissions import STAFF, can_see_office
from tracker.types import utcnow

# The briefings' clock: utcnow, which tests replace to stand on a day of 2019.
clock = utcnow
MATERIALS_AREA = "briefings"
CHECK_IN_SALT = "briefing-check-in"


def local(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


# Who may do what ------------------------------------------------------------------------------------
def can_see_briefing(user: User, briefing: Briefing) -> bool:
    """Staff of the briefing's office or above it. A firm's contact: a published briefing his firm is
    invited to or registered for, and an open one of an office whose district holds his firm (open
    briefings are public to the office's firms). A draft is the office's alone."""
    if user.role is Role.ADMIN:
        return True
    if user.role.is_staff:
        return can_see_office(user, briefing.office)
    if user.role is not Role.ENTERPRISE_CONTACT or not briefing.is_published():
        return False
    firm = user.enterprise
    if briefing.status is BriefingStatus.OPEN and briefing.office.contains(firm.office):
        return True
    return db.session.scalar(sa.select(sa.or_(
        sa.exists().where(BriefingInvitation.briefing_id == briefing.id, BriefingInvitation.enterprise_id == firm.id),
        sa.exists().where(BriefingRegistration.briefing_id == briefing.id,
                          BriefingRegistration.enterprise_id == firm.id)))) or False


def can_manage(user: User, briefing: Briefing) -> bool:
    """Edit, open and close, invite, check in, upload: customs staff of the briefing's office subtree."""
    return user.role in STAFF and can_see_office(user, briefing.office)


def can_cancel_briefing(user: User, briefing: Briefing) -> bool:
    """Calling a briefing off is a manager's decision (or an admin's)."""
    return user.role in (Role.MANAGER, Role.ADMIN) and can_see_office(user, briefing.office)


def who_can_cancel(briefing: Briefing) -> list[User]:
    offices = [briefing.office]
    office = briefing.office.parent
    while office is not None:
        offices.append(office)
        office = office.parent
    return db.session.scalars(sa.select(User).where(
        User.role == Role.MANAGER, User.active.is_(True), User.office_id.in_([o.id for o in offices]))
        .order_by(User.id)).all()


def can_register_for(user: User, briefing: Briefing, enterprise) -> bool:
    """A contact for his own firm; staff who manage the briefing for a firm of their subtree (by phone)."""
    if user.role is Role.ENTERPRISE_CONTACT:
        return user.enterprise_id == enterprise.id and can_see_briefing(user, briefing)
    return (can_manage(user, briefing) and can_see_office(user, enterprise.office)
            and briefing.office.contains(enterprise.office))


def can_cancel_registration(user: User, registration: BriefingRegistration, now: datetime | None = None) -> bool:
    now = now or clock()
    if not registration.is_active or registration.checked_in_at is not None:
        return False
    if user.role is Role.ENTERPRISE_CONTACT:
        return user.enterprise_id == registration.enterprise_id and now < registration.briefing.starts_at
    return can_manage(user, registration.briefing)


# Creating and editing ----------------------------------------------------------------------------------
@dataclass
class BriefingData:
    title: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    office: object
    capacity: int
    topics: list
    campaign: object | None = None
    description: str | None = None


def _check(data: BriefingData, by: User, registered: int = 0) -> None:
    if not data.title.strip() or not data.venue.strip():
        raise DomainError(_("Give the briefing a title and a venue."))
    if data.ends_at <= data.starts_at:
        raise DomainError(_("The briefing must end after it starts."))
    if not CAPACITY[0] <= data.capacity <= CAPACITY[1]:
        raise DomainError(_("Between %(min)d and %(max)d firms.", min=CAPACITY[0], max=CAPACITY[1]))
    if data.capacity < registered:
        raise DomainError(_("%(count)d firms have registered already: the briefing cannot hold fewer.",
                            count=registered))
    if by.role is not Role.ADMIN and not can_see_office(by, data.office):
        raise DomainError(_("Choose an office of your own subtree."))
    if data.campaign is not None and not data.campaign.office.contains(data.office) and \
            not data.office.contains(data.campaign.office):
        raise DomainError(_("The campaign belongs to another office."))


def create_briefing(data: BriefingData, *, by: User, now: datetime | None = None) -> Briefing:
    _check(data, by)
    briefing = Briefing(title=data.title.strip()[:200], starts_at=data.starts_at, ends_at=data.ends_at,
                        venue=data.venue.strip()[:200], office=data.office, office_id=data.office.id,
                        campaign=data.campaign, capacity=data.capacity, description=(data.description or None),
                        topics=list(data.topics), created_by_id=by.id, status=BriefingStatus.DRAFT,
                        created_at=now or clock())
    db.session.add(briefing)
    db.session.flush()
    return briefing


def update_briefing(briefing: Briefing, data: BriefingData, *, by: User) -> Briefing:
    if not briefing.can_edit():
        raise DomainError(_("A briefing that is %(status)s cannot be changed.", status=briefing.status.label))
    _check(data, by, registered=briefing.registered)
    with db.session.no_autoflush:  # one flush below, inside the savepoint
        briefing.title, briefing.venue = data.title.strip()[:200], data.venue.strip()[:200]
        briefing.starts_at, briefing.ends_at = data.starts_at, data.ends_at
        briefing.office, briefing.campaign = data.office, data.campaign
        briefing.capacity, briefing.description = data.capacity, data.description or None
        briefing.topics = list(data.topics)
    try:
        # Firms registering meanwhile may have taken more places than the capacity now typed: the CHECK
        # refuses it, and the edit is refused in words (the savepoint keeps the transaction usable).
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise DomainError(_("More firms have registered than the places given: the briefing cannot hold "
                            "fewer.")) from None
    return briefing


# Transitions -----------------------------------------------------------------------------------------
def open_registration(briefing: Briefing, *, by: User, now: datetime | None = None) -> Briefing:
    briefing.open(now or clock())
    db.session.flush()
    return briefing


def close_registration(briefing: Briefing, *, by: User) -> Briefing:
    briefing.close()
    db.session.flush()
    return briefing


def mark_held(briefing: Briefing, *, by: User, now: datetime | None = None) -> Briefing:
    briefing.mark_held(now or clock())
    db.session.flush()
    return briefing


def cancel_briefing(briefing: Briefing, *, by: User) -> Briefing:
    if not can_cancel_briefing(by, briefing):
        raise DomainError(_("Only a manager of the office can cancel a briefing."))
    briefing.cancel()
    db.session.flush()
    return briefing


# Invitations -----------------------------------------------------------------------------------------
def briefing_path(briefing: Briefing, for_contact: bool) -> str:
    return site_path("briefings.firm_detail" if for_contact else "briefings.detail", briefing_id=briefing.id)


def invite(briefing: Briefing, enterprises, *, by: User, now: datetime | None = None) -> int:
    """Invite the firms (each of the briefing's office subtree): an invitation row, a notice for each of their
    active contacts and an e-mail where he has an address. Idempotent: a firm invited already is skipped
    (the unique (briefing, firm) decides, also between two concurrent invitations). Returns how many are new."""
    now = now or clock()
    if not briefing.can_invite():
        raise DomainError(_("A briefing that is %(status)s cannot take invitations.", status=briefing.status.label))
    firms = [f for f in enterprises if briefing.office.contains(f.office) and can_see_office(by, f.office)]
    if not firms:
        raise DomainError(_("Choose at least one firm of the briefing's district to invite."))
    already = set(db.session.scalars(sa.select(BriefingInvitation.enterprise_id).where(
        BriefingInvitation.briefing_id == briefing.id,
        BriefingInvitation.enterprise_id.in_([f.id for f in firms]))))
    made = 0
    link = briefing_path(briefing, for_contact=True)
    when, venue, title = local(briefing.starts_at), briefing.venue, briefing.title
    for firm in firms:
        if firm.id in already:
            continue
        try:
            with db.session.begin_nested():
                db.session.add(BriefingInvitation(briefing_id=briefing.id, enterprise_id=firm.id, invited_at=now,
                                                  invited_by_id=by.id))
        except IntegrityError:
            continue
        made += 1
        for contact in firm_contacts(firm.id):
            notify(contact, NotificationKind.BRIEFING_INVITED, link=link, dedupe_key=f"briefing:{briefing.id}",
                   params={"title": title, "when": when, "venue": venue})
            mail_to(contact, lambda: _("Invitation: %(title)s", title=title),
                    lambda: _("%(firm)s is invited to the policy briefing \"%(title)s\" on %(when)s at %(venue)s. "
                              "Register here: %(link)s", firm=firm.name, title=title, when=when, venue=venue,
                              link=absolute(link)))
    db.session.flush()
    return made


# Registrations: the database gives the place or refuses ---------------------------------------------------
class BriefingFull(DomainError):
    pass


def _take_place(briefing: Briefing) -> bool:
    registered = db.session.execute(
        sa.update(Briefing).where(Briefing.id == briefing.id, Briefing.status == BriefingStatus.OPEN,
                                  Briefing.registered < Briefing.capacity)
        .values(registered=Briefing.registered + 1).returning(Briefing.registered)
        .execution_options(synchronize_session=False)
    ).scalar()
    if registered is None:
        return False
    set_committed_value(briefing, "registered", registered)
    return True


def _give_place_back(briefing_id: int) -> None:
    db.session.execute(
        sa.update(Briefing).where(Briefing.id == briefing_id, Briefing.registered > 0)
        .values(registered=Briefing.registered - 1).execution_options(synchronize_session=False))
    held = db.session.identity_map.get(identity_key(Briefing, briefing_id))
    if held is not None:
        db.session.expire(held, ["registered"])


def clean_names(text: str | None) -> str:
    return "\n".join(n for n in (line.strip()[:50] for line in (text or "").splitlines()) if n)


def check_attendees(attendees: int | None, names: str | None) -> str:
    """The names, one a line, cleaned; a DomainError unless there are 1..5 of them, as many as attendees."""
    if attendees is None or not ATTENDEES[0] <= attendees <= ATTENDEES[1]:
        raise DomainError(_("Between %(min)d and %(max)d people per firm.", min=ATTENDEES[0], max=ATTENDEES[1]))
    cleaned = clean_names(names)
    if len(cleaned.splitlines()) != attendees:
        raise DomainError(_("Give one name a line for each of the %(count)d attendees.", count=attendees))
    return cleaned


def register(briefing: Briefing, enterprise, *, attendees: int, names: str, by: User,
             now: datetime | None = None) -> BriefingRegistration:
    """Register *enterprise* with its attendees; BriefingFull when no place is left."""
    now = now or clock()
    if not can_register_for(by, briefing, enterprise):
        raise DomainError(_("You cannot register this firm for this briefing."))
    cleaned = check_attendees(attendees, names)
    if briefing.status is not BriefingStatus.OPEN:
        raise DomainError(_("Registration for this briefing is not open."))
    # Firms register themselves until the start; at the desk an officer registers a walk-in until the end.
    if now >= (briefing.ends_at if by.role.is_staff else briefing.starts_at):
        raise DomainError(_("The briefing has begun: registration is over."))
    # No read decides the place: a count read full in this transaction refuses at once, the UPDATE decides.
    if briefing.registered >= briefing.capacity or not _take_place(briefing):
        db.session.expire(briefing, ["status", "registered"])
        if briefing.status is not BriefingStatus.OPEN:
            raise DomainError(_("Registration for this briefing is not open."))
        raise BriefingFull(_("The briefing is full: all %(count)d places are taken.", count=briefing.capacity))
    registration = BriefingRegistration(briefing_id=briefing.id, briefing=briefing, enterprise_id=enterprise.id,
                                        enterprise=enterprise, attendees=attendees, attendee_names=cleaned,
                                        status=RegistrationStatus.REGISTERED, registered_by_id=by.id,
                                        registered_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(registration)
    except IntegrityError:
        # The firm holds a registration already (the partial unique index): the place goes back.
        _give_place_back(briefing.id)
        raise DomainError(_("%(firm)s is registered for this briefing already.", firm=enterprise.name)) from None
    return registration


def active_registration(briefing: Briefing, enterprise_id: int) -> BriefingRegistration | None:
    return db.session.scalar(sa.select(BriefingRegistration).where(
        BriefingRegistration.briefing_id == briefing.id, BriefingRegistration.enterprise_id == enterprise_id,
        BriefingRegistration.status == RegistrationStatus.REGISTERED))


def cancel_registration(registration: BriefingRegistration, *, by: User,
                        now: datetime | None = None) -> BriefingRegistration:
    now = now or clock()
    if not registration.is_active:
        raise DomainError(_("This registration has been cancelled already."))
    if registration.checked_in_at is not None:
        raise DomainError(_("The firm has checked in: its registration can no longer be cancelled."))
    if not can_cancel_registration(by, registration, now):
        raise DomainError(_("A registration can be cancelled only before the briefing begins."))
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    db.session.flush()
    _give_place_back(registration.briefing_id)
    return registration


# Check-in --------------------------------------------------------------------------------------------
def check_in(registration: BriefingRegistration, *, by: User, method: CheckInMethod,
             now: datetime | None = None) -> bool:
    """Record the firm's attendance; False (nothing changed) when it is recorded already."""
    now = now or clock()
    briefing = registration.briefing
    if not registration.is_active:
        raise DomainError(_("This registration has been cancelled."))
    if not briefing.can_check_in():
        raise DomainError(_("Attendance cannot be recorded for a briefing that is %(status)s.",
                            status=briefing.status.label))
    if registration.checked_in_at is not None:
        return False
    registration.checked_in_at = now
    registration.checked_in_by_id = by.id
    registration.check_in_method = method
    db.session.flush()
    return True


def undo_check_in(registration: BriefingRegistration, *, by: User) -> bool:
    if registration.checked_in_at is None:
        return False
    if not registration.briefing.can_check_in():
        raise DomainError(_("Attendance cannot be changed for a briefing that is %(status)s.",
                            status=registration.briefing.status.label))
    registration.checked_in_at = registration.checked_in_by_id = registration.check_in_method = None
    db.session.flush()
    return True


class _FixedTimeSigner(TimestampSigner):
    """Signs with a given moment (the services' now=) instead of the machine's clock."""

    moment: int | None = None

    def get_timestamp(self) -> int:
        return self.moment if self.moment is not None else super().get_timestamp()


def _serializer(moment: datetime | None = None) -> URLSafeTimedSerializer:
    signer = type("Signer", (_FixedTimeSigner,), {"moment": int(moment.timestamp()) if moment else None})
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CHECK_IN_SALT, signer=signer)


def entrance_token(briefing: Briefing, now: datetime | None = None) -> str:
    """The signed token the entrance code carries: the briefing's id, signed now."""
    return _serializer(now or clock()).dumps(briefing.id)


def check_in_url(briefing: Briefing, now: datetime | None = None) -> str:
    """The absolute address the entrance code carries: the site's SITE_URL, or else the address the
    staff's page was asked at (a phone cannot follow a bare path)."""
    return absolute(site_path("briefings.scan", briefing_id=briefing.id, code=entrance_token(briefing, now)))


def token_refusal(briefing: Briefing, token: str, now: datetime | None = None) -> str | None:
    """Why an entrance code does not admit to *briefing* now (None: it does).

    The rule: the code must be signed by this site for this briefing, and both the moment it was made and
    the moment it is scanned must lie in the check-in window, from two hours before the start to the end.
    A code photographed on the day thus stops working when the briefing ends, and one made for another
    briefing never works here."""
    now = now or clock()
    try:
        briefing_id, signed_at = _serializer().loads(token, return_timestamp=True)
    except SignatureExpired:  # not raised without max_age; kept for clarity
        return _("This entrance code has expired.")
    except BadSignature:
        return _("This entrance code is not valid. Scan the code shown at the entrance again.")
    if briefing_id != briefing.id:
        return _("This entrance code belongs to another briefing.")
    if not briefing.check_in_window_holds(now) or not briefing.check_in_window_holds(signed_at):
        if now < briefing.check_in_opens_at:
            return _("Check-in opens at %(when)s.", when=local(briefing.check_in_opens_at))
        return _("This entrance code has expired.")
    return None


def check_in_by_code(briefing: Briefing, token: str, *, by: User, now: datetime | None = None) -> bool:
    """A contact scanned the entrance code: his firm's registration is checked in. Walk-ins are not taken by
    the code: a firm without a registration is sent to the desk, where an officer registers it (a place
    permitting, while registration is open, until the end) and ticks it on the check-in list."""
    now = now or clock()
    refusal = token_refusal(briefing, token, now)
    if refusal:
        raise DomainError(refusal)
    if by.role is not Role.ENTERPRISE_CONTACT:
        raise DomainError(_("The entrance code is for the firms' contacts; use the check-in list."))
    registration = active_registration(briefing, by.enterprise_id)
    if registration is None:
        raise DomainError(_("Your firm is not registered for this briefing. Please see the officer at the desk."))
    # Locked: two scans at once record one attendance.
    registration = db.session.scalars(sa.select(BriefingRegistration).where(
        BriefingRegistration.id == registration.id).with_for_update()
        .execution_options(populate_existing=True)).one()
    return check_in(registration, by=by, method=CheckInMethod.QR, now=now)


# Materials -------------------------------------------------------------------------------------------
def add_material(briefing: Briefing, storage, *, by: User, now: datetime | None = None) -> BriefingMaterial:
    """Check the upload, write the file under a generated name, add its row (the file is removed again
    should the transaction not commit)."""
    checked = uploads.check_upload(storage)
    stored_name = uploads.store(checked, MATERIALS_AREA)
    material = BriefingMaterial(briefing_id=briefing.id, briefing=briefing, original_filename=checked.original_filename,
                                stored_name=stored_name, content_type=checked.kind.content_type,
                                size_bytes=checked.size, uploaded_by_id=by.id, uploaded_at=now or clock())
    db.session.add(material)
    db.session.flush()
    return material


def delete_material(material: BriefingMaterial, *, by: User) -> None:
    uploads.discard_after_commit(MATERIALS_AREA, material.stored_name)
    db.session.delete(material)
    db.session.flush()


def material_path(material: BriefingMaterial):
    return uploads.path_of(MATERIALS_AREA, material.stored_name)
