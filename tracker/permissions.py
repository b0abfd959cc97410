"""Access control in one place: every endpoint declares who may use it, and queries are scoped.

Views declare their rule with ``@allow(...)``; one ``before_request`` hook enforces it for every
endpoint, and refuses any endpoint that declares none (fail closed). ``tests/test_access.py`` walks
``app.url_map`` so a route without a rule cannot ship.
"""
import logging
from dataclasses import dataclass
from typing import Callable

import sqlalchemy as sa
from flask import abort, current_app, g, request
from flask_login import current_user

from tracker.api.auth import authenticate_api_request
from tracker.auth.models import Role, User
from tracker.offices.models import Office

log = logging.getLogger("tracker.security")

PUBLIC = "public"
SIGNED_IN = "signed_in"
STAFF = (Role.ADMIN, Role.MANAGER, Role.OFFICER)

# Endpoints that are not our view functions (Flask's static files).
BUILTIN_RULES: dict[str, "AccessRule"] = {}


@dataclass(frozen=True)
class AccessRule:
    public: bool = False
    # None: any signed-in user; otherwise the roles allowed.
    roles: frozenset[Role] | None = None

    def describe(self) -> str:
        if self.public:
            return PUBLIC
        if self.roles is None:
            return SIGNED_IN
        return ",".join(sorted(r.value for r in self.roles))


def allow(*who: str | Role) -> Callable:
    """Declare who may use a view: PUBLIC, SIGNED_IN, or one or more roles."""
    if not who:
        raise ValueError("allow() needs PUBLIC, SIGNED_IN or at least one role")
    if who == (PUBLIC,):
        rule = AccessRule(public=True)
    elif who == (SIGNED_IN,):
        rule = AccessRule()
    else:
        rule = AccessRule(roles=frozenset(Role(r) for r in who))

    def decorate(view: Callable) -> Callable:
        view.access_rule = rule  # type: ignore[attr-defined]
        return view

    return decorate


BUILTIN_RULES["static"] = AccessRule(public=True)


def rule_for(endpoint: str) -> AccessRule | None:
    if endpoint in BUILTIN_RULES:
        return BUILTIN_RULES[endpoint]
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access_rule", None)


def is_api_request() -> bool:
    return request.blueprint == "api" or request.path.startswith("/api/")


def enforce_access():
    """before_request: apply the endpoint's rule (404s and 405s have no endpoint and pass through)."""
    if is_api_request():
        # The API knows its callers by bearer token alone, never by the session cookie, so a
        # browser's cookie cannot be ridden cross-site and the API needs no CSRF token.
        authenticate_api_request()
    endpoint = request.endpoint
    if endpoint is None:
        return None
    rule = rule_for(endpoint)
    if rule is None:
        log.error("endpoint %s declares no access rule; refused", endpoint)
        abort(403)
    user = current_user
    if user.is_authenticated:
        # The audit trail's actor, read once here rather than inside a flush.
        g.actor = (user.id, user.username)
    if rule.public:
        return None
    if not user.is_authenticated:
        log.info("access denied: user=anonymous endpoint=%s path=%s ip=%s reason=not signed in",
                 endpoint, request.path, request.remote_addr)
        if is_api_request():
            abort(401)
        return current_app.login_manager.unauthorized()
    if rule.roles is not None and user.role not in rule.roles:
        deny(f"role {user.role.value} not in {rule.describe()}")
    return None


def deny(reason: str, status: int = 403):
    """Refuse and log who was refused what."""
    who = current_user.username if current_user.is_authenticated else "anonymous"
    log.warning(
        "access denied: user=%s endpoint=%s path=%s ip=%s reason=%s",
        who, request.endpoint, request.path, request.remote_addr, reason,
    )
    abort(status)


def require(condition: bool, reason: str = "object check failed", status: int = 403) -> None:
    """Per-object check inside a view; 404 hides the existence of another firm's records."""
    if not condition:
        deny(reason, status)


# Query scoping ---------------------------------------------------------------
# Every list a user reads is restricted by one of these; they share the two subqueries below, so that
# "the firms of the user's office subtree" is written once.
def visible_office_ids(user: User) -> sa.Select:
    """The ids of the offices in the user's subtree (his own office and those below it)."""
    return sa.select(Office.id).where(Office.path.startswith(user.office.path, autoescape=True))


def visible_enterprise_ids(user: User) -> sa.Select:
    """The ids of the firms a staff user's office subtree covers (contacts and admins are handled apart)."""
    from tracker.enterprises.models import Enterprise

    return sa.select(Enterprise.id).where(Enterprise.office_id.in_(visible_office_ids(user)))


def scope_enterprises(stmt: sa.Select, user: User) -> sa.Select:
    """Contacts see their own firm only; staff the firms of their office's subtree; admins all."""
    from tracker.enterprises.models import Enterprise

    if user.role is Role.ENTERPRISE_CONTACT:
        return stmt.where(Enterprise.id == user.enterprise_id)
    if user.role is Role.ADMIN:
        return stmt
    return stmt.where(Enterprise.office_id.in_(visible_office_ids(user)))


def scope_visits(stmt: sa.Select, user: User) -> sa.Select:
    """Restrict a select of Visit to the firms the user's office subtree covers (never to contacts)."""
    from tracker.visits.models import Visit

    if user.role is Role.ADMIN:
        return stmt
    if not user.role.is_staff:
        return stmt.where(sa.false())
    return stmt.where(Visit.enterprise_id.in_(visible_enterprise_ids(user)))


def scope_needs(stmt: sa.Select, user: User) -> sa.Select:
    """Restrict a select that involves Need to the needs of the firms the user may see."""
    from tracker.needs.models import Need

    if user.role is Role.ADMIN:
        return stmt
    if user.role is Role.ENTERPRISE_CONTACT:
        return stmt.where(Need.enterprise_id == user.enterprise_id)
    return stmt.where(Need.enterprise_id.in_(visible_enterprise_ids(user)))


def scope_plans(stmt: sa.Select, user: User) -> sa.Select:
    """Staff see the plans of their subtree's firms; a firm's contact its own plan once approved."""
    from tracker.plans.models import VISIBLE_TO_FIRM, AssistancePlan

    if user.role is Role.ADMIN:
        return stmt
    if user.role is Role.ENTERPRISE_CONTACT:
        return stmt.where(AssistancePlan.enterprise_id == user.enterprise_id,
                          AssistancePlan.status.in_(VISIBLE_TO_FIRM))
    return stmt.where(AssistancePlan.enterprise_id.in_(visible_enterprise_ids(user)))


def scope_users(stmt: sa.Select, user: User) -> sa.Select:
    """Restrict a select of User to those a user may see."""
    if user.role is Role.ADMIN:
        return stmt
    if user.role is Role.ENTERPRISE_CONTACT:
        return stmt.where(User.id == user.id)
    return stmt.where(User.office_id.in_(visible_office_ids(user)))


def scope_offices(stmt: sa.Select, user: User) -> sa.Select:
    if user.role is Role.ADMIN:
        return stmt
    return stmt.where(Office.path.startswith(user.office.path, autoescape=True))


def scope_campaigns(stmt: sa.Select, user: User) -> sa.Select:
    """Campaigns of the user's office subtree (admins: all)."""
    from tracker.campaigns.models import Campaign

    if user.role is Role.ADMIN:
        return stmt
    return stmt.where(Campaign.office_id.in_(visible_office_ids(user)))


def scope_imports(stmt: sa.Select, user: User) -> sa.Select:
    """Declaration imports made for the offices of the user's subtree (admins: all)."""
    from tracker.imports.models import DeclarationImport

    if user.role is Role.ADMIN:
        return stmt
    return stmt.where(DeclarationImport.office_id.in_(visible_office_ids(user)))


def scope_appointments(stmt: sa.Select, user: User) -> sa.Select:
    """Contacts: their own firm's appointments; staff: those at their subtree's counters or of its firms."""
    from tracker.appointments.models import Appointment, ServicePoint

    if user.role is Role.ADMIN:
        return stmt
    if user.role is Role.ENTERPRISE_CONTACT:
        return stmt.where(Appointment.enterprise_id == user.enterprise_id)
    points = sa.select(ServicePoint.id).where(ServicePoint.office_id.in_(visible_office_ids(user)))
    return stmt.where(sa.or_(Appointment.service_point_id.in_(points),
                             Appointment.enterprise_id.in_(visible_enterprise_ids(user))))


def can_use(endpoint: str, user: User | None = None) -> bool:
    """Whether the endpoint's @allow rule admits the user: what templates ask before showing a link or
    a button to it, so that the page and the rule cannot disagree."""
    user = user if user is not None else current_user
    rule = rule_for(endpoint)
    if rule is None:
        return False
    if rule.public:
        return True
    if not user.is_authenticated:
        return False
    return rule.roles is None or user.role in rule.roles


def can_see_office(user: User, office: Office) -> bool:
    return user.role is Role.ADMIN or (user.role.is_staff and user.office.contains(office))


def can_see_enterprise(user: User, enterprise) -> bool:
    """Contacts see only their own firm; staff see the firms of their office's subtree."""
    if user.role is Role.ENTERPRISE_CONTACT:
        return user.enterprise_id == enterprise.id
    return can_see_office(user, enterprise.office)


# Loading one object by id ------------------------------------------------------------------------
def can_see_appointment(user: User, appointment) -> bool:
    """A firm's contact: his own firm's appointments; staff: those at their subtree's counters, and those
    of their subtree's firms at any counter."""
    if user.role is Role.ADMIN:
        return True
    if user.role is Role.ENTERPRISE_CONTACT:
        return appointment.enterprise_id is not None and appointment.enterprise_id == user.enterprise_id
    if can_see_office(user, appointment.service_point.office):
        return True
    return appointment.enterprise is not None and can_see_office(user, appointment.enterprise.office)


def can_see_need(user: User, need) -> bool:
    return can_see_enterprise(user, need.enterprise)


def can_see_plan(user: User, plan) -> bool:
    """Staff of the firm's offices; the firm's own contact once a manager approved the plan."""
    if user.role is Role.ENTERPRISE_CONTACT:
        return user.enterprise_id == plan.enterprise_id and plan.is_visible_to_firm()
    return can_see_office(user, plan.enterprise.office)


def can_see_visit(user: User, visit) -> bool:
    """Staff of the firm's offices; contacts never read the officers' visit records."""
    return user.role.is_staff and can_see_office(user, visit.enterprise.office)


def _visibility() -> dict[type, Callable]:
    """Who may see a row of each model loaded by id: the scope the lists apply, asked of one object.

    A row outside it is answered 404 like a missing one, so another office's or firm's records are not
    told apart from none. Models absent here are seen by whoever the endpoint's @allow lets in."""
    from tracker.appointments.models import Appointment, DisplayToken, ServicePoint, ServiceRating
    from tracker.campaigns.models import Campaign, RosterDecision
    from tracker.enterprises.models import Enterprise, EnterpriseContact
    from tracker.imports.models import DeclarationImport
    from tracker.needs.models import DeadlineExtension, Need
    from tracker.notifications.models import Notification
    from tracker.plans.models import AssistancePlan, PlanMeasure
    from tracker.reports.models import ReportExport
    from tracker.visits.models import Visit

    return {
        Enterprise: can_see_enterprise,
        EnterpriseContact: lambda user, contact: can_see_enterprise(user, contact.enterprise),
        Need: can_see_need,
        DeadlineExtension: lambda user, extension: can_see_need(user, extension.need),
        AssistancePlan: can_see_plan,
        PlanMeasure: lambda user, measure: can_see_plan(user, measure.plan),
        Visit: can_see_visit,
        Appointment: can_see_appointment,
        ServiceRating: lambda user, rating: can_see_appointment(user, rating.appointment),
        # A counter is public knowledge (firms choose where to book); its settings pages check can_manage_point.
        ServicePoint: lambda user, point: True,
        DisplayToken: lambda user, token: user.role.is_staff and can_see_office(user, token.service_point.office),
        Campaign: lambda user, campaign: can_see_office(user, campaign.office),
        RosterDecision: lambda user, decision: can_see_office(user, decision.campaign.office),
        DeclarationImport: lambda user, record: can_see_office(user, record.office),
        Notification: lambda user, notification: notification.user_id == user.id,
        # An export holds what its owner's scope showed him when he asked: his alone.
        ReportExport: lambda user, job: job.user_id == user.id,
        User: lambda user, other: user.role is Role.ADMIN or (
            user.role.is_staff and user.office.contains(other.office)) or user.id == other.id,
    }


_VISIBILITY: dict[type, Callable] | None = None


def visibility_of(model: type) -> Callable | None:
    global _VISIBILITY
    if _VISIBILITY is None:
        _VISIBILITY = _visibility()
    return _VISIBILITY.get(model)


def load_or_404(model, ident: int, check: Callable | None = None, *, lock: bool = False, options=(),
                within=None, hide: bool = False, user: User | None = None):
    """The row of model with id ident, as the current user may reach it; every route that takes an id
    loads through here (tests/test_loader.py walks the routes to make sure).

    - 404 when the row does not exist, does not satisfy within (a condition tying a child to the parent
      in the URL) or lies outside the user's scope (visibility_of): the three are indistinguishable;
    - then check(user, row), when given: 403 when it refuses (404 with hide=True, where the feature hides
      that the row exists);
    - lock=True, for a transition or an edit: the row is read FOR UPDATE on PostgreSQL, so two requests
      on one row run one after the other and the second sees the first one's result (its state is read
      again, populate_existing); SQLite has no row locks, but a writing request holds the database's write
      lock from BEGIN (tracker.database), which serialises them the same way. The service then checks
      the state it finds and raises DomainError when it no longer allows the transition.
    """
    from tracker.extensions import db

    user = user if user is not None else current_user
    g.setdefault("loaded_by_id", []).append((model.__name__, ident))
    stmt = sa.select(model).where(sa.inspect(model).primary_key[0] == ident)
    if within is not None:
        stmt = stmt.where(within)
    if options:
        stmt = stmt.options(*options)
    if lock:
        stmt = stmt.with_for_update(of=model).execution_options(populate_existing=True)
    obj = db.session.scalars(stmt).unique().first()
    name = f"{model.__name__} {ident}"
    if obj is None:
        abort(404)
    visible = visibility_of(model)
    if visible is not None and not visible(user, obj):
        deny(f"{name} outside scope", 404)
    if check is not None and not check(user, obj):
        deny(f"{name}: {getattr(check, '__name__', 'check')} refused", 404 if hide else 403)
    return obj
