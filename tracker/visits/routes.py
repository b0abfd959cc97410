"""Visits: the filtered list, logging a visit (with the needs raised at it), its page and its edits."""
from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.auth.models import User
from tracker.campaigns.models import Campaign
from tracker.enterprises.models import Enterprise
from tracker.enterprises.search import search_condition
from tracker.extensions import db
from tracker.i18n import LOCAL_TZ
from tracker.offices.models import Department
from tracker.visits import queries, services
from tracker.i18n import local_today
from tracker.needs.models import Need, NeedCategory
from tracker.visits.models import CallbackChannel, PolicyTopic, Visit, VisitCallback, VisitType
from tracker.visits.forms import CallbackForm, VisitForm
from tracker.permissions import STAFF, allow, load_or_404, scope_enterprises
from tracker.views import form_status, run_change
from tracker.forms import db_int

bp = Blueprint("visits", __name__)


def get_visit(visit_id: int, check=None, lock: bool = False) -> Visit:
    # What the visit's page shows, in a fixed number of queries however many officers, attendees and needs.
    return load_or_404(Visit, visit_id, check, lock=lock, options=(
        sa.orm.joinedload(Visit.enterprise), sa.orm.selectinload(Visit.officers), sa.orm.selectinload(Visit.topics),
        sa.orm.selectinload(Visit.attendees), sa.orm.selectinload(Visit.needs).joinedload(Need.category),
        sa.orm.selectinload(Visit.callbacks).joinedload(VisitCallback.by)))


@bp.app_template_global("can_log_visit")
def can_log_visit(enterprise: Enterprise) -> bool:
    """The profile's "Log a visit" button asks what visits.new asks."""
    return services.can_log_visit(current_user, enterprise)


@bp.app_template_global("enterprise_visits")
def enterprise_visits(enterprise: Enterprise) -> list[Visit]:
    """The visits timeline of a firm's profile."""
    return services.visits_of_enterprise(current_user, enterprise)


@bp.route("/")
@allow(*STAFF)
def index():
    filters = queries.VisitFilters(request.args)
    pagination = db.paginate(filters.select(current_user), page=request.args.get("page", 1, type=db_int),
                             per_page=queries.PAGE_SIZE, error_out=False)
    return render_template("visits/list.html", pagination=pagination, filters=filters,
                           choices=queries.filter_choices(current_user))


def _firm_for_new_visit() -> Enterprise | None:
    enterprise_id = request.args.get("enterprise_id", type=db_int)
    if not enterprise_id:
        return None
    return load_or_404(Enterprise, enterprise_id, services.can_log_visit, hide=True)


def _visit_data(form: VisitForm, enterprise: Enterprise) -> services.VisitData:
    officers = db.session.scalars(sa.select(User).where(User.id.in_(form.officers.data or []))).all()
    topics = db.session.scalars(sa.select(PolicyTopic).where(PolicyTopic.id.in_(form.topics.data or []))).all()
    contacts = {c.id: c for c in enterprise.contacts}
    attendees = [services.Attendee(name=contacts[cid].name, title=contacts[cid].title, contact_id=cid)
                 for cid in form.contacts.data or [] if cid in contacts]
    attendees += [services.Attendee(name=n, title=t) for n, t in form.typed_attendees()]
    return services.VisitData(
        visited_at=form.visited_at.data, visit_type=VisitType(form.visit_type.data), officers=list(officers),
        campaign=db.session.get(Campaign, form.campaign_id.data) if form.campaign_id.data else None,
        topics=list(topics), attendees=attendees, summary=form.summary.data, findings=form.findings.data,
        follow_up_on=form.follow_up_on.data)


def _raised_needs(form: VisitForm) -> list[services.RaisedNeed]:
    rows = []
    for row in form.needs:
        content = (row.content.data or "").strip()
        if not content:
            continue
        rows.append(services.RaisedNeed(
            category=db.session.get(NeedCategory, row.category_id.data), content=content,
            department=db.session.get(Department, row.department_id.data) if row.department_id.data else None))
    return rows


@bp.route("/new", methods=["GET", "POST"])
@allow(*STAFF)
def new():
    enterprise = _firm_for_new_visit()
    if enterprise is None:
        # First choose the firm.
        q = request.args.get("q", "").strip()[:100]
        firms = db.session.scalars(
            scope_enterprises(sa.select(Enterprise), current_user)
            .where(Enterprise.archived_at.is_(None), search_condition(q)).order_by(Enterprise.name_pinyin).limit(20)
        ).all() if q else []
        return render_template("visits/choose_firm.html", q=q, firms=firms)
    form = VisitForm(current_user, enterprise)
    if request.method == "GET":
        now = datetime.now(LOCAL_TZ).replace(second=0, microsecond=0, tzinfo=None)
        form.visited_at.data = now
        form.officers.data = [current_user.id]
        campaign = services.default_campaign(enterprise)
        form.campaign_id.data = campaign.id if campaign else 0
    if form.validate_on_submit():
        change = run_change(
            lambda: services.create_visit(enterprise, _visit_data(form, enterprise), current_user, _raised_needs(form)),
            lambda visit: _("The visit has been logged.") + (
                " " + _("%(n)d needs recorded.", n=len(visit.needs)) if visit.needs else ""),
            submission=form.submission_key.data, created_url=lambda visit: url_for("visits.detail", visit_id=visit.id))
        if change.ok:
            return redirect(url_for("visits.detail", visit_id=change.result.id))
        if change.duplicate:
            return redirect(change.url or url_for("visits.index"))
    return render_template("visits/form.html", form=form, enterprise=enterprise, visit=None)


@bp.route("/<int:visit_id>")
@allow(*STAFF)
def detail(visit_id: int):
    visit = get_visit(visit_id)
    editable = services.can_edit_visit(current_user, visit)
    # Who records the follow-up, for those who cannot: the visit's officers that can_edit_visit admits.
    callers = [] if editable or visit.follow_up_on is None else [
        o for o in visit.officers if o.active and services.can_edit_visit(o, visit)]
    return render_template("visits/detail.html", visit=visit, today=local_today(), editable=editable,
                           callers=callers)


def _after_callback(visit: Visit):
    if request.args.get("next", "") == "work":
        return redirect(url_for("notifications.index"))
    return redirect(url_for("visits.detail", visit_id=visit.id) + "#callbacks")


@bp.route("/<int:visit_id>/follow-up", methods=["GET", "POST"])
@allow(*STAFF)
def record_callback(visit_id: int):
    """The follow-up (回访) form: when, how and what came of it; sending it is the confirmation."""
    visit = get_visit(visit_id, services.can_edit_visit, lock=request.method == "POST")
    today = local_today()
    form = CallbackForm()
    if request.method == "GET":
        form.held_on.data = today
    if form.validate_on_submit():
        data = services.CallbackData(held_on=form.held_on.data, channel=CallbackChannel(form.channel.data),
                                     note=form.note.data)
        change = run_change(
            lambda: services.record_callback(visit, data, current_user, today),
            _("The follow-up of the visit to %(name)s is recorded.", name=visit.enterprise.name),
            submission=form.submission_key.data,
            created_url=lambda _callback: url_for("visits.detail", visit_id=visit.id) + "#callbacks")
        if change.ok or change.duplicate:
            return _after_callback(visit)
        if visit.follow_up_on is None:  # recorded meanwhile (by a colleague): nothing left to record
            return _after_callback(visit)
    status = 400 if request.method == "POST" else 200
    return render_template("visits/callback.html", visit=visit, form=form, today=today,
                           next=request.args.get("next", "")), status


@bp.route("/<int:visit_id>/edit", methods=["GET", "POST"])
@allow(*STAFF)
def edit(visit_id: int):
    visit = get_visit(visit_id, services.can_edit_visit)  # optimistic: the version decides (tracker.views)
    enterprise = visit.enterprise
    form = VisitForm(current_user, enterprise, with_needs=False, current_officers=list(visit.officers))
    del form.submission_key
    if request.method == "GET":
        form.visited_at.data = visit.visited_at.astimezone(LOCAL_TZ).replace(tzinfo=None)
        form.visit_type.data = visit.visit_type.value
        form.campaign_id.data = visit.campaign_id or 0
        form.officers.data = [o.id for o in visit.officers]
        form.contacts.data = [a.contact_id for a in visit.attendees if a.contact_id]
        form.other_attendees.data = "\n".join(
            f"{a.name}, {a.title}" if a.title else a.name for a in visit.attendees if not a.contact_id)
        form.topics.data = [t.id for t in visit.topics]
        form.summary.data = visit.summary
        form.findings.data = visit.findings
        form.follow_up_on.data = visit.follow_up_on
        form.version.data = str(visit.version_id)
    if form.validate_on_submit():
        change = run_change(lambda: services.update_visit(visit, _visit_data(form, enterprise), current_user),
                            _("Your changes have been saved."), version=(visit, form.version),
                            stale=_("Someone else changed this visit after you opened the form. Review the "
                                    "current values and make your change again."))
        if change.ok:
            return redirect(url_for("visits.detail", visit_id=visit.id))
    return render_template("visits/form.html", form=form, enterprise=enterprise, visit=visit), form_status()

