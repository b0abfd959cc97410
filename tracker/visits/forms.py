"""The visit form: one page an officer fills in on his phone, with the needs the firm raised."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    FieldList, Form, FormField, HiddenField, SelectField, SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from tracker.auth.models import Role, User
from tracker.campaigns.models import Campaign
from tracker.enterprises.forms import MultiCheckboxField
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.forms import BoundedDateField, BoundedDateTimeLocalField, select_choices, submission_key_field
from tracker.offices.models import Department, Office
from tracker.needs.models import NeedCategory
from tracker.visits.models import CALLBACK_CHANNEL_LABELS, VISIT_TYPE_LABELS, PolicyTopic
from tracker.visits.services import CALLBACK_NOTE_MAX

# Empty need rows offered on a new visit; rows left blank are ignored.
NEED_ROWS = 3


class NeedRowForm(Form):
    """One need raised at the visit (no CSRF of its own: it lives inside the visit form)."""

    category_id = SelectField(_l("Need category"), coerce=int, validators=[Optional()])
    content = TextAreaField(_l("What the firm needs"), validators=[Optional(), Length(max=2000)])
    department_id = SelectField(_l("Responsible department"), coerce=int, validators=[Optional()])

    def validate(self, extra_validators=None):
        """A row with text needs a category. Checked after the fields' own validators, since Optional()
        ends the category's chain (inline validator included) when none is chosen."""
        valid = super().validate(extra_validators)
        if (self.content.data or "").strip() and not self.category_id.data:
            self.category_id.errors = [*self.category_id.errors, _l("Choose a category for this need.")]
            return False
        return valid


class VisitForm(FlaskForm):
    submission_key = submission_key_field()
    visited_at = BoundedDateTimeLocalField(_l("Date and time"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    visit_type = SelectField(_l("Type of visit"), choices=select_choices(
        (t.value, label) for t, label in VISIT_TYPE_LABELS.items()))
    campaign_id = SelectField(_l("Campaign"), coerce=int)
    officers = MultiCheckboxField(_l("Officers"), coerce=int)
    contacts = MultiCheckboxField(_l("Attendees from the firm's contacts"), coerce=int)
    other_attendees = TextAreaField(_l("Other attendees (one a line: name, title)"),
                                    validators=[Optional(), Length(max=2000)])
    topics = MultiCheckboxField(_l("Policy topics introduced"), coerce=int)
    summary = TextAreaField(_l("Summary"), validators=[DataRequired(), Length(max=10000)])
    findings = TextAreaField(_l("Findings"), validators=[Optional(), Length(max=10000)])
    follow_up_on = BoundedDateField(_l("Follow-up date"), validators=[Optional()])
    needs = FieldList(FormField(NeedRowForm), min_entries=NEED_ROWS, max_entries=10)
    # The version_id the record had when the form was opened (optimistic locking, tracker.views).
    version = HiddenField()
    submit = SubmitField(_l("Save visit"))

    def __init__(self, user: User, enterprise: Enterprise, *args, with_needs: bool = True,
                 current_officers: list[User] = (), **kwargs):
        super().__init__(*args, **kwargs)
        office = enterprise.office
        # Officers of the firm's office and of the offices above it, as far as the user can see.
        officers = db.session.scalars(
            sa.select(User).join(Office, Office.id == User.office_id)
            .where(User.role.in_([Role.OFFICER, Role.MANAGER]), User.active.is_(True),
                   sa.literal(office.path).startswith(Office.path),
                   Office.path.startswith(user.office.path if not user.is_admin else "/", autoescape=True))
            .order_by(User.username)).all()
        # Whoever made the visit stays choosable on edit (moved or deactivated since).
        officers = list(officers) + [u for u in current_officers if u not in officers]
        self.officers.choices = select_choices((u.id, u.label) for u in officers)
        self.contacts.choices = select_choices(
            (c.id, f"{c.name} · {c.title}" if c.title else c.name) for c in enterprise.contacts)
        topics = db.session.scalars(sa.select(PolicyTopic).where(PolicyTopic.active.is_(True)).order_by(PolicyTopic.id))
        self.topics.choices = select_choices((t.id, t.name) for t in topics)
        campaigns = db.session.scalars(
            sa.select(Campaign).join(Office, Office.id == Campaign.office_id)
            .where(sa.literal(office.path).startswith(Office.path))
            .order_by(Campaign.declaration_year.desc(), Campaign.id.desc())).all()
        self.campaign_id.choices = select_choices([(0, _l("— none —"))] + [(c.id, c.name) for c in campaigns])
        if not with_needs:
            del self.needs
            return
        categories = db.session.scalars(
            sa.select(NeedCategory).where(NeedCategory.active.is_(True)).order_by(NeedCategory.id)).all()
        departments = db.session.scalars(
            sa.select(Department).join(Office, Office.id == Department.office_id)
            .where(Department.active.is_(True), sa.literal(office.path).startswith(Office.path))
            .order_by(Department.name)).all()
        for row in self.needs:
            row.category_id.choices = select_choices([(0, _l("— no need —"))] + [(c.id, c.name) for c in categories])
            row.department_id.choices = select_choices([(0, _l("— later —"))] + [(d.id, d.name) for d in departments])

    def validate_officers(self, field):
        if not field.data:
            raise ValidationError(_l("Name at least one officer who made the visit."))

    def typed_attendees(self) -> list[tuple[str, str | None]]:
        rows = []
        for line in (self.other_attendees.data or "").splitlines():
            parts = [p.strip() for p in line.replace("，", ",").split(",", 1)]
            if parts[0]:
                rows.append((parts[0][:100], (parts[1][:100] or None) if len(parts) > 1 else None))
        return rows



class CallbackForm(FlaskForm):
    """A follow-up (回访) held about a visit: sending this form is the confirmation."""

    submission_key = submission_key_field()
    held_on = BoundedDateField(_l("Date of the follow-up"), validators=[DataRequired()])
    channel = SelectField(_l("How the firm was reached"), choices=select_choices(
        (c.value, label) for c, label in CALLBACK_CHANNEL_LABELS.items()))
    note = TextAreaField(_l("What came of it"), validators=[
        DataRequired(message=_l("Say what came of the follow-up.")), Length(max=CALLBACK_NOTE_MAX)])
    submit = SubmitField(_l("Record the follow-up"))
