"""Uploading a declaration file, watching it being read, previewing and committing it."""
import sqlalchemy as sa
from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.imports import services
from tracker.imports.forms import UploadForm
from tracker.imports.models import DeclarationImport, ImportStatus
from tracker.imports.reader import ImportFileError
from tracker.extensions import db
from tracker.offices.models import Office
from tracker.permissions import STAFF, allow, can_see_office, load_or_404, require, scope_imports

bp = Blueprint("imports", __name__)


def get_import(import_id: int, lock: bool = False) -> DeclarationImport:
    return load_or_404(DeclarationImport, import_id, lock=lock)


@bp.route("/")
@allow(*STAFF)
def index():
    stmt = sa.select(DeclarationImport).options(sa.orm.joinedload(DeclarationImport.uploaded_by),
                                                sa.orm.joinedload(DeclarationImport.office))
    stmt = scope_imports(stmt, current_user)
    pagination = db.paginate(stmt.order_by(DeclarationImport.id.desc()), page=request.args.get("page", 1, type=int),
                             per_page=30, error_out=False)
    return render_template("imports/index.html", pagination=pagination)


@bp.route("/new", methods=["GET", "POST"])
@allow(*STAFF)
def new():
    form = UploadForm(current_user)
    if request.method == "GET":
        form.office_id.data = current_user.office_id
    if form.validate_on_submit():
        office = db.session.get(Office, form.office_id.data)
        require(office is not None and can_see_office(current_user, office), "office")
        upload = form.file.data
        try:
            record = services.store_upload(upload.stream, upload.filename or "", office, form.year.data, current_user)
        except ImportFileError as exc:
            form.file.errors.append(services.error_message(exc.code, exc.params))
        else:
            db.session.commit()
            services.start_analysis(current_app._get_current_object(), record.id)
            return redirect(url_for("imports.detail", import_id=record.id))
    return render_template("imports/new.html", form=form), 400 if form.errors else 200


def _status_payload(record: DeclarationImport) -> dict:
    return {
        "status": record.status.value,
        "rows_read": record.rows_read,
        "bytes_read": record.bytes_read,
        "size_bytes": record.size_bytes,
        "percent": 100 if record.status is not ImportStatus.READING
        else min(99, int(100 * record.bytes_read / max(record.size_bytes, 1))),
    }


@bp.route("/<int:import_id>")
@allow(*STAFF)
def detail(import_id: int):
    record = get_import(import_id)
    errors = [services.describe(e) for e in record.errors or []]
    return render_template("imports/detail.html", record=record, errors=errors, status=_status_payload(record))


@bp.route("/<int:import_id>/status")
@allow(*STAFF)
def status(import_id: int):
    """Polled by the page while the file is read."""
    return jsonify(_status_payload(get_import(import_id)))


@bp.route("/<int:import_id>/commit", methods=["POST"])
@allow(*STAFF)
def commit(import_id: int):
    record = get_import(import_id, lock=True)
    if record.status is ImportStatus.COMMITTED:
        flash(_("This file has already been imported."), "info")
        return redirect(url_for("imports.detail", import_id=record.id))
    try:
        plan = services.commit_import(record, current_user)
    except services.StaleImport:
        # commit_import refreshed the preview; keep that, write nothing else.
        db.session.commit()
        flash(_("The data changed since this preview was made, or the file has errors. Review the new preview "
                "before importing."), "warning")
        return redirect(url_for("imports.detail", import_id=record.id))
    except ImportFileError as exc:
        db.session.rollback()
        flash(services.error_message(exc.code, exc.params), "danger")
        return redirect(url_for("imports.detail", import_id=record.id))
    db.session.commit()
    s = plan.summary()
    flash(_("Imported: %(new_firms)d new firms, %(new_counts)d new counts, %(updated)d counts changed, "
            "%(unchanged)d unchanged.", new_firms=s["new_firms"], new_counts=s["new_counts"],
            updated=s["updated_counts"], unchanged=s["unchanged"]), "success")
    return redirect(url_for("imports.detail", import_id=record.id))


@bp.route("/<int:import_id>/discard", methods=["POST"])
@allow(*STAFF)
def discard(import_id: int):
    record = get_import(import_id, lock=True)
    services.discard_import(record)
    db.session.commit()
    flash(_("The upload has been discarded; nothing was imported."), "info")
    return redirect(url_for("imports.index"))
