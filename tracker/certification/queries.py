"""Reads of certification coaching: the assessments a user may see (scope_assessments), their results for a
whole list at once, an assessment's page in a fixed number of statements, an item's history, the standards."""
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from tracker.auth.models import Role, User
from tracker.certification.models import (
    Assessment, AssessmentKind, AssessmentStatus, CertificationStandard, Evidence, ItemScore, ItemScoreHistory,
    StandardItem, StandardSection,
)
from tracker.certification.rule import Result, evaluate
from tracker.extensions import db
from tracker.pagination import Page
from tracker.permissions import visible_enterprise_ids
from tracker.certification.models import CertificationApplication


def scope_assessments(stmt: sa.Select, user: User) -> sa.Select:
    """Staff: their subtree's firms' customs assessments and submitted self-assessments (admins: every firm's);
    a firm's contact: his firm's self-assessments and the customs' ones shared with it."""
    if user.role is Role.ENTERPRISE_CONTACT:
        return stmt.where(Assessment.enterprise_id == user.enterprise_id,
                          sa.or_(Assessment.kind == AssessmentKind.SELF, Assessment.shared_at.is_not(None)))
    staff_may_read = sa.or_(Assessment.kind == AssessmentKind.OFFICER, Assessment.status != AssessmentStatus.DRAFT)
    if user.role is Role.ADMIN:
        return stmt.where(staff_may_read)
    return stmt.where(Assessment.enterprise_id.in_(visible_enterprise_ids(user)), staff_may_read)


def results_of(assessments) -> dict[int, Result]:
    """Each assessment's result, in two statements however many there are (the versions' items, the scores)."""
    assessments = list(assessments)
    if not assessments:
        return {}
    items: dict[int, list[StandardItem]] = {}
    for item in db.session.scalars(sa.select(StandardItem).where(
            StandardItem.standard_id.in_({a.standard_id for a in assessments})).order_by(StandardItem.position)):
        items.setdefault(item.standard_id, []).append(item)
    scores: dict[int, dict] = {a.id: {} for a in assessments}
    for assessment_id, item_id, score in db.session.execute(sa.select(
            ItemScore.assessment_id, ItemScore.item_id, ItemScore.score).where(
            ItemScore.assessment_id.in_(scores))):
        scores[assessment_id][item_id] = score
    return {a.id: evaluate(items.get(a.standard_id, []), scores[a.id]) for a in assessments}


def assessment_page(user: User, page, *, status: AssessmentStatus | None = None,
                    kind: AssessmentKind | None = None, per_page: int = 50) -> Page:
    """The staff's list of assessments, newest first (two statements; results_of gives their results)."""
    conditions = []
    if status is not None:
        conditions.append(Assessment.status == status)
    if kind is not None:
        conditions.append(Assessment.kind == kind)
    stmt = scope_assessments(sa.select(Assessment).where(*conditions), user).options(
        joinedload(Assessment.enterprise), joinedload(Assessment.standard)).order_by(
        Assessment.created_at.desc(), Assessment.id.desc())
    count = scope_assessments(sa.select(sa.func.count(Assessment.id)).where(*conditions), user)
    return Page.of(page, per_page, count=lambda: db.session.scalar(count),
                   items=lambda offset, limit: db.session.scalars(stmt.offset(offset).limit(limit)).all())


def firm_assessments(enterprise_id: int, user: User) -> list[Assessment]:
    """A firm's assessments the user may see, newest first."""
    return db.session.scalars(scope_assessments(
        sa.select(Assessment).where(Assessment.enterprise_id == enterprise_id), user)
        .options(joinedload(Assessment.standard), joinedload(Assessment.created_by))
        .order_by(Assessment.created_at.desc(), Assessment.id.desc())).all()


@dataclass
class SectionView:
    section: StandardSection
    items: list[StandardItem] = field(default_factory=list)


@dataclass
class AssessmentView:
    """What an assessment's page shows: its version's sections in order, each with its items, the current
    scores (an item's score's version_id is how many scores it has had), the evidence and the result."""

    assessment: Assessment
    sections: list[SectionView]
    scores: dict[int, ItemScore]
    evidence: dict[int, list[Evidence]]
    result: Result

    @property
    def items(self) -> list[StandardItem]:
        return [item for view in self.sections for item in view.items]


def assessment_view(assessment: Assessment) -> AssessmentView:
    """Four statements, whatever the number of items, scores and files."""
    sections = db.session.scalars(sa.select(StandardSection).where(
        StandardSection.standard_id == assessment.standard_id).order_by(StandardSection.position)).all()
    views = {s.id: SectionView(s) for s in sections}
    items = db.session.scalars(sa.select(StandardItem).where(
        StandardItem.standard_id == assessment.standard_id).order_by(StandardItem.position)).all()
    for item in items:
        views[item.section_id].items.append(item)
    scores = {s.item_id: s for s in db.session.scalars(sa.select(ItemScore).where(
        ItemScore.assessment_id == assessment.id).options(joinedload(ItemScore.scored_by)))}
    evidence: dict[int, list[Evidence]] = {}
    for file in db.session.scalars(sa.select(Evidence).where(Evidence.assessment_id == assessment.id)
                                   .order_by(Evidence.uploaded_at, Evidence.id)):
        evidence.setdefault(file.item_id, []).append(file)
    result = evaluate(items, {item_id: s.score for item_id, s in scores.items()})
    return AssessmentView(assessment, [views[s.id] for s in sections], scores, evidence, result)


def item_history(assessment: Assessment, item: StandardItem) -> list[ItemScoreHistory]:
    """Every score the item has had in the assessment, the latest first."""
    return db.session.scalars(sa.select(ItemScoreHistory).where(
        ItemScoreHistory.assessment_id == assessment.id, ItemScoreHistory.item_id == item.id)
        .options(joinedload(ItemScoreHistory.scored_by)).order_by(ItemScoreHistory.revision.desc())).all()


def item_evidence(assessment: Assessment, item: StandardItem) -> list[Evidence]:
    return db.session.scalars(sa.select(Evidence).where(
        Evidence.assessment_id == assessment.id, Evidence.item_id == item.id)
        .order_by(Evidence.uploaded_at, Evidence.id)).all()


# The standards ------------------------------------------------------------------------------------------------
def standards_with_use() -> list[tuple[CertificationStandard, int, int]]:
    """Every version with its number of items and of assessments that use it, the latest in force first."""
    items = (sa.select(sa.func.count(StandardItem.id)).where(StandardItem.standard_id == CertificationStandard.id)
             .correlate(CertificationStandard).scalar_subquery())
    used = (sa.select(sa.func.count(Assessment.id)).where(Assessment.standard_id == CertificationStandard.id)
            .correlate(CertificationStandard).scalar_subquery())
    return db.session.execute(sa.select(CertificationStandard, items, used).order_by(
        CertificationStandard.effective_from.desc(), CertificationStandard.id.desc())).all()


def standard_outline(standard: CertificationStandard) -> list[SectionView]:
    """The version's sections in order, each with its items (two statements)."""
    views = {s.id: SectionView(s) for s in db.session.scalars(sa.select(StandardSection).where(
        StandardSection.standard_id == standard.id).order_by(StandardSection.position))}
    for item in db.session.scalars(sa.select(StandardItem).where(StandardItem.standard_id == standard.id)
                                   .order_by(StandardItem.position)):
        views[item.section_id].items.append(item)
    return list(views.values())


# Applications for certification (认证申请) ---------------------------------------------------------------------


def scope_applications(stmt: sa.Select, user: User) -> sa.Select:
    """Staff: the applications of their subtree's firms (admins: every firm's); a contact: his own firm's."""
    if user.role is Role.ENTERPRISE_CONTACT:
        return stmt.where(CertificationApplication.enterprise_id == user.enterprise_id)
    if user.role is Role.ADMIN:
        return stmt
    if not user.role.is_staff:
        return stmt.where(sa.false())
    return stmt.where(CertificationApplication.enterprise_id.in_(visible_enterprise_ids(user)))


def firm_applications(enterprise_id: int, user: User) -> list[CertificationApplication]:
    """A firm's applications the user may see, the latest first (one statement)."""
    return db.session.scalars(scope_applications(
        sa.select(CertificationApplication).where(CertificationApplication.enterprise_id == enterprise_id), user)
        .order_by(CertificationApplication.applied_on.desc(), CertificationApplication.id.desc())).all()
