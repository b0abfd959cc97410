"""A manager opens the campaign dashboard on the demo data, sees its charts drawn from their tables, follows a
figure to the list behind it, filters by office, and downloads the Excel file and the Word report."""
import io
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CAMPAIGN = "2019年百企大调研"


def test_a_manager_reads_the_dashboard_follows_a_figure_and_downloads_the_files(page, sign_in):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in("manager")
    expect(page.locator("#user-menu")).to_be_visible()
    page.goto("/reports/")
    page.get_by_role("link", name=re.compile(CAMPAIGN)).click()
    expect(page.locator("h1")).to_have_text(CAMPAIGN)

    # Every chart is drawn (an SVG inside it) from the table beside it.
    charts = page.locator("[data-report-chart]")
    assert charts.count() >= 8
    expect(page.locator('[data-report-chart][data-rendered="1"]')).to_have_count(charts.count())
    assert page.locator("#table-outreach-by_month svg").count() >= 1
    assert not errors, errors

    # The figure "firms not yet visited" leads to its list, with as many rows in all.
    figure = page.locator("#figure-outreach-not_visited")
    expected = int(figure.get_attribute("data-value"))
    assert expected > 0
    figure.locator("a").click()
    expect(page.locator("#listing-title")).to_be_visible()
    expect(page.get_by_text(re.compile(rf"^共 ?{expected} ?条|^{expected} in all"))).to_be_visible()
    page.go_back()

    # The office filter keeps its choice and the page says which office it counts.
    page.locator("#f-office").select_option(label="营口海关")
    page.locator("#report-filters button[type=submit]").click()
    expect(page.locator("#report-period")).to_contain_text("营口海关")

    with page.expect_download() as excel:
        page.locator("#report-export-xlsx").click()
    from openpyxl import load_workbook

    with open(excel.value.path(), "rb") as file:
        workbook = load_workbook(io.BytesIO(file.read()), read_only=True)
    assert len(workbook.sheetnames) >= 5  # the summary and a sheet per section
    workbook.close()
    assert excel.value.suggested_filename.endswith(".xlsx")

    with page.expect_download() as word:
        page.locator("#report-monthly-docx").click()
    from docx import Document

    document = Document(word.value.path())
    assert "工作月报" in "\n".join(p.text for p in document.paragraphs)
    assert document.inline_shapes, "the Word report carries the charts as images"
