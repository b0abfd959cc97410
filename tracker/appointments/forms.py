"""Forms of the booking pages: the booking's details, the move to another slot, the calendar feed's buttons."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, StopValidation

from tracker.appointments import queries, services
from tracker.appointments.models import QUANTITY
from tracker.forms import (
    BoundedDateField, BoundedIntegerField, Required, TrackerForm, raise_problem, required_message, select_choices,
    submission_key_field,
)


class RequiredNumber(InputRequired):
    """A number that must be given, 0 included (DataRequired takes 0 for nothing): its range says the rest."""

    def __call__(self, form, field):
        try:
            super().__call__(form, field)
        except StopValidation:
            raise StopValidation(required_message(field)) from None


class BookingForm(TrackerForm):
    """The last step of a booking: the slot (chosen on the page before, or among the alternatives to a
    full one) and what the firm comes for."""

    submission_key = submission_key_field()
    # Rendered by the page itself: a hidden input, or radio buttons among the alternatives of a full slot.
    slot = BoundedIntegerField(_l("Slot"), validators=[Required(message=_l("Choose a slot."))])
    enterprise = BoundedIntegerField(_l("Enterprise"), validators=[Optional()])
    certificate_type_id = SelectField(_l("Certificate type"), coerce=int, validators=[Required()])
    destination_country = SelectField(_l("Destination country"), validators=[Required()])
    quantity = BoundedIntegerField(_l("Number of certificates"), default=1,
                                   validators=[RequiredNumber(), NumberRange(min=QUANTITY[0], max=QUANTITY[1])])
    sailing_date = BoundedDateField(_l("Sailing date"), validators=[Required()])
    vessel = StringField(_l("Vessel"), validators=[Optional(), Length(max=100)])
    port = StringField(_l("Port of loading"), validators=[Optional(), Length(max=100)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Book"))

    def __init__(self, *args, locale: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # gettext-free names: they are data (the reference table, CLDR's territory names).
        self.certificate_type_id.choices = select_choices(
            [(0, _("— choose —"))] + [(t.id, t.display_name(locale)) for t in queries.certificate_types()])
        self.destination_country.choices = select_choices(
            [("", _("— choose —"))] + services.country_choices(locale))

    def validate_certificate_type_id(self, field):
        if not field.data:
            raise_problem(_("Choose %(field)s.", field=field.label.text))

    def validate_sailing_date(self, field):
        if field.data is not None and field.data < services.local_day(services.clock()):
            raise_problem(_("The sailing date cannot be in the past."))


class RescheduleForm(TrackerForm):
    slot = BoundedIntegerField(_l("Slot"), validators=[Required(message=_l("Choose a slot."))])
    submit = SubmitField(_l("Move the appointment"))


class FeedForm(TrackerForm):
    """Make (or remake) the firm's calendar feed: a new secret each time, the old one stops working."""

    submission_key = submission_key_field()
    submit = SubmitField(_l("Make a calendar feed"))
