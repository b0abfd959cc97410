"""The monthly report (工作月报): the month and its comparison with the month before, the A4 print page and the
Word document with the same content, charts drawn on the server, and a bad month answered 400.

The figures come from tests/report_section_fixture.py; its docstring says why each number is what it is.
"""
import io
import re
from datetime import date
from urllib.parse import unquote

import pytest
from docx import Document

from tests.conftest import query_count
from tests.report_section_fixture import FORMULA_NAME, add_firms, make_survey
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.reports import charts, listings
from tracker.reports.figures import Row, Table
from tracker.reports.monthly import Month, parse_month

TITLE = "Yingkou Customs outreach survey: monthly report, June 2019"


@pytest.fixture
def survey(factory, cast, firm, monkeypatch):
    monkeypatch.setattr(listings, "SECTION_MODULES", (*listings.SECTION_MODULES, "tests.report_section_fixture"))
    return make_survey(factory, cast)


def url(survey, tail: str) -> str:
    return f"/reports/campaigns/{survey.campaign.id}{tail}"


# The month -------------------------------------------------------------------------------------------
def test_a_month_and_the_month_before():
    june = parse_month("2019-06", date(2026, 1, 1))
    assert (june.start, june.end, june.days, june.key) == (date(2019, 6, 1), date(2019, 6, 30), 30, "2019-06")
    # The month before is May, all 31 days of it (not the 30 days before June 1st).
    assert (june.previous().start, june.previous().end) == (date(2019, 5, 1), date(2019, 5, 31))
    assert Month.of(2020, 3).previous() == Month.of(2020, 2) and Month.of(2020, 2).end == date(2020, 2, 29)
    assert Month.of(2019, 1).previous() == Month.of(2018, 12) and Month.of(2018, 12).end == date(2018, 12, 31)
    assert parse_month(" 2019-6 ", date(2026, 1, 1)) == june
    # No month: the last whole month.
    assert parse_month(None, date(2019, 7, 15)) == june and parse_month("", date(2019, 7, 1)) == june
    for bad in ("2019-13", "2019-00", "1899-12", "3000-01", "june", "2019-06-01", "2019/06", "१९१९-06", "9" * 40):
        assert parse_month(bad, date(2026, 1, 1)) is None, bad


# The print page ----------------------------------------------------------------------------------------
def test_the_print_page(client, auth, survey):
    auth.login("manager")
    response = client.get(url(survey, "/monthly"), query_string={"month": "2019-06"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"<title>{TITLE}</title>" in html
    assert f'<h1 id="monthly-title">{TITLE}</h1>' in html
    assert "css/print.css" in html and "<nav" not in html  # no navigation: a page for paper
    scope = re.search(r'<p class="meta" id="monthly-scope">([^<]+)</p>', html).group(1)
    assert "2019-06-01 – 2019-06-30 (June 2019)" in scope and "2019-05-01 – 2019-05-31 (May 2019)" in scope
    assert "Yingkou Customs and the offices below it" in scope

    section = html[html.index('id="section-test"'):]
    assert "<h2>Test section</h2>" in section
    # June against May: 3 visits against 2 (May 1st and 20th), 2/3 of the roster visited against 2/3.
    visits = re.search(r'<tr id="figure-test-visits" data-value="3" data-previous="2">(.*?)</tr>', section, re.S)
    assert visits, "visits row"
    assert [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", visits.group(1))] == ["Visits", "3", "2", "+1"]
    shares = re.search(r'<tr id="figure-test-visited_share"[^>]*>(.*?)</tr>', section, re.S).group(1)
    assert re.findall(r"<td[^>]*>(.*?)</td>", shares) == ["Share of the roster visited", "66.7%", "66.7%", "0.0 points"]
    minutes = re.search(r'<tr id="figure-test-minutes"[^>]*>(.*?)</tr>', section, re.S).group(1)
    assert "21.8 min" in minutes and "14.5 min" in minutes and "+7.2 min" in minutes
    roster = re.search(r'<tr id="figure-test-roster"[^>]*>(.*?)</tr>', section, re.S).group(1)
    assert re.findall(r"<td[^>]*>(.*?)</td>", roster) == ["Roster firms", "3", "—", "—"]  # a snapshot

    table = section[section.index('id="table-test-offices"'):]
    assert "<figcaption>Roster by office</figcaption>" in table
    assert 'src="data:image/png;base64,' in table.split("</figure>")[0]
    assert '<tr><td>营口海关</td><td class="num">3</td><td class="num">100.0%</td></tr>' in table
    # The list in full: the dashboard's preview shows two firms, the monthly report all three.
    listing = section[section.index('id="list-test-firms"'):].split("</div>")[0]
    assert "<h3>Roster firms (3)</h3>" in listing
    assert listing.count("<tr><td>") == 3
    assert FORMULA_NAME.replace('"', "&#34;") in listing  # as written: a page runs no formula


def test_an_office_outside_the_campaign_is_dropped_with_a_reason(client, auth, survey, cast):
    auth.login("manager")
    html = client.get(url(survey, "/monthly"), query_string={"month": "2019-06", "office": cast.org.bayuquan.id}
                      ).get_data(as_text=True)
    assert f'<h1 id="monthly-title">{TITLE}</h1>' in html
    assert "The office asked for is not one of this campaign" in html


def test_the_dashboard_links_to_the_months_report(client, auth, survey):
    auth.login("manager")
    html = client.get(url(survey, ""), query_string={"from": "2019-06-01", "to": "2019-06-30"}).get_data(as_text=True)
    assert f'href="/reports/campaigns/{survey.campaign.id}/monthly?month=2019-06"' in html
    assert f'href="/reports/campaigns/{survey.campaign.id}/monthly.docx?month=2019-06"' in html
    assert f'/reports/campaigns/{survey.campaign.id}/report.xlsx?from=2019-06-01&amp;to=2019-06-30' in html


# Word ----------------------------------------------------------------------------------------------------
def _table(document, first_cell: str, holding: str | None = None):
    """The first table whose header starts with first_cell (and that holds a cell reading *holding*): the
    fixture's section comes after the real ones, whose tables have the same headers."""
    return next(t for t in document.tables if t.rows[0].cells[0].text == first_cell
                and (holding is None or any(c.text == holding for row in t.rows for c in row.cells)))


def _cells(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def test_the_word_document(client, auth, survey):
    auth.login("manager")
    response = client.get(url(survey, "/monthly.docx"), query_string={"month": "2019-06"})
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    disposition = unquote(response.headers["Content-Disposition"].split("filename*=UTF-8''", 1)[1])
    assert disposition == "营口海关2019年百企大调研_2019-06.docx"
    document = Document(io.BytesIO(response.data))
    assert document.paragraphs[0].text == TITLE and document.paragraphs[0].style.name == "Title"
    assert "2019-06-01 – 2019-06-30 (June 2019)" in document.paragraphs[1].text
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "Test section" in headings and "Roster by office" in headings and "Roster firms (3)" in headings

    figures = _cells(_table(document, "Figure", holding="Share of the roster visited"))
    assert figures[0] == ["Figure", "This month", "Last month", "Change"]
    assert ["Visits", "3", "2", "+1"] in figures
    assert ["Share of the roster visited", "66.7%", "66.7%", "0.0 points"] in figures
    assert ["Roster firms", "3", "—", "—"] in figures
    assert _cells(_table(document, "Office", holding="Share")) == [["Office", "Firms", "Share"], ["营口海关", "3", "100.0%"]]
    firms = _cells(_table(document, "Name", holding="Key firm"))
    assert firms[0] == ["Name", "USCC", "Office", "Key firm"] and len(firms) == 4  # in full
    assert FORMULA_NAME in [row[0] for row in firms]
    # Every chart of the print page (one per table with rows to draw) is an inline PNG image in the document.
    printed = client.get(url(survey, "/monthly"), query_string={"month": "2019-06"}).get_data(as_text=True)
    assert len(document.inline_shapes) == printed.count('class="monthly-chart"') >= 2
    blobs = [rel.target_part.blob for rel in document.part.rels.values() if "image" in rel.reltype]
    assert blobs and all(blob.startswith(b"\x89PNG") for blob in blobs)


def test_a_month_that_is_not_one_is_a_400_not_a_500(client, auth, survey):
    auth.login("manager")
    for tail in ("/monthly", "/monthly.docx"):
        for bad in ("2019-13", "1899-12", "3000-01", "junk", "2019-06-31", "-1", "99999999999999999999-01"):
            response = client.get(url(survey, tail), query_string={"month": bad})
            assert response.status_code == 400, (tail, bad)
            assert "The month was not understood" in response.get_data(as_text=True)
        assert client.get(url(survey, tail)).status_code == 200  # no month: the last whole month


def test_query_counts_of_the_monthly_report_do_not_grow_with_the_data(app, client, auth, survey, factory, cast):
    auth.login("manager")
    urls = [url(survey, "/monthly?month=2019-06"), url(survey, "/monthly.docx?month=2019-06")]
    before = [query_count(app, client, u) for u in urls]
    add_firms(factory, cast, survey, 12)
    assert [query_count(app, client, u) for u in urls] == before


# Who may ----------------------------------------------------------------------------------------------
def test_contacts_get_403_and_other_offices_404(client, auth, survey, cast, factory):
    factory.user(Role.MANAGER, cast.org.bayuquan, username="manager-byq", locale="en")
    db.session.commit()
    auth.login("yalisi")
    for tail in ("/monthly?month=2019-06", "/monthly.docx?month=2019-06", "/monthly?month=junk"):
        assert client.get(url(survey, tail)).status_code == 403, tail
    auth.logout()
    auth.login("manager-byq")
    for tail in ("/monthly?month=2019-06", "/monthly.docx?month=2019-06"):
        assert client.get(url(survey, tail)).status_code == 404, tail


# Charts -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["bar", "stack", "line", "pie"])
def test_charts_are_drawn_for_every_kind(app, kind):
    table = Table("t", "按科室", ["科室", "已办结", "办理中"],
                  [Row("综合业务科", [3, 1]), Row("关税科", [0, 2]), Row("Very long department name", [5, None])],
                  chart=kind)
    png = charts.table_png(table)
    assert png.startswith(b"\x89PNG")
    assert charts.table_png(Table("t", "x", ["a", "b"], [], chart=kind)) is None
    assert charts.table_png(Table("t", "x", ["a", "b"], [Row("r", [1])], chart=None)) is None


def test_charts_use_a_cjk_font_when_one_is_installed():
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    expected = next((name for name in charts.CJK_FONTS if name in installed), None)
    assert charts.cjk_font() == expected
