"""An officer's own dashboard: his firms, his open and overdue needs, his visits this month and today's counter,
each number checked against a fixture counted by hand, each linking to the list that shows the same rows; a
contact is refused, another officer's work is not counted, and the page's statements do not grow with data."""
import re
from datetime import date, datetime, timezone

import pytest

from tests.conftest import certificate, local, query_count
from tracker.appointments import services as counter
from tracker.extensions import db
from tracker.needs import services as need_services
from tracker.reports import routes

TODAY = date(2019, 9, 30)  # a Monday
NOW = local(TODAY, 10)


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(routes, "local_today", lambda: TODAY)
    monkeypatch.setattr(need_services, "local_today", lambda: TODAY)
    monkeypatch.setattr(counter, "clock", lambda: NOW)


def figure(html: str, element_id: str) -> int:
    match = re.search(rf'id="{element_id}" data-value="(\d+)"', html)
    assert match, element_id
    return int(match.group(1))


@pytest.fixture
def workload(cast, factory, category):
    officer, other = cast.officer, cast.officer_byq
    org = cast.org
    officer.locale = "en"
    mine = [factory.enterprise(org.yingkou, assigned_officer=officer) for _ in range(3)]
    mine[0].is_key = True
    theirs = factory.enterprise(org.bayuquan, assigned_officer=other)
    # Needs: two open ones of his (one overdue since 2019-09-27, one due 2019-10-08), one resolved, and an
    # overdue one of the other officer's that is not his to count.
    overdue = factory.need(mine[0], category, officer, raised_on=date(2019, 9, 20))
    open_one = factory.need(mine[1], category, officer, raised_on=date(2019, 9, 29))
    done = factory.need(mine[2], category, officer, raised_on=date(2019, 9, 2))
    need_services.accept(done, by=officer)
    need_services.resolve(done, "已办结", by=officer)
    factory.need(theirs, category, other, raised_on=date(2019, 9, 2))
    # Visits: two this month (September) to two firms, one last month, and one of the other officer's.
    at = lambda d: datetime(2019, d.month, d.day, 2, tzinfo=timezone.utc)  # noqa: E731
    factory.visit(mine[0], [officer], when=at(date(2019, 9, 3)))
    factory.visit(mine[1], [officer, other], when=at(date(2019, 9, 27)))
    factory.visit(mine[1], [officer], when=at(date(2019, 8, 30)))
    factory.visit(theirs, [other], when=at(date(2019, 9, 10)))
    # Today's counter at his office: one walk-in waiting, one served.
    point = counter.create_service_point(org.yingkou, name="营口海关原产地证窗口", windows=1, capacity=2, now=NOW)
    waiting = counter.walk_in(point, by=officer, enterprise=mine[0], certificate_type=certificate(),
                              destination_country="ID", quantity=1, now=NOW)
    served = counter.walk_in(point, by=officer, enterprise=mine[1], certificate_type=certificate(),
                             destination_country="JP", quantity=1, now=NOW)
    counter.start(served, by=officer, now=NOW)
    counter.complete(served, [(certificate(), 1)], by=officer, now=NOW)
    db.session.commit()
    return dict(officer=officer, overdue=overdue, open_one=open_one, waiting=waiting, point=point)


def test_the_officer_reads_his_own_figures_and_follows_them_to_their_lists(client, auth, workload):
    auth.login("officer")
    html = client.get("/reports/mine").get_data(as_text=True)
    assert figure(html, "my-firms") == 3  # his three firms; the 鲅鱼圈 officer's firm is not his
    assert figure(html, "my-open-needs") == 2  # the resolved one and the other officer's are not counted
    assert figure(html, "my-overdue-needs") == 1  # deadline 2019-09-27 (3 working days after 09-20) < 09-30
    assert figure(html, "my-visits") == 2  # 09-03 and 09-27; the August one is last month's
    assert "2 firms · last month 1" in html
    assert 'data-count="waiting">1<' in html and 'data-count="served">1<' in html
    # The most urgent need first, marked overdue; each figure links to the list of the same rows.
    needs = html[html.index('id="my-needs"'):]
    first = needs[:needs.index("</li>")]
    assert f"/needs/{workload['overdue'].id}" in first and "· overdue" in first
    officer_id = workload["officer"].id
    needs_list = client.get(f"/needs/?officer={officer_id}&overdue=1").get_data(as_text=True)
    assert f'href="/needs/?officer={officer_id}&amp;overdue=1"' in html
    assert f'href="/needs/{workload["overdue"].id}"' in needs_list
    assert f'href="/needs/{workload["open_one"].id}"' not in needs_list
    assert f'/visits/?officer={officer_id}&amp;from=2019-09-01&amp;to=2019-09-30' in html


def test_contacts_are_refused_and_statements_do_not_grow_with_the_workload(client, auth, workload, factory, cast,
                                                                           category):
    auth.login("yalisi")
    assert client.get("/reports/mine").status_code == 403
    auth.logout()
    auth.login("officer")
    before = query_count(client.application, client, "/reports/mine")
    for _ in range(15):
        firm = factory.enterprise(cast.org.yingkou, assigned_officer=cast.officer)
        factory.need(firm, category, cast.officer, raised_on=date(2019, 9, 25))
        factory.visit(firm, [cast.officer], when=datetime(2019, 9, 12, 2, tzinfo=timezone.utc))
    db.session.commit()
    assert query_count(client.application, client, "/reports/mine") == before
