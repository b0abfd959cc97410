"""The needs ledger's pages under /needs: the filtered list, a firm's new need, a need and its transitions."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from tracker.auth.models import Role, User
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.forms import EmptyForm, error_summary
from tracker.offices.models import Department
from tracker.needs import queries, services
from tracker.needs.export import ledger_response
from tracker.needs.models import (
    DeadlineExtension,
    FollowUp,
    Need,
    NeedCategory,
    NeedEntry,
    NeedSource,
    Satisfaction,
)
from tracker.needs.forms import (
    DecisionForm,
    EntryForm,
    ExtensionForm,
    FollowUpForm,
    NeedForm,
    ResolveForm,
    UnresolvableForm,
)
from tracker.permissions import STAFF, allow, can_see_enterprise, load_or_404, scope_needs
from tracker.views import form_status, run_change
from tracker.workdays.services import unconfirmed_warning
from tracker.forms import db_int

bp = Blueprint("needs", __name__)

def editable_need(need_id: int, lock: bool = True) -> Need:
    """The need the user may edit, locked for the transition about to run (tracker.permissions.load_or_404)."""
    return load_or_404(Need, need_id, services.can_edit_need, lock=lock)


def _back(need: Need, anchor: str = ""):
    return redirect(url_for("needs.detail", need_id=need.id) + anchor)


def _run(need: Need, form, action, success: str, anchor: str = "", once: bool = False):
    """Validate a transition's form, then run_change: commit and flash, or the service's refusal.
    once: the form creates a record (an entry, a follow-up, an extension request) and carries a
    submission key, so that a resent form records nothing twice."""
    if not form.validate_on_submit():
        flash(_("Nothing was changed: %(errors)s", errors=error_summary(form)), "danger")
        return _back(need, anchor)
    run_change(action, success, submission=form.submission_key.data if once else None,
               created_url=lambda _result: url_for("needs.detail", need_id=need.id) + anchor)
    return _back(need, anchor)


@bp.route("/")
@allow(*STAFF)
def index():
    today = services.local_today()
    filters = queries.NeedFilters(request.args)
    pagination = queries.need_page(filters, current_user, today, request.args.get("page", 1, type=db_int))
    return render_template("needs/list.html", pagination=pagination, filters=filters, today=today,
                           choices=queries.filter_choices(current_user))


@bp.route("/export.<any(xlsx, csv):fmt>")
@allow(*STAFF)
def export(fmt: str):
    return ledger_response(fmt, queries.NeedFilters(request.args), current_user, services.local_today())


# Creation and edits ---------------------------------------------------------------------------------
def _form_data(form: NeedForm) -> dict:
    category = db.session.get(NeedCategory, form.category_id.data)
    if category is None:
        abort(400)
    return {
        "category": category,
        "content": form.content.data,
        "department": db.session.get(Department, form.department_id.data) if form.department_id.data else None,
        "assigned_officer": db.session.get(User, form.assigned_officer_id.data) if form.assigned_officer_id.data
        else None,
    }


@bp.route("/new/<int:enterprise_id>", methods=["GET", "POST"])
@allow(*STAFF)
def new(enterprise_id: int):
    enterprise = load_or_404(Enterprise, enterprise_id, services.can_create_need)
    form = NeedForm(enterprise.office)
    if request.method == "GET":
        form.raised_on.data = services.local_today()
        form.assigned_officer_id.data = enterprise.assigned_officer_id or 0
    if form.validate_on_submit():
        data = services.NeedData(source=NeedSource(form.source.data), raised_on=form.raised_on.data,
                                 deadline=form.deadline.data, **_form_data(form))
        change = run_change(
            lambda: services.create_need(enterprise, data, by=current_user),
            lambda need: _("The need has been recorded; its deadline is %(day)s.", day=need.deadline.isoformat()),
            form=form, field="content", submission=form.submission_key.data,
            created_url=lambda need: url_for("needs.detail", need_id=need.id))
        if change.ok:
            return _back(change.result)
        if change.duplicate:
            return redirect(change.url or url_for("enterprises.profile", enterprise_id=enterprise.id))
    return render_template("needs/form.html", form=form, enterprise=enterprise, need=None)


@bp.route("/<int:need_id>/edit", methods=["GET", "POST"])
@allow(*STAFF)
def edit(need_id: int):
    need = editable_need(need_id, lock=False)  # optimistic: the version decides (tracker.views)
    form = NeedForm(need.enterprise.office, obj=need)
    del form.source, form.raised_on, form.deadline, form.submission_key
    if request.method == "GET":
        form.department_id.data = need.department_id or 0
        form.assigned_officer_id.data = need.assigned_officer_id or 0
        form.version.data = str(need.version_id)
    if form.validate_on_submit():
        change = run_change(lambda: services.update_need(need, by=current_user, **_form_data(form)),
                            _("Your changes have been saved."), version=(need, form.version),
                            stale=_("Someone else changed this need after you opened the form. Review the "
                                    "current values and make your change again."))
        if not change.stale:
            return _back(need)
    return render_template("needs/form.html", form=form, enterprise=need.enterprise, need=need), form_status()


@bp.route("/<int:need_id>")
@allow(*STAFF)
def detail(need_id: int):
    need = load_or_404(Need, need_id, options=(
        joinedload(Need.enterprise), joinedload(Need.category), joinedload(Need.department),
        joinedload(Need.assigned_officer),
        selectinload(Need.entries).joinedload(NeedEntry.author),
        selectinload(Need.extensions).joinedload(DeadlineExtension.requested_by),
        selectinload(Need.follow_ups).joinedload(FollowUp.by)))
    today = services.local_today()
    editable = services.can_edit_need(current_user, need)
    can_decide = services.can_decide_extension(current_user, need)
    pending = services.pending_extension(need)
    # Whoever cannot act is told who can (the same can_* that shows the buttons): no dead end.
    actionable = need.status.is_open or need.can_close_off()
    return render_template(
        "needs/detail.html", need=need, today=today, editable=editable, can_decide=can_decide, pending=pending,
        handlers=services.who_can_edit_need(need) if actionable and not editable else None,
        deciders=services.who_can_decide_extension(need) if pending and not can_decide else None,
        confirmation=services.confirmation_after_resolution(need),
        warning=unconfirmed_warning(need.deadline, need.raised_on),
        entry_form=EntryForm(formdata=None), resolve_form=ResolveForm(formdata=None),
        unresolvable_form=UnresolvableForm(formdata=None), extension_form=ExtensionForm(formdata=None),
        decision_form=DecisionForm(formdata=None), follow_up_form=FollowUpForm(formdata=None, held_on=today),
    )


# Transitions ----------------------------------------------------------------------------------------
@bp.route("/<int:need_id>/accept", methods=["POST"])
@allow(*STAFF)
def accept(need_id: int):
    need = editable_need(need_id)
    return _run(need, EmptyForm(), lambda: services.accept(need, by=current_user), _("The need has been accepted."))


@bp.route("/<int:need_id>/entries", methods=["POST"])
@allow(*STAFF)
def add_entry(need_id: int):
    need = editable_need(need_id)
    form = EntryForm()

    def action():
        if form.kind.data == "internal":
            services.add_internal_note(need, form.text.data, by=current_user)
        else:
            services.add_progress(need, form.text.data, by=current_user)

    return _run(need, form, action, _("The entry has been added."), "#history", once=True)


@bp.route("/<int:need_id>/resolve", methods=["POST"])
@allow(*STAFF)
def resolve(need_id: int):
    need = editable_need(need_id)
    form = ResolveForm()
    return _run(need, form, lambda: services.resolve(need, form.text.data, by=current_user),
                _("The need is resolved. Close it off after a follow-up or the firm's confirmation."))


@bp.route("/<int:need_id>/unresolvable", methods=["POST"])
@allow(*STAFF)
def unresolvable(need_id: int):
    need = editable_need(need_id)
    form = UnresolvableForm()
    return _run(need, form, lambda: services.mark_unresolvable(need, form.explanation.data, by=current_user),
                _("The need is marked as impossible to resolve, with the explanation to the firm."))


@bp.route("/<int:need_id>/extensions", methods=["POST"])
@allow(*STAFF)
def request_extension(need_id: int):
    need = editable_need(need_id)
    form = ExtensionForm()
    return _run(need, form,
                lambda: services.request_extension(need, form.new_deadline.data, form.reason.data, by=current_user),
                _("The extension has been requested; a manager will decide."), "#extensions", once=True)


@bp.route("/extensions/<int:extension_id>/decide", methods=["POST"])
@allow(Role.MANAGER, Role.ADMIN)
def decide_extension(extension_id: int):
    extension = load_or_404(DeadlineExtension, extension_id,
                            lambda user, extension: services.can_decide_extension(user, extension.need))
    # The need first, then the extension again: both locked, in the order every transition takes them.
    need = load_or_404(Need, extension.need_id, lock=True)
    extension = load_or_404(DeadlineExtension, extension_id, lock=True)
    form = DecisionForm()
    approve = form.decision.data == "approve"
    return _run(need, form,
                lambda: services.decide_extension(extension, approve, by=current_user, note=form.note.data),
                _("The extension has been approved.") if approve else _("The extension has been rejected."),
                "#extensions")


@bp.route("/<int:need_id>/follow-ups", methods=["POST"])
@allow(*STAFF)
def follow_up(need_id: int):
    need = editable_need(need_id)
    form = FollowUpForm()
    satisfaction = Satisfaction(form.satisfaction.data) if form.satisfaction.data in \
        {s.value for s in Satisfaction} else None
    success = (_("The follow-up is recorded. The firm is dissatisfied, so the need is in progress again.")
               if satisfaction is Satisfaction.DISSATISFIED else _("The follow-up is recorded."))
    return _run(need, form,
                lambda: services.record_follow_up(need, form.held_on.data, satisfaction, form.note.data,
                                                  by=current_user),
                success, "#follow-ups", once=True)


@bp.route("/<int:need_id>/close", methods=["POST"])
@allow(*STAFF)
def close(need_id: int):
    need = editable_need(need_id)
    return _run(need, EmptyForm(), lambda: services.close_off(need, by=current_user),
                _("The need is closed off."))


# The firm profile's needs card ----------------------------------------------------------------------
@bp.app_template_global()
def enterprise_needs(enterprise: Enterprise, user: User) -> list[Need]:
    """The firm's needs for its profile card (open ones first), as the user may see them."""
    if not can_see_enterprise(user, enterprise):
        return []
    return list(db.session.scalars(
        scope_needs(sa.select(Need), user).where(Need.enterprise_id == enterprise.id)
        .options(joinedload(Need.category))
        .order_by(sa.case((Need.status.in_(services.OPEN_NEED_STATUSES), 0), else_=1), Need.deadline.desc())
        .limit(20)
    ))


@bp.app_template_global()
def need_today():
    return services.local_today()


@bp.app_template_global()
def can_create_need(enterprise: Enterprise, user: User) -> bool:
    return services.can_create_need(user, enterprise)
