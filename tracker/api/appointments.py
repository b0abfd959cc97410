"""The JSON API of the certificate-of-origin counter: its slots, booking, reading and cancelling appointments.

Registered on the API's blueprint (register_blueprints imports this module before the blueprint is), documented in the same OpenAPI
document. The services of tracker.appointments do the work with their default clock; here requests are
checked, the caller's scope applied and the answers shaped.

Idempotency: ``POST /appointments`` takes an optional ``Idempotency-Key`` header. The booking inserts a
key derived from the caller and the header into ``submission_keys`` in its own transaction (so it expires
with the forms' keys, after a week), with the new appointment's API path and a digest of the request. A
retry with the same key by the same caller books nothing and answers 200 with the appointment the first
request made (with ``Idempotent-Replayed: true``); the same key with a different request is refused (422).
A request that was refused (409, 422) leaves no key behind: its retry is tried afresh.
"""
import functools
import hashlib
import json
import re

import sqlalchemy as sa
from flask import jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from tracker.api import schemas
from tracker.api.routes import HIDDEN_404, UNAUTHORIZED, _page, bp, errors
from tracker.api.schemas import MAX_ID
from tracker.api.spec import ApiError
from tracker.appointments import services as counter
from tracker.appointments.models import Appointment, CertificateType, ServicePoint, Slot
from tracker.auth.models import Role
from tracker.domain import DomainError
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.offices.models import Office
from tracker.permissions import SIGNED_IN, allow, load_or_404, scope_appointments
from tracker.submissions import SubmissionKey

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_PATTERN = r"^[!-~]{1,200}$"  # 1 to 200 visible ASCII characters, e.g. a UUID
REPLAYED_HEADER = "Idempotent-Replayed"

IDEMPOTENCY_PARAMETER = {
    "in": "header", "name": IDEMPOTENCY_HEADER, "required": False,
    "schema": {"type": "string", "pattern": IDEMPOTENCY_PATTERN, "minLength": 1, "maxLength": 200},
    "description": "Any value of 1 to 200 visible ASCII characters (a UUID, say), new for each booking. A retry "
                   "with the same key by the same user books nothing and answers 200 with the appointment the "
                   "first request made; the same key with a different request answers 422. Keys are kept a "
                   "week; a request that was refused (409, 422) keeps none. A malformed key answers 400, naming "
                   "Idempotency-Key in fields.",
}


def _options():
    return (joinedload(Appointment.service_point).joinedload(ServicePoint.office),
            joinedload(Appointment.slot), joinedload(Appointment.enterprise),
            joinedload(Appointment.certificate_type), joinedload(Appointment.window),
            joinedload(Appointment.booked_by), joinedload(Appointment.served_by))


# Slots -------------------------------------------------------------------------------------------
@bp.route("/slots")
@allow(SIGNED_IN)
@bp.doc(summary="The bookable slots of an office's counter on a day",
        description="Every slot of the day that may still be booked, in time order, with its free places. "
                    "Times are UTC.")
@bp.arguments(schemas.SlotQuerySchema, location="query", error_status_code=400)
@bp.response(200, schemas.SlotListSchema, description="The day's slots (none on a closed day).")
@errors(401, 404, e401=UNAUTHORIZED, e404="No office has this code, or its office has no counter.")
def slots(args: dict):
    """The slots of the office's counter on a local date that may still be booked."""
    code = args["office"].strip()
    point = db.session.scalar(
        sa.select(ServicePoint).join(ServicePoint.office).where(Office.code == code)
        .options(joinedload(ServicePoint.office)))
    if point is None:
        raise ApiError(404, _("No office with the code %(code)s has a certificate counter.", code=code))
    items = counter.bookable_slots(point, args["date"]) if point.active else []
    return {"point": point, "date": args["date"], "calendar_warning": counter.calendar_warning(args["date"]),
            "items": items}


# Appointments ------------------------------------------------------------------------------------
@bp.route("/appointments", methods=["GET"])
@allow(SIGNED_IN)
@bp.doc(summary="The appointments the caller may see",
        description="A firm's contact sees his own firm's; staff those at their subtree's counters and of its "
                    "firms (admins all). Newest day first, then by slot.")
@bp.arguments(schemas.AppointmentQuerySchema, location="query", error_status_code=400)
@bp.response(200, schemas.AppointmentPageSchema, description="A page of appointments.")
@errors(401, e401=UNAUTHORIZED)
def list_appointments(args: dict):
    page, per_page = args["page"], args["per_page"]
    conditions = []
    if "date" in args:
        conditions.append(Appointment.day == args["date"])
    if "status" in args:
        conditions.append(Appointment.status == args["status"])
    total = db.session.scalar(scope_appointments(sa.select(sa.func.count(Appointment.id)), current_user)
                              .where(*conditions))
    items = db.session.scalars(
        scope_appointments(sa.select(Appointment), current_user).where(*conditions).options(*_options())
        .outerjoin(Slot, Slot.id == Appointment.slot_id)
        .order_by(Appointment.day.desc(), Slot.starts_at, Appointment.queue_number, Appointment.id)
        .limit(per_page).offset((page - 1) * per_page)
    ).unique().all() if total else []
    return _page(items, page, per_page, total)


@bp.route(f"/appointments/<int(max={MAX_ID}):appointment_id>")
@allow(SIGNED_IN)
@bp.doc(summary="One appointment")
@bp.response(200, schemas.AppointmentSchema, description="The appointment.")
@errors(401, 404, e401=UNAUTHORIZED, e404=HIDDEN_404.format("appointment"))
def appointment(appointment_id: int):
    return load_or_404(Appointment, appointment_id, options=_options())


@bp.route(f"/appointments/<int(max={MAX_ID}):appointment_id>/cancel", methods=["POST"])
@allow(SIGNED_IN)
@bp.doc(summary="Cancel an appointment",
        description="Before check-in only; a firm's contact up to the counter's minimum notice before the slot, "
                    "staff until the slot ends. The place is freed for others.")
@bp.response(200, schemas.AppointmentSchema, description="The cancelled appointment.")
@errors(401, 404, 409, e401=UNAUTHORIZED, e404=HIDDEN_404.format("appointment"),
        e409="It cannot be cancelled (any more): checked in, cancelled already, or within the minimum notice. "
             "The message says which.")
def cancel_appointment(appointment_id: int):
    found = load_or_404(Appointment, appointment_id, lock=True)
    try:
        counter.cancel(found, by=current_user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise ApiError(409, str(exc)) from None
    return _reload(found.id)


def _reload(appointment_id: int) -> Appointment:
    return db.session.scalars(sa.select(Appointment).where(Appointment.id == appointment_id)
                              .options(*_options()).execution_options(populate_existing=True)).unique().one()


# Booking -----------------------------------------------------------------------------------------
def _idempotency_key() -> tuple[str | None, str | None]:
    """(the submission key derived from the caller and the header, the header as sent), or (None, None)."""
    raw = request.headers.get(IDEMPOTENCY_HEADER)
    if raw is None:
        return None, None
    if not re.fullmatch(IDEMPOTENCY_PATTERN, raw):
        message = _("%(header)s must be 1 to 200 visible ASCII characters.", header=IDEMPOTENCY_HEADER)
        raise ApiError(400, message, fields={IDEMPOTENCY_HEADER: [message]})
    digest = hashlib.sha256(f"{current_user.id}:{raw}".encode()).hexdigest()
    return "api-" + digest[:56], raw


def _request_digest(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _replay(seen: SubmissionKey, digest: str):
    """The answer to a retry: the appointment the first request made (or 422 for another request)."""
    url, _sep, recorded = (seen.created_url or "").partition("#request=")
    match = re.search(r"/appointments/(\d+)$", url)
    if seen.user_id != current_user.id or match is None:
        raise ApiError(422, _("This Idempotency-Key was used already; send a new one."),
                       fields={IDEMPOTENCY_HEADER: [_("This Idempotency-Key was used already; send a new one.")]})
    if recorded != digest:
        message = _("This Idempotency-Key was used for a different booking; send a new key for a new booking.")
        raise ApiError(422, message, fields={IDEMPOTENCY_HEADER: [message]})
    found = db.session.scalars(sa.select(Appointment).where(Appointment.id == int(match.group(1)))
                               .options(*_options())).unique().first()
    if found is None:  # deleted meanwhile (its firm was): nothing to show
        raise ApiError(422, _("This Idempotency-Key was used already; send a new one."),
                       fields={IDEMPOTENCY_HEADER: [_("This Idempotency-Key was used already; send a new one.")]})
    return found, 200, {REPLAYED_HEADER: "true", "Location": url}


def _claim(key: str) -> SubmissionKey | None:
    """Insert the key in this transaction; the row of an earlier request when it holds it already. On
    PostgreSQL a concurrent request with the same key waits here until the first one ends."""
    seen = db.session.get(SubmissionKey, key)
    if seen is None:
        try:
            with db.session.begin_nested():
                db.session.add(SubmissionKey(key=key, user_id=current_user.id))
        except sa.exc.IntegrityError:
            db.session.rollback()
            seen = db.session.get(SubmissionKey, key)
    return seen


def _hidden_firm(enterprise_id: int | None) -> ApiError:
    return ApiError(404, _("There is no firm %(id)d, or it is not yours to book for.", id=enterprise_id or 0))


def _firm_id(payload: dict) -> int | None:
    """The firm booked for: a contact's own (another's id is a 404), the one a staff member names."""
    enterprise_id = payload.get("enterprise_id")
    if current_user.role is Role.ENTERPRISE_CONTACT:
        if enterprise_id is not None and enterprise_id != current_user.enterprise_id:
            raise _hidden_firm(enterprise_id)
        return current_user.enterprise_id
    if enterprise_id is None:
        message = _("Choose the firm to book for.")
        raise ApiError(422, str(schemas.AppointmentInputSchema.refusal), fields={"enterprise_id": [message]})
    return enterprise_id


def _bookable(firm: Enterprise | None, enterprise_id: int | None) -> Enterprise:
    """The firm, when the caller may book for it (a contact his own, staff their subtree's: the firms they
    can see); a 404 otherwise, the same for a firm outside his scope as for a missing one."""
    if not counter.can_book_for(current_user, firm):
        raise _hidden_firm(enterprise_id)
    return firm


@functools.cache
def _booking_rows_statement() -> sa.Select:
    """The firm (with its office), the slot (with its counter) and the certificate type a booking names, in
    one round trip: one row when all three exist. Built once; most booking requests are refused, and the
    cost of a refusal is in such statements."""
    return (sa.select(Enterprise, Slot, CertificateType).select_from(Enterprise)
            .join(Slot, sa.true()).join(CertificateType, sa.true())
            .where(Enterprise.id == sa.bindparam("enterprise_id"), Slot.id == sa.bindparam("slot_id"),
                   CertificateType.code == sa.bindparam("code"), CertificateType.active.is_(True))
            .options(joinedload(Enterprise.office), joinedload(Slot.service_point)))


def _booking_rows(enterprise_id: int, payload: dict) -> tuple[Enterprise, Slot | None, CertificateType | None]:
    """The firm (checked by _bookable), then the slot and the certificate type when all three were found at
    once; otherwise the firm alone, and the caller looks up the other two to say which is wrong."""
    row = db.session.execute(_booking_rows_statement(), {
        "enterprise_id": enterprise_id, "slot_id": payload["slot_id"], "code": _certificate_code(payload),
    }).unique().first()
    if row is None:
        firm = db.session.get(Enterprise, enterprise_id, options=(joinedload(Enterprise.office),)) \
            if enterprise_id is not None else None
        return _bookable(firm, enterprise_id), None, None
    firm, slot, certificate = row
    return _bookable(firm, enterprise_id), slot, certificate


def _certificate_code(payload: dict) -> str:
    return payload["certificate_type"].strip().upper()


def _refuse(field: str, message: str):
    raise ApiError(422, message, fields={field: [message]})


_SLOT_FULL = schemas.SlotFullSchema()
BOOKED_DESCRIPTION = ("The new appointment. A retry with the same Idempotency-Key answers 200 with the appointment "
                      "the first request made, and the header Idempotent-Replayed: true.")
HEADERS = {"Location": {"schema": {"type": "string"}, "description": "The appointment's URL in this API."}}


@bp.route("/appointments", methods=["POST"])
@allow(SIGNED_IN)
@bp.doc(summary="Book a slot (预约)", parameters=[IDEMPOTENCY_PARAMETER],
        description="One active booking per firm per slot; the slot's capacity is held by the database under any "
                    "concurrency. A full slot answers 409 with the nearest free slots. Beyond the schema, the "
                    "slot must be bookable now (offered, past the minimum notice, within the booking window), the "
                    "certificate type one in use and the sailing date not past: 422, naming the field.")
@bp.arguments(schemas.AppointmentInputSchema)
@bp.response(201, schemas.AppointmentSchema, description=BOOKED_DESCRIPTION, headers=HEADERS)
@bp.alt_response(200, schema=schemas.AppointmentSchema, description="A retry with an Idempotency-Key used "
                 "before by the caller for the same request: the appointment it made; nothing booked.",
                 headers={**HEADERS, REPLAYED_HEADER: {"schema": {"type": "string", "enum": ["true"]}}})
@bp.alt_response(409, schema=schemas.SlotFullSchema, description="The slot is full; alternatives are the "
                 "nearest free slots of the same counter (nearest in time first, at most three).")
@errors(401, 404, 415, 422, e401=UNAUTHORIZED,
        e404="No such firm, or one the caller may not book for (the two are not told apart).",
        e415="The body is not sent as application/json.",
        e422="A field is at fault (see fields), the slot cannot be booked now, the firm has booked the slot "
             "already, or the Idempotency-Key was used for a different request.")
def book(payload: dict):
    """Book a place in a slot for a firm."""
    key, _raw = _idempotency_key()
    firm, slot, certificate = _booking_rows(_firm_id(payload), payload)
    # A contact's booking for his firm is the same request whether or not it names the firm.
    digest = _request_digest({**payload, "enterprise_id": firm.id})
    if key is not None:
        seen = _claim(key)
        if seen is not None:
            return _replay(seen, digest)
    if slot is None:
        slot = db.session.get(Slot, payload["slot_id"], options=(joinedload(Slot.service_point),))
    if slot is None:
        _refuse("slot_id", _("There is no slot %(id)d; choose one from GET /slots.", id=payload["slot_id"]))
    if certificate is None:
        certificate = db.session.scalar(sa.select(CertificateType).where(
            CertificateType.code == _certificate_code(payload), CertificateType.active.is_(True)))
    if certificate is None:
        _refuse("certificate_type", _("Choose a certificate type from the list."))
    now = counter.clock()
    problem = counter.booking_problem(slot, now)
    if problem:
        _refuse("slot_id", problem)
    if payload["sailing_date"] < counter.local_day(now):
        _refuse("sailing_date", _("The sailing date cannot be in the past."))
    try:
        made = counter.book(slot, firm, by=current_user, certificate_type=certificate,
                            destination_country=payload["destination_country"], quantity=payload["quantity"],
                            sailing_date=payload["sailing_date"], vessel=payload.get("vessel"),
                            port=payload.get("port"), notes=payload.get("remarks"))
        url = url_for("api.appointment", appointment_id=made.id)
        if key is not None:
            db.session.get(SubmissionKey, key).created_url = f"{url}#request={digest}"
        # The answer is the appointment as committed: the objects in hand, not a second read after the
        # commit (nothing else writes it meanwhile; the commit only expires them).
        session = db.session()
        session.expire_on_commit = False
        try:
            db.session.commit()
        finally:
            session.expire_on_commit = True
    except counter.SlotFull as full:
        # Read before the rollback expires the slots.
        body = _SLOT_FULL.dump({"error": "slot_full", "status": 409, "message": str(full),
                                "alternatives": full.alternatives})
        db.session.rollback()
        response = jsonify(body)
        response.status_code = 409
        return response
    except DomainError as exc:
        db.session.rollback()
        _refuse("slot_id", str(exc))
    return made, 201, {"Location": url}
