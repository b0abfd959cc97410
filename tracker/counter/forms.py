"""Forms of the counter's pages: the steps (call, complete, wasted trip), walk-ins, hall displays and the
counter's settings. Each takes its choices through __init__, so that a page builds them from one read."""
from datetime import time

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, FormField, HiddenField, SelectField, StringField, SubmitField, TimeField
from wtforms.validators import NumberRange, Optional, Length, ValidationError

from tracker.appointments.models import (
    BOOKING_DAYS, CAPACITY, GRACE_MINUTES, MIN_NOTICE_MINUTES, QUANTITY, SLOT_MINUTES, WASTED_REASON_LABELS,
    WastedReason,
)
from tracker.forms import (
    BoundedDateField, BoundedIntegerField, Required, SubForm, TrackerForm, select_choices, submission_key_field,
)

WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
            _l("Sunday"))
ISSUED_LINES = 3


class CallForm(TrackerForm):
    window_id = SelectField(_l("Window"), coerce=int, validators=[Required()])
    submit = SubmitField(_l("Call"))

    def __init__(self, windows, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.window_id.choices = select_choices((w.id, w.label) for w in windows)


class IssuedLineForm(SubForm):
    certificate_type_id = SelectField(_l("Certificate type"), coerce=int)
    quantity = BoundedIntegerField(_l("Number"), validators=[
        Optional(), NumberRange(min=QUANTITY[0], max=QUANTITY[1])])


class CompleteForm(TrackerForm):
    """The certificates issued, by type: one line or more (an empty line is left out)."""
    lines = FieldList(FormField(IssuedLineForm), min_entries=ISSUED_LINES, max_entries=ISSUED_LINES)
    submit = SubmitField(_l("Complete"))

    def __init__(self, certificate_types, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = select_choices([(0, _l("— none —"))] + [(t.id, t.name) for t in certificate_types])
        for entry in self.lines:
            entry.form.certificate_type_id.choices = choices

    def validate_lines(self, field):
        if not any(e.form.certificate_type_id.data and e.form.quantity.data for e in field.entries):
            raise ValidationError(_("Say which certificates were issued, or record a wasted trip."))

    def issued(self, by_id: dict) -> list:
        return [(by_id.get(e.form.certificate_type_id.data), e.form.quantity.data) for e in self.lines.entries
                if e.form.certificate_type_id.data and e.form.quantity.data]


class WastedForm(TrackerForm):
    reason = SelectField(_l("Reason for the wasted trip"), validators=[Required()], choices=select_choices(
        [("", _l("— choose —"))] + [(r.value, label) for r, label in WASTED_REASON_LABELS.items()]))
    note = StringField(_l("Details"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Record wasted trip"))

    def validate_note(self, field):
        if self.reason.data == WastedReason.OTHER.value and not (field.data or "").strip():
            raise ValidationError(_("Say what the other reason was."))


class WalkInForm(TrackerForm):
    submission_key = submission_key_field()
    enterprise_id = SelectField(_l("Enterprise"), coerce=int)
    visitor_name = StringField(_l("Or the visitor's firm name"), validators=[Optional(), Length(max=200)])
    certificate_type_id = SelectField(_l("Certificate type"), coerce=int, validators=[Required()])
    destination_country = SelectField(_l("Destination country"), validators=[Required()])
    quantity = BoundedIntegerField(_l("Number of certificates"), default=1, validators=[
        Required(), NumberRange(min=QUANTITY[0], max=QUANTITY[1])])
    sailing_date = BoundedDateField(_l("Sailing date"), validators=[Optional()])
    submit = SubmitField(_l("Add to the queue"))

    def __init__(self, enterprises, certificate_types, countries, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.enterprise_id.choices = select_choices([(0, _l("— a visitor, not in the registry —"))]
                                                    + [(e.id, e.name) for e in enterprises])
        self.certificate_type_id.choices = select_choices([(t.id, t.name) for t in certificate_types])
        self.destination_country.choices = select_choices([("", _l("— choose —"))] + list(countries))

    def validate_visitor_name(self, field):
        if not self.enterprise_id.data and not (field.data or "").strip():
            raise ValidationError(_("Choose the firm, or give the visitor's firm name."))


class DisplayForm(TrackerForm):
    submission_key = submission_key_field()
    name = StringField(_l("Screen name"), validators=[Required(), Length(max=100)],
                       description=_l("Where the screen stands, e.g. 大厅东侧"))
    submit = SubmitField(_l("Create display link"))


class NewPointForm(TrackerForm):
    submission_key = submission_key_field()
    office_id = SelectField(_l("Office"), coerce=int, validators=[Required()])
    name = StringField(_l("Name"), validators=[Required(), Length(max=100)])
    windows = BoundedIntegerField(_l("Number of windows"), default=2, validators=[
        Required(), NumberRange(min=1, max=99)])
    submit = SubmitField(_l("Create counter"))

    def __init__(self, offices, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.office_id.choices = select_choices((o.id, o.name) for o in offices)


class PeriodForm(SubForm):
    opens = TimeField(_l("Opens"), validators=[Optional()])
    closes = TimeField(_l("Closes"), validators=[Optional()])

    def validate_closes(self, field):
        if (self.opens.data is None) != (field.data is None):
            raise ValidationError(_("Give both the opening and the closing time, or neither."))
        if self.opens.data is not None and field.data is not None and self.opens.data >= field.data:
            raise ValidationError(_("Opening hours must open before they close (%(opens)s-%(closes)s).",
                                    opens=self.opens.data.strftime("%H:%M"), closes=field.data.strftime("%H:%M")))


class DayForm(SubForm):
    first = FormField(PeriodForm)
    second = FormField(PeriodForm)


def _bounded(label, bounds, **kw):
    return BoundedIntegerField(label, validators=[Required() if bounds[0] > 0 else Optional(),
                                                  NumberRange(min=bounds[0], max=bounds[1])], **kw)


class SettingsForm(TrackerForm):
    name = StringField(_l("Name"), validators=[Required(), Length(max=100)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    slot_minutes = _bounded(_l("Slot length (minutes)"), SLOT_MINUTES)
    capacity = _bounded(_l("Firms per slot"), CAPACITY)
    booking_days = _bounded(_l("Booking window (days ahead)"), BOOKING_DAYS)
    min_notice_minutes = _bounded(_l("Minimum notice (minutes)"), MIN_NOTICE_MINUTES)
    grace_minutes = _bounded(_l("No-show grace period (minutes)"), GRACE_MINUTES)
    active = BooleanField(_l("Taking bookings"))
    windows = BoundedIntegerField(_l("Number of windows"), validators=[Required(), NumberRange(min=1, max=99)])
    days = FieldList(FormField(DayForm), min_entries=7, max_entries=7)
    version = HiddenField()
    submit = SubmitField(_l("Save"))

    def fill_hours(self, point) -> None:
        """The point's periods into the grid (the first two of each weekday)."""
        for weekday in range(7):
            periods = point.periods_on(weekday)[:2]
            day = self.days.entries[weekday].form
            for sub, period in zip((day.first.form, day.second.form), periods):
                sub.opens.data, sub.closes.data = period.opens, period.closes

    def hours(self) -> list[tuple[int, time, time]]:
        out = []
        for weekday, entry in enumerate(self.days.entries):
            for sub in (entry.form.first.form, entry.form.second.form):
                if sub.opens.data is not None and sub.closes.data is not None:
                    out.append((weekday, sub.opens.data, sub.closes.data))
        return out
