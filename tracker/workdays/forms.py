"""Admin forms of the working-day calendar: one override, or a pasted schedule."""
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length

from tracker.forms import BoundedDateField, Required, TrackerForm, select_choices
from tracker.workdays.models import OVERRIDE_KIND_LABELS
from tracker.workdays.services import NAME_MAX_LENGTH


class OverrideForm(TrackerForm):
    day = BoundedDateField(_l("Day"), validators=[Required()])
    kind = SelectField(
        _l("Kind"),
        choices=select_choices((kind.value, label) for kind, label in OVERRIDE_KIND_LABELS.items()),
        validators=[Required()],
    )
    name = StringField(_l("Name"), validators=[Required(), Length(max=NAME_MAX_LENGTH)])
    submit = SubmitField(_l("Add override"))


class ScheduleForm(TrackerForm):
    # One line per day; 20,000 characters is several years of schedules.
    lines = TextAreaField(_l("Schedule"), validators=[Required(), Length(max=20000)],
                          render_kw={"rows": 8, "spellcheck": "false"})
    submit = SubmitField(_l("Add these days"))
