"""Forms shared across features."""
import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from datetime import date

from wtforms import DateField, DateTimeLocalField, HiddenField, IntegerField
from wtforms.validators import InputRequired, Regexp, StopValidation, ValidationError
from wtforms.fields.choices import SelectChoice

from tracker.submissions import KEY_PATTERN


class EmptyForm(FlaskForm):
    """A POST-only button: nothing but the CSRF token."""


# Dates a user may give (a visit, a deadline, a credit rating): 0001-01-01 and 9999-12-31 parse, and
# break the working-day arithmetic or sit in the records as nonsense.
EARLIEST_DATE = date(1980, 1, 1)
LATEST_DATE = date(2099, 12, 31)


def _check_date_bounds(value: date | None) -> None:
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(_l("Give a date between %(first)s and %(last)s.", first=EARLIEST_DATE.isoformat(),
                                 last=LATEST_DATE.isoformat()))


class BoundedDateField(DateField):
    """A date between EARLIEST_DATE and LATEST_DATE."""

    def pre_validate(self, form):
        super().pre_validate(form)
        _check_date_bounds(self.data)


class BoundedDateTimeLocalField(DateTimeLocalField):
    """A date and time whose date lies between EARLIEST_DATE and LATEST_DATE."""

    def pre_validate(self, form):
        super().pre_validate(form)
        _check_date_bounds(self.data.date() if self.data is not None else None)


# The range both databases store in an INTEGER column.
DB_INT_MAX = 2**31 - 1


class BoundedIntegerField(IntegerField):
    """A whole number both databases can store. WTForms' NumberRange turns the number into a float
    (math.isnan), which overflows beyond ~1e308: a 400-digit number was a 500. One outside DB_INT_MAX is
    the field's only error; no validator sees it (DataRequired would call it missing)."""

    out_of_range = False

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.out_of_range = self.data is not None and not -DB_INT_MAX <= self.data <= DB_INT_MAX
        if self.out_of_range:
            self.data = None
            raise ValueError(_l("This number is out of range."))

    def pre_validate(self, form):
        if self.out_of_range:
            raise StopValidation()


def db_int(value) -> int:
    """A whole number both databases can store, for request.args.get(..., type=db_int): anything else
    (text, 20 digits) raises ValueError, which makes args.get give its default instead of a 500."""
    number = int(value)
    if not -DB_INT_MAX <= number <= DB_INT_MAX:
        raise ValueError("out of range")
    return number


def select_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 wants them."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def error_summary(form: FlaskForm) -> str:
    """A form's errors on one line, for a flash message: "Label: message; Label: message"."""
    return "; ".join(f"{form[name].label.text}: {' '.join(map(str, errors))}"
                     for name, errors in form.errors.items() if name in form)


def new_submission_key() -> str:
    return secrets.token_urlsafe(18)


def submission_key_field() -> HiddenField:
    """The one-time key of a form that creates something (tracker.submissions): made when the form is
    rendered, sent back with it. A post without one (a stale page, a forged request) creates nothing."""
    return HiddenField(_l("Form"), default=new_submission_key, validators=[
        InputRequired(message=_l("The form has expired. Reload the page and send it again.")),
        Regexp(KEY_PATTERN, message=_l("The form has expired. Reload the page and send it again."))])
