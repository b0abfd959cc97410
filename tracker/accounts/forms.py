"""Forms of the contact accounts: the officer's invitation, the contact's own sign-up, and the reset."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from wtforms import StringField, SubmitField
from wtforms.validators import Email, Length, Optional, Regexp, ValidationError

from tracker.auth.forms import NewPasswordMixin
from tracker.auth.models import User
from tracker.extensions import db
from tracker.forms import Required, TrackerForm, submission_key_field


class InviteForm(TrackerForm):
    submission_key = submission_key_field()
    display_name = StringField(_l("Name"), validators=[Required(), Length(max=100)])
    title = StringField(_l("Post"), validators=[Optional(), Length(max=40)],
                        description=_l("For example 单证员 or 关务经理."))
    email = StringField(_l("Email"), validators=[Optional(), Length(max=200), Email(check_deliverability=False)],
                        description=_l("The link is also mailed here; leave empty to pass it on yourself."))
    submit = SubmitField(_l("Create the invitation"))


class JoinForm(NewPasswordMixin, TrackerForm):
    username = StringField(
        _l("Username"),
        validators=[Required(), Length(min=2, max=64),
                    Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Use letters, digits, dots, hyphens and underscores only."))],
        description=_l("You sign in with it; letters, digits, dots, hyphens and underscores."))
    display_name = StringField(_l("Your name"), validators=[Required(), Length(max=100)])
    submit = SubmitField(_l("Open my account"))

    def validate(self, extra_validators=None):
        self.username_for_check = self.username.data  # the password may not resemble it
        return super().validate(extra_validators)

    def validate_username(self, field):
        taken = db.session.scalar(sa.select(User.id).where(User.username == (field.data or "").strip().lower()))
        if taken:
            raise ValidationError(_l("This username is already taken."))


class ForgotPasswordForm(TrackerForm):
    email = StringField(_l("Email"), validators=[Required(), Length(max=200), Email(check_deliverability=False)])
    submit = SubmitField(_l("Send me a link"))


class ResetPasswordForm(NewPasswordMixin, TrackerForm):
    submit = SubmitField(_l("Set the new password"))

    def __init__(self, username: str | None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.username_for_check = username
