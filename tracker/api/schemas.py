"""Marshmallow schemas of /api/v1: each field is defined once, here.

The same definition validates a request (``@bp.arguments``), serializes a response
(``@bp.response``) and, through apispec, becomes the OpenAPI document. Length limits are those
of the database columns and the web forms; messages go through Flask-Babel like the pages' own.
"""
import marshmallow as ma
import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import fields, validate

from tracker.api.auth import isoformat
from tracker.appointments.models import QUANTITY, AppointmentStatus
from tracker.auth import services as accounts
from tracker.auth.models import Role
from tracker.imports.models import DeclarationCount
from tracker.enterprises import services as enterprises
from tracker.enterprises.reference import ECONOMIC_TYPES, CreditRegime
from tracker.extensions import db
from tracker.offices.models import Office
from tracker.needs import services as needs
from tracker.needs.models import (
    ExtensionStatus,
    FollowUpChannel,
    NeedEntryKind,
    NeedSource,
    NeedStatus,
    Satisfaction,
)

# Ids are 32-bit integers in every database we run on; larger ones cannot name a row.
MAX_ID = 2**31 - 1
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100

# marshmallow's own messages are English only; these replace them in every field below.
FIELD_MESSAGES = {
    "required": _l("This field is required."),
    "null": _l("This field may not be null."),
    "validator_failed": _l("Invalid value."),
}
TEXT_MESSAGES = {**FIELD_MESSAGES, "invalid": _l("Must be text."), "invalid_utf8": _l("Must be text.")}
BOOLEAN_MESSAGES = {**FIELD_MESSAGES, "invalid": _l("Must be true or false.")}
LIST_MESSAGES = {**FIELD_MESSAGES, "invalid": _l("Must be a list.")}


def at_most(n: int) -> validate.Length:
    return validate.Length(max=n, error=_l("At most %(n)d characters.", n=n))


def text(*, max_length: int, required: bool = False, nullable: bool = False, blank: str | None = None,
         **kw) -> fields.String:
    """A text field of at most *max_length* characters; with *blank*, the message when it has no letter."""
    validators = [at_most(max_length)]
    if blank is not None:
        # Documented as a pattern, so the document says that "" and "   " are refused.
        validators.append(validate.Regexp(r"\S", error=blank))
    return fields.String(required=required, allow_none=nullable, validate=validators,
                         error_messages={**TEXT_MESSAGES, "required": blank or TEXT_MESSAGES["required"]}, **kw)


def allow_empty_value(self, field: fields.Field, **kwargs) -> dict:
    """apispec parameter attribute: a query parameter sent empty (?page=) counts as absent."""
    return {"allowEmptyValue": True} if isinstance(field.parent, QuerySchema) else {}


class UTCDateTime(fields.DateTime):
    """A moment in UTC with a Z (2026-05-01T08:00:00Z); documented as date-time."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else isoformat(value)


class StrictBoolean(fields.Boolean):
    """JSON true or false only: "yes", 1 or "true" are refused, as the document says."""

    default_error_messages = {"invalid": _l("Must be true or false.")}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class _Computed:
    """A read-only field whose value a function computes from the object, documented by its type."""

    def __init__(self, compute, *args, **kwargs):
        self._compute = compute
        super().__init__(*args, dump_only=True, **kwargs)

    def get_value(self, obj, attr, accessor=None, default=ma.missing):
        return self._compute(obj)


class ComputedBoolean(_Computed, fields.Boolean):
    pass


class ComputedList(_Computed, fields.List):
    pass


class ComputedDict(_Computed, fields.Dict):
    pass


def enum(enum_type, **kw) -> fields.Enum:
    return fields.Enum(enum_type, by_value=fields.String, **kw)


class ApiSchema(ma.Schema):
    """Unknown keys are refused; ``staff_only`` keys are left out for a firm's contact."""

    staff_only: tuple[str, ...] = ()
    # The error text of a 422 for this schema's body.
    refusal = _l("The request was not accepted. Correct the fields listed.")
    error_messages = {"unknown": _l("Unknown field."), "type": _l("The request body is not a valid JSON object.")}

    class Meta:
        unknown = ma.RAISE

    @ma.post_dump
    def _hide_from_contacts(self, data, **kwargs):
        if self.staff_only and not current_user.role.is_staff:
            for key in self.staff_only:
                data.pop(key, None)
        return data


# Errors --------------------------------------------------------------------------
class ErrorSchema(ApiSchema):
    """Every answer other than success."""

    error = fields.String(required=True, metadata={"description": "A message for people, in the caller's language."})
    status = fields.Integer(required=True, metadata={"description": "The HTTP status code, repeated."})
    fields_ = fields.Dict(
        data_key="fields", keys=fields.String(), values=fields.List(fields.String()),
        metadata={"description": "Messages per input field or query parameter, e.g. {\"uscc\": [\"...\"]}; "
                                 "on 400 and 422 when a field is at fault."},
    )


# Tokens and the caller -----------------------------------------------------------
class TokenSchema(ApiSchema):
    token = fields.String(required=True, metadata={"description": "Send it as `Authorization: Bearer <token>`."})
    expires_at = UTCDateTime(required=True, metadata={"description": "UTC, e.g. 2026-05-01T08:00:00Z."})


class MeSchema(ApiSchema):
    # "post", not "title": a firm's contact may read his firm's contacts' titles, never a user's post.
    staff_only = ("post",)

    id = fields.Integer(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    post = fields.String(allow_none=True, attribute="title", metadata={
        "description": "The post (职务) a member of staff holds, e.g. 关员, 科长, 处长; null when not given. "
                       "Staff only."})
    role = enum(Role, required=True)
    office = fields.String(required=True, attribute="office.code", metadata={"description": "Office code."})
    enterprise_id = fields.Integer(required=True, allow_none=True,
                                   metadata={"description": "The contact's firm; null for staff."})


# Enterprises ---------------------------------------------------------------------
class TradeModeSchema(ApiSchema):
    code = fields.String(required=True)


class EnterpriseItemSchema(ApiSchema):
    # As on the firm's page: a contact is not told which officer holds his file.
    staff_only = ("assigned_officer",)

    id = fields.Integer(required=True)
    name = fields.String(required=True, metadata={"description": "Registered Chinese name."})
    name_en = fields.String(required=True, allow_none=True)
    uscc = fields.String(required=True,
                         metadata={"description": "Unified social credit code (统一社会信用代码), 18 characters."})
    customs_code = fields.String(required=True, allow_none=True,
                                 metadata={"description": "Customs registration code (海关注册编码), 10 digits."})
    office = fields.String(required=True, attribute="office.code",
                           metadata={"description": "Code of the customs office the firm belongs to, e.g. 0930."})
    district = fields.String(required=True, allow_none=True)
    address = fields.String(required=True, allow_none=True)
    industry = fields.String(required=True, allow_none=True)
    economic_type = fields.String(
        required=True, allow_none=True, validate=validate.OneOf(sorted(ECONOMIC_TYPES)),
        metadata={"description": "Digit 6 of a customs registration code: 1 state-owned … 9 other."},
    )
    is_key = fields.Boolean(required=True, metadata={"description": "A key firm (重点企业)."})
    credit_level = fields.String(required=True, allow_none=True,
                                 metadata={"description": "Current customs credit level, e.g. advanced_certified."})
    trade_modes = fields.Pluck(TradeModeSchema, "code", many=True, required=True,
                               metadata={"description": "Codes of the firm's trade modes (监管方式), e.g. 0110."})
    assigned_officer = fields.String(allow_none=True, attribute="assigned_officer.username", dump_default=None,
                                     metadata={"description": "Username of the officer responsible for the firm "
                                                              "(null when none is); present for staff only."})
    archived = fields.Boolean(required=True)


class EnterpriseContactSchema(ApiSchema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    title = fields.String(required=True, allow_none=True)
    phone = fields.String(required=True, allow_none=True)
    email = fields.String(required=True, allow_none=True)


class CreditRatingSchema(ApiSchema):
    regime = enum(CreditRegime, required=True)
    level = fields.String(required=True)
    valid_from = fields.Date(required=True)
    valid_to = fields.Date(required=True, allow_none=True, metadata={"description": "null while the level holds."})


def declarations_by_year(firm) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(DeclarationCount.year, DeclarationCount.declarations)
        .where(DeclarationCount.enterprise_id == firm.id)
        .order_by(DeclarationCount.year)
    ).all()
    return {str(year): n for year, n in rows}


class EnterpriseDetailSchema(EnterpriseItemSchema):
    staff_only = (*EnterpriseItemSchema.staff_only, "notes")

    contacts = fields.List(fields.Nested(EnterpriseContactSchema), required=True)
    credit_history = fields.List(fields.Nested(CreditRatingSchema), required=True, attribute="credit_ratings",
                                 metadata={"description": "Newest first."})
    declarations = ComputedDict(
        declarations_by_year, keys=fields.String(), values=fields.Integer(validate=validate.Range(min=0)),
        required=True,
        metadata={"description": "Declarations (报关单) filed per year, keyed by the year, e.g. {\"2019\": 120}."},
    )
    notes = fields.String(allow_none=True, metadata={"description": "The office's notes; present for staff only."})


def _page_schema(name: str, item_schema: type[ma.Schema], empty: str) -> type[ma.Schema]:
    return ApiSchema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "page": fields.Integer(required=True),
            "per_page": fields.Integer(required=True),
            "pages": fields.Integer(required=True, metadata={"description": empty}),
            "total": fields.Integer(required=True),
        },
        name=name,
    )


EnterprisePageSchema = _page_schema("EnterprisePage", EnterpriseItemSchema, "0 when nothing matches.")


def whole_number(name: str, maximum: int, **kw) -> fields.Integer:
    message = _l("%(name)s must be a whole number from 1 to %(maximum)d.", name=name, maximum=maximum)
    return fields.Integer(validate=validate.Range(min=1, max=maximum, error=message),
                          error_messages={**FIELD_MESSAGES, "invalid": message}, **kw)


def page_field() -> fields.Integer:
    return whole_number("page", MAX_ID, load_default=1)


def per_page_field() -> fields.Integer:
    return whole_number("per_page", MAX_PER_PAGE, load_default=DEFAULT_PER_PAGE)


class QuerySchema(ApiSchema):
    """Query parameters: one sent empty (``?page=``) counts as absent (tracker.api.spec.ApiParser)."""


class EnterpriseQuerySchema(QuerySchema):
    q = fields.String(load_default="", metadata={
        "description": "Name substring, pinyin initials or syllables (e.g. ylsf), USCC or customs code "
                       "(or a part of four characters or more)."})
    campaign = whole_number("campaign", MAX_ID, metadata={
        "description": "Only firms on this campaign's roster. 404 if the campaign does not exist or the caller "
                       "cannot see it."})
    archived = fields.String(
        load_default="0", validate=validate.OneOf(["0", "1", "false", "true"], error=_l("%(name)s must be 0 or 1.", name="archived")),
        metadata={"description": "1 (or true) includes archived firms, which are left out by default."},
    )
    page = page_field()
    per_page = per_page_field()

    @ma.pre_load
    def _fold_case(self, data, **kwargs):
        if isinstance(data.get("archived"), str):
            data = {**data, "archived": data["archived"].strip().lower()}
        return data

    @ma.post_load
    def _flag(self, data, **kwargs):
        data["archived"] = data["archived"] in ("1", "true")
        return data


# Not the schema's Meta.description: apispec 6.10 then leaves out additionalProperties: false.
REGISTRY_CHECKS = (
    "Every problem is listed at once. Beyond the types and lengths stated in the schema, the registry checks "
    "the codes (a USCC's check character, a customs code's 10 digits), the office (the caller's or one below "
    "it), the officer, the trade modes and that no other firm has the same codes: 422, naming each field."
)


class EnterpriseInputSchema(ApiSchema):
    """POST /enterprises: the field checks and the registry's, both on every request, so every problem
    is listed at once (REGISTRY_CHECKS says which)."""


    refusal = _l("The enterprise was not saved. Correct the fields listed.")

    name = text(max_length=200, required=True, blank=_l("The enterprise name is required."))
    name_en = text(max_length=300, nullable=True)
    uscc = text(max_length=40, required=True, blank=_l("The unified social credit code is required."),
                metadata={"description": "Full-width characters, spaces and lower case are normalised."})
    uscc_override_reason = text(
        max_length=500, nullable=True,
        metadata={"description": "Accept a USCC whose check character fails (early pilot codes), giving the reason."},
    )
    customs_code = text(max_length=20, nullable=True, metadata={"description": "10 digits."})
    office = text(max_length=10, required=True, blank=_l("The office is required."),
                  metadata={"description": "Office code; the caller's office or one below it (admins any)."})
    district = text(max_length=100, nullable=True)
    address = text(max_length=300, nullable=True)
    industry = text(max_length=100, nullable=True)
    economic_type = fields.String(
        allow_none=True, validate=validate.OneOf(sorted(ECONOMIC_TYPES), error=_l("Unknown economic type.")),
        error_messages=TEXT_MESSAGES,
    )
    is_key = StrictBoolean(error_messages=BOOLEAN_MESSAGES)
    notes = text(max_length=5000, nullable=True)
    trade_modes = fields.List(
        text(max_length=4), allow_none=True,
        error_messages={**LIST_MESSAGES, "invalid": _l("Must be a list of trade mode codes.")},
        metadata={"description": "Trade mode codes."},
    )
    assigned_officer = text(max_length=64, nullable=True, blank=_l("Choose an active officer of this office."),
                            metadata={"description": "Username of an active officer or manager of the office."})

    @ma.validates_schema(pass_original=True, skip_on_field_errors=False)
    def _check_with_the_registry(self, data, original_data, **kwargs):
        """The registry's checks on what passed the field checks; replaces *data* with the result."""
        user = current_user
        errors: dict[str, list[str]] = {}
        office = _office(data.get("office"), user, errors) if "office" in data else None
        raw = {key: value for key, value in data.items() if key not in ("office", "assigned_officer")}
        officer = data.get("assigned_officer")
        if officer is not None:
            found = accounts.find_user(officer)
            if found is None:
                errors.setdefault("assigned_officer", []).append(_("Choose an active officer of this office."))
            else:
                raw["assigned_officer_id"] = found.id
        result = None
        try:
            # With no usable office, check the rest against the caller's so every problem is listed at once.
            result = enterprises.validate(raw, office=office or user.office, user=user)
        except enterprises.EnterpriseError as exc:
            for key, messages in exc.fields.items():
                listed = errors.setdefault("assigned_officer" if key == "assigned_officer_id" else key, [])
                listed.extend(m for m in messages if m not in listed)
        # A field that failed its own check already has its message; what validate() says of it
        # (it saw the field as absent) would only confuse.
        failed = set(original_data) - set(data) if isinstance(original_data, dict) else set()
        errors = {key: messages for key, messages in errors.items() if key not in failed}
        if errors:
            raise ma.ValidationError(errors)
        if result is not None and office is not None:
            data.clear()
            data.update(enterprise=result, office=office)


def _office(code: str | None, user, errors: dict[str, list[str]]) -> Office | None:
    if code is None or not code.strip():
        errors.setdefault("office", []).append(_("The office is required."))
        return None
    office = db.session.scalar(sa.select(Office).where(Office.code == code.strip()))
    if office is None:
        errors.setdefault("office", []).append(_("There is no office with the code %(code)s.", code=code.strip()))
        return None
    from tracker.permissions import can_see_office

    if not can_see_office(user, office):
        errors.setdefault("office", []).append(_("You can add firms only to your own office and the offices below it."))
        return None
    return office


# Needs ---------------------------------------------------------------------------
class NeedItemSchema(ApiSchema):
    staff_only = ("assigned_officer",)

    id = fields.Integer(required=True)
    enterprise_id = fields.Integer(required=True)
    source = enum(NeedSource, required=True, metadata={"description": "How the need was raised."})
    category = fields.String(required=True, attribute="category.name",
                             metadata={"description": "Need category (通关时效, 原产地证 …)."})
    content = fields.String(required=True)
    department = fields.String(required=True, allow_none=True, attribute="department.name", dump_default=None,
                               metadata={"description": "Responsible department (责任科室)."})
    raised_on = fields.Date(required=True)
    deadline = fields.Date(required=True, metadata={
        "description": "办理时限, counted in Chinese working days; moved only by an approved extension."})
    status = enum(NeedStatus, required=True, metadata={
        "description": "pending 待受理, in_progress 办理中, resolved 已办结, closed 已销号, unresolvable 无法解决（已说明）."})
    overdue = ComputedBoolean(lambda need: need.is_overdue(needs.local_today()), required=True,
                              metadata={"description": "Open and past its deadline (Asia/Shanghai date)."})
    explanation = fields.String(required=True, allow_none=True,
                                metadata={"description": "Why it cannot be resolved, as told to the firm."})
    resolved_at = UTCDateTime(required=True, allow_none=True)
    closed_at = UTCDateTime(required=True, allow_none=True)
    assigned_officer = fields.String(allow_none=True, attribute="assigned_officer.username", dump_default=None,
                                     metadata={"description": "Username of the officer; present for staff only."})


class NeedEntrySchema(ApiSchema):
    kind = enum(NeedEntryKind, required=True)
    text = fields.String(required=True)
    created_at = UTCDateTime(required=True)


class FollowUpSchema(ApiSchema):
    channel = enum(FollowUpChannel, required=True)
    held_on = fields.Date(required=True)
    satisfaction = enum(Satisfaction, required=True)
    note = fields.String(required=True, allow_none=True)


class ExtensionSchema(ApiSchema):
    old_deadline = fields.Date(required=True)
    new_deadline = fields.Date(required=True)
    reason = fields.String(required=True)
    status = enum(ExtensionStatus, required=True)


class NeedDetailSchema(NeedItemSchema):
    staff_only = ("assigned_officer", "extensions")

    entries = ComputedList(
        lambda need: needs.visible_entries(need, current_user), fields.Nested(NeedEntrySchema), required=True,
        metadata={"description": "Progress, the firm's comments and (for staff only) internal notes, oldest first."},
    )
    follow_ups = fields.List(fields.Nested(FollowUpSchema), required=True)
    extensions = fields.List(fields.Nested(ExtensionSchema),
                             metadata={"description": "Deadline extensions; present for staff only."})


NeedPageSchema = _page_schema("NeedPage", NeedItemSchema, "0 when the firm has no needs.")


class NeedQuerySchema(QuerySchema):
    status = enum(NeedStatus, error_messages={
        **FIELD_MESSAGES,
        "unknown": _l("status must be one of %(values)s.", values=", ".join(s.value for s in NeedStatus))})
    page = page_field()
    per_page = per_page_field()


# Certificate-of-origin appointments (原产地证预约) -------------------------------------
def _destination_codes() -> frozenset[str]:
    from tracker.appointments.services import COUNTRY_CODES

    return COUNTRY_CODES


class SlotSchema(ApiSchema):
    id = fields.Integer(required=True, metadata={"description": "Send it as `slot_id` to book."})
    starts_at = UTCDateTime(required=True, metadata={"description": "UTC, e.g. 2019-09-30T00:30:00Z (08:30 in "
                                                                    "Yingkou)."})
    ends_at = UTCDateTime(required=True)
    capacity = fields.Integer(required=True, metadata={"description": "Firms the slot serves."})
    remaining = fields.Integer(required=True, metadata={"description": "Places still free; 0 when full."})


class SlotListSchema(ApiSchema):
    office = fields.String(required=True, attribute="point.office.code", metadata={"description": "Office code."})
    service_point = fields.String(required=True, attribute="point.name",
                                  metadata={"description": "The counter's name."})
    date = fields.Date(required=True, metadata={"description": "The local (Asia/Shanghai) date asked for."})
    calendar_warning = fields.String(required=True, allow_none=True, metadata={
        "description": "Set when the holiday schedule of the date's year is not confirmed yet: the slots are "
                       "bookable, but the day may still turn out to be a holiday (the bookings would then be "
                       "flagged for rearranging and the firm told). null otherwise."})
    items = fields.List(fields.Nested(SlotSchema), required=True, metadata={
        "description": "The slots that may still be booked (past the minimum notice, within the booking window), "
                       "in time order, full ones included with remaining 0. Empty on a day the counter is closed."})


class SlotQuerySchema(QuerySchema):
    office = fields.String(required=True, validate=at_most(10), error_messages={
        **TEXT_MESSAGES, "required": _l("office is required: the code of the office whose counter to read.")},
        metadata={"description": "Office code, e.g. 0930. 404 when no office has it or it has no counter."})
    date = fields.Date(required=True, error_messages={
        **FIELD_MESSAGES, "required": _l("date is required, as YYYY-MM-DD."),
        "invalid": _l("date must be a date, as YYYY-MM-DD.")},
        metadata={"description": "Local (Asia/Shanghai) date, YYYY-MM-DD."})


def _certificate_name(appointment) -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return appointment.certificate_type.display_name(locale.language if locale is not None else None)


def _country_name(appointment) -> str:
    from tracker.appointments.services import country_name

    return country_name(appointment.destination_country)


class ComputedString(_Computed, fields.String):
    pass


class ComputedInteger(_Computed, fields.Integer):
    pass


class AppointmentSchema(ApiSchema):
    # A contact is not told which officer booked or served him (as on the pages).
    staff_only = ("booked_by", "served_by")

    id = fields.Integer(required=True)
    status = enum(AppointmentStatus, required=True, metadata={
        "description": "booked 已预约, waiting 已取号, called 已叫号, serving 办理中, completed 已办结, cancelled 已取消, "
                       "no_show 未到, wasted 空跑."})
    status_label = ComputedString(lambda a: str(a.status.label), required=True,
                                  metadata={"description": "The status in the caller's language."})
    enterprise_id = fields.Integer(required=True, allow_none=True, metadata={"description": "null for a walk-in "
                                                                                            "not in the registry."})
    enterprise_name = ComputedString(lambda a: a.who, required=True,
                                     metadata={"description": "The firm's name (a walk-in's as given)."})
    office = fields.String(required=True, attribute="service_point.office.code",
                           metadata={"description": "Code of the office whose counter it is."})
    service_point = fields.String(required=True, attribute="service_point.name",
                                  metadata={"description": "The counter's name."})
    slot_id = fields.Integer(required=True, allow_none=True, metadata={"description": "null for a walk-in."})
    day = fields.Date(required=True, metadata={"description": "Local (Asia/Shanghai) date."})
    starts_at = UTCDateTime(required=True, allow_none=True, attribute="slot.starts_at", dump_default=None)
    ends_at = UTCDateTime(required=True, allow_none=True, attribute="slot.ends_at", dump_default=None)
    certificate_type = fields.String(required=True, attribute="certificate_type.code",
                                     metadata={"description": "Certificate type code, e.g. FORM_E."})
    certificate_type_name = ComputedString(_certificate_name, required=True,
                                           metadata={"description": "Its name in the caller's language."})
    destination_country = fields.String(required=True, metadata={"description": "ISO 3166 code, e.g. ID."})
    destination_country_name = ComputedString(_country_name, required=True,
                                              metadata={"description": "Its name in the caller's language "
                                                                       "(CLDR's, through Babel)."})
    quantity = fields.Integer(required=True, metadata={"description": "Number of certificates."})
    sailing_date = fields.Date(required=True, allow_none=True, metadata={"description": "船期."})
    vessel = fields.String(required=True, allow_none=True)
    port = fields.String(required=True, allow_none=True, metadata={"description": "Port of loading."})
    remarks = fields.String(required=True, allow_none=True, attribute="notes",
                            metadata={"description": "The booking's notes for the counter, as sent."})
    queue_number = fields.Integer(required=True, allow_none=True,
                                  metadata={"description": "Given at check-in (取号); null before."})
    window = fields.Integer(required=True, allow_none=True, attribute="window.number", dump_default=None,
                            metadata={"description": "The window (窗口) it was called to; null before."})
    booked_at = UTCDateTime(required=True)
    cancelled_at = UTCDateTime(required=True, allow_none=True)
    needs_rearranging = fields.Boolean(required=True, metadata={
        "description": "The counter's hours or a closure took the slot away: an officer will rearrange it."})
    rearrange_reason = fields.String(required=True, allow_none=True)
    booked_by = fields.String(allow_none=True, attribute="booked_by.username", dump_default=None,
                              metadata={"description": "Username of who booked it; present for staff only."})
    served_by = fields.String(allow_none=True, attribute="served_by.username", dump_default=None,
                              metadata={"description": "Username of the officer who served it; staff only."})


AppointmentPageSchema = _page_schema("AppointmentPage", AppointmentSchema, "0 when nothing matches.")


class AppointmentQuerySchema(QuerySchema):
    date = fields.Date(error_messages={**FIELD_MESSAGES, "invalid": _l("date must be a date, as YYYY-MM-DD.")},
                       metadata={"description": "Only the appointments of this local (Asia/Shanghai) date."})
    status = enum(AppointmentStatus, error_messages={
        **FIELD_MESSAGES,
        "unknown": _l("status must be one of %(values)s.", values=", ".join(s.value for s in AppointmentStatus))})
    page = page_field()
    per_page = per_page_field()


class AppointmentInputSchema(ApiSchema):
    """POST /appointments."""

    refusal = _l("The appointment was not booked. Correct the fields listed.")

    slot_id = whole_number("slot_id", MAX_ID, required=True,
                           metadata={"description": "A slot's id from GET /slots."})
    enterprise_id = fields.Integer(
        allow_none=True, validate=validate.Range(min=1, max=MAX_ID, error=_l(
            "%(name)s must be a whole number from 1 to %(maximum)d.", name="enterprise_id", maximum=MAX_ID)),
        error_messages={**FIELD_MESSAGES, "invalid": _l("%(name)s must be a whole number from 1 to %(maximum)d.",
                                                        name="enterprise_id", maximum=MAX_ID)},
        metadata={"description": "The firm booked for. Staff: required, a firm of their office's subtree. A "
                                 "firm's contact: optional, his own firm (another firm's id answers 404)."})
    certificate_type = text(max_length=20, required=True, blank=_l("Choose a certificate type from the list."),
                            metadata={"description": "Certificate type code: CO, FORM_A, FORM_E, RCEP …"})
    destination_country = fields.String(
        required=True, validate=validate.OneOf(sorted(_destination_codes()),
                                               error=_l("Choose the destination country from the list.")),
        error_messages={**TEXT_MESSAGES, "required": _l("Choose the destination country from the list.")},
        metadata={"description": "ISO 3166 code of the destination, e.g. ID."})
    quantity = fields.Integer(
        required=True, strict=True,
        validate=validate.Range(min=QUANTITY[0], max=QUANTITY[1], error=_l(
            "Between %(min)d and %(max)d certificates.", min=QUANTITY[0], max=QUANTITY[1])),
        error_messages={**FIELD_MESSAGES, "invalid": _l("Between %(min)d and %(max)d certificates.",
                                                        min=QUANTITY[0], max=QUANTITY[1])},
        metadata={"description": "Number of certificates."})
    sailing_date = fields.Date(required=True, error_messages={
        **FIELD_MESSAGES, "required": _l("Give the sailing date."),
        "invalid": _l("The sailing date must be a date, as YYYY-MM-DD.")},
        metadata={"description": "船期; today or later (Asia/Shanghai)."})
    vessel = text(max_length=100, nullable=True)
    port = text(max_length=100, nullable=True, metadata={"description": "Port of loading."})
    remarks = text(max_length=2000, nullable=True, metadata={"description": "Notes for the counter."})


class SlotFullSchema(ApiSchema):
    """409 of POST /appointments: the slot is full."""

    error = fields.String(required=True, validate=validate.OneOf(["slot_full"]),
                          metadata={"description": "Always slot_full."})
    status = fields.Integer(required=True, metadata={"description": "409."})
    message = fields.String(required=True, metadata={"description": "A message for people, in the caller's "
                                                                    "language."})
    alternatives = fields.List(fields.Nested(SlotSchema), required=True, metadata={
        "description": "The nearest free slots of the same counter, nearest in time first (at most three; empty "
                       "when none is free within the booking window)."})


# Reports ----------------------------------------------------------------------------------------------
REPORT_DATE = {**FIELD_MESSAGES, "invalid": _l("The date must be a date, as YYYY-MM-DD.")}


class ReportQuerySchema(QuerySchema):
    """The dashboard's filters (tracker.reports.scope.ReportFilters)."""

    date_from = fields.Date(data_key="from", error_messages=REPORT_DATE, metadata={
        "description": "First day of the period (local date); default the campaign's start."})
    date_to = fields.Date(data_key="to", error_messages=REPORT_DATE, metadata={
        "description": "Last day of the period; default today, or the campaign's end. The period before, of the "
                       "same length, is the comparison."})
    office = whole_number("office", MAX_ID, metadata={"description": "An office of the campaign's subtree."})
    department = whole_number("department", MAX_ID, metadata={"description": "A responsible department (needs)."})
    officer = whole_number("officer", MAX_ID, metadata={"description": "An officer of those offices."})


class ReportPeriodSchema(ApiSchema):
    start = fields.Date(required=True, data_key="from")
    end = fields.Date(required=True, data_key="to")


class ReportFigureSchema(ApiSchema):
    key = fields.String(required=True, metadata={"description": "Stable key, e.g. needs.overdue."})
    label = fields.String(required=True, metadata={"description": "In the caller's language."})
    value = fields.Float(required=True, allow_none=True)
    previous = fields.Float(required=True, allow_none=True, metadata={
        "description": "The same figure over the period before; null for a snapshot (e.g. the roster's size)."})
    kind = fields.String(required=True, metadata={
        "description": "count, share (0 to 1), days (working days), minutes or number."})


class ReportSectionSchema(ApiSchema):
    key = fields.String(required=True)
    title = fields.String(required=True)
    figures = fields.List(fields.Nested(ReportFigureSchema), required=True)


class ReportSummarySchema(ApiSchema):
    campaign_id = fields.Integer(required=True)
    campaign = fields.String(required=True, metadata={"description": "The campaign's name."})
    office = fields.String(required=True, metadata={"description": "Code of the office whose subtree is counted."})
    period = fields.Nested(ReportPeriodSchema, required=True)
    previous_period = fields.Nested(ReportPeriodSchema, required=True)
    problems = fields.List(fields.String(), required=True, metadata={
        "description": "Filters that were dropped, and why (e.g. an office outside the campaign)."})
    sections = fields.List(fields.Nested(ReportSectionSchema), required=True)
    counted_at = fields.DateTime(required=True, allow_none=True, metadata={
        "description": "When the oldest figures kept for a few minutes were counted (a national report's "
                       "slow figures are; see tracker/reports/cache.py); null when every figure was counted now."})
