"""A tiny report section for the exports' and the monthly report's tests (tests/test_reports_exports.py,
tests/test_reports_monthly.py), which add this module to tracker.reports.listings.SECTION_MODULES: a few
figures of every kind, two tables (a bar chart and a pie) and a listing preview, all read through the
scope's conditions, and the listing "test.firms" (the roster's firms) behind them.

The exports are written against the report's structures whatever sections exist; this one stands in for the
real sections (outreach, needs, counter) so that their tests do not depend on those.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from tracker.campaigns.models import RosterEntry, RosterSource
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.offices.models import Office
from tracker.reports.figures import Column, Figure, Listing, ListingPreview, Row, Section, Table, share
from tracker.reports.listings import listing
from tracker.visits.models import Visit

KEY = "test"
PREVIEW_ROWS = 2  # fewer than the roster's three firms: the monthly report reads the list in full


def sections(scope) -> list[Section]:
    roster = db.session.scalar(sa.select(sa.func.count()).select_from(RosterEntry)
                               .join(Enterprise, Enterprise.id == RosterEntry.enterprise_id)
                               .where(*scope.roster_condition()))
    # The period and the one before in one statement, over the union of both.
    now, before = sa.and_(*scope.visit_conditions()), sa.and_(*scope.previous.visit_conditions())
    visits, visits_before, firms, firms_before = db.session.execute(
        sa.select(sa.func.count().filter(now), sa.func.count().filter(before),
                  sa.func.count(sa.distinct(sa.case((now, Visit.enterprise_id)))),
                  sa.func.count(sa.distinct(sa.case((before, Visit.enterprise_id)))))
        .where(sa.or_(now, before))).one()
    figures = [
        Figure("test.roster", "Roster firms", roster, None, listing="test.firms"),
        Figure("test.visits", "Visits", visits, visits_before),
        Figure("test.visited_share", "Share of the roster visited", share(firms, roster),
               share(firms_before, roster), kind="share"),
        Figure("test.per_firm", "Visits per firm visited", share(visits, firms), share(visits_before, firms_before),
               kind="number"),
        # 7.25 minutes a visit: a figure in minutes, to see its one decimal.
        Figure("test.minutes", "Minutes at firms", visits * 7.25, visits_before * 7.25, kind="minutes"),
    ]
    by_office = db.session.execute(
        sa.select(Office.id, Office.name, sa.func.count())
        .select_from(RosterEntry).join(Enterprise, Enterprise.id == RosterEntry.enterprise_id)
        .join(Office, Office.id == Enterprise.office_id)
        .where(*scope.roster_condition()).group_by(Office.id, Office.name).order_by(Office.name)).all()
    offices = Table("test.offices", "Roster by office", ["Office", "Firms", "Share"],
                    [Row(name, [count, share(count, roster)], listing="test.firms",
                         listing_args={"firm_office": office_id}, key=str(office_id))
                     for office_id, name, count in by_office], chart="bar", kinds=["count", "share"])
    by_type = db.session.execute(sa.select(Visit.visit_type, sa.func.count()).where(now)
                                 .group_by(Visit.visit_type).order_by(Visit.visit_type)).all()
    types = Table("test.types", "Visits by type", ["Type", "Visits"],
                  [Row(str(kind.label), [count], key=kind.value) for kind, count in by_type], chart="pie")
    firms_listing = roster_firms(scope, {})
    preview = ListingPreview(firms_listing, db.session.scalars(firms_listing.select.options(*firms_listing.options)
                                                               .limit(PREVIEW_ROWS)).all(), roster)
    return [Section(KEY, "Test section", figures, [offices, types], [preview], note="A section for the tests.")]


@listing("test.firms")
def roster_firms(scope, args) -> Listing:
    conditions = [Enterprise.id.in_(scope.roster_firms())]
    office = args.get("firm_office")
    if office:
        known = str(office).isdigit() and int(office) < 2**31
        conditions.append(Enterprise.office_id == int(office) if known else sa.false())
    columns = [
        Column("name", "Name", lambda firm: firm.name, kind="title"),
        Column("uscc", "USCC", lambda firm: firm.uscc),
        Column("office", "Office", lambda firm: firm.office.name),
        Column("key", "Key firm", lambda firm: "yes" if firm.is_key else ""),
    ]
    return Listing("test.firms", "Roster firms", columns,
                   sa.select(Enterprise).where(*conditions).order_by(Enterprise.name, Enterprise.id),
                   sa.select(sa.func.count()).select_from(Enterprise).where(*conditions),
                   options=(joinedload(Enterprise.office),))


# The data both test modules report on ------------------------------------------------------------------
FORMULA_NAME = '=HYPERLINK("http://evil.example","点我")'


@dataclass
class Survey:
    campaign: object
    formula: Enterprise  # a firm whose name a spreadsheet would run as a formula
    plain: Enterprise
    own: Enterprise  # the contact's firm
    byq: Enterprise  # on the roster, but of 鲅鱼圈: outside the campaign's office (营口), never counted


def make_survey(factory, cast) -> Survey:
    """营口's 2019 campaign with a roster of four firms, three of 营口 and one of 鲅鱼圈, and visits:

    June 2019: the formula firm on the 10th (上门走访) and the 20th (车间调研), the plain firm on the 15th, and
    the 鲅鱼圈 firm on the 12th (outside the campaign's offices: not counted);
    May 2019: the plain firm on the 1st, the formula firm on the 20th.

    So for June: 3 roster firms (鲅鱼圈's is not 营口's), 3 visits to 2 firms (2/3 of the roster), 1.5 visits
    a firm, 21.75 minutes (3 x 7.25). Before it, as the dashboard compares (the 30 days 2019-05-02..05-31):
    1 visit (the 20th) to 1 firm; as the monthly report compares (May, 05-01..05-31): 2 visits to 2 firms."""
    from tests.conftest import local
    from tracker.visits.models import VisitType

    yingkou = cast.org.yingkou
    campaign = factory.campaign(yingkou, starts_on=date(2019, 1, 1), ends_on=date(2019, 12, 31))
    formula = factory.enterprise(yingkou, name=FORMULA_NAME)
    plain = factory.enterprise(yingkou, name="营口光阳耐火材料有限公司")
    own = cast.contact.enterprise
    byq = factory.enterprise(cast.org.bayuquan, name="营口隆鑫果品有限公司")
    for firm in (formula, plain, own, byq):
        db.session.add(RosterEntry(campaign=campaign, enterprise=firm, declarations=120,
                                   source=RosterSource.SCREENING))
    door, workshop = VisitType.DOOR_TO_DOOR, VisitType.WORKSHOP
    for firm, day, kind, officer in [(formula, date(2019, 6, 10), door, cast.officer),
                                     (formula, date(2019, 6, 20), workshop, cast.officer),
                                     (plain, date(2019, 6, 15), door, cast.officer),
                                     (byq, date(2019, 6, 12), door, cast.officer_byq),
                                     (plain, date(2019, 5, 1), door, cast.officer),
                                     (formula, date(2019, 5, 20), door, cast.officer)]:
        factory.visit(firm, [officer], when=local(day, 10), campaign=campaign, visit_type=kind)
    db.session.commit()
    return Survey(campaign, formula, plain, own, byq)


def add_firms(factory, cast, survey: Survey, n: int) -> None:
    """n more roster firms of 营口, each visited once in June 2019 (for the query counts)."""
    from tests.conftest import local

    for i in range(n):
        firm = factory.enterprise(cast.org.yingkou)
        db.session.add(RosterEntry(campaign=survey.campaign, enterprise=firm, declarations=100,
                                   source=RosterSource.SCREENING))
        factory.visit(firm, [cast.officer], when=local(date(2019, 6, 3 + i % 20), 9), campaign=survey.campaign)
    db.session.commit()
