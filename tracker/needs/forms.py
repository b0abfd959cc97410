"""Forms of the needs ledger: the need itself, its entries and transitions, and the firm's rating."""
import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from tracker.auth.models import Role, User
from tracker.extensions import db
from tracker.forms import BoundedDateField, select_choices, submission_key_field
from tracker.offices.models import Department, Office
from tracker.needs.models import SATISFACTION_LABELS, NeedCategory, NeedSource
from tracker.needs.services import REASON_MAX, TEXT_MAX

# Portal needs are raised by the firm itself; staff record the other three.
STAFF_SOURCES = (NeedSource.VISIT, NeedSource.BRIEFING, NeedSource.PHONE, NeedSource.PORTAL)


class NeedForm(FlaskForm):
    submission_key = submission_key_field()
    source = SelectField(_l("Raised through"))
    category_id = SelectField(_l("Category"), coerce=int)
    content = TextAreaField(_l("Need"), validators=[DataRequired(), Length(max=TEXT_MAX)])
    department_id = SelectField(_l("Responsible department"), coerce=int)
    assigned_officer_id = SelectField(_l("Assigned officer"), coerce=int)
    raised_on = BoundedDateField(_l("Raised on"), validators=[DataRequired()])
    deadline = BoundedDateField(_l("Deadline"), validators=[Optional()],
                         description=_l("Leave empty for the category's number of working days."))
    # The version_id the need had when the form was opened (optimistic locking, tracker.views).
    version = HiddenField()
    submit = SubmitField(_l("Save"))

    def __init__(self, office: Office, *args, **kwargs):
        """*office* is the firm's office: departments and officers come from its parent's subtree."""
        super().__init__(*args, **kwargs)
        self.source.choices = select_choices((s.value, s.label) for s in STAFF_SOURCES)
        categories = db.session.scalars(
            sa.select(NeedCategory).where(NeedCategory.active.is_(True)).order_by(NeedCategory.id)).all()
        # gettext, not lazy_gettext: a LazyString's __html__ is its text unescaped, and the name is user data.
        self.category_id.choices = select_choices(
            (c.id, _("%(name)s (%(days)d working days)", name=c.name, days=c.deadline_days)) for c in categories)
        # The firm's office and the offices above it: a need may be handed to the parent house.
        ancestors = [p for p in office.path.strip("/").split("/") if p]
        offices = sa.select(Office.id).where(Office.code.in_(ancestors))
        departments = db.session.scalars(
            sa.select(Department).where(Department.active.is_(True), Department.office_id.in_(offices))
            .order_by(Department.name)).all()
        self.department_id.choices = select_choices(
            [(0, _l("— none —"))] + [(d.id, d.name) for d in departments])
        officers = db.session.scalars(
            sa.select(User).where(User.role.in_([Role.OFFICER, Role.MANAGER]), User.active.is_(True),
                                  User.office_id.in_(offices)).order_by(User.username)).all()
        self.assigned_officer_id.choices = select_choices(
            [(0, _l("— none —"))] + [(u.id, u.label) for u in officers])


class EntryForm(FlaskForm):
    submission_key = submission_key_field()
    kind = SelectField(_l("Kind"), choices=select_choices([
        ("progress", _l("Progress (the firm sees it)")), ("internal", _l("Internal note (staff only)"))]))
    text = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=TEXT_MAX)])
    submit = SubmitField(_l("Add"))


class ResolveForm(FlaskForm):
    text = TextAreaField(_l("What was done"), validators=[DataRequired(), Length(max=TEXT_MAX)])
    submit = SubmitField(_l("Mark resolved"))


class UnresolvableForm(FlaskForm):
    explanation = TextAreaField(_l("Explanation given to the firm"), validators=[DataRequired(), Length(max=TEXT_MAX)])
    submit = SubmitField(_l("Cannot be resolved"))


class ExtensionForm(FlaskForm):
    submission_key = submission_key_field()
    new_deadline = BoundedDateField(_l("New deadline"), validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=REASON_MAX)])
    submit = SubmitField(_l("Request extension"))


class DecisionForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=select_choices([("approve", _l("Approve")),
                                                                   ("reject", _l("Reject"))]))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=REASON_MAX)])
    submit = SubmitField(_l("Decide"))


def _satisfaction_choices():
    """No answer is preselected: a rating has to be chosen, never taken by default."""
    return select_choices([("", _l("— choose —"))] + [(s.value, label) for s, label in SATISFACTION_LABELS.items()])


class FollowUpForm(FlaskForm):
    submission_key = submission_key_field()
    held_on = BoundedDateField(_l("Date of the follow-up"), validators=[DataRequired()])
    satisfaction = SelectField(_l("Satisfaction"), choices=_satisfaction_choices(),
                               validators=[DataRequired(message=_l("Choose how satisfied the firm is."))])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=TEXT_MAX)])
    submit = SubmitField(_l("Record follow-up"))


class RateForm(FlaskForm):
    """The firm's confirmation of a resolution, with its rating."""
    submission_key = submission_key_field()

    satisfaction = SelectField(_l("Satisfaction"), choices=_satisfaction_choices(),
                               validators=[DataRequired(message=_l("Choose how satisfied you are."))])
    note = TextAreaField(_l("A word on your rating (optional)"), validators=[Optional(), Length(max=TEXT_MAX)])
    submit = SubmitField(_l("Confirm and rate"))


class CommentForm(FlaskForm):
    submission_key = submission_key_field()
    text = TextAreaField(_l("Comment"), validators=[DataRequired(message=_l("Write a comment first.")),
                                                    Length(max=TEXT_MAX)])
    submit = SubmitField(_l("Send comment"))
