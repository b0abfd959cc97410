"""Reads of questionnaires: the staff list, the portal's list, the firms left to answer, and the results (each
question's distribution, counted in SQL in a fixed number of statements whatever the number of responses)."""
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from tracker.auth.models import Role, User
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.pagination import Page
from tracker.permissions import scope_enterprises, visible_office_ids
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
    answer_options,
)
from tracker.questionnaires.services import may_answer_condition
from tracker.reports.figures import Row, Table


def scope_questionnaires(stmt: sa.Select, user: User) -> sa.Select:
    """Staff: the questionnaires of their office subtree (admins: all); contacts: none (they go through
    questionnaires_for_portal)."""
    if user.role is Role.ADMIN:
        return stmt
    if not user.role.is_staff:
        return stmt.where(sa.false())
    return stmt.where(Questionnaire.office_id.in_(visible_office_ids(user)))


def response_counts():
    return (sa.select(sa.func.count(Response.id)).where(Response.questionnaire_id == Questionnaire.id)
            .correlate(Questionnaire).scalar_subquery())


def questionnaire_page(user: User, page, per_page: int = 50) -> Page:
    """The staff list, newest first, each row (questionnaire, responses): two statements a page."""
    stmt = scope_questionnaires(
        sa.select(Questionnaire, response_counts().label("responses"))
        .options(joinedload(Questionnaire.office), joinedload(Questionnaire.campaign),
                 joinedload(Questionnaire.briefing))
        .order_by(Questionnaire.created_at.desc(), Questionnaire.id.desc()), user)
    return Page.of(page, per_page,
                   count=lambda: db.session.scalar(scope_questionnaires(sa.select(sa.func.count(Questionnaire.id)),
                                                                        user)),
                   items=lambda offset, limit: db.session.execute(stmt.offset(offset).limit(limit)).all())


def load_questions(questionnaire_id: int):
    """The loader options for a questionnaire shown with its questions and options (two statements)."""
    return (joinedload(Questionnaire.office), joinedload(Questionnaire.campaign), joinedload(Questionnaire.briefing),
            selectinload(Questionnaire.questions).selectinload(Question.options))


# The portal ----------------------------------------------------------------------------------------
@dataclass
class PortalQuestionnaires:
    """What the portal home shows a contact: the questionnaires his firm may answer now, and those it answered
    (with its response)."""

    to_answer: list[Questionnaire] = field(default_factory=list)
    answered: list[tuple[Questionnaire, Response]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.to_answer or self.answered)


def questionnaires_for_portal(user: User) -> PortalQuestionnaires:
    """The contact's firm's questionnaires, in two statements: open ones it may answer and has not, and its
    responses. Nothing for anyone else."""
    if user.role is not Role.ENTERPRISE_CONTACT or user.enterprise_id is None or not user.active:
        return PortalQuestionnaires()
    firm = user.enterprise_id
    answered_here = sa.exists().where(Response.questionnaire_id == Questionnaire.id, Response.enterprise_id == firm)
    to_answer = db.session.scalars(
        sa.select(Questionnaire).where(Questionnaire.status == QuestionnaireStatus.OPEN,
                                       may_answer_condition(firm), ~answered_here)
        .order_by(Questionnaire.opened_at.desc(), Questionnaire.id.desc())).all()
    answered = db.session.execute(
        sa.select(Questionnaire, Response).join(Response, Response.questionnaire_id == Questionnaire.id)
        .where(Response.enterprise_id == firm).order_by(Response.submitted_at.desc())).all()
    return PortalQuestionnaires(list(to_answer), [tuple(r) for r in answered])


# Paper answers: the firms left to answer -----------------------------------------------------------------
def firms_without_answer(questionnaire: Questionnaire, user: User) -> list[Enterprise]:
    """The firms the questionnaire asks, within the user's scope, that have not answered: one statement."""
    stmt = (sa.select(Enterprise)
            .where(sa.exists().where(Questionnaire.id == questionnaire.id, may_answer_condition(Enterprise.id)),
                   ~sa.exists().where(Response.questionnaire_id == questionnaire.id,
                                      Response.enterprise_id == Enterprise.id))
            .order_by(Enterprise.name_pinyin, Enterprise.id))
    return db.session.scalars(scope_enterprises(stmt, user)).all()


def responses_with_answers(questionnaire: Questionnaire, user: User) -> list[Response]:
    """The responses of the firms the user sees, with their answers and the options chosen: four statements."""
    stmt = (sa.select(Response).join(Enterprise, Enterprise.id == Response.enterprise_id)
            .where(Response.questionnaire_id == questionnaire.id)
            .options(joinedload(Response.enterprise), joinedload(Response.entered_by),
                     selectinload(Response.answers).selectinload(Answer.options))
            .order_by(Response.submitted_at, Response.id))
    return db.session.scalars(scope_enterprises(stmt, user)).all()


def results_counts(questionnaire: Questionnaire) -> tuple[int, int, int]:
    """(responses, through the portal, on paper), in one statement."""
    return tuple(db.session.execute(
        sa.select(sa.func.count(Response.id),
                  sa.func.count(Response.id).filter(Response.channel == ResponseChannel.PORTAL),
                  sa.func.count(Response.id).filter(Response.channel == ResponseChannel.PAPER))
        .where(Response.questionnaire_id == questionnaire.id)).one())


# Results --------------------------------------------------------------------------------------------------
@dataclass
class QuestionResult:
    question: Question
    answered: int  # responses that answered this question (the base of its percentages)
    table: Table | None = None  # the distribution (choices, ratings)
    mean: float | None = None  # ratings
    texts: list[tuple[str, str]] = field(default_factory=list)  # free text: (firm, text)


@dataclass
class Results:
    questionnaire: Questionnaire
    total: int
    portal: int
    paper: int
    questions: list[QuestionResult]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def results(questionnaire: Questionnaire) -> Results:
    """Every question's figures, in five statements whatever the number of responses (the questions and
    options are loaded with the questionnaire): the counts by channel, the answers per question, the options
    chosen, the ratings, and the texts with their firms."""
    qid = questionnaire.id
    total, portal, paper = results_counts(questionnaire)
    answered = dict(db.session.execute(
        sa.select(Answer.question_id, sa.func.count(Answer.id))
        .join(Response, Response.id == Answer.response_id)
        .where(Response.questionnaire_id == qid).group_by(Answer.question_id)).all())
    chosen = dict(db.session.execute(
        sa.select(answer_options.c.option_id, sa.func.count())
        .join(Answer, Answer.id == answer_options.c.answer_id)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.questionnaire_id == qid).group_by(answer_options.c.option_id)).all())
    ratings: dict[tuple[int, int], int] = {
        (question_id, rating): n for question_id, rating, n in db.session.execute(
            sa.select(Answer.question_id, Answer.rating, sa.func.count(Answer.id))
            .join(Response, Response.id == Answer.response_id)
            .where(Response.questionnaire_id == qid, Answer.rating.is_not(None))
            .group_by(Answer.question_id, Answer.rating)).all()}
    texts: dict[int, list[tuple[str, str]]] = {}
    for question_id, firm, text in db.session.execute(
            sa.select(Answer.question_id, Enterprise.name, Answer.text)
            .join(Response, Response.id == Answer.response_id)
            .join(Enterprise, Enterprise.id == Response.enterprise_id)
            .where(Response.questionnaire_id == qid, Answer.text.is_not(None))
            .order_by(Response.submitted_at, Response.id)).all():
        texts.setdefault(question_id, []).append((firm, text))

    out = []
    for number, question in enumerate(questionnaire.questions, 1):
        base = answered.get(question.id, 0)
        result = QuestionResult(question, base)
        title = _("%(n)d. %(question)s", n=number, question=question.text)
        columns = [_("Option"), _("Firms"), _("Share of those who answered")]
        if question.kind.has_options:
            rows = [Row(o.text, [chosen.get(o.id, 0), _share(chosen.get(o.id, 0), base)], key=str(o.id))
                    for o in question.options]
            result.table = Table(f"q{question.id}", title, columns, rows,
                                 chart="pie" if question.kind is QuestionKind.SINGLE else "bar",
                                 kinds=["count", "share"],
                                 note=_("A firm may choose several options: the shares add up to more than 100%.")
                                 if question.kind is QuestionKind.MULTIPLE else None)
        elif question.kind is QuestionKind.RATING:
            counts = [ratings.get((question.id, r), 0) for r in range(RATING_MIN, RATING_MAX + 1)]
            rows = [Row(_("%(n)d points", n=r), [n, _share(n, base)], key=str(r))
                    for r, n in zip(range(RATING_MIN, RATING_MAX + 1), counts)]
            result.table = Table(f"q{question.id}", title, [_("Points")] + columns[1:], rows, chart="bar",
                                 kinds=["count", "share"])
            result.mean = (sum(r * n for r, n in zip(range(RATING_MIN, RATING_MAX + 1), counts)) / base
                           if base else None)
        else:
            result.texts = texts.get(question.id, [])
        out.append(result)
    return Results(questionnaire, total, portal, paper, out)


# A briefing's questionnaires (the briefing's pages) ------------------------------------------------------
def for_briefing(briefing_id: int, user: User) -> list[tuple[Questionnaire, "Response | None"]]:
    """The questionnaires attached to a briefing, each with the contact's firm's response (None for staff, and
    for a firm that has not answered); a contact sees only those open or closed, never a draft. One statement."""
    firm = user.enterprise_id if user.role is Role.ENTERPRISE_CONTACT else None
    stmt = (sa.select(Questionnaire, Response)
            .outerjoin(Response, sa.and_(Response.questionnaire_id == Questionnaire.id, Response.enterprise_id == firm))
            .where(Questionnaire.briefing_id == briefing_id)
            .order_by(Questionnaire.version.desc(), Questionnaire.id.desc()))
    if user.role is Role.ENTERPRISE_CONTACT:
        stmt = stmt.where(Questionnaire.status != QuestionnaireStatus.DRAFT)
    return [tuple(row) for row in db.session.execute(stmt).all()]
