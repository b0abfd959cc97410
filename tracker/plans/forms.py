"""Forms of assistance plans: the plan itself, its measures, progress on them and the manager's return."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from tracker.auth.models import Role, User
from tracker.campaigns.models import Campaign
from tracker.enterprises.forms import MultiCheckboxField
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.forms import BoundedDateField, select_choices, submission_key_field
from tracker.offices.models import Office
from tracker.needs.models import Need
from tracker.plans.models import MEASURE_STATUS_LABELS


class PlanForm(FlaskForm):
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


class MeasureForm(FlaskForm):
    submission_key = submission_key_field()
    description = TextAreaField(_l("Measure"), validators=[DataRequired(), Length(max=5000)])
    owner_id = SelectField(_l("Owner"), coerce=int)
    deadline = BoundedDateField(_l("Deadline"), validators=[Optional()])
    needs = MultiCheckboxField(_l("Needs it answers"), coerce=int)
    submit = SubmitField(_l("Save measure"))

    def __init__(self, enterprise: Enterprise, *args, **kwargs):
        super().__init__(*args, **kwargs)
        owners = db.session.scalars(
            sa.select(User).join(Office, Office.id == User.office_id)
            .where(User.role.in_([Role.OFFICER, Role.MANAGER]), User.active.is_(True),
                   sa.or_(Office.path.startswith(enterprise.office.path, autoescape=True),
                          sa.literal(enterprise.office.path).startswith(Office.path)))
            .order_by(User.username)).all()
        self.owner_id.choices = select_choices([(0, _l("— none —"))] + [(u.id, u.label) for u in owners])
        needs = db.session.scalars(sa.select(Need).where(Need.enterprise_id == enterprise.id).order_by(Need.id)).all()
        self.needs.choices = select_choices((n.id, f"#{n.id} {n.content[:60]}") for n in needs)


class ProgressForm(FlaskForm):
    status = SelectField(_l("Status"), choices=select_choices(
        (s.value, label) for s, label in MEASURE_STATUS_LABELS.items()))
    result = TextAreaField(_l("Result"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Record progress"))


class ReturnForm(FlaskForm):
    comment = TextAreaField(_l("What should change"), validators=[DataRequired(), Length(max=5000)])
    submit = SubmitField(_l("Return for changes"))
