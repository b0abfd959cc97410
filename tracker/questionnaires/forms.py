"""Forms of questionnaires: the questionnaire, a question with its options, and the answer form generated from
a questionnaire's questions."""
import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from tracker.campaigns.models import Campaign
from tracker.enterprises.forms import MultiCheckboxField
from tracker.extensions import db
from tracker.i18n import local_datetime
from tracker.forms import Required, TrackerForm, select_choices, submission_key_field
from tracker.offices.models import Office
from tracker.permissions import scope_campaigns, scope_offices
from tracker.questionnaires.models import RATING_MAX, RATING_MIN, QuestionKind, Questionnaire
from tracker.questionnaires.services import (
    ANSWER_TEXT_MAX,
    INTRO_MAX,
    OPTION_MAX,
    OPTIONS_MAX,
    QUESTION_MAX,
    TITLE_MAX,
    answer_problems,
)


class QuestionnaireForm(TrackerForm):
    submission_key = submission_key_field()
    title = StringField(_l("Title of the questionnaire"), validators=[Required(), Length(max=TITLE_MAX)])
    intro = TextAreaField(_l("Introduction"), validators=[Optional(), Length(max=INTRO_MAX)],
                          description=_l("What the firms read above the questions."))
    office_id = SelectField(_l("Office"), coerce=int, validators=[Required()])
    campaign_id = SelectField(_l("Campaign"), coerce=int, default=0,
                              description=_l("The firms on its roster answer the questionnaire."))
    briefing_id = SelectField(_l("Policy briefing"), coerce=int, default=0,
                              description=_l("The firms invited to it or registered for it answer the questionnaire."))
    # The version_id the questionnaire had when the form was opened (optimistic locking, tracker.views).
    version = HiddenField()
    submit = SubmitField(_l("Save"))

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        offices = db.session.scalars(scope_offices(sa.select(Office), user).order_by(Office.path)).all()
        self.office_id.choices = select_choices((o.id, "\u3000" * o.depth + o.name) for o in offices)
        campaigns = db.session.scalars(scope_campaigns(sa.select(Campaign), user).order_by(
            Campaign.declaration_year.desc(), Campaign.id.desc())).all()
        self.campaign_id.choices = select_choices([(0, _l("— none —"))] + [(c.id, c.name) for c in campaigns])
        from tracker.briefings.models import Briefing, BriefingStatus
        from tracker.briefings.queries import scope_briefings

        briefings = db.session.scalars(scope_briefings(sa.select(Briefing), user).where(
            Briefing.status != BriefingStatus.CANCELLED).order_by(Briefing.starts_at.desc()).limit(200)).all()
        self.briefing_id.choices = select_choices(
            [(0, _l("— none —"))] + [(b.id, f"{b.title} · {local_datetime(b.starts_at, 'yyyy-MM-dd')}") for b in briefings])

    def validate_briefing_id(self, field):
        if not field.data and not self.campaign_id.data:
            raise ValidationError(_l("Attach the questionnaire to a campaign or to a policy briefing."))


class QuestionForm(TrackerForm):
    submission_key = submission_key_field()
    kind = SelectField(_l("Kind of question"), validators=[Required()],
                       choices=select_choices((k.value, k.label) for k in QuestionKind))
    text = TextAreaField(_l("Question"), validators=[Required(), Length(max=QUESTION_MAX)])
    required = BooleanField(_l("An answer is required"))
    options = TextAreaField(_l("Options"), validators=[Optional(), Length(max=OPTIONS_MAX * (OPTION_MAX + 2))],
                            description=_l("For a choice question: one option per line, at least two."))
    # The questionnaire's version_id when an edit form was opened (optimistic locking, tracker.views).
    version = HiddenField()
    submit = SubmitField(_l("Save question"))

    def option_lines(self) -> list[str]:
        return [line.strip() for line in (self.options.data or "").splitlines() if line.strip()]


class MoveForm(TrackerForm):
    direction = SelectField(_l("Direction"), validators=[Required()],
                            choices=select_choices([("up", _l("Up")), ("down", _l("Down"))]))


def field_name(question) -> str:
    return f"q{question.id}"


def answer_form(questionnaire: Questionnaire, *args, **kwargs) -> TrackerForm:
    """A form with one field per question, in their order, named q<id>: radio buttons for a single choice and
    a rating, check boxes for a multiple choice, a text area for free text; required ones marked so."""

    class AnswerForm(TrackerForm):
        submission_key = submission_key_field()
        submit = SubmitField(_l("Send the answers"))

        def answers(self) -> dict[int, object]:
            """The answers as services.submit_response takes them (blank ones left out)."""
            values = {}
            for question in questionnaire.questions:
                data = self[field_name(question)].data
                if question.kind is QuestionKind.SINGLE:
                    values[question.id] = [data] if data else []
                elif question.kind is QuestionKind.MULTIPLE:
                    values[question.id] = list(data or [])
                elif question.kind is QuestionKind.RATING:
                    values[question.id] = data if data else None
                else:
                    values[question.id] = data or ""
            return values

        def validate(self, extra_validators=None) -> bool:
            valid = super().validate(extra_validators)
            if not valid:
                return False
            # The service's own rules, each at its question (the same ones refuse a response sent otherwise).
            for question_id, problem in answer_problems(questionnaire, self.answers()).items():
                self[f"q{question_id}"].errors = list(self[f"q{question_id}"].errors) + [problem]
                valid = False
            return valid

    for number, question in enumerate(questionnaire.questions, 1):
        label = _("%(n)d. %(question)s", n=number, question=question.text)
        required = Required(message=_l("Answer this question: it is required."))
        validators = [required] if question.required else [Optional()]
        if question.kind is QuestionKind.SINGLE:
            field = RadioField(label, coerce=int, validators=validators,
                               choices=select_choices((o.id, o.text) for o in question.options))
        elif question.kind is QuestionKind.MULTIPLE:
            field = MultiCheckboxField(label, coerce=int, validators=validators,
                                       choices=select_choices((o.id, o.text) for o in question.options))
        elif question.kind is QuestionKind.RATING:
            field = RadioField(label, coerce=int, validators=validators,
                               choices=select_choices((r, str(r)) for r in range(RATING_MIN, RATING_MAX + 1)))
        else:
            field = TextAreaField(label, validators=validators + [Length(max=ANSWER_TEXT_MAX)])
        setattr(AnswerForm, field_name(question), field)
    return AnswerForm(*args, **kwargs)
