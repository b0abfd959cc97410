"""The campaign dashboard's survey sections (tracker/reports/outreach.py): coverage and the roster's firms.

Every number below is computed by hand from the fixture `survey`, whose comment lays it out.
"""
import json
import re
from datetime import date, datetime, time
from html import unescape
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from tests.conftest import page, query_count
from tracker.auth.models import Role
from tracker.campaigns.models import RosterDecisionKind
from tracker.campaigns.services import decide, screen
from tracker.extensions import db
from tracker.i18n import LOCAL_TZ
from tracker.imports.models import DeclarationCount
from tracker.reports import listings, outreach
from tracker.reports.scope import ReportFilters, ReportScope

JUNE = {"from": "2019-06-01", "to": "2019-06-30"}
TODAY = date(2019, 7, 15)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    """A local (Yingkou) time, as the officer logs it."""
    return datetime.combine(day, time(hh, mm), LOCAL_TZ)


@pytest.fixture
def survey(factory, cast):
    """大连海关's 2019 survey, over 营口 and 鲅鱼圈 (both below 大连 in the cast's tree), at 80 declarations.

    firm  office  declarations  credit              assigned      on the roster
    A     营口    500           advanced_certified  张 (officer)  screened
    B     营口    300           general_credit      张            screened
    C     营口    120           (not rated)         张            screened
    D     鲅鱼圈  200           general_credit      李 (byq)      screened
    E     鲅鱼圈   60           discredited         李            added by hand (under the threshold)
    F     营口     50           -                   -             no (a campaign visit to it all the same)

    Campaign visits (local times; "张+李" = both went):
    v1 A 2019-06-01 00:30 张+李  (UTC: 05-31 16:30, still June locally)
    v2 A 2019-06-20 10:00 张
    v3 B 2019-06-10 10:00 张
    v4 D 2019-06-12 10:00 李
    v5 F 2019-06-15 10:00 张     (off the roster: a visit, not a firm visited)
    v6 C 2019-07-01 00:30 张     (UTC: 06-30 16:30, July locally: after the period)
    p1 B 2019-05-20 10:00 张
    p2 D 2019-05-25 10:00 李
    p3 E 2019-05-01 10:00 李     (before the period before: June has 30 days, so that is 05-02 to 05-31)
    and, not counted: C 2019-06-18 with no campaign; C 2019-06-19 for 营口's own campaign.
    """
    org = cast.org
    cast.officer.display_name, cast.officer.title = "张关员", "关员"
    cast.officer_byq.display_name, cast.officer_byq.title = "李关员", "关员"
    manager_byq = factory.user(Role.MANAGER, org.bayuquan, username="manager-byq")
    for user in (cast.admin, cast.manager, cast.manager_dl, cast.officer, cast.officer_byq, cast.contact,
                 manager_byq):
        user.locale = "en"
    firms = {}
    for key, office, declarations, credit, officer in [
            ("A", org.yingkou, 500, "advanced_certified", cast.officer),
            ("B", org.yingkou, 300, "general_credit", cast.officer),
            ("C", org.yingkou, 120, None, cast.officer),
            ("D", org.bayuquan, 200, "general_credit", cast.officer_byq),
            ("E", org.bayuquan, 60, "discredited", cast.officer_byq),
            ("F", org.yingkou, 50, None, None)]:
        firms[key] = factory.enterprise(office, name=f"{key}调研测试有限公司", credit_level=credit,
                                        assigned_officer=officer)
        db.session.add(DeclarationCount(enterprise=firms[key], year=2019, declarations=declarations))
    campaign = factory.campaign(org.dalian, name="大连海关2019年百企大调研", starts_on=date(2019, 3, 1))
    screen(campaign)
    decide(campaign, firms["E"], RosterDecisionKind.INCLUDE, "重点培育企业", by=cast.manager_dl)
    own = factory.campaign(org.yingkou, name="营口海关2019年百企大调研", starts_on=date(2019, 3, 1))
    screen(own)
    byq_campaign = factory.campaign(org.bayuquan, name="鲅鱼圈海关2019年百企大调研", starts_on=date(2019, 3, 1))
    screen(byq_campaign)

    zhang, li = cast.officer, cast.officer_byq
    visit = factory.visit
    visit(firms["A"], [zhang, li], at(date(2019, 6, 1), 0, 30), campaign=campaign)
    visit(firms["A"], [zhang], at(date(2019, 6, 20), 10), campaign=campaign)
    visit(firms["B"], [zhang], at(date(2019, 6, 10), 10), campaign=campaign)
    visit(firms["D"], [li], at(date(2019, 6, 12), 10), campaign=campaign)
    visit(firms["F"], [zhang], at(date(2019, 6, 15), 10), campaign=campaign)
    visit(firms["C"], [zhang], at(date(2019, 7, 1), 0, 30), campaign=campaign)
    visit(firms["B"], [zhang], at(date(2019, 5, 20), 10), campaign=campaign)
    visit(firms["D"], [li], at(date(2019, 5, 25), 10), campaign=campaign)
    visit(firms["E"], [li], at(date(2019, 5, 1), 10), campaign=campaign)
    visit(firms["C"], [zhang], at(date(2019, 6, 18), 10))
    visit(firms["C"], [zhang], at(date(2019, 6, 19), 10), campaign=own)
    db.session.commit()
    return {"campaign": campaign, "own": own, "byq": byq_campaign, "firms": firms, "manager_byq": manager_byq,
            "zhang": zhang, "li": li}


def dashboard_url(campaign, **args) -> str:
    return f"/reports/campaigns/{campaign.id}?{urlencode({**JUNE, **args})}"


def figures(html: str) -> dict[str, str]:
    """{figure id: data-value} as the page renders them."""
    return dict(re.findall(r'id="figure-([\w-]+)" data-value="([^"]*)"', html))


def number(value: str) -> float | None:
    return float(value) if value != "" else None


def chart(html: str, key: str) -> dict:
    """The chart data of a table (its labels and series), as the page gives it to ECharts."""
    match = re.search(rf'<script type="application/json" id="chart-data-{key}">(.*?)</script>', html, re.S)
    assert match, key
    return json.loads(unescape(match.group(1)))


def scope_for(campaign, user, **args) -> ReportScope:
    filters = ReportFilters.parse({**JUNE, **args}, campaign, user, TODAY)
    return ReportScope(campaign, user, filters, TODAY)


def listing_count(campaign, user, key: str, **args) -> int:
    listing_args = {k: v for k, v in args.items() if k not in ("from", "to", "office", "officer")}
    built = listings.build(key, scope_for(campaign, user, **{k: v for k, v in args.items()
                                                             if k in ("from", "to", "office", "officer")}),
                           listing_args)
    return db.session.scalar(built.count)


def report_section(campaign, user, key: str, **args):
    return next(s for s in outreach.sections(scope_for(campaign, user, **args)) if s.key == key)


# The figures -----------------------------------------------------------------------------------------------
def test_coverage_figures_in_june_and_in_the_thirty_days_before(client, auth, survey):
    auth.login("manager-dl")
    html = page(client, dashboard_url(survey["campaign"]))
    shown = figures(html)
    assert number(shown["outreach-roster"]) == 5  # A B C D (screened) + E (added by hand); F under 80
    assert number(shown["outreach-visited"]) == 3  # A B D in June (v5 went to F, off the roster; v6 is July)
    assert number(shown["outreach-coverage"]) == pytest.approx(3 / 5)
    assert number(shown["outreach-visits"]) == 5  # v1-v5 (v6 July locally, the others not this campaign's)
    assert number(shown["outreach-not_visited"]) == 1  # C: its one campaign visit is on 1 July

    report = {f.key: f for f in report_section(survey["campaign"], _user("manager-dl"), "outreach").figures}
    assert report["outreach.roster"].previous is None  # a snapshot
    assert report["outreach.visited"].previous == 2  # B D (p1 p2) between 05-02 and 05-31
    assert report["outreach.coverage"].previous == pytest.approx(2 / 5)
    assert report["outreach.visits"].previous == 2  # p1 p2; p3 (05-01) is before the period before
    assert report["outreach.not_visited"].previous == 2  # A C had no visit by 31 May (E had, on 05-01)
    assert report["outreach.not_visited"].better == "down"
    # The page says what it was before.
    assert "before: 2" in html


def _user(username: str):
    from tracker.auth.models import User

    return db.session.scalar(sa.select(User).where(User.username == username))


def test_the_office_filter_keeps_bayuquan_only(client, auth, survey, cast):
    auth.login("manager-dl")
    html = page(client, dashboard_url(survey["campaign"], office=cast.org.bayuquan.id))
    shown = figures(html)
    assert number(shown["outreach-roster"]) == 2  # D E
    assert number(shown["outreach-visited"]) == 1  # D (v4)
    assert number(shown["outreach-coverage"]) == pytest.approx(1 / 2)
    assert number(shown["outreach-visits"]) == 1  # v4 (v1 went to A, in 营口)
    assert number(shown["outreach-not_visited"]) == 0  # D (v4, p2) and E (p3) both seen by 30 June
    figures_ = {f.key: f for f in report_section(survey["campaign"], cast.manager_dl, "outreach",
                                                 office=cast.org.bayuquan.id).figures}
    assert figures_["outreach.visits"].previous == 1  # p2
    assert figures_["outreach.visited"].previous == 1  # D
    assert figures_["outreach.not_visited"].previous == 0  # D by p2, E by p3
    officers = chart(html, "outreach-by_officer")
    assert officers["labels"] == ["李关员 · 关员"] and officers["series"] == [[1, 1]]  # v4 to D


def test_the_officer_filter_keeps_his_firms_and_his_visits(client, auth, survey):
    auth.login("manager-dl")
    html = page(client, dashboard_url(survey["campaign"], officer=survey["zhang"].id))
    shown = figures(html)
    assert number(shown["outreach-roster"]) == 3  # A B C are assigned to 张
    assert number(shown["outreach-visited"]) == 2  # A B (he went to both in June)
    assert number(shown["outreach-coverage"]) == pytest.approx(2 / 3)
    assert number(shown["outreach-visits"]) == 4  # v1 v2 v3 v5 (he went on each)
    assert number(shown["outreach-not_visited"]) == 1  # C
    figures_ = {f.key: f for f in report_section(survey["campaign"], _user("manager-dl"), "outreach",
                                                 officer=survey["zhang"].id).figures}
    assert figures_["outreach.visits"].previous == 1  # p1
    assert figures_["outreach.visited"].previous == 1  # B
    assert figures_["outreach.not_visited"].previous == 2  # A C


# The tables -------------------------------------------------------------------------------------------------
def test_visits_per_month_and_per_officer(client, auth, survey):
    auth.login("manager-dl")
    html = page(client, dashboard_url(survey["campaign"], **{"from": "2019-05-01"}))
    months = chart(html, "outreach-by_month")
    assert months["type"] == "line"
    # May: p1 p2 p3 to B D E; June: v1-v5, roster firms A B D (F is off the roster).
    assert months["labels"] == ["2019-05", "2019-06"]
    assert months["series"] == [[3, 3], [5, 3]]
    officers = chart(html, "outreach-by_officer")
    assert officers["type"] == "bar"
    # 张: v1 v2 v3 v5 p1 = 5 visits, roster firms A B; 李: v1 v4 p2 p3 = 4 visits, firms A D E.
    assert officers["labels"] == ["张关员 · 关员", "李关员 · 关员"]
    assert officers["series"] == [[5, 2], [4, 3]]

    june = page(client, dashboard_url(survey["campaign"]))
    assert chart(june, "outreach-by_month")["series"] == [[5, 3]]  # one month, v1 counted in June (local)
    officers = chart(june, "outreach-by_officer")
    assert officers["series"] == [[4, 2], [2, 2]]  # 张: v1 v2 v3 v5, A B; 李: v1 v4, A D


def test_a_month_without_visits_is_a_row_of_zeros(client, auth, survey):
    auth.login("manager-dl")
    html = page(client, dashboard_url(survey["campaign"], **{"from": "2019-03-15"}))
    months = chart(html, "outreach-by_month")
    assert months["labels"] == ["2019-03", "2019-04", "2019-05", "2019-06"]
    assert months["series"] == [[0, 0], [0, 0], [3, 3], [5, 3]]


def test_credit_levels_and_firms_by_office(client, auth, survey):
    auth.login("manager-dl")
    html = page(client, dashboard_url(survey["campaign"]))
    levels = chart(html, "credit-levels")
    assert levels["type"] == "pie"
    # A advanced; B D general credit; E discredited; C not rated, last.
    assert levels["labels"] == ["Advanced certified enterprise", "General credit enterprise",
                                "Discredited enterprise", "Not rated"]
    assert levels["series"] == [[1], [2], [1], [1]]
    offices = chart(html, "credit-by_office")
    assert offices["labels"] == ["Yingkou Customs", "Bayuquan Customs"]
    # 营口: A B C, visited in June A B; 鲅鱼圈: D E, visited D.
    assert offices["series"][0][:2] == [3, 2] and offices["series"][0][2] == pytest.approx(2 / 3)
    assert offices["series"][1] == [2, 1, 0.5]
    section = report_section(survey["campaign"], _user("manager-dl"), "credit")
    assert section.key == "credit" and str(section.title) in ("The roster's firms", "名单企业")
    assert section.table("credit.by_office").kinds == ["count", "count", "share"]


def test_the_firms_not_yet_visited_are_listed_on_the_dashboard_biggest_first(client, auth, survey):
    auth.login("manager-dl")
    html = page(client, dashboard_url(survey["campaign"]))
    listed = html.split('id="list-roster-not_visited"')[1].split("</figure>")[0]
    assert "C调研测试有限公司" in listed and "A调研测试有限公司" not in listed
    # 1-15 May: only E (p3, 1 May) seen; A 500, B 300, D 200, C 120 declarations, biggest first.
    html = page(client, dashboard_url(survey["campaign"], **{"from": "2019-05-01", "to": "2019-05-15"}))
    listed = html.split('id="list-roster-not_visited"')[1].split("</figure>")[0]
    names = re.findall(r"([A-F])调研测试有限公司", listed)
    assert names == ["A", "B", "D", "C"]
    assert f'/enterprises/{survey["firms"]["A"].id}' in listed


# Drill-downs -------------------------------------------------------------------------------------------------
def test_every_figure_and_row_links_to_a_listing_of_as_many_rows(client, auth, survey, cast):
    manager = _user("manager-dl")
    campaign = survey["campaign"]
    for filters in ({}, {"office": cast.org.bayuquan.id}, {"officer": survey["zhang"].id}, {"from": "2019-05-01"}):
        for section in outreach.sections(scope_for(campaign, manager, **filters)):
            for figure in section.figures:
                assert figure.listing, figure.key
                if figure.kind == "count":
                    count = listing_count(campaign, manager, figure.listing, **filters, **figure.listing_args)
                    assert count == figure.value, (filters, figure.key)
            for table in section.tables:
                for row in table.rows:
                    count = listing_count(campaign, manager, row.listing, **filters, **row.listing_args)
                    assert count == row.values[0], (filters, table.key, row.label)


def test_drilldown_pages_count_what_the_figures_say(client, auth, survey, cast):
    auth.login("manager-dl")
    campaign = survey["campaign"]

    def total(key, **args):
        html = page(client, f"/reports/campaigns/{campaign.id}/list/{key}?{urlencode({**JUNE, **args})}")
        return int(re.search(r"(\d+) in all", html).group(1)), html

    assert total("roster.all")[0] == 5
    assert total("roster.visited")[0] == 3
    assert total("roster.not_visited")[0] == 1
    count, html = total("visits.all")
    assert count == 5
    assert '/visits/' in html and "张关员 · 关员" in html and "2019-06-01" in html  # v1, local date
    assert total("visits.all", month="2019-06")[0] == 5
    assert total("visits.all", month="2019-05")[0] == 0  # outside the period
    count, html = total("visits.all", by=survey["li"].id)
    assert count == 2 and "李关员" in html  # v1 v4
    assert total("roster.all", credit="general_credit")[0] == 2  # B D
    assert total("roster.all", credit="none")[0] == 1  # C
    count, html = total("roster.all", in_office=cast.org.bayuquan.id)
    assert count == 2 and "Bayuquan Customs" in html  # D E
    assert total("roster.visited", in_office=cast.org.yingkou.id)[0] == 2  # A B
    assert total("roster.all", office=cast.org.bayuquan.id, credit="general_credit")[0] == 1  # D


@pytest.mark.parametrize("args", [{"credit": "bogus"}, {"credit": "x" * 40}, {"in_office": "abc"},
                                  {"in_office": "99999999999"}, {"month": "2019-13"}, {"month": "june"},
                                  {"by": "nobody"}, {"by": "0"}])
def test_an_unknown_listing_argument_lists_nothing(client, auth, survey, args):
    auth.login("manager-dl")
    key = "visits.all" if {"month", "by"} & args.keys() else "roster.all"
    html = page(client, f"/reports/campaigns/{survey['campaign'].id}/list/{key}?{urlencode({**JUNE, **args})}")
    assert re.search(r"\b0 in all", html)


def test_an_office_outside_the_report_is_not_named_and_lists_nothing(client, auth, survey, cast):
    auth.login("manager-dl")
    campaign = survey["campaign"]
    html = page(client, f"/reports/campaigns/{campaign.id}/list/roster.all?"
                        f"{urlencode({**JUNE, 'in_office': cast.org.root.id})}")
    assert re.search(r"\b0 in all", html) and "General Administration" not in html.split("<main")[-1]
    # With the office filter on 鲅鱼圈, 营口 is outside the report.
    html = page(client, f"/reports/campaigns/{campaign.id}/list/roster.all?"
                        f"{urlencode({**JUNE, 'office': cast.org.bayuquan.id, 'in_office': cast.org.yingkou.id})}")
    assert re.search(r"\b0 in all", html)


# Who sees what -------------------------------------------------------------------------------------------------
def test_a_bayuquan_manager_sees_nothing_of_yingkou(client, auth, survey):
    auth.login("manager-byq")
    for campaign in (survey["own"], survey["campaign"]):  # 营口's campaign, and 大连's above him
        assert client.get(dashboard_url(campaign)).status_code == 404
        assert client.get(f"/reports/campaigns/{campaign.id}/list/roster.all").status_code == 404
        assert client.get(f"/reports/campaigns/{campaign.id}/list/visits.all?month=2019-06").status_code == 404
    shown = figures(page(client, dashboard_url(survey["byq"])))
    # 鲅鱼圈's own campaign: D only (E is under 80 and was added to 大连's roster, not this one); no visits.
    assert number(shown["outreach-roster"]) == 1
    assert number(shown["outreach-visits"]) == 0
    assert number(shown["outreach-not_visited"]) == 1


def test_the_yingkou_manager_sees_his_campaign_only(client, auth, survey, cast):
    auth.login("manager")
    assert client.get(dashboard_url(survey["campaign"])).status_code == 404  # 大连's campaign
    html = page(client, dashboard_url(survey["own"], office=cast.org.bayuquan.id))
    assert "report-problem" in html  # 鲅鱼圈 is not one of 营口's offices: the filter is dropped
    shown = figures(html)
    assert number(shown["outreach-roster"]) == 3  # A B C (营口, at 80 or more)
    assert number(shown["outreach-visits"]) == 1  # C on 06-19, the one visit of this campaign
    assert number(shown["outreach-visited"]) == 1
    assert chart(html, "credit-by_office")["labels"] == ["Yingkou Customs"]


def test_contacts_and_officers_are_refused(client, auth, survey):
    campaign = survey["campaign"]
    auth.login("yalisi")
    assert client.get(dashboard_url(campaign)).status_code == 403
    assert client.get(f"/reports/campaigns/{campaign.id}/list/roster.all").status_code == 403
    auth.logout()
    auth.login("officer")
    assert client.get(dashboard_url(survey["own"])).status_code == 403
    assert client.get(f"/reports/campaigns/{survey['own'].id}/list/roster.all").status_code == 403


# Cost ---------------------------------------------------------------------------------------------------------
def statements(app, run) -> int:
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_the_sections_cost_a_fixed_few_statements(app, survey, cast):
    scope = scope_for(survey["campaign"], cast.manager_dl, officer=survey["zhang"].id)
    scope.root_office, scope.campaign.office, scope.user.office  # loaded before counting
    assert statements(app, lambda: outreach.outreach_section(scope)) <= 4
    assert statements(app, lambda: outreach.credit_section(scope)) <= 2


def test_the_dashboard_costs_the_same_with_more_firms_and_visits(app, client, auth, survey, factory, cast):
    auth.login("manager-dl")
    campaign = survey["campaign"]
    url = dashboard_url(campaign, **{"from": "2019-05-01"})
    listing_url = f"/reports/campaigns/{campaign.id}/list/visits.all?{urlencode({**JUNE})}"
    roster_url = f"/reports/campaigns/{campaign.id}/list/roster.not_visited?{urlencode({**JUNE})}"
    before = [query_count(app, client, u) for u in (url, listing_url, roster_url)]
    for n in range(20):
        office = cast.org.yingkou if n % 2 else cast.org.bayuquan
        firm = factory.enterprise(office, credit_level="general_certified" if n % 3 else None,
                                  assigned_officer=survey["zhang"])
        db.session.add(DeclarationCount(enterprise=firm, year=2019, declarations=100 + n))
        if n % 4:
            factory.visit(firm, [survey["zhang"], survey["li"]], at(date(2019, 6, 1 + n), 9), campaign=campaign)
            factory.visit(firm, [survey["li"]], at(date(2019, 5, 2 + n), 9), campaign=campaign)
    screen(campaign)
    db.session.commit()
    assert number(figures(page(client, url))["outreach-roster"]) == 25
    after = [query_count(app, client, u) for u in (url, listing_url, roster_url)]
    assert after == before


def test_the_department_filter_leaves_the_survey_as_it_is_and_says_so(client, auth, survey):
    from tracker.offices.models import Department

    department = db.session.scalar(sa.select(Department).where(Department.name == "综合业务科"))  # 营口's
    auth.login("manager-dl")
    html = page(client, dashboard_url(survey["campaign"], department=department.id))
    shown = figures(html)
    assert number(shown["outreach-roster"]) == 5 and number(shown["outreach-visits"]) == 5  # as without it
    assert "The department filter applies to needs only" in html
