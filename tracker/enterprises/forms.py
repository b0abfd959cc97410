"""Enterprise forms. Field rules live in tracker.enterprises.services.validate, shared with the API."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from tracker.auth.models import Role, User
from tracker.enterprises.models import TradeMode
from tracker.enterprises.reference import CREDIT_LEVEL_LABELS, ECONOMIC_TYPES, REGIME_LABELS
from tracker.extensions import db
from tracker.forms import BoundedDateField, select_choices, submission_key_field
from tracker.offices.models import Office
from tracker.permissions import scope_offices


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EnterpriseForm(FlaskForm):
    submission_key = submission_key_field()
    name = StringField(_l("Enterprise name"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("English name"), validators=[Optional(), Length(max=300)])
    uscc = StringField(_l("Unified social credit code"), validators=[DataRequired(), Length(max=40)])
    uscc_override_reason = StringField(
        _l("Reason to accept a code whose check character fails"), validators=[Optional(), Length(max=500)]
    )
    customs_code = StringField(_l("Customs registration code"), validators=[Optional(), Length(max=20)])
    office_id = SelectField(_l("Customs office"), coerce=int)
    district = StringField(_l("District"), validators=[Optional(), Length(max=100)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    industry = StringField(_l("Industry"), validators=[Optional(), Length(max=100)])
    economic_type = SelectField(_l("Economic type"), validators=[Optional()])
    is_key = BooleanField(_l("Key firm"))
    assigned_officer_id = SelectField(_l("Assigned officer"), coerce=int)
    trade_modes = MultiCheckboxField(_l("Trade modes"))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])
    # The version_id the record had when the form was opened (optimistic locking, tracker.views).
    version = HiddenField()
    submit = SubmitField(_l("Save"))

    def __init__(self, user: User, *args, **kwargs):
        super().__init__(*args, **kwargs)
        offices = db.session.scalars(scope_offices(sa.select(Office), user).order_by(Office.path)).all()
        self.office_id.choices = select_choices((o.id, "\u3000" * o.depth + o.name) for o in offices)
        officers = db.session.scalars(
            sa.select(User).where(User.role.in_([Role.OFFICER, Role.MANAGER]), User.active.is_(True),
                                  User.office_id.in_([o.id for o in offices])).order_by(User.username)
        ).all()
        self.assigned_officer_id.choices = select_choices(
            [(0, _l("— none —"))] + [(u.id, u.label) for u in officers]
        )
        self.economic_type.choices = select_choices([("", _l("— not given —"))] + list(ECONOMIC_TYPES.items()))
        modes = db.session.scalars(sa.select(TradeMode).where(TradeMode.active.is_(True)).order_by(TradeMode.code))
        self.trade_modes.choices = select_choices((m.code, f"{m.code} {m.name}") for m in modes)

    def data_for_service(self) -> dict:
        return {
            "name": self.name.data, "name_en": self.name_en.data, "uscc": self.uscc.data,
            "uscc_override_reason": self.uscc_override_reason.data, "customs_code": self.customs_code.data,
            "district": self.district.data, "address": self.address.data, "industry": self.industry.data,
            "economic_type": self.economic_type.data or None, "is_key": self.is_key.data,
            "assigned_officer_id": self.assigned_officer_id.data or None, "trade_modes": self.trade_modes.data or [],
            "notes": self.notes.data,
        }


class ContactForm(FlaskForm):
    submission_key = submission_key_field()
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=100)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=50)])
    email = StringField(_l("Email"), validators=[Optional(), Length(max=200), Email(check_deliverability=False)])
    submit = SubmitField(_l("Add contact"))


class CreditRatingForm(FlaskForm):
    submission_key = submission_key_field()
    regime = SelectField(_l("Regime"), choices=select_choices((r.value, label) for r, label in REGIME_LABELS.items()))
    level = SelectField(_l("Credit level"), choices=select_choices(CREDIT_LEVEL_LABELS.items()))
    valid_from = BoundedDateField(_l("From"), validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Add credit level"))
