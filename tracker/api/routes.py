"""The JSON API under /api/v1: bearer tokens, the caller, the firm registry and its needs.

Callers trade a username and password (HTTP Basic) for a bearer token at ``POST /tokens`` and send
``Authorization: Bearer <token>`` from then on (see tracker.api.auth). Requests are read and answers
written by the marshmallow schemas of tracker.api.schemas, which also make the OpenAPI document
served at ``/openapi.json``. Errors are JSON ``{"error": ..., "status": ...}``, with ``"fields"``
when fields are at fault (see tracker.api.spec and tracker.errors).
"""
import math

import marshmallow as ma
import sqlalchemy as sa
from flask import Response, g, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import current_api
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from tracker.api import schemas
from tracker.api.auth import current_token, issue_token, record_token_use, revoke_token
from tracker.api.schemas import MAX_ID, ErrorSchema
from tracker.api.spec import ApiBlueprint, ApiError
from tracker.auth import services as accounts
from tracker.auth import throttle
from tracker.auth.models import Role
from tracker.campaigns.models import Campaign, RosterEntry
from tracker.enterprises import services as enterprises
from tracker.enterprises.models import Enterprise
from tracker.enterprises.search import search_condition
from tracker.extensions import db
from tracker.needs import services as needs
from tracker.needs.models import Need
from tracker.permissions import PUBLIC, SIGNED_IN, allow, load_or_404, scope_enterprises
from werkzeug.exceptions import NotFound

bp = ApiBlueprint("api", __name__, description="The tracker's JSON API.")
bp.after_request(record_token_use)

BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="tracker"'}


@bp.errorhandler(ApiError)
def handle_api_error(exc: ApiError):
    body: dict = {"error": exc.message, "status": exc.status}
    if exc.fields is not None:
        body["fields"] = exc.fields
    response = jsonify(body)
    response.status_code = exc.status
    response.headers.update(exc.headers)
    return response


def errors(*statuses: int, **described: str):
    """Document error answers: errors(401, 404, e404="...") lists each status with ErrorSchema."""

    def decorate(view):
        for status in statuses:
            view = bp.alt_response(status, schema=ErrorSchema, description=described.get(f"e{status}"))(view)
        return view

    return decorate


UNAUTHORIZED = "No valid bearer token: missing, unknown, expired, revoked, or its user is deactivated."
HIDDEN_404 = "No such {0}, or one the caller may not see (the two are not told apart)."


# Tokens ----------------------------------------------------------------------
@bp.route("/tokens", methods=["POST"])
@allow(PUBLIC)
@throttle.per_username
@throttle.per_address
@bp.doc(security=[{"basicAuth": []}], summary="Issue a bearer token",
        description="Failed attempts are throttled per username and per client address, counted together "
                    "with the web sign-in form.")
@bp.response(201, schemas.TokenSchema, description="A new token. It is shown once; only its hash is stored.",
             headers={"Cache-Control": {"schema": {"type": "string"}, "description": "no-store"}})
@errors(401, 429, e401="Missing or wrong username or password, or a deactivated account.",
        e429="Too many failed attempts; see Retry-After.")
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
    accounts.record_sign_in(user)
    db.session.commit()
    throttle.succeeded()
    return {"token": token, "expires_at": record.expires_at}, {"Cache-Control": "no-store"}


@bp.route("/tokens/current", methods=["DELETE"])
@allow(SIGNED_IN)
@bp.doc(summary="Revoke the token used for this request")
@bp.response(204, description="Revoked.")
@errors(401, e401=UNAUTHORIZED)
def revoke_current_token():
    revoke_token(current_token())
    db.session.commit()
    return Response(status=204)


@bp.route("/me")
@allow(SIGNED_IN)
@bp.doc(summary="The caller's account")
@bp.response(200, schemas.MeSchema, description="The caller.")
@errors(401, e401=UNAUTHORIZED)
def me():
    return current_user


@bp.route("/openapi.json")
@allow(PUBLIC)
@bp.doc(security=[], summary="This document")
@bp.response(200, {"type": "object"}, description="The OpenAPI 3 document.")
def openapi():
    return jsonify(current_api.spec.to_dict())


# Enterprises -----------------------------------------------------------------
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


def _detail_options():
    return (*_item_options(), selectinload(Enterprise.contacts), selectinload(Enterprise.credit_ratings))


def _page(items, page: int, per_page: int, total: int) -> dict:
    return {"items": items, "page": page, "per_page": per_page, "pages": math.ceil(total / per_page),
            "total": total}


@bp.route("/enterprises", methods=["GET"])
@allow(SIGNED_IN)
@bp.doc(summary="Search the firms the caller may see",
        description="Staff see the firms of their office and the offices below it (admins all); an enterprise "
                    "contact sees only his own firm. Ordered by name.")
@bp.arguments(schemas.EnterpriseQuerySchema, location="query", error_status_code=400)
@bp.response(200, schemas.EnterprisePageSchema, description="A page of firms.")
@errors(401, 404, e401=UNAUTHORIZED, e404="No such campaign, or one the caller cannot see.")
def list_enterprises(args: dict):
    """The firms the caller may see, searched as the firm list searches, a page at a time."""
    user = current_user
    page, per_page = args["page"], args["per_page"]
    conditions = [search_condition(args["q"])]
    if not args["archived"]:
        conditions.append(Enterprise.archived_at.is_(None))
    if "campaign" in args:
        campaign = _visible_campaign(args["campaign"])
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
    return _page(items, page, per_page, total)


def _visible_enterprise(enterprise_id: int, *options) -> Enterprise:
    # Another firm's record answers exactly as a missing one does; only the log tells them apart.
    return load_or_404(Enterprise, enterprise_id, options=options)


@bp.route(f"/enterprises/<int(max={MAX_ID}):enterprise_id>")
@allow(SIGNED_IN)
@bp.doc(summary="One firm with its contacts, credit history and declaration counts")
@bp.response(200, schemas.EnterpriseDetailSchema, description="The firm.")
@errors(401, 404, e401=UNAUTHORIZED, e404=HIDDEN_404.format("firm"))
def enterprise(enterprise_id: int):
    """One firm with its contacts, credit history and yearly declaration counts."""
    return _visible_enterprise(enterprise_id, *_detail_options())


@bp.route("/enterprises", methods=["POST"])
@allow(Role.OFFICER, Role.MANAGER, Role.ADMIN)
@bp.doc(summary="Register a firm (officers, managers and admins)")
@bp.arguments(schemas.EnterpriseInputSchema, description=schemas.REGISTRY_CHECKS)
@bp.response(201, schemas.EnterpriseDetailSchema, description="The new firm.",
             headers={"Location": {"schema": {"type": "string"}, "description": "The firm's URL in this API."}})
@errors(401, 403, 415, e401=UNAUTHORIZED,
        e403="The caller's role may not use this endpoint.", e415="The body is not sent as application/json.")
def create_enterprise(payload: dict):
    """Register a firm under an office of the caller's subtree."""
    try:
        firm_id = enterprises.create_enterprise(payload["enterprise"], payload["office"]).id
        db.session.commit()
    except IntegrityError:
        # Another request registered the same code between our check and our insert: say which.
        db.session.rollback()
        try:
            schemas.EnterpriseInputSchema().load(request.get_json())
        except ma.ValidationError as exc:
            bp.ARGUMENTS_PARSER.handle_error(ma.ValidationError({"json": exc.messages}), request,
                                             schemas.EnterpriseInputSchema(),
                                             error_status_code=422, error_headers=None)
        raise
    firm = db.session.scalar(sa.select(Enterprise).where(Enterprise.id == firm_id).options(*_detail_options()))
    return firm, {"Location": url_for("api.enterprise", enterprise_id=firm.id)}


# Needs -----------------------------------------------------------------------
def _need_options():
    return (joinedload(Need.category), joinedload(Need.department), joinedload(Need.assigned_officer))


@bp.route(f"/enterprises/<int(max={MAX_ID}):enterprise_id>/needs")
@allow(SIGNED_IN)
@bp.doc(summary="A firm's business needs (业务需求), overdue first, then by deadline",
        description="Staff see the needs of the firms of their subtree; a contact only his own firm's.")
@bp.arguments(schemas.NeedQuerySchema, location="query", error_status_code=400)
@bp.response(200, schemas.NeedPageSchema, description="A page of the firm's needs.")
@errors(401, 404, e401=UNAUTHORIZED, e404=HIDDEN_404.format("firm"))
def enterprise_needs(args: dict, enterprise_id: int):
    """A firm's needs, overdue first and then by deadline; a contact only his own firm's."""
    firm = _visible_enterprise(enterprise_id)
    page, per_page = args["page"], args["per_page"]
    conditions = [Need.enterprise_id == firm.id]
    if "status" in args:
        conditions.append(Need.status == args["status"])
    today = needs.local_today()
    total = db.session.scalar(sa.select(sa.func.count(Need.id)).where(*conditions))
    items = db.session.scalars(
        sa.select(Need).where(*conditions).options(*_need_options())
        .order_by(sa.case((needs.overdue_condition(today), 0), else_=1), Need.deadline, Need.id)
        .limit(per_page).offset((page - 1) * per_page)
    ).all() if total else []
    return _page(items, page, per_page, total)


@bp.route(f"/needs/<int(max={MAX_ID}):need_id>")
@allow(SIGNED_IN)
@bp.doc(summary="One need with its history and follow-ups (contacts never get internal notes)")
@bp.response(200, schemas.NeedDetailSchema, description="The need.")
@errors(401, 404, e401=UNAUTHORIZED, e404="No such need, or another firm's (the two are not told apart).")
def need(need_id: int):
    """One need with its visible history and follow-ups; contacts never get internal notes."""
    return load_or_404(Need, need_id, options=(
        *_need_options(), selectinload(Need.entries), selectinload(Need.follow_ups), selectinload(Need.extensions)))
