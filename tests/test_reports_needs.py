"""The campaign report's needs and plans sections (tracker/reports/needs.py): every figure against a small ledger
computed by hand, the period before, the department and officer filters, the lists behind the figures, the
subtree rule, the statements a page costs, and the finish columns the needs service keeps for them.

The ledger, all under 营口海关's campaign C unless said otherwise. The period asked for is October 2019
(P = 2019-10-01..10-31); the period before is the 31 days before it (Q = 2019-08-31..09-30). Category A has 3
working days (the `category` fixture), category B is given explicit deadlines. The calendar of 2019: National
Day 10-01..10-07 with make-up working days Sunday 09-29 and Saturday 10-12; Mid-Autumn Festival Friday 09-13.

    need firm dept officer cat raised  deadline  what happened                                   now
    N1   F1   D1   O1      A   09-27   10-08     resolved 10-08 (3 wd: 09-29, 09-30, 10-08);       closed off
                                                 follow-up 10-10 满意; closed off
    N2   F1   D1   O1      A   09-27   10-08     resolved 10-09 (4 wd); follow-up 10-12 不满意      resolved
                                                 reopens it; resolved 10-15 (9 wd: 09-29, 09-30,
                                                 10-08..11, 10-12, 10-14, 10-15); 10-20 基本满意
    N3   F1   D2   O1      B   10-08   10-18     nothing                                          pending
    N4   F2   -    O2      A   10-10   10-14     explained 10-11 (1 wd)                           unresolvable
    N5   F2   -    O2      A   09-02   09-05     resolved 09-04 (2 wd); follow-up 09-10 满意        resolved
    N6   F2   D1   O2      B   09-16   09-30     accepted                                         in progress
    N7   F1   D1   O1      A   10-20   10-23     nothing (raised on a Sunday)                     pending
    N8   F1   D2   O1      B   08-29   09-02     resolved 09-03 (3 wd); 09-05 不满意 reopens it;      resolved
                                                 resolved 09-20 (15 wd: 08-30, 09-02..06,
                                                 09-09..12 without Mid-Autumn 09-13, 09-16..20)
    N9   FB (鲅鱼圈, outside the campaign's subtree) in C, raised 10-08, resolved 10-09, 10-10 不满意: never counted
    N10  F1 without a campaign, raised 10-08: never counted
"""
import html
import importlib.util
import re
from datetime import date, datetime, time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa

from tracker.auth.models import Role
from tracker.extensions import db
from tracker.i18n import LOCAL_TZ
from tracker.needs import services
from tracker.needs.models import Need, NeedCategory, NeedStatus, Satisfaction
from tracker.offices.models import Department
from tracker.plans import services as plans
from tracker.plans.models import MeasureStatus
from tests.conftest import query_count

P = {"from": "2019-10-01", "to": "2019-10-31"}
Q = {"from": "2019-08-31", "to": "2019-09-30"}


def at(day: date, hh: int = 10) -> datetime:
    """A moment of a day in Yingkou."""
    return datetime.combine(day, time(hh), LOCAL_TZ)


def d(month: int, day: int) -> date:
    return date(2019, month, day)


# The ledger ------------------------------------------------------------------------------------------
@pytest.fixture
def world(cast, firm, category, factory):
    """The ledger of the module's docstring, made through the services, committed."""
    org = cast.org
    o1 = cast.officer
    o2 = factory.user(Role.OFFICER, org.yingkou, username="officer2", locale="en")
    d1 = db.session.scalar(sa.select(Department).where(Department.office_id == org.yingkou.id))
    d2 = Department(office=org.yingkou, name="关税科", name_en="Tariff section")
    db.session.add(d2)
    cat_a = category
    cat_b = db.session.scalars(sa.select(NeedCategory).where(NeedCategory.id != cat_a.id)
                               .order_by(NeedCategory.id)).first()
    campaign = factory.campaign(org.yingkou, name="2019年百企大调研")
    f1 = firm
    f2 = factory.enterprise(org.yingkou, name="营口第二测试有限公司", assigned_officer=o2)
    fb = factory.enterprise(org.bayuquan, name="营口隆鑫果品有限公司", assigned_officer=cast.officer_byq)
    v1 = factory.visit(f1, [o1], campaign_id=campaign.id)
    v2 = factory.visit(f2, [o2], campaign_id=campaign.id)
    vb = factory.visit(fb, [cast.officer_byq], campaign_id=campaign.id)

    def need(enterprise, visit, cat, officer, raised, department=None, deadline=None, content=None):
        return factory.need(enterprise, cat, officer, raised_on=raised, visit=visit, department=department,
                            deadline=deadline, content=content or f"需求 {raised.isoformat()}")

    n1 = need(f1, v1, cat_a, o1, d(9, 27), d1, content="N1 原产地证办理慢")
    n2 = need(f1, v1, cat_a, o1, d(9, 27), d1, content="N2 通关时效")
    n3 = need(f1, v1, cat_b, o1, d(10, 8), d2, deadline=d(10, 18), content="N3 原产地证")
    n4 = need(f2, v2, cat_a, o2, d(10, 10), content="N4 无法解决")
    n5 = need(f2, v2, cat_a, o2, d(9, 2), content="N5 九月办结")
    n6 = need(f2, v2, cat_b, o2, d(9, 16), d1, deadline=d(9, 30), content="N6 办理中")
    n7 = need(f1, v1, cat_a, o1, d(10, 20), d1, content="N7 周日提出")
    n8 = need(f1, v1, cat_b, o1, d(8, 29), d2, deadline=d(9, 2), content="N8 中秋")
    n9 = need(fb, vb, cat_a, cast.officer_byq, d(10, 8), content="N9 鲅鱼圈")
    n10 = need(f1, None, cat_a, o1, d(10, 8), content="N10 无活动")

    for n in (n1, n2, n4, n5, n6, n8, n9):
        services.accept(n)
    services.resolve(n1, "已处理", now=at(d(10, 8)))
    services.record_follow_up(n1, d(10, 10), Satisfaction.SATISFIED)
    services.close_off(n1)
    services.resolve(n2, "已处理", now=at(d(10, 9)))
    services.record_follow_up(n2, d(10, 12), Satisfaction.DISSATISFIED)
    services.resolve(n2, "再次处理", now=at(d(10, 15)))
    services.record_follow_up(n2, d(10, 20), Satisfaction.BASICALLY_SATISFIED)
    services.mark_unresolvable(n4, "政策不允许", now=at(d(10, 11)))
    services.resolve(n5, "已处理", now=at(d(9, 4)))
    services.record_follow_up(n5, d(9, 10), Satisfaction.SATISFIED)
    services.resolve(n8, "已处理", now=at(d(9, 3)))
    services.record_follow_up(n8, d(9, 5), Satisfaction.DISSATISFIED)
    services.resolve(n8, "再次处理", now=at(d(9, 20)))
    services.resolve(n9, "已处理", now=at(d(10, 9)))
    services.record_follow_up(n9, d(10, 10), Satisfaction.DISSATISFIED)

    # Plans: F1's approved and under way with one of two measures done, F2's a draft with one; none of FB (鲅鱼圈
    # is outside C's area: its plan is in 鲅鱼圈's own campaign).
    p1 = factory.plan(f1, campaign, cast.manager, measures=2)
    plans.submit(p1, cast.manager)
    plans.approve(p1, cast.manager)
    plans.start(p1, cast.manager)
    plans.record_progress(p1.measures[0], status=MeasureStatus.DONE, result="已落实")
    factory.plan(f2, campaign, cast.manager, measures=1)

    byq_campaign = factory.campaign(org.bayuquan, name="鲅鱼圈百企大调研")
    vbb = factory.visit(fb, [cast.officer_byq], campaign_id=byq_campaign.id)
    need(fb, vbb, cat_a, cast.officer_byq, d(10, 8), content="NB 鲅鱼圈自己的")
    factory.plan(fb, byq_campaign, cast.officer_byq, measures=1)
    db.session.commit()
    return SimpleNamespace(factory=factory, campaign=campaign, byq_campaign=byq_campaign, o1=o1, o2=o2, d1=d1, d2=d2, cat_a=cat_a,
                           cat_b=cat_b, f1=f1, f2=f2, fb=fb, needs=[n1, n2, n3, n4, n5, n6, n7, n8, n9, n10])


# Reading the page ------------------------------------------------------------------------------------
def dashboard_url(campaign, **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/reports/campaigns/{campaign.id}?{query}"


def get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def figures(text: str) -> dict[str, SimpleNamespace]:
    """Each figure card: its raw value (data-value), its link and the "before:" text of its comparison."""
    found = {}
    for chunk in text.split('<div class="report-figure h-100"')[1:]:
        chunk = chunk.split('<div class="col-6')[0].split("</section>")[0]
        key, value = re.match(r' id="figure-([\w-]+)" data-value="([^"]*)"', chunk).groups()
        link = re.search(r'<a href="([^"]+)"', chunk)
        before = re.search(r"before: ([^<]+)</span>", chunk)
        found[key] = SimpleNamespace(value=value, link=html.unescape(link.group(1)) if link else None,
                                     before=before.group(1).strip() if before else None)
    return found


def table(text: str, key: str) -> list[SimpleNamespace]:
    """A table's rows: label, value (as rendered) and link."""
    chunk = text.split(f'id="table-{key}"')[1].split("</figure>")[0]
    rows = []
    for link, label, value in re.findall(
            r'<th scope="row">(?:<a href="([^"]+)">)?(.*?)(?:</a>)?</th><td class="text-end">([^<]*)</td>', chunk):
        rows.append(SimpleNamespace(label=html.unescape(label), value=value.strip(),
                                    link=html.unescape(link) if link else None,
                                    args={k: v[0] for k, v in parse_qs(urlparse(html.unescape(link)).query).items()}
                                    if link else {}))
    return rows


def values(rows) -> dict[str, int]:
    return {r.label: int(r.value) for r in rows}


def listing_rows(client, url: str) -> int:
    """The number of rows a drill-down lists (fewer than a page in these tests)."""
    text = get(client, url)
    body = text.split('id="listing"')[1].split("<tbody>")[1].split("</tbody>")[0]
    return body.count("<tr>")


def number(value: str) -> float | None:
    return float(value) if value != "" else None


# The needs section -----------------------------------------------------------------------------------
def test_needs_figures_over_the_period_and_the_one_before(client, auth, world):
    auth.login("manager")
    f = figures(get(client, dashboard_url(world.campaign, **P)))
    # Raised in October: N3, N4, N7; in the 31 days before: N1, N2 (09-27), N5, N6 (N8 was raised in August).
    assert f["needs-raised"].value == "3" and f["needs-raised"].before == "4"
    # Open and past their deadline today: N3, N6, N7 (N8 was resolved again); a snapshot, no comparison.
    assert f["needs-overdue"].value == "3" and f["needs-overdue"].before is None
    # Finished in October: N1 (10-08), N2 (10-15, after its reopening), N4 (explained 10-11); before: N5, N8.
    assert f["needs-closed"].value == "3" and f["needs-closed"].before == "2"
    # Working days 1, 3, 9: the median is 3; before 2 and 15: the nearest-rank median of two is the first, 2.
    assert f["needs-days_to_close"].value == "3" and f["needs-days_to_close"].before == "2 working days"
    # On time: N1 (10-08 <= 10-08) and N4 (10-11 <= 10-14), not N2 (10-15 > 10-08); before N5 yes, N8 no.
    assert number(f["needs-on_time"].value) == pytest.approx(2 / 3) and f["needs-on_time"].before == "50.0%"
    # Follow-ups in October: N1 满意, N2 不满意, N2 基本满意 (N9's is outside the subtree); before: N5 满意, N8 不满意.
    assert number(f["needs-satisfied"].value) == pytest.approx(2 / 3) and f["needs-satisfied"].before == "50.0%"
    # Reopened: N2 in October, N8 before.
    assert f["needs-reopened"].value == "1" and f["needs-reopened"].before == "1"


def test_the_period_before_reads_as_its_own_period(client, auth, world):
    """The comparison is the same figure over the period before: asked for directly, Q gives those numbers."""
    auth.login("manager")
    f = figures(get(client, dashboard_url(world.campaign, **Q)))
    assert (f["needs-raised"].value, f["needs-closed"].value, f["needs-days_to_close"].value,
            f["needs-reopened"].value) == ("4", "2", "2", "1")
    assert number(f["needs-on_time"].value) == pytest.approx(1 / 2)
    assert number(f["needs-satisfied"].value) == pytest.approx(1 / 2)


def test_needs_tables_break_down_the_needs_raised_and_the_follow_ups(client, auth, world):
    auth.login("manager")
    text = get(client, dashboard_url(world.campaign, **P))
    # Raised in October: N3 and N7 pending, N4 explained; every status has its row.
    assert values(table(text, "needs-by_status")) == {
        "Awaiting acceptance": 2, "In progress": 0, "Resolved": 0, "Closed off": 0,
        "Cannot be resolved (explained)": 1}
    # Category A: N4, N7; B: N3 (in English, as the manager reads it), the larger first.
    by_category = table(text, "needs-by_category")
    assert [(r.label, int(r.value)) for r in by_category] == [(world.cat_a.name_en, 2), (world.cat_b.name_en, 1)]
    assert [r.args["category"] for r in by_category] == [str(world.cat_a.id), str(world.cat_b.id)]
    # D1: N7; D2 (Tariff section): N3; none: N4, last.
    by_department = table(text, "needs-by_department")
    assert {r.label: int(r.value) for r in by_department} == {"综合业务科": 1, "Tariff section": 1,
                                                               "No department": 1}
    assert by_department[-1].label == "No department" and by_department[-1].args["department"] == "none"
    assert values(table(text, "needs-satisfaction")) == {"Satisfied": 1, "Basically satisfied": 1, "Dissatisfied": 1}
    assert 'data-report-chart="chart-data-needs-satisfaction"' in text
    assert '"type": "pie"' in text.split('id="chart-data-needs-satisfaction"')[1].split("</script>")[0]


def test_the_overdue_needs_are_listed_oldest_deadline_first(client, auth, world):
    auth.login("manager")
    text = get(client, dashboard_url(world.campaign, **P))
    chunk = text.split('id="list-needs-overdue"')[1].split("</figure>")[0]
    # N6 (09-30), N3 (10-18), N7 (10-23); each links to the need.
    assert [m for m in re.findall(r"N\d+ ", chunk)] == ["N6 ", "N3 ", "N7 "]
    n6 = world.needs[5]
    assert f'href="/needs/{n6.id}"' in chunk


def test_the_department_filter(client, auth, world):
    auth.login("manager")
    text = get(client, dashboard_url(world.campaign, department=world.d1.id, **P))
    f = figures(text)
    # D1's needs: N1, N2, N6, N7. Raised: N7; before: N1, N2, N6. Overdue: N6, N7.
    assert (f["needs-raised"].value, f["needs-raised"].before, f["needs-overdue"].value) == ("1", "3", "2")
    # Closed: N1 (3 wd, on time), N2 (9 wd, late); nothing of D1 closed before (N5 has none, N8 is D2's).
    assert (f["needs-closed"].value, f["needs-closed"].before) == ("2", "0")
    assert f["needs-days_to_close"].value == "3" and f["needs-days_to_close"].before is None
    assert number(f["needs-on_time"].value) == pytest.approx(1 / 2) and f["needs-on_time"].before is None
    # Follow-ups: N1 满意, N2 不满意 and 基本满意; none before.
    assert number(f["needs-satisfied"].value) == pytest.approx(2 / 3) and f["needs-satisfied"].before is None
    assert (f["needs-reopened"].value, f["needs-reopened"].before) == ("1", "0")
    assert values(table(text, "needs-by_department")) == {"综合业务科": 1}


def test_the_officer_filter(client, auth, world):
    auth.login("manager")
    text = get(client, dashboard_url(world.campaign, officer=world.o2.id, **P))
    f = figures(text)
    # O2's needs: N4, N5, N6. Raised: N4; before: N5, N6. Overdue: N6.
    assert (f["needs-raised"].value, f["needs-raised"].before, f["needs-overdue"].value) == ("1", "2", "1")
    # Closed: N4 (1 wd, on time); before N5 (2 wd, on time).
    assert (f["needs-closed"].value, f["needs-closed"].before) == ("1", "1")
    assert (f["needs-days_to_close"].value, f["needs-days_to_close"].before) == ("1", "2 working days")
    assert number(f["needs-on_time"].value) == 1 and f["needs-on_time"].before == "100.0%"
    # No follow-up of O2's needs in October; N5 满意 before.
    assert f["needs-satisfied"].value == "" and f["needs-satisfied"].before is None
    assert (f["needs-reopened"].value, f["needs-reopened"].before) == ("0", "0")
    # O2's plans: F2's draft, one measure not started.
    assert f["plans-count"].value == "1" and number(f["plans-approved"].value) == 0
    assert number(f["plans-measures_done"].value) == 0


# The plans section -----------------------------------------------------------------------------------
def test_plans_figures_and_tables(client, auth, world):
    auth.login("manager")
    text = get(client, dashboard_url(world.campaign, **P))
    f = figures(text)
    # F1's plan (being carried out) and F2's draft: 2 plans, 1 approved or later; 1 of 3 measures done.
    assert f["plans-count"].value == "2" and f["plans-count"].before is None
    assert number(f["plans-approved"].value) == pytest.approx(1 / 2)
    assert number(f["plans-measures_done"].value) == pytest.approx(1 / 3)
    assert values(table(text, "plans-by_status")) == {"Draft": 1, "Awaiting approval": 0, "Approved": 0,
                                                      "Being carried out": 1, "Completed": 0}
    assert values(table(text, "plans-measures_by_status")) == {"Not started": 2, "Under way": 0,
                                                               "Carried into effect": 1}
    # A snapshot: another period gives the same plans.
    assert figures(get(client, dashboard_url(world.campaign, **Q)))["plans-count"].value == "2"


# Drill-downs -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("filtered_by", [None, "department", "officer"])
def test_every_count_links_to_a_list_of_as_many(client, auth, world, filtered_by):
    args = dict(P)
    if filtered_by == "department":
        args["department"] = world.d1.id
    elif filtered_by == "officer":
        args["officer"] = world.o1.id
    auth.login("manager")
    text = get(client, dashboard_url(world.campaign, **args))
    f = figures(text)
    for key in ("needs-raised", "needs-overdue", "needs-closed", "needs-reopened", "plans-count"):
        assert listing_rows(client, f[key].link) == int(f[key].value), key
    # The share closed on time lists those closed late; the satisfied share all the follow-ups it is a share of.
    closed = int(f["needs-closed"].value)
    late = listing_rows(client, f["needs-on_time"].link)
    if closed:
        assert (closed - late) / closed == pytest.approx(number(f["needs-on_time"].value))
    follow_ups = sum(values(table(text, "needs-satisfaction")).values())
    assert listing_rows(client, f["needs-satisfied"].link) == follow_ups
    measures = sum(values(table(text, "plans-measures_by_status")).values())
    assert listing_rows(client, f["plans-measures_done"].link) == measures
    for key in ("needs-by_status", "needs-by_category", "needs-by_department", "needs-satisfaction",
                "plans-by_status", "plans-measures_by_status"):
        for row in table(text, key):
            assert row.link and listing_rows(client, row.link) == int(row.value), (key, row.label)


def test_listings_show_the_needs_with_their_links(client, auth, world):
    auth.login("manager")
    url = f"/reports/campaigns/{world.campaign.id}/list/needs.closed?from=2019-10-01&to=2019-10-31"
    text = get(client, url)
    n1, n2, _n3, n4 = world.needs[:4]
    for need in (n1, n2, n4):
        assert f'href="/needs/{need.id}"' in text
    assert "Tariff section" not in text and "综合业务科" in text and world.f1.name in text
    late = get(client, url.replace("needs.closed", "needs.late"))
    assert f'href="/needs/{n2.id}"' in late and f'href="/needs/{n1.id}"' not in late
    plan_list = get(client, f"/reports/campaigns/{world.campaign.id}/list/plans.all?status=in_progress")
    assert "1/2" in plan_list and world.f1.name in plan_list


@pytest.mark.parametrize("key,args", [
    ("needs.all", "status=bogus"), ("needs.all", "category=abc"), ("needs.all", "category=999999"),
    ("needs.all", "department=elsewhere"), ("needs.followups", "satisfaction=ecstatic"),
    ("plans.all", "status=lost"), ("measures.all", "status=%00x"), ("needs.all", "category=99999999999999999999"),
])
def test_an_unknown_listing_argument_lists_nothing(client, auth, world, key, args):
    auth.login("manager")
    response = client.get(f"/reports/campaigns/{world.campaign.id}/list/{key}?from=2019-08-01&to=2019-10-31&{args}")
    if response.status_code == 400:  # NUL is refused before any view (tracker/security.py)
        return
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert text.split('id="listing"')[1].split("<tbody>")[1].split("</tbody>")[0].count("<tr>") == 0


def test_needs_all_without_arguments_lists_the_needs_raised(client, auth, world):
    auth.login("manager")
    assert listing_rows(client, f"/reports/campaigns/{world.campaign.id}/list/needs.all?from=2019-10-01"
                                "&to=2019-10-31") == 3


# Who sees what ---------------------------------------------------------------------------------------
def test_a_bayuquan_manager_sees_nothing_of_yingkou(client, auth, world):
    manager = world.factory.user(Role.MANAGER, world.fb.office, username="byq-manager", locale="en")
    db.session.commit()
    auth.login(manager.username)
    for url in (dashboard_url(world.campaign, **P),
                f"/reports/campaigns/{world.campaign.id}/list/needs.all?from=2019-10-01&to=2019-10-31"):
        assert client.get(url).status_code == 404
    # His own campaign: the one need of 鲅鱼圈's (N9 is in 营口's campaign) and FB's plan.
    f = figures(get(client, dashboard_url(world.byq_campaign, **P)))
    assert (f["needs-raised"].value, f["needs-closed"].value, f["needs-reopened"].value) == ("1", "0", "0")
    assert f["plans-count"].value == "1"
    auth.logout()
    auth.login("manager")
    assert client.get(dashboard_url(world.byq_campaign, **P)).status_code == 404


@pytest.mark.parametrize("username", ["yalisi", "officer"])
def test_contacts_and_officers_are_refused(client, auth, world, username):
    auth.login(username)
    assert client.get(dashboard_url(world.campaign, **P)).status_code == 403
    assert client.get(f"/reports/campaigns/{world.campaign.id}/list/needs.overdue").status_code == 403


# Cost ------------------------------------------------------------------------------------------------
def _more(world, n: int) -> None:
    """More of everything the sections read: needs in new departments and categories, follow-ups, plans."""
    factory = world.factory
    office = world.f1.office
    categories = db.session.scalars(sa.select(NeedCategory).order_by(NeedCategory.id)).all()
    for i in range(n):
        firm = factory.enterprise(office, assigned_officer=world.o1)
        department = Department(office=office, name=f"新科室{firm.id}")
        db.session.add(department)
        visit = factory.visit(firm, [world.o1], campaign_id=world.campaign.id)
        need = factory.need(firm, categories[i % len(categories)], world.o1, raised_on=d(10, 8), visit=visit,
                            department=department, deadline=d(10, 18))
        services.accept(need)
        services.resolve(need, "已处理", now=at(d(10, 9 + i % 5)))
        services.record_follow_up(need, d(10, 21), list(Satisfaction)[i % 3])
        factory.need(firm, categories[0], world.o1, raised_on=d(10, 9), visit=visit)
        plan = factory.plan(firm, world.campaign, world.o1, measures=2)
        plans.submit(plan, world.o1)
    db.session.commit()


def test_statements_do_not_grow_with_the_data(app, client, auth, world):
    auth.login("manager")
    urls = [dashboard_url(world.campaign, **P), dashboard_url(world.campaign, department=world.d1.id, **P)]
    urls += [f"/reports/campaigns/{world.campaign.id}/list/{key}?from=2019-10-01&to=2019-10-31"
             for key in ("needs.all", "needs.closed", "needs.followups", "plans.all", "measures.all")]
    before = [query_count(app, client, url) for url in urls]
    _more(world, 12)
    assert [query_count(app, client, url) for url in urls] == before


def test_each_section_costs_a_bounded_number_of_statements(app, world):
    from tracker.reports import needs as report_needs
    from tracker.reports.scope import ReportFilters, ReportScope

    campaign = db.session.get(type(world.campaign), world.campaign.id)
    user = db.session.get(type(world.o1), world.o1.id)
    # The scope's own lookups (offices of the campaign and the user) are loaded before counting.
    assert campaign.office.path and user.office.path
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.test_request_context():
        from werkzeug.datastructures import MultiDict

        filters = ReportFilters.parse(MultiDict(P), campaign, user, date.today())
        scope = ReportScope(campaign, user, filters, date.today())
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            section = report_needs.needs_section(scope)
            needs_statements = len(statements)
            report_needs.plans_section(scope)
            plans_statements = len(statements) - needs_statements
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
    assert needs_statements <= 5 and plans_statements <= 2, (needs_statements, plans_statements)
    assert section.figure("needs.raised").value == 3


# The service keeps the finish columns -----------------------------------------------------------------
def reload(need: Need) -> Need:
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Need, need.id)


def test_resolving_reopening_and_explaining_set_and_clear_the_finish(app, cast, firm, category, factory):
    need = factory.need(firm, category, cast.officer, raised_on=d(9, 27))
    assert need.deadline == d(10, 8)  # 3 working days: 09-29 (make-up Sunday), 09-30, then 10-08
    services.accept(need)
    assert (need.finished_on, need.working_days_to_close) == (None, None)
    # Resolved at 23:30 on 10-07 in Yingkou (15:30 UTC): the local day counts, in the National Day holiday.
    services.resolve(need, "已处理", now=at(d(10, 7), 23).replace(minute=30))
    need = reload(need)
    assert (need.finished_on, need.working_days_to_close) == (d(10, 7), 2)
    services.record_follow_up(need, d(10, 9), Satisfaction.DISSATISFIED)
    need = reload(need)
    assert need.status is NeedStatus.IN_PROGRESS
    assert (need.finished_on, need.working_days_to_close) == (None, None)
    services.resolve(need, "再次处理", now=at(d(10, 12)))  # a make-up Saturday
    need = reload(need)
    assert (need.finished_on, need.working_days_to_close) == (d(10, 12), 7)  # 09-29, 09-30, 10-08..12
    services.record_follow_up(need, d(10, 14), Satisfaction.SATISFIED)
    services.close_off(need)
    need = reload(need)
    assert need.status is NeedStatus.CLOSED and (need.finished_on, need.working_days_to_close) == (d(10, 12), 7)

    explained = factory.need(firm, category, cast.officer, raised_on=d(9, 30))
    services.mark_unresolvable(explained, "政策不允许", now=at(d(10, 8)))
    explained = reload(explained)
    assert explained.status is NeedStatus.UNRESOLVABLE
    assert (explained.finished_on, explained.working_days_to_close) == (d(10, 8), 1)


def test_the_migration_fills_in_the_finished_needs_as_the_service_does(app, world):
    path = Path(__file__).parents[1] / "tracker" / "migrations" / "versions" / "5d1e8c3a9f27_needs_finished_on.py"
    spec = importlib.util.spec_from_file_location("needs_finished_on", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    kept = {i: (f, w) for i, f, w in db.session.execute(sa.select(Need.id, Need.finished_on,
                                                                   Need.working_days_to_close))}
    assert sum(1 for f, _w in kept.values() if f is not None) == 5  # N1, N2, N4, N5, N8 (N9 was reopened)
    db.session.execute(sa.update(Need).values(finished_on=None, working_days_to_close=None))
    migration.BATCH = 2  # several batches
    migration._fill(db.session.connection())
    db.session.commit()
    again = {i: (f, w) for i, f, w in db.session.execute(sa.select(Need.id, Need.finished_on,
                                                                    Need.working_days_to_close))}
    assert again == kept
    n1, n2, *_ = world.needs
    assert kept[n1.id] == (d(10, 8), 3) and kept[n2.id] == (d(10, 15), 9) and kept[world.needs[7].id] == (d(9, 20), 15)


def test_departments_of_the_same_name_are_told_apart_by_their_office(client, auth, world):
    """A report over 大连海关's subtree holds 营口's and 鲅鱼圈's 综合业务科 apart."""
    factory = world.factory
    org = world.f1.office.parent
    campaign = factory.campaign(org, name="大连关区百企大调研")
    byq_department = Department(office=world.fb.office, name="综合业务科")
    db.session.add(byq_department)
    for firm, department, officer in ((world.f1, world.d1, world.o1), (world.fb, byq_department, None)):
        visit = factory.visit(firm, [world.o1], campaign_id=campaign.id)
        factory.need(firm, world.cat_a, officer, raised_on=d(10, 8), visit=visit, department=department)
    db.session.commit()
    auth.login("manager-dl")
    rows = table(get(client, dashboard_url(campaign, **P)), "needs-by_department")
    assert sorted((r.label, int(r.value)) for r in rows) == [("Bayuquan Customs · 综合业务科", 1),
                                                             ("Yingkou Customs · 综合业务科", 1)]
    assert {r.args["department"] for r in rows} == {str(world.d1.id), str(byq_department.id)}
    for row in rows:
        assert listing_rows(client, row.link) == 1
