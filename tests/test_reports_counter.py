"""The report's certificate-counter section (tracker/reports/counter.py) against a fixture computed by hand.

营口's counter, June 2019 (the period; the week of Monday 06-10 and one day of the week of 06-24) and May 2019
(the period before, 05-02 to 05-31, same length). Every appointment is made through the counter's services
with its own clock (``now=``), as the counter's pages make them. Times are Yingkou's.

June (营口):
  A1  雅丽丝 booked Mon 06-10 09:00, in 08:50, called 09:05, done 09:25   wait 15, handling 20; FORM_E x2 to ID;
      sailing 06-13 (day + 3: not at risk); 好评
  A2  雅丽丝 booked Mon 06-10 10:00, in 09:55, called 10:25, start 10:30, done 11:10   wait 30, handling 40;
      FORM_E x1 + CO x3 to AU; sailing 06-11 (at risk, served in time); 差评 due 06-11, answered 06-13: late
  A3  firm B booked Tue 06-11 09:00, in 08:55, called 09:00, done 09:10   wait 5, handling 10; CO x1 to AU;
      sailing 06-13 (day + 2: at risk, served in time); 差评 due 06-12, answered 06-12: on time
  A4  firm C booked Wed 06-12 09:00, nobody came: no-show; sailing 06-13 (at risk, not served)
  A5  firm B booked Wed 06-12 10:00, in 09:50, turned away 10:10 (documents missing)   wait 20 (no handling)
  A6  walk-in visitor Thu 06-13, in 09:00, called 09:10, done 09:40 by officer 2   wait 10, handling 30;
      FORM_E x1 to JP
  A7  firm C booked Thu 06-13 10:00, in 09:58, called 10:00, started, turned away 10:20 (system outage) by
      officer 2   wait 2 (a wasted trip has no handling time)
  A8  firm B booked Fri 06-14 09:00, sailing 06-13 (before its day: at risk, served too late), in 08:55,
      called 09:30, done 09:50   wait 35, handling 20; FORM_E x2 to ID
  A9  firm C booked Fri 06-14 10:00, sailing 06-15, cancelled: counted nowhere
  A10 firm C booked Mon 06-24 09:00, in 08:50, called 09:00, done 09:15   wait 10, handling 15; CO x1 to US
May (营口):
  M1  雅丽丝 booked Mon 05-13 09:00, in 08:55, called 09:15, done 10:15   wait 20, handling 60; FORM_E x5 to ID;
      sailing 05-14 (at risk, in time); 好评
  M2  firm B booked Mon 05-13 10:00: no-show
  M3  firm C booked Tue 05-14 09:00, in 08:50, called 09:00, turned away 09:05 (documents missing)   wait 10
鲅鱼圈 (another office, outside 营口's subtree): B1 booked Tue 06-11 09:00 and served, FORM_E x7 to KR.
"""
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import certificate, local, query_count, slot_at
from tracker.appointments import services as counter
from tracker.appointments.models import WastedReason
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.reports import counter as section_module
from tracker.reports.scope import ReportFilters, ReportScope

JUNE = "from=2019-06-01&to=2019-06-30"
BEGINNING = local(date(2019, 5, 6), 8)  # the counters opened, and their slots were made


def D(month: int, day: int) -> date:
    return date(2019, month, day)


def book(point, day: date, hh: int, firm, by, sailing: date | None, code="FORM_E", country="ID", quantity=1):
    """Booked a week before (within the 14-day window)."""
    return counter.book(slot_at(point, day, hh), firm, by=by, certificate_type=certificate(code),
                        destination_country=country, quantity=quantity, sailing_date=sailing,
                        now=local(day - timedelta(days=7), 9))


def serve(appt, officer, checked_in, called, finished, issued, started=None):
    """Through the counter's steps, each at its time: (hh, mm) on the appointment's day."""
    day = appt.day
    point = appt.service_point
    if not appt.walk_in:
        counter.check_in(appt, by=officer, now=local(day, *checked_in))
    counter.call(appt, point.windows[0], by=officer, now=local(day, *called))
    counter.start(appt, by=officer, now=local(day, *(started or called)))
    counter.complete(appt, [(certificate(code), n) for code, n in issued], by=officer, now=local(day, *finished))
    return appt


def waste(appt, officer, checked_in, wasted_at, reason, note=None, called=None):
    day = appt.day
    counter.check_in(appt, by=officer, now=local(day, *checked_in))
    if called is not None:
        counter.call(appt, appt.service_point.windows[0], by=officer, now=local(day, *called))
        counter.start(appt, by=officer, now=local(day, *called))
    counter.record_wasted(appt, reason, note, by=officer, now=local(day, *wasted_at))
    return appt


def make_point(office, name):
    point = counter.create_service_point(office, name=name, windows=2, capacity=3, now=BEGINNING)
    counter.materialize_slots(point, D(6, 1), D(6, 30), now=BEGINNING)
    return point


@pytest.fixture
def fx(cast, factory):
    """The fixture of the module's docstring; returns its records by name."""
    cast.manager.locale = "en"
    officer, officer2 = cast.officer, factory.user(Role.OFFICER, cast.org.yingkou, username="officer2")
    yalisi = cast.contact.enterprise
    firm_b = factory.enterprise(cast.org.yingkou, name="营口乙贸易有限公司")
    contact_b = factory.user(Role.ENTERPRISE_CONTACT, enterprise=firm_b, username="contact-b")
    firm_c = factory.enterprise(cast.org.yingkou, name="营口丙贸易有限公司")
    point = make_point(cast.org.yingkou, "营口海关原产地证窗口")
    byq_point = make_point(cast.org.bayuquan, "鲅鱼圈海关原产地证窗口")
    campaign = factory.campaign(cast.org.yingkou)

    a = {}
    a[1] = serve(book(point, D(6, 10), 9, yalisi, cast.contact, D(6, 13), country="ID", quantity=2), officer,
                 (8, 50), (9, 5), (9, 25), [("FORM_E", 2)])
    a[2] = serve(book(point, D(6, 10), 10, yalisi, cast.contact, D(6, 11), country="AU", quantity=4), officer,
                 (9, 55), (10, 25), (11, 10), [("FORM_E", 1), ("CO", 3)], started=(10, 30))
    a[3] = serve(book(point, D(6, 11), 9, firm_b, officer, D(6, 13), code="CO", country="AU"), officer,
                 (8, 55), (9, 0), (9, 10), [("CO", 1)])
    a[4] = book(point, D(6, 12), 9, firm_c, officer, D(6, 13))
    counter.record_no_show(a[4], by=officer, now=local(D(6, 12), 10))
    a[5] = waste(book(point, D(6, 12), 10, firm_b, officer, D(6, 25)), officer, (9, 50), (10, 10),
                 WastedReason.DOCUMENTS_MISSING, "缺少发票")
    a[6] = counter.walk_in(point, by=officer2, visitor_name="营口临时来访公司", certificate_type=certificate(),
                           destination_country="JP", quantity=1, now=local(D(6, 13), 9))
    serve(a[6], officer2, None, (9, 10), (9, 40), [("FORM_E", 1)])
    a[7] = waste(book(point, D(6, 13), 10, firm_c, officer, D(6, 20)), officer2, (9, 58), (10, 20),
                 WastedReason.SYSTEM_OUTAGE, "电子签章系统中断", called=(10, 0))
    a[8] = serve(book(point, D(6, 14), 9, firm_b, officer, D(6, 13), quantity=2), officer,
                 (8, 55), (9, 30), (9, 50), [("FORM_E", 2)])
    a[9] = book(point, D(6, 14), 10, firm_c, officer, D(6, 15))
    counter.cancel(a[9], by=officer, now=local(D(6, 10), 9))
    a[10] = serve(book(point, D(6, 24), 9, firm_c, officer, D(7, 5), code="CO", country="US"), officer,
                  (8, 50), (9, 0), (9, 15), [("CO", 1)])
    # May, the period before.
    m = {}
    m[1] = serve(counter.book(slot_at(point, D(5, 13), 9), yalisi, by=cast.contact, certificate_type=certificate(),
                              destination_country="ID", quantity=5, sailing_date=D(5, 14), now=BEGINNING),
                 officer, (8, 55), (9, 15), (10, 15), [("FORM_E", 5)])
    m[2] = counter.book(slot_at(point, D(5, 13), 10), firm_b, by=officer, certificate_type=certificate(),
                        destination_country="ID", quantity=1, sailing_date=D(6, 1), now=BEGINNING)
    counter.record_no_show(m[2], by=officer, now=local(D(5, 13), 11))
    m[3] = counter.book(slot_at(point, D(5, 14), 9), firm_c, by=officer, certificate_type=certificate(),
                        destination_country="ID", quantity=1, sailing_date=D(5, 30), now=BEGINNING)
    waste(m[3], officer, (8, 50), (9, 5), WastedReason.DOCUMENTS_MISSING, called=(9, 0))
    # 鲅鱼圈's counter.
    byq = serve(book(byq_point, D(6, 11), 9, cast.contact_byq.enterprise, cast.officer_byq, D(6, 20),
                     country="KR", quantity=7), cast.officer_byq, (8, 55), (9, 0), (9, 20), [("FORM_E", 7)])
    # Ratings: 好评 of A1 and M1, 差评 of A2 (due 06-11, answered 06-13: late) and A3 (due 06-12, answered then).
    counter.rate(a[1], good=True, comment=None, by=cast.contact, now=local(D(6, 10), 10))
    counter.rate(m[1], good=True, comment=None, by=cast.contact, now=local(D(5, 13), 11))
    late = counter.rate(a[2], good=False, comment="等候太久", by=cast.contact, now=local(D(6, 10), 11, 30))
    assert late.answer_due == D(6, 11)
    counter.answer(late, "已改进叫号", by=cast.manager, now=local(D(6, 13), 9))
    on_time = counter.rate(a[3], good=False, comment="窗口少", by=contact_b, now=local(D(6, 11), 10))
    assert on_time.answer_due == D(6, 12)
    counter.answer(on_time, "已增开窗口", by=cast.manager, now=local(D(6, 12), 16))
    db.session.commit()
    return dict(a=a, m=m, byq=byq, campaign=campaign, point=point, byq_point=byq_point, officer2=officer2,
                firms=(yalisi, firm_b, firm_c))


# Reading the page -------------------------------------------------------------------------------------------
def figures(client, url: str) -> dict[str, str]:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    return {key.replace("-", "."): value for key, value in
            re.findall(r'id="figure-(counter-[a-z0-9_-]+)" data-value="([^"]*)"', html)}


def number(value: str):
    return None if value == "" else float(value)


def listing_rows(client, campaign, key: str, args: str = "") -> int:
    response = client.get(f"/reports/campaigns/{campaign.id}/list/{key}?{JUNE}&{args}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    body = html.split('id="listing"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.count("<tr") - body.count('class="rl-empty"')


def counter_section(campaign, user, args: dict, today=date(2026, 1, 5)):
    """The section as the dashboard builds it, for the figures' previous values and the tables."""
    filters = ReportFilters.parse(args, campaign, user, today)
    return section_module.sections(ReportScope(campaign, user, filters, today))[0]


# Every figure of June, and May's beside it --------------------------------------------------------------------
EXPECTED = {
    # key: (June, May)
    "counter.booked": (8, 3),  # A1-A5, A7, A8, A10 (A6 walked in, A9 cancelled); M1-M3
    "counter.served": (6, 1),  # A1, A2, A3, A6, A8, A10; M1
    "counter.no_show_rate": (1 / 8, 1 / 3),  # A4 of the 8 booked, all days passed; M2 of 3
    "counter.walk_ins": (1, 0),  # A6
    "counter.waiting_mean": (127 / 8, 15),  # (15+30+5+20+10+2+35+10) / 8; (20+10) / 2
    "counter.waiting_p90": (35, 20),  # rank ceil(8 x 0.9) = 8 of 2,5,10,10,15,20,30,35; rank 2 of 10,20
    "counter.handling_mean": (22.5, 60),  # (20+40+10+30+20+15) / 6, served only; M1's 60
    "counter.handling_p90": (40, 60),  # rank 6 of 10,15,20,20,30,40
    "counter.wasted": (2, 1),  # A5, A7; M3
    "counter.at_risk": (4, 1),  # A2 (+1 day), A3 (+2), A4 (+1), A8 (-1); not A1 (+3) nor A9 (cancelled); M1
    "counter.at_risk_in_time": (2 / 4, 1.0),  # A2 and A3 served by their sailing; A4 never, A8 after it
    "counter.certificates": (11, 5),  # 2 + (1+3) + 1 + 1 + 2 + 1; M1's 5
    "counter.good": (1, 1),  # A1; M1
    "counter.poor": (2, 0),  # A2, A3
    "counter.poor_late": (1, 0),  # A2 (answered 06-13, due 06-11); A3 answered on its due day
}


def test_every_figure_of_the_period_on_the_page(client, auth, fx):
    auth.login("manager")
    found = figures(client, f"/reports/campaigns/{fx['campaign'].id}?{JUNE}")
    assert set(found) == set(EXPECTED)
    for key, (june, _may) in EXPECTED.items():
        assert number(found[key]) == pytest.approx(june), key


def test_the_period_before(app, fx, cast):
    with app.test_request_context("/"):
        s = counter_section(fx["campaign"], cast.manager, {"from": "2019-06-01", "to": "2019-06-30"})
    assert s.key == "counter" and s.title
    for key, (june, may) in EXPECTED.items():
        f = s.figure(key)
        assert f.value == pytest.approx(june), key
        assert f.previous == pytest.approx(may), key
    kinds = {f.key: (f.kind, f.better) for f in s.figures}
    assert kinds["counter.no_show_rate"] == ("share", "down")
    assert kinds["counter.waiting_p90"] == ("minutes", "down")
    assert kinds["counter.handling_mean"] == ("minutes", "down")
    assert kinds["counter.wasted"][1] == "down" and kinds["counter.poor_late"][1] == "down"
    assert kinds["counter.at_risk_in_time"][0] == "share"


def test_the_tables(app, fx, cast):
    with app.test_request_context("/"):
        s = counter_section(fx["campaign"], cast.manager, {"from": "2019-06-01", "to": "2019-06-30"})
    weeks = s.table("counter.weeks")
    assert weeks.chart == "line"
    # Every ISO week touching June, from Monday 05-27; booked, served, walk-ins, no-shows.
    assert [(r.key, r.values) for r in weeks.rows] == [
        ("2019-05-27", [0, 0, 0, 0]), ("2019-06-03", [0, 0, 0, 0]), ("2019-06-10", [7, 5, 1, 1]),
        ("2019-06-17", [0, 0, 0, 0]), ("2019-06-24", [1, 1, 0, 0])]
    reasons = s.table("counter.wasted_reasons")
    assert reasons.chart == "bar"
    assert [(r.key, r.values) for r in reasons.rows] == [
        ("documents_missing", [1]), ("system_outage", [1]), ("wrong_certificate_type", [0]), ("other", [0])]
    # Certificates, services: FORM_E 2+1+1+2 in A1, A2, A6, A8; CO 3+1+1 in A2, A3, A10 (CO sorts first).
    types = s.table("counter.certificate_types")
    assert [(r.listing_args["type"], r.values) for r in types.rows] == [
        (str(certificate("CO").id), [5, 3]), (str(certificate("FORM_E").id), [6, 4])]
    # AU 4+1 (A2, A3), ID 2+2 (A1, A8), then JP and US with one each, by code.
    destinations = s.table("counter.destinations")
    assert [(r.key, r.values) for r in destinations.rows] == [
        ("AU", [5, 2]), ("ID", [4, 2]), ("JP", [1, 1]), ("US", [1, 1])]
    # The two lists shown in full.
    wasted, late = s.lists
    assert wasted.total == 2 and [a.id for a in wasted.rows] == [fx["a"][5].id, fx["a"][7].id]
    assert late.total == 1 and [r.appointment_id for r in late.rows] == [fx["a"][2].id]


def test_country_names_and_the_others_row(app, client, auth, fx, cast, monkeypatch):
    monkeypatch.setattr(section_module, "TOP_COUNTRIES", 2)
    with app.test_request_context("/"):
        s = counter_section(fx["campaign"], cast.manager, {"from": "2019-06-01", "to": "2019-06-30"})
    rows = s.table("counter.destinations").rows
    assert [(r.key, r.values) for r in rows] == [("AU", [5, 2]), ("ID", [4, 2]), ("others", [2, 2])]
    auth.login("manager")
    html = client.get(f"/reports/campaigns/{fx['campaign'].id}?{JUNE}").get_data(as_text=True)
    table = html.split('id="table-counter-destinations"', 1)[1].split("</figure>", 1)[0]
    assert "Australia" in table and "Indonesia" in table and "Other countries (2)" in table
    # The others row lists the services to JP and US.
    assert listing_rows(client, fx["campaign"], "certificates.issued", "country=others") == 2


def test_the_wasted_trips_and_late_answers_are_listed_on_the_dashboard(client, auth, fx):
    auth.login("manager")
    html = client.get(f"/reports/campaigns/{fx['campaign'].id}?{JUNE}").get_data(as_text=True)
    wasted = html.split('id="list-appointments-wasted"', 1)[1].split("</figure>", 1)[0]
    assert "营口乙贸易有限公司" in wasted and "营口丙贸易有限公司" in wasted
    assert "Documents missing" in wasted and "System outage" in wasted
    assert "缺少发票" in wasted and "电子签章系统中断" in wasted
    assert f'/appointments/{fx["a"][5].id}"' in wasted
    late = html.split('id="list-ratings-all"', 1)[1].split("</figure>", 1)[0]
    assert "等候太久" in late and "窗口少" not in late
    assert "2019-06-13 09:00" in late  # the answer, in Yingkou's time


# Drill-downs equal their figures ------------------------------------------------------------------------------
def test_each_figure_and_row_lists_as_many_rows_as_it_counts(app, client, auth, fx, cast):
    auth.login("manager")
    campaign = fx["campaign"]
    with app.test_request_context("/"):
        s = counter_section(campaign, cast.manager, {"from": "2019-06-01", "to": "2019-06-30"})
    from urllib.parse import urlencode

    # Counts: the listing has as many rows as the figure; shares: as many as their numerator.
    numerators = {"counter.no_show_rate": 1, "counter.at_risk_in_time": 2}
    # The certificates figure sums quantities; its list is the 6 services (its note says so).
    services = {"counter.certificates": 6}
    checked = 0
    for f in s.figures:
        if f.listing is None:
            continue
        expected = numerators.get(f.key, services.get(f.key, f.value))
        assert listing_rows(client, campaign, f.listing, urlencode(f.listing_args)) == expected, f.key
        checked += 1
    assert checked == 11
    for t in s.tables:
        for r in t.rows:
            # A weekly row lists its booked appointments; a certificates row its services (the last column).
            expected = r.values[-1] if t.key.startswith("counter.cert") or t.key == "counter.destinations" \
                else r.values[0]
            assert listing_rows(client, campaign, r.listing, urlencode(r.listing_args)) == expected, (t.key, r.key)
    # The other arguments the listings take.
    assert listing_rows(client, campaign, "appointments.all", "") == 9  # all but the cancelled A9
    assert listing_rows(client, campaign, "appointments.all", "status=cancelled") == 1
    assert listing_rows(client, campaign, "appointments.all", "status=no_show&week=2019-06-10") == 1
    assert listing_rows(client, campaign, "appointments.all", "walk_in=1&status=completed") == 1
    assert listing_rows(client, campaign, "appointments.at_risk", "in_time=0") == 2  # A4, A8
    assert listing_rows(client, campaign, "ratings.all", "") == 3
    assert listing_rows(client, campaign, "certificates.issued", f"type={certificate('CO').id}&country=AU") == 2


@pytest.mark.parametrize("key,args", [
    ("appointments.all", "status=nonsense"), ("appointments.all", "week=2019-06-11"),
    ("appointments.all", "week=junk"), ("appointments.all", "week=9999-12-27"), ("appointments.all", "walk_in=yes"),
    ("appointments.wasted", "reason=nonsense"), ("appointments.at_risk", "in_time=maybe"),
    ("certificates.issued", "type=abc"), ("certificates.issued", "type=99999999999"),
    ("certificates.issued", "country=Australia"), ("ratings.all", "good=2"), ("ratings.all", "late=0"),
])
def test_an_unknown_argument_gives_an_empty_listing(client, auth, fx, key, args):
    auth.login("manager")
    assert listing_rows(client, fx["campaign"], key, args) == 0


# Filters and the subtree ------------------------------------------------------------------------------------
def test_the_officer_filter_counts_what_he_served(app, client, auth, fx, cast):
    auth.login("manager")
    found = figures(client, f"/reports/campaigns/{fx['campaign'].id}?{JUNE}&officer={fx['officer2'].id}")
    # Officer 2 served the walk-in A6 and turned A7 away.
    expected = {"counter.booked": 1, "counter.served": 1, "counter.walk_ins": 1, "counter.wasted": 1,
                "counter.no_show_rate": 0.0, "counter.waiting_mean": 6, "counter.waiting_p90": 10,
                "counter.handling_mean": 30, "counter.handling_p90": 30, "counter.at_risk": 0,
                "counter.at_risk_in_time": None, "counter.certificates": 1, "counter.good": 0, "counter.poor": 0,
                "counter.poor_late": 0}
    assert {k: number(v) for k, v in found.items()} == pytest.approx(expected)
    assert listing_rows(client, fx["campaign"], "appointments.wasted", f"officer={fx['officer2'].id}") == 1
    with app.test_request_context("/"):
        s = counter_section(fx["campaign"], cast.manager, {"from": "2019-06-01", "to": "2019-06-30",
                                                           "officer": str(fx["officer2"].id)})
    assert s.figure("counter.served").previous == 0 and s.figure("counter.waiting_mean").previous is None


def test_the_office_filter_and_the_campaigns_subtree(client, auth, fx, cast, factory):
    # 营口's campaign never counts 鲅鱼圈's counter (outside its office's subtree): B1 is in none of the above.
    dalian = factory.campaign(cast.org.dalian, name="大连海关百企大调研")
    db.session.commit()
    auth.login("manager-dl")
    everything = figures(client, f"/reports/campaigns/{dalian.id}?{JUNE}")
    assert number(everything["counter.served"]) == 7 and number(everything["counter.certificates"]) == 18
    yingkou = figures(client, f"/reports/campaigns/{dalian.id}?{JUNE}&office={cast.org.yingkou.id}")
    assert number(yingkou["counter.served"]) == 6 and number(yingkou["counter.certificates"]) == 11
    bayuquan = figures(client, f"/reports/campaigns/{dalian.id}?{JUNE}&office={cast.org.bayuquan.id}")
    assert number(bayuquan["counter.served"]) == 1 and number(bayuquan["counter.certificates"]) == 7
    assert number(bayuquan["counter.wasted"]) == 0
    # The department filter does not apply to the counter (its section says so): the figures stay.
    department = cast.org.yingkou.departments[0]
    url = f"/reports/campaigns/{dalian.id}?{JUNE}&office={cast.org.yingkou.id}&department={department.id}"
    assert "report-problem" not in client.get(url).get_data(as_text=True)  # the filter was taken
    assert figures(client, url) == yingkou


def test_a_bayuquan_manager_sees_nothing_of_yingkou(client, auth, fx, cast, factory):
    factory.user(Role.MANAGER, cast.org.bayuquan, username="manager-byq")
    own = factory.campaign(cast.org.bayuquan, name="鲅鱼圈海关百企大调研")
    db.session.commit()
    auth.login("manager-byq")
    campaign = fx["campaign"]
    assert client.get(f"/reports/campaigns/{campaign.id}?{JUNE}").status_code == 404
    assert client.get(f"/reports/campaigns/{campaign.id}/list/appointments.wasted?{JUNE}").status_code == 404
    found = figures(client, f"/reports/campaigns/{own.id}?{JUNE}")
    assert number(found["counter.served"]) == 1 and number(found["counter.wasted"]) == 0
    assert number(found["counter.certificates"]) == 7
    # Asking for 营口 as the office of his own campaign is refused: still 鲅鱼圈 alone.
    found = figures(client, f"/reports/campaigns/{own.id}?{JUNE}&office={cast.org.yingkou.id}")
    assert number(found["counter.served"]) == 1


def test_a_contact_gets_403(client, auth, fx):
    auth.login("yalisi")
    assert client.get(f"/reports/campaigns/{fx['campaign'].id}?{JUNE}").status_code == 403
    assert client.get(f"/reports/campaigns/{fx['campaign'].id}/list/ratings.all?{JUNE}").status_code == 403


def test_the_no_show_rate_leaves_out_days_not_over(app, fx, cast):
    # On Wednesday 06-12 itself, A4's day is not over: of the bookings of 06-10 and 06-11 (A1, A2, A3) none
    # failed to come.
    with app.test_request_context("/"):
        s = counter_section(fx["campaign"], cast.manager, {"from": "2019-06-01", "to": "2019-06-30"},
                            today=D(6, 12))
    assert s.figure("counter.no_show_rate").value == 0.0
    assert s.figure("counter.booked").value == 8


# Cost -------------------------------------------------------------------------------------------------------
def test_the_section_costs_the_same_statements_as_data_grows(app, client, auth, fx, cast, factory):
    auth.login("manager")
    url = f"/reports/campaigns/{fx['campaign'].id}?{JUNE}"
    before = query_count(app, client, url)
    point = fx["point"]
    officer = cast.officer
    # More of everything: firms, bookings served with certificates of both types and countries, wasted trips,
    # no-shows, poor ratings late.
    for n, hh in enumerate((9, 10, 11, 14)):
        firm = factory.enterprise(cast.org.yingkou)
        contact = factory.user(Role.ENTERPRISE_CONTACT, enterprise=firm)
        done = serve(book(point, D(6, 17), hh, firm, officer, D(6, 18), country=("VN", "TH", "DE", "GB")[n]),
                     officer, (hh - 1, 50), (hh, 0), (hh, 20), [("FORM_E", 1), ("CO", 2)])
        counter.rate(done, good=False, comment="慢", by=contact, now=local(D(6, 17), 15))
        waste(book(point, D(6, 18), hh, firm, officer, D(6, 28)), officer, (hh - 1, 55), (hh, 5),
              WastedReason.OTHER, "其他原因")
        counter.record_no_show(book(point, D(6, 19), hh, firm, officer, D(6, 28)), by=officer,
                               now=local(D(6, 19), 16))
    db.session.commit()
    assert number(figures(client, url)["counter.wasted"]) == 6
    assert query_count(app, client, url) == before


def test_the_section_is_six_statements(app, fx, cast):
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.test_request_context("/"):
        filters = ReportFilters.parse({"from": "2019-06-01", "to": "2019-06-30"}, fx["campaign"], cast.manager,
                                      date(2026, 1, 5))
        scope = ReportScope(fx["campaign"], cast.manager, filters, date(2026, 1, 5))
        scope.root_office.path, cast.manager.office.path  # loaded before counting
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            section_module.sections(scope)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 6, statements


def test_a_page_of_a_listing_costs_the_same_statements_as_rows_grow(app, client, auth, fx, cast, factory):
    auth.login("manager")
    url = f"/reports/campaigns/{fx['campaign'].id}/list/appointments.all?{JUNE}"
    ratings_url = f"/reports/campaigns/{fx['campaign'].id}/list/ratings.all?{JUNE}"
    before, ratings_before = query_count(app, client, url), query_count(app, client, ratings_url)
    for hh in (9, 10, 11):
        firm = factory.enterprise(cast.org.yingkou)
        contact = factory.user(Role.ENTERPRISE_CONTACT, enterprise=firm)
        done = serve(book(fx["point"], D(6, 20), hh, firm, cast.officer, D(6, 28)), fx["officer2"],
                     (hh - 1, 50), (hh, 0), (hh, 20), [("CO", 1)])
        counter.rate(done, good=True, comment=None, by=contact, now=local(D(6, 20), 15))
    db.session.commit()
    assert query_count(app, client, url) == before
    assert query_count(app, client, ratings_url) == ratings_before


@pytest.mark.parametrize("n", [1, 2, 10, 71, 100])
def test_percentiles_by_is_the_nearest_rank_on_both_engines(app, n):
    # 0.55 x 100 is 55.00000000000001 in floats: the rank must still be 55, as SQLite's integer arithmetic has it.
    from tracker.reports import sql

    numbers = sa.union_all(*(sa.select(sa.literal(i * 3, sa.Integer).label("x")) for i in range(1, 2 * n + 1))) \
        .subquery()
    half = sa.case((numbers.c.x > 3 * n, "high"), else_="low")
    found = sql.percentiles_by(db.session, {"x": (numbers.c.x, half, [], numbers)}, percents=(50, 55, 90))
    low, high = [3 * i for i in range(1, n + 1)], [3 * i for i in range(n + 1, 2 * n + 1)]
    for group, values in (("low", low), ("high", high)):
        for p in (50, 55, 90):
            assert found[("x", group)][p] == values[-(-n * p // 100) - 1], (group, p)
