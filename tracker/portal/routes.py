"""The contact's portal: his own firm only, with its needs (never the internal notes), comments and ratings."""
import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from tracker.auth.models import Role
from tracker.extensions import db
from tracker.needs import services as needs
from tracker.needs.models import FollowUp, Need, NeedEntry, Satisfaction
from tracker.plans.models import AssistancePlan
from tracker.visits.models import Visit
from tracker.needs.forms import CommentForm, RateForm
from tracker.needs.models import NeedCategory, NeedSource
from tracker.notifications.models import Notification
from tracker.permissions import allow, load_or_404, scope_needs, scope_plans
from tracker.portal.forms import RaiseNeedForm
from tracker.views import run_change

bp = Blueprint("portal", __name__)
PORTAL_VISITS = 10
PORTAL_NOTICES = 5


@bp.route("/")
@allow(Role.ENTERPRISE_CONTACT)
def index():
    # The firm comes from the account, never from the URL: no other firm is reachable here.
    firm_needs = db.session.scalars(
        scope_needs(sa.select(Need), current_user)
        .options(joinedload(Need.category))
        .order_by(sa.case((Need.status.in_(needs.OPEN_NEED_STATUSES), 0), else_=1), Need.raised_on.desc(),
                  Need.id.desc())
    ).all()
    # Plans once a manager has approved them; drafts and returned versions stay with customs.
    firm_plans = db.session.scalars(
        scope_plans(sa.select(AssistancePlan), current_user)
        .options(joinedload(AssistancePlan.campaign), selectinload(AssistancePlan.measures))
        .order_by(AssistancePlan.id.desc())
    ).all()
    # Visits: when and what was introduced; the officers' summary and findings are their working notes.
    firm_visits = db.session.scalars(
        sa.select(Visit).where(Visit.enterprise_id == current_user.enterprise_id)
        .options(selectinload(Visit.topics)).order_by(Visit.visited_at.desc()).limit(PORTAL_VISITS)
    ).all()
    from tracker.appointments import queries as appointments, services as counter
    from tracker.enterprises.queries import rosters
    from tracker.notifications.services import message, unread_count
    from tracker.questionnaires.queries import questionnaires_for_portal

    enterprise = current_user.enterprise
    notices = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(PORTAL_NOTICES)).all()
    return render_template(
        "portal/index.html", enterprise=enterprise, needs=firm_needs, plans=firm_plans, visits=firm_visits,
        today=needs.local_today(), rosters=rosters(enterprise), notices=notices, message=message,
        unread=unread_count(current_user), portal_questionnaires=questionnaires_for_portal(current_user),
        past_appointments=appointments.recent_past(current_user, counter.local_day(counter.clock())))


@bp.route("/needs/new", methods=["GET", "POST"])
@allow(Role.ENTERPRISE_CONTACT)
def new_need():
    """The contact raises a need himself: it goes to the firm's assigned officer, answered within the
    category's working days, like a need recorded at a visit."""
    enterprise = current_user.enterprise
    form = RaiseNeedForm()
    if form.validate_on_submit():
        data = needs.NeedData(source=NeedSource.PORTAL, category=db.session.get(NeedCategory, form.category_id.data),
                              content=form.content.data, raised_on=needs.local_today(),
                              assigned_officer=enterprise.assigned_officer
                              if enterprise.assigned_officer and enterprise.assigned_officer.active else None)
        change = run_change(lambda: needs.raise_from_portal(enterprise, data, by=current_user),
                            lambda need: _("Your need has been sent to customs. It is to be answered by %(day)s.",
                                           day=need.deadline.isoformat()),
                            form=form, field="content", submission=form.submission_key.data,
                            created_url=lambda need: url_for("portal.need", need_id=need.id))
        if change.ok:
            return redirect(url_for("portal.need", need_id=change.result.id))
        if change.duplicate:
            return redirect(change.url or url_for("portal.index"))
    return render_template("portal/new_need.html", form=form), 400 if form.errors else 200


def own_need(need_id: int) -> Need:
    """One of the contact's own firm's needs, or 404 (another firm's need is not told apart from none)."""
    return load_or_404(Need, need_id, needs.can_rate, hide=True, lock=request.method == "POST", options=(
        joinedload(Need.category), joinedload(Need.department),
        selectinload(Need.entries).joinedload(NeedEntry.author),
        selectinload(Need.follow_ups).joinedload(FollowUp.by)))


@bp.route("/needs/<int:need_id>")
@allow(Role.ENTERPRISE_CONTACT)
def need(need_id: int):
    return _need_page(own_need(need_id))


def _need_page(item: Need, rate_form: RateForm | None = None, comment_form: CommentForm | None = None,
               status: int = 200):
    """The need's page; a refused form comes back with its errors and what the contact typed."""
    return render_template("portal/need.html", need=item, entries=needs.visible_entries(item, current_user),
                           today=needs.local_today(), rate_form=rate_form or RateForm(formdata=None),
                           rating=needs.firm_rating_after_resolution(item) if item.can_be_followed_up() else None,
                           comment_form=comment_form or CommentForm(formdata=None)), status


def _back(item: Need):
    return redirect(url_for("portal.need", need_id=item.id))


@bp.route("/needs/<int:need_id>/comments", methods=["POST"])
@allow(Role.ENTERPRISE_CONTACT)
def comment(need_id: int):
    item = own_need(need_id)
    form = CommentForm()
    if not form.validate_on_submit():
        return _need_page(item, comment_form=form, status=400)
    run_change(lambda: needs.add_comment(item, form.text.data, by=current_user), _("Your comment has been sent."),
               submission=form.submission_key.data, created_url=lambda _entry: url_for("portal.need", need_id=item.id))
    return _back(item)


@bp.route("/needs/<int:need_id>/rate", methods=["POST"])
@allow(Role.ENTERPRISE_CONTACT)
def rate(need_id: int):
    item = own_need(need_id)
    form = RateForm()
    if not form.validate_on_submit():
        return _need_page(item, rate_form=form, status=400)
    satisfaction = Satisfaction(form.satisfaction.data)
    if satisfaction is Satisfaction.DISSATISFIED:
        message, category = _("Thank you. The need has been reopened and customs will continue working on it."), \
            "warning"
    else:
        message, category = _("Thank you for confirming the resolution."), "success"
    run_change(lambda: needs.firm_confirm_and_rate(item, satisfaction, form.note.data, by=current_user), message,
               category=category, submission=form.submission_key.data,
               created_url=lambda _result: url_for("portal.need", need_id=item.id))
    return _back(item)
