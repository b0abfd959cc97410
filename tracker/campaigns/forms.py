"""Campaign forms."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from tracker.extensions import db
from tracker.forms import BoundedDateField, BoundedIntegerField, Required, TrackerForm, select_choices, submission_key_field
from tracker.offices.models import Office
from tracker.permissions import scope_offices


class CampaignForm(TrackerForm):
    submission_key = submission_key_field()
    name = StringField(_l("Name"), validators=[Required(), Length(max=200)])
    office_id = SelectField(_l("Customs office"), coerce=int)
    declaration_year = BoundedIntegerField(_l("Declaration year"), validators=[Required(), NumberRange(1980, 2200)])
    threshold = BoundedIntegerField(_l("Threshold (declarations a year)"), default=80,
                             validators=[Required(), NumberRange(min=1, max=1_000_000)])
    starts_on = BoundedDateField(_l("Starts on"), validators=[Optional()])
    ends_on = BoundedDateField(_l("Ends on"), validators=[Optional()])
    submit = SubmitField(_l("Create campaign"))

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        offices = db.session.scalars(scope_offices(sa.select(Office), user).order_by(Office.path)).all()
        self.office_id.choices = select_choices((o.id, "\u3000" * o.depth + o.name) for o in offices)

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The campaign cannot end before it starts."))


class IncludeForm(TrackerForm):
    code = StringField(_l("USCC or customs code"), validators=[Required(), Length(max=40)])
    reason = StringField(_l("Reason"), validators=[Required(), Length(max=500)])
    submit = SubmitField(_l("Add to roster"))


class ExcludeForm(TrackerForm):
    reason = StringField(_l("Reason"), validators=[Required(), Length(max=500)])
    submit = SubmitField(_l("Remove"))
