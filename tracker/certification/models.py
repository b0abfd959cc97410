"""Certification coaching (认证培育): versions of the certification standard (sections, items, bonus items), a
firm's assessments against one version, each item's current score with its history, and the evidence.

A standard is data: a version (``CertificationStandard``, e.g. the 2014 and the 2018 《海关认证企业标准》) holds
sections nested one level (内部控制 → 组织机构) and items. An assessment keeps the version it was started on
for ever (a RESTRICT foreign key); a version that an assessment uses loses no item and changes no wording
(services.check_standard_editable): a new version is made instead.

An assessment is the customs' (kind OFFICER, 关员评估) or the firm's own (kind SELF, 企业自评):

    OFFICER  DRAFT ──share──▶ SHARED ──close──▶ CLOSED        (DRAFT ──close──▶ CLOSED as well)
    SELF     DRAFT ──submit─▶ SUBMITTED

Officers score an officer assessment while it is DRAFT or SHARED (re-scoring after a fix is the point of
coaching; the firm sees each change once it is shared); the firm's contacts score their self-assessment
while it is DRAFT. A firm's contacts read an officer assessment once it has been shared (shared_at), staff
read a self-assessment once it has been submitted. One open assessment per firm and kind (a partial
unique index): a double click on "start" makes one.
"""
import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.domain import DomainError
from tracker.enterprises.reference import CERTIFIED_LEVELS, CREDIT_LEVEL_LABELS, REGIME_STARTS, regime_in_force
from tracker.extensions import db
from tracker.types import UTCDateTime, enum_column, utcnow

NOTE_MAX = 2000
SUMMARY_MAX = 5000
ITEM_TEXT_MAX = 2000


class Score(str, enum.Enum):
    """An item's score under the standard: 达标 0, 基本达标 -1, 不达标 -2, or 不适用 (no points)."""

    MET = "met"
    MOSTLY = "mostly"
    NOT_MET = "not_met"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self):
        return SCORE_LABELS[self]

    @property
    def points(self) -> int | None:
        """The deduction of an ordinary item (None: not applicable, not counted)."""
        return SCORE_POINTS[self]


SCORE_LABELS = {
    Score.MET: _l("Met"),
    Score.MOSTLY: _l("Mostly met"),
    Score.NOT_MET: _l("Not met"),
    Score.NOT_APPLICABLE: _l("Not applicable"),
}
SCORE_POINTS = {Score.MET: 0, Score.MOSTLY: -1, Score.NOT_MET: -2, Score.NOT_APPLICABLE: None}
# A bonus item (附加标准) is met or not: it adds points, it never deducts.
BONUS_LABELS = {
    Score.MET: _l("Met (+2)"),
    Score.NOT_MET: _l("Not met (no bonus)"),
    Score.NOT_APPLICABLE: _l("Not applicable"),
}


class AssessmentKind(str, enum.Enum):
    OFFICER = "officer"  # 关员评估: the customs' assessment of the firm
    SELF = "self"  # 企业自评: the firm's contact assesses his own firm

    @property
    def label(self):
        return ASSESSMENT_KIND_LABELS[self]


ASSESSMENT_KIND_LABELS = {
    AssessmentKind.OFFICER: _l("Customs assessment"),
    AssessmentKind.SELF: _l("Self-assessment"),
}


class AssessmentStatus(str, enum.Enum):
    DRAFT = "draft"  # 评估中
    SHARED = "shared"  # 已告知企业 (officer's): the firm's contacts read it, officers still re-score
    SUBMITTED = "submitted"  # 已提交海关 (self-assessment): staff read it, nobody changes it
    CLOSED = "closed"  # 已归档 (officer's)

    @property
    def label(self):
        return ASSESSMENT_STATUS_LABELS[self]


ASSESSMENT_STATUS_LABELS = {
    AssessmentStatus.DRAFT: _l("Being assessed"),
    AssessmentStatus.SHARED: _l("Shared with the firm"),
    AssessmentStatus.SUBMITTED: _l("Submitted to customs"),
    AssessmentStatus.CLOSED: _l("Archived"),
}
# Still being scored: one per firm and kind (the partial unique index below).
OPEN_STATUSES = (AssessmentStatus.DRAFT, AssessmentStatus.SHARED)


class CertificationStandard(db.Model):
    """A version of the certification standard (《海关认证企业标准》), loaded from a data file shipped with the app
    (tracker/certification/standards/*.json) or made by an admin from another version."""

    __tablename__ = "certification_standards"
    __label__ = _l("Certification standard")
    __audit_label__ = ("name", "version_label")

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version_id}
    __audit_ignore__ = ("version_id",)
    # The version's identity: the loader finds a version by it and never loads it twice.
    code: Mapped[str] = mapped_column(sa.String(40), unique=True, info={"label": _l("Code")})
    name: Mapped[str] = mapped_column(sa.String(200), info={"label": _l("Name")})
    version_label: Mapped[str] = mapped_column(sa.String(60), info={"label": _l("Version")})
    effective_from: Mapped[date] = mapped_column(info={"label": _l("In force from")})
    # Offered for new assessments (older versions stay for the assessments that use them).
    active: Mapped[bool] = mapped_column(default=False, info={"label": _l("Offered for new assessments")})
    # Where the text comes from: the publication, and whether it was loaded from a file or copied.
    source: Mapped[str | None] = mapped_column(sa.String(500), info={"label": _l("Source")})
    previous_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("certification_standards.id", ondelete="SET NULL"), info={"label": _l("Replaces version")})
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Created at")})

    previous = relationship("CertificationStandard", remote_side=[id], foreign_keys=[previous_id])
    sections: Mapped[list["StandardSection"]] = relationship(
        back_populates="standard", cascade="all, delete-orphan",
        order_by="(StandardSection.position, StandardSection.id)")
    items: Mapped[list["StandardItem"]] = relationship(
        back_populates="standard", cascade="all, delete-orphan", order_by="(StandardItem.position, StandardItem.id)")

    @property
    def title(self) -> str:
        return f"{self.name}（{self.version_label}）"


class StandardSection(db.Model):
    """A section of a standard (内部控制) or a subsection (组织机构): one level of nesting."""

    __tablename__ = "certification_sections"
    __label__ = _l("Section of the standard")
    __audit_label__ = ("number", "title")
    __table_args__ = (sa.UniqueConstraint("standard_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_id: Mapped[int] = mapped_column(
        sa.ForeignKey("certification_standards.id", ondelete="CASCADE"), info={"label": _l("Certification standard")})
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("certification_sections.id", ondelete="CASCADE"), index=True,
        info={"label": _l("Part of section")})
    number: Mapped[str] = mapped_column(sa.String(20), info={"label": _l("Section number")})
    title: Mapped[str] = mapped_column(sa.String(100), info={"label": _l("Title of the section")})
    # The order among its siblings (the standard's order, as the file gives it).
    position: Mapped[int] = mapped_column(info={"label": _l("Position")})
    # 附加标准: its items add points and never deduct.
    is_bonus: Mapped[bool] = mapped_column(default=False, info={"label": _l("Bonus items")})

    standard: Mapped[CertificationStandard] = relationship(back_populates="sections")
    parent = relationship("StandardSection", remote_side=[id], foreign_keys=[parent_id])

    @property
    def heading(self) -> str:
        return f"{self.number} {self.title}"


class StandardItem(db.Model):
    """An item (条款) of a standard: its number ("1.1.2"), its text, and whether every firm must meet it (an item
    that does not apply to every firm, such as one on containers, may be scored 不适用)."""

    __tablename__ = "certification_items"
    __label__ = _l("Item of the standard")
    __audit_label__ = ("number",)
    __table_args__ = (sa.UniqueConstraint("standard_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version_id}
    __audit_ignore__ = ("version_id",)
    standard_id: Mapped[int] = mapped_column(
        sa.ForeignKey("certification_standards.id", ondelete="CASCADE"), info={"label": _l("Certification standard")})
    section_id: Mapped[int] = mapped_column(
        sa.ForeignKey("certification_sections.id", ondelete="CASCADE"), index=True,
        info={"label": _l("Section of the standard")})
    number: Mapped[str] = mapped_column(sa.String(20), info={"label": _l("Item number")})
    text: Mapped[str] = mapped_column(sa.Text, info={"label": _l("Text of the item")})
    # The officers' coaching notes on the item (how to check it, what evidence to ask for).
    guidance: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Guidance")})
    is_bonus: Mapped[bool] = mapped_column(default=False, info={"label": _l("Bonus item")})
    applies_to_all: Mapped[bool] = mapped_column(default=True, info={"label": _l("Applies to every firm")})
    # The order in the standard (the file's order; an added item comes last in its section).
    position: Mapped[int] = mapped_column(info={"label": _l("Position")})

    standard: Mapped[CertificationStandard] = relationship(back_populates="items")
    section: Mapped[StandardSection] = relationship()

    def allowed_scores(self) -> list[Score]:
        """The scores this item may take: a bonus item is met or not; 不适用 only where it need not apply."""
        scores = [Score.MET, Score.NOT_MET] if self.is_bonus else [Score.MET, Score.MOSTLY, Score.NOT_MET]
        if not self.applies_to_all:
            scores.append(Score.NOT_APPLICABLE)
        return scores

    def score_label(self, score: Score) -> str:
        return BONUS_LABELS[score] if self.is_bonus else score.label


class Assessment(db.Model):
    """A firm's assessment against one version of the standard: the customs' or the firm's own (see the
    module's docstring for its states)."""

    __tablename__ = "certification_assessments"
    __label__ = _l("Certification assessment")
    __table_args__ = (
        sa.CheckConstraint("(kind = 'officer' AND status <> 'submitted') OR (kind = 'self' AND status IN "
                           "('draft', 'submitted'))", name="status_fits_kind"),
        # One open assessment per firm and kind, whatever code path tries: a double click starts one.
        sa.Index("uq_certification_assessments_open", "enterprise_id", "kind", unique=True,
                 sqlite_where=sa.text("status IN ('draft', 'shared')"),
                 postgresql_where=sa.text("status IN ('draft', 'shared')")),
        sa.Index("ix_certification_assessments_enterprise", "enterprise_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Optimistic locking for the assessment's own columns (the summary, the state); scores have their own.
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version_id}
    __audit_ignore__ = ("version_id",)
    enterprise_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enterprises.id", ondelete="RESTRICT"), info={"label": _l("Enterprise")})
    # The version it was started on, for ever (RESTRICT: a version in use cannot go).
    standard_id: Mapped[int] = mapped_column(
        sa.ForeignKey("certification_standards.id", ondelete="RESTRICT"), index=True,
        info={"label": _l("Certification standard")})
    kind: Mapped[AssessmentKind] = mapped_column(enum_column(AssessmentKind, "kind"), info={"label": _l("Kind")})
    status: Mapped[AssessmentStatus] = mapped_column(
        enum_column(AssessmentStatus, "status"), default=AssessmentStatus.DRAFT, info={"label": _l("Status")})
    # The assessor's overall remarks (评估意见), or the firm's on its self-assessment.
    summary: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Overall remarks")})
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"label": _l("Started by")})
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Started at")})
    # Set once, when the officer's assessment is first shared: from then on the firm's contacts read it.
    shared_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Shared with the firm at")})
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Submitted at")})
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Archived at")})

    enterprise = relationship("Enterprise")
    standard: Mapped[CertificationStandard] = relationship()
    created_by = relationship("User")

    @property
    def is_self(self) -> bool:
        return self.kind is AssessmentKind.SELF

    @property
    def visible_to_firm(self) -> bool:
        return self.is_self or self.shared_at is not None

    @property
    def visible_to_staff(self) -> bool:
        return not self.is_self or self.status is not AssessmentStatus.DRAFT

    # The state machine: each transition checks where it starts from.
    def is_being_scored(self, status: AssessmentStatus | None = None) -> bool:
        """Scores may change (in *status*, by default the one held)."""
        status = status or self.status
        if self.is_self:
            return status is AssessmentStatus.DRAFT
        return status in OPEN_STATUSES

    def can_share(self) -> bool:
        return not self.is_self and self.status is AssessmentStatus.DRAFT

    def can_submit(self) -> bool:
        return self.is_self and self.status is AssessmentStatus.DRAFT

    def can_close(self) -> bool:
        return not self.is_self and self.status in OPEN_STATUSES

    def _refusal(self, action: str) -> DomainError:
        return DomainError(_("An assessment that is %(status)s cannot be %(action)s.", status=self.status.label,
                             action=action))

    def check_scoring(self, status: AssessmentStatus | None = None) -> None:
        status = status or self.status
        if not self.is_being_scored(status):
            raise DomainError(_("This assessment is %(status)s: its scores can no longer be changed.",
                                status=status.label))

    def share(self, now: datetime) -> None:
        """评估中 → 已告知企业: the firm's contacts read it from now on."""
        if not self.can_share():
            raise self._refusal(_("shared with the firm"))
        self.status = AssessmentStatus.SHARED
        self.shared_at = now

    def submit(self, now: datetime, unscored: int) -> None:
        """评估中 → 已提交海关 (self-assessment), once every item that applies has its score."""
        if not self.can_submit():
            raise self._refusal(_("submitted"))
        if unscored:
            raise DomainError(_("%(count)d items are still to be scored; score every item before you submit "
                                "the self-assessment.", count=unscored))
        self.status = AssessmentStatus.SUBMITTED
        self.submitted_at = now

    def close(self, now: datetime) -> None:
        """评估中/已告知企业 → 已归档: read-only for everybody; a new assessment may start."""
        if not self.can_close():
            raise self._refusal(_("archived"))
        self.status = AssessmentStatus.CLOSED
        self.closed_at = now


class ItemScore(db.Model):
    """The current score of one item in one assessment: one per (assessment, item), which the database keeps.
    Re-scoring changes this row (its version_id moves; a form from an older version is refused) and appends a
    row to ItemScoreHistory, which keeps every score the item has had."""

    __tablename__ = "certification_scores"
    __label__ = _l("Item score")
    __table_args__ = (sa.UniqueConstraint("assessment_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The item's version in this assessment: 1 at the first score, one more at each re-score.
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version_id}
    __audit_ignore__ = ("version_id",)
    assessment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("certification_assessments.id", ondelete="CASCADE"),
        info={"label": _l("Certification assessment")})
    # RESTRICT: an item somebody scored stays in its version.
    item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("certification_items.id", ondelete="RESTRICT"), index=True,
        info={"label": _l("Item of the standard")})
    score: Mapped[Score] = mapped_column(enum_column(Score, "score"), info={"label": _l("Score")})
    note: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Note")})
    scored_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"label": _l("Scored by")})
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Scored at")})

    assessment: Mapped[Assessment] = relationship()
    item: Mapped[StandardItem] = relationship()
    scored_by = relationship("User")


class ItemScoreHistory(db.Model):
    """Every score an item has had in an assessment, the current one included, in order (revision = the
    ItemScore's version_id it made). Append-only: never changed, deleted only with its assessment."""

    __tablename__ = "certification_score_history"
    __label__ = _l("Earlier score")
    # A history is its own audit trail.
    __audited__ = False
    __table_args__ = (sa.UniqueConstraint("assessment_id", "item_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("certification_assessments.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("certification_items.id", ondelete="RESTRICT"), index=True)
    revision: Mapped[int] = mapped_column()
    score: Mapped[Score] = mapped_column(enum_column(Score, "score"))
    note: Mapped[str | None] = mapped_column(sa.Text)
    scored_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    scored_by = relationship("User")


class Evidence(db.Model):
    """A file that shows how an item is met (a procedure, a photo of the workshop's fence): attached to an
    item of an assessment, stored under instance/uploads/certification like a briefing's materials."""

    __tablename__ = "certification_evidence"
    __label__ = _l("Evidence")
    __audit_label__ = ("original_filename",)
    __table_args__ = (sa.Index("ix_certification_evidence_item", "assessment_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("certification_assessments.id", ondelete="CASCADE"),
        info={"label": _l("Certification assessment")})
    item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("certification_items.id", ondelete="RESTRICT"), index=True,
        info={"label": _l("Item of the standard")})
    original_filename: Mapped[str] = mapped_column(sa.String(255), info={"label": _l("File name")})
    # The generated name on disk (uuid hex and the extension): never the uploader's.
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True, info={"label": _l("Stored as")})
    content_type: Mapped[str] = mapped_column(sa.String(100), info={"label": _l("Content type")})
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger, info={"label": _l("Size (bytes)")})
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"label": _l("Uploaded by")})
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Uploaded at")})

    assessment: Mapped[Assessment] = relationship()
    item: Mapped[StandardItem] = relationship()
    uploaded_by = relationship("User")


# Applications for certification (认证申请) ---------------------------------------------------------------------
# A firm coached to a pass applies to customs for certification:
#
#     APPLIED ──accept──▶ ACCEPTED ──audit──▶ AUDITED ──decide──▶ CERTIFIED | REFUSED
#     APPLIED, ACCEPTED, AUDITED ──withdraw──▶ WITHDRAWN
#
# 已提交申请 → 已受理 (the receipt, 受理编号) → 已现场验证 (the on-site audit) → 已通过认证 / 未通过认证; the decision
# needs the audit first. A certification writes the firm's dated credit level under the regime in force on the
# decision's day (services.decide_application). One open application per firm (a partial unique index).
APPLICATION_TEXT_MAX = 2000
RECEIPT_MAX = 40
CERTIFICATE_MAX = 60


class ApplicationStatus(str, enum.Enum):
    APPLIED = "applied"  # 已提交申请
    ACCEPTED = "accepted"  # 已受理
    AUDITED = "audited"  # 已现场验证
    CERTIFIED = "certified"  # 已通过认证
    REFUSED = "refused"  # 未通过认证
    WITHDRAWN = "withdrawn"  # 已撤回

    @property
    def label(self):
        return APPLICATION_STATUS_LABELS[self]


APPLICATION_STATUS_LABELS = {
    ApplicationStatus.APPLIED: _l("Application submitted"),
    ApplicationStatus.ACCEPTED: _l("Application accepted"),
    ApplicationStatus.AUDITED: _l("Audited on site"),
    ApplicationStatus.CERTIFIED: _l("Certification granted"),
    ApplicationStatus.REFUSED: _l("Certification refused"),
    ApplicationStatus.WITHDRAWN: _l("Application withdrawn"),
}
# Still under way: one per firm (the partial unique index below).
OPEN_APPLICATION_STATUSES = (ApplicationStatus.APPLIED, ApplicationStatus.ACCEPTED, ApplicationStatus.AUDITED)
DECIDED_STATUSES = (ApplicationStatus.CERTIFIED, ApplicationStatus.REFUSED)


def level_label(level: str | None) -> str:
    return str(CREDIT_LEVEL_LABELS.get(level, level)) if level else ""


def levels_text(levels) -> str:
    """Levels named one after the other: 高级认证企业、一般认证企业 / Advanced ..., General ..."""
    separator = "、" if str(get_locale() or "zh").startswith("zh") else ", "
    return separator.join(level_label(level) for level in levels)


def certified_levels_on(day: date) -> tuple[str, ...]:
    """The levels a certification may give on *day* (none before the first regime)."""
    regime = regime_in_force(day)
    return CERTIFIED_LEVELS[regime] if regime is not None else ()


def check_certified_level(level: str, day: date) -> None:
    """Refuse a level that is not a certified level of the regime in force on *day*."""
    regime = regime_in_force(day)
    if regime is None:
        raise DomainError(_("No credit regime was in force on %(day)s: the first one, decree 237, applies from "
                            "%(start)s.", day=day.isoformat(), start=min(REGIME_STARTS.values()).isoformat()))
    if level not in CERTIFIED_LEVELS[regime]:
        raise DomainError(_("%(level)s is not a certified level under %(regime)s, in force on %(day)s: choose "
                            "%(levels)s.", level=level_label(level), regime=regime.label, day=day.isoformat(),
                            levels=levels_text(CERTIFIED_LEVELS[regime])))


def _check_not_future(day: date, today: date) -> None:
    if day > today:
        raise DomainError(_("A step of the application cannot be dated in the future (today is %(today)s).",
                            today=today.isoformat()))


class CertificationApplication(db.Model):
    """A firm's application for certification (认证申请): the level applied for, the dates of each step, the
    receipt number, the on-site audit, the decision with its reason, and the credit level a certification wrote."""

    __tablename__ = "certification_applications"
    __label__ = _l("Certification application")
    __table_args__ = (
        # A decision has its day, and only a decision has one; a refusal says why.
        sa.CheckConstraint("(status IN ('certified', 'refused') AND decided_on IS NOT NULL) OR "
                           "(status NOT IN ('certified', 'refused') AND decided_on IS NULL)", name="decided_on"),
        sa.CheckConstraint("status <> 'refused' OR decision_reason IS NOT NULL", name="refusal_reason"),
        # One application under way per firm, whatever code path tries: a double click applies once.
        sa.Index("uq_certification_applications_open", "enterprise_id", unique=True,
                 sqlite_where=sa.text("status IN ('applied', 'accepted', 'audited')"),
                 postgresql_where=sa.text("status IN ('applied', 'accepted', 'audited')")),
        sa.Index("ix_certification_applications_enterprise", "enterprise_id", "applied_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version_id}
    __audit_ignore__ = ("version_id",)
    enterprise_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enterprises.id", ondelete="RESTRICT"), info={"label": _l("Enterprise")})
    # A key of CREDIT_LEVEL_LABELS, a certified level of the regime in force on applied_on.
    target_level: Mapped[str] = mapped_column(
        sa.String(32), info={"label": _l("Level applied for"), "values": CREDIT_LEVEL_LABELS})
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column(ApplicationStatus, "status"), default=ApplicationStatus.APPLIED, info={"label": _l("Status")})
    applied_on: Mapped[date] = mapped_column(info={"label": _l("Applied on")})
    receipt_no: Mapped[str | None] = mapped_column(sa.String(RECEIPT_MAX), info={"label": _l("Receipt number")})
    accepted_on: Mapped[date | None] = mapped_column(info={"label": _l("Accepted on")})
    audit_on: Mapped[date | None] = mapped_column(info={"label": _l("On-site audit on")})
    audit_note: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Findings of the on-site audit")})
    decided_on: Mapped[date | None] = mapped_column(info={"label": _l("Decided on")})
    decision_reason: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Reason for the decision")})
    # The level the certification gave (the one applied for, or the current regime's where the rules changed).
    granted_level: Mapped[str | None] = mapped_column(
        sa.String(32), info={"label": _l("Level granted"), "values": CREDIT_LEVEL_LABELS})
    certificate_no: Mapped[str | None] = mapped_column(
        sa.String(CERTIFICATE_MAX), info={"label": _l("Certificate number")})
    withdrawn_on: Mapped[date | None] = mapped_column(info={"label": _l("Withdrawn on")})
    withdrawn_reason: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Reason for the withdrawal")})
    # The officer assessment the application rests on (the firm's own, kind OFFICER).
    assessment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("certification_assessments.id", ondelete="SET NULL"),
        info={"label": _l("Certification assessment")})
    # The credit level the certification wrote into the firm's history.
    credit_rating_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("credit_ratings.id", ondelete="SET NULL"), info={"label": _l("Credit level written")})
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"label": _l("Recorded by")})
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Recorded at")})
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow,
                                                 info={"label": _l("Updated at")})

    enterprise = relationship("Enterprise")
    assessment: Mapped[Assessment | None] = relationship()
    credit_rating = relationship("CreditRating")
    created_by = relationship("User")

    @property
    def target_level_label(self) -> str:
        return level_label(self.target_level)

    @property
    def granted_level_label(self) -> str:
        return level_label(self.granted_level)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_APPLICATION_STATUSES

    # The state machine: each transition checks where it starts from.
    def can_accept(self) -> bool:
        return self.status is ApplicationStatus.APPLIED

    def can_audit(self) -> bool:
        return self.status is ApplicationStatus.ACCEPTED

    def can_decide(self) -> bool:
        return self.status is ApplicationStatus.AUDITED

    def can_withdraw(self) -> bool:
        return self.is_open

    def _refusal(self, action: str) -> DomainError:
        return DomainError(_("An application that is %(status)s cannot be %(action)s.", status=self.status.label,
                             action=action))

    @staticmethod
    def check_new(target_level: str, applied_on: date, today: date) -> None:
        """The rules a new application meets: dated no later than today, for a certified level of its day's regime."""
        _check_not_future(applied_on, today)
        check_certified_level(target_level, applied_on)

    def accept(self, receipt_no: str, on: date, today: date) -> None:
        """已提交申请 → 已受理, with the receipt number customs gave."""
        if not self.can_accept():
            raise self._refusal(_("accepted"))
        receipt_no = (receipt_no or "").strip()
        if not receipt_no or len(receipt_no) > RECEIPT_MAX:
            raise DomainError(_("Give the receipt number (at most %(n)d characters).", n=RECEIPT_MAX))
        _check_not_future(on, today)
        if on < self.applied_on:
            raise DomainError(_("The application cannot be accepted before it was made (%(day)s).",
                                day=self.applied_on.isoformat()))
        self.status, self.receipt_no, self.accepted_on = ApplicationStatus.ACCEPTED, receipt_no, on

    def audit(self, on: date, note: str | None, today: date) -> None:
        """已受理 → 已现场验证: the on-site audit and what it found."""
        if not self.can_audit():
            if self.status is ApplicationStatus.APPLIED:
                raise DomainError(_("Record the receipt of the application before its on-site audit."))
            raise self._refusal(_("audited"))
        _check_not_future(on, today)
        if on < self.accepted_on:
            raise DomainError(_("The on-site audit cannot come before the application was accepted (%(day)s).",
                                day=self.accepted_on.isoformat()))
        self.status, self.audit_on, self.audit_note = ApplicationStatus.AUDITED, on, _clean(note)

    def decide(self, certified: bool, on: date, reason: str | None, certificate_no: str | None, today: date,
               level: str | None = None) -> None:
        """已现场验证 → 已通过认证 (at *level*, by default the one applied for, a certified level of the regime in
        force on *on*) or 未通过认证 (with the reason)."""
        if not self.can_decide():
            if self.status in (ApplicationStatus.APPLIED, ApplicationStatus.ACCEPTED):
                raise DomainError(_("The decision needs the on-site audit first: record the audit, then decide."))
            raise self._refusal(_("decided"))
        _check_not_future(on, today)
        if on < self.audit_on:
            raise DomainError(_("The decision cannot come before the on-site audit (%(day)s).",
                                day=self.audit_on.isoformat()))
        reason = _clean(reason)
        certificate_no = (certificate_no or "").strip() or None
        if certified:
            level = level or self.target_level
            regime = regime_in_force(on)
            if level == self.target_level and regime is not None and level not in CERTIFIED_LEVELS[regime]:
                raise DomainError(_(
                    "%(level)s, applied for, is no longer a certified level under %(regime)s, in force on %(day)s: "
                    "choose the level to certify under the current regime (%(levels)s).",
                    level=level_label(level), regime=regime.label, day=on.isoformat(),
                    levels=levels_text(CERTIFIED_LEVELS[regime])))
            check_certified_level(level, on)
            if certificate_no is not None and len(certificate_no) > CERTIFICATE_MAX:
                raise DomainError(_("A certificate number has at most %(n)d characters.", n=CERTIFICATE_MAX))
            self.status, self.granted_level, self.certificate_no = ApplicationStatus.CERTIFIED, level, certificate_no
        else:
            if reason is None:
                raise DomainError(_("Give the reason why the certification is refused."))
            self.status = ApplicationStatus.REFUSED
        self.decided_on, self.decision_reason = on, reason

    def withdraw(self, reason: str | None, on: date) -> None:
        """Any open step → 已撤回, with the reason (the firm's letter, a change of plans)."""
        if not self.can_withdraw():
            raise self._refusal(_("withdrawn"))
        reason = _clean(reason)
        if reason is None:
            raise DomainError(_("Give the reason for the withdrawal."))
        self.status, self.withdrawn_on, self.withdrawn_reason = ApplicationStatus.WITHDRAWN, on, reason


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    if len(text) > APPLICATION_TEXT_MAX:
        raise DomainError(_("A text has at most %(n)d characters.", n=APPLICATION_TEXT_MAX))
    return text or None
