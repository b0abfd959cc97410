"""Forms of certification coaching: starting an assessment, an item's score, evidence, the remarks, and the
admins' items and new versions."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, Regexp, ValidationError

from tracker.certification.models import ITEM_TEXT_MAX, NOTE_MAX, SUMMARY_MAX, Score
from tracker.forms import (
    BoundedDateField, Required, TrackerForm, raise_problem, select_choices, submission_key_field,
)
from tracker.uploads import ACCEPT
from tracker.certification.models import (
    APPLICATION_TEXT_MAX, CERTIFICATE_MAX, RECEIPT_MAX, level_label,
)
from tracker.enterprises.reference import CERTIFIED_LEVELS


def version_field(default: str | None = None) -> HiddenField:
    """The version of the row the form was opened at (tracker.views): a whole number, "0" for "none yet"."""
    return HiddenField(default=default, validators=[Regexp(r"^[0-9]{1,9}$", message=_l(
        "The form has expired. Reload the page and send it again."))])


class StartForm(TrackerForm):
    submission_key = submission_key_field()
    standard_id = SelectField(_l("Version of the standard"), coerce=int, validators=[Required()])
    submit = SubmitField(_l("Start the assessment"))

    def __init__(self, standards, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.standard_id.choices = select_choices((s.id, s.title) for s in standards)
        if standards and self.standard_id.data is None:
            self.standard_id.data = standards[0].id


class ScoreForm(TrackerForm):
    """One item's score. Every score is a valid choice here; whether the item may take it (不适用 on an item
    every firm must meet, 基本达标 on a bonus item) is the rule's to say, in its words (rule.check_score)."""

    score = RadioField(_l("Score"), choices=[SelectChoice(s.value, s.label) for s in Score], validators=[Required()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=NOTE_MAX)])
    version = version_field(default="0")
    submit = SubmitField(_l("Save"))


class EvidenceForm(TrackerForm):
    # One key per item's upload form on a page (the template draws each its own): a resent upload adds one file.
    submission_key = submission_key_field()
    file = FileField(_l("File"), render_kw={"accept": ACCEPT})
    submit = SubmitField(_l("Upload"))

    def validate_file(self, field):
        if not field.data or not getattr(field.data, "filename", None):
            raise ValidationError(_("Choose a file to upload."))


class ReviewForm(TrackerForm):
    """Starting the customs' assessment from a submitted self-assessment: a one-time key, nothing else."""

    submission_key = submission_key_field()
    submit = SubmitField(_l("Review it in a customs assessment"))


class RemediationForm(TrackerForm):
    """A shortfall's fix as a measure of the firm's assistance plan: which plan, what, who, by when."""

    submission_key = submission_key_field()
    target = SelectField(_l("Assistance plan"), validators=[Required()])
    description = TextAreaField(_l("Measure"), validators=[Required(), Length(max=5000)])
    owner_id = SelectField(_l("Owner"), coerce=int, validators=[Required()])
    deadline = BoundedDateField(_l("Deadline"), validators=[Required()])
    submit = SubmitField(_l("Put the fix into the plan"))

    def __init__(self, targets, owners, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.target.choices = select_choices((t.value, t.label) for t in targets)
        self.owner_id.choices = select_choices((u.id, u.label) for u in owners)
        if targets and not self.target.data:
            self.target.data = targets[0].value
        self.today = today

    def validate_deadline(self, field):
        """At most 90 days away, and not in the past (said at the field; the service checks it again)."""
        from tracker.plans.services import remediation_deadline_problem

        raise_problem(remediation_deadline_problem(field.data, set_on=self.today, today=self.today))


class SummaryForm(TrackerForm):
    summary = TextAreaField(_l("Overall remarks"), validators=[Optional(), Length(max=SUMMARY_MAX)])
    version = version_field()
    submit = SubmitField(_l("Save the remarks"))


class ItemForm(TrackerForm):
    """An item of a version, added or edited by an admin."""

    submission_key = submission_key_field()
    section_id = SelectField(_l("Section of the standard"), coerce=int, validators=[Required()])
    number = StringField(_l("Item number"), validators=[Required(), Length(max=20)])
    text = TextAreaField(_l("Text of the item"), validators=[Required(), Length(max=ITEM_TEXT_MAX)])
    guidance = TextAreaField(_l("Guidance"), validators=[Optional(), Length(max=ITEM_TEXT_MAX)])
    applies_to_all = BooleanField(_l("Applies to every firm"), default=True)
    version = version_field()
    submit = SubmitField(_l("Save the item"))

    def __init__(self, sections, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.section_id.choices = select_choices((s.id, s.heading) for s in sections)


class NewVersionForm(TrackerForm):
    submission_key = submission_key_field()
    code = StringField(_l("Code of the new version"), validators=[Required(), Length(max=40)])
    version_label = StringField(_l("Version"), validators=[Required(), Length(max=60)])
    effective_from = BoundedDateField(_l("In force from"), validators=[Required()])
    submit = SubmitField(_l("Make a new version"))


# Applications for certification (认证申请) ---------------------------------------------------------------------
# Each step's form carries the application's version (a form opened before another step was taken is refused
# as "changed meanwhile"); the new application's form its one-time key. The dates' rules (not in the future, not
# before the previous step, the level of the regime in force) are the model's and come back at their field.

# Every level a certification gives under some regime, best first (the model checks it against the day's).
ALL_CERTIFIED_LEVELS = tuple(dict.fromkeys(level for levels in CERTIFIED_LEVELS.values() for level in levels))
DECISIONS = (("certified", _l("Certified")), ("refused", _l("Refused")))


def _level_choices():
    return select_choices((level, level_label(level)) for level in ALL_CERTIFIED_LEVELS)


class ApplicationForm(TrackerForm):
    submission_key = submission_key_field()
    target_level = SelectField(_l("Level applied for"), validators=[Required()])
    applied_on = BoundedDateField(_l("Applied on"), validators=[Required()])
    assessment_id = SelectField(_l("Customs assessment it rests on"), coerce=int, validators=[Optional()])
    submit = SubmitField(_l("Record the application"))

    def __init__(self, assessments, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.target_level.choices = _level_choices()
        self.assessment_id.choices = select_choices(
            [(0, _("None"))] + [(a.id, _("%(standard)s, started %(day)s", standard=a.standard.title,
                                          day=a.created_at.date().isoformat())) for a in assessments])
        if self.assessment_id.data is None and assessments:
            self.assessment_id.data = assessments[0].id


class AcceptForm(TrackerForm):
    receipt_no = StringField(_l("Receipt number"), validators=[Required(), Length(max=RECEIPT_MAX)])
    accepted_on = BoundedDateField(_l("Accepted on"), validators=[Required()])
    version = version_field()
    submit = SubmitField(_l("Record the receipt"))


class AuditForm(TrackerForm):
    audit_on = BoundedDateField(_l("On-site audit on"), validators=[Required()])
    audit_note = TextAreaField(_l("Findings of the on-site audit"),
                               validators=[Optional(), Length(max=APPLICATION_TEXT_MAX)])
    version = version_field()
    submit = SubmitField(_l("Record the on-site audit"))


class DecideForm(TrackerForm):
    decision = RadioField(_l("Certification decision"), choices=[SelectChoice(v, label) for v, label in DECISIONS],
                          validators=[Required()])
    decided_on = BoundedDateField(_l("Decided on"), validators=[Required()])
    level = SelectField(_l("Level certified"), validators=[Optional()])
    certificate_no = StringField(_l("Certificate number"), validators=[Optional(), Length(max=CERTIFICATE_MAX)])
    decision_reason = TextAreaField(_l("Reason for the decision"),
                                    validators=[Optional(), Length(max=APPLICATION_TEXT_MAX)])
    version = version_field()
    submit = SubmitField(_l("Record the decision"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.level.choices = _level_choices()

    def validate_decision_reason(self, field):
        if self.decision.data == "refused" and not (field.data or "").strip():
            raise ValidationError(_("Give the reason why the certification is refused."))


class WithdrawForm(TrackerForm):
    withdrawn_reason = TextAreaField(_l("Reason for the withdrawal"),
                                     validators=[Required(), Length(max=APPLICATION_TEXT_MAX)])
    version = version_field()
    submit = SubmitField(_l("Withdraw the application"))
