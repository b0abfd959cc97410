"""Forms of assistance plans: the plan itself, its measures, progress on them and the manager's return."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from tracker import dates
from tracker.auth.models import Role, User
from tracker.campaigns.models import Campaign
from tracker.enterprises.forms import MultiCheckboxField
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.forms import BoundedDateField, Required, TrackerForm, raise_problem, select_choices, submission_key_field
from tracker.offices.models import Office
from tracker.needs.models import Need
from tracker.plans.models import MEASURE_STATUS_LABELS, MeasureStatus


class PlanForm(TrackerForm):
    submission_key = submission_key_field()
    campaign_id = SelectField(_l("Campaign"), coerce=int)
    objective = TextAreaField(_l("Objective"), validators=[Optional(), Length(max=5000)])
    version = HiddenField()
    submit = SubmitField(_l("Save"))

    def __init__(self, enterprise: Enterprise, *args, **kwargs):
        super().__init__(*args, **kwargs)
        campaigns = db.session.scalars(
            sa.select(Campaign).join(Office, Office.id == Campaign.office_id)
            .where(sa.literal(enterprise.office.path).startswith(Office.path))
            .order_by(Campaign.declaration_year.desc(), Campaign.id.desc())).all()
        self.campaign_id.choices = select_choices((c.id, c.name) for c in campaigns)


def measure_owners(enterprise: Enterprise) -> list[User]:
    """Who may own a measure of the firm's plan: the active officers and managers of the offices above and
    below the firm's."""
    return db.session.scalars(
        sa.select(User).join(Office, Office.id == User.office_id)
        .where(User.role.in_([Role.OFFICER, Role.MANAGER]), User.active.is_(True),
               sa.or_(Office.path.startswith(enterprise.office.path, autoescape=True),
                      sa.literal(enterprise.office.path).startswith(Office.path)))
        .order_by(User.username)).all()


class MeasureForm(TrackerForm):
    submission_key = submission_key_field()
    description = TextAreaField(_l("Measure"), validators=[Required(), Length(max=5000)])
    owner_id = SelectField(_l("Owner"), coerce=int)
    deadline = BoundedDateField(_l("Deadline"), validators=[Optional()])
    needs = MultiCheckboxField(_l("Needs it answers"), coerce=int)
    submit = SubmitField(_l("Save measure"))

    def __init__(self, enterprise: Enterprise, *args, current_deadline=None, **kwargs):
        """*current_deadline*: the deadline of the measure being edited."""
        super().__init__(*args, **kwargs)
        owners = measure_owners(enterprise)
        self.owner_id.choices = select_choices([(0, _l("— none —"))] + [(u.id, u.label) for u in owners])
        needs = db.session.scalars(sa.select(Need).where(Need.enterprise_id == enterprise.id).order_by(Need.id)).all()
        self.needs.choices = select_choices((n.id, f"#{n.id} {n.content[:60]}") for n in needs)
        self.current_deadline = current_deadline

    def validate_deadline(self, field):
        """Not in the past when set or changed; the deadline the measure had may stay (tracker.dates)."""
        raise_problem(dates.deadline_problem(field.data, previous=self.current_deadline))


class ProgressForm(TrackerForm):
    status = SelectField(_l("Status"), choices=select_choices(
        (s.value, label) for s, label in MEASURE_STATUS_LABELS.items()))
    result = TextAreaField(_l("Result"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Record progress"))

    def validate(self, extra_validators=None):
        """services.record_progress refuses "done" without a result; said here too, at the field."""
        valid = super().validate(extra_validators)
        if self.status.data == MeasureStatus.DONE.value and not (self.result.data or "").strip():
            self.result.errors = [*self.result.errors, _l("Say what the measure achieved before marking it done.")]
            return False
        return valid


class ReturnForm(TrackerForm):
    comment = TextAreaField(_l("What should change"), validators=[Required(), Length(max=5000)])
    submit = SubmitField(_l("Return for changes"))
