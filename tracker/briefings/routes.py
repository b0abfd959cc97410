"""The briefing pages under /briefings: staff's list, form, page, invitations, check-in list, entrance code,
sign-in sheet (签到表) and export; a firm's contact's briefings, registration, materials and the scan page.

Every briefing is loaded through load_or_404 with can_see_briefing and hide=True: another office's or
(for a contact) another firm's briefing is a 404, indistinguishable from none. A contact's firm is always
current_user.enterprise, never a value from the URL or the form.
"""
import segno
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from tracker.auth.models import Role
from tracker.briefings import queries, services
from tracker.briefings.forms import BriefingForm, InviteForm, MaterialForm, RegistrationForm
from tracker.briefings.models import (
    ATTENDEES, Briefing, BriefingMaterial, BriefingRegistration, BriefingStatus, CheckInMethod,
)
from tracker.campaigns.models import Campaign
from tracker.domain import DomainError
from tracker.enterprises.models import Enterprise
from tracker.exports import xlsx_response
from tracker.extensions import db
from tracker.forms import EmptyForm, db_int, error_summary
from tracker.offices.models import Office
from tracker.permissions import STAFF, allow, load_or_404
from tracker.views import form_status, run_change
from tracker.visits.models import PolicyTopic

bp = Blueprint("briefings", __name__)
CONTACT = Role.ENTERPRISE_CONTACT


def _visible(briefing_id: int, lock: bool = False, options=()) -> Briefing:
    return load_or_404(Briefing, briefing_id, services.can_see_briefing, hide=True, lock=lock, options=options)


def _managed(briefing_id: int, lock: bool = True) -> Briefing:
    """A briefing the user may manage: 404 outside his scope, 403 when he sees it but may not manage it."""
    briefing = _visible(briefing_id, lock=lock)
    if not services.can_manage(current_user, briefing):
        abort(403)
    return briefing


def _back(briefing: Briefing, anchor: str = ""):
    return redirect(url_for("briefings.detail", briefing_id=briefing.id) + anchor)


def _registration(registration_id: int, lock: bool = True) -> BriefingRegistration:
    return load_or_404(BriefingRegistration, registration_id,
                       lambda user, r: services.can_see_briefing(user, r.briefing) and (
                           user.role is not CONTACT or r.enterprise_id == user.enterprise_id),
                       hide=True, lock=lock)


# The staff's list and page ---------------------------------------------------------------------------
@bp.route("/")
@allow(*STAFF)
def index():
    status = request.args.get("status", "")
    pagination = queries.briefing_page(current_user, request.args.get("page", 1, type=db_int), status)
    counts = queries.counts_of([b.id for b in pagination.items])
    return render_template("briefings/index.html", pagination=pagination, counts=counts, status=status,
                           statuses=list(BriefingStatus))


def _briefing_data(form: BriefingForm) -> services.BriefingData:
    office = db.session.get(Office, form.office_id.data)
    if office is None:
        raise DomainError(_("Choose %(field)s.", field=form.office_id.label.text))
    campaign = db.session.get(Campaign, form.campaign_id.data) if form.campaign_id.data else None
    topics = [t for t in (db.session.get(PolicyTopic, i) for i in form.topics.data or []) if t is not None]
    return services.BriefingData(
        title=form.title.data, starts_at=form.local_to_utc(form.starts_at.data),
        ends_at=form.local_to_utc(form.ends_at.data), venue=form.venue.data, office=office,
        capacity=form.capacity.data, topics=topics, campaign=campaign, description=form.description.data)


@bp.route("/new", methods=["GET", "POST"])
@allow(*STAFF)
def new():
    form = BriefingForm(current_user)
    del form.version
    if request.method == "GET":
        form.office_id.data = current_user.office_id
    status = 200
    if form.validate_on_submit():
        change = run_change(lambda: services.create_briefing(_briefing_data(form), by=current_user),
                            _("The briefing has been saved as a draft; open it for registration when ready."),
                            form=form, field="title", submission=form.submission_key.data,
                            created_url=lambda b: url_for("briefings.detail", briefing_id=b.id))
        if change.ok:
            return _back(change.result)
        if change.duplicate:
            return redirect(change.url or url_for("briefings.index"))
        status = 400
    elif request.method == "POST":
        status = 400
    return render_template("briefings/form.html", form=form, briefing=None), status


@bp.route("/<int:briefing_id>/edit", methods=["GET", "POST"])
@allow(*STAFF)
def edit(briefing_id: int):
    briefing = _managed(briefing_id, lock=False)  # optimistic: the version decides
    form = BriefingForm(current_user, obj=briefing)
    del form.submission_key
    if request.method == "GET":
        form.fill_times(briefing)
        form.campaign_id.data = briefing.campaign_id or 0
        form.topics.data = [t.id for t in briefing.topics]
        form.version.data = str(briefing.version_id)
    status = 200
    if form.validate_on_submit():
        change = run_change(lambda: services.update_briefing(briefing, _briefing_data(form), by=current_user),
                            _("Your changes have been saved."), form=form, field="title",
                            version=(briefing, form.version),
                            stale=_("Someone else changed this briefing after you opened the form. Review the "
                                    "current values and make your change again."))
        if change.ok:
            return _back(briefing)
        status = 409 if change.stale else 400
    elif request.method == "POST":
        status = 400
    return render_template("briefings/form.html", form=form, briefing=briefing), form_status(status)


@bp.route("/<int:briefing_id>")
@allow(*STAFF)
def detail(briefing_id: int):
    briefing = _visible(briefing_id, options=(joinedload(Briefing.office), joinedload(Briefing.campaign)))
    return _detail_page(briefing)


def _detail_page(briefing: Briefing, material_form: MaterialForm | None = None, status: int = 200):
    counts = queries.counts_of([briefing.id])[briefing.id]
    manage = services.can_manage(current_user, briefing)
    return render_template(
        "briefings/detail.html", briefing=briefing, counts=counts, manage=manage,
        registrations=queries.registrations_of(briefing), invitations=queries.invitations_of(briefing),
        materials=queries.materials_of(briefing), material_form=material_form or MaterialForm(formdata=None),
        can_cancel=services.can_cancel_briefing(current_user, briefing),
        cancellers=None if services.can_cancel_briefing(current_user, briefing) else services.who_can_cancel(briefing),
        now=services.clock(), local=services.local), status


# Transitions -----------------------------------------------------------------------------------------
def _transition(briefing_id: int, action, success: str):
    briefing = _managed(briefing_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        flash(_("Nothing was changed: %(errors)s", errors=error_summary(form)), "danger")
        return _back(briefing)
    run_change(lambda: action(briefing), success)
    return _back(briefing)


@bp.route("/<int:briefing_id>/open", methods=["POST"])
@allow(*STAFF)
def open_registration(briefing_id: int):
    return _transition(briefing_id, lambda b: services.open_registration(b, by=current_user),
                       _("The briefing is open for registration."))


@bp.route("/<int:briefing_id>/close", methods=["POST"])
@allow(*STAFF)
def close_registration(briefing_id: int):
    return _transition(briefing_id, lambda b: services.close_registration(b, by=current_user),
                       _("Registration for the briefing is closed."))


@bp.route("/<int:briefing_id>/held", methods=["POST"])
@allow(*STAFF)
def mark_held(briefing_id: int):
    return _transition(briefing_id, lambda b: services.mark_held(b, by=current_user),
                       _("The briefing is recorded as held."))


@bp.route("/<int:briefing_id>/cancel", methods=["POST"])
@allow(Role.MANAGER, Role.ADMIN)
def cancel(briefing_id: int):
    return _transition(briefing_id, lambda b: services.cancel_briefing(b, by=current_user),
                       _("The briefing has been cancelled."))


# Invitations -----------------------------------------------------------------------------------------
@bp.route("/<int:briefing_id>/invite", methods=["GET", "POST"])
@allow(*STAFF)
def invite(briefing_id: int):
    briefing = _managed(briefing_id, lock=request.method == "POST")
    firms = queries.invitable_firms(briefing, current_user)
    form = InviteForm(firms)
    if form.validate_on_submit():
        chosen = set(form.enterprises.data or [])
        picked = firms if form.scope.data == "all" else [f for f in firms if f.id in chosen]
        change = run_change(lambda: services.invite(briefing, picked, by=current_user),
                            lambda n: _("%(count)d firms have been invited; their contacts are told.", count=n))
        if change.ok:
            return _back(briefing, "#invitations")
    status = 400 if request.method == "POST" else 200
    return render_template("briefings/invite.html", briefing=briefing, form=form, firms=firms), status


# Registrations ---------------------------------------------------------------------------------------
@bp.route("/<int:briefing_id>/register", methods=["GET", "POST"])
@allow(*STAFF)
def register_firm(briefing_id: int):
    """An officer registers a firm on its behalf (by phone)."""
    briefing = _managed(briefing_id, lock=False)
    q = request.args.get("q", "").strip()[:100]
    form = RegistrationForm()
    firm = None
    if form.enterprise_id.data:
        firm = load_or_404(Enterprise, form.enterprise_id.data, hide=True)
    elif request.args.get("enterprise", type=db_int):
        firm = load_or_404(Enterprise, request.args.get("enterprise", type=db_int), hide=True)
    status = 200
    if request.method == "POST":
        status = 400
        if firm is None:
            form.enterprise_id.errors = [_("Choose the firm to register.")]
        elif form.validate_on_submit():
            change = run_change(
                lambda: services.register(briefing, firm, attendees=form.attendees.data,
                                          names=form.attendee_names.data, by=current_user),
                _("%(firm)s is registered.", firm=firm.name), form=form, field="attendee_names",
                submission=form.submission_key.data,
                created_url=lambda r: url_for("briefings.check_in_list", briefing_id=briefing.id))
            if change.ok or change.duplicate:
                return redirect(url_for("briefings.check_in_list", briefing_id=briefing.id))
    if firm is not None:
        form.enterprise_id.data = firm.id
    return render_template("briefings/register.html", briefing=briefing, form=form, firm=firm, q=q,
                           firms=queries.registrable_firms(briefing, current_user, q) if firm is None else [],
                           max_attendees=ATTENDEES[1]), status


@bp.route("/registrations/<int:registration_id>/cancel", methods=["POST"])
@allow(CONTACT, *STAFF)
def cancel_registration(registration_id: int):
    registration = _registration(registration_id)
    form = EmptyForm()
    if form.validate_on_submit():
        run_change(lambda: services.cancel_registration(registration, by=current_user),
                   _("The registration has been cancelled."))
    if current_user.role is CONTACT:
        return redirect(url_for("briefings.firm_detail", briefing_id=registration.briefing_id))
    return redirect(url_for("briefings.check_in_list", briefing_id=registration.briefing_id))


# Check-in --------------------------------------------------------------------------------------------
@bp.route("/<int:briefing_id>/check-in")
@allow(*STAFF)
def check_in_list(briefing_id: int):
    briefing = _managed(briefing_id, lock=False)
    return render_template("briefings/check_in.html", briefing=briefing,
                           registrations=queries.registrations_of(briefing, active_only=True),
                           counts=queries.counts_of([briefing.id])[briefing.id], local=services.local,
                           now=services.clock())


def _attendance(registration_id: int, action, success: str):
    registration = _registration(registration_id)
    if not services.can_manage(current_user, registration.briefing):
        abort(403)
    if EmptyForm().validate_on_submit():
        run_change(action(registration), success)
    return redirect(url_for("briefings.check_in_list", briefing_id=registration.briefing_id)
                    + f"#registration-{registration.id}")


@bp.route("/registrations/<int:registration_id>/attend", methods=["POST"])
@allow(*STAFF)
def attend(registration_id: int):
    return _attendance(registration_id, lambda r: lambda: services.check_in(
        r, by=current_user, method=CheckInMethod.OFFICER), _("Attendance recorded."))


@bp.route("/registrations/<int:registration_id>/unattend", methods=["POST"])
@allow(*STAFF)
def unattend(registration_id: int):
    return _attendance(registration_id, lambda r: lambda: services.undo_check_in(r, by=current_user),
                       _("Attendance withdrawn."))


@bp.route("/<int:briefing_id>/entrance")
@allow(*STAFF)
def entrance(briefing_id: int):
    """The code shown at the entrance: a contact scans it with his phone, signs in and checks his firm in."""
    briefing = _managed(briefing_id, lock=False)
    now = services.clock()
    url = services.check_in_url(briefing, now)
    svg = segno.make(url, error="m").svg_inline(scale=8, border=2, title=briefing.title)
    return render_template("briefings/entrance.html", briefing=briefing, url=url, svg=Markup(svg),
                           window_open=briefing.check_in_window_holds(now), local=services.local)


@bp.route("/<int:briefing_id>/check-in/<code>", methods=["GET", "POST"])
@allow(CONTACT)
def scan(briefing_id: int, code: str):
    """The entrance code's page: a GET shows the firm's registration and a big button; the POST checks in."""
    briefing = _visible(briefing_id, lock=request.method == "POST")
    code = code[:500]
    now = services.clock()
    refusal = services.token_refusal(briefing, code, now)
    registration = services.active_registration(briefing, current_user.enterprise_id)
    if refusal is None and registration is None:
        refusal = _("Your firm is not registered for this briefing. Please see the officer at the desk.")
    form = EmptyForm()
    status = 400 if refusal else 200
    if request.method == "POST" and not refusal:
        if form.validate_on_submit():
            change = run_change(lambda: services.check_in_by_code(briefing, code, by=current_user, now=now),
                                lambda made: _("Welcome! Your attendance is recorded.") if made
                                else _("Your attendance was recorded already."))
            if change.ok:
                return redirect(url_for("briefings.firm_detail", briefing_id=briefing.id))
            refusal = change.error
        status = 400
    return render_template("briefings/scan.html", briefing=briefing, code=code, refusal=refusal,
                           registration=registration, form=form, local=services.local), status


# Print and export ------------------------------------------------------------------------------------
@bp.route("/<int:briefing_id>/sign-in-sheet")
@allow(*STAFF)
def sign_in_sheet(briefing_id: int):
    briefing = _managed(briefing_id, lock=False)
    return render_template("briefings/sign_in_sheet.html", briefing=briefing,
                           registrations=queries.registrations_of(briefing, active_only=True), local=services.local)


@bp.route("/<int:briefing_id>/registrations.xlsx")
@allow(*STAFF)
def export(briefing_id: int):
    briefing = _managed(briefing_id, lock=False)
    rows = [[r.enterprise.name, r.enterprise.uscc, r.attendees, "；".join(r.names),
             services.local(r.registered_at), services.local(r.checked_in_at) if r.checked_in_at else "",
             r.check_in_method.label if r.check_in_method else ""]
            for r in queries.registrations_of(briefing, active_only=True)]
    headers = [_("Enterprise"), _("USCC"), _("Number of attendees"), _("Attendees' names"), _("Registered at"),
               _("Signed in at"), _("Checked in through")]
    return xlsx_response(f"briefing-{briefing.id}-registrations.xlsx", _("Registrations"), headers, rows)


# Materials -------------------------------------------------------------------------------------------
@bp.route("/<int:briefing_id>/materials", methods=["POST"])
@allow(*STAFF)
def upload(briefing_id: int):
    briefing = _managed(briefing_id)
    form = MaterialForm()
    if form.validate_on_submit():
        change = run_change(lambda: services.add_material(briefing, form.file.data, by=current_user),
                            lambda m: _("%(name)s has been uploaded.", name=m.original_filename),
                            form=form, field="file")
        if change.ok:
            return _back(briefing, "#materials")
    return _detail_page(briefing, material_form=form, status=400)


def _material(material_id: int) -> BriefingMaterial:
    return load_or_404(BriefingMaterial, material_id, lambda user, m: services.can_see_briefing(user, m.briefing),
                       hide=True)


@bp.route("/materials/<int:material_id>")
@allow(CONTACT, *STAFF)
def download(material_id: int):
    material = _material(material_id)
    try:
        handle = open(services.material_path(material), "rb")
    except (FileNotFoundError, ValueError):
        abort(404)
    response = send_file(handle, mimetype=material.content_type, as_attachment=True,
                         download_name=material.original_filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/materials/<int:material_id>/delete", methods=["POST"])
@allow(*STAFF)
def delete_material(material_id: int):
    material = _material(material_id)
    briefing = material.briefing
    if not services.can_manage(current_user, briefing):
        abort(403)
    if EmptyForm().validate_on_submit():
        name = material.original_filename
        run_change(lambda: services.delete_material(material, by=current_user),
                   _("%(name)s has been deleted.", name=name))
    return _back(briefing, "#materials")


# The firm's contact ----------------------------------------------------------------------------------
@bp.route("/mine")
@allow(CONTACT)
def mine():
    return render_template("briefings/mine.html", rows=queries.firm_briefings(current_user), local=services.local,
                           now=services.clock())


@bp.route("/<int:briefing_id>/firm", methods=["GET", "POST"])
@allow(CONTACT)
def firm_detail(briefing_id: int):
    briefing = _visible(briefing_id, options=(joinedload(Briefing.office),))
    firm = current_user.enterprise
    form = RegistrationForm()
    del form.enterprise_id
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            change = run_change(
                lambda: services.register(briefing, firm, attendees=form.attendees.data,
                                          names=form.attendee_names.data, by=current_user),
                _("Your firm is registered. We look forward to seeing you."), form=form, field="attendee_names",
                submission=form.submission_key.data,
                created_url=lambda r: url_for("briefings.firm_detail", briefing_id=briefing.id))
            if change.ok or change.duplicate:
                return redirect(url_for("briefings.firm_detail", briefing_id=briefing.id))
    registration = services.active_registration(briefing, firm.id)
    return render_template("briefings/firm_detail.html", briefing=briefing, form=form, registration=registration,
                           materials=queries.materials_of(briefing), now=services.clock(), local=services.local,
                           can_cancel=registration is not None and services.can_cancel_registration(
                               current_user, registration), max_attendees=ATTENDEES[1]), status


@bp.app_template_global()
def briefings_for_portal(user):
    """The portal home's card (tracker/templates/briefings/_portal.html) reads this."""
    return queries.briefings_for_portal(user)

