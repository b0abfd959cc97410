"""Admin forms of the working-day calendar: one override, or a pasted schedule."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from tracker.forms import BoundedDateField, select_choices
from tracker.workdays.models import OVERRIDE_KIND_LABELS
from tracker.workdays.services import NAME_MAX_LENGTH


class OverrideForm(FlaskForm):
    day = BoundedDateField(_l("Day"), validators=[DataRequired()])
    kind = SelectField(
        _l("Kind"),
        choices=select_choices((kind.value, label) for kind, label in OVERRIDE_KIND_LABELS.items()),
        validators=[DataRequired()],
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=NAME_MAX_LENGTH)])
    submit = SubmitField(_l("Add override"))


class ScheduleForm(FlaskForm):
    # One line per day; 20,000 characters is several years of schedules.
    lines = TextAreaField(_l("Schedule"), validators=[DataRequired(), Length(max=20000)],
                          render_kw={"rows": 8, "spellcheck": "false"})
    submit = SubmitField(_l("Add these days"))
