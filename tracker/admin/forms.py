"""Admin forms: users, offices, departments, audit filters."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import Email, Length, Optional, Regexp, ValidationError

from tracker.auth.forms import NewPasswordMixin
from tracker.auth.models import ROLE_LABELS, Role, User
from tracker.audit.models import ACTION_LABELS
from tracker.enterprises.identifiers import normalise_code
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.forms import BoundedDateField, Required, TrackerForm, select_choices
from tracker.offices.models import Department, Office


def office_choices():
    offices = db.session.scalars(sa.select(Office).order_by(Office.path))
    return select_choices((o.id, "\u3000" * o.depth + f"{o.name} ({o.code})") for o in offices)


class UserCreateForm(NewPasswordMixin, TrackerForm):
    username = StringField(
        _l("Username"),
        validators=[
            Required(),
            Length(min=2, max=64),
            Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Use letters, digits, dots, hyphens and underscores only.")),
        ],
    )
    display_name = StringField(_l("Display name"), validators=[Required(), Length(max=100)])
    title = StringField(_l("Post"), validators=[Optional(), Length(max=40)])
    email = StringField(_l("Email"), validators=[Optional(), Length(max=200), Email()])
    role = SelectField(_l("Role"), choices=select_choices((r.value, ROLE_LABELS[r]) for r in Role), validators=[Required()])
    office_id = SelectField(_l("Office"), coerce=int, validators=[Optional()])
    enterprise_uscc = StringField(
        _l("Enterprise (USCC, contacts only)"), validators=[Optional(), Length(max=40)]
    )
    submit = SubmitField(_l("Create user"))

    enterprise: Enterprise | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.office_id.choices = office_choices()

    def validate_username(self, field):
        self.username_for_check = field.data
        taken = db.session.scalar(sa.select(User.id).where(User.username == field.data.strip().lower()))
        if taken:
            raise ValidationError(_l("This username is already taken."))

    def validate_enterprise_uscc(self, field):
        if self.role.data != Role.ENTERPRISE_CONTACT.value:
            if field.data:
                raise ValidationError(_l("Only enterprise contacts belong to an enterprise."))
            return
        if not field.data:
            raise ValidationError(_l("An enterprise contact must belong to an enterprise."))
        code = normalise_code(field.data)
        self.enterprise = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == code))
        if self.enterprise is None:
            raise ValidationError(_l("No enterprise has this unified social credit code."))

    def validate_office_id(self, field):
        if self.role.data != Role.ENTERPRISE_CONTACT.value and not field.data:
            raise ValidationError(_l("Choose an office."))


class UserProfileForm(TrackerForm):
    """The name and post (职务) of an existing user: how every page and picker names him."""

    display_name = StringField(_l("Display name"), validators=[Required(), Length(max=100)])
    title = StringField(_l("Post"), validators=[Optional(), Length(max=40)])
    # Where reminders and notices are e-mailed (the counter's); empty: in-app notices only.
    email = StringField(_l("Email"), validators=[Optional(), Length(max=200), Email()])
    submit = SubmitField(_l("Save name and post"))


class ResetPasswordForm(NewPasswordMixin, TrackerForm):
    submit = SubmitField(_l("Set password"))

    def __init__(self, user: User, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.username_for_check = user.username


class OfficeForm(TrackerForm):
    code = StringField(
        _l("Code"),
        validators=[Required(), Regexp(r"^\d{4}$", message=_l("An office code has four digits."))],
    )
    name = StringField(_l("Name"), validators=[Required(), Length(max=100)])
    name_en = StringField(_l("English name"), validators=[Optional(), Length(max=200)])
    parent_id = SelectField(_l("Parent office"), coerce=int)
    submit = SubmitField(_l("Add office"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parent_id.choices = office_choices()

    def validate_code(self, field):
        if db.session.scalar(sa.select(Office.id).where(Office.code == field.data)):
            raise ValidationError(_l("An office with this code already exists."))

    def validate_name(self, field):
        if db.session.scalar(sa.select(Office.id).where(Office.name == field.data.strip())):
            raise ValidationError(_l("An office with this name already exists."))


class DepartmentForm(TrackerForm):
    office_id = SelectField(_l("Office"), coerce=int)
    name = StringField(_l("Department"), validators=[Required(), Length(max=100)])
    name_en = StringField(_l("English name"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Add department"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.office_id.choices = office_choices()

    def validate_name(self, field):
        if self.office_id.errors:  # not an office of the list (a number no column holds, say): no lookup
            return
        exists = db.session.scalar(
            sa.select(Department.id).where(
                Department.office_id == self.office_id.data, Department.name == field.data.strip()
            )
        )
        if exists:
            raise ValidationError(_l("This office already has a department with this name."))


class AuditFilterForm(TrackerForm):
    """A GET form: no CSRF token, values come from the query string."""

    class Meta:
        csrf = False

    entity_type = SelectField(_l("Record type"), validators=[Optional()])
    entity_id = StringField(_l("Record id"), validators=[Optional(), Length(max=64)])
    actor = StringField(_l("By"), validators=[Optional(), Length(max=100)])
    action = SelectField(
        _l("Action"),
        choices=select_choices([("", _l("Any"))] + [(a.value, label) for a, label in ACTION_LABELS.items()]),
        validators=[Optional()],
    )
    date_from = BoundedDateField(_l("From"), validators=[Optional()])
    date_to = BoundedDateField(_l("To"), validators=[Optional()])
