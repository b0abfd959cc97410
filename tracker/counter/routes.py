"""The counter's day, its settings and the hall display.

The steps (check in, call, start, complete, no-show, wasted trip) are POSTs on one appointment each:
loaded FOR UPDATE (load_or_404 lock=True), checked with can_work_counter, run through run_change, so that
thirty identical posts give one effect (the model transition re-checks the state it finds). Times come
from the services' clock; a request never passes one.
"""
from datetime import date, timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.appointments import services
from tracker.appointments.models import (
    Appointment, AppointmentStatus, CertificateType, CounterWindow, DisplayToken, ServicePoint, WastedReason,
)
from tracker.counter import queries
from tracker.counter.forms import (
    CallForm, CompleteForm, DisplayForm, NewPointForm, SettingsForm, WalkInForm, WastedForm, WEEKDAYS,
)
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.forms import EmptyForm, error_summary
from tracker.offices.models import Office
from tracker.permissions import PUBLIC, STAFF, allow, can_see_enterprise, load_or_404
from tracker.auth.models import Role
from tracker.views import form_status, run_change

bp = Blueprint("counter", __name__)
MANAGERS = (Role.ADMIN, Role.MANAGER)


def _works_here(user, appointment: Appointment) -> bool:
    return services.can_work_counter(user, appointment.service_point)


def _step_appointment(appointment_id: int) -> Appointment:
    """The appointment a step changes, read FOR UPDATE; 403 for whoever does not work at its counter."""
    return load_or_404(Appointment, appointment_id, _works_here, lock=True)


def _back(appointment: Appointment):
    return redirect(url_for("counter.day", point_id=appointment.service_point_id,
                            date=appointment.day.isoformat()) + f"#appt-{appointment.id}")


def _today() -> date:
    return services.local_day(services.clock())


# The day ------------------------------------------------------------------------------------------
@bp.route("/")
@allow(*STAFF)
def index():
    points = queries.points_for(current_user)
    if len(points) == 1:
        return redirect(url_for("counter.day", point_id=points[0].id))
    return render_template("counter/index.html", points=points)


def _requested_day() -> date:
    raw = request.args.get("date", "")
    try:
        day = date.fromisoformat(raw) if raw else _today()
    except ValueError:
        return _today()
    return day if date(1980, 1, 1) <= day <= date(2099, 12, 31) else _today()


@bp.route("/<int:point_id>/day")
@allow(*STAFF)
def day(point_id: int):
    point = load_or_404(ServicePoint, point_id, services.can_work_counter)
    now = services.clock()
    board = queries.counter_day(point, _requested_day(), now)
    today = services.local_day(now)
    # Steps are taken on the day itself only, and each only in the states it applies to (_steps.html).
    forms = {appt.id: _step_forms(appt, board) for appt in board.appointments} if board.day == today else {}
    return render_template(
        "counter/day.html", point=point, board=board, now=now, today=today, forms=forms,
        reschedule=_has_endpoint("appointments.reschedule"),
        detail=_has_endpoint("appointments.detail"), minutes=_minutes,
        timedelta=timedelta, country_name=services.country_name,
        can_manage=services.can_manage_point(current_user, point))


_CALLABLE = (AppointmentStatus.WAITING, AppointmentStatus.CALLED)
_AT_THE_COUNTER = (AppointmentStatus.WAITING, AppointmentStatus.CALLED, AppointmentStatus.SERVING)


def _step_forms(appt: Appointment, board) -> dict:
    """The forms of the steps the appointment's state allows, as _steps.html shows them, and no others: a
    form costs more to build than its row to render, and a day of 200 appointments, most of them served or
    still to come, needs few (it built three for each, 0.3 s a page)."""
    prefix = f"a{appt.id}"
    forms = {}
    if appt.status in _CALLABLE:
        forms["call"] = CallForm(board.windows, formdata=None, prefix=prefix)
    if appt.status in _AT_THE_COUNTER:
        forms["wasted"] = WastedForm(formdata=None, prefix=prefix)
    if appt.status is AppointmentStatus.SERVING:
        forms["complete"] = _complete_form(appt, board.certificate_types, formdata=None)
    return forms


def _minutes(span: timedelta | None) -> int | None:
    return None if span is None else max(0, int(span.total_seconds() // 60))


def _has_endpoint(endpoint: str) -> bool:
    """Another page's link, shown once that page exists and admits the user (can_use)."""
    from flask import current_app

    from tracker.permissions import can_use

    return endpoint in current_app.view_functions and can_use(endpoint)


def _complete_form(appt: Appointment, certificate_types, **kwargs) -> CompleteForm:
    form = CompleteForm(certificate_types, prefix=f"a{appt.id}", **kwargs)
    if kwargs.get("formdata", True) is None:
        first = form.lines.entries[0].form
        first.certificate_type_id.data, first.quantity.data = appt.certificate_type_id, appt.quantity
    return form


# The steps ----------------------------------------------------------------------------------------
def _step(appointment: Appointment, form, action, success):
    if not form.validate_on_submit():
        flash(_("Nothing was changed: %(errors)s", errors=error_summary(form)), "danger")
        return _back(appointment)
    run_change(action, success)
    return _back(appointment)


@bp.route("/appointments/<int:appointment_id>/check-in", methods=["POST"])
@allow(*STAFF)
def check_in(appointment_id: int):
    appt = _step_appointment(appointment_id)
    return _step(appt, EmptyForm(), lambda: services.check_in(appt, by=current_user),
                 lambda a: _("%(who)s is checked in: queue number %(number)d.", who=a.who, number=a.queue_number))


@bp.route("/appointments/<int:appointment_id>/call", methods=["POST"])
@allow(*STAFF)
def call(appointment_id: int):
    appt = _step_appointment(appointment_id)
    windows = db.session.scalars(sa.select(CounterWindow).where(
        CounterWindow.service_point_id == appt.service_point_id, CounterWindow.active.is_(True))
        .order_by(CounterWindow.number)).all()
    form = CallForm(windows, prefix=f"a{appt.id}")

    def action():
        window = db.session.get(CounterWindow, form.window_id.data)
        return services.call(appt, window, by=current_user)

    return _step(appt, form, action, lambda a: _("Number %(number)d called to %(window)s.",
                                                  number=a.queue_number or 0, window=a.window.label))


@bp.route("/appointments/<int:appointment_id>/start", methods=["POST"])
@allow(*STAFF)
def start(appointment_id: int):
    appt = _step_appointment(appointment_id)
    return _step(appt, EmptyForm(), lambda: services.start(appt, by=current_user),
                 lambda a: _("Serving number %(number)d, %(who)s.", number=a.queue_number or 0, who=a.who))


@bp.route("/appointments/<int:appointment_id>/complete", methods=["POST"])
@allow(*STAFF)
def complete(appointment_id: int):
    appt = _step_appointment(appointment_id)
    types = queries.active_certificate_types()
    form = _complete_form(appt, types)
    by_id = {t.id: t for t in types}
    return _step(appt, form, lambda: services.complete(appt, form.issued(by_id), by=current_user),
                 lambda a: _("Served: %(count)d certificates issued to %(who)s.",
                             count=sum(i.quantity for i in a.issued), who=a.who))


@bp.route("/appointments/<int:appointment_id>/no-show", methods=["POST"])
@allow(*STAFF)
def no_show(appointment_id: int):
    appt = _step_appointment(appointment_id)
    return _step(appt, EmptyForm(), lambda: services.record_no_show(appt, by=current_user),
                 lambda a: _("%(who)s is recorded as not come.", who=a.who))


@bp.route("/appointments/<int:appointment_id>/wasted", methods=["POST"])
@allow(*STAFF)
def wasted(appointment_id: int):
    appt = _step_appointment(appointment_id)
    form = WastedForm(prefix=f"a{appt.id}")
    return _step(appt, form, lambda: services.record_wasted(appt, WastedReason(form.reason.data), form.note.data,
                                                            by=current_user),
                 lambda a: _("Wasted trip recorded for %(who)s: %(reason)s.", who=a.who, reason=a.wasted_reason.label))


@bp.route("/<int:point_id>/walk-in", methods=["GET", "POST"])
@allow(*STAFF)
def walk_in(point_id: int):
    point = load_or_404(ServicePoint, point_id, services.can_work_counter)
    types = queries.active_certificate_types()
    form = WalkInForm(queries.walk_in_firms(current_user), types, services.country_choices())
    if request.method == "GET":
        form.quantity.data = 1
    if form.validate_on_submit():
        enterprise = db.session.get(Enterprise, form.enterprise_id.data) if form.enterprise_id.data else None
        if enterprise is not None and not can_see_enterprise(current_user, enterprise):
            abort(404)
        certificate_type = db.session.get(CertificateType, form.certificate_type_id.data)
        change = run_change(
            lambda: services.walk_in(point, by=current_user, enterprise=enterprise,
                                     visitor_name=None if enterprise else form.visitor_name.data,
                                     certificate_type=certificate_type,
                                     destination_country=form.destination_country.data,
                                     quantity=form.quantity.data, sailing_date=form.sailing_date.data),
            lambda a: _("%(who)s is in the queue: number %(number)d.", who=a.who, number=a.queue_number),
            form=form, field="visitor_name", submission=form.submission_key.data,
            created_url=lambda a: url_for("counter.day", point_id=point.id) + f"#appt-{a.id}")
        if change.ok:
            return redirect(url_for("counter.day", point_id=point.id) + f"#appt-{change.result.id}")
        if change.duplicate:
            return redirect(change.url or url_for("counter.day", point_id=point.id))
    return render_template("counter/walk_in.html", point=point, form=form)


# The hall display ---------------------------------------------------------------------------------
@bp.route("/display/<token>")
@allow(PUBLIC)
def display(token: str):
    point = services.display_point(token)
    if point is None:
        abort(404)
    now = services.clock()
    board = queries.display_board(point, services.local_day(now))
    return render_template("counter/display.html", point=point, board=board, now=now, mask=queries.mask_name)


@bp.route("/<int:point_id>/displays", methods=["GET", "POST"])
@allow(*MANAGERS)
def displays(point_id: int):
    point = load_or_404(ServicePoint, point_id, services.can_manage_point)
    form = DisplayForm()
    made_url = None
    if form.validate_on_submit():
        change = run_change(lambda: services.create_display_token(point, form.name.data, by=current_user),
                            _("The display link has been made. Copy it now: it is shown only once."),
                            submission=form.submission_key.data,
                            created_url=lambda _r: url_for("counter.displays", point_id=point.id))
        if change.ok:
            made_url = url_for("counter.display", token=change.result[1], _external=True)
            form = DisplayForm(formdata=None)
        elif change.duplicate:
            return redirect(url_for("counter.displays", point_id=point.id))
    return render_template("counter/displays.html", point=point, form=form, made_url=made_url,
                           tokens=queries.display_tokens(point))


@bp.route("/displays/<int:display_id>/revoke", methods=["POST"])
@allow(*MANAGERS)
def revoke_display(display_id: int):
    row = load_or_404(DisplayToken, display_id, lambda user, t: services.can_manage_point(user, t.service_point),
                      lock=True)
    if EmptyForm().validate_on_submit():
        run_change(lambda: services.revoke_display_token(row), _("The display link no longer opens the screen."))
    else:
        flash(_("The form has expired. Please submit it again."), "danger")
    return redirect(url_for("counter.displays", point_id=row.service_point_id))


# Settings -----------------------------------------------------------------------------------------
@bp.route("/settings", methods=["GET", "POST"])
@allow(*MANAGERS)
def settings():
    offices = queries.offices_without_point(current_user)
    form = NewPointForm(offices)
    if form.validate_on_submit():
        office = db.session.get(Office, form.office_id.data)
        if office is None or office not in offices:
            abort(404)
        change = run_change(
            lambda: services.create_service_point(office, name=form.name.data, windows=form.windows.data,
                                                  by=current_user),
            _("The counter has been made with the default hours; set its hours and rules here."),
            form=form, field="name", submission=form.submission_key.data,
            created_url=lambda p: url_for("counter.settings_edit", point_id=p.id))
        if change.ok:
            return redirect(url_for("counter.settings_edit", point_id=change.result.id))
        if change.duplicate:
            return redirect(change.url or url_for("counter.settings"))
    points = [p for p in queries.points_for(current_user) if services.can_manage_point(current_user, p)]
    return render_template("counter/settings.html", points=points, offices=offices, form=form)


@bp.route("/<int:point_id>/settings", methods=["GET", "POST"])
@allow(*MANAGERS)
def settings_edit(point_id: int):
    point = load_or_404(ServicePoint, point_id, services.can_manage_point)
    form = SettingsForm(data={
        "name": point.name, "address": point.address, "slot_minutes": point.slot_minutes, "capacity": point.capacity,
        "booking_days": point.booking_days, "min_notice_minutes": point.min_notice_minutes,
        "grace_minutes": point.grace_minutes, "active": point.active,
        "windows": sum(1 for w in point.windows if w.active)})
    if request.method == "GET":
        form.fill_hours(point)
        form.version.data = str(point.version_id)
    if form.validate_on_submit():
        change = run_change(
            lambda: services.update_service_point(
                point, name=form.name.data, address=form.address.data, slot_minutes=form.slot_minutes.data,
                capacity=form.capacity.data, booking_days=form.booking_days.data,
                min_notice_minutes=form.min_notice_minutes.data or 0, grace_minutes=form.grace_minutes.data or 0,
                active=form.active.data, hours=form.hours(), windows=form.windows.data),
            _settings_saved, version=(point, form.version),
            stale=_("Someone else changed this counter's settings after you opened the form. Review the current "
                    "values and make your change again."))
        if change.ok:
            return redirect(url_for("counter.settings_edit", point_id=point.id))
    return render_template("counter/settings_edit.html", point=point, form=form, weekdays=WEEKDAYS), form_status()


def _settings_saved(result) -> str:
    flagged = len(result.flagged or [])
    if flagged:
        return _("The settings have been saved. %(count)d bookings must be rearranged; the firms have been told.",
                 count=flagged)
    return _("The settings have been saved.")

