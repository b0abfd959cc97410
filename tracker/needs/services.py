"""The needs ledger (业务需求): creation with a working-day deadline, every status transition, extensions,
follow-ups (回访) and close-off (销号), plus who may do what and the scoped query of needs.

Status flow: 待受理 (pending) → 办理中 (in progress) → 已办结 (resolved) → 已销号 (closed), or from an open
state to 无法解决（已说明）(unresolvable, with the explanation given to the firm). A dissatisfied follow-up
or rating (不满意) sends a resolved need back to 办理中. Every function checks the current state first
and raises DomainError with a translated message; they flush, the view commits.
"""
from dataclasses import dataclass, replace
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from tracker import dates
from tracker.auth.models import Role, User
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.i18n import LOCAL_TZ, local_today  # noqa: F401  (services.local_today for the views)
from tracker.offices.models import Department
from tracker.notifications import services as notifications
from tracker.domain import DomainError
from tracker.needs.models import (
    OPEN_NEED_STATUSES,
    DeadlineExtension,
    ExtensionStatus,
    FollowUp,
    FollowUpChannel,
    Need,
    NeedCategory,
    NeedEntry,
    NeedEntryKind,
    NeedSource,
    NeedStatus,
    Satisfaction,
)
from tracker.notifications.models import NotificationKind
from tracker.visits.models import Visit
from tracker.permissions import can_see_enterprise, can_see_need  # noqa: F401  (can_see_need for the views)
from tracker.types import utcnow
from tracker.workdays.services import add_working_days, working_days_between

TEXT_MAX = 5000
REASON_MAX = DeadlineExtension.__table__.c.reason.type.length


def overdue_condition(today: date | None = None):
    """SQL for "open and past its deadline", the same rule as Need.is_overdue."""
    return sa.and_(Need.status.in_(OPEN_NEED_STATUSES), Need.deadline < (today or local_today()))


# Who may do what ---------------------------------------------------------------------------------
def _in_subtree(user: User, enterprise: Enterprise) -> bool:
    return user.role.is_staff and user.office.contains(enterprise.office)


def can_create_need(user: User, enterprise: Enterprise) -> bool:
    """Managers for any firm of their subtree; officers for the firms assigned to them there; admins all."""
    if user.role is Role.ADMIN:
        return True
    if not _in_subtree(user, enterprise):
        return False
    return user.role is Role.MANAGER or enterprise.assigned_officer_id == user.id


def can_edit_need(user: User, need: Need) -> bool:
    """As can_create_need, and also the officer the need itself is assigned to."""
    if can_create_need(user, need.enterprise):
        return True
    return user.role is Role.OFFICER and need.assigned_officer_id == user.id and _in_subtree(user, need.enterprise)


def can_decide_extension(user: User, need: Need) -> bool:
    """Approvals are for managers of the firm's office subtree (and admins)."""
    return user.role is Role.ADMIN or (user.role is Role.MANAGER and _in_subtree(user, need.enterprise))


def can_rate(user: User, need: Need) -> bool:
    """The firm's own contact confirms and rates a resolution."""
    return user.role is Role.ENTERPRISE_CONTACT and user.enterprise_id == need.enterprise_id



# Who can act, for the pages of those who cannot --------------------------------------------------
def managers_over(office) -> list[User]:
    """The active managers nearest above a firm's office (its own, else its parent's, …): whom to ask."""
    from tracker.offices.models import Office

    codes = [c for c in office.path.strip("/").split("/") if c]
    managers = db.session.scalars(
        sa.select(User).join(Office, Office.id == User.office_id)
        .where(User.role == Role.MANAGER, User.active.is_(True), Office.code.in_(codes))
        .order_by(sa.func.length(Office.path).desc(), User.username)).all()
    nearest = managers[0].office_id if managers else None
    return [m for m in managers if m.office_id == nearest]


def with_post(users: list[User]) -> str:
    """"科长 李科长、处长 王处长": people as the notes name them, by their post (职务) where one is recorded."""
    return "、".join(u.post_and_name for u in users)


@dataclass
class WhoCanAct:
    """The people who may do what the reader cannot: the officers in charge and the managers to ask."""

    officers: list[User]
    managers: list[User]

    @property
    def officer_name(self) -> str:
        """The first one in charge, with his post: "关员 张关员"."""
        return with_post(self.officers[:1])

    @property
    def manager_names(self) -> str:
        return with_post(self.managers) or _("the system administrator")


def who_can_act(candidates: list[User | None], managers: list[User], allowed) -> WhoCanAct:
    """The candidates and managers that *allowed(user)* admits: the pages name them with the same rule
    that shows the buttons (can_edit_need, can_decide_extension, can_edit_plan, can_approve)."""
    officers = []
    for user in candidates:
        if user is not None and user.active and user.role.is_staff and user not in officers and allowed(user):
            officers.append(user)
    return WhoCanAct(officers, [m for m in managers if allowed(m)])


def who_can_edit_need(need: Need) -> WhoCanAct:
    return who_can_act([need.assigned_officer, need.enterprise.assigned_officer],
                       managers_over(need.enterprise.office), lambda user: can_edit_need(user, need))


def who_can_decide_extension(need: Need) -> WhoCanAct:
    return who_can_act([], managers_over(need.enterprise.office), lambda user: can_decide_extension(user, need))


def visible_entries(need: Need, user: User) -> list[NeedEntry]:
    """A need's history as the user may read it: contacts never see internal notes."""
    if user.role is Role.ENTERPRISE_CONTACT:
        return [e for e in need.entries if e.kind is not NeedEntryKind.INTERNAL]
    return list(need.entries)


# Creation and edits --------------------------------------------------------------------------------
@dataclass
class NeedData:
    """Validated fields of a need, from a form."""

    source: NeedSource
    category: NeedCategory
    content: str
    raised_on: date
    department: Department | None = None
    assigned_officer: User | None = None
    deadline: date | None = None
    visit: "Visit | None" = None  # the visit it was raised at; the need joins the visit's campaign


def _clean(text: str | None, what: str, limit: int = TEXT_MAX) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(_("%(what)s is required.", what=what))
    if len(text) > limit:
        raise DomainError(_("%(what)s is longer than %(max)d characters.", what=what, max=limit))
    return text


def _notify_assignment(need: Need, by: User | None) -> None:
    officer = need.assigned_officer
    if officer is None or (by is not None and officer.id == by.id):
        return
    notifications.notify(
        officer, NotificationKind.NEED_ASSIGNED, link=notifications.need_link(need),
        dedupe_key=f"need:{need.id}", params={"need_id": need.id, "enterprise": need.enterprise.name},
    )


def default_deadline(raised_on: date, category: NeedCategory) -> date:
    """The category's number of working days after the day the need was raised."""
    return add_working_days(raised_on, category.deadline_days)


def create_need(enterprise: Enterprise, data: NeedData, by: User | None = None, *, today: date | None = None) -> Need:
    """Record a need; its deadline is the category's working days from raised_on unless one is given.
    *today*: the local day the need is recorded on (tracker.dates), by default the real one."""
    content = _clean(data.content, _("The need"))
    if not data.category.active:
        raise DomainError(_("The category %(name)s is no longer in use.", name=data.category.name))
    dates.require(dates.raised_on_problem(data.raised_on, today=today))
    dates.require(dates.need_deadline_problem(data.deadline, data.raised_on, today=today))
    # The category's working days may end in the past for a need recorded late: that one is overdue.
    deadline = data.deadline or default_deadline(data.raised_on, data.category)
    if data.department is not None and not data.department.office.contains(enterprise.office):
        raise DomainError(_("Choose a department of the firm's customs office."))
    need = Need(
        enterprise=enterprise, source=data.source, category=data.category, content=content,
        department=data.department, assigned_officer=data.assigned_officer, raised_on=data.raised_on,
        deadline=deadline, status=NeedStatus.PENDING, created_by_id=by.id if by else None,
        visit=data.visit, campaign_id=data.visit.campaign_id if data.visit is not None else None,
    )
    db.session.add(need)
    db.session.flush()
    _notify_assignment(need, by)
    return need


def raise_from_portal(enterprise: Enterprise, data: NeedData, by: User) -> Need:
    """A need the firm's contact raises himself: it goes to the firm's assigned officer, or, while the firm
    has none, to the managers over its office; either is told that the firm raised it."""
    if by.role is not Role.ENTERPRISE_CONTACT or by.enterprise_id != enterprise.id:
        raise DomainError(_("Only the firm's own contact can raise a need in the portal."))
    if enterprise.archived:
        raise DomainError(_("This firm's record is archived; call customs instead."))
    officer = data.assigned_officer
    need = create_need(enterprise, replace(data, source=NeedSource.PORTAL, assigned_officer=None), by=by)
    need.assigned_officer = officer
    db.session.flush()
    for user in [officer] if officer is not None else managers_over(enterprise.office):
        notifications.notify(user, NotificationKind.NEED_RAISED, link=notifications.need_link(need),
                             dedupe_key=f"raised:{need.id}",
                             params={"need_id": need.id, "enterprise": enterprise.name, "assigned": officer is not None})
    return need


def update_need(need: Need, *, category: NeedCategory, content: str, department: Department | None,
                assigned_officer: User | None, by: User | None = None) -> Need:
    """Edit what the need is about and who handles it; the deadline moves only by an extension."""
    if not need.can_be_edited():
        raise DomainError(_("Only an open need can be edited; this one is %(status)s.", status=need.status.label))
    reassigned = (assigned_officer.id if assigned_officer else None) != need.assigned_officer_id
    need.category = category
    need.content = _clean(content, _("The need"))
    need.department = department
    need.assigned_officer = assigned_officer
    db.session.flush()
    if reassigned:
        _notify_assignment(need, by)
    return need


# Transitions ---------------------------------------------------------------------------------------
def _entry(need: Need, kind: NeedEntryKind, text: str, by: User | None, at: datetime | None = None) -> NeedEntry:
    entry = NeedEntry(need=need, kind=kind, text=text, author_id=by.id if by else None, created_at=at or utcnow())
    db.session.add(entry)
    return entry


def accept(need: Need, by: User | None = None) -> None:
    """待受理 → 办理中."""
    need.accept()
    db.session.flush()


def add_progress(need: Need, text: str, by: User | None = None) -> NeedEntry:
    """A dated progress entry, which the firm sees."""
    if not need.can_take_progress():
        raise DomainError(_("Progress can be added only while the need is open; it is %(status)s.",
                              status=need.status.label))
    entry = _entry(need, NeedEntryKind.PROGRESS, _clean(text, _("The progress")), by)
    db.session.flush()
    return entry


def add_internal_note(need: Need, text: str, by: User | None = None) -> NeedEntry:
    """A note for customs staff only; contacts never see it (any state)."""
    entry = _entry(need, NeedEntryKind.INTERNAL, _clean(text, _("The note")), by)
    db.session.flush()
    return entry


def add_comment(need: Need, text: str, by: User) -> NeedEntry:
    """The firm's own comment from the portal."""
    entry = _entry(need, NeedEntryKind.COMMENT, _clean(text, _("The comment")), by)
    db.session.flush()
    return entry


def _finished(need: Need, at: datetime) -> None:
    """A need resolved or explained at *at*: the local day it was finished and the working days it took from
    the day it was raised (the calendar's, as its deadline), for the reports (Need.finished_on)."""
    need.finished_on = at.astimezone(LOCAL_TZ).date()
    need.working_days_to_close = working_days_between(need.raised_on, need.finished_on)


def resolve(need: Need, text: str, by: User | None = None, *, now: datetime | None = None) -> None:
    """办理中 → 已办结, with a progress entry saying what was done (*now*: when, by default the real now)."""
    if not need.can_resolve():
        raise need._refusal(_("resolved"))
    when = now or utcnow()
    _entry(need, NeedEntryKind.PROGRESS, _clean(text, _("What was done")), by, at=when)
    need.resolve(at=when)
    _finished(need, when)
    db.session.flush()
    _withdraw_pending_extension(need, by)


def mark_unresolvable(need: Need, explanation: str, by: User | None = None, *, now: datetime | None = None) -> None:
    """待受理/办理中 → 无法解决（已说明）, with the explanation given to the firm (*now*: when, by default the
    real now)."""
    if not need.can_mark_unresolvable():
        raise need._refusal(_("marked as impossible to resolve"))
    when = now or utcnow()
    need.mark_unresolvable(_clean(explanation, _("The explanation given to the firm")), at=when)
    _finished(need, when)
    db.session.flush()
    _withdraw_pending_extension(need, by)


def pending_extension(need: Need) -> DeadlineExtension | None:
    return need.pending_extension()


def request_extension(need: Need, new_deadline: date, reason: str, by: User | None = None, *,
                      today: date | None = None) -> DeadlineExtension:
    """Ask a manager to move the deadline of an open need to a later day, not one already gone (*today*:
    the local day of the request, by default the real one; the demo replays its history)."""
    if not need.status.is_open:
        raise DomainError(_("Only an open need can have its deadline extended; this one is %(status)s.",
                              status=need.status.label))
    if pending_extension(need) is not None:
        raise DomainError(_("An extension is already waiting for a decision."))
    dates.require(dates.extension_problem(new_deadline, need.deadline, today=today))
    extension = DeadlineExtension(
        need=need, old_deadline=need.deadline, new_deadline=new_deadline,
        reason=_clean(reason, _("The reason"), REASON_MAX), requested_by_id=by.id if by else None,
        status=ExtensionStatus.REQUESTED, requested_at=utcnow(),
    )
    db.session.add(extension)
    db.session.flush()
    return extension


def _withdraw_pending_extension(need: Need, by: User | None) -> None:
    """The need is no longer open (办结): its request awaiting a decision is withdrawn, and the one who
    asked for it is told (unless he closed the need himself)."""
    extension = need.pending_extension()
    if extension is None:
        return
    extension.withdraw()
    db.session.flush()
    if extension.requested_by_id and (by is None or extension.requested_by_id != by.id):
        notifications.notify(
            extension.requested_by_id, NotificationKind.EXTENSION_WITHDRAWN, link=notifications.need_link(need),
            dedupe_key=f"extension:{extension.id}",
            params={"need_id": need.id, "enterprise": need.enterprise.name},
        )


def decide_extension(extension: DeadlineExtension, approve: bool, by: User, note: str | None = None) -> None:
    """A manager of the subtree approves (the deadline moves) or rejects a requested extension."""
    need = extension.need
    if not can_decide_extension(by, need):
        raise DomainError(_("Only a manager of the firm's office can decide on an extension."))
    note = (note or "").strip() or None
    if note and len(note) > REASON_MAX:
        raise DomainError(_("The note is longer than %(max)d characters.", max=REASON_MAX))
    extension.decide(approve, by.id, note)
    db.session.flush()
    if extension.requested_by_id and extension.requested_by_id != by.id:
        notifications.notify(
            extension.requested_by_id, NotificationKind.EXTENSION_DECIDED, link=notifications.need_link(need),
            dedupe_key=f"extension:{extension.id}",
            params={"need_id": need.id, "enterprise": need.enterprise.name, "approved": approve,
                    "deadline": need.deadline.isoformat()},
        )


def _reopen(need: Need, follow_up: FollowUp) -> None:
    need.reopen()
    db.session.flush()
    if need.assigned_officer_id:
        notifications.notify(
            need.assigned_officer_id, NotificationKind.NEED_REOPENED, link=notifications.need_link(need),
            dedupe_key=f"follow-up:{follow_up.id}", params={"need_id": need.id, "enterprise": need.enterprise.name},
        )


def _follow_up(need: Need, channel: FollowUpChannel, held_on: date, satisfaction: Satisfaction,
               note: str | None, by: User | None) -> FollowUp:
    if not need.can_be_followed_up():
        raise DomainError(_("Only a resolved need can be followed up or rated; this one is %(status)s.",
                              status=need.status.label))
    note = (note or "").strip() or None
    if note and len(note) > TEXT_MAX:
        raise DomainError(_("The note is longer than %(max)d characters.", max=TEXT_MAX))
    follow_up = FollowUp(need=need, channel=channel, held_on=held_on, satisfaction=satisfaction, note=note,
                         by_id=by.id if by else None, created_at=utcnow())
    db.session.add(follow_up)
    db.session.flush()
    if satisfaction is Satisfaction.DISSATISFIED:
        _reopen(need, follow_up)
    return follow_up


def record_follow_up(need: Need, held_on: date, satisfaction: Satisfaction, note: str | None = None,
                     by: User | None = None) -> FollowUp:
    """An officer's follow-up call (回访); 不满意 sends the need back to 办理中."""
    dates.require(dates.follow_up_call_problem(held_on))
    return _follow_up(need, FollowUpChannel.CALL, held_on, satisfaction, note, by)


def firm_confirm_and_rate(need: Need, satisfaction: Satisfaction, note: str | None, by: User) -> FollowUp:
    """The firm's contact confirms the resolution and rates it in the portal; 不满意 reopens the need."""
    if not can_rate(by, need):
        raise DomainError(_("Only the firm's own contact can confirm and rate a resolution."))
    if need.can_be_followed_up() and firm_rating_after_resolution(need) is not None:
        raise DomainError(_("You have already rated this resolution."))
    return _follow_up(need, FollowUpChannel.FIRM, local_today(), satisfaction, note, by)


def firm_rating_after_resolution(need: Need) -> FollowUp | None:
    """The firm's own rating of the need's latest resolution: once given, the page shows it, not the form."""
    if need.resolved_at is None:
        return None
    return next((f for f in reversed(need.follow_ups)
                 if f.channel is FollowUpChannel.FIRM and f.created_at >= need.resolved_at), None)


def confirmation_after_resolution(need: Need) -> FollowUp | None:
    """A satisfied or basically satisfied follow-up or firm rating made since the need was last resolved."""
    if need.resolved_at is None:
        return None
    return next((f for f in reversed(need.follow_ups)
                 if f.satisfaction is not Satisfaction.DISSATISFIED and f.created_at >= need.resolved_at), None)


def close_off(need: Need, by: User | None = None) -> None:
    """已办结 → 已销号, only after a follow-up or the firm's confirmation that was not 不满意."""
    need.close_off(confirmed=need.can_close_off() and confirmation_after_resolution(need) is not None)
    db.session.flush()
