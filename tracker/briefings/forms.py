"""Forms of the briefing pages: the briefing, a registration, invitations, a material's upload."""
import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from tracker.auth.models import User
from tracker.briefings.models import ATTENDEES, CAPACITY
from tracker.campaigns.models import Campaign
from tracker.enterprises.forms import MultiCheckboxField
from tracker.extensions import db
from tracker.forms import (
    BoundedDateTimeLocalField, BoundedIntegerField, Required, TrackerForm, select_choices, submission_key_field,
)
from tracker.i18n import LOCAL_TZ
from tracker.offices.models import Office
from tracker.permissions import scope_offices
from tracker.uploads import ACCEPT
from tracker.visits.models import PolicyTopic


class BriefingForm(TrackerForm):
    submission_key = submission_key_field()
    title = StringField(_l("Title"), validators=[Required(), Length(max=200)])
    starts_at = BoundedDateTimeLocalField(_l("Starts at"), format="%Y-%m-%dT%H:%M", validators=[Required()])
    ends_at = BoundedDateTimeLocalField(_l("Ends at"), format="%Y-%m-%dT%H:%M", validators=[Required()])
    venue = StringField(_l("Venue"), validators=[Required(), Length(max=200)])
    office_id = SelectField(_l("Office"), coerce=int, validators=[Required()])
    campaign_id = SelectField(_l("Campaign"), coerce=int, validators=[Optional()])
    capacity = BoundedIntegerField(_l("Places (firms)"), default=100,
                                   validators=[Required(), NumberRange(min=CAPACITY[0], max=CAPACITY[1])])
    topics = MultiCheckboxField(_l("Policy topics"), coerce=int)
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    # The version_id the briefing had when the form was opened (optimistic locking, tracker.views).
    version = HiddenField()
    submit = SubmitField(_l("Save briefing"))

    def __init__(self, user: User, *args, **kwargs):
        super().__init__(*args, **kwargs)
        offices = db.session.scalars(scope_offices(sa.select(Office), user).order_by(Office.path)).all()
        self.office_id.choices = select_choices([(0, _("— choose —"))] + [(o.id, o.name) for o in offices])
        campaigns = db.session.scalars(sa.select(Campaign).where(Campaign.office_id.in_([o.id for o in offices]))
                                       .order_by(Campaign.declaration_year.desc(), Campaign.id.desc())).all()
        self.campaign_id.choices = [SelectChoice("0", _l("— none —"))] + [
            SelectChoice(str(c.id), c.name) for c in campaigns]
        topics = db.session.scalars(sa.select(PolicyTopic).where(PolicyTopic.active.is_(True)).order_by(PolicyTopic.id))
        self.topics.choices = select_choices((t.id, t.name) for t in topics)

    def validate_ends_at(self, field):
        if field.data is not None and self.starts_at.data is not None and field.data <= self.starts_at.data:
            raise ValidationError(_("The briefing must end after it starts."))

    def local_to_utc(self, value):
        return value.replace(tzinfo=LOCAL_TZ) if value is not None else None

    def fill_times(self, briefing) -> None:
        self.starts_at.data = briefing.starts_at.astimezone(LOCAL_TZ).replace(tzinfo=None)
        self.ends_at.data = briefing.ends_at.astimezone(LOCAL_TZ).replace(tzinfo=None)


class RegistrationForm(TrackerForm):
    submission_key = submission_key_field()
    # Staff registering by phone: the firm (a contact's is his own, never from the form).
    enterprise_id = BoundedIntegerField(_l("Enterprise"), validators=[Optional()])
    attendees = BoundedIntegerField(_l("Number of attendees"), default=1,
                                    validators=[Required(), NumberRange(min=ATTENDEES[0], max=ATTENDEES[1])])
    attendee_names = TextAreaField(_l("Attendees' names (one a line)"), validators=[Required(), Length(max=500)])
    submit = SubmitField(_l("Register"))

    def validate_attendee_names(self, field):
        names = [n for n in (line.strip() for line in (field.data or "").splitlines()) if n]
        if self.attendees.data and names and len(names) != self.attendees.data:
            raise ValidationError(_("Give one name a line for each of the %(count)d attendees.",
                                    count=self.attendees.data))
        if any(len(n) > 50 for n in names):
            raise ValidationError(_("A name is at most 50 characters."))


class InviteForm(TrackerForm):
    enterprises = MultiCheckboxField(_l("Firms to invite"), coerce=int)
    # "all": every firm listed, whatever is ticked.
    scope = HiddenField()
    submit = SubmitField(_l("Invite the firms ticked"))

    def __init__(self, firms, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.enterprises.choices = select_choices((f.id, f.name) for f in firms)

    def validate_enterprises(self, field):
        if self.scope.data != "all" and not field.data:
            raise ValidationError(_("Tick at least one firm to invite."))


class MaterialForm(TrackerForm):
    file = FileField(_l("File"), render_kw={"accept": ACCEPT})
    submit = SubmitField(_l("Upload"))

    def validate_file(self, field):
        if not field.data or not getattr(field.data, "filename", None):
            raise ValidationError(_("Choose a file to upload."))

