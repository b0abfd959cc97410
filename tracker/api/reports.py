"""The JSON API of the reports: a campaign's headline figures, under the dashboard's filters.

Registered on the API's blueprint like tracker.api.appointments; the figures are the dashboard's
(tracker.reports.queries.build_report), so the page, the exports and the API cannot disagree.
"""
from flask_login import current_user

from tracker.api import schemas
from tracker.api.routes import HIDDEN_404, UNAUTHORIZED, _visible_campaign, bp, errors
from tracker.api.schemas import MAX_ID
from tracker.auth.models import Role
from tracker.i18n import local_today
from tracker.permissions import allow
from tracker.reports.queries import build_report
from tracker.reports.scope import ReportFilters, ReportScope


@bp.route(f"/reports/campaigns/<int(max={MAX_ID}):campaign_id>/summary")
@allow(Role.ADMIN, Role.MANAGER)
@bp.doc(summary="A campaign's headline figures",
        description="The dashboard's figures, section by section, for the caller's office subtree: over the period "
                    "(default: the campaign's start to today) and the period of the same length before it. Managers "
                    "and admins only.")
@bp.arguments(schemas.ReportQuerySchema, location="query", error_status_code=400)
@bp.response(200, schemas.ReportSummarySchema, description="The figures.")
@errors(401, 403, 404, e401=UNAUTHORIZED, e403="Only managers and admins read reports.",
        e404=HIDDEN_404.format("campaign"))
def report_summary(args: dict, campaign_id: int):
    campaign = _visible_campaign(campaign_id)
    today = local_today()
    query = {"office": args.get("office"), "department": args.get("department"), "officer": args.get("officer")}
    if "date_from" in args:
        query["from"] = args["date_from"].isoformat()
    if "date_to" in args:
        query["to"] = args["date_to"].isoformat()
    filters = ReportFilters.parse({k: v for k, v in query.items() if v is not None}, campaign, current_user, today)
    scope = ReportScope(campaign, current_user, filters, today)
    report = build_report(scope)
    return {
        "campaign_id": campaign.id,
        "campaign": campaign.name,
        "office": scope.root_office.code,
        "period": scope.period,
        "previous_period": scope.previous.period,
        "problems": list(filters.problems),
        "counted_at": report.counted_at,
        "sections": [{"key": s.key, "title": s.title,
                      "figures": [{"key": f.key, "label": str(f.label), "value": f.value, "previous": f.previous,
                                   "kind": f.kind} for f in s.figures]} for s in report.sections],
    }
