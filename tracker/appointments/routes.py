"""The booking pages: a firm's contact books, moves and cancels his own firm's appointments; officers book
for the firms of their subtree. The counter's day is tracker/counter/, ratings tracker/ratings/.

A booking is made in plain GET steps (counter, day, slot), then one POST of the details carrying a
one-time submission key; every step works without JavaScript. Pages call the services with their own
clock (services.clock), never a time taken from the request.
"""
import sqlalchemy as sa
from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from tracker.appointments import calendar, queries, services
from tracker.appointments.forms import BookingForm, FeedForm, RescheduleForm
from tracker.appointments.models import Appointment, CalendarFeed, CertificateType, ServicePoint, Slot
from tracker.auth.models import Role
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.forms import EmptyForm, db_int
from tracker.permissions import PUBLIC, STAFF, allow, load_or_404
from tracker.views import run_change

bp = Blueprint("appointments", __name__)

CONTACT_AND_STAFF = (Role.ENTERPRISE_CONTACT, *STAFF)


def _locale() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "zh"


def _is_contact() -> bool:
    return current_user.role is Role.ENTERPRISE_CONTACT


def _page_context() -> dict:
    """What every booking page's template asks: the access questions and the countries' names."""
    return dict(can_cancel=services.can_cancel, change_refusal=services.change_refusal,
                country_name=services.country_name, local_time=services.local_time, is_contact=_is_contact(),
                weekday=lambda day: format_date(day, "EEE"))


def _firm_param(value) -> Enterprise | None:
    """The firm a page is for: a contact's own; for staff the one chosen (404 outside their subtree)."""
    if _is_contact():
        return current_user.enterprise
    try:
        enterprise_id = db_int(value) if value not in (None, "") else None
    except ValueError:
        enterprise_id = None
    if not enterprise_id:
        return None
    return load_or_404(Enterprise, enterprise_id, services.can_book_for, hide=True)


def active_feed(enterprise: Enterprise | None) -> CalendarFeed | None:
    if enterprise is None:
        return None
    return db.session.scalar(
        sa.select(CalendarFeed).where(CalendarFeed.enterprise_id == enterprise.id, CalendarFeed.revoked_at.is_(None))
        .order_by(CalendarFeed.id.desc()).limit(1))


@bp.app_context_processor
def portal_helpers() -> dict:
    """The portal's home shows the firm's coming appointments (tracker/templates/portal/index.html)."""
    return {"upcoming_appointments": lambda user: queries.upcoming(user, services.local_day(services.clock()))}


# The list -----------------------------------------------------------------------------------------
@bp.route("/")
@allow(*CONTACT_AND_STAFF)
def index():
    now = services.clock()
    today = services.local_day(now)
    page = request.args.get("page", 1, type=db_int)
    if _is_contact():
        firm, filters, points = current_user.enterprise, None, []
    else:
        filters = queries.AppointmentFilters(request.args)
        firm = _firm_param(filters.enterprise) if filters.enterprise else None
        points = queries.points_in_scope(current_user)
    pagination = queries.appointment_page(current_user, filters, today, page)
    return render_template(
        "appointments/index.html", pagination=pagination, filters=filters, points=points, firm=firm,
        today=today, feed=active_feed(firm), feed_form=FeedForm(formdata=None), statuses=services.AppointmentStatus,
        **_page_context())


# Booking ------------------------------------------------------------------------------------------
@bp.route("/new", methods=["GET", "POST"])
@allow(*CONTACT_AND_STAFF)
def new():
    now = services.clock()
    firm = _firm_param(request.values.get("enterprise"))
    context = dict(firm=firm, step="firm", points=[], point=None, days=[], day=None, slots=[], slot=None,
                   form=None, alternatives=[], full=False, problem=None, warning=None, **_page_context())
    if firm is None:  # staff: look the firm up first
        q = request.args.get("q", "").strip()[:100]
        return render_template("appointments/new.html", q=q, firms=queries.firms_to_book_for(current_user, q),
                               **context)
    points = queries.active_points()
    context.update(points=points, step="counter")
    slot = None
    slot_id = request.values.get("slot", type=db_int)
    if slot_id:
        slot = load_or_404(Slot, slot_id, options=(joinedload(Slot.service_point),))
        point = slot.service_point
    elif request.args.get("point", type=db_int):
        point = load_or_404(ServicePoint, request.args.get("point", type=db_int))
    else:
        point = queries.default_point(points, firm.office)
    if point is None or not point.active:
        return render_template("appointments/new.html", **context)
    context.update(point=point, step="day", days=queries.bookable_days(point, now))
    day = slot.day if slot is not None else queries._iso_day(request.args.get("day"))
    if day is None:
        return render_template("appointments/new.html", **context)
    context.update(day=day, step="slot", slots=services.bookable_slots(point, day, now),
                   warning=services.calendar_warning(day))
    if slot is None:
        return render_template("appointments/new.html", **context)
    form = BookingForm(locale=_locale())
    context.update(slot=slot, step="details", form=form, problem=services.booking_problem(slot, now))
    if request.method == "GET":
        form.slot.data, form.enterprise.data = slot.id, firm.id
        return render_template("appointments/new.html", **context)
    if not form.validate_on_submit():
        return render_template("appointments/new.html", **context), 422
    full: dict = {}

    def action():
        try:
            return services.book(
                slot, firm, by=current_user, certificate_type=db.session.get(CertificateType,
                                                                             form.certificate_type_id.data),
                destination_country=form.destination_country.data, quantity=form.quantity.data,
                sailing_date=form.sailing_date.data, vessel=form.vessel.data, port=form.port.data,
                notes=form.notes.data)
        except services.SlotFull as exc:
            full["alternatives"] = [s.id for s in exc.alternatives]
            raise

    change = run_change(
        action, lambda appt: _("Booked: %(day)s %(time)s at %(counter)s.", day=appt.day.isoformat(),
                               time=services.local_time(appt.slot.starts_at), counter=appt.service_point.name),
        form=form, field="slot", submission=form.submission_key.data,
        created_url=lambda appt: url_for("appointments.detail", appointment_id=appt.id))
    if change.ok:
        return redirect(url_for("appointments.detail", appointment_id=change.result.id))
    if change.duplicate:
        return redirect(change.url or url_for("appointments.index"))
    if "alternatives" in full:
        alternatives = [db.session.get(Slot, slot_id) for slot_id in full["alternatives"]]
        context.update(alternatives=[s for s in alternatives if s is not None], full=True,
                       slots=services.bookable_slots(point, day))
        return render_template("appointments/new.html", **context), 409
    context.update(problem=None)
    return render_template("appointments/new.html", **context), 422


# One appointment ----------------------------------------------------------------------------------
def _appointment(appointment_id: int, lock: bool = False) -> Appointment:
    """The appointment as the user may see it (a contact: his own firm's only; 404 otherwise)."""
    options = () if lock else (joinedload(Appointment.slot), joinedload(Appointment.service_point),
                               joinedload(Appointment.enterprise), joinedload(Appointment.certificate_type))
    return load_or_404(Appointment, appointment_id, lock=lock, options=options)


@bp.route("/<int:appointment_id>")
@allow(*CONTACT_AND_STAFF)
def detail(appointment_id: int):
    appointment = _appointment(appointment_id)
    return render_template("appointments/detail.html", appointment=appointment,
                           history=queries.history(appointment),
                           warning=services.calendar_warning(appointment.day) if appointment.is_active else None,
                           **_page_context())


@bp.route("/<int:appointment_id>/cancel", methods=["POST"])
@allow(*CONTACT_AND_STAFF)
def cancel(appointment_id: int):
    appointment = _appointment(appointment_id, lock=True)
    if EmptyForm().validate_on_submit():
        run_change(lambda: services.cancel(appointment, by=current_user), _("The appointment has been cancelled."))
    return redirect(url_for("appointments.detail", appointment_id=appointment.id))


def _may_move(appointment: Appointment) -> bool:
    """What services.reschedule allows: the user may change it, or staff move a flagged booking."""
    return services.can_cancel(current_user, appointment) or (
        current_user.role.is_staff and appointment.needs_rearranging and appointment.can_change())


@bp.route("/<int:appointment_id>/reschedule", methods=["GET", "POST"])
@allow(*CONTACT_AND_STAFF)
def reschedule(appointment_id: int):
    appointment = _appointment(appointment_id, lock=request.method == "POST")
    now = services.clock()
    point = appointment.service_point
    form = RescheduleForm()
    day = queries._iso_day(request.args.get("day"))
    context = dict(appointment=appointment, point=point, form=form, alternatives=[], full=False,
                   refusal=None if _may_move(appointment) else services.change_refusal(current_user, appointment),
                   days=queries.bookable_days(point, now), day=day,
                   slots=services.bookable_slots(point, day, now) if day else [], **_page_context())
    if request.method == "GET":
        return render_template("appointments/reschedule.html", **context)
    if not form.validate_on_submit():
        return render_template("appointments/reschedule.html", **context), 422
    target = load_or_404(Slot, form.slot.data)
    full: dict = {}

    def action():
        try:
            return services.reschedule(appointment, target, by=current_user)
        except services.SlotFull as exc:
            full["alternatives"] = [s.id for s in exc.alternatives]
            raise

    change = run_change(action, lambda appt: _("Moved to %(day)s %(time)s.", day=appt.day.isoformat(),
                                               time=services.local_time(appt.slot.starts_at)),
                        form=form, field="slot")
    if change.ok:
        return redirect(url_for("appointments.detail", appointment_id=appointment.id))
    context["day"] = target.day
    context["slots"] = services.bookable_slots(point, target.day)
    if "alternatives" in full:
        alternatives = [db.session.get(Slot, slot_id) for slot_id in full["alternatives"]]
        context.update(alternatives=[s for s in alternatives if s is not None], full=True)
        return render_template("appointments/reschedule.html", **context), 409
    return render_template("appointments/reschedule.html", **context), 422


# Calendar -----------------------------------------------------------------------------------------
@bp.route("/<int:appointment_id>.ics")
@allow(*CONTACT_AND_STAFF)
def ics(appointment_id: int):
    appointment = _appointment(appointment_id)
    return calendar.response(calendar.calendar([appointment]), f"appointment-{appointment.id}.ics")


@bp.route("/feed/<token>.ics")
@allow(PUBLIC)
def feed(token: str):
    """A firm's private feed: anyone with the URL reads it (a calendar program does not sign in); an
    unknown or revoked token is a plain 404."""
    enterprise = services.feed_enterprise(token)
    if enterprise is None:
        abort(404)
    today = services.local_day(services.clock())
    body = calendar.calendar(queries.feed_appointments(enterprise, today),
                             name=_("Certificate appointments: %(firm)s", firm=enterprise.name))
    return calendar.response(body, "appointments.ics", private=True)


def _feed_firm(enterprise_id: int) -> Enterprise:
    return load_or_404(Enterprise, enterprise_id, services.can_book_for, hide=True, lock=True)


@bp.route("/firms/<int:enterprise_id>/feed", methods=["POST"])
@allow(*CONTACT_AND_STAFF)
def create_feed(enterprise_id: int):
    """A new secret feed URL, shown once on the page this POST answers (never stored in clear, never in a
    redirect or a flash that would put it in a cookie or a log)."""
    enterprise = _feed_firm(enterprise_id)
    back = _index_for(enterprise)
    form = FeedForm()
    if not form.validate_on_submit():
        return redirect(back)
    made: dict = {}

    def action():
        row, raw = services.create_calendar_feed(enterprise, by=current_user)
        made["raw"] = raw
        return row

    change = run_change(action, None, submission=form.submission_key.data, created_url=lambda _row: back)
    if not change.ok:
        return redirect(back)
    url = url_for("appointments.feed", token=made["raw"], _external=True)
    response = make_response(render_template("appointments/feed_created.html", enterprise=enterprise, url=url,
                                             back=back))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/firms/<int:enterprise_id>/feed/revoke", methods=["POST"])
@allow(*CONTACT_AND_STAFF)
def revoke_feed(enterprise_id: int):
    enterprise = _feed_firm(enterprise_id)
    if EmptyForm().validate_on_submit():
        run_change(lambda: services.revoke_calendar_feeds(enterprise),
                   _("The calendar feed has been switched off; its address no longer works."))
    return redirect(_index_for(enterprise))


def _index_for(enterprise: Enterprise) -> str:
    if _is_contact():
        return url_for("appointments.index") + "#calendar-feed"
    return url_for("appointments.index", enterprise=enterprise.id) + "#calendar-feed"
