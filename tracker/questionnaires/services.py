"""The writes of questionnaires: drafting, the transitions, new versions, and a firm's one response; and who
may do what (can_manage, can_answer, ...). Every function flushes, never commits; each takes by= and now=, so
that the demo can replay 2019."""
from dataclasses import dataclass
from typing import TYPE_CHECKING
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from tracker.auth.models import Role, User
from tracker.campaigns.models import Campaign, RosterEntry
from tracker.domain import DomainError
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.offices.models import Office
from tracker.permissions import can_see_enterprise, can_see_office
from tracker.questionnaires.models import (
    RATING_MAX,
    RATING_MIN,
    Answer,
    Question,
    QuestionKind,
    Questionnaire,
    QuestionnaireStatus,
    Response,
    ResponseChannel,
)
from tracker.types import utcnow

if TYPE_CHECKING:
    from tracker.briefings.models import Briefing

TITLE_MAX = 200
INTRO_MAX = 5000
QUESTION_MAX = 500
OPTION_MAX = 200
OPTIONS_MAX = 30
ANSWER_TEXT_MAX = 2000


def clock() -> datetime:
    """Now; the demo and the tests stand on another day by passing now=."""
    return utcnow()


# Who may do what ----------------------------------------------------------------------------------
def can_see_questionnaire(user: User, questionnaire: Questionnaire) -> bool:
    """Staff of the questionnaire's office subtree (admins: all) read it and its results."""
    return user.role.is_staff and can_see_office(user, questionnaire.office)


def can_manage(user: User, questionnaire: Questionnaire | None = None, office: Office | None = None) -> bool:
    """Managers of the office's subtree and admins draft, open and close questionnaires."""
    if user.role is Role.ADMIN:
        return True
    office = office if office is not None else (questionnaire.office if questionnaire is not None else None)
    return user.role is Role.MANAGER and (office is None or user.office.contains(office))


def may_answer_condition(enterprise_id) -> sa.ColumnElement[bool]:
    """The rule of which firms answer a questionnaire, as a condition on Questionnaire's columns: a firm on the
    roster of the questionnaire's campaign, or invited to or registered for its briefing, within the
    questionnaire's office subtree. The one place of the rule (can_answer, the portal's list and paper
    answers all ask it)."""
    from tracker.briefings.models import BriefingInvitation, BriefingRegistration, RegistrationStatus

    firm_office = sa.orm.aliased(Office)
    questionnaire_office = sa.orm.aliased(Office)
    on_roster = sa.or_(
        sa.exists().where(RosterEntry.campaign_id == Questionnaire.campaign_id,
                          RosterEntry.enterprise_id == enterprise_id),
        sa.exists().where(BriefingInvitation.briefing_id == Questionnaire.briefing_id,
                          BriefingInvitation.enterprise_id == enterprise_id),
        sa.exists().where(BriefingRegistration.briefing_id == Questionnaire.briefing_id,
                          BriefingRegistration.enterprise_id == enterprise_id,
                          BriefingRegistration.status == RegistrationStatus.REGISTERED))
    in_scope = sa.exists().where(
        Enterprise.id == enterprise_id, firm_office.id == Enterprise.office_id,
        questionnaire_office.id == Questionnaire.office_id,
        firm_office.path.startswith(questionnaire_office.path))
    return sa.and_(on_roster, in_scope)


def firm_may_answer(enterprise_id: int, questionnaire: Questionnaire) -> bool:
    return bool(db.session.scalar(sa.select(sa.exists().where(
        Questionnaire.id == questionnaire.id, may_answer_condition(enterprise_id)))))


def can_answer(user: User, questionnaire: Questionnaire) -> bool:
    """An active contact of a firm the questionnaire asks (may_answer_condition), while it is open. Whether his
    firm answered already is the database's to say (one response per firm)."""
    return (user.role is Role.ENTERPRISE_CONTACT and user.active and user.enterprise_id is not None
            and questionnaire.is_open() and firm_may_answer(user.enterprise_id, questionnaire))


def can_enter_paper(user: User, questionnaire: Questionnaire, enterprise: Enterprise) -> bool:
    """Staff of both the questionnaire's and the firm's offices enter a paper answer for a firm it asks."""
    return (can_see_questionnaire(user, questionnaire) and can_see_enterprise(user, enterprise)
            and firm_may_answer(enterprise.id, questionnaire))


def can_read_response(user: User, response: Response) -> bool:
    """The firm's own contact, and staff who see both the questionnaire and the firm."""
    if user.role is Role.ENTERPRISE_CONTACT:
        return user.enterprise_id == response.enterprise_id
    return can_see_questionnaire(user, response.questionnaire) and can_see_enterprise(user, response.enterprise)


# Drafting -------------------------------------------------------------------------------------------
@dataclass
class QuestionnaireData:
    title: str
    intro: str | None
    office: Office
    campaign: Campaign | None
    briefing: "Briefing | None" = None


def _check_data(data: QuestionnaireData, by: User) -> None:
    if not (data.title or "").strip():
        raise DomainError(_("Fill in %(field)s.", field=_("Title of the questionnaire")))
    if not can_manage(by, office=data.office):
        raise DomainError(_("You cannot make questionnaires for this office."))
    if data.campaign is None and data.briefing is None:
        raise DomainError(_("Attach the questionnaire to a campaign or to a policy briefing."))
    if data.campaign is not None and by.role is not Role.ADMIN and not by.office.contains(data.campaign.office):
        raise DomainError(_("Choose a campaign of your office."))
    if data.briefing is not None and by.role is not Role.ADMIN and not by.office.contains(data.briefing.office):
        raise DomainError(_("Choose a policy briefing of your office."))


def create_questionnaire(data: QuestionnaireData, *, by: User, now: datetime | None = None) -> Questionnaire:
    _check_data(data, by)
    questionnaire = Questionnaire(title=data.title.strip(), intro=(data.intro or "").strip() or None,
                                  office=data.office, campaign=data.campaign, briefing=data.briefing, created_by=by,
                                  created_at=now or clock())
    db.session.add(questionnaire)
    db.session.flush()
    return questionnaire


def update_questionnaire(questionnaire: Questionnaire, data: QuestionnaireData, *, by: User) -> Questionnaire:
    if not questionnaire.can_edit():
        raise DomainError(_("Only a draft can be edited; this questionnaire is %(status)s.",
                            status=questionnaire.status.label))
    _check_data(data, by)
    questionnaire.title = data.title.strip()
    questionnaire.intro = (data.intro or "").strip() or None
    questionnaire.office, questionnaire.campaign, questionnaire.briefing = data.office, data.campaign, data.briefing
    db.session.flush()
    return questionnaire


def clean_options(kind: QuestionKind, options: list[str]) -> list[str]:
    """The options as given, blank lines dropped; refused when a choice has fewer than two or repeats one."""
    if not kind.has_options:
        return []
    texts = [t.strip() for t in options if t and t.strip()]
    if len(texts) < 2:
        raise DomainError(_("A choice question needs at least two options, one per line."))
    if len(texts) > OPTIONS_MAX:
        raise DomainError(_("A question has at most %(n)d options.", n=OPTIONS_MAX))
    if any(len(t) > OPTION_MAX for t in texts):
        raise DomainError(_("An option has at most %(n)d characters.", n=OPTION_MAX))
    if len(set(texts)) != len(texts):
        raise DomainError(_("Each option must differ from the others."))
    return texts


def _question_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Fill in %(field)s.", field=_("Question")))
    if len(text) > QUESTION_MAX:
        raise DomainError(_("A question has at most %(n)d characters.", n=QUESTION_MAX))
    return text


def add_question(questionnaire: Questionnaire, *, kind: QuestionKind, text: str, required: bool,
                 options: list[str], by: User) -> Question:
    question = questionnaire.add_question(kind, _question_text(text), required, clean_options(kind, options))
    db.session.flush()
    return question


def update_question(question: Question, *, kind: QuestionKind, text: str, required: bool, options: list[str],
                    by: User) -> Question:
    question.update(kind, _question_text(text), required, clean_options(kind, options))
    db.session.flush()
    return question


def remove_question(question: Question, *, by: User) -> None:
    question.questionnaire.remove_question(question)
    db.session.flush()


def move_question(question: Question, step: int, *, by: User) -> None:
    question.questionnaire.move_question(question, step)
    db.session.flush()


# Transitions -----------------------------------------------------------------------------------------
def open_questionnaire(questionnaire: Questionnaire, *, by: User, now: datetime | None = None) -> Questionnaire:
    questionnaire.open(now or clock())
    db.session.flush()
    return questionnaire


def close_questionnaire(questionnaire: Questionnaire, *, by: User, now: datetime | None = None) -> Questionnaire:
    questionnaire.close(now or clock())
    db.session.flush()
    return questionnaire


def reopen_questionnaire(questionnaire: Questionnaire, *, by: User) -> Questionnaire:
    questionnaire.reopen()
    db.session.flush()
    return questionnaire


def return_to_draft(questionnaire: Questionnaire, *, by: User) -> Questionnaire:
    questionnaire.return_to_draft()
    db.session.flush()
    return questionnaire


def new_version(questionnaire: Questionnaire, *, by: User, now: datetime | None = None) -> Questionnaire:
    """A new draft copied from the questionnaire, its questions and options, replacing it (previous_id); the
    old one stays as it is (it can be closed). One new version per questionnaire (a unique constraint)."""
    if not can_manage(by, questionnaire):
        raise DomainError(_("You cannot make questionnaires for this office."))
    copy = Questionnaire(title=questionnaire.title, intro=questionnaire.intro, office=questionnaire.office,
                         campaign=questionnaire.campaign, briefing=questionnaire.briefing,
                         version=questionnaire.version + 1,
                         previous_id=questionnaire.id, created_by=by, created_at=now or clock())
    for question in questionnaire.questions:
        new = Question(kind=question.kind, text=question.text, required=question.required,
                       position=question.position)
        new.set_options([o.text for o in question.options])
        copy.questions.append(new)
    try:
        with db.session.begin_nested():
            db.session.add(copy)
    except IntegrityError:
        raise DomainError(_("A new version of this questionnaire has been made already.")) from None
    return copy


def successor(questionnaire: Questionnaire) -> Questionnaire | None:
    return db.session.scalar(sa.select(Questionnaire).where(Questionnaire.previous_id == questionnaire.id))


# Answers ---------------------------------------------------------------------------------------------
def answer_problems(questionnaire: Questionnaire, answers: dict[int, object]) -> dict[int, str]:
    """What is wrong with a response, by question id: a required question unanswered, an option that is not
    the question's, two options for a single choice, a rating outside 1-5, a text too long. Empty: fine.
    answers maps a question id to its value: option ids (a list) for a choice, an int rating, a text."""
    problems: dict[int, str] = {}
    for question in questionnaire.questions:
        value = answers.get(question.id)
        if _is_blank(question, value):
            if question.required:
                problems[question.id] = _("Answer this question: it is required.")
            continue
        if question.kind.has_options:
            chosen = _option_ids(value)
            allowed = {o.id for o in question.options}
            if chosen is None or not set(chosen) <= allowed:
                problems[question.id] = _("Choose among this question's options.")
            elif question.kind is QuestionKind.SINGLE and len(set(chosen)) > 1:
                problems[question.id] = _("Choose one option.")
        elif question.kind is QuestionKind.RATING:
            if not isinstance(value, int) or isinstance(value, bool) or not RATING_MIN <= value <= RATING_MAX:
                problems[question.id] = _("Give a rating from %(low)d to %(high)d.", low=RATING_MIN, high=RATING_MAX)
        elif not isinstance(value, str) or len(value.strip()) > ANSWER_TEXT_MAX:
            problems[question.id] = _("An answer has at most %(n)d characters.", n=ANSWER_TEXT_MAX)
    known = {q.id for q in questionnaire.questions}
    for question_id in answers:
        if question_id not in known:
            problems[question_id] = _("This question is not part of the questionnaire.")
    return problems


def _is_blank(question: Question, value) -> bool:
    if value is None:
        return True
    if question.kind.has_options:
        return isinstance(value, (list, tuple, set)) and len(value) == 0
    if question.kind is QuestionKind.TEXT:
        return isinstance(value, str) and not value.strip()
    return False


def _option_ids(value) -> list[int] | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, (list, tuple, set)) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return list(value)
    return None


class AnswerRefused(DomainError):
    """A response refused for what it says, with the problem of each question (answer_problems)."""

    def __init__(self, problems: dict[int, str]):
        self.problems = problems
        super().__init__(" ".join(problems.values()))


def already_answered_message(by: User, enterprise: Enterprise) -> str:
    if by.role is Role.ENTERPRISE_CONTACT:
        return _("Your firm has already answered this questionnaire; it is recorded once.")
    return _("%(firm)s has already answered this questionnaire; it is recorded once.", firm=enterprise.name)


def submit_response(questionnaire: Questionnaire, enterprise: Enterprise, answers: dict[int, object], *,
                    by: User, channel: ResponseChannel, now: datetime | None = None) -> Response:
    """The firm's one response. The unique (questionnaire, firm) constraint decides between two at once (a
    second contact, a double click): the later one is refused, nothing of it written."""
    # Read the state again under a shared lock (PostgreSQL; SQLite's writing transaction holds the database):
    # a questionnaire going back to draft waits for the answers being written, and sees them.
    status = db.session.scalar(sa.select(Questionnaire.status).where(Questionnaire.id == questionnaire.id)
                               .with_for_update(read=True))
    if status is not QuestionnaireStatus.OPEN:
        raise DomainError(_("This questionnaire is not open for answers."))
    if channel is ResponseChannel.PORTAL:
        if by.enterprise_id != enterprise.id or not can_answer(by, questionnaire):
            raise DomainError(_("Your firm is not asked to answer this questionnaire."))
    elif not can_enter_paper(by, questionnaire, enterprise):
        raise DomainError(_("You cannot enter an answer for this firm."))
    problems = answer_problems(questionnaire, answers)
    if problems:
        raise AnswerRefused(problems)
    response = Response(questionnaire_id=questionnaire.id, enterprise_id=enterprise.id, entered_by_id=by.id,
                        channel=channel, submitted_at=now or clock())
    try:
        with db.session.begin_nested():
            db.session.add(response)
    except IntegrityError:
        raise DomainError(already_answered_message(by, enterprise)) from None
    options = {o.id: o for q in questionnaire.questions for o in q.options}
    for question in questionnaire.questions:
        value = answers.get(question.id)
        if _is_blank(question, value):
            continue
        answer = Answer(question_id=question.id)
        if question.kind.has_options:
            answer.options = [options[i] for i in dict.fromkeys(_option_ids(value))]
        elif question.kind is QuestionKind.RATING:
            answer.rating = value
        else:
            answer.text = value.strip()
        response.answers.append(answer)
    db.session.flush()
    return response


def response_of(questionnaire: Questionnaire, enterprise_id: int) -> Response | None:
    return db.session.scalar(sa.select(Response).where(Response.questionnaire_id == questionnaire.id,
                                                       Response.enterprise_id == enterprise_id))
