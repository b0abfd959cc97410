"""The visit form: one page an officer fills in on his phone, with the needs the firm raised."""
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from wtforms import (
    FieldList, FormField, HiddenField, SelectField, SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from tracker import dates
from tracker.auth.models import Role, User
from tracker.campaigns.models import Campaign, RosterEntry
from tracker.enterprises.forms import MultiCheckboxField
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.forms import (
    BoundedDateField, BoundedDateTimeLocalField, Required, SubForm, TrackerForm, select_choices, submission_key_field,
)
from tracker.offices.models import Department, Office
from tracker.needs.models import NeedCategory
from tracker.visits.models import CALLBACK_CHANNEL_LABELS, VISIT_TYPE_LABELS, PolicyTopic
from tracker.visits.services import CALLBACK_NOTE_MAX

# Empty need rows offered on a new visit; rows left wholly blank are ignored.
NEED_ROWS = 3


class NeedRowForm(SubForm):
    """One need raised at the visit (no CSRF of its own: it lives inside the visit form). A row is either
    empty (skipped) or complete: a category without text, or text without a category, is an error on
    that row, never a silent skip."""

    category_id = SelectField(_l("Need category"), coerce=int, validators=[Optional()])
    content = TextAreaField(_l("What the firm needs"), validators=[Optional(), Length(max=2000)])
    department_id = SelectField(_l("Responsible department"), coerce=int, validators=[Optional()])

    def is_empty(self) -> bool:
        return not (self.content.data or "").strip() and not self.category_id.data

    def validate(self, extra_validators=None):
        """Checked after the fields' own validators, since Optional() ends a field's chain (inline
        validators included) when it is left empty."""
        valid = super().validate(extra_validators)
        has_text = bool((self.content.data or "").strip())
        if has_text and not self.category_id.data:
            self.category_id.errors = [*self.category_id.errors, _l("Choose a category for this need.")]
            valid = False
        elif self.category_id.data and not has_text:
            self.content.errors = [*self.content.errors, _l("Say what the firm needs, or set the row's category "
                                                             "back to none.")]
            valid = False
        return valid


class VisitForm(TrackerForm):
    submission_key = submission_key_field()
    visited_at = BoundedDateTimeLocalField(_l("Date and time"), format="%Y-%m-%dT%H:%M", validators=[Required()])
    visit_type = SelectField(_l("Type of visit"), choices=select_choices(
        (t.value, label) for t, label in VISIT_TYPE_LABELS.items()))
    campaign_id = SelectField(_l("Campaign"), coerce=int)
    officers = MultiCheckboxField(_l("Officers"), coerce=int)
    contacts = MultiCheckboxField(_l("Attendees from the firm's contacts"), coerce=int)
    other_attendees = TextAreaField(_l("Other attendees (one a line: name, title)"),
                                    validators=[Optional(), Length(max=2000)])
    topics = MultiCheckboxField(_l("Policy topics introduced"), coerce=int)
    summary = TextAreaField(_l("Summary"), validators=[Required(), Length(max=10000)])
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
        # Each option carries its year: the page re-picks the campaign when the visit's date changes
        # (static/js/visit-form.js), and validate_campaign_id checks the year (tracker.dates).
        # Only a campaign whose roster holds the firm is picked by itself (services.default_campaign).
        self.campaign_years = {c.id: c.declaration_year for c in campaigns}
        on_roster = set(db.session.scalars(sa.select(RosterEntry.campaign_id).where(
            RosterEntry.enterprise_id == enterprise.id, RosterEntry.campaign_id.in_(self.campaign_years))))
        self.campaign_id.choices = [SelectChoice("0", _l("— none —"))] + [
            SelectChoice(str(c.id), c.name, render_kw={"data-year": str(c.declaration_year),
                                                        **({"data-roster": "1"} if c.id in on_roster else {})})
            for c in campaigns]
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

    def visited_on(self) -> date | None:
        """The local day of the visit as typed (the field holds the office's wall-clock time)."""
        return self.visited_at.data.date() if self.visited_at.data is not None else None

    def validate_visited_at(self, field):
        problem = dates.visit_date_problem(self.visited_on())
        if problem:
            raise ValidationError(problem)

    def validate_campaign_id(self, field):
        if field.data and self.visited_on() is not None:
            problem = dates.campaign_year_problem(self.visited_on(), self.campaign_years.get(field.data))
            if problem:
                raise ValidationError(problem)

    def validate_follow_up_on(self, field):
        problem = dates.follow_up_date_problem(field.data, self.visited_on())
        if problem:
            raise ValidationError(problem)

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


class CallbackForm(TrackerForm):
    """A follow-up (回访) held about a visit: sending this form is the confirmation."""

    submission_key = submission_key_field()
    held_on = BoundedDateField(_l("Date of the follow-up"), validators=[Required()])
    channel = SelectField(_l("How the firm was reached"), choices=select_choices(
        (c.value, label) for c, label in CALLBACK_CHANNEL_LABELS.items()))
    note = TextAreaField(_l("What came of it"), validators=[
        Required(message=_l("Say what came of the follow-up.")), Length(max=CALLBACK_NOTE_MAX)])
    submit = SubmitField(_l("Record the follow-up"))
