"""The reports' pages: the campaign dashboard, the lists behind its figures, and an officer's own dashboard."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from tracker.auth.models import Role
from tracker.campaigns.models import Campaign
from tracker.extensions import db
from tracker.i18n import local_today
from tracker.permissions import allow, load_or_404, scope_campaigns
from tracker.reports import cache, listings, refresh
from tracker.reports.queries import build_report
from tracker.reports.scope import ReportFilters, ReportScope

bp = Blueprint("reports", __name__)
# The figures a report kept are written once the request is done with its connection (the API's too).
bp.teardown_app_request(cache.flush_writes)

MANAGERS = (Role.ADMIN, Role.MANAGER)
PER_PAGE = 50


def report_scope(campaign_id: int) -> ReportScope:
    """The campaign (404 outside the user's subtree) and the filters of the query string."""
    campaign = load_or_404(Campaign, campaign_id)
    today = local_today()
    filters = ReportFilters.parse(request.args, campaign, current_user, today)
    return ReportScope(campaign, current_user, filters, today)


# Beyond this many, a department or officer is chosen once an office is: a national campaign has thousands.
CHOICES_MAX = 200


def filter_choices(scope: ReportScope) -> dict:
    """The offices, departments and officers the filter form offers, of the campaign's subtree only. Departments
    and officers are offered for the report's offices while they are few (CHOICES_MAX); otherwise the form asks
    for an office first (``narrow`` says which lists were left out). Three bounded statements."""
    from tracker.auth.models import User
    from tracker.offices.models import Department, Office

    offices = db.session.scalars(
        sa.select(Office).where(Office.path.startswith(scope.campaign.office.path, autoescape=True))
        .order_by(Office.path).limit(2000)).all()
    departments = db.session.scalars(sa.select(Department).where(scope.office_condition(Department.office_id))
                                     .order_by(Department.office_id, Department.name).limit(CHOICES_MAX + 1)).all()
    officers = db.session.scalars(
        sa.select(User).where(scope.office_condition(User.office_id), User.active.is_(True),
                              User.role.in_((Role.OFFICER, Role.MANAGER)))
        .order_by(User.display_name, User.id).limit(CHOICES_MAX + 1)).all()
    narrow = {name for name, rows in (("departments", departments), ("officers", officers)) if len(rows) > CHOICES_MAX}
    # A chosen department or officer stays offered, whatever the length of the list.
    if "departments" in narrow:
        departments = [scope.filters.department] if scope.filters.department else []
    if "officers" in narrow:
        officers = [scope.filters.officer] if scope.filters.officer else []
    return {"offices": offices, "departments": departments, "officers": officers, "narrow": narrow}


@bp.route("/")
@allow(*MANAGERS)
def index():
    """The campaigns a manager can report on, newest first."""
    campaigns = db.session.scalars(scope_campaigns(sa.select(Campaign), current_user)
                                   .order_by(Campaign.declaration_year.desc(), Campaign.id.desc())).all()
    return render_template("reports/index.html", campaigns=campaigns)


@bp.route("/campaigns/<int:campaign_id>")
@allow(*MANAGERS)
def dashboard(campaign_id: int):
    scope = report_scope(campaign_id)
    report = build_report(scope)
    return render_template("reports/dashboard.html", report=report, scope=scope, choices=filter_choices(scope))


@bp.route("/campaigns/<int:campaign_id>/list/<key>")
@allow(*MANAGERS)
def drilldown(campaign_id: int, key: str):
    """The rows behind one figure, under the dashboard's filters."""
    scope = report_scope(campaign_id)
    # The query string as asked (the filters and the listing's own arguments), as listings.build reads it.
    asked = {k: v for k, v in request.args.items() if k not in _NOT_QUERY and not k.startswith("_")}
    built = refresh.listing_page(scope, {"key": key, "args": dict(sorted(asked.items())),
                                       "page": request.args.get("page") or "1"}, PER_PAGE)
    if built is None:
        abort(404)
    listing, page = built
    return render_template("reports/drilldown.html", listing=listing, pagination=page, scope=scope)


@bp.app_template_filter("report_number")
def report_number(value, decimals: int = 0) -> str:
    """A number in the reader's locale: 12,345 or 3.5."""
    from flask_babel import format_decimal

    if value is None:
        return "—"
    if decimals:
        return format_decimal(round(float(value), decimals), format="#,##0." + "#" * decimals)
    return format_decimal(round(value), format="#,##0")


@bp.app_template_filter("report_percent")
def report_percent(value) -> str:
    from flask_babel import format_percent

    return "—" if value is None else format_percent(value, format="#,##0.0%")


@bp.route("/mine")
@allow(Role.ADMIN, Role.MANAGER, Role.OFFICER)
def mine():
    """An officer's own dashboard: his firms, his open and overdue needs, his visits this month, today's counter."""
    from tracker.reports.mine import my_dashboard

    return render_template("reports/mine.html", board=my_dashboard(current_user, local_today()))


# Exports and the monthly report ------------------------------------------------------------------------
# (appended by the exports branch: the report as XLSX/CSV, a listing's export in the request or as a job,
# the monthly report as an A4 print page and as Word.)
import base64  # noqa: E402
import logging  # noqa: E402
import re  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

from flask import flash, jsonify, redirect, send_file, url_for  # noqa: E402
from flask_babel import gettext as _  # noqa: E402

from tracker.reports import exports as report_exports  # noqa: E402
from tracker.reports import monthly as report_monthly  # noqa: E402
from tracker.reports.models import ExportStatus, ReportExport  # noqa: E402

log = logging.getLogger("tracker.reports")

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Query arguments that are never a listing's or a filter's (nor a URL part url_for would take twice).
_NOT_QUERY = {"page", "csrf_token", "submission_key", "campaign_id", "key", "fmt", "job_id"}


@bp.route("/campaigns/<int:campaign_id>/report.<any(xlsx, csv):fmt>")
@allow(*MANAGERS)
def export(campaign_id: int, fmt: str):
    """The whole report under the query string's filters: XLSX (a summary sheet, then a sheet per section)
    or CSV (one long table)."""
    scope = report_scope(campaign_id)
    report = build_report(scope)
    if fmt == "csv":
        return report_exports.report_csv_response(report)
    return send_file(report_exports.report_xlsx(report), as_attachment=True,
                     download_name=report_exports.report_filename(scope, "xlsx"),
                     mimetype=report_exports.XLSX_MIMETYPE)


@bp.app_template_global("report_export_args")
def report_export_args() -> dict:
    """The drill-down's query string (its filters and the listing's own arguments) for its export links."""
    return {k: v for k, v in request.args.items() if k not in _NOT_QUERY and not k.startswith("_")}


@bp.app_template_global("report_export_limit")
def report_export_limit() -> int:
    return report_exports.DIRECT_LIMIT


@bp.app_template_global("report_submission_key")
def report_submission_key() -> str:
    from tracker.forms import new_submission_key

    return new_submission_key()


@bp.route("/campaigns/<int:campaign_id>/list/<key>.<any(xlsx, csv):fmt>")
@allow(*MANAGERS)
def listing_export(campaign_id: int, key: str, fmt: str):
    """A drill-down's rows as a file, streamed in the request; a list longer than DIRECT_LIMIT rows is sent
    back to its page, whose export button hands it to a job."""
    scope = report_scope(campaign_id)
    listing = listings.build(key, scope, request.args)
    if listing is None:
        abort(404)
    total = db.session.scalar(listing.count)
    if total > report_exports.DIRECT_LIMIT:
        flash(_("This list has %(n)d rows, more than a download in the page writes: use its export button, "
                 "a job writes the file and shows its progress.", n=total), "warning")
        return redirect(url_for("reports.drilldown", campaign_id=campaign_id, key=key, **report_export_args()))
    filename = report_exports.listing_filename(scope, listing, fmt)
    if fmt == "csv":
        from tracker.exports import csv_response

        return csv_response(filename, listing.header(), report_exports.listing_rows(listing))
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    report_exports.write_listing(listing, "xlsx", spool)
    spool.seek(0)
    return send_file(spool, as_attachment=True, download_name=filename, mimetype=report_exports.XLSX_MIMETYPE)


@bp.route("/campaigns/<int:campaign_id>/list/<key>/export.<any(xlsx, csv):fmt>", methods=["POST"])
@allow(*MANAGERS)
def listing_export_job(campaign_id: int, key: str, fmt: str):
    """Hand a drill-down's export to a job (any length: the roster of a national campaign); its page shows
    the progress and then the download."""
    from tracker.reports import tasks
    from tracker.submissions import KEY_PATTERN
    from tracker.views import run_change

    scope = report_scope(campaign_id)
    listing = listings.build(key, scope, request.args)
    if listing is None:
        abort(404)
    given = request.form.get("submission_key") or ""
    change = run_change(
        lambda: report_exports.create_export(current_user, scope, key, request.args, fmt, listing.title).id,
        submission=given if re.fullmatch(KEY_PATTERN, given) else None,
        created_url=lambda job_id: url_for("reports.job", job_id=job_id))
    if change.duplicate:
        return redirect(change.url or url_for("reports.drilldown", campaign_id=campaign_id, key=key,
                                              **report_export_args()))
    job_id = change.result
    # Nothing of this request's session is touched after the commit: a job run at once (immediate mode)
    # must not wait behind a transaction the request opened again.
    try:
        tasks.export_listing(job_id)
    except Exception:  # the queue's storage is down: say so rather than leave it "waiting"
        log.exception("could not enqueue report export %s", job_id)
        report_exports.fail_export(job_id, "queue")
    return redirect(url_for("reports.job", job_id=job_id))


def _job_status(job: ReportExport) -> dict:
    return {"status": job.status.value, "in_progress": job.in_progress, "rows_written": job.rows_written,
            "rows_total": job.rows_total, "percent": job.percent,
            "download": url_for("reports.job_download", job_id=job.id) if job.status is ExportStatus.DONE else None}


@bp.route("/jobs/<int:job_id>")
@allow(*MANAGERS)
def job(job_id: int):
    """An export's progress (the page polls job_status), then its download."""
    record = load_or_404(ReportExport, job_id)
    query = {k: v for k, v in (record.args or {}).items() if k not in _NOT_QUERY and not k.startswith("_")}
    return render_template("reports/job.html", job=record, status=_job_status(record), job_query=query,
                           error=report_exports.error_message(record.error) if record.error else None)


@bp.route("/jobs/<int:job_id>/status")
@allow(*MANAGERS)
def job_status(job_id: int):
    return jsonify(_job_status(load_or_404(ReportExport, job_id)))


@bp.route("/jobs/<int:job_id>/download")
@allow(*MANAGERS)
def job_download(job_id: int):
    record = load_or_404(ReportExport, job_id)
    path = Path(record.file_path) if record.file_path else None
    folder = report_exports.exports_folder().resolve()
    if record.status is not ExportStatus.DONE or path is None or path.resolve().parent != folder or not path.is_file():
        abort(404)
    mimetype = report_exports.XLSX_MIMETYPE if record.file_format == "xlsx" else "text/csv; charset=utf-8"
    return send_file(path, as_attachment=True, download_name=record.download_name or path.name, mimetype=mimetype)


def _monthly_scope(campaign_id: int):
    campaign = load_or_404(Campaign, campaign_id)
    return report_monthly.month_scope(campaign, current_user, request.args, local_today())


@bp.route("/campaigns/<int:campaign_id>/monthly")
@allow(*MANAGERS)
def monthly(campaign_id: int):
    """The monthly report (工作月报) of a month (?month=2019-06) and an office (?office=), A4 for printing."""
    from tracker.errors import render_error

    scope = _monthly_scope(campaign_id)
    if scope is None:
        return render_error(400, report_monthly.bad_month_message())
    m = report_monthly.build_monthly(scope)
    charts = {key: base64.b64encode(png).decode("ascii") for key, png in m.charts.items()}
    return render_template("reports/monthly.html", m=m, scope=scope, charts=charts, choices=filter_choices(scope),
                           scope_text=report_monthly.scope_text(scope, m.report.generated_at),
                           value_text=report_monthly.value_text, change_text=report_monthly.change_text,
                           cell_text=report_monthly.cell_text)


@bp.route("/campaigns/<int:campaign_id>/monthly.docx")
@allow(*MANAGERS)
def monthly_docx(campaign_id: int):
    """The monthly report as a Word document, with the same content as the print page."""
    from tracker.errors import render_error

    scope = _monthly_scope(campaign_id)
    if scope is None:
        return render_error(400, report_monthly.bad_month_message())
    m = report_monthly.build_monthly(scope)
    return send_file(report_monthly.monthly_docx(m), as_attachment=True,
                     download_name=report_monthly.filename(m, "docx"), mimetype=DOCX_MIMETYPE)
