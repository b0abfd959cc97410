"""The needs ledger's pages under /needs: the filtered list, a firm's new need, a need and its transitions."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from tracker.auth.models import Role, User
from tracker.enterprises.models import Enterprise
from tracker.enterprises.search import search_condition
from tracker.enterprises.services import scope_enterprises
from tracker.extensions import db
from tracker.forms import EmptyForm, error_summary
from tracker.offices.models import Department, Office
from tracker.outreach import needs_services as services
from tracker.outreach.models import (
    NEED_STATUS_LABELS,
    DeadlineExtension,
    FollowUp,
    Need,
    NeedCategory,
    NeedEntry,
    NeedSource,
    NeedStatus,
    OutreachError,
    Satisfaction,
)
from tracker.outreach.needs_forms import (
    DecisionForm,
    EntryForm,
    ExtensionForm,
    FollowUpForm,
    NeedForm,
    ResolveForm,
    UnresolvableForm,
)
from tracker.pagination import Page
from tracker.permissions import STAFF, allow, can_see_enterprise, require, scope_offices, visible_office_ids
from tracker.workdays.services import unconfirmed_warning

bp = Blueprint("needs", __name__)

PER_PAGE = 50


def get_need(need_id: int) -> Need:
    """The need, or 404 when it does not exist or belongs to a firm the user may not see."""
    need = db.session.get(Need, need_id)
    if need is None:
        abort(404)
    require(services.can_see_need(current_user, need), f"need {need_id} outside scope", 404)
    return need


def editable_need(need_id: int) -> Need:
    need = get_need(need_id)
    require(services.can_edit_need(current_user, need), f"cannot edit need {need_id}")
    return need


def _back(need: Need, anchor: str = ""):
    return redirect(url_for("needs.detail", need_id=need.id) + anchor)


def _run(need: Need, form, action, success: str, anchor: str = ""):
    """Validate a transition's form, call the service, commit and flash; refuse with the service's message."""
    if not form.validate_on_submit():
        flash(_("Nothing was changed: %(errors)s", errors=error_summary(form)), "danger")
        return _back(need, anchor)
    try:
        action()
    except OutreachError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(success, "success")
    return _back(need, anchor)


# The list -----------------------------------------------------------------------------------------
def _rare(condition):
    """condition, marked for SQLite's query planner as true of few needs (likelihood 1 %).

    Open needs are a few percent of a ledger that keeps years of closed ones, but SQLite's statistics
    (sqlite_stat1: an average per status) cannot tell: without the mark it reads "open and overdue" or
    "open in this category" through (category_id, deadline) and the like, 120,000 rows for 1,000.
    PostgreSQL knows from its own statistics. The mark never changes a result, only the plan."""
    if db.session.get_bind().dialect.name == "sqlite":
        return sa.func.likelihood(condition, sa.literal_column("0.01"))
    return condition


class NeedFilters:
    """The list's query-string filters."""

    def __init__(self, args):
        self.q = args.get("q", "").strip()[:100]
        status = args.get("status", "")
        self.status = status if status in {s.value for s in NeedStatus} or status == "open" else ""
        self.category = args.get("category", type=int)
        self.department = args.get("department", type=int)
        self.officer = args.get("officer", type=int)
        self.overdue = args.get("overdue", "") == "1"
        self.enterprise = args.get("enterprise", type=int)

    def where(self, stmt: sa.Select, user: User, today, scope=True) -> sa.Select:
        """stmt (a select involving Need) restricted to the filters and to the user's scope: scope_needs
        when scope is True, nothing when False, else scope itself, an equivalent condition (see
        need_page). Every condition is on the needs table itself (the firm search is a subquery of
        firm ids), so they serve the counts and the page's ids without a join."""
        if scope is True:
            stmt = services.scope_needs(stmt, user)
        elif scope is not False:
            stmt = stmt.where(scope)
        if self.q:
            stmt = stmt.where(Need.enterprise_id.in_(sa.select(Enterprise.id).where(search_condition(self.q))))
        if self.status == "open":
            stmt = stmt.where(_rare(Need.status.in_(services.OPEN_NEED_STATUSES)))
        elif self.status in (NeedStatus.PENDING.value, NeedStatus.IN_PROGRESS.value):
            stmt = stmt.where(_rare(Need.status == NeedStatus(self.status)))
        elif self.status:
            stmt = stmt.where(Need.status == NeedStatus(self.status))
        if self.category:
            stmt = stmt.where(Need.category_id == self.category)
        if self.department:
            stmt = stmt.where(Need.department_id == self.department)
        if self.officer:
            stmt = stmt.where(Need.assigned_officer_id == self.officer)
        if self.enterprise:
            stmt = stmt.where(Need.enterprise_id == self.enterprise)
        if self.overdue:
            stmt = stmt.where(services.overdue_condition(today))
        return stmt

    def select(self, user: User, today) -> sa.Select:
        """Every matching need with its firm, category, department and officer: overdue first, then by deadline."""
        stmt = (
            sa.select(Need).join(Need.enterprise)
            .options(sa.orm.contains_eager(Need.enterprise), joinedload(Need.category),
                     joinedload(Need.department), joinedload(Need.assigned_officer))
        )
        return self.where(stmt, user, today).order_by(
            sa.case((services.overdue_condition(today), 0), else_=1), Need.deadline, Need.id)


def _firms_outside_scope(user: User) -> tuple[sa.Select | None, bool]:
    """For a manager or an officer: (the ids of the firms outside his offices, whether there are none),
    when they are fewer than the firms inside; (None, False) otherwise, and for everyone else.

    The scope of scope_needs, "the firm is one of those inside" (firms of visible_office_ids), is then
    cheaper asked the other way round: not at all when no firm is outside (a district's managers), and
    as "not one of those outside" when they are few (an officer of 营口 sees 80 % of the firms). One
    statement: all the firms, and those outside counted office by office on ix_enterprises_office_id."""
    if user.role not in (Role.MANAGER, Role.OFFICER):
        return None, False  # admins have no scope; a firm's contact has the cheapest one
    outside_offices = sa.select(Office.id).where(Office.id.not_in(visible_office_ids(user)))
    firms_of_office = (sa.select(sa.func.count()).select_from(Enterprise)
                       .where(Enterprise.office_id == Office.id).scalar_subquery())
    n_out, n_all = db.session.execute(sa.select(
        sa.select(sa.func.coalesce(sa.func.sum(firms_of_office), 0))
        .where(Office.id.in_(outside_offices)).scalar_subquery(),
        sa.select(sa.func.count()).select_from(Enterprise).scalar_subquery())).one()
    if n_out * 2 >= n_all:
        return None, False
    return sa.select(Enterprise.id).where(Enterprise.office_id.in_(outside_offices)), n_out == 0


def need_page(filters: NeedFilters, user: User, today, page) -> Page:
    """A page of NeedFilters.select(): overdue needs first, then by deadline and id, read without sorting
    every matching need.

    "Overdue first" is not a column an index can hold (it changes with the day), so a single query sorts
    all the matching needs to hand out 50: a million for a district's manager (1.1-1.3 s, and 1.8-9 s a
    quarter deep). Instead, with the matching needs split into the overdue ones and the others, each part
    in (deadline, id) order, which the indexes on (status, deadline), (deadline, id, ...), (category_id,
    deadline, id) and (department_id, deadline, id) serve:

    1. for staff, how many firms lie inside and outside the user's offices (see _firms_outside_scope);
    2. the number of matching needs and of overdue ones among them (where the overdue part ends);
    3. the page's ids from the overdue part, the other part or both (one UNION ALL statement);
    4. those needs with their firm, category, department and officer, the scope checked on each again.

    The statements are the same whatever the data; past the last page only 1 and 2 run.
    """
    found = {}

    def items(offset: int, per_page: int) -> list:
        outside, none_outside = _firms_outside_scope(user)
        late = services.OPEN_NEED_STATUSES
        overdue = sa.and_(_rare(Need.status.in_(late)), Need.deadline < today)  # services.overdue_condition
        if filters.status in ("open", NeedStatus.PENDING.value, NeedStatus.IN_PROGRESS.value) or filters.overdue:
            not_overdue = Need.deadline >= today  # all of them are open
        else:
            not_overdue = sa.not_(sa.and_(Need.status.in_(late), Need.deadline < today))
        may_be_overdue = filters.status in ("", "open", NeedStatus.PENDING.value, NeedStatus.IN_PROGRESS.value)

        def count(scope, *conditions):
            return filters.where(sa.select(sa.func.count()).select_from(Need), user, today, scope).where(
                *conditions).scalar_subquery()

        if outside is None:  # the scope as scope_needs has it
            scope, counts = True, [count(True)] + ([count(True, overdue)] if may_be_overdue else [])
        elif none_outside:
            scope, counts = False, [count(False)] + ([count(False, overdue)] if may_be_overdue else [])
        else:  # all the needs minus those of the firms outside
            scope = Need.enterprise_id.not_in(outside)
            inside_not = Need.enterprise_id.in_(outside)
            counts = [count(False), count(False, inside_not)] + (
                [count(False, overdue), count(False, inside_not, overdue)] if may_be_overdue else [])
        numbers = db.session.execute(sa.select(*counts)).one()
        if outside is not None and not none_outside:
            numbers = [numbers[k] - numbers[k + 1] for k in range(0, len(numbers), 2)]
        found["total"], n_late = numbers[0], (numbers[1] if may_be_overdue else 0)
        take_late = min(per_page, max(0, n_late - offset))
        skip_rest = max(0, offset - n_late)
        take_rest = min(per_page - take_late, max(0, found["total"] - n_late - skip_rest))
        parts = []
        for part, condition, limit, skip in ((0, overdue, take_late, offset), (1, not_overdue, take_rest, skip_rest)):
            if limit:
                ids = filters.where(sa.select(sa.literal_column(str(part)).label("part"), Need.deadline, Need.id),
                                    user, today, scope)
                parts.append(ids.where(condition).order_by(Need.deadline, Need.id).limit(limit).offset(skip)
                             .subquery().select())
        if not parts:
            return []
        ids = [row.id for row in sorted(db.session.execute(parts[0] if len(parts) == 1 else sa.union_all(*parts)))]
        needs = {need.id: need for need in db.session.scalars(
            scope_enterprises(sa.select(Need).join(Need.enterprise).where(Need.id.in_(ids)), user)
            .options(sa.orm.contains_eager(Need.enterprise), joinedload(Need.category),
                     joinedload(Need.department), joinedload(Need.assigned_officer))).unique()}
        return [needs[i] for i in ids if i in needs]

    return Page.of(page, PER_PAGE, items=items, count=lambda: found["total"])


def _filter_choices(user: User) -> dict:
    offices = scope_offices(sa.select(Office.id), user)
    # Needs of the subtree may be handed to a department of the offices above it, too.
    above = [code for code in user.office.path.strip("/").split("/") if code]
    department_offices = sa.union(offices, sa.select(Office.id).where(Office.code.in_(above)))
    return {
        "statuses": NEED_STATUS_LABELS,
        "categories": db.session.scalars(sa.select(NeedCategory).order_by(NeedCategory.id)).all(),
        "departments": db.session.scalars(
            sa.select(Department).where(Department.office_id.in_(department_offices))
            .order_by(Department.name)).all(),
        "officers": db.session.scalars(
            sa.select(User).where(User.role.in_([Role.OFFICER, Role.MANAGER]), User.office_id.in_(offices))
            .order_by(User.username)).all(),
    }


@bp.route("/")
@allow(*STAFF)
def index():
    today = services.local_today()
    filters = NeedFilters(request.args)
    pagination = need_page(filters, current_user, today, request.args.get("page", 1, type=int))
    return render_template("needs/list.html", pagination=pagination, filters=filters, today=today,
                           choices=_filter_choices(current_user))


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
    enterprise = db.session.get(Enterprise, enterprise_id)
    if enterprise is None:
        abort(404)
    require(can_see_enterprise(current_user, enterprise), f"enterprise {enterprise_id} outside scope", 404)
    require(services.can_create_need(current_user, enterprise), f"cannot add needs to enterprise {enterprise_id}")
    form = NeedForm(enterprise.office)
    if request.method == "GET":
        form.raised_on.data = services.local_today()
        form.assigned_officer_id.data = enterprise.assigned_officer_id or 0
    if form.validate_on_submit():
        data = services.NeedData(source=NeedSource(form.source.data), raised_on=form.raised_on.data,
                                 deadline=form.deadline.data, **_form_data(form))
        try:
            need = services.create_need(enterprise, data, by=current_user)
        except OutreachError as exc:
            db.session.rollback()
            form.content.errors = list(form.content.errors) + [str(exc)]
        else:
            db.session.commit()
            flash(_("The need has been recorded; its deadline is %(day)s.", day=need.deadline.isoformat()), "success")
            return _back(need)
    return render_template("needs/form.html", form=form, enterprise=enterprise, need=None)


@bp.route("/<int:need_id>/edit", methods=["GET", "POST"])
@allow(*STAFF)
def edit(need_id: int):
    need = editable_need(need_id)
    form = NeedForm(need.enterprise.office, obj=need)
    del form.source, form.raised_on, form.deadline
    if request.method == "GET":
        form.department_id.data = need.department_id or 0
        form.assigned_officer_id.data = need.assigned_officer_id or 0
        form.version.data = need.updated_at.isoformat()
    if form.validate_on_submit():
        if form.version.data != need.updated_at.isoformat():
            flash(_("Someone else changed this need after you opened the form. Review the current values "
                    "and make your change again."), "warning")
            return redirect(url_for("needs.edit", need_id=need.id))
        try:
            services.update_need(need, by=current_user, **_form_data(form))
        except OutreachError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("Your changes have been saved."), "success")
        return _back(need)
    return render_template("needs/form.html", form=form, enterprise=need.enterprise, need=need)


@bp.route("/<int:need_id>")
@allow(*STAFF)
def detail(need_id: int):
    need = db.session.scalar(
        sa.select(Need).where(Need.id == need_id)
        .options(joinedload(Need.enterprise), joinedload(Need.category), joinedload(Need.department),
                 joinedload(Need.assigned_officer),
                 selectinload(Need.entries).joinedload(NeedEntry.author),
                 selectinload(Need.extensions).joinedload(DeadlineExtension.requested_by),
                 selectinload(Need.follow_ups).joinedload(FollowUp.by))
    )
    if need is None:
        abort(404)
    require(services.can_see_need(current_user, need), f"need {need_id} outside scope", 404)
    today = services.local_today()
    return render_template(
        "needs/detail.html", need=need, today=today,
        editable=services.can_edit_need(current_user, need),
        can_decide=services.can_decide_extension(current_user, need),
        pending=services.pending_extension(need),
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

    return _run(need, form, action, _("The entry has been added."), "#history")


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
                _("The extension has been requested; a manager will decide."), "#extensions")


@bp.route("/extensions/<int:extension_id>/decide", methods=["POST"])
@allow(Role.MANAGER, Role.ADMIN)
def decide_extension(extension_id: int):
    extension = db.session.get(DeadlineExtension, extension_id)
    if extension is None:
        abort(404)
    need = get_need(extension.need_id)
    require(services.can_decide_extension(current_user, need), f"cannot decide extension {extension_id}")
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
                success, "#follow-ups")


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
        services.scope_needs(sa.select(Need), user).where(Need.enterprise_id == enterprise.id)
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
