"""Forms shared across features."""
import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import InputRequired, Regexp
from wtforms.fields.choices import SelectChoice

from tracker.submissions import KEY_PATTERN


class EmptyForm(FlaskForm):
    """A POST-only button: nothing but the CSRF token."""


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
