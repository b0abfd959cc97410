"""The certification coaching pages under /certification: the staff's list and a firm's assessments, a firm's
contact's own (信用认证自评), an assessment item by item with its live result, an item's score, history and
evidence, the transitions, and the admins' versions of the standard.

Every assessment is loaded through load_or_404 with can_see_assessment and hide=True: another office's or (for
a contact) another firm's assessment is a 404, like none. Where the user sees an assessment but is not the side
that fills it in (a contact reading the customs' assessment, staff reading a submitted self-assessment), a
change is a 403. A contact's firm is always current_user.enterprise, never a value from the URL or the form.
"""
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from tracker.auth.models import Role
from tracker.certification import queries, services
from tracker.certification.forms import (
    EvidenceForm, ItemForm, NewVersionForm, RemediationForm, ReviewForm, ScoreForm, StartForm, SummaryForm,
)
from tracker.certification.models import (
    Assessment, AssessmentKind, AssessmentStatus, CertificationStandard, Evidence, Score, StandardItem,
    StandardSection,
)
from tracker.certification.rule import PASS_MARK
from tracker.auth.models import User
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.plans.forms import measure_owners
from tracker.forms import EmptyForm, db_int, new_submission_key
from tracker.permissions import STAFF, allow, load_or_404
from tracker.views import form_status, run_change
from flask import g
from tracker.certification.forms import (
    AcceptForm, ApplicationForm, AuditForm, DecideForm, WithdrawForm,
)
from tracker.certification.models import CertificationApplication
from tracker.forms import error_summary
from tracker.i18n import local_today

bp = Blueprint("certification", __name__)
CONTACT = Role.ENTERPRISE_CONTACT


def _assessment(assessment_id: int, lock: bool = False) -> Assessment:
    options = () if lock else (joinedload(Assessment.enterprise), joinedload(Assessment.standard))
    return load_or_404(Assessment, assessment_id, services.can_see_assessment, hide=True, lock=lock, options=options)


def _assessed(assessment_id: int, lock: bool = False) -> Assessment:
    """An assessment the user fills in: 404 outside his scope, 403 when he may only read it."""
    assessment = _assessment(assessment_id, lock=lock)
    if not services.is_assessor(current_user, assessment):
        abort(403)
    return assessment


def _item(assessment: Assessment, item_id: int) -> StandardItem:
    return load_or_404(StandardItem, item_id, within=StandardItem.standard_id == assessment.standard_id)


def _to_assessment(assessment: Assessment, item: StandardItem | None = None):
    anchor = f"#item-{item.id}" if item is not None else ""
    return redirect(url_for("certification.assessment", assessment_id=assessment.id) + anchor)


def _enum_arg(enum_cls, name: str):
    try:
        return enum_cls(request.args.get(name, ""))
    except ValueError:
        return None


# Lists --------------------------------------------------------------------------------------------------
@bp.route("/")
@allow(*STAFF)
def index():
    status, kind = _enum_arg(AssessmentStatus, "status"), _enum_arg(AssessmentKind, "kind")
    pagination = queries.assessment_page(current_user, request.args.get("page", 1, type=db_int), status=status,
                                         kind=kind)
    return render_template("certification/index.html", pagination=pagination,
                           results=queries.results_of(pagination.items), status=status, kind=kind,
                           statuses=list(AssessmentStatus), kinds=list(AssessmentKind))


def _firm_page(enterprise: Enterprise, kind: AssessmentKind, form: StartForm | None = None, status: int = 200):
    assessments = queries.firm_assessments(enterprise.id, current_user)
    standards = services.offered_standards()
    under_way = next((a for a in assessments if a.kind is kind and a.is_being_scored()), None)
    return render_template(
        "certification/firm.html", enterprise=enterprise, assessments=assessments,
        results=queries.results_of(assessments), kind=kind, under_way=under_way,
        form=form or StartForm(standards, formdata=None), standards=standards,
        may_start=services.can_start(current_user, enterprise, kind), pass_mark=PASS_MARK), status


def _start(enterprise: Enterprise, kind: AssessmentKind, back: str):
    if not services.can_start(current_user, enterprise, kind):
        abort(403)
    standards = services.offered_standards()
    form = StartForm(standards)
    if not form.validate_on_submit():
        return _firm_page(enterprise, kind, form, 400)
    standard = next((s for s in standards if s.id == form.standard_id.data), None)
    change = run_change(lambda: services.start_assessment(enterprise, standard, kind=kind, by=current_user),
                        _("The assessment has started: score its items one by one."), form=form,
                        field="standard_id", submission=form.submission_key.data,
                        created_url=lambda a: url_for("certification.assessment", assessment_id=a.id))
    if change.ok:
        return _to_assessment(change.result)
    if change.duplicate:
        return redirect(change.url or back)
    under_way = services.open_assessment(enterprise.id, kind)
    if under_way is not None:
        flash(change.error, "warning")
        return _to_assessment(under_way)
    return _firm_page(enterprise, kind, form, 400)


@bp.route("/firms/<int:enterprise_id>")
@allow(*STAFF)
def firm(enterprise_id: int):
    return _firm_page(load_or_404(Enterprise, enterprise_id), AssessmentKind.OFFICER)


@bp.route("/firms/<int:enterprise_id>/start", methods=["POST"])
@allow(*STAFF)
def start(enterprise_id: int):
    enterprise = load_or_404(Enterprise, enterprise_id)
    return _start(enterprise, AssessmentKind.OFFICER, url_for("certification.firm", enterprise_id=enterprise.id))


@bp.route("/mine")
@allow(CONTACT)
def mine():
    """The firm's contact: his firm's self-assessments and the customs' assessments shared with it."""
    return _firm_page(current_user.enterprise, AssessmentKind.SELF)


@bp.route("/mine/start", methods=["POST"])
@allow(CONTACT)
def start_self():
    # The firm comes from the account, never from the request.
    return _start(current_user.enterprise, AssessmentKind.SELF, url_for("certification.mine"))


# An assessment ----------------------------------------------------------------------------------------------
def _assessment_page(assessment: Assessment, summary_form: SummaryForm | None = None, status: int = 200):
    if summary_form is None:
        summary_form = SummaryForm(formdata=None, obj=assessment)
        summary_form.version.data = str(assessment.version_id)
    return render_template(
        "certification/assessment.html", assessment=assessment, view=queries.assessment_view(assessment),
        may_score=services.can_score(current_user, assessment),
        assessor=services.is_assessor(current_user, assessment), summary_form=summary_form,
        score_fields=ScoreForm(formdata=None), evidence_form=EvidenceForm(formdata=None), pass_mark=PASS_MARK,
        Score=Score, remediations=None if assessment.is_self else services.remediations_of(assessment),
        today=services.local_day(services.clock()), may_review=services.can_review(current_user, assessment),
        may_plan=services.can_plan_remediation(current_user, assessment),
        review_form=ReviewForm(formdata=None)), status


@bp.route("/assessments/<int:assessment_id>")
@allow(CONTACT, *STAFF)
def assessment(assessment_id: int):
    return _assessment_page(_assessment(assessment_id))


@bp.route("/assessments/<int:assessment_id>/remarks", methods=["POST"])
@allow(CONTACT, *STAFF)
def remarks(assessment_id: int):
    assessment = _assessed(assessment_id)  # optimistic: the version decides
    form = SummaryForm()
    if form.validate_on_submit():
        change = run_change(lambda: services.update_summary(assessment, form.summary.data, by=current_user),
                            _("The remarks have been saved."), form=form, field="summary",
                            version=(assessment, form.version),
                            stale=_("Someone else changed this assessment after you opened the page. Review it "
                                    "and save your remarks again."))
        if change.ok:
            return redirect(url_for("certification.assessment", assessment_id=assessment.id) + "#remarks")
    return _assessment_page(assessment, summary_form=form, status=form_status(400))


def _item_page(assessment: Assessment, item: StandardItem, form: ScoreForm | None = None, evidence_form=None,
               remediation_form: RemediationForm | None = None, status=200):
    """The item's page; *form* is the score form as sent (with its errors), else filled with the current score;
    for the firm's planners, the shortfall's fix in the plan, or the form that puts it there."""
    current = services.current_score(assessment, item)
    if form is None:
        form = ScoreForm(formdata=None)
        if current is not None:
            form.score.data, form.note.data = current.score.value, current.note
            form.version.data = str(current.version_id)
    remediation = None if assessment.is_self else services.remediations_of(assessment).get(item.id)
    may_plan = (remediation is None and current is not None and current.score in services.SHORT_SCORES
                and services.can_plan_remediation(current_user, assessment))
    if may_plan and remediation_form is None:
        remediation_form = _remediation_form(assessment, item, current, formdata=None)
    return render_template(
        "certification/item.html", assessment=assessment, item=item, form=form,
        current=current, history=queries.item_history(assessment, item),
        evidence=queries.item_evidence(assessment, item), evidence_form=evidence_form or EvidenceForm(formdata=None),
        may_score=services.can_score(current_user, assessment), Score=Score, remediation=remediation,
        remediation_form=remediation_form if may_plan else None, today=services.local_day(services.clock())), status


@bp.route("/assessments/<int:assessment_id>/items/<int:item_id>", methods=["GET", "POST"])
@allow(CONTACT, *STAFF)
def item(assessment_id: int, item_id: int):
    """An item: its score, history and evidence (GET); saving its score (POST, one small form per item)."""
    assessment = _assessment(assessment_id)
    item = _item(assessment, item_id)
    if request.method == "GET":
        return _item_page(assessment, item)
    form = ScoreForm()
    if not services.is_assessor(current_user, assessment):
        abort(403)
    status = 400
    if form.validate_on_submit():
        change = run_change(
            lambda: services.score_item(assessment, item, Score(form.score.data), form.note.data, by=current_user,
                                        opened_version=int(form.version.data)),
            lambda s: _("Item %(number)s: %(score)s.", number=item.number, score=item.score_label(s.score)),
            form=form, field="score",
            stale=_("Someone else scored this item after you opened the page. Its current score is shown below; "
                    "make your change again if it still holds."))
        if change.ok:
            return _to_assessment(assessment, item)
        if change.stale:
            fresh = services.current_score(assessment, item)
            form.version.data = str(fresh.version_id if fresh is not None else 0)
            status = 409
    return _item_page(assessment, item, form, status=status)


@bp.route("/assessments/<int:assessment_id>/items/<int:item_id>/evidence", methods=["POST"])
@allow(CONTACT, *STAFF)
def upload(assessment_id: int, item_id: int):
    assessment = _assessed(assessment_id)
    item = _item(assessment, item_id)
    form = EvidenceForm()
    if form.validate_on_submit():
        change = run_change(lambda: services.add_evidence(assessment, item, form.file.data, by=current_user),
                            lambda e: _("%(name)s has been uploaded.", name=e.original_filename),
                            form=form, field="file", submission=form.submission_key.data,
                            created_url=lambda e: url_for("certification.item", assessment_id=assessment.id,
                                                          item_id=item.id))
        if change.ok or change.duplicate:
            return _to_assessment(assessment, item)
    return _item_page(assessment, item, evidence_form=form, status=400)


# Remediation: a shortfall's fix in the firm's assistance plan -------------------------------------------------
def _remediation_form(assessment: Assessment, item: StandardItem, current=None, **kwargs) -> RemediationForm:
    today = services.local_day(services.clock())
    form = RemediationForm(services.remediation_targets(assessment.enterprise, today),
                           measure_owners(assessment.enterprise), today=today, **kwargs)
    if kwargs.get("formdata", True) is None:
        form.owner_id.data = current_user.id
        form.deadline.data = today + timedelta(days=30)
        what = _("Fix item %(number)s of the certification standard", number=item.number)
        form.description.data = f"{what}: {item.text}"[:500] + (f"\n{current.note}" if current and current.note else "")
    return form


@bp.route("/assessments/<int:assessment_id>/items/<int:item_id>/remediation", methods=["POST"])
@allow(*STAFF)
def remediation(assessment_id: int, item_id: int):
    """Put the fix of the item's shortfall into the firm's plan, as a measure with an owner and a deadline."""
    assessment = _assessment(assessment_id)
    item = _item(assessment, item_id)
    if not services.can_plan_remediation(current_user, assessment):
        abort(403)
    form = _remediation_form(assessment, item)
    back = url_for("certification.item", assessment_id=assessment.id, item_id=item.id) + "#remediation"
    if form.validate_on_submit():
        owner = db.session.get(User, form.owner_id.data)
        change = run_change(
            lambda: services.plan_remediation(assessment, item, target=form.target.data,
                                              description=form.description.data, owner=owner,
                                              deadline=form.deadline.data, by=current_user),
            lambda m: _("The fix of item %(number)s is in the assistance plan, due %(day)s.", number=item.number,
                        day=m.deadline.isoformat()),
            form=form, field="target", submission=form.submission_key.data, created_url=lambda m: back)
        if change.ok or change.duplicate:
            return redirect(back)
        current = services.current_score(assessment, item)
        if change.error and (current is None or current.score not in services.SHORT_SCORES
                             or item.id in services.remediations_of(assessment)):
            # The page will show no form to hold the refusal (no shortfall, or its fix is there already).
            flash(change.error, "danger")
    return _item_page(assessment, item, remediation_form=form, status=form_status(400))


# The customs' assessment from a submitted self-assessment --------------------------------------------------
@bp.route("/assessments/<int:assessment_id>/review", methods=["POST"])
@allow(*STAFF)
def review(assessment_id: int):
    self_assessment = _assessment(assessment_id)
    if not services.can_review(current_user, self_assessment):
        abort(403)
    form = ReviewForm()
    if not form.validate_on_submit():
        flash(_("The form has expired. Please submit it again."), "danger")
        return _to_assessment(self_assessment)
    change = run_change(lambda: services.start_review(self_assessment, by=current_user),
                        _("The customs assessment starts from the firm's scores: check each item and re-score it "
                          "where you see it otherwise."), submission=form.submission_key.data,
                        created_url=lambda a: url_for("certification.assessment", assessment_id=a.id))
    if change.ok:
        return _to_assessment(change.result)
    if change.duplicate:
        return redirect(change.url or url_for("certification.firm", enterprise_id=self_assessment.enterprise_id))
    under_way = services.open_assessment(self_assessment.enterprise_id, AssessmentKind.OFFICER)
    return _to_assessment(under_way or self_assessment)


def _evidence(evidence_id: int) -> Evidence:
    return load_or_404(Evidence, evidence_id, lambda user, e: services.can_see_assessment(user, e.assessment),
                       hide=True)


@bp.route("/evidence/<int:evidence_id>")
@allow(CONTACT, *STAFF)
def download(evidence_id: int):
    evidence = _evidence(evidence_id)
    try:
        handle = open(services.evidence_path(evidence), "rb")
    except (FileNotFoundError, ValueError):
        abort(404)
    response = send_file(handle, mimetype=evidence.content_type, as_attachment=True,
                         download_name=evidence.original_filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/evidence/<int:evidence_id>/delete", methods=["POST"])
@allow(CONTACT, *STAFF)
def delete_evidence(evidence_id: int):
    evidence = _evidence(evidence_id)
    assessment, item = evidence.assessment, evidence.item
    if not services.is_assessor(current_user, assessment):
        abort(403)
    if EmptyForm().validate_on_submit():
        name = evidence.original_filename
        run_change(lambda: services.delete_evidence(evidence, by=current_user),
                   _("%(name)s has been deleted.", name=name))
    else:
        flash(_("The form has expired. Please submit it again."), "danger")
    return _to_assessment(assessment, item)


# Transitions ----------------------------------------------------------------------------------------------------
def _transition(assessment_id: int, action, success: str):
    assessment = _assessed(assessment_id, lock=True)
    if EmptyForm().validate_on_submit():
        run_change(lambda: action(assessment), success)
    else:
        flash(_("The form has expired. Please submit it again."), "danger")
    return _to_assessment(assessment)


@bp.route("/assessments/<int:assessment_id>/share", methods=["POST"])
@allow(*STAFF)
def share(assessment_id: int):
    return _transition(assessment_id, lambda a: services.share(a, by=current_user),
                       _("The assessment is shared with the firm: its contacts can read it now."))


@bp.route("/assessments/<int:assessment_id>/close", methods=["POST"])
@allow(*STAFF)
def close(assessment_id: int):
    return _transition(assessment_id, lambda a: services.close(a, by=current_user),
                       _("The assessment is archived; a new one may be started."))


@bp.route("/assessments/<int:assessment_id>/submit", methods=["POST"])
@allow(CONTACT)
def submit(assessment_id: int):
    return _transition(assessment_id, lambda a: services.submit(a, by=current_user),
                       _("Your self-assessment has been submitted to customs."))


# The standard's versions (admins) ----------------------------------------------------------------------------------
def _standard(standard_id: int) -> CertificationStandard:
    return load_or_404(CertificationStandard, standard_id)


def _standard_item(standard: CertificationStandard, item_id: int) -> StandardItem:
    return load_or_404(StandardItem, item_id, within=StandardItem.standard_id == standard.id)


@bp.route("/standards")
@allow(Role.ADMIN)
def standards():
    return render_template("certification/standards.html", rows=queries.standards_with_use())


def _standard_page(standard: CertificationStandard, item_form: ItemForm | None = None,
                   version_form: NewVersionForm | None = None, status: int = 200):
    outline = queries.standard_outline(standard)
    sections = [view.section for view in outline]
    if item_form is None:
        item_form = ItemForm(sections, formdata=None)
        del item_form.version
    if version_form is None:
        version_form = NewVersionForm(formdata=None, version_label=standard.version_label,
                                      effective_from=standard.effective_from)
    return render_template("certification/standard.html", standard=standard, outline=outline,
                           in_use=services.standard_in_use(standard), item_form=item_form,
                           version_form=version_form), status


@bp.route("/standards/<int:standard_id>")
@allow(Role.ADMIN)
def standard(standard_id: int):
    return _standard_page(_standard(standard_id))


@bp.route("/standards/<int:standard_id>/items", methods=["POST"])
@allow(Role.ADMIN)
def add_item(standard_id: int):
    standard = _standard(standard_id)
    form = ItemForm(list(standard.sections))
    del form.version
    if form.validate_on_submit():
        section = db.session.get(StandardSection, form.section_id.data)
        change = run_change(
            lambda: services.add_item(standard, section, number=form.number.data, text=form.text.data,
                                      guidance=form.guidance.data, applies_to_all=form.applies_to_all.data,
                                      by=current_user),
            lambda i: _("Item %(number)s has been added.", number=i.number), form=form, field="number",
            submission=form.submission_key.data,
            created_url=lambda _i: url_for("certification.standard", standard_id=standard.id))
        if change.ok or change.duplicate:
            return redirect(url_for("certification.standard", standard_id=standard.id))
        db.session.expire_all()
    return _standard_page(_standard(standard_id), item_form=form, status=400)


@bp.route("/standards/<int:standard_id>/items/<int:item_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit_item(standard_id: int, item_id: int):
    standard = _standard(standard_id)
    item = _standard_item(standard, item_id)
    form = ItemForm([item.section], obj=item)
    del form.submission_key, form.section_id  # an item stays in its section
    if request.method == "GET":
        form.version.data = str(item.version_id)
    if form.validate_on_submit():
        change = run_change(
            lambda: services.update_item(item, number=form.number.data, text=form.text.data,
                                         guidance=form.guidance.data, applies_to_all=form.applies_to_all.data,
                                         by=current_user),
            _("Your changes have been saved."), form=form, field="text", version=(item, form.version),
            stale=_("Someone else changed this item after you opened the form. Review it and make your change "
                    "again."))
        if change.ok:
            return redirect(url_for("certification.standard", standard_id=standard.id) + f"#item-{item.id}")
    status = form_status(400 if request.method == "POST" else 200)
    return render_template("certification/item_form.html", standard=standard, item=item, form=form,
                           in_use=services.standard_in_use(standard)), status


@bp.route("/standards/<int:standard_id>/items/<int:item_id>/delete", methods=["POST"])
@allow(Role.ADMIN)
def delete_item(standard_id: int, item_id: int):
    standard = _standard(standard_id)
    item = _standard_item(standard, item_id)
    if EmptyForm().validate_on_submit():
        number = item.number
        run_change(lambda: services.remove_item(item, by=current_user),
                   _("Item %(number)s has been removed.", number=number))
    else:
        flash(_("The form has expired. Please submit it again."), "danger")
    return redirect(url_for("certification.standard", standard_id=standard.id))


@bp.route("/standards/<int:standard_id>/new-version", methods=["POST"])
@allow(Role.ADMIN)
def new_version(standard_id: int):
    standard = _standard(standard_id)
    form = NewVersionForm()
    if form.validate_on_submit():
        change = run_change(
            lambda: services.new_version(standard, code=form.code.data, version_label=form.version_label.data,
                                         effective_from=form.effective_from.data, by=current_user),
            _("A new version has been made; edit its items, then offer it for new assessments."),
            form=form, field="code", submission=form.submission_key.data,
            created_url=lambda s: url_for("certification.standard", standard_id=s.id))
        if change.ok:
            return redirect(url_for("certification.standard", standard_id=change.result.id))
        if change.duplicate:
            return redirect(change.url or url_for("certification.standards"))
        db.session.expire_all()
    return _standard_page(_standard(standard_id), version_form=form, status=400)


@bp.route("/standards/<int:standard_id>/offer", methods=["POST"])
@allow(Role.ADMIN)
def offer(standard_id: int):
    """Offer the version for new assessments (offered=1) or stop offering it (offered=0)."""
    standard = load_or_404(CertificationStandard, standard_id, lock=True)
    choice = request.form.get("offered")
    if not EmptyForm().validate_on_submit() or choice not in ("0", "1"):
        flash(_("The form has expired. Please submit it again."), "danger")
    else:
        offered = choice == "1"
        run_change(lambda: services.set_offered(standard, offered, by=current_user),
                   _("The version is offered for new assessments.") if offered
                   else _("The version is no longer offered for new assessments; assessments that use it keep it."))
    return redirect(url_for("certification.standard", standard_id=standard.id))


# For the templates ------------------------------------------------------------------------------------------
@bp.app_template_global("fresh_submission_key")
def fresh_submission_key() -> str:
    """A one-time key for each of a page's creating forms that share one form object (the items' uploads)."""
    return new_submission_key()


@bp.app_template_global("certification_for_firm")
def certification_for_firm(enterprise, user):
    """The firm profile's and the portal's card (tracker/templates/certification/_card.html): the firm's latest
    assessments the user may see, with their results (three statements)."""
    assessments = queries.firm_assessments(enterprise.id, user)[:3]
    return assessments, queries.results_of(assessments)


# Applications for certification (认证申请) ---------------------------------------------------------------------
# The firm's page lists its applications and offers staff the new application's form; an application's page shows
# its timeline and, to staff of the firm's office, one form per next step. The firm's contacts read their own
# firm's applications (no forms; a change is a 403); another firm's contact gets a 404, like none.


APPLICATION_STEPS = {"accept": AcceptForm, "audit": AuditForm, "decide": DecideForm, "withdraw": WithdrawForm}


def _application(application_id: int, lock: bool = False) -> CertificationApplication:
    options = () if lock else (joinedload(CertificationApplication.enterprise),
                               joinedload(CertificationApplication.assessment),
                               joinedload(CertificationApplication.credit_rating),
                               joinedload(CertificationApplication.created_by))
    return load_or_404(CertificationApplication, application_id, services.can_see_application, hide=True,
                       lock=lock, options=options)


def _to_application(application: CertificationApplication):
    return redirect(url_for("certification.application", application_id=application.id))


def _application_page(application: CertificationApplication, sent: dict | None = None, status: int = 200):
    """The application's page; *sent* holds the step's form as it was posted (with its errors)."""
    sent = sent or {}
    forms = {}
    for name, form_cls in APPLICATION_STEPS.items():
        form = sent.get(name)
        if form is None:
            form = form_cls(formdata=None)
            form.version.data = str(application.version_id)
            if name == "decide":
                form.level.data = application.target_level
        forms[name] = form
    return render_template("certification/application.html", application=application,
                           handler=services.can_handle_application(current_user, application), forms=forms,
                           open_step=next(iter(sent), None)), status


@bp.route("/firms/<int:enterprise_id>/applications", methods=["POST"])
@allow(*STAFF)
def application_new(enterprise_id: int):
    enterprise = load_or_404(Enterprise, enterprise_id)
    if not services.can_apply(current_user, enterprise):
        abort(403)
    assessments = services.application_assessments(enterprise.id)
    form = ApplicationForm(assessments)
    if form.validate_on_submit():
        assessment = next((a for a in assessments if a.id == form.assessment_id.data), None)
        change = run_change(
            lambda: services.create_application(enterprise, target_level=form.target_level.data,
                                                applied_on=form.applied_on.data, assessment=assessment,
                                                by=current_user),
            _("The application has been recorded; record its receipt when customs accepts it."), form=form,
            field="target_level", submission=form.submission_key.data,
            created_url=lambda a: url_for("certification.application", application_id=a.id))
        if change.ok:
            return _to_application(change.result)
        if change.duplicate:
            return redirect(change.url or url_for("certification.firm", enterprise_id=enterprise.id))
        under_way = services.open_application(enterprise.id)
        if under_way is not None:
            flash(change.error, "warning")
            return _to_application(under_way)
    g.application_form = form
    return _firm_page(enterprise, AssessmentKind.OFFICER, None, 400)


@bp.route("/applications/<int:application_id>")
@allow(CONTACT, *STAFF)
def application(application_id: int):
    return _application_page(_application(application_id))


def _application_step(application_id: int, name: str, field: str, action, success: str):
    """One step of the application: the row locked and its state read again, the form's version checked."""
    application = _application(application_id, lock=True)
    if not services.can_handle_application(current_user, application):
        abort(403)
    form = APPLICATION_STEPS[name]()
    status = 400
    if form.validate_on_submit():
        change = run_change(lambda: action(application, form), success, form=form, field=field,
                            version=(application, form.version),
                            stale=_("Someone else changed this application after you opened the page. Review it "
                                    "and send the form again."))
        if change.ok:
            return _to_application(application)
        if change.stale:
            status = 409
    application = _application(application_id)
    if status != 409 and not getattr(application, f"can_{name}")():
        # The step's form is not on the page in this state (taken meanwhile, or out of order): say why above it.
        flash(error_summary(form), "danger")
    return _application_page(application, {name: form}, status)


@bp.route("/applications/<int:application_id>/accept", methods=["POST"])
@allow(*STAFF)
def application_accept(application_id: int):
    return _application_step(
        application_id, "accept", "receipt_no",
        lambda a, f: services.accept_application(a, receipt_no=f.receipt_no.data, on=f.accepted_on.data,
                                                 by=current_user),
        _("The receipt of the application has been recorded."))


@bp.route("/applications/<int:application_id>/audit", methods=["POST"])
@allow(*STAFF)
def application_audit(application_id: int):
    return _application_step(
        application_id, "audit", "audit_on",
        lambda a, f: services.audit_application(a, on=f.audit_on.data, note=f.audit_note.data, by=current_user),
        _("The on-site audit has been recorded."))


@bp.route("/applications/<int:application_id>/decide", methods=["POST"])
@allow(*STAFF)
def application_decide(application_id: int):
    return _application_step(
        application_id, "decide", "decision",
        lambda a, f: services.decide_application(
            a, certified=f.decision.data == "certified", on=f.decided_on.data, reason=f.decision_reason.data,
            certificate_no=f.certificate_no.data, level=f.level.data or None, by=current_user),
        _("The decision has been recorded."))


@bp.route("/applications/<int:application_id>/withdraw", methods=["POST"])
@allow(*STAFF)
def application_withdraw(application_id: int):
    return _application_step(
        application_id, "withdraw", "withdrawn_reason",
        lambda a, f: services.withdraw_application(a, reason=f.withdrawn_reason.data, by=current_user),
        _("The application has been withdrawn; the firm may apply again."))


@bp.app_template_global("certification_applications_for")
def certification_applications_for(enterprise, user):
    """The firm page's applications card (certification/_applications.html): the firm's applications the user may
    see, the one under way, and for staff who may record one the new application's form (as sent, when it came
    back with errors). Two statements, however many applications and assessments."""
    applications = queries.firm_applications(enterprise.id, user)
    may_apply = services.can_apply(user, enterprise)
    form = g.get("application_form")
    if form is None and may_apply:
        form = ApplicationForm(services.application_assessments(enterprise.id), formdata=None)
        form.applied_on.data = local_today()
    under_way = next((a for a in applications if a.is_open), None)
    return applications, under_way, may_apply, form
