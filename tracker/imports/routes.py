"""Uploading a declaration file, watching it being read, previewing and committing it."""
import logging

import sqlalchemy as sa
from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.imports import services, tasks
from tracker.imports.forms import UploadForm
from tracker.imports.models import DeclarationImport, ImportStatus
from tracker.imports.reader import ImportFileError
from tracker.extensions import db
from tracker.offices.models import Office
from tracker.permissions import STAFF, allow, can_see_office, load_or_404, require, scope_imports
from tracker.forms import db_int

bp = Blueprint("imports", __name__)
log = logging.getLogger("tracker.imports")


def get_import(import_id: int, lock: bool = False) -> DeclarationImport:
    return load_or_404(DeclarationImport, import_id, lock=lock)


@bp.route("/")
@allow(*STAFF)
def index():
    stmt = sa.select(DeclarationImport).options(sa.orm.joinedload(DeclarationImport.uploaded_by),
                                                sa.orm.joinedload(DeclarationImport.office))
    stmt = scope_imports(stmt, current_user)
    pagination = db.paginate(stmt.order_by(DeclarationImport.id.desc()), page=request.args.get("page", 1, type=db_int),
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
            record_id = record.id
            db.session.commit()
            # Nothing of this request's session is touched after the commit: a task run at once (immediate
            # mode) must not wait behind a transaction the request opened again.
            try:
                tasks.read_import(record_id)
            except Exception:  # the queue's storage is down: say so rather than leave it "reading"
                log.exception("could not enqueue the reading of import %s", record_id)
                services.fail_import(record_id, "queue")
            return redirect(url_for("imports.detail", import_id=record_id))
    return render_template("imports/new.html", form=form), 400 if form.errors else 200


def _status_payload(record: DeclarationImport) -> dict:
    reading = record.status is ImportStatus.READING
    return {
        "status": record.status.value,
        "in_progress": record.in_progress,
        "rows_read": record.rows_read,
        "bytes_read": record.bytes_read,
        "size_bytes": record.size_bytes,
        "percent": min(99, int(100 * record.bytes_read / max(record.size_bytes, 1))) if reading else 100,
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
    """Hand the previewed file to the commit job; the page shows its progress and then the outcome."""
    record = get_import(import_id, lock=True)
    user_id = current_user.id
    if record.status is ImportStatus.COMMITTED:
        flash(_("This file has already been imported."), "info")
    elif record.status is ImportStatus.COMMITTING:
        flash(_("This file is being imported."), "info")
    elif not services.request_commit(record):
        db.session.rollback()
        flash(_("The data changed since this preview was made, or the file has errors. Review the new preview "
                "before importing."), "warning")
    else:
        db.session.commit()
        try:
            tasks.commit_import(import_id, user_id)
        except Exception:
            log.exception("could not enqueue the commit of import %s", import_id)
            record.status = ImportStatus.READY
            db.session.commit()
            flash(_("The job queue is not available; nothing was imported. Try again later."), "danger")
    return redirect(url_for("imports.detail", import_id=import_id))


@bp.route("/<int:import_id>/discard", methods=["POST"])
@allow(*STAFF)
def discard(import_id: int):
    record = get_import(import_id, lock=True)
    if not services.discard_import(record):
        flash(_("This file has been imported or is being imported; it can no longer be discarded."), "warning")
        return redirect(url_for("imports.detail", import_id=record.id))
    db.session.commit()
    flash(_("The upload has been discarded; nothing was imported."), "info")
    return redirect(url_for("imports.index"))
