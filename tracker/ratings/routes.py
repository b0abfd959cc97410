"""好差评 under /ratings: the firm rates a service it was given, the counter office's managers answer a poor
rating within one working day and the firm reads the answer; staff read the ratings of their subtree.

- ``/ratings/appointments/<id>`` (ratings.rate): the service and its rating. The firm's contacts rate it
  there once it is served (COMPLETED), once; anyone who may see the appointment reads the rating, the
  answer or its due day; a manager who may answer finds the answer form, others are told who can.
- ``/ratings/<id>/answer`` (ratings.answer): the manager's answer (POST).
- ``/ratings/`` (ratings.index): staff only; poor ratings first (unanswered, by due day, late ones
  flagged), then the answered ones, then the good ones.
"""
import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from tracker.appointments import services
from tracker.appointments.models import Appointment, AppointmentStatus, ServicePoint, ServiceRating
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.forms import db_int
from tracker.pagination import Page
from tracker.permissions import SIGNED_IN, STAFF, allow, can_see_office, load_or_404, scope_appointments
from tracker.ratings.forms import AnswerForm, RatingForm
from tracker.views import form_status, run_change

bp = Blueprint("ratings", __name__)
PER_PAGE = 50


def today():
    """The counter's day (its clock, which the tests set; local time otherwise, as local_today())."""
    return services.local_day(services.clock())


def _appointment(appointment_id: int, lock: bool = False) -> Appointment:
    return load_or_404(Appointment, appointment_id, lock=lock, options=(
        joinedload(Appointment.service_point).joinedload(ServicePoint.office),
        joinedload(Appointment.enterprise), joinedload(Appointment.certificate_type),
        joinedload(Appointment.slot), joinedload(Appointment.rating)))


def _page(appointment: Appointment, rating_form=None, answer_form=None):
    from tracker.needs.services import managers_over, with_post

    rating = appointment.rating
    may_rate = services.can_rate(current_user, appointment) and rating is None
    may_answer = rating is not None and services.can_answer(current_user, rating)
    if not may_rate:
        rating_form = None
    elif rating_form is None:
        rating_form = RatingForm(formdata=None)
    if may_answer and answer_form is None:
        answer_form = AnswerForm(formdata=None, version=str(rating.version_id))
    answerers = None
    if rating is not None and not rating.good and rating.answered_at is None and not may_answer \
            and current_user.role.is_staff:
        answerers = with_post(managers_over(appointment.service_point.office)) or _("an administrator")
    # The refusal a contact of the firm reads instead of the form (not served yet).
    waiting = None
    if rating is None and not may_rate and current_user.role is Role.ENTERPRISE_CONTACT:
        waiting = _("The service can be rated once it has been completed; it is %(status)s now.",
                    status=appointment.status.label)
    return render_template("ratings/rate.html", appointment=appointment, rating=rating, rating_form=rating_form,
                           answer_form=answer_form if may_answer else None, answerers=answerers, waiting=waiting,
                           today=today(), when=_when(appointment))


def _when(appointment: Appointment) -> str:
    if appointment.slot is None:
        return appointment.day.isoformat()
    return f"{appointment.day.isoformat()} {services.local_time(appointment.slot.starts_at)}"


@bp.route("/appointments/<int:appointment_id>", methods=["GET", "POST"])
@allow(SIGNED_IN)
def rate(appointment_id: int):
    if request.method == "GET":
        return _page(_appointment(appointment_id))
    appointment = _appointment(appointment_id, lock=True)
    if current_user.role is not Role.ENTERPRISE_CONTACT:
        abort(403)  # the firm rates its own service; staff read it here
    form = RatingForm()
    if form.validate_on_submit():
        change = run_change(
            lambda: services.rate(appointment, good=form.good, comment=form.comment.data, by=current_user),
            lambda r: _("Thank you: your rating has been recorded.") if r.good else _(
                "Thank you: your rating has been recorded. The office will answer by %(day)s.",
                day=r.answer_due.isoformat()),
            submission=form.submission_key.data,
            created_url=lambda _r: url_for("ratings.rate", appointment_id=appointment.id))
        if change.ok or change.duplicate:
            return redirect(url_for("ratings.rate", appointment_id=appointment.id))
        db.session.expire_all()
        return _page(_appointment(appointment_id)), 409
    return _page(appointment, rating_form=form), 422


@bp.route("/<int:rating_id>/answer", methods=["POST"])
@allow(Role.ADMIN, Role.MANAGER)  # an officer reads who answers (services.can_answer: managers and admins)
def answer(rating_id: int):
    rating = load_or_404(ServiceRating, rating_id, lambda user, r: services.can_manage_point(
        user, r.appointment.service_point), lock=True)
    appointment = rating.appointment
    form = AnswerForm()
    if form.validate_on_submit():
        change = run_change(lambda: services.answer(rating, form.answer.data, by=current_user),
                            _("Your answer has been sent to the firm."), version=(rating, form.version),
                            stale=_("Someone else answered this rating after you opened the page."))
        if change.ok:
            return redirect(url_for("ratings.rate", appointment_id=appointment.id))
        db.session.expire_all()
        return _page(_appointment(appointment.id)), form_status(409)
    return _page(appointment, answer_form=form), 422


# The list ---------------------------------------------------------------------------------------------
RATING_FILTERS = ("poor", "good")
STATE_FILTERS = ("unanswered", "late", "answered")


class RatingFilters:
    def __init__(self, args):
        self.rating = args.get("rating", "") if args.get("rating") in RATING_FILTERS else ""
        self.state = args.get("state", "") if args.get("state") in STATE_FILTERS else ""
        self.point = args.get("point", None, type=db_int)

    def where(self, stmt, day):
        if self.rating == "poor":
            stmt = stmt.where(ServiceRating.good.is_(False))
        elif self.rating == "good":
            stmt = stmt.where(ServiceRating.good.is_(True))
        if self.state in ("unanswered", "late"):
            stmt = stmt.where(ServiceRating.good.is_(False), ServiceRating.answered_at.is_(None))
        if self.state == "late":
            stmt = stmt.where(ServiceRating.answer_due < day)
        elif self.state == "answered":
            stmt = stmt.where(ServiceRating.answered_at.is_not(None))
        if self.point:
            stmt = stmt.where(Appointment.service_point_id == self.point)
        return stmt


def visible_points(user) -> list[ServicePoint]:
    points = db.session.scalars(sa.select(ServicePoint).options(joinedload(ServicePoint.office))
                                .order_by(ServicePoint.name)).all()
    return [p for p in points if user.role is Role.ADMIN or can_see_office(user, p.office)]


@bp.route("/")
@allow(*STAFF)
def index():
    day = today()
    filters = RatingFilters(request.args)
    base = scope_appointments(sa.select(ServiceRating.id).join(Appointment, Appointment.id == ServiceRating.appointment_id),
                              current_user)
    base = filters.where(base, day)
    # Unanswered poor ratings first (the earliest due first), then the answered poor ones, then the good.
    order = sa.case((sa.and_(ServiceRating.good.is_(False), ServiceRating.answered_at.is_(None)), 0),
                    (ServiceRating.good.is_(False), 1), else_=2)

    def items(offset, limit):
        ids = db.session.scalars(base.order_by(order, ServiceRating.answer_due, ServiceRating.rated_at.desc(),
                                               ServiceRating.id.desc()).offset(offset).limit(limit)).all()
        if not ids:
            return []
        rows = db.session.scalars(sa.select(ServiceRating).where(ServiceRating.id.in_(ids)).options(
            joinedload(ServiceRating.appointment).joinedload(Appointment.enterprise),
            joinedload(ServiceRating.appointment).joinedload(Appointment.service_point),
            joinedload(ServiceRating.appointment).joinedload(Appointment.certificate_type),
            joinedload(ServiceRating.appointment).joinedload(Appointment.slot),
            joinedload(ServiceRating.answered_by))).unique().all()
        by_id = {r.id: r for r in rows}
        return [by_id[i] for i in ids if i in by_id]

    def count():
        return db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0

    pagination = Page.of(request.args.get("page", 1, type=db_int), PER_PAGE, count=count, items=items)
    return render_template("ratings/list.html", pagination=pagination, filters=filters, today=day,
                           points=visible_points(current_user), when=_when, completed=AppointmentStatus.COMPLETED)
