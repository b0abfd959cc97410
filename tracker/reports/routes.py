"""The reports' pages: the campaign dashboard, the lists behind its figures, and an officer's own dashboard."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from tracker.auth.models import Role
from tracker.campaigns.models import Campaign
from tracker.extensions import db
from tracker.i18n import local_today
from tracker.pagination import Page
from tracker.permissions import allow, load_or_404, scope_campaigns
from tracker.reports import listings
from tracker.reports.queries import build_report
from tracker.reports.scope import ReportFilters, ReportScope

bp = Blueprint("reports", __name__)

MANAGERS = (Role.ADMIN, Role.MANAGER)
PER_PAGE = 50


def report_scope(campaign_id: int) -> ReportScope:
    """The campaign (404 outside the user's subtree) and the filters of the query string."""
    campaign = load_or_404(Campaign, campaign_id)
    today = local_today()
    filters = ReportFilters.parse(request.args, campaign, current_user, today)
    return ReportScope(campaign, current_user, filters, today)


def filter_choices(scope: ReportScope) -> dict:
    """The offices, departments and officers the filter form offers: the campaign's subtree only."""
    from tracker.auth.models import User
    from tracker.offices.models import Department, Office

    campaign_offices = db.session.scalars(
        sa.select(Office).where(Office.path.startswith(scope.campaign.office.path, autoescape=True))
        .order_by(Office.path)).all()
    departments = db.session.scalars(sa.select(Department).where(scope.office_condition(Department.office_id))
                                     .order_by(Department.office_id, Department.name)).all()
    officers = db.session.scalars(
        sa.select(User).where(scope.office_condition(User.office_id), User.active.is_(True),
                              User.role.in_((Role.OFFICER, Role.MANAGER))).order_by(User.display_name)).all()
    return {"offices": campaign_offices, "departments": departments, "officers": officers}


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
    listing = listings.build(key, scope, request.args)
    if listing is None:
        abort(404)
    page = Page.of(request.args.get("page"), PER_PAGE, count=lambda: db.session.scalar(listing.count),
                   items=lambda offset, limit: _rows(listing, offset, limit))
    return render_template("reports/drilldown.html", listing=listing, pagination=page, scope=scope)


def _rows(listing, offset: int, limit: int) -> list:
    stmt = listing.select.offset(offset).limit(limit)
    if listing.options:
        stmt = stmt.options(*listing.options)
    result = db.session.execute(stmt)
    return list(result.scalars().unique()) if listing.scalars else list(result.all())


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
