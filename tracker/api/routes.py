"""The JSON API under /api/v1: bearer tokens, the caller, and the firm registry.

Callers trade a username and password (HTTP Basic) for a bearer token at ``POST /tokens`` and send
``Authorization: Bearer <token>`` from then on (see tracker.api.auth). Errors are JSON:
``{"error": ..., "status": ...}``, with ``"fields"`` on 422. ``/openapi.json`` describes it all.
"""
import math

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from tracker.api.auth import current_token, isoformat, issue_token, record_token_use, revoke_token
from tracker.api.openapi import openapi_document
from tracker.auth import services as accounts
from tracker.auth.models import Role, User
from tracker.campaigns.models import Campaign, RosterEntry
from tracker.imports.models import DeclarationCount
from tracker.enterprises import services as enterprises
from tracker.enterprises.models import Enterprise
from tracker.enterprises.search import search_condition
from tracker.extensions import db, limiter
from tracker.offices.models import Office
from tracker.needs import services as needs
from tracker.needs.models import Need, NeedStatus
from tracker.permissions import PUBLIC, SIGNED_IN, allow, can_see_office, load_or_404, scope_enterprises
from werkzeug.exceptions import NotFound

bp = Blueprint("api", __name__)
bp.after_request(record_token_use)

# Ids are 32-bit integers in every database we run on; larger ones cannot name a row.
MAX_ID = 2**31 - 1
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="tracker"'}


class ApiError(Exception):
    """An answer other than success, with a message for the client (and per-field messages on 422)."""

    def __init__(self, status: int, message: str, fields: dict[str, list[str]] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields
        self.headers = headers or {}


@bp.errorhandler(ApiError)
def handle_api_error(exc: ApiError):
    body: dict = {"error": exc.message, "status": exc.status}
    if exc.fields is not None:
        body["fields"] = exc.fields
    response = jsonify(body)
    response.status_code = exc.status
    response.headers.update(exc.headers)
    return response


# Tokens ----------------------------------------------------------------------
def _basic_username_key() -> str:
    credentials = request.authorization
    name = credentials.username if credentials is not None and credentials.type == "basic" else ""
    return "username:" + accounts.normalise_username(name or "")


def _failed(response) -> bool:
    """Only failed attempts count against the limits, as at the sign-in form."""
    return response.status_code != 201


@bp.route("/tokens", methods=["POST"])
@allow(PUBLIC)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_USERNAME"],
    key_func=_basic_username_key, methods=["POST"], deduct_when=_failed, scope="token-username",
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
    key_func=get_remote_address, methods=["POST"], deduct_when=_failed, scope="token-address",
)
def create_token():
    """Trade a username and password (HTTP Basic) for a bearer token valid 24 hours."""
    credentials = request.authorization
    if credentials is None or credentials.type != "basic" or not credentials.username:
        raise ApiError(401, _("Send your username and password with HTTP Basic authentication."),
                       headers=BASIC_CHALLENGE)
    user = accounts.authenticate(credentials.username, credentials.password or "")
    if user is None:
        raise ApiError(401, _("The username or password is not correct."), headers=BASIC_CHALLENGE)
    g.actor = (user.id, user.username)  # the audit trail's actor for the new token
    token, record = issue_token(user)
    expires_at = record.expires_at
    accounts.record_sign_in(user)
    db.session.commit()
    response = jsonify({"token": token, "expires_at": isoformat(expires_at)})
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/tokens/current", methods=["DELETE"])
@allow(SIGNED_IN)
def revoke_current_token():
    """Revoke the token this request was made with."""
    revoke_token(current_token())
    db.session.commit()
    return Response(status=204)


@bp.route("/me")
@allow(SIGNED_IN)
def me():
    user = current_user
    return jsonify(
        {
            "id": user.id,
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role.value,
            "office": user.office.code,
            "enterprise_id": user.enterprise_id,
        }
    )


@bp.route("/openapi.json")
@allow(PUBLIC)
def openapi():
    return jsonify(openapi_document())


# Enterprises -----------------------------------------------------------------
def _int_arg(name: str, default: int, maximum: int) -> int:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= maximum:
        raise ApiError(400, _("%(name)s must be a whole number from 1 to %(maximum)d.", name=name, maximum=maximum))
    return int(raw)


def _flag_arg(name: str) -> bool:
    raw = request.args.get(name, "").strip().lower()
    if raw in ("", "0", "false"):
        return False
    if raw in ("1", "true"):
        return True
    raise ApiError(400, _("%(name)s must be 0 or 1.", name=name))


def _visible_campaign(campaign_id: int) -> Campaign:
    """A campaign of the caller's subtree, by the same rule as the campaign pages."""
    try:
        return load_or_404(Campaign, campaign_id)
    except NotFound:
        raise ApiError(404, _("There is no campaign %(id)d, or it is not yours to see.", id=campaign_id)) from None


def _item_options():
    """Everything an item shows, loaded in a fixed number of queries whatever the page size."""
    return (
        joinedload(Enterprise.office),
        joinedload(Enterprise.assigned_officer),
        selectinload(Enterprise.trade_modes),
    )


def enterprise_item(firm: Enterprise) -> dict:
    return {
        "id": firm.id,
        "name": firm.name,
        "name_en": firm.name_en,
        "uscc": firm.uscc,
        "customs_code": firm.customs_code,
        "office": firm.office.code,
        "district": firm.district,
        "address": firm.address,
        "industry": firm.industry,
        "economic_type": firm.economic_type,
        "is_key": firm.is_key,
        "credit_level": firm.credit_level,
        "trade_modes": [mode.code for mode in firm.trade_modes],
        "assigned_officer": firm.assigned_officer.username if firm.assigned_officer else None,
        "archived": firm.archived,
    }


def enterprise_detail(firm: Enterprise, user: User) -> dict:
    counts = db.session.execute(
        sa.select(DeclarationCount.year, DeclarationCount.declarations)
        .where(DeclarationCount.enterprise_id == firm.id)
        .order_by(DeclarationCount.year)
    ).all()
    detail = enterprise_item(firm)
    detail.update(
        contacts=[
            {"id": c.id, "name": c.name, "title": c.title, "phone": c.phone, "email": c.email}
            for c in firm.contacts
        ],
        credit_history=[
            {
                "regime": r.regime.value,
                "level": r.level,
                "valid_from": r.valid_from.isoformat(),
                "valid_to": r.valid_to.isoformat() if r.valid_to else None,
            }
            for r in firm.credit_ratings
        ],
        declarations={str(year): n for year, n in counts},
    )
    if user.role.is_staff:
        detail["notes"] = firm.notes  # the office's own remarks; a firm's contact never sees them
    return detail


@bp.route("/enterprises", methods=["GET"])
@allow(SIGNED_IN)
def list_enterprises():
    """The firms the caller may see, searched as the firm list searches, a page at a time."""
    user = current_user
    page = _int_arg("page", 1, MAX_ID)
    per_page = _int_arg("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    conditions = [search_condition(request.args.get("q", ""))]
    if not _flag_arg("archived"):
        conditions.append(Enterprise.archived_at.is_(None))
    if request.args.get("campaign", "").strip():
        campaign = _visible_campaign(_int_arg("campaign", 0, MAX_ID))
        conditions.append(
            Enterprise.id.in_(sa.select(RosterEntry.enterprise_id).where(RosterEntry.campaign_id == campaign.id))
        )

    total = db.session.scalar(
        scope_enterprises(sa.select(sa.func.count(Enterprise.id)), user).where(*conditions)
    )
    offset = (page - 1) * per_page
    items: list[Enterprise] = []
    if offset < total:
        items = list(
            db.session.scalars(
                scope_enterprises(sa.select(Enterprise), user)
                .where(*conditions)
                .options(*_item_options())
                .order_by(Enterprise.name, Enterprise.id)
                .limit(per_page)
                .offset(offset)
            )
        )
    return jsonify(
        {
            "items": [enterprise_item(firm) for firm in items],
            "page": page,
            "per_page": per_page,
            "pages": math.ceil(total / per_page),
            "total": total,
        }
    )


@bp.route(f"/enterprises/<int(max={MAX_ID}):enterprise_id>")
@allow(SIGNED_IN)
def enterprise(enterprise_id: int):
    """One firm with its contacts, credit history and yearly declaration counts."""
    user = current_user
    # Another firm's record answers exactly as a missing one does; only the log tells them apart.
    firm = load_or_404(Enterprise, enterprise_id, options=(
        *_item_options(), selectinload(Enterprise.contacts), selectinload(Enterprise.credit_ratings)))
    return jsonify(enterprise_detail(firm, user))


# The fields POST /enterprises accepts; "office" and "assigned_officer" are a code and a username.
CREATE_FIELDS = frozenset({
    "name", "name_en", "uscc", "uscc_override_reason", "customs_code", "office", "district", "address",
    "industry", "economic_type", "is_key", "notes", "trade_modes", "assigned_officer",
})


def _json_object() -> dict:
    if not request.is_json:
        raise ApiError(415, _("Send the data as JSON, with Content-Type: application/json."))
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise ApiError(400, _("The request body is not a valid JSON object."))
    return payload


def _office_field(value, user: User, errors: dict[str, list[str]]) -> Office | None:
    if value is None or isinstance(value, str) and not value.strip():
        errors.setdefault("office", []).append(_("The office is required."))
        return None
    if not isinstance(value, str):
        errors.setdefault("office", []).append(_("Must be text."))
        return None
    office = db.session.scalar(sa.select(Office).where(Office.code == value.strip()))
    if office is None:
        errors.setdefault("office", []).append(_("There is no office with the code %(code)s.", code=value.strip()))
        return None
    if not can_see_office(user, office):
        errors.setdefault("office", []).append(
            _("You can add firms only to your own office and the offices below it.")
        )
        return None
    return office


def _enterprise_input(payload: dict, errors: dict[str, list[str]]) -> dict:
    """Check the JSON types the form layer would have guaranteed; what is left goes to validate()."""
    raw = {key: payload[key] for key in CREATE_FIELDS - {"office", "assigned_officer"} if key in payload}
    for key in sorted(set(payload) - CREATE_FIELDS):
        errors.setdefault(key, []).append(_("Unknown field."))
    # validate() reads these after it has decided whether to refuse, so it would let a wrong type or
    # an over-long value through: check them here.
    for key in ("name_en", "district", "address", "industry", "notes", "uscc_override_reason"):
        value = raw.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            errors.setdefault(key, []).append(_("Must be text."))
            del raw[key]
        elif key in enterprises.FIELD_LIMITS and len(value.strip() if key == "notes" else " ".join(value.split())) \
                > enterprises.FIELD_LIMITS[key]:
            errors.setdefault(key, []).append(_("At most %(n)d characters.", n=enterprises.FIELD_LIMITS[key]))
    if "is_key" in raw and not isinstance(raw["is_key"], bool):
        errors.setdefault("is_key", []).append(_("Must be true or false."))
        del raw["is_key"]
    if raw.get("customs_code") is not None and not isinstance(raw["customs_code"], str):
        errors.setdefault("customs_code", []).append(_("Must be text."))
        del raw["customs_code"]
    modes = raw.get("trade_modes")
    if modes is not None and not (isinstance(modes, list) and all(isinstance(m, str) for m in modes)):
        errors.setdefault("trade_modes", []).append(_("Must be a list of trade mode codes."))
        del raw["trade_modes"]
    officer = payload.get("assigned_officer")
    if officer is not None:
        found = accounts.find_user(officer) if isinstance(officer, str) else None
        if found is None:
            errors.setdefault("assigned_officer", []).append(_("Choose an active officer of this office."))
        else:
            raw["assigned_officer_id"] = found.id
    return raw


def _merge(errors: dict[str, list[str]], more: dict[str, list[str]]) -> None:
    for key, messages in more.items():
        listed = errors.setdefault("assigned_officer" if key == "assigned_officer_id" else key, [])
        listed.extend(m for m in messages if m not in listed)


def _validated(payload: dict, user: User) -> tuple[enterprises.EnterpriseData, Office]:
    errors: dict[str, list[str]] = {}
    office = _office_field(payload.get("office"), user, errors)
    raw = _enterprise_input(payload, errors)
    data = None
    try:
        # With no usable office, check the rest against the caller's so every problem is listed at once.
        data = enterprises.validate(raw, office=office or user.office)
    except enterprises.EnterpriseError as exc:
        _merge(errors, exc.fields)
    if errors:
        raise ApiError(422, _("The enterprise was not saved. Correct the fields listed."), fields=errors)
    return data, office


@bp.route("/enterprises", methods=["POST"])
@allow(Role.OFFICER, Role.MANAGER, Role.ADMIN)
def create_enterprise():
    """Register a firm under an office of the caller's subtree."""
    user = current_user
    payload = _json_object()
    data, office = _validated(payload, user)
    try:
        firm_id = enterprises.create_enterprise(data, office).id
        db.session.commit()
    except IntegrityError:
        # Another request registered the same code between our check and our insert: say which.
        db.session.rollback()
        _validated(payload, user)
        raise
    firm = db.session.scalar(
        sa.select(Enterprise).where(Enterprise.id == firm_id)
        .options(*_item_options(), selectinload(Enterprise.contacts), selectinload(Enterprise.credit_ratings))
    )
    response = jsonify(enterprise_detail(firm, user))
    response.status_code = 201
    response.headers["Location"] = url_for("api.enterprise", enterprise_id=firm.id)
    return response


# Needs -----------------------------------------------------------------------
def _visible_enterprise(enterprise_id: int) -> Enterprise:
    return load_or_404(Enterprise, enterprise_id)


def need_item(need: Need, user: User, today) -> dict:
    item = {
        "id": need.id,
        "enterprise_id": need.enterprise_id,
        "source": need.source.value,
        "category": need.category.name,
        "content": need.content,
        "department": need.department.name if need.department else None,
        "raised_on": need.raised_on.isoformat(),
        "deadline": need.deadline.isoformat(),
        "status": need.status.value,
        "overdue": need.is_overdue(today),
        "explanation": need.explanation,
        "resolved_at": isoformat(need.resolved_at) if need.resolved_at else None,
        "closed_at": isoformat(need.closed_at) if need.closed_at else None,
    }
    if user.role.is_staff:
        item["assigned_officer"] = need.assigned_officer.username if need.assigned_officer else None
    return item


def _need_options():
    return (joinedload(Need.category), joinedload(Need.department), joinedload(Need.assigned_officer))


@bp.route(f"/enterprises/<int(max={MAX_ID}):enterprise_id>/needs")
@allow(SIGNED_IN)
def enterprise_needs(enterprise_id: int):
    """A firm's needs, overdue first and then by deadline; a contact only his own firm's."""
    user = current_user
    firm = _visible_enterprise(enterprise_id)
    page = _int_arg("page", 1, MAX_ID)
    per_page = _int_arg("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    conditions = [Need.enterprise_id == firm.id]
    status = request.args.get("status", "").strip()
    if status:
        if status not in {s.value for s in NeedStatus}:
            raise ApiError(400, _("status must be one of %(values)s.", values=", ".join(s.value for s in NeedStatus)))
        conditions.append(Need.status == NeedStatus(status))
    today = needs.local_today()
    total = db.session.scalar(sa.select(sa.func.count(Need.id)).where(*conditions))
    items = db.session.scalars(
        sa.select(Need).where(*conditions).options(*_need_options())
        .order_by(sa.case((needs.overdue_condition(today), 0), else_=1), Need.deadline, Need.id)
        .limit(per_page).offset((page - 1) * per_page)
    ).all() if total else []
    return jsonify({"items": [need_item(n, user, today) for n in items], "page": page, "per_page": per_page,
                    "pages": math.ceil(total / per_page), "total": total})


@bp.route(f"/needs/<int(max={MAX_ID}):need_id>")
@allow(SIGNED_IN)
def need(need_id: int):
    """One need with its visible history and follow-ups; contacts never get internal notes."""
    user = current_user
    item = load_or_404(Need, need_id, options=(
        *_need_options(), selectinload(Need.entries), selectinload(Need.follow_ups), selectinload(Need.extensions)))
    detail = need_item(item, user, needs.local_today())
    detail["entries"] = [
        {"kind": e.kind.value, "text": e.text, "created_at": isoformat(e.created_at)}
        for e in needs.visible_entries(item, user)
    ]
    detail["follow_ups"] = [
        {"channel": f.channel.value, "held_on": f.held_on.isoformat(), "satisfaction": f.satisfaction.value,
         "note": f.note}
        for f in item.follow_ups
    ]
    if user.role.is_staff:
        detail["extensions"] = [
            {"old_deadline": x.old_deadline.isoformat(), "new_deadline": x.new_deadline.isoformat(),
             "reason": x.reason, "status": x.status.value}
            for x in item.extensions
        ]
    return jsonify(detail)
