"""Enterprise operations: validated creation and edits, credit history, archiving, scoped queries."""
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from tracker.auth.models import Role, User
from tracker.enterprises.identifiers import IdentifierError, validate_customs_code, validate_uscc
from tracker.enterprises.models import CreditRating, Enterprise, EnterpriseContact, TradeMode
from tracker.enterprises.reference import CREDIT_LEVEL_LABELS, ECONOMIC_TYPES, REGIME_LEVELS, CreditRegime
from tracker.domain import DomainError
from tracker.extensions import db
from tracker.offices.models import Office
from tracker.permissions import can_see_enterprise
from tracker.types import utcnow


class EnterpriseError(ValueError):
    """Invalid enterprise data: {field: [messages]} in the user's language."""

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items()))
        self.fields = fields


def identifier_message(exc: IdentifierError) -> str:
    """A translated explanation of a rejected identifier."""
    if exc.code == "length":
        return _("A unified social credit code has 18 characters.")
    if exc.code == "characters":
        return _("A unified social credit code uses only digits and the capital letters A-Y except I, O, S, V and Z.")
    if exc.code == "region":
        return _("Characters 3 to 8 of a unified social credit code are a region code of six digits.")
    if exc.code == "check":
        return _("The check character is wrong: with these first 17 characters it should be %(expected)s.",
                 expected=exc.expected)
    if exc.code == "customs_code":
        return _("A customs registration code has 10 digits.")
    return str(exc)


def check_uscc(raw: str, override_reason: str | None = None) -> tuple[str, str | None]:
    """The normalised USCC and the override reason to record (only when the check character fails).

    An officer may accept a code whose check character fails (early pilot codes) by giving a reason.
    """
    reason = (override_reason or "").strip() or None
    try:
        return validate_uscc(raw), None
    except IdentifierError as exc:
        if exc.code == "check" and reason:
            return validate_uscc(raw, allow_bad_check=True), reason
        message = identifier_message(exc)
        if exc.code == "check":
            message += " " + _("If the code is right as printed on the licence, give a reason to accept it.")
        raise EnterpriseError({"uscc": [message]}) from exc


@dataclass
class EnterpriseData:
    """Validated fields of a firm, from a form or the API."""

    name: str
    uscc: str
    uscc_override_reason: str | None = None
    customs_code: str | None = None
    name_en: str | None = None
    district: str | None = None
    address: str | None = None
    industry: str | None = None
    economic_type: str | None = None
    is_key: bool = False
    notes: str | None = None
    trade_mode_codes: tuple[str, ...] = ()
    assigned_officer_id: int | None = None


FIELD_LIMITS = {"name": 200, "name_en": 300, "district": 100, "address": 300, "industry": 100, "notes": 5000}


def validate(raw: dict, *, office: Office, current: Enterprise | None = None, user: User | None = None) -> EnterpriseData:
    """Check every field; raise EnterpriseError listing all problems at once."""
    errors: dict[str, list[str]] = {}

    def text(key: str) -> str | None:
        value = raw.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            errors.setdefault(key, []).append(_("Must be text."))
            return None
        value = " ".join(value.split()) if key != "notes" else value.strip()
        limit = FIELD_LIMITS.get(key, 10_000)
        if len(value) > limit:
            errors.setdefault(key, []).append(_("At most %(n)d characters.", n=limit))
        return value or None

    name = text("name")
    if not name:
        errors.setdefault("name", []).append(_("The enterprise name is required."))
    uscc = override = None
    raw_uscc = raw.get("uscc")
    if not isinstance(raw_uscc, str) or not raw_uscc.strip():
        errors.setdefault("uscc", []).append(_("The unified social credit code is required."))
    else:
        try:
            uscc, override = check_uscc(raw_uscc, raw.get("uscc_override_reason"))
        except EnterpriseError as exc:
            errors.update(exc.fields)
    customs_code = None
    raw_customs = raw.get("customs_code")
    if raw_customs not in (None, ""):
        try:
            customs_code = validate_customs_code(str(raw_customs))
        except IdentifierError as exc:
            errors.setdefault("customs_code", []).append(identifier_message(exc))
    economic_type = text("economic_type")
    if economic_type and economic_type not in ECONOMIC_TYPES:
        errors.setdefault("economic_type", []).append(_("Unknown economic type."))
    codes = raw.get("trade_modes") or ()
    if isinstance(codes, str):
        codes = [c for c in codes.replace("、", ",").replace(";", ",").split(",")]
    codes = tuple(sorted({str(c).strip() for c in codes if str(c).strip()}))
    if codes:
        known = set(db.session.scalars(sa.select(TradeMode.code).where(TradeMode.code.in_(codes))))
        unknown = [c for c in codes if c not in known]
        if unknown:
            errors.setdefault("trade_modes", []).append(_("Unknown trade mode: %(codes)s.", codes=", ".join(unknown)))
    officer_id = raw.get("assigned_officer_id") or None
    if officer_id is not None:
        officer = db.session.get(User, officer_id) if isinstance(officer_id, int) else None
        if officer is None or officer.role not in (Role.OFFICER, Role.MANAGER) or not officer.active \
                or not officer.office.contains(office) and not office.contains(officer.office):
            errors.setdefault("assigned_officer_id", []).append(_("Choose an active officer of this office."))

    for field, column, value in (("uscc", Enterprise.uscc, uscc), ("customs_code", Enterprise.customs_code, customs_code)):
        clash = db.session.scalar(sa.select(Enterprise).where(column == value)) if value else None
        if clash is not None and clash is not current:
            # A firm the user may not see is not named: it must look like any other taken code.
            errors.setdefault(field, []).append(
                _("This code belongs to %(name)s already.", name=clash.name) if user is not None
                and can_see_enterprise(user, clash) else _("This code belongs to another firm already."))
    # Every field is read before deciding, so all problems are reported together.
    details = {key: text(key) for key in ("name_en", "district", "address", "industry", "notes")}
    if errors:
        raise EnterpriseError(errors)
    return EnterpriseData(
        name=name, uscc=uscc, uscc_override_reason=override, customs_code=customs_code, **details,
        economic_type=economic_type, is_key=bool(raw.get("is_key")), trade_mode_codes=codes,
        assigned_officer_id=officer_id,
    )


def _apply(enterprise: Enterprise, data: EnterpriseData) -> None:
    # No flush halfway (loading the trade modes would make one): the edit reaches the audit trail as one record.
    with db.session.no_autoflush:
        for field in ("name", "uscc", "uscc_override_reason", "customs_code", "name_en", "district", "address",
                      "industry", "economic_type", "is_key", "notes", "assigned_officer_id"):
            setattr(enterprise, field, getattr(data, field))
        wanted = set(data.trade_mode_codes)
        if {m.code for m in enterprise.trade_modes} != wanted:
            enterprise.trade_modes = list(db.session.scalars(
                sa.select(TradeMode).where(TradeMode.code.in_(wanted)))) if wanted else []


def create_enterprise(data: EnterpriseData, office: Office) -> Enterprise:
    enterprise = Enterprise(office=office)
    _apply(enterprise, data)
    db.session.add(enterprise)
    db.session.flush()
    return enterprise


def update_enterprise(enterprise: Enterprise, data: EnterpriseData) -> None:
    _apply(enterprise, data)
    db.session.flush()


def add_contact(enterprise: Enterprise, *, name: str, title=None, phone=None, email=None) -> EnterpriseContact:
    contact = EnterpriseContact(enterprise=enterprise, name=name.strip(), title=title or None,
                                phone=phone or None, email=email or None)
    db.session.add(contact)
    db.session.flush()
    return contact


class CreditError(DomainError):
    pass


def record_credit_rating(enterprise: Enterprise, *, regime: CreditRegime, level: str, valid_from: date,
                         note: str | None = None) -> CreditRating:
    """Add a dated credit level; the period before it is closed the day before it starts."""
    if level not in REGIME_LEVELS[regime]:
        raise CreditError(_("%(level)s is not a level under %(regime)s.",
                            level=CREDIT_LEVEL_LABELS.get(level, level), regime=regime.label))
    ratings = sorted(enterprise.credit_ratings, key=lambda r: r.valid_from)
    if any(r.valid_from == valid_from for r in ratings):
        raise CreditError(_("A credit level already starts on %(day)s.", day=valid_from.isoformat()))
    later = [r for r in ratings if r.valid_from > valid_from]
    earlier = [r for r in ratings if r.valid_from < valid_from]
    rating = CreditRating(enterprise=enterprise, regime=regime, level=level, valid_from=valid_from, note=note,
                          valid_to=(later[0].valid_from - timedelta(days=1)) if later else None)
    if earlier:
        previous = earlier[-1]
        if previous.valid_to is None or previous.valid_to >= valid_from:
            previous.valid_to = valid_from - timedelta(days=1)
    db.session.add(rating)
    if not later:
        enterprise.credit_level = level
    db.session.flush()
    return rating


def archive(enterprise: Enterprise) -> None:
    if enterprise.archived_at is None:
        enterprise.archived_at = utcnow()
        db.session.flush()


def restore(enterprise: Enterprise) -> None:
    if enterprise.archived_at is not None:
        enterprise.archived_at = None
        db.session.flush()



def can_edit(user: User, enterprise: Enterprise) -> bool:
    """Officers and managers edit the firms of their office's subtree; admins any."""
    if user.role is Role.ADMIN:
        return True
    return user.role in (Role.MANAGER, Role.OFFICER) and user.office.contains(enterprise.office)

