"""Forms shared across features."""
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice


class EmptyForm(FlaskForm):
    """A POST-only button: nothing but the CSRF token."""


def select_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 wants them."""
    return [SelectChoice(str(value), label) for value, label in pairs]
