"""Reads of visits: the list's filters and choices."""
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from tracker.auth.models import Role, User
from tracker.campaigns.models import Campaign
from tracker.enterprises.models import Enterprise
from tracker.enterprises.search import search_condition
from tracker.extensions import db
from tracker.i18n import LOCAL_TZ
from tracker.permissions import scope_visits, visible_office_ids
from tracker.visits.models import Visit, VisitType, visit_officers
from tracker.forms import db_int

PAGE_SIZE = 50


class VisitFilters:
    """The list's query-string filters."""

    def __init__(self, args):
        self.q = args.get("q", "").strip()[:100]
        self.type = args.get("type", "") if args.get("type") in {t.value for t in VisitType} else ""
        self.officer = args.get("officer", type=db_int)
        self.campaign = args.get("campaign", type=db_int)
        self.date_from = parse_date(args.get("from"))
        self.date_to = parse_date(args.get("to"))

    def select(self, user: User) -> sa.Select:
        stmt = (
            sa.select(Visit).join(Enterprise, Enterprise.id == Visit.enterprise_id)
            .options(sa.orm.contains_eager(Visit.enterprise), sa.orm.joinedload(Visit.campaign),
                     sa.orm.selectinload(Visit.officers), sa.orm.selectinload(Visit.topics))
            .order_by(Visit.visited_at.desc(), Visit.id.desc())
        )
        stmt = scope_visits(stmt, user)
        if self.q:
            stmt = stmt.where(search_condition(self.q))
        if self.type:
            stmt = stmt.where(Visit.visit_type == VisitType(self.type))
        if self.officer:
            stmt = stmt.where(Visit.id.in_(
                sa.select(visit_officers.c.visit_id).where(visit_officers.c.user_id == self.officer)))
        if self.campaign:
            stmt = stmt.where(Visit.campaign_id == self.campaign)
        if self.date_from:
            stmt = stmt.where(Visit.visited_at >= datetime.combine(self.date_from, time(), LOCAL_TZ))
        if self.date_to:
            stmt = stmt.where(Visit.visited_at < datetime.combine(self.date_to + timedelta(days=1), time(), LOCAL_TZ))
        return stmt


def parse_date(value):
    try:
        return datetime.strptime(value or "", "%Y-%m-%d").date()
    except ValueError:
        return None


def filter_choices(user: User) -> dict:
    offices = visible_office_ids(user) if not user.is_admin else None
    officers = sa.select(User).where(User.role.in_([Role.OFFICER, Role.MANAGER])).order_by(User.username)
    campaigns = sa.select(Campaign).order_by(Campaign.declaration_year.desc(), Campaign.id.desc())
    if offices is not None:
        officers = officers.where(User.office_id.in_(offices))
        campaigns = campaigns.where(Campaign.office_id.in_(offices))
    return {"officers": db.session.scalars(officers).all(), "campaigns": db.session.scalars(campaigns).all(),
            "types": list(VisitType)}
