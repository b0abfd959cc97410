"""The writes of certification coaching, and its rule: the standard's versions (the loader, the admins'
edits, new versions), who may do what (can_*), assessments and their transitions, scoring an item (with its
history), evidence; and ``evaluate``, the standard's scoring rule as a pure function.

Every function flushes and never commits (the caller's run_change does). Functions that depend on the clock
take ``now=`` (UTC, default ``clock()``) and the acting user ``by=``.
"""
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload
from sqlalchemy.orm.exc import StaleDataError

from tracker import uploads
from tracker.auth.models import Role, User
from tracker.certification.models import (
    ITEM_TEXT_MAX, NOTE_MAX, SUMMARY_MAX, Assessment, AssessmentKind, AssessmentStatus, CertificationStandard,
    Evidence, ItemScore, ItemScoreHistory, Score, StandardItem, StandardSection,
)
from tracker.certification.queries import results_of
from tracker.certification.rule import (  # noqa: F401  (the rule, read through services as well)
    BASE_POINTS, BONUS_CAP, BONUS_PER_ITEM, PASS_MARK, Result, Shortfall, check_score, evaluate,
)
from tracker.appointments.notices import firm_contacts
from tracker.campaigns.models import Campaign
from tracker.domain import DomainError
from tracker.extensions import db
from tracker.i18n import LOCAL_TZ
from tracker.needs.services import managers_over
from tracker.notifications import services as notifications
from tracker.notifications.models import NotificationKind
from tracker.offices.models import Office
from tracker.permissions import STAFF, can_see_office
from tracker.plans import services as plans_services
from tracker.plans.models import AssistancePlan, PlanMeasure
from tracker.types import utcnow
from tracker.certification.models import (
    OPEN_APPLICATION_STATUSES, ApplicationStatus, CertificationApplication,
)
from tracker.enterprises.reference import regime_in_force
from tracker.enterprises.services import CreditError, record_credit_rating
from tracker.i18n import local_today

# The certification's clock: utcnow, which tests replace to stand on a day of 2019.
clock = utcnow
EVIDENCE_AREA = "certification"
# Files per item of one assessment: enough for a procedure, its records and a few photos.
EVIDENCE_PER_ITEM = 20
STANDARDS_DIR = Path(__file__).resolve().parent / "standards"

# The standard as data: the loader ---------------------------------------------------------------------------
class StandardFileError(ValueError):
    """A data file that is not a standard; the message names the file and what is wrong."""


@dataclass
class LoadReport:
    loaded: list[str] = field(default_factory=list)  # codes of the versions added
    kept: list[str] = field(default_factory=list)  # codes present already: left exactly as they are


def _text(value, what: str, limit: int, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise StandardFileError(f"{where}: {what} is missing")
    if len(value.strip()) > limit:
        raise StandardFileError(f"{where}: {what} is longer than {limit} characters")
    return value.strip()


def parse_standard(data: dict, name: str = "standard") -> CertificationStandard:
    """A standard (not added to the session) from a data file's content; StandardFileError if it is not one.

    {"code", "name", "version_label", "effective_from": "YYYY-MM-DD", "active", "source",
     "sections": [{"number", "title", "bonus"?, "items"?: [...], "sections"?: [{"number", "title", "items"}]}]}
    with each item {"number", "text", "applies_to_all"? (default true), "guidance"?}."""
    if not isinstance(data, dict):
        raise StandardFileError(f"{name}: not a JSON object")
    try:
        effective = date.fromisoformat(str(data.get("effective_from")))
    except ValueError:
        raise StandardFileError(f"{name}: effective_from is not a date (YYYY-MM-DD)") from None
    standard = CertificationStandard(
        code=_text(data.get("code"), "code", 40, name), name=_text(data.get("name"), "name", 200, name),
        version_label=_text(data.get("version_label"), "version_label", 60, name), effective_from=effective,
        active=bool(data.get("active", False)), source=(data.get("source") or "")[:500] or None)
    numbers: dict[str, set[str]] = {"section": set(), "item": set()}
    order = {"section": 0, "item": 0}

    def unique(number: str, kind: str, where: str) -> str:
        if number in numbers[kind]:
            raise StandardFileError(f"{where}: the {kind} number {number} is used twice")
        numbers[kind].add(number)
        return number

    def add_section(spec, parent: StandardSection | None, where: str) -> None:
        if not isinstance(spec, dict):
            raise StandardFileError(f"{where}: a section is not an object")
        number = unique(_text(spec.get("number"), "number", 20, where), "section", where)
        where = f"{name}, section {number}"
        order["section"] += 1
        bonus = bool(spec.get("bonus", parent.is_bonus if parent is not None else False))
        section = StandardSection(number=number, title=_text(spec.get("title"), "title", 100, where),
                                  position=order["section"], parent=parent, is_bonus=bonus)
        standard.sections.append(section)
        subsections = spec.get("sections") or []
        items = spec.get("items") or []
        if parent is not None and subsections:
            raise StandardFileError(f"{where}: sections nest one level only")
        if not subsections and not items:
            raise StandardFileError(f"{where}: a section without items")
        for item in items:
            if not isinstance(item, dict):
                raise StandardFileError(f"{where}: an item is not an object")
            item_number = unique(_text(item.get("number"), "number", 20, where), "item", where)
            order["item"] += 1
            guidance = item.get("guidance")
            standard.items.append(StandardItem(
                number=item_number, text=_text(item.get("text"), f"the text of {item_number}", ITEM_TEXT_MAX, where),
                guidance=guidance.strip() if isinstance(guidance, str) and guidance.strip() else None,
                is_bonus=bonus, applies_to_all=bool(item.get("applies_to_all", True)), position=order["item"],
                section=section))
        for sub in subsections:
            add_section(sub, section, where)

    sections = data.get("sections")
    if not isinstance(sections, list) or not sections:
        raise StandardFileError(f"{name}: no sections")
    for spec in sections:
        add_section(spec, None, name)
    return standard


def read_standard_file(path: Path) -> CertificationStandard:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StandardFileError(f"{Path(path).name}: {exc}") from None
    return parse_standard(data, Path(path).name)


def load_standards(directory: Path | None = None) -> LoadReport:
    """Load every version in the data files (*.json of *directory*, the package's standards/ by default)
    that the database does not hold yet, found by its code. Idempotent: a version present already is left
    exactly as it is (whether assessments use it or an admin has edited it); a file with a new code adds
    that version. Every file is read and checked before anything is added."""
    directory = Path(directory) if directory is not None else STANDARDS_DIR
    standards = [read_standard_file(path) for path in sorted(directory.glob("*.json"))]
    report = LoadReport()
    for standard in standards:
        if db.session.scalar(sa.select(CertificationStandard.id).where(CertificationStandard.code == standard.code)):
            report.kept.append(standard.code)
            continue
        try:
            with db.session.begin_nested():  # another process loading the same file at once: its row stands
                db.session.add(standard)
        except IntegrityError:
            report.kept.append(standard.code)
            continue
        report.loaded.append(standard.code)
    db.session.flush()
    return report


# The standard as data: the admins' edits --------------------------------------------------------------------
def standard_in_use(standard: CertificationStandard) -> bool:
    return bool(db.session.scalar(sa.select(sa.exists().where(Assessment.standard_id == standard.id))))


def check_standard_editable(standard: CertificationStandard) -> None:
    if standard_in_use(standard):
        raise DomainError(_("Assessments use this version of the standard: its items can no longer be added, "
                            "removed or reworded. Make a new version instead."))


def _item_text(text: str | None) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Fill in %(field)s.", field=_("Text of the item")))
    if len(text) > ITEM_TEXT_MAX:
        raise DomainError(_("The text of an item has at most %(n)d characters.", n=ITEM_TEXT_MAX))
    return text


def _number(number: str | None) -> str:
    number = (number or "").strip()
    if not number or len(number) > 20:
        raise DomainError(_("Give the item a number of at most 20 characters, such as 1.1.2."))
    return number


def update_item(item: StandardItem, *, number: str, text: str, guidance: str | None, applies_to_all: bool,
                by: User) -> StandardItem:
    """Change an item. The guidance may always change (it is the officers' coaching note); the number, the
    text and whether it applies to every firm only while no assessment uses the version."""
    number, text = _number(number), _item_text(text)
    if (number, text, applies_to_all) != (item.number, item.text, item.applies_to_all):
        check_standard_editable(item.standard)
    item.number, item.text, item.applies_to_all = number, text, applies_to_all
    item.guidance = (guidance or "").strip() or None
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise DomainError(_("This version has an item %(number)s already.", number=number)) from None
    return item


def add_item(standard: CertificationStandard, section: StandardSection, *, number: str, text: str,
             guidance: str | None, applies_to_all: bool, by: User) -> StandardItem:
    """A new item at the end of its section, in a version no assessment uses."""
    check_standard_editable(standard)
    if section.standard_id != standard.id:
        raise DomainError(_("Choose a section of this version."))
    number, text = _number(number), _item_text(text)
    in_section = [i.position for i in standard.items if i.section_id == section.id]
    position = max(in_section) + 1 if in_section else max((i.position for i in standard.items), default=0) + 1
    for later in standard.items:
        if later.position >= position:
            later.position += 1
    item = StandardItem(standard_id=standard.id, section_id=section.id, number=number, text=text,
                        guidance=(guidance or "").strip() or None, is_bonus=section.is_bonus,
                        applies_to_all=applies_to_all, position=position)
    try:
        with db.session.begin_nested():
            db.session.add(item)
    except IntegrityError:
        raise DomainError(_("This version has an item %(number)s already.", number=number)) from None
    db.session.expire(standard, ["items"])
    return item


def remove_item(item: StandardItem, *, by: User) -> None:
    """Only from a version no assessment uses (the scores' RESTRICT foreign key stands behind it)."""
    standard = item.standard
    check_standard_editable(standard)
    standard.items.remove(item)
    db.session.flush()


def new_version(standard: CertificationStandard, *, code: str, version_label: str, effective_from: date,
                by: User, now: datetime | None = None) -> CertificationStandard:
    """A copy of the version, its sections and items, under a new code: not offered until an admin says so,
    editable until an assessment uses it. The old version stays as it is."""
    code, version_label = (code or "").strip(), (version_label or "").strip()
    if not code or len(code) > 40 or not version_label or len(version_label) > 60:
        raise DomainError(_("Give the new version a code (at most 40 characters) and a label (at most 60)."))
    copy = CertificationStandard(code=code, name=standard.name, version_label=version_label,
                                 effective_from=effective_from, active=False, previous_id=standard.id,
                                 source=_("Copied from %(title)s", title=standard.title)[:500],
                                 created_at=now or clock())
    sections = {}
    for section in standard.sections:
        sections[section.id] = StandardSection(number=section.number, title=section.title, position=section.position,
                                               is_bonus=section.is_bonus,
                                               parent=sections.get(section.parent_id))
        copy.sections.append(sections[section.id])
    for item in standard.items:
        copy.items.append(StandardItem(number=item.number, text=item.text, guidance=item.guidance,
                                       is_bonus=item.is_bonus, applies_to_all=item.applies_to_all,
                                       position=item.position, section=sections[item.section_id]))
    try:
        with db.session.begin_nested():
            db.session.add(copy)
    except IntegrityError:
        raise DomainError(_("A version with the code %(code)s exists already.", code=code)) from None
    return copy


def set_offered(standard: CertificationStandard, offered: bool, *, by: User) -> CertificationStandard:
    """Offer the version for new assessments, or stop offering it (assessments that use it keep it)."""
    standard.active = offered
    db.session.flush()
    return standard


def offered_standards() -> list[CertificationStandard]:
    """The versions a new assessment may use, the latest in force first."""
    return db.session.scalars(sa.select(CertificationStandard).where(CertificationStandard.active.is_(True))
                              .order_by(CertificationStandard.effective_from.desc(),
                                        CertificationStandard.id.desc())).all()


# Who may do what ----------------------------------------------------------------------------------------------
def can_see_assessment(user: User, assessment: Assessment) -> bool:
    """Staff of the firm's office subtree: the customs' assessments, and a self-assessment once the firm has
    submitted it. The firm's own contacts: its self-assessments, and a customs' assessment once shared with
    them. Nobody else (another firm's contact, another office's staff: a 404)."""
    if user.role is Role.ENTERPRISE_CONTACT:
        return user.enterprise_id == assessment.enterprise_id and assessment.visible_to_firm
    return user.role.is_staff and can_see_office(user, assessment.enterprise.office) and assessment.visible_to_staff


def is_assessor(user: User, assessment: Assessment) -> bool:
    """The side that fills the assessment in: customs staff of the firm's subtree for the customs' own, the
    firm's contacts for its self-assessment."""
    if assessment.is_self:
        return user.role is Role.ENTERPRISE_CONTACT and user.enterprise_id == assessment.enterprise_id
    return user.role in STAFF and can_see_office(user, assessment.enterprise.office)


def can_score(user: User, assessment: Assessment) -> bool:
    return is_assessor(user, assessment) and assessment.is_being_scored()


def can_start(user: User, enterprise, kind: AssessmentKind) -> bool:
    if kind is AssessmentKind.SELF:
        return user.role is Role.ENTERPRISE_CONTACT and user.enterprise_id == enterprise.id
    return user.role in STAFF and can_see_office(user, enterprise.office)


# Assessments -----------------------------------------------------------------------------------------------
def open_assessment(enterprise_id: int, kind: AssessmentKind) -> Assessment | None:
    return db.session.scalar(sa.select(Assessment).where(
        Assessment.enterprise_id == enterprise_id, Assessment.kind == kind,
        Assessment.status.in_((AssessmentStatus.DRAFT, AssessmentStatus.SHARED))))


def start_assessment(enterprise, standard: CertificationStandard, *, kind: AssessmentKind, by: User,
                     now: datetime | None = None) -> Assessment:
    """A new assessment of the firm against the version (one the admins offer). One open assessment per firm
    and kind: the partial unique index decides between two at once."""
    if not can_start(by, enterprise, kind):
        raise DomainError(_("You cannot start this assessment for this firm."))
    if standard is None or not standard.active:
        raise DomainError(_("Choose a version of the standard that is offered for new assessments."))
    assessment = Assessment(enterprise_id=enterprise.id, enterprise=enterprise, standard_id=standard.id,
                            standard=standard, kind=kind, status=AssessmentStatus.DRAFT, created_by_id=by.id,
                            created_at=now or clock())
    try:
        with db.session.begin_nested():
            db.session.add(assessment)
    except IntegrityError:
        if kind is AssessmentKind.SELF:
            raise DomainError(_("Your firm has a self-assessment under way already; carry on with it.")) from None
        raise DomainError(_("%(firm)s has a customs assessment under way already; carry on with it or archive "
                            "it first.", firm=enterprise.name)) from None
    return assessment


def _check_scoring(assessment: Assessment, item: StandardItem | None, by: User) -> None:
    """Refuse unless *by* fills this assessment in and it is being scored. Its state is read again under a
    shared lock (PostgreSQL; SQLite's writing transaction holds the database): a transition (FOR UPDATE) waits
    for the scores being written, and a score for a transition under way, which it then sees."""
    status = db.session.scalar(sa.select(Assessment.status).where(Assessment.id == assessment.id)
                               .with_for_update(read=True))
    if not is_assessor(by, assessment):
        raise DomainError(_("You cannot change this assessment."))
    assessment.check_scoring(status)
    if item is not None and item.standard_id != assessment.standard_id:
        raise DomainError(_("This item is not part of the assessment's version of the standard."))


def clean_note(note: str | None) -> str | None:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(_("A note has at most %(n)d characters.", n=NOTE_MAX))
    return note or None


def current_score(assessment: Assessment, item: StandardItem, lock: bool = False) -> ItemScore | None:
    stmt = sa.select(ItemScore).where(ItemScore.assessment_id == assessment.id, ItemScore.item_id == item.id)
    if lock:
        stmt = stmt.with_for_update()
    return db.session.scalars(stmt.execution_options(populate_existing=True)).first()


def score_item(assessment: Assessment, item: StandardItem, score: Score, note: str | None, *, by: User,
               opened_version: int, now: datetime | None = None) -> ItemScore:
    """Give the item its score in the assessment, or a new one: the current score changes and the history keeps
    the earlier ones. *opened_version* is the score's version the form was opened at (0: it had none).

    Saving what the item holds already writes nothing. A form opened at an older version than the item's
    (someone scored it meanwhile, differently) raises StaleDataError: nothing written, run_change says "changed
    meanwhile". Two first scores at once: the unique (assessment, item) lets one in, the other is then compared
    with it the same way."""
    now = now or clock()
    _check_scoring(assessment, item, by)
    check_score(item, score)
    note = clean_note(note)
    current = current_score(assessment, item, lock=True)
    if current is None:
        if opened_version:
            raise StaleDataError("the score the form was opened at is gone")
        current = ItemScore(assessment_id=assessment.id, item_id=item.id, score=score, note=note,
                            scored_by_id=by.id, scored_at=now)
        try:
            with db.session.begin_nested():
                db.session.add(current)
                db.session.flush()
                db.session.add(_history(current))
        except IntegrityError:
            current = current_score(assessment, item)
            if current is not None and (current.score, current.note) == (score, note):
                return current
            raise StaleDataError("another first score came first") from None
        return current
    if (current.score, current.note) == (score, note):
        return current
    if current.version_id != opened_version:
        raise StaleDataError("the item was scored meanwhile")
    current.score, current.note, current.scored_by_id, current.scored_at = score, note, by.id, now
    db.session.flush()  # moves version_id, checking the one read under the lock
    db.session.add(_history(current))
    db.session.flush()
    return current


def _history(score: ItemScore) -> ItemScoreHistory:
    return ItemScoreHistory(assessment_id=score.assessment_id, item_id=score.item_id, revision=score.version_id,
                            score=score.score, note=score.note, scored_by_id=score.scored_by_id,
                            scored_at=score.scored_at)


def result_of(assessment: Assessment) -> Result:
    """The assessment's result now (two statements: the version's items, the current scores)."""
    return results_of([assessment])[assessment.id]


def update_summary(assessment: Assessment, summary: str | None, *, by: User) -> Assessment:
    """The overall remarks. No lock: the form's version decides (an edit, a score's transition meanwhile)."""
    if not is_assessor(by, assessment):
        raise DomainError(_("You cannot change this assessment."))
    assessment.check_scoring()
    summary = (summary or "").strip()
    if len(summary) > SUMMARY_MAX:
        raise DomainError(_("The remarks have at most %(n)d characters.", n=SUMMARY_MAX))
    assessment.summary = summary or None
    db.session.flush()
    return assessment


def _assessment_link(assessment: Assessment) -> str:
    return notifications.site_path("certification.assessment", assessment_id=assessment.id)


def share(assessment: Assessment, *, by: User, now: datetime | None = None) -> Assessment:
    """The customs' assessment is shared with the firm: its contacts read it, scores and all, from now on, and
    each is told so in the app."""
    if not is_assessor(by, assessment) or assessment.is_self:
        raise DomainError(_("Only customs staff of the firm's office share their assessment."))
    assessment.share(now or clock())
    result = result_of(assessment)
    for contact in firm_contacts(assessment.enterprise_id):
        notifications.notify(contact, NotificationKind.ASSESSMENT_SHARED, link=_assessment_link(assessment),
                             dedupe_key=f"assessment:{assessment.id}",
                             params={"enterprise": assessment.enterprise.name, "points": result.points,
                                     "passed": result.passed})
    db.session.flush()
    return assessment


def submit(assessment: Assessment, *, by: User, now: datetime | None = None) -> Assessment:
    """The firm submits its self-assessment to customs, every item that applies scored; then it is read-only.
    The firm's officer is told, or the managers over its office while it has none."""
    if not is_assessor(by, assessment) or not assessment.is_self:
        raise DomainError(_("Only the firm's contacts submit its self-assessment."))
    result = result_of(assessment)
    assessment.submit(now or clock(), unscored=len(result.unscored))
    enterprise = assessment.enterprise
    officer = enterprise.assigned_officer
    for user in [officer] if officer is not None and officer.active else managers_over(enterprise.office):
        notifications.notify(user, NotificationKind.SELF_ASSESSMENT_SUBMITTED, link=_assessment_link(assessment),
                             dedupe_key=f"assessment:{assessment.id}",
                             params={"enterprise": enterprise.name, "points": result.points})
    db.session.flush()
    return assessment


# The customs' assessment from the firm's own ---------------------------------------------------------------
def can_review(user: User, self_assessment: Assessment) -> bool:
    """Staff of the firm's subtree start their assessment from a self-assessment the firm submitted."""
    return (self_assessment.is_self and self_assessment.status is AssessmentStatus.SUBMITTED
            and can_start(user, self_assessment.enterprise, AssessmentKind.OFFICER))


def start_review(self_assessment: Assessment, *, by: User, now: datetime | None = None) -> Assessment:
    """The officer's assessment of the firm, begun from its submitted self-assessment: on the same version of the
    standard, each item's score and note copied as its first score (scored by the officer, "from the firm's
    self-assessment" in the history's note), to be checked item by item on site and re-scored where the officer
    sees it otherwise. The self-assessment stays as the firm submitted it."""
    if not can_review(by, self_assessment):
        raise DomainError(_("Only a submitted self-assessment of a firm in your area can be reviewed."))
    now = now or clock()
    standard = self_assessment.standard
    review = Assessment(enterprise_id=self_assessment.enterprise_id, enterprise=self_assessment.enterprise,
                        standard_id=standard.id, standard=standard, kind=AssessmentKind.OFFICER,
                        status=AssessmentStatus.DRAFT, created_by_id=by.id, created_at=now,
                        summary=None)
    try:
        with db.session.begin_nested():
            db.session.add(review)
            db.session.flush()
    except IntegrityError:
        raise DomainError(_("%(firm)s has a customs assessment under way already; carry on with it or archive "
                            "it first.", firm=self_assessment.enterprise.name)) from None
    for score in db.session.scalars(sa.select(ItemScore).where(ItemScore.assessment_id == self_assessment.id)
                                    .order_by(ItemScore.id)):
        note = (_("From the firm's self-assessment: %(note)s", note=score.note) if score.note
                else _("From the firm's self-assessment"))
        copied = ItemScore(assessment_id=review.id, item_id=score.item_id, score=score.score,
                           note=note[:NOTE_MAX], scored_by_id=by.id, scored_at=now)
        db.session.add(copied)
        db.session.flush()
        db.session.add(_history(copied))
    db.session.flush()
    return review


# Remediation: a shortfall becomes a measure of the firm's assistance plan ----------------------------------
SHORT_SCORES = (Score.MOSTLY, Score.NOT_MET)


def local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def can_plan_remediation(user: User, assessment: Assessment) -> bool:
    """The firm's planners (plans.services.can_edit_firm_plans) turn the shortfalls of the customs' assessment
    into measures while it is scored; a self-assessment's are the firm's own to read."""
    return (not assessment.is_self and assessment.is_being_scored()
            and plans_services.can_edit_firm_plans(user, assessment.enterprise))


@dataclass(frozen=True)
class RemediationTarget:
    """Where a fix may go: a plan of the firm (plan set), or a new plan in a campaign (campaign set)."""

    value: str  # "plan:12" or "campaign:3", the form's choice
    label: str
    plan: AssistancePlan | None = None
    campaign: Campaign | None = None


def remediation_targets(enterprise, today: date) -> list[RemediationTarget]:
    """The firm's plans a fix may go into, latest campaign first, then the campaigns under way over the firm's
    office in which it has no plan yet (choosing one drafts the plan)."""
    plans = db.session.scalars(
        sa.select(AssistancePlan).join(AssistancePlan.campaign).where(
            AssistancePlan.enterprise_id == enterprise.id,
            AssistancePlan.status.in_(plans_services.REMEDIATION_PLAN_STATUSES))
        .options(contains_eager(AssistancePlan.campaign))
        .order_by(Campaign.declaration_year.desc(), Campaign.id.desc())).all()
    planned = sa.select(AssistancePlan.campaign_id).where(AssistancePlan.enterprise_id == enterprise.id)
    campaigns = db.session.scalars(
        sa.select(Campaign).join(Office, Office.id == Campaign.office_id)
        .where(sa.literal(enterprise.office.path).startswith(Office.path), Campaign.id.not_in(planned),
               sa.or_(Campaign.ends_on.is_(None), Campaign.ends_on >= today))
        .order_by(Campaign.declaration_year.desc(), Campaign.id.desc())).all()
    targets = [RemediationTarget(f"plan:{p.id}", _("The plan of %(campaign)s (%(status)s)", campaign=p.campaign.name,
                                                  status=p.status.label), plan=p) for p in plans]
    targets += [RemediationTarget(f"campaign:{c.id}", _("A new plan in %(campaign)s", campaign=c.name), campaign=c)
                for c in campaigns]
    return targets


def remediations_of(assessment: Assessment) -> dict[int, PlanMeasure]:
    """The measures fixing the assessment's shortfalls, by item (one statement with their plans and owners)."""
    return {m.item_id: m for m in db.session.scalars(
        sa.select(PlanMeasure).where(PlanMeasure.assessment_id == assessment.id)
        .options(joinedload(PlanMeasure.plan).joinedload(AssistancePlan.campaign), joinedload(PlanMeasure.owner)))}


def plan_remediation(assessment: Assessment, item: StandardItem, *, target: str, description: str,
                     owner: User | None, deadline: date | None, by: User,
                     now: datetime | None = None) -> PlanMeasure:
    """Turn the item's shortfall (基本达标 or 不达标 now) into a measure of the firm's assistance plan, with an
    owner and a deadline at most 90 days away; *target* is a RemediationTarget's value. Choosing a campaign
    drafts the firm's plan there first. The owner is told when somebody else gave him the fix."""
    now = now or clock()
    today = local_day(now)
    if not can_plan_remediation(by, assessment):
        raise DomainError(_("You cannot put this assessment's shortfalls into the firm's plan."))
    _check_scoring(assessment, item, by)
    current = current_score(assessment, item)
    if current is None or current.score not in SHORT_SCORES:
        raise DomainError(_("Item %(number)s is not a shortfall in this assessment: only an item mostly met or "
                            "not met needs a fix.", number=item.number))
    chosen = next((t for t in remediation_targets(assessment.enterprise, today) if t.value == target), None)
    if chosen is None:
        raise DomainError(_("Choose the plan the fix goes into."))
    plan = chosen.plan
    if plan is None:
        plan = plans_services.create_plan(
            assessment.enterprise, chosen.campaign,
            _("Certification coaching: fix the shortfalls against the certification standard."), by)
    measure = plans_services.add_remediation(plan, assessment_id=assessment.id, item_id=item.id,
                                             description=description, owner=owner, deadline=deadline, today=today)
    if owner is not None and owner.id != by.id:
        notifications.notify(owner, NotificationKind.REMEDIATION_ASSIGNED,
                             link=notifications.site_path("plans.detail", plan_id=plan.id),
                             dedupe_key=f"remediation:{measure.id}",
                             params={"enterprise": assessment.enterprise.name, "item": item.number,
                                     "deadline": deadline.isoformat() if deadline else ""})
    return measure


def close(assessment: Assessment, *, by: User, now: datetime | None = None) -> Assessment:
    if not is_assessor(by, assessment) or assessment.is_self:
        raise DomainError(_("Only customs staff of the firm's office archive their assessment."))
    assessment.close(now or clock())
    db.session.flush()
    return assessment


# Evidence ------------------------------------------------------------------------------------------------
def add_evidence(assessment: Assessment, item: StandardItem, storage, *, by: User,
                 now: datetime | None = None) -> Evidence:
    """Check the upload (tracker.uploads: its kind by its content, its size), write it under a generated name and
    add its row; the file goes again should the transaction not commit."""
    _check_scoring(assessment, item, by)
    held = db.session.scalar(sa.select(sa.func.count(Evidence.id)).where(
        Evidence.assessment_id == assessment.id, Evidence.item_id == item.id))
    if held >= EVIDENCE_PER_ITEM:
        raise DomainError(_("An item holds at most %(n)d files.", n=EVIDENCE_PER_ITEM))
    checked = uploads.check_upload(storage)
    stored_name = uploads.store(checked, EVIDENCE_AREA)
    evidence = Evidence(assessment_id=assessment.id, item_id=item.id, original_filename=checked.original_filename,
                        stored_name=stored_name, content_type=checked.kind.content_type, size_bytes=checked.size,
                        uploaded_by_id=by.id, uploaded_at=now or clock())
    db.session.add(evidence)
    db.session.flush()
    return evidence


def delete_evidence(evidence: Evidence, *, by: User) -> None:
    _check_scoring(evidence.assessment, evidence.item, by)
    uploads.discard_after_commit(EVIDENCE_AREA, evidence.stored_name)
    db.session.delete(evidence)
    db.session.flush()


def evidence_path(evidence: Evidence):
    return uploads.path_of(EVIDENCE_AREA, evidence.stored_name)


# Applications for certification (认证申请) ---------------------------------------------------------------------
# Staff of the firm's office subtree record a firm's application and take it through its steps; the firm's
# contacts read it. Each step takes ``today=`` (the office's day, tracker.i18n.local_today by default): no step
# is dated after it, so the demo replays 2019 as of 2019.


def can_see_application(user: User, application: CertificationApplication) -> bool:
    """Staff of the firm's office subtree; the firm's own contacts (read-only). Nobody else: a 404."""
    if user.role is Role.ENTERPRISE_CONTACT:
        return user.enterprise_id == application.enterprise_id
    return user.role.is_staff and can_see_office(user, application.enterprise.office)


def can_apply(user: User, enterprise) -> bool:
    """Who records a firm's application: customs staff of its office subtree (as for a customs assessment)."""
    return can_start(user, enterprise, AssessmentKind.OFFICER)


def can_handle_application(user: User, application: CertificationApplication) -> bool:
    """Who takes the application through its steps: customs staff of the firm's office subtree."""
    return user.role in STAFF and can_see_office(user, application.enterprise.office)


def open_application(enterprise_id: int) -> CertificationApplication | None:
    return db.session.scalar(sa.select(CertificationApplication).where(
        CertificationApplication.enterprise_id == enterprise_id,
        CertificationApplication.status.in_(OPEN_APPLICATION_STATUSES)))


def application_assessments(enterprise_id: int) -> list[Assessment]:
    """The firm's customs assessments an application may rest on, newest first."""
    return db.session.scalars(sa.select(Assessment).where(
        Assessment.enterprise_id == enterprise_id, Assessment.kind == AssessmentKind.OFFICER)
        .options(joinedload(Assessment.standard)).order_by(Assessment.created_at.desc(), Assessment.id.desc())).all()


def _handler(application: CertificationApplication, by: User) -> None:
    if not can_handle_application(by, application):
        raise DomainError(_("Only customs staff of the firm's office handle its application."))


def create_application(enterprise, *, target_level: str, applied_on: date, assessment: Assessment | None = None,
                       by: User, today: date | None = None, now: datetime | None = None) -> CertificationApplication:
    """The firm's application for *target_level*, made on *applied_on*. One open application per firm: the partial
    unique index decides between two at once."""
    if not can_apply(by, enterprise):
        raise DomainError(_("You cannot record an application for this firm."))
    CertificationApplication.check_new(target_level, applied_on, today or local_today())
    if assessment is not None and (assessment.enterprise_id != enterprise.id
                                   or assessment.kind is not AssessmentKind.OFFICER):
        raise DomainError(_("Choose one of the firm's customs assessments, or none."))
    application = CertificationApplication(
        enterprise_id=enterprise.id, enterprise=enterprise, target_level=target_level, applied_on=applied_on,
        status=ApplicationStatus.APPLIED, assessment_id=assessment.id if assessment is not None else None,
        created_by_id=by.id, created_at=now or clock())
    try:
        with db.session.begin_nested():
            db.session.add(application)
    except IntegrityError:
        raise DomainError(_("%(firm)s has an application under way already; carry it on or withdraw it first.",
                            firm=enterprise.name)) from None
    return application


def accept_application(application: CertificationApplication, *, receipt_no: str, on: date, by: User,
                       today: date | None = None) -> CertificationApplication:
    """已受理: customs received the application and gave it a number."""
    _handler(application, by)
    application.accept(receipt_no, on, today or local_today())
    db.session.flush()
    return application


def audit_application(application: CertificationApplication, *, on: date, note: str | None, by: User,
                      today: date | None = None) -> CertificationApplication:
    """已现场验证: the on-site audit took place."""
    _handler(application, by)
    application.audit(on, note, today or local_today())
    db.session.flush()
    return application


def decide_application(application: CertificationApplication, *, certified: bool, on: date,
                       reason: str | None = None, certificate_no: str | None = None, level: str | None = None,
                       by: User, today: date | None = None) -> CertificationApplication:
    """The decision. A certification writes the firm's credit level from *on*, under the regime in force that day
    (the period before it closes the day before); a refusal writes nothing but the reason. A credit level that
    already starts that day refuses the whole decision."""
    _handler(application, by)
    application.decide(certified, on, reason, certificate_no, today or local_today(), level=level)
    if certified:
        enterprise = application.enterprise
        try:
            with db.session.begin_nested():
                rating = record_credit_rating(
                    enterprise, regime=regime_in_force(on), level=application.granted_level, valid_from=on,
                    note=_("Certified on application %(receipt)s", receipt=application.receipt_no)[:300])
        except CreditError as exc:
            raise DomainError(_("The credit level cannot be written: %(reason)s Correct the firm's credit history "
                                "or date the decision otherwise.", reason=str(exc))) from None
        except IntegrityError:  # a rating of that day written meanwhile (the unique firm and day)
            raise DomainError(_("A credit level already starts on %(day)s.", day=on.isoformat())) from None
        application.credit_rating_id = rating.id
    # The firm's contacts, and the firm's officer when somebody else recorded the decision, are told.
    enterprise = application.enterprise
    officer = enterprise.assigned_officer
    told = firm_contacts(enterprise.id) + ([officer] if officer is not None and officer.id != by.id else [])
    for user in told:
        notifications.notify(user, NotificationKind.CERTIFICATION_DECIDED,
                             link=notifications.site_path("certification.application", application_id=application.id),
                             dedupe_key=f"application:{application.id}",
                             params={"enterprise": enterprise.name, "certified": certified,
                                     "level": application.granted_level or "", "day": on.isoformat(),
                                     "reason": application.decision_reason or ""})
    db.session.flush()
    return application


def withdraw_application(application: CertificationApplication, *, reason: str, by: User,
                         today: date | None = None) -> CertificationApplication:
    """已撤回, from any open step, with the reason; the firm may apply again."""
    _handler(application, by)
    application.withdraw(reason, today or local_today())
    db.session.flush()
    return application
