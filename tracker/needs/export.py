"""The needs ledger (需求台账) as Excel or CSV: the list's rows under the list's filters, streamed.

What a manager hands up the line: the firm, the need, who handles it, the deadline, the status, whether it
is overdue, what the firm was told and its latest rating. Internal notes are never exported.
"""
import sqlalchemy as sa
from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from tracker.exports import csv_response, xlsx_response
from tracker.extensions import db
from tracker.needs import services as services
from tracker.needs.models import SATISFACTION_LABELS, FollowUp, Satisfaction
from tracker.needs.routes import NeedFilters, bp
from tracker.permissions import STAFF, allow


def _latest_satisfaction():
    """The satisfaction of the need's latest follow-up or rating, as a correlated subquery."""
    from tracker.needs.models import Need

    return (sa.select(FollowUp.satisfaction).where(FollowUp.need_id == Need.id)
            .order_by(FollowUp.created_at.desc(), FollowUp.id.desc()).limit(1).scalar_subquery())


def _rows(stmt: sa.Select, today):
    for need, satisfaction in db.session.execute(stmt.execution_options(yield_per=1000)):
        yield (
            need.id, need.enterprise.name, need.enterprise.uscc, need.source.label, need.category.name,
            need.content, need.department.name if need.department else "",
            need.assigned_officer.display_name if need.assigned_officer else "",
            need.raised_on, need.deadline, need.status.label, _("yes") if need.is_overdue(today) else "",
            need.explanation or "",
            SATISFACTION_LABELS[Satisfaction(satisfaction)] if satisfaction else "",
        )


@bp.route("/export.<any(xlsx, csv):fmt>")
@allow(*STAFF)
def export(fmt: str):
    today = services.local_today()
    filters = NeedFilters(request.args)
    stmt = filters.select(current_user, today).add_columns(_latest_satisfaction())
    header = [_("No."), _("Enterprise name"), _("Unified social credit code"), _("Raised through"), _("Category"),
              _("Need"), _("Responsible department"), _("Assigned officer"), _("Raised on"), _("Deadline"),
              _("Status"), _("Overdue"), _("Explanation given to the firm"), _("Latest satisfaction")]
    filename = f"needs-{today.isoformat()}.{fmt}"
    rows = _rows(stmt, today)
    if fmt == "csv":
        return csv_response(filename, header, rows)
    return xlsx_response(filename, _("Needs ledger"), header, rows)
