"""Questionnaires (调查问卷), their questions and options, and the firms' responses (one per firm)."""
import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.domain import DomainError
from tracker.extensions import db
from tracker.types import UTCDateTime, enum_column, utcnow

RATING_MIN, RATING_MAX = 1, 5


class QuestionnaireStatus(str, enum.Enum):
    DRAFT = "draft"  # 草稿: its questions may change
    OPEN = "open"  # 收集中: firms answer
    CLOSED = "closed"  # 已结束

    @property
    def label(self):
        return QUESTIONNAIRE_STATUS_LABELS[self]


QUESTIONNAIRE_STATUS_LABELS = {
    QuestionnaireStatus.DRAFT: _l("Draft"),
    QuestionnaireStatus.OPEN: _l("Open for answers"),
    QuestionnaireStatus.CLOSED: _l("Closed"),
}


class QuestionKind(str, enum.Enum):
    SINGLE = "single"  # 单选
    MULTIPLE = "multiple"  # 多选
    RATING = "rating"  # 1-5 分
    TEXT = "text"  # 文字

    @property
    def label(self):
        return QUESTION_KIND_LABELS[self]

    @property
    def has_options(self) -> bool:
        return self in (QuestionKind.SINGLE, QuestionKind.MULTIPLE)


QUESTION_KIND_LABELS = {
    QuestionKind.SINGLE: _l("Single choice"),
    QuestionKind.MULTIPLE: _l("Multiple choice"),
    QuestionKind.RATING: _l("Rating from 1 to 5"),
    QuestionKind.TEXT: _l("Free text"),
}


class ResponseChannel(str, enum.Enum):
    PORTAL = "portal"  # the firm's contact, in the portal
    PAPER = "paper"  # a paper form, entered by an officer

    @property
    def label(self):
        return RESPONSE_CHANNEL_LABELS[self]


RESPONSE_CHANNEL_LABELS = {
    ResponseChannel.PORTAL: _l("Enterprise portal"),
    ResponseChannel.PAPER: _l("Paper form"),
}


class Questionnaire(db.Model):
    """A questionnaire (调查问卷) of an office, attached to a campaign, a policy briefing (宣讲会), or both (the
    CHECK "attached"): the campaign's roster firms and the briefing's invited or registered firms answer it,
    once each."""

    __tablename__ = "questionnaires"
    __label__ = _l("Questionnaire")
    __audit_label__ = ("title",)
    __table_args__ = (
        sa.CheckConstraint("campaign_id IS NOT NULL OR briefing_id IS NOT NULL", name="attached"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        # One new version per questionnaire: a double click on "new version" makes one draft.
        sa.UniqueConstraint("previous_id", name="uq_questionnaires_previous_id"),
        sa.Index("ix_questionnaires_office_status", "office_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Optimistic locking: every UPDATE checks and moves it (tracker.views).
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version_id}
    __audit_ignore__ = ("version_id",)
    title: Mapped[str] = mapped_column(sa.String(200), info={"label": _l("Title of the questionnaire")})
    intro: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Introduction")})
    # The office whose subtree's firms may answer and whose staff read the results.
    office_id: Mapped[int] = mapped_column(
        sa.ForeignKey("offices.id", ondelete="RESTRICT"), info={"label": _l("Office")})
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="RESTRICT"), index=True, info={"label": _l("Campaign")})
    briefing_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("briefings.id", ondelete="RESTRICT"), index=True, info={"label": _l("Policy briefing")})
    status: Mapped[QuestionnaireStatus] = mapped_column(
        enum_column(QuestionnaireStatus, "status"), default=QuestionnaireStatus.DRAFT, info={"label": _l("Status")})
    # 1 for a first questionnaire; a new version made from it has its number plus one and previous_id set.
    version: Mapped[int] = mapped_column(default=1, server_default="1", info={"label": _l("Version")})
    previous_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("questionnaires.id", ondelete="SET NULL"), info={"label": _l("Replaces version")})
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Opened at")})
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Time closed")})
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"label": _l("Created by")})
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Created at")})

    office = relationship("Office")
    campaign = relationship("Campaign")
    briefing = relationship("Briefing")
    created_by = relationship("User")
    previous = relationship("Questionnaire", remote_side=[id], foreign_keys=[previous_id])
    questions: Mapped[list["Question"]] = relationship(
        back_populates="questionnaire", cascade="all, delete-orphan",
        order_by="(Question.position, Question.id)")

    def has_responses(self) -> bool:
        if self.id is None:
            return False
        return db.session.scalar(sa.select(sa.exists().where(Response.questionnaire_id == self.id)))

    # Questions change only in a draft, and never once a firm has answered (a new version instead).
    def check_questions_editable(self) -> None:
        if self.has_responses():
            raise DomainError(_("Firms have answered this questionnaire: its questions and options can no longer "
                                "be changed or removed. Make a new version instead."))
        if self.status is not QuestionnaireStatus.DRAFT:
            raise DomainError(_("Only a draft's questions can be changed; this questionnaire is %(status)s.",
                                status=self.status.label))

    def can_edit(self) -> bool:
        return self.status is QuestionnaireStatus.DRAFT

    def can_open(self) -> bool:
        return self.status is QuestionnaireStatus.DRAFT

    def can_close(self) -> bool:
        return self.status is QuestionnaireStatus.OPEN

    def can_reopen(self) -> bool:
        return self.status is QuestionnaireStatus.CLOSED

    def can_return_to_draft(self) -> bool:
        return self.status is QuestionnaireStatus.OPEN

    def is_open(self) -> bool:
        return self.status is QuestionnaireStatus.OPEN

    def _refusal(self, action: str) -> DomainError:
        return DomainError(_("A questionnaire that is %(status)s cannot be %(action)s.", status=self.status.label,
                             action=action))

    def opening_problems(self) -> list[str]:
        problems = []
        if not self.questions:
            problems.append(_("A questionnaire needs at least one question before it opens."))
        for number, question in enumerate(self.questions, 1):
            if question.kind.has_options and len(question.options) < 2:
                problems.append(_("Question %(n)d is a choice and needs at least two options.", n=number))
        return problems

    def open(self, now: datetime) -> None:
        """草稿 → 收集中, once every question can be answered."""
        if not self.can_open():
            raise self._refusal(_("opened"))
        problems = self.opening_problems()
        if problems:
            raise DomainError(" ".join(problems))
        self.status = QuestionnaireStatus.OPEN
        self.opened_at = now
        self.closed_at = None

    def close(self, now: datetime) -> None:
        """收集中 → 已结束: no more answers."""
        if not self.can_close():
            raise self._refusal(_("closed"))
        self.status = QuestionnaireStatus.CLOSED
        self.closed_at = now

    def reopen(self) -> None:
        """已结束 → 收集中: answers again (its questions stay as they were)."""
        if not self.can_reopen():
            raise self._refusal(_("opened again"))
        self.status = QuestionnaireStatus.OPEN
        self.closed_at = None

    def return_to_draft(self) -> None:
        """收集中 → 草稿, to change its questions: only while no firm has answered."""
        if not self.can_return_to_draft():
            raise self._refusal(_("returned to draft"))
        if self.has_responses():
            raise DomainError(_("Firms have answered this questionnaire: it cannot go back to draft. Make a new "
                                "version instead."))
        self.status = QuestionnaireStatus.DRAFT
        self.opened_at = None

    # Questions ----------------------------------------------------------------------------------
    def add_question(self, kind: "QuestionKind", text: str, required: bool, options: list[str]) -> "Question":
        self.check_questions_editable()
        position = max((q.position for q in self.questions), default=0) + 1
        question = Question(kind=kind, text=text, required=required, position=position)
        question.set_options(options)
        self.questions.append(question)
        return question

    def remove_question(self, question: "Question") -> None:
        self.check_questions_editable()
        self.questions.remove(question)
        for position, rest in enumerate(self.questions, 1):
            rest.position = position

    def move_question(self, question: "Question", step: int) -> None:
        """Move a question up (-1) or down (+1) among the others."""
        self.check_questions_editable()
        ordered = list(self.questions)
        here = ordered.index(question)
        there = here + step
        if not 0 <= there < len(ordered):
            return
        ordered[here], ordered[there] = ordered[there], ordered[here]
        for position, item in enumerate(ordered, 1):
            item.position = position
        self.questions[:] = ordered


class Question(db.Model):
    """A question of a questionnaire, at its position; choice questions have their options."""

    __tablename__ = "questionnaire_questions"
    __label__ = _l("Question")
    __audit_label__ = ("text",)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questionnaires.id", ondelete="CASCADE"), index=True, info={"label": _l("Questionnaire")})
    position: Mapped[int] = mapped_column(info={"label": _l("Position")})
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind, "kind"), info={"label": _l("Kind")})
    text: Mapped[str] = mapped_column(sa.String(500), info={"label": _l("Question")})
    required: Mapped[bool] = mapped_column(default=False, info={"label": _l("Answer required")})

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="questions")
    options: Mapped[list["QuestionOption"]] = relationship(
        back_populates="question", cascade="all, delete-orphan",
        order_by="(QuestionOption.position, QuestionOption.id)")

    def set_options(self, texts: list[str]) -> None:
        """The options in this order: existing ones keep their rows (and ids) by position, the text changed;
        extra ones are added, missing ones removed. A question that is not a choice has none."""
        texts = texts if self.kind.has_options else []
        current = list(self.options)
        for position, text in enumerate(texts, 1):
            if position <= len(current):
                current[position - 1].text = text
                current[position - 1].position = position
            else:
                self.options.append(QuestionOption(position=position, text=text))
        for option in current[len(texts):]:
            self.options.remove(option)

    def update(self, kind: QuestionKind, text: str, required: bool, options: list[str]) -> None:
        self.questionnaire.check_questions_editable()
        self.kind, self.text, self.required = kind, text, required
        self.set_options(options)


class QuestionOption(db.Model):
    """An option of a choice question."""

    __tablename__ = "questionnaire_options"
    __label__ = _l("Option")
    __audit_label__ = ("text",)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questionnaire_questions.id", ondelete="CASCADE"), index=True,
        info={"label": _l("Question")})
    position: Mapped[int] = mapped_column(info={"label": _l("Position")})
    text: Mapped[str] = mapped_column(sa.String(200), info={"label": _l("Option")})

    question: Mapped[Question] = relationship(back_populates="options")


class Response(db.Model):
    """A firm's response to a questionnaire: one per firm, which the database enforces."""

    __tablename__ = "questionnaire_responses"
    __label__ = _l("Questionnaire response")
    __table_args__ = (
        sa.UniqueConstraint("questionnaire_id", "enterprise_id", name="uq_questionnaire_responses_firm"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # RESTRICT: a questionnaire with answers is kept (its results are the point of it).
    questionnaire_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questionnaires.id", ondelete="RESTRICT"), info={"label": _l("Questionnaire")})
    enterprise_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True, info={"label": _l("Enterprise")})
    # The contact who answered in the portal, or the officer who entered the paper form.
    entered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"label": _l("Entered by")})
    channel: Mapped[ResponseChannel] = mapped_column(
        enum_column(ResponseChannel, "channel"), info={"label": _l("Channel")})
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Submitted at")})

    questionnaire: Mapped[Questionnaire] = relationship()
    enterprise = relationship("Enterprise")
    entered_by = relationship("User")
    answers: Mapped[list["Answer"]] = relationship(back_populates="response", cascade="all, delete-orphan")


answer_options = sa.Table(
    "questionnaire_answer_options",
    db.metadata,
    sa.Column("answer_id", sa.ForeignKey("questionnaire_answers.id", ondelete="CASCADE"), primary_key=True),
    # RESTRICT: an option somebody chose cannot be deleted, whatever code path tries.
    sa.Column("option_id", sa.ForeignKey("questionnaire_options.id", ondelete="RESTRICT"), primary_key=True,
              index=True),
)


class Answer(db.Model):
    """The answer to one question of a response: the options chosen, a rating 1-5, or a text. A question left
    unanswered has no row."""

    __tablename__ = "questionnaire_answers"
    __label__ = _l("Answer")
    __table_args__ = (
        sa.UniqueConstraint("response_id", "question_id", name="uq_questionnaire_answers_question"),
        sa.CheckConstraint(f"rating IS NULL OR rating BETWEEN {RATING_MIN} AND {RATING_MAX}", name="rating_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questionnaire_responses.id", ondelete="CASCADE"), info={"label": _l("Response")})
    # RESTRICT: a question somebody answered cannot be deleted, whatever code path tries.
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questionnaire_questions.id", ondelete="RESTRICT"), index=True,
        info={"label": _l("Question")})
    rating: Mapped[int | None] = mapped_column(info={"label": _l("Points given")})
    text: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Text")})

    response: Mapped[Response] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()
    options: Mapped[list[QuestionOption]] = relationship(
        secondary=answer_options, order_by="QuestionOption.position", info={"label": _l("Options chosen")})
