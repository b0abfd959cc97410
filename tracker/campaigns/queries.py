"""Reads of campaigns: the list, the roster with each firm's last visit, coverage and decisions."""
import sqlalchemy as sa

from tracker.auth.models import User
from tracker.campaigns.models import Campaign, RosterDecision, RosterEntry
from tracker.enterprises.models import Enterprise
from tracker.enterprises.search import search_condition
from tracker.extensions import db
from tracker.permissions import scope_campaigns
from tracker.visits.models import Visit


def campaigns_of(user: User) -> list[Campaign]:
    stmt = sa.select(Campaign).options(sa.orm.joinedload(Campaign.office)).order_by(
        Campaign.declaration_year.desc(), Campaign.id.desc())
    return db.session.scalars(scope_campaigns(stmt, user)).all()


def roster_sizes(campaigns: list[Campaign]) -> dict[int, int]:
    return dict(db.session.execute(
        sa.select(RosterEntry.campaign_id, sa.func.count()).where(
            RosterEntry.campaign_id.in_([c.id for c in campaigns])).group_by(RosterEntry.campaign_id)).all())


def decisions_of(campaign: Campaign) -> list[RosterDecision]:
    return db.session.scalars(
        sa.select(RosterDecision).where(RosterDecision.campaign_id == campaign.id)
        .options(sa.orm.joinedload(RosterDecision.enterprise), sa.orm.joinedload(RosterDecision.decided_by))
        .order_by(RosterDecision.decided_at.desc())
    ).all()


def roster_select(campaign: Campaign, q: str) -> sa.Select:
    stmt = (
        sa.select(RosterEntry, Enterprise)
        .join(Enterprise, Enterprise.id == RosterEntry.enterprise_id)
        .where(RosterEntry.campaign_id == campaign.id)
        .options(sa.orm.joinedload(Enterprise.assigned_officer), sa.orm.joinedload(Enterprise.office))
        .order_by(sa.desc(sa.func.coalesce(RosterEntry.declarations, -1)), Enterprise.name_pinyin)
    )
    if q:
        stmt = stmt.where(search_condition(q))
    return stmt


def last_visit(campaign: Campaign):
    """The roster row's last visit made for this campaign (None: not visited yet)."""
    return (sa.select(sa.func.max(Visit.visited_at))
            .where(Visit.enterprise_id == Enterprise.id, Visit.campaign_id == campaign.id)
            .correlate(Enterprise).scalar_subquery().label("last_visit"))


def coverage(campaign: Campaign) -> tuple[int, int]:
    """(firms of the roster visited for this campaign, roster size), in one query."""
    on_roster = RosterEntry.campaign_id == campaign.id
    visited = sa.select(sa.func.count()).select_from(RosterEntry).where(on_roster, sa.exists().where(
        Visit.enterprise_id == RosterEntry.enterprise_id, Visit.campaign_id == campaign.id)).scalar_subquery()
    size = sa.select(sa.func.count()).select_from(RosterEntry).where(on_roster).scalar_subquery()
    return tuple(db.session.execute(sa.select(visited, size)).one())
