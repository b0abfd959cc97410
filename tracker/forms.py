"""Forms shared across features."""
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice


class EmptyForm(FlaskForm):
    """A POST-only button: nothing but the CSRF token."""


def select_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 wants them."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def error_summary(form: FlaskForm) -> str:
    """A form's errors on one line, for a flash message: "Label: message; Label: message"."""
    return "; ".join(f"{form[name].label.text}: {' '.join(map(str, errors))}"
                     for name, errors in form.errors.items() if name in form)
