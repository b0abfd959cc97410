"""The firm list (search, filters, export), the firm profile and its edits."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user

from tracker.enterprises import queries, services
from tracker.enterprises.forms import ContactForm, CreditRatingForm, EnterpriseForm
from tracker.enterprises.models import Enterprise, EnterpriseContact, trade_modes_text
from tracker.enterprises.queries import ListFilters, filter_choices
from tracker.enterprises.reference import ECONOMIC_TYPES, CreditRegime, decode_customs_code
from tracker.exports import csv_response, xlsx_response
from tracker.extensions import db
from tracker.forms import error_summary
from tracker.offices.models import Office
from tracker.permissions import (
    SIGNED_IN, STAFF, allow, can_see_office, load_or_404, require,
)
from tracker.views import form_status, run_change
from tracker.forms import db_int

bp = Blueprint("enterprises", __name__)


def editable_enterprise(enterprise_id: int, lock: bool = True) -> Enterprise:
    """The firm the user may edit, locked for the change about to run (tracker.permissions.load_or_404)."""
    return load_or_404(Enterprise, enterprise_id, services.can_edit, lock=lock)


@bp.route("/")
@allow(*STAFF)
def index():
    filters = ListFilters(request.args)
    pagination = filters.page(current_user, request.args.get("page", 1, type=db_int))
    return render_template("enterprises/list.html", pagination=pagination, filters=filters,
                           choices=filter_choices(current_user))


EXPORT_HEADER = ("name", "uscc", "customs_code", "office", "district", "credit_level", "trade_modes",
                 "assigned_officer", "key_firm", "declarations")


def _export_rows(stmt):
    locale = str(get_locale() or "")
    for enterprise, declarations in db.session.execute(stmt.execution_options(yield_per=1000)):
        yield (
            enterprise.name, enterprise.uscc, enterprise.customs_code, enterprise.office.name, enterprise.district,
            # By code and name, "0214 来料加工；0615 进料对口": a bare code means nothing to the reader.
            enterprise.credit_level_label, trade_modes_text(enterprise.trade_modes, locale),
            enterprise.assigned_officer.display_name if enterprise.assigned_officer else "",
            _("yes") if enterprise.is_key else "", declarations,
        )


@bp.route("/export.<any(xlsx, csv):fmt>")
@allow(*STAFF)
def export(fmt: str):
    filters = ListFilters(request.args)
    stmt = filters.select(current_user)
    header = [_("Enterprise name"), _("Unified social credit code"), _("Customs registration code"),
              _("Customs office"), _("District"), _("Credit level"), _("Trade modes"), _("Assigned officer"),
              _("Key firm"), _("Declarations %(year)s", year=filters.year or "")]
    filename = f"enterprises-{filters.year or 'all'}.{fmt}"
    if fmt == "csv":
        return csv_response(filename, header, _export_rows(stmt))
    return xlsx_response(filename, _("Enterprises"), header, _export_rows(stmt))


@bp.route("/new", methods=["GET", "POST"])
@allow(*STAFF)
def new():
    form = EnterpriseForm(current_user)
    if request.method == "GET":
        form.office_id.data = current_user.office_id
    if form.validate_on_submit():
        office = db.session.get(Office, form.office_id.data)
        require(office is not None and can_see_office(current_user, office), "office")
        try:
            data = services.validate(form.data_for_service(), office=office, user=current_user)
        except services.EnterpriseError as exc:
            _attach_errors(form, exc)
        else:
            change = run_change(lambda: services.create_enterprise(data, office),
                                lambda enterprise: _("%(name)s has been added.", name=enterprise.name),
                                submission=form.submission_key.data,
                                created_url=lambda enterprise: url_for("enterprises.profile",
                                                                       enterprise_id=enterprise.id))
            if change.ok:
                return redirect(url_for("enterprises.profile", enterprise_id=change.result.id))
            if change.duplicate:
                return redirect(change.url or url_for("enterprises.index"))
    return render_template("enterprises/form.html", form=form, enterprise=None)


def _attach_errors(form: EnterpriseForm, exc: "services.EnterpriseError") -> None:
    for field, messages in exc.fields.items():
        target = getattr(form, field, None) or form.name
        target.errors = list(target.errors) + messages


@bp.route("/<int:enterprise_id>")
@allow(SIGNED_IN)
def profile(enterprise_id: int):
    enterprise = load_or_404(Enterprise, enterprise_id)
    counts = queries.declaration_counts(enterprise)
    rosters = queries.rosters(enterprise) if not current_user.is_contact else []
    editable = services.can_edit(current_user, enterprise)
    return render_template(
        "enterprises/profile.html", enterprise=enterprise, counts=counts, rosters=rosters, editable=editable,
        decoded=decode_customs_code(enterprise.customs_code), economic_types=ECONOMIC_TYPES,
        chart={"years": [str(y) for y, _n in counts], "values": [n for _y, n in counts]},
        contact_form=ContactForm(formdata=None), credit_form=CreditRatingForm(formdata=None),
    )


@bp.route("/<int:enterprise_id>/edit", methods=["GET", "POST"])
@allow(*STAFF)
def edit(enterprise_id: int):
    enterprise = editable_enterprise(enterprise_id, lock=False)  # optimistic: the version decides (tracker.views)
    form = EnterpriseForm(current_user, obj=enterprise)
    del form.submission_key
    if request.method == "GET":
        form.trade_modes.data = [m.code for m in enterprise.trade_modes]
        form.assigned_officer_id.data = enterprise.assigned_officer_id or 0
        form.economic_type.data = enterprise.economic_type or ""
        form.version.data = str(enterprise.version_id)
    if form.validate_on_submit():
        office = db.session.get(Office, form.office_id.data)
        require(office is not None and can_see_office(current_user, office), "office")
        try:
            data = services.validate(form.data_for_service(), office=office, current=enterprise, user=current_user)
        except services.EnterpriseError as exc:
            _attach_errors(form, exc)
        else:
            def change():
                enterprise.office = office
                services.update_enterprise(enterprise, data)

            if run_change(change, _("Your changes have been saved."), version=(enterprise, form.version),
                          stale=_("Someone else changed this firm after you opened the form. Review the current "
                                  "values and make your change again.")).ok:
                return redirect(url_for("enterprises.profile", enterprise_id=enterprise.id))
    return render_template("enterprises/form.html", form=form, enterprise=enterprise), form_status()


@bp.route("/<int:enterprise_id>/archive", methods=["POST"])
@allow(*STAFF)
def archive(enterprise_id: int):
    enterprise = editable_enterprise(enterprise_id)
    if enterprise.archived:
        services.restore(enterprise)
        flash(_("%(name)s is active again.", name=enterprise.name), "success")
    else:
        services.archive(enterprise)
        flash(_("%(name)s has been archived. Its history is kept.", name=enterprise.name), "success")
    db.session.commit()
    return redirect(url_for("enterprises.profile", enterprise_id=enterprise.id))


@bp.route("/<int:enterprise_id>/contacts", methods=["POST"])
@allow(*STAFF)
def add_contact(enterprise_id: int):
    enterprise = editable_enterprise(enterprise_id)
    form = ContactForm()
    if form.validate_on_submit():
        run_change(lambda: services.add_contact(enterprise, name=form.name.data, title=form.title.data,
                                                phone=form.phone.data, email=form.email.data),
                   _("The contact has been added."), submission=form.submission_key.data,
                   created_url=lambda _contact: url_for("enterprises.profile", enterprise_id=enterprise.id)
                   + "#contacts")
    else:
        flash(_("The contact was not added: %(errors)s",
                errors=error_summary(form)), "danger")
    return redirect(url_for("enterprises.profile", enterprise_id=enterprise.id) + "#contacts")


@bp.route("/<int:enterprise_id>/contacts/<int:contact_id>/delete", methods=["POST"])
@allow(*STAFF)
def delete_contact(enterprise_id: int, contact_id: int):
    enterprise = editable_enterprise(enterprise_id)
    contact = load_or_404(EnterpriseContact, contact_id, within=EnterpriseContact.enterprise_id == enterprise.id)
    db.session.delete(contact)
    db.session.commit()
    flash(_("The contact has been removed."), "success")
    return redirect(url_for("enterprises.profile", enterprise_id=enterprise.id) + "#contacts")


@bp.route("/<int:enterprise_id>/credit", methods=["POST"])
@allow(*STAFF)
def add_credit_rating(enterprise_id: int):
    enterprise = editable_enterprise(enterprise_id)
    form = CreditRatingForm()
    if form.validate_on_submit():
        run_change(lambda: services.record_credit_rating(
            enterprise, regime=CreditRegime(form.regime.data), level=form.level.data,
            valid_from=form.valid_from.data, note=form.note.data or None),
            _("The credit level has been recorded."), submission=form.submission_key.data,
            created_url=lambda _rating: url_for("enterprises.profile", enterprise_id=enterprise.id) + "#credit")
    else:
        flash(_("The credit level was not recorded: %(errors)s",
                errors=error_summary(form)), "danger")
    return redirect(url_for("enterprises.profile", enterprise_id=enterprise.id) + "#credit")
