"""The needs ledger (需求台账) as Excel or CSV: the list's rows under the list's filters, streamed.

What a manager hands up the line: the firm, the need, who handles it, the deadline, the status, whether it
is overdue, what the firm was told and its latest rating. Internal notes are never exported.
"""
import sqlalchemy as sa
from flask_babel import gettext as _

from tracker.auth.models import User
from tracker.exports import csv_response, xlsx_response
from tracker.extensions import db
from tracker.needs.models import SATISFACTION_LABELS, FollowUp, Need, Satisfaction
from tracker.needs.queries import NeedFilters


def _latest_satisfaction():
    """The satisfaction of the need's latest follow-up or rating, as a correlated subquery."""
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


def ledger_response(fmt: str, filters: NeedFilters, user: User, today):
    """The ledger under the list's filters, as the response the export route returns."""
    stmt = filters.select(user, today).add_columns(_latest_satisfaction())
    header = [_("No."), _("Enterprise name"), _("Unified social credit code"), _("Raised through"), _("Category"),
              _("Need"), _("Responsible department"), _("Assigned officer"), _("Raised on"), _("Deadline"),
              _("Status"), _("Overdue"), _("Explanation given to the firm"), _("Latest satisfaction")]
    filename = f"needs-{today.isoformat()}.{fmt}"
    rows = _rows(stmt, today)
    if fmt == "csv":
        return csv_response(filename, header, rows)
    return xlsx_response(filename, _("Needs ledger"), header, rows)
