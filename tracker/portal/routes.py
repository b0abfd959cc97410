"""The contact's portal: his own firm only, with its needs (never the internal notes), comments and ratings."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from tracker.auth.models import Role
from tracker.extensions import db
from tracker.needs import services as needs
from tracker.domain import DomainError
from tracker.needs.models import FollowUp, Need, NeedEntry, Satisfaction
from tracker.plans.models import AssistancePlan
from tracker.visits.models import Visit
from tracker.needs.forms import CommentForm, RateForm
from tracker.permissions import allow, require, scope_needs, scope_plans

bp = Blueprint("portal", __name__)
PORTAL_VISITS = 10


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
    return render_template("portal/index.html", enterprise=current_user.enterprise, needs=firm_needs,
                           plans=firm_plans, visits=firm_visits, today=needs.local_today())


def own_need(need_id: int) -> Need:
    """One of the contact's own firm's needs, or 404 (another firm's need is not told apart from none)."""
    need = db.session.scalar(
        sa.select(Need).where(Need.id == need_id)
        .options(joinedload(Need.category), joinedload(Need.department),
                 selectinload(Need.entries).joinedload(NeedEntry.author),
                 selectinload(Need.follow_ups).joinedload(FollowUp.by))
    )
    if need is None:
        abort(404)
    require(need.enterprise_id == current_user.enterprise_id, f"need {need_id} of another firm", 404)
    return need


@bp.route("/needs/<int:need_id>")
@allow(Role.ENTERPRISE_CONTACT)
def need(need_id: int):
    return _need_page(own_need(need_id))


def _need_page(item: Need, rate_form: RateForm | None = None, comment_form: CommentForm | None = None,
               status: int = 200):
    """The need's page; a refused form comes back with its errors and what the contact typed."""
    return render_template("portal/need.html", need=item, entries=needs.visible_entries(item, current_user),
                           today=needs.local_today(), rate_form=rate_form or RateForm(formdata=None),
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
    needs.add_comment(item, form.text.data, by=current_user)
    db.session.commit()
    flash(_("Your comment has been sent."), "success")
    return _back(item)


@bp.route("/needs/<int:need_id>/rate", methods=["POST"])
@allow(Role.ENTERPRISE_CONTACT)
def rate(need_id: int):
    item = own_need(need_id)
    form = RateForm()
    if not form.validate_on_submit():
        return _need_page(item, rate_form=form, status=400)
    satisfaction = Satisfaction(form.satisfaction.data)
    try:
        needs.firm_confirm_and_rate(item, satisfaction, form.note.data, by=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        if satisfaction is Satisfaction.DISSATISFIED:
            flash(_("Thank you. The need has been reopened and customs will continue working on it."), "warning")
        else:
            flash(_("Thank you for confirming the resolution."), "success")
    return _back(item)
