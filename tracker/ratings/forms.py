"""The firm's rating of a service (好评/差评) and the manager's answer to a poor one."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, SubmitField, TextAreaField
from wtforms.validators import Length, ValidationError

from tracker.forms import Required, TrackerForm, select_choices, submission_key_field

TEXT_MAX = 1000


class RatingForm(TrackerForm):
    submission_key = submission_key_field()
    verdict = RadioField(_l("Your rating"), validators=[Required()])
    comment = TextAreaField(_l("Comment"), validators=[Length(max=TEXT_MAX)],
                            description=_l("Optional for a good rating; for a poor one, say what went wrong."))
    submit = SubmitField(_l("Send the rating"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.verdict.choices = select_choices([("good", _("Good (好评)")), ("poor", _("Poor (差评)"))])

    def validate_comment(self, field):
        if self.verdict.data == "poor" and not (field.data or "").strip():
            raise ValidationError(_("Please say what went wrong, so that the office can answer."))

    @property
    def good(self) -> bool:
        return self.verdict.data == "good"


class AnswerForm(TrackerForm):
    # The version_id the rating had when the page was opened (optimistic locking, tracker.views).
    version = HiddenField()
    answer = TextAreaField(_l("Answer to the firm"), validators=[Required(), Length(max=TEXT_MAX)])
    submit = SubmitField(_l("Send the answer"))
