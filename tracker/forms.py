"""Forms shared across features: the base form, its messages, bounded fields and the error summary."""
import secrets

from flask_babel import get_locale, get_translations, gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtforms_translations
from datetime import date

from wtforms import DateField, DateTimeLocalField, Form, HiddenField, IntegerField
from wtforms.meta import DefaultMeta
from wtforms.validators import DataRequired, InputRequired, Regexp, StopValidation, ValidationError
from wtforms.fields.choices import SelectChoice

from tracker.submissions import KEY_PATTERN


def N_(message: str) -> str:
    """Marks a message for the catalog without translating it here (pybabel's default keyword)."""
    return message


# WTForms' own messages, which the tracker's catalog words naturally (WTForms' bundled Chinese reads
# "该字段是必填字段。"); WTForms formats them with its own values (%(max)d ...) after translation.
WTFORMS_MESSAGES = (
    N_("This field is required."), N_("Invalid input."), N_("Invalid email address."),
    N_("Field must be equal to %(other_name)s."),
    N_("Field must be between %(min)d and %(max)d characters long."),
    N_("Number must be at least %(min)s."), N_("Number must be at most %(max)s."),
    N_("Number must be between %(min)s and %(max)s."),
    N_("Not a valid choice."), N_("Invalid Choice: could not coerce."),
    N_("Invalid choice(s): one or more data inputs could not be coerced."),
    N_("Not a valid date value."), N_("Not a valid datetime value."), N_("Not a valid time value."),
    N_("Not a valid integer value."), N_("Not a valid decimal value."), N_("Not a valid float value."),
)
# WTForms asks for these with ngettext; Chinese has one form, so each form is a message of its own here
# (and the catalog keeps no plural entries).
WTFORMS_PLURALS = (
    N_("Field must be at least %(min)d character long."), N_("Field must be at least %(min)d characters long."),
    N_("Field cannot be longer than %(max)d character."), N_("Field cannot be longer than %(max)d characters."),
    N_("Field must be exactly %(max)d character long."), N_("Field must be exactly %(max)d characters long."),
    N_("'%(value)s' is not a valid choice for this field."), N_("'%(value)s' are not valid choices for this field."),
)


class _Messages:
    """WTForms' translations: the tracker's catalog first, WTForms' own catalog for anything else.
    Unformatted, as WTForms formats them itself."""

    @staticmethod
    def _ours(found: str, original: str) -> bool:
        return found != original or str(get_locale() or "").startswith("en")

    def gettext(self, string):
        found = get_translations().ugettext(string)
        return found if self._ours(found, string) else wtforms_translations.gettext(string)

    def ngettext(self, singular, plural, n):
        original = singular if n == 1 else plural
        found = get_translations().ugettext(original)
        return found if self._ours(found, original) else wtforms_translations.ngettext(singular, plural, n)


MESSAGES = _Messages()


class TrackerForm(FlaskForm):
    """Every page's form: CSRF (Flask-WTF) and WTForms' messages in the tracker's own words."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return MESSAGES


class SubForm(Form):
    """A form nested in another (FormField rows): no CSRF of its own, the same messages."""

    class Meta(DefaultMeta):
        def get_translations(self, form):
            return MESSAGES


class Required(DataRequired):
    """DataRequired whose message names the field, as a person would ask: 请填写向企业作出的说明。 / 请选择类别。"""

    def __call__(self, form, field):
        try:
            super().__call__(form, field)
        except StopValidation:
            raise StopValidation(self.message or required_message(field)) from None


def required_message(field) -> str:
    label = field.label.text
    if field.type in ("SelectField", "SelectMultipleField", "RadioField", "MultiCheckboxField"):
        return _("Choose %(field)s.", field=label)
    return _("Fill in %(field)s.", field=label)


class EmptyForm(TrackerForm):
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


def raise_problem(problem: str | None) -> None:
    """A rule's refusal (tracker.dates) as the field's error."""
    if problem:
        raise ValidationError(problem)


def select_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 wants them."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def error_messages(form) -> list[str]:
    """Every error of a form, nested rows included, each naming its field: the message itself when it
    does (请填写向企业作出的说明。), else "label: message" in the interface's punctuation."""
    messages = []
    for field in form:
        if hasattr(field, "entries"):  # FieldList
            for entry in field.entries:
                messages += error_messages(entry.form) if hasattr(entry, "form") else _named(entry)
        elif hasattr(field, "form") and isinstance(getattr(field, "form"), Form):  # FormField
            messages += error_messages(field.form)
        else:
            messages += _named(field)
    return messages


def _named(field) -> list[str]:
    if field.type == "CSRFTokenField" and field.errors:
        return [_("The form has expired. Please submit it again.")]
    if field.type == "HiddenField":  # the user never saw its label (the submission key says what to do)
        return [str(e) for e in field.errors]
    label = str(field.label.text)
    return [str(e) if label and label in str(e) else _("%(label)s: %(message)s", label=label, message=str(e))
            for e in field.errors]


def error_summary(form: FlaskForm) -> str:
    """A form's errors in one line, for a flash message; Chinese sentences follow one another without
    spaces (请填写原因。请选择决定。), English ones with one."""
    separator = "" if str(get_locale() or "zh").startswith("zh") else " "
    return separator.join(error_messages(form))


def new_submission_key() -> str:
    return secrets.token_urlsafe(18)


def submission_key_field() -> HiddenField:
    """The one-time key of a form that creates something (tracker.submissions): made when the form is
    rendered, sent back with it. A post without one (a stale page, a forged request) creates nothing."""
    return HiddenField(_l("Form"), default=new_submission_key, validators=[
        InputRequired(message=_l("The form has expired. Reload the page and send it again.")),
        Regexp(KEY_PATTERN, message=_l("The form has expired. Reload the page and send it again."))])
