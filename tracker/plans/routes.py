"""Assistance plans: the list, drafting a plan and its measures, review by a manager, progress and the print page."""
import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.auth.models import Role, User
from tracker.campaigns.models import Campaign
from tracker.enterprises.models import Enterprise
from tracker.enterprises.search import search_condition
from tracker.extensions import db
from tracker.forms import error_summary
from tracker.plans import queries, services
from tracker.i18n import local_today
from tracker.needs.models import Need
from tracker.plans.models import MEASURE_STATUS_LABELS, AssistancePlan, MeasureStatus, PlanMeasure, PlanStatus
from tracker.plans.forms import MeasureForm, PlanForm, ProgressForm, ReturnForm
from tracker.types import utcnow
from tracker.permissions import (
    SIGNED_IN, STAFF, allow, load_or_404, scope_enterprises,
)
from tracker.views import form_status, run_change
from tracker.forms import db_int

bp = Blueprint("plans", __name__)


def get_plan(plan_id: int, check=None, lock: bool = False) -> AssistancePlan:
    return load_or_404(AssistancePlan, plan_id, check, lock=lock, options=queries.PLAN_PAGE_LOAD)


def editable_plan(plan_id: int, lock: bool | None = None) -> AssistancePlan:
    """The plan the user may edit; a POST locks it for the change about to run (tracker.permissions)."""
    return get_plan(plan_id, services.can_edit_plan, lock=request.method == "POST" if lock is None else lock)


def get_measure(plan: AssistancePlan, measure_id: int) -> PlanMeasure:
    return load_or_404(PlanMeasure, measure_id, within=PlanMeasure.plan_id == plan.id,
                       lock=request.method == "POST")


def _back(plan: AssistancePlan, anchor: str = ""):
    return redirect(url_for("plans.detail", plan_id=plan.id) + anchor)


@bp.route("/")
@allow(*STAFF)
def index():
    filters = queries.PlanFilters(request.args)
    pagination = db.paginate(filters.select(current_user), page=request.args.get("page", 1, type=db_int),
                             per_page=queries.PAGE_SIZE, error_out=False)
    return render_template("plans/list.html", pagination=pagination, status=filters.status,
                           campaign=filters.campaign, statuses=list(PlanStatus),
                           campaigns=queries.campaign_choices(current_user))


@bp.route("/new", methods=["GET", "POST"])
@allow(*STAFF)
def new():
    enterprise_id = request.args.get("enterprise_id", type=db_int)
    if not enterprise_id:
        q = request.args.get("q", "").strip()[:100]
        firms = db.session.scalars(
            scope_enterprises(sa.select(Enterprise), current_user)
            .where(Enterprise.archived_at.is_(None), search_condition(q)).order_by(Enterprise.name_pinyin).limit(20)
        ).all() if q else []
        return render_template("visits/choose_firm.html", q=q, firms=firms, endpoint="plans.new",
                               heading=_("New assistance plan"))
    enterprise = load_or_404(Enterprise, enterprise_id, services.can_edit_firm_plans)
    form = PlanForm(enterprise)
    if form.validate_on_submit():
        campaign = db.session.get(Campaign, form.campaign_id.data)
        change = run_change(lambda: services.create_plan(enterprise, campaign, form.objective.data, current_user),
                            _("The plan has been drafted. Add its measures, then submit it for approval."),
                            submission=form.submission_key.data,
                            created_url=lambda plan: url_for("plans.detail", plan_id=plan.id))
        if change.ok:
            return _back(change.result)
        if change.duplicate:
            return redirect(change.url or url_for("plans.index"))
    return render_template("plans/form.html", form=form, enterprise=enterprise, plan=None)


@bp.route("/<int:plan_id>")
@allow(SIGNED_IN)
def detail(plan_id: int):
    return _detail_page(get_plan(plan_id))


def _detail_page(plan: AssistancePlan, measure_form: MeasureForm | None = None,
                 progress_forms: dict[int, ProgressForm] | None = None):
    """The plan's page; a form that was sent with errors comes back filled in and open, its errors at its
    fields (measure_form, or progress_forms by measure id)."""
    editable = services.can_edit_plan(current_user, plan)
    approver = services.can_approve(current_user, plan)
    # Staff who cannot act are told who can, by the rules that show the buttons; the firm only reads.
    staff = current_user.role.is_staff
    if measure_form is None and editable and plan.is_draft():
        measure_form = MeasureForm(plan.enterprise, formdata=None)
    return render_template(
        "plans/detail.html", plan=plan, editable=editable, approver=approver,
        editors=services.who_can_edit_plan(plan) if staff and not editable and plan.status is not
        PlanStatus.COMPLETED else None,
        approvers=services.who_can_approve(plan) if staff and not approver and plan.awaits_decision() else None,
        blockers=services.completion_blockers(plan) if plan.is_under_way() else [],
        measure_form=measure_form if editable and plan.is_draft() else None,
        return_form=ReturnForm(formdata=None), progress_form=ProgressForm, progress_forms=progress_forms or {},
        statuses=MEASURE_STATUS_LABELS, today=local_today())


@bp.route("/<int:plan_id>/print")
@allow(SIGNED_IN)
def print_plan(plan_id: int):
    plan = get_plan(plan_id)
    return render_template("plans/print.html", plan=plan, statuses=MEASURE_STATUS_LABELS, printed_at=utcnow())


@bp.route("/<int:plan_id>/edit", methods=["GET", "POST"])
@allow(*STAFF)
def edit(plan_id: int):
    plan = editable_plan(plan_id, lock=False)  # optimistic: the version decides (tracker.views)
    form = PlanForm(plan.enterprise, obj=plan)
    del form.campaign_id, form.submission_key  # a plan stays in its campaign
    if request.method == "GET":
        form.version.data = str(plan.version_id)
    if form.validate_on_submit():
        change = run_change(lambda: services.update_objective(plan, form.objective.data),
                            _("Your changes have been saved."), version=(plan, form.version),
                            stale=_("Someone else changed this plan after you opened the form. Review the "
                                    "current values and make your change again."))
        if not change.stale:
            return _back(plan)
    return render_template("plans/form.html", form=form, enterprise=plan.enterprise, plan=plan), form_status()


def _measure_fields(form: MeasureForm, plan: AssistancePlan) -> dict:
    owner = db.session.get(User, form.owner_id.data) if form.owner_id.data else None
    needs = db.session.scalars(sa.select(Need).where(Need.id.in_(form.needs.data or []),
                                                     Need.enterprise_id == plan.enterprise_id)).all()
    return {"description": form.description.data, "owner": owner, "deadline": form.deadline.data, "needs": list(needs)}



@bp.route("/<int:plan_id>/measures", methods=["POST"])
@allow(*STAFF)
def add_measure(plan_id: int):
    plan = editable_plan(plan_id)
    form = MeasureForm(plan.enterprise)
    if not form.validate_on_submit():
        flash(_("The measure was not added: %(errors)s", errors=error_summary(form)), "danger")
        return _detail_page(plan, measure_form=form)
    run_change(lambda: services.add_measure(plan, **_measure_fields(form, plan)), _("The measure has been added."),
               submission=form.submission_key.data,
               created_url=lambda _measure: url_for("plans.detail", plan_id=plan.id) + "#measures")
    return _back(plan, "#measures")


@bp.route("/<int:plan_id>/measures/<int:measure_id>/edit", methods=["GET", "POST"])
@allow(*STAFF)
def edit_measure(plan_id: int, measure_id: int):
    plan = editable_plan(plan_id)
    measure = get_measure(plan, measure_id)
    form = MeasureForm(plan.enterprise, obj=measure, current_deadline=measure.deadline)
    del form.submission_key
    if request.method == "GET":
        form.owner_id.data = measure.owner_id or 0
        form.needs.data = [n.id for n in measure.needs]
    if form.validate_on_submit():
        run_change(lambda: services.update_measure(measure, **_measure_fields(form, plan)),
                   _("Your changes have been saved."))
        return _back(plan, "#measures")
    return render_template("plans/measure_form.html", form=form, plan=plan, measure=measure)


@bp.route("/<int:plan_id>/measures/<int:measure_id>/delete", methods=["POST"])
@allow(*STAFF)
def delete_measure(plan_id: int, measure_id: int):
    plan = editable_plan(plan_id)
    measure = get_measure(plan, measure_id)
    run_change(lambda: services.remove_measure(measure), _("The measure has been removed."))
    return _back(plan, "#measures")


@bp.route("/<int:plan_id>/measures/<int:measure_id>/progress", methods=["POST"])
@allow(*STAFF)
def record_progress(plan_id: int, measure_id: int):
    plan = editable_plan(plan_id)
    measure = get_measure(plan, measure_id)
    form = ProgressForm()
    if not form.validate_on_submit():
        flash(_("The progress was not recorded: %(errors)s", errors=error_summary(form)), "danger")
        return _detail_page(plan, progress_forms={measure.id: form})
    run_change(lambda: services.record_progress(measure, status=MeasureStatus(form.status.data),
                                                result=form.result.data),
               _("The progress has been recorded."))
    return _back(plan, "#measures")


def _transition(plan: AssistancePlan, action, done_message: str, *args):
    run_change(lambda: action(plan, current_user, *args), done_message)
    return _back(plan)


@bp.route("/<int:plan_id>/submit", methods=["POST"])
@allow(*STAFF)
def submit(plan_id: int):
    plan = editable_plan(plan_id)
    return _transition(plan, services.submit, _("The plan has been submitted for approval."))


@bp.route("/<int:plan_id>/approve", methods=["POST"])
@allow(Role.MANAGER)
def approve(plan_id: int):
    plan = get_plan(plan_id, services.can_approve, lock=True)
    return _transition(plan, services.approve, _("The plan has been approved."))


@bp.route("/<int:plan_id>/return", methods=["POST"])
@allow(Role.MANAGER)
def return_for_changes(plan_id: int):
    plan = get_plan(plan_id, services.can_approve, lock=True)
    form = ReturnForm()
    comment = form.comment.data if form.validate_on_submit() else ""
    return _transition(plan, services.return_for_changes, _("The plan has been returned for changes."), comment)


@bp.route("/<int:plan_id>/start", methods=["POST"])
@allow(*STAFF)
def start(plan_id: int):
    plan = editable_plan(plan_id)
    return _transition(plan, services.start, _("The plan is now being carried out."))


@bp.route("/<int:plan_id>/complete", methods=["POST"])
@allow(*STAFF)
def complete(plan_id: int):
    plan = editable_plan(plan_id)
    return _transition(plan, services.complete, _("The plan has been completed."))
