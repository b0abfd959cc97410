"""The report's exports: the whole report as XLSX and CSV, a listing's export in the request and as a job
(progress, download, its owner alone), the periodic clean-up, and that a listing is streamed (yield_per, a
write-only workbook) rather than loaded.

The figures come from tests/report_section_fixture.py (added to the report's section modules); its docstring
says why each expected number is what it is.
"""
import csv
import io
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.conftest import CSRF_RE, KEY_RE, csrf_from, query_count
from tests.report_section_fixture import FORMULA_NAME, add_firms, make_survey
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.reports import exports, listings
from tracker.reports.models import ExportStatus, ReportExport
from tracker.types import utcnow

JUNE = {"from": "2019-06-01", "to": "2019-06-30"}
ESCAPED = "'" + FORMULA_NAME


@pytest.fixture
def survey(factory, cast, firm, monkeypatch):
    """The fixture's section after whatever real sections there are; users read in English (firm)."""
    monkeypatch.setattr(listings, "SECTION_MODULES", (*listings.SECTION_MODULES, "tests.report_section_fixture"))
    return make_survey(factory, cast)


def url(survey, tail: str = "") -> str:
    return f"/reports/campaigns/{survey.campaign.id}{tail}"


def filename(response) -> str:
    disposition = response.headers["Content-Disposition"]
    return unquote(disposition.split("filename*=UTF-8''", 1)[1])


def rows_of(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def row_starting(sheet, label):
    """The cells of the first row whose first cell is *label*."""
    return next(row for row in sheet.iter_rows() if row[0].value == label)


# The whole report --------------------------------------------------------------------------------------
def test_report_as_xlsx_a_summary_then_a_sheet_per_section(client, auth, survey):
    auth.login("manager")
    response = client.get(url(survey, "/report.xlsx"), query_string=JUNE)
    assert response.status_code == 200
    assert response.mimetype == exports.XLSX_MIMETYPE
    assert filename(response) == "营口海关2019年百企大调研_2019-06-01_2019-06-30.xlsx"
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames[0] == "Summary"
    assert book.sheetnames[-1] == "Test section"

    summary = {row[0]: row[1] for row in rows_of(book["Summary"])[1:] if row and row[0]}
    assert summary["Campaign"] == "2019年百企大调研"
    assert summary["Offices"] == "Yingkou Customs and the offices below it"
    assert summary["Period"] == "2019-06-01 – 2019-06-30"
    assert summary["Period before"] == "2019-05-02 – 2019-05-31"  # 30 days just before June
    assert summary["Filters"] == "None"
    assert "Generated at" in summary

    sheet = book["Test section"]
    assert sheet["A1"].value == "Test section"
    assert [c.value for c in row_starting(sheet, "Figure")] == ["Figure", "Value", "Previous period", "Change"]
    # 3 visits in June; 1 in 2019-05-02..05-31 (the 20th; the 1st is before the period before).
    assert [c.value for c in row_starting(sheet, "Visits")] == ["Visits", 3, 1, 2]
    roster = row_starting(sheet, "Roster firms")
    assert [c.value for c in roster[:3]] == ["Roster firms", 3, None]  # a snapshot: no previous
    visited = row_starting(sheet, "Share of the roster visited")
    assert visited[1].value == pytest.approx(2 / 3) and visited[2].value == pytest.approx(1 / 3)
    assert visited[1].number_format == "0.0%" and visited[3].number_format == "+0.0%;-0.0%;0.0%"
    minutes = row_starting(sheet, "Minutes at firms")
    assert minutes[1].value == pytest.approx(21.75) and minutes[1].number_format == "0.0"

    rows = rows_of(sheet)
    table = next(i for i, r in enumerate(rows) if r[0] == "Roster by office")
    assert rows[table + 1][:3] == ["Office", "Firms", "Share"]
    assert rows[table + 2][:3] == ["营口海关", 3, 1]
    types = next(i for i, r in enumerate(rows) if r[0] == "Visits by type")
    assert rows[types + 1][:2] == ["Type", "Visits"]
    assert sorted(r[1] for r in rows[types + 2:types + 4]) == [1, 2]

    preview = next(i for i, r in enumerate(rows) if r[0] == "Roster firms (3)")
    assert rows[preview + 1][:4] == ["Name", "USCC", "Office", "Key firm"]
    listed = [r[0] for r in rows[preview + 2:preview + 4]]
    # Two rows shown of three (ordered by name: the formula's "=" sorts first), then how many there are.
    assert listed[0] == ESCAPED
    assert rows[preview + 4][0].startswith("The first 2 of 3")
    escaped = next(c for row in sheet.iter_rows() for c in row if c.value == ESCAPED)
    assert escaped.data_type == "s"


def test_report_as_csv_one_long_table(client, auth, survey):
    auth.login("manager")
    response = client.get(url(survey, "/report.csv"), query_string=JUNE)
    assert response.status_code == 200
    assert filename(response) == "营口海关2019年百企大调研_2019-06-01_2019-06-30.csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["Section", "Item", "Row", "Column", "Value", "Previous period"]
    assert ["Summary", "Period", "", "", "2019-06-01 – 2019-06-30", ""] in rows
    assert ["Test section", "Visits", "", "", "3", "1"] in rows
    assert ["Test section", "Roster firms", "", "", "3", ""] in rows
    assert ["Test section", "Share of the roster visited", "", "", "0.6667", "0.3333"] in rows
    assert ["Test section", "Minutes at firms", "", "", "21.8", "7.2"] in rows  # one decimal
    assert ["Test section", "Roster by office", "营口海关", "Firms", "3", ""] in rows
    assert ["Test section", "Roster firms", "1", "Name", ESCAPED, ""] in rows
    assert not any(cell.startswith("=") for row in rows for cell in row)


def test_the_export_takes_the_dashboards_filters(client, auth, survey, cast, factory):
    """An officer filter: June's visits by another 营口 officer only (one of the three is re-assigned)."""
    from tracker.visits.models import Visit

    other = factory.user(Role.OFFICER, cast.org.yingkou, username="officer-2")
    visit = db.session.scalar(sa.select(Visit).where(Visit.enterprise_id == survey.plain.id)
                              .order_by(Visit.visited_at.desc()))
    visit.officers = [other]
    db.session.commit()
    auth.login("manager")
    response = client.get(url(survey, "/report.csv"), query_string={**JUNE, "officer": other.id})
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert ["Test section", "Visits", "", "", "1", "0"] in rows
    assert any(r[:2] == ["Summary", "Filters"] and r[4] == f"Officer: {other.label}" for r in rows)


def test_report_exports_in_chinese_headers_follow_the_user(client, auth, survey, cast):
    """The headers are the user's language: a Chinese reader gets the catalog's words, not the English ones
    (the lead's catalog fills them in; until then gettext gives the English msgid, so only the shape is
    checked here: the sheets are there and the first is the summary)."""
    cast.manager.locale = "zh"
    db.session.commit()
    auth.login("manager")
    response = client.get(url(survey, "/report.xlsx"), query_string=JUNE)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert len(book.sheetnames) >= 2


def test_query_counts_of_the_exports_do_not_grow_with_the_data(app, client, auth, survey, factory, cast):
    auth.login("manager")
    urls = [url(survey, "/report.xlsx?from=2019-06-01&to=2019-06-30"),
            url(survey, "/report.csv?from=2019-06-01&to=2019-06-30"),
            url(survey, "/list/test.firms.xlsx?from=2019-06-01&to=2019-06-30"),
            url(survey, "/list/test.firms.csv?from=2019-06-01&to=2019-06-30")]
    before = [query_count(app, client, u) for u in urls]
    add_firms(factory, cast, survey, 12)
    assert [query_count(app, client, u) for u in urls] == before


# A listing in the request ------------------------------------------------------------------------------
def test_a_small_listing_downloads_in_the_request(client, auth, survey):
    auth.login("manager")
    response = client.get(url(survey, "/list/test.firms.xlsx"), query_string=JUNE)
    assert response.status_code == 200
    assert filename(response) == "营口海关2019年百企大调研_Roster_firms_2019-06-01_2019-06-30.xlsx"
    rows = rows_of(load_workbook(io.BytesIO(response.data)).active)
    assert rows[0] == ["Name", "USCC", "Office", "Key firm"]
    assert [r[0] for r in rows[1:]] == sorted([ESCAPED, survey.plain.name, survey.own.name],
                                              key=lambda n: n.lstrip("'"))

    response = client.get(url(survey, "/list/test.firms.csv"), query_string={**JUNE, "firm_office": "x"})
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")))) == [["Name", "USCC", "Office",
                                                                                   "Key firm"]]
    response = client.get(url(survey, "/list/test.firms.csv"))
    text = response.data.decode("utf-8-sig")
    assert ESCAPED.replace('"', '""') in text and "\n=" not in text


def test_an_unknown_listing_is_404(client, auth, survey):
    auth.login("manager")
    assert client.get(url(survey, "/list/nothing.such.csv")).status_code == 404
    token = csrf_from(client.get("/account/password"))
    assert client.post(url(survey, "/list/nothing.such/export.csv"), data={"csrf_token": token}).status_code == 404


def test_a_long_listing_is_sent_to_its_page_whose_buttons_start_a_job(client, auth, survey, monkeypatch):
    monkeypatch.setattr(exports, "DIRECT_LIMIT", 2)
    auth.login("manager")
    response = client.get(url(survey, "/list/test.firms.xlsx"), query_string=JUNE)
    assert response.status_code == 302
    assert "/list/test.firms?" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "This list has 3 rows" in page
    assert 'id="listing-export-job-xlsx"' in page and 'id="listing-export-xlsx"' not in page


# A listing as a job ------------------------------------------------------------------------------------
def _start_job(client, survey, fmt: str, **args):
    page = client.get(url(survey, "/list/test.firms"), query_string={**JUNE, **args})
    html = page.get_data(as_text=True)
    form = re.search(rf'<form method="post" class="d-inline" id="listing-export-job-{fmt}" action="([^"]+)"', html)
    assert form, "no export form"
    action = form.group(1).replace("&amp;", "&")
    chunk = html[form.start():]
    return action, {"csrf_token": CSRF_RE.search(chunk).group(1), "submission_key": KEY_RE.search(chunk).group(1)}


def test_a_listing_export_job_from_the_button_to_the_download(app, client, auth, survey, cast, monkeypatch):
    monkeypatch.setattr(exports, "DIRECT_LIMIT", 1)
    auth.login("manager")
    action, data = _start_job(client, survey, "xlsx")
    response = client.post(action, data=data)
    assert response.status_code == 302
    job = db.session.scalar(sa.select(ReportExport))
    assert response.headers["Location"] == f"/reports/jobs/{job.id}"
    # Immediate mode: the job has run by the time the request answers.
    assert job.status is ExportStatus.DONE, job.error
    assert (job.rows_written, job.rows_total, job.file_format, job.listing_key) == (3, 3, "xlsx", "test.firms")
    assert job.user_id == cast.manager.id and job.args["from"] == "2019-06-01" and job.args["to"] == "2019-06-30"
    assert Path(job.file_path).parent == Path(app.instance_path) / "exports"

    page = client.get(f"/reports/jobs/{job.id}").get_data(as_text=True)
    assert "3 rows written." in page and f'href="/reports/jobs/{job.id}/download"' in page
    assert client.get(f"/reports/jobs/{job.id}/status").get_json() == {
        "status": "done", "in_progress": False, "rows_written": 3, "rows_total": 3, "percent": 100,
        "download": f"/reports/jobs/{job.id}/download"}
    download = client.get(f"/reports/jobs/{job.id}/download")
    assert download.status_code == 200
    assert filename(download) == "营口海关2019年百企大调研_Roster_firms_2019-06-01_2019-06-30.xlsx"
    rows = rows_of(load_workbook(io.BytesIO(download.data)).active)
    assert rows[0] == ["Name", "USCC", "Office", "Key firm"]
    assert len(rows) == 4 and ESCAPED in [r[0] for r in rows]

    # The same form sent again (a double click) makes no second job.
    again = client.post(action, data=data)
    assert again.status_code == 302 and again.headers["Location"] == f"/reports/jobs/{job.id}"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportExport)) == 1


def test_a_csv_job_with_the_listings_own_arguments(client, auth, survey, cast, monkeypatch):
    monkeypatch.setattr(exports, "DIRECT_LIMIT", 0)
    auth.login("manager")
    action, data = _start_job(client, survey, "csv", firm_office=cast.org.yingkou.id)
    client.post(action, data=data)
    job = db.session.scalar(sa.select(ReportExport))
    assert job.status is ExportStatus.DONE and job.args["firm_office"] == str(cast.org.yingkou.id)
    body = client.get(f"/reports/jobs/{job.id}/download").data
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 4 and [ESCAPED, survey.formula.uscc, "营口海关", ""] in rows


def test_a_waiting_export_shows_its_progress_and_is_polled(client, auth, survey, cast):
    job_id = _job(survey, cast.manager)
    auth.login("manager")
    html = client.get(f"/reports/jobs/{job_id}").get_data(as_text=True)
    assert 'data-in-progress="true"' in html and 'id="export-progress"' in html and "report-jobs.js" in html
    assert '<meta http-equiv="refresh"' in html  # inside <noscript>: without JavaScript, the page reloads
    assert f'href="/reports/campaigns/{survey.campaign.id}/list/test.firms?from=2019-06-01&amp;to=2019-06-30"' in html
    assert client.get(f"/reports/jobs/{job_id}/status").get_json() == {
        "status": "queued", "in_progress": True, "rows_written": 0, "rows_total": None, "percent": 0,
        "download": None}
    assert client.get(f"/reports/jobs/{job_id}/download").status_code == 404


def test_an_export_is_its_owners_alone(client, auth, survey, cast, factory, monkeypatch):
    monkeypatch.setattr(exports, "DIRECT_LIMIT", 0)
    factory.user(Role.MANAGER, cast.org.yingkou, username="manager-2")
    db.session.commit()
    auth.login("manager")
    action, data = _start_job(client, survey, "xlsx")
    client.post(action, data=data)
    job_id = db.session.scalar(sa.select(ReportExport.id))
    auth.logout()
    for other in ("manager-2", "admin"):
        auth.login(other)
        for tail in ("", "/status", "/download"):
            assert client.get(f"/reports/jobs/{job_id}{tail}").status_code == 404, (other, tail)
        auth.logout()


def test_an_export_job_fails_when_the_queue_is_down(client, auth, survey, monkeypatch):
    from tracker.reports import tasks

    def down(job_id):
        raise ConnectionError("queue down")

    monkeypatch.setattr(exports, "DIRECT_LIMIT", 0)
    monkeypatch.setattr(tasks, "export_listing", down)
    auth.login("manager")
    action, data = _start_job(client, survey, "xlsx")
    response = client.post(action, data=data, follow_redirects=True)
    job = db.session.scalar(sa.select(ReportExport))
    assert job.status is ExportStatus.FAILED and job.error == "queue"
    assert "The job queue is not available" in response.get_data(as_text=True)
    assert client.get(f"/reports/jobs/{job.id}/download").status_code == 404


def test_an_export_of_a_user_who_lost_his_role_fails(app, survey, cast):
    """The job builds the scope again for its user when it runs: a manager made officer meanwhile gets nothing."""
    from tracker.reports.scope import ReportFilters, ReportScope

    filters = ReportFilters.parse(JUNE, survey.campaign, cast.manager, utcnow().date())
    scope = ReportScope(survey.campaign, cast.manager, filters, utcnow().date())
    job = exports.create_export(cast.manager, scope, "test.firms", {}, "csv", "Roster firms")
    cast.manager.role = Role.OFFICER
    db.session.commit()
    exports.run_export(job.id)
    db.session.expire_all()
    assert (job.status, job.error, job.file_path) == (ExportStatus.FAILED, "gone", None)


def test_the_export_streams_its_rows(app, client, auth, survey, monkeypatch):
    """Memory does not depend on the rows: the listing is read with yield_per (a server-side cursor on
    PostgreSQL), written to a write-only workbook, and each row is written as it is read (progress between
    rows, not after them all)."""
    import openpyxl

    seen_options, books = [], []

    def record(state):
        if state.is_select:
            seen_options.append(dict(state.execution_options))

    real_workbook = openpyxl.Workbook

    def workbook(*args, **kwargs):
        book = real_workbook(*args, **kwargs)
        books.append(book.write_only)
        return book

    sa.event.listen(sa.orm.Session, "do_orm_execute", record)
    monkeypatch.setattr(openpyxl, "Workbook", workbook)
    monkeypatch.setattr(exports, "DIRECT_LIMIT", 0)
    try:
        auth.login("manager")
        action, data = _start_job(client, survey, "xlsx")
        client.post(action, data=data)
    finally:
        sa.event.remove(sa.orm.Session, "do_orm_execute", record)
    assert db.session.scalar(sa.select(ReportExport.status)) is ExportStatus.DONE
    assert any(o.get("yield_per") == exports.ROW_BATCH for o in seen_options)
    assert books == [True]

    # Rows are read one batch at a time and written as they come.
    from tracker.reports.scope import ReportFilters, ReportScope
    from tracker.auth.models import User

    manager = db.session.scalar(sa.select(User).where(User.username == "manager"))
    scope = ReportScope(survey.campaign, manager, ReportFilters.parse(JUNE, survey.campaign, manager,
                                                                     utcnow().date()), utcnow().date())
    listing = listings.build("test.firms", scope, {})
    events = []
    name = listing.columns[0].value
    listing.columns[0].value = lambda firm: events.append("read") or name(firm)
    assert exports.listing_statement(listing).get_execution_options()["yield_per"] == exports.ROW_BATCH
    out = io.BytesIO()
    written = exports.write_listing(listing, "csv", out, progress=lambda n: events.append(f"written {n}"), every=1)
    assert written == 3
    assert events == ["read", "written 1", "read", "written 2", "read", "written 3"]


def test_a_listings_sheet_reads_back_as_openpyxls_own_write_only_sheet(tmp_path):
    """The listing's rows are streamed into openpyxl's write-only sheet as the XML openpyxl writes for them:
    read back, the two files hold the same cells (text with spaces, markup, CJK, numbers, booleans, blanks)."""
    from openpyxl import Workbook

    from tracker.exports import safe_cell

    header = ["Name", "Count", "Share", "Key", "Note"]
    rows = [[safe_cell(v) for v in row] for row in [
        [FORMULA_NAME, 3, 0.375, True, None],
        ["  padded  ", 0, 1e-7, False, ""],
        ["<b>&amp; \"q\"</b>", -12, 12345678901234567890, None, "a\tb\nc"],
        ["营口雅丽丝服装有限公司", 2**40, 2.5, False, "bell\x07 gone"],
    ]]
    ours = tmp_path / "ours.xlsx"
    assert exports.write_xlsx(ours, "Roster: [test]", header, iter(rows)) == len(rows)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("theirs")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    theirs = tmp_path / "theirs.xlsx"
    book.save(theirs)
    read = [rows_of(load_workbook(path).active) for path in (ours, theirs)]
    assert read[0] == read[1]
    assert read[0][1][0] == ESCAPED and read[0][2][0] == "  padded  " and read[0][4][4] == "bell gone"
    assert load_workbook(ours).active["A1"].font.b
    assert load_workbook(ours).sheetnames == ["Roster   test"]


def test_a_listing_that_cannot_stream_is_still_written(app, survey, cast, caplog):
    """joinedload() of a collection cannot go with yield_per: the rows are read whole, with a warning."""
    from sqlalchemy.orm import joinedload

    from tracker.enterprises.models import Enterprise
    from tracker.reports.scope import ReportFilters, ReportScope

    scope = ReportScope(survey.campaign, cast.manager, ReportFilters.parse(JUNE, survey.campaign, cast.manager,
                                                                         utcnow().date()), utcnow().date())
    listing = listings.build("test.firms", scope, {})
    listing.options = (joinedload(Enterprise.office), joinedload(Enterprise.trade_modes))
    out = io.BytesIO()
    assert exports.write_listing(listing, "csv", out) == 3
    assert "cannot be streamed" in caplog.text


def test_old_exports_and_their_files_are_purged(app, survey, cast):
    from tracker.reports.scope import ReportFilters, ReportScope

    filters = ReportFilters.parse(JUNE, survey.campaign, cast.manager, utcnow().date())
    scope = ReportScope(survey.campaign, cast.manager, filters, utcnow().date())
    folder = exports.exports_folder()
    jobs = []
    for age, status in [(timedelta(days=8), ExportStatus.DONE), (timedelta(days=1), ExportStatus.DONE),
                        (timedelta(hours=7), ExportStatus.RUNNING), (timedelta(minutes=5), ExportStatus.RUNNING)]:
        job = exports.create_export(cast.manager, scope, "test.firms", {}, "csv", "Roster firms")
        job.status, job.created_at = status, utcnow() - age
        path = folder / f"purge-test-{job.id}.csv"
        path.write_text("x")
        job.file_path = str(path)
        jobs.append((job.id, path))
    stray = folder / "stray-test.csv"
    stray.write_text("x")
    import os

    old = (utcnow() - timedelta(days=9)).timestamp()
    os.utime(stray, (old, old))
    db.session.commit()
    done = exports.purge_exports()
    assert done["deleted"] == 1 and done["interrupted"] == 1
    db.session.expire_all()
    left = {job.id: job.status for job in db.session.scalars(sa.select(ReportExport))}
    assert jobs[0][0] not in left and not jobs[0][1].exists()
    assert left[jobs[1][0]] is ExportStatus.DONE and jobs[1][1].exists()
    assert left[jobs[2][0]] is ExportStatus.FAILED  # running for seven hours: its worker is gone
    assert left[jobs[3][0]] is ExportStatus.RUNNING
    assert not stray.exists()
    for _id, path in jobs:
        path.unlink(missing_ok=True)


# Who may ----------------------------------------------------------------------------------------------
def _export_urls(survey, job_id=None) -> list[tuple[str, str]]:
    urls = [("GET", url(survey, "/report.xlsx")), ("GET", url(survey, "/report.csv")),
            ("GET", url(survey, "/list/test.firms.xlsx")), ("GET", url(survey, "/list/test.firms.csv")),
            ("POST", url(survey, "/list/test.firms/export.xlsx")), ("POST", url(survey, "/list/test.firms/export.csv"))]
    if job_id is not None:
        urls += [("GET", f"/reports/jobs/{job_id}"), ("GET", f"/reports/jobs/{job_id}/status"),
                 ("GET", f"/reports/jobs/{job_id}/download")]
    return urls


def _job(survey, user) -> int:
    from tracker.reports.scope import ReportFilters, ReportScope

    scope = ReportScope(survey.campaign, user, ReportFilters.parse(JUNE, survey.campaign, user, utcnow().date()),
                        utcnow().date())
    job = exports.create_export(user, scope, "test.firms", {}, "csv", "Roster firms")
    db.session.commit()
    return job.id


def test_contacts_get_403_on_every_export(client, auth, survey, cast):
    job_id = _job(survey, cast.manager)
    auth.login("yalisi")
    token = csrf_from(client.get("/account/password"))
    for method, address in _export_urls(survey, job_id):
        response = client.open(address, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 403, (method, address)


def test_a_bayuquan_manager_gets_404_on_yingkous_exports(client, auth, survey, cast, factory):
    factory.user(Role.MANAGER, cast.org.bayuquan, username="manager-byq", locale="en")
    db.session.commit()
    auth.login("manager-byq")
    token = csrf_from(client.get("/account/password"))
    for method, address in _export_urls(survey):
        response = client.open(address, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 404, (method, address)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportExport)) == 0


def test_a_post_without_csrf_is_refused(client, auth, survey):
    auth.login("manager")
    assert client.post(url(survey, "/list/test.firms/export.xlsx")).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportExport)) == 0
