"""Sign-in and password forms."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import EqualTo, Length, ValidationError

from tracker.security import check_new_password
from tracker.forms import Required, TrackerForm


class LoginForm(TrackerForm):
    username = StringField(_l("Username"), validators=[Required(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[Required(), Length(max=128)])
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class NewPasswordMixin:
    new_password = PasswordField(_l("New password"), validators=[Required()])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[Required(), EqualTo("new_password", message=_l("The two passwords do not match."))],
    )

    username_for_check: str | None = None

    def validate_new_password(self, field):
        reason = check_new_password(field.data or "", self.username_for_check)
        if reason:
            raise ValidationError(reason)


class ChangePasswordForm(NewPasswordMixin, TrackerForm):
    current_password = PasswordField(_l("Current password"), validators=[Required()])
    submit = SubmitField(_l("Change password"))

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.username_for_check = user.username

    def validate_current_password(self, field):
        from tracker.auth.services import verify_password

        if not verify_password(self.user, field.data or ""):
            raise ValidationError(_l("The current password is not correct."))


class LanguageForm(TrackerForm):
    lang = HiddenField(validators=[Required()])
    next = HiddenField()
