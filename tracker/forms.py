"""Forms shared across features."""
from flask_wtf import FlaskForm


class EmptyForm(FlaskForm):
    """A POST-only button: nothing but the CSRF token."""
