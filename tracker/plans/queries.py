"""Reads of assistance plans: what a plan's page loads, and the list's filters."""
import sqlalchemy as sa

from tracker.auth.models import User
from tracker.campaigns.models import Campaign
from tracker.extensions import db
from tracker.permissions import scope_campaigns, scope_plans
from tracker.plans.models import AssistancePlan, PlanMeasure, PlanStatus
from tracker.forms import db_int

PAGE_SIZE = 50

# What the plan's pages show, loaded in a fixed number of queries however many measures and needs it has.
PLAN_PAGE_LOAD = (
    sa.orm.joinedload(AssistancePlan.enterprise), sa.orm.joinedload(AssistancePlan.campaign),
    sa.orm.joinedload(AssistancePlan.approved_by),
    sa.orm.selectinload(AssistancePlan.measures).joinedload(PlanMeasure.owner),
    sa.orm.selectinload(AssistancePlan.measures).selectinload(PlanMeasure.needs),
    sa.orm.selectinload(AssistancePlan.measures).joinedload(PlanMeasure.item),
)


class PlanFilters:
    """The list's query-string filters: status and campaign."""

    def __init__(self, args):
        status = args.get("status", "")
        self.status = status if status in {s.value for s in PlanStatus} else ""
        self.campaign = args.get("campaign", type=db_int)

    def select(self, user: User) -> sa.Select:
        stmt = (sa.select(AssistancePlan).options(sa.orm.joinedload(AssistancePlan.enterprise),
                                                  sa.orm.joinedload(AssistancePlan.campaign),
                                                  sa.orm.joinedload(AssistancePlan.approved_by),
                                                  sa.orm.selectinload(AssistancePlan.measures))
                .order_by(AssistancePlan.updated_at.desc(), AssistancePlan.id.desc()))
        stmt = scope_plans(stmt, user)
        if self.status:
            stmt = stmt.where(AssistancePlan.status == PlanStatus(self.status))
        if self.campaign:
            stmt = stmt.where(AssistancePlan.campaign_id == self.campaign)
        return stmt


def campaign_choices(user: User) -> list[Campaign]:
    campaigns = sa.select(Campaign).order_by(Campaign.declaration_year.desc(), Campaign.id.desc())
    return db.session.scalars(scope_campaigns(campaigns, user)).all()
