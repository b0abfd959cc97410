"""The monthly report (工作月报) of a campaign for one office and one month: "营口海关百企大调研工作月报（2019年6月）".

The report's sections over the calendar month, compared with the month before (not the same number of days
before, as the dashboard compares: May has 31 days, June 30), for the office chosen (its subtree) or the
campaign's office. The same content twice: an A4 print page (templates/reports/monthly.html) and a Word
document (python-docx): the title, a paragraph on the scope and the period, then per section its figures
as a table (figure, this month, last month, change), each breakdown as a table with its chart (a PNG drawn
by charts.py) and its lists in full (overdue needs, wasted trips: the goal is zero, so each is listed).
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from babel.dates import format_skeleton
from flask_babel import format_decimal, format_percent, get_locale
from flask_babel import gettext as _

from tracker.reports.exports import filters_text, listing_page, locale_code, offices_text, plain
from tracker.reports.figures import Figure, ListingPreview, Report
from tracker.reports.scope import Period, ReportFilters, ReportScope

# A list of the monthly report shows at most this many rows (with a line saying how many there are).
LIST_LIMIT = 500

_MONTH = re.compile(r"^\s*([0-9]{4})-([0-9]{1,2})\s*$")


@dataclass(frozen=True)
class Month(Period):
    """A calendar month; the period before it is the month before (whatever its length)."""

    @classmethod
    def of(cls, year: int, month: int) -> "Month":
        start = date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1)
        return cls(start, following - timedelta(days=1))

    def previous(self) -> "Month":
        before = self.start - timedelta(days=1)
        return Month.of(before.year, before.month)

    @property
    def key(self) -> str:
        return f"{self.start.year:04d}-{self.start.month:02d}"


def parse_month(value: str | None, today: date) -> Month | None:
    """"2019-06" as a Month; no value: the last whole month before today; None when the value is not a month
    of the years 1900-2999."""
    if value is None or not str(value).strip():
        return Month.of(today.year, today.month).previous()
    match = _MONTH.match(str(value))
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (1900 <= year <= 2999 and 1 <= month <= 12):
        return None
    return Month.of(year, month)


def bad_month_message() -> str:
    return _("The month was not understood: give it as 2019-06, a year between 1900 and 2999.")


def month_scope(campaign, user, args, today: date) -> ReportScope | None:
    """The report's scope for the month of args["month"] and the filters office, department and officer (a
    period given as from/to is ignored: the month is the period); None when the month is not one."""
    month = parse_month(args.get("month"), today)
    if month is None:
        return None
    given = {key: args.get(key) for key in ("office", "department", "officer") if args.get(key)}
    filters = ReportFilters.parse(given, campaign, user, today)
    filters = ReportFilters(month, filters.office, filters.department, filters.officer, filters.problems, True)
    return ReportScope(campaign, user, filters, today, period=month)


# Words and numbers ----------------------------------------------------------------------------------
def month_label(month: Period) -> str:
    """"2019年6月" or "June 2019", as the reader's language writes a month."""
    locale = get_locale()
    return format_skeleton("yMMMM", month.start, locale=locale if locale is not None else "zh")


def title(scope: ReportScope) -> str:
    """营口海关百企大调研工作月报（2019年6月） / Yingkou Customs outreach survey: monthly report, June 2019."""
    return _("%(office)s outreach survey: monthly report, %(month)s",
             office=scope.root_office.display_name(locale_code()), month=month_label(scope.period))


def scope_text(scope: ReportScope, generated) -> str:
    from tracker.i18n import local_datetime

    return _("%(offices)s, %(period)s (%(month)s), compared with %(previous)s (%(previous_month)s). Filters: "
             "%(filters)s. Figures as of %(when)s.",
             offices=offices_text(scope), period=scope.period.label(), month=month_label(scope.period),
             previous=scope.previous.period.label(), previous_month=month_label(scope.previous.period),
             filters=filters_text(scope), when=local_datetime(generated))


def value_text(value, kind: str = "count") -> str:
    """A figure's value as the dashboard writes it: 1,234 · 37.5% · 12.5 min · 3.5 working days."""
    if value is None:
        return "—"
    if kind == "share":
        return format_percent(value, format="#,##0.0%")
    if kind in ("minutes", "days", "number"):
        number = format_decimal(round(float(value), 1), format="#,##0.#")
        if kind == "minutes":
            return _("%(n)s min", n=number)
        if kind == "days":
            return _("%(n)s working days", n=number)
        return number
    return format_decimal(round(value), format="#,##0")


def change_text(figure: Figure) -> str:
    """The change from the month before: +3, -2, 0, +5.0 points; "—" where the figure has no comparison."""
    change = figure.change
    if change is None:
        return "—"
    sign = "+" if change > 0 else "-" if change < 0 else ""
    if figure.kind == "share":
        return sign + _("%(n)s points", n=format_decimal(round(abs(change) * 100, 1), format="#,##0.0"))
    return sign + value_text(abs(change), figure.kind)


def cell_text(value) -> str:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return format_decimal(round(value, 1), format="#,##0.#")
    return str(value)


# The report of a month ---------------------------------------------------------------------------------
@dataclass
class MonthlyReport:
    report: Report
    scope: ReportScope
    title: str
    charts: dict[str, bytes] = field(default_factory=dict)  # table key -> PNG

    @property
    def month(self) -> Month:
        return self.scope.period


def build_monthly(scope: ReportScope, charts: bool = True) -> MonthlyReport:
    """The report's sections over the month, their lists read in full (up to LIST_LIMIT rows: one statement
    a list, whatever its length), and the charts of their tables drawn."""
    from tracker.reports.queries import build_report

    report = build_report(scope)
    for section in report.sections:
        section.lists = [
            preview if preview.total <= len(preview.rows)
            else ListingPreview(preview.listing, listing_page(preview.listing, LIST_LIMIT), preview.total,
                                preview.listing_args)
            for preview in section.lists
        ]
    drawn: dict[str, bytes] = {}
    if charts:
        from tracker.reports.charts import table_png

        for section in report.sections:
            for table in section.tables:
                png = table_png(table)
                if png is not None:
                    drawn[table.key] = png
    return MonthlyReport(report=report, scope=scope, title=title(scope), charts=drawn)


def filename(monthly: MonthlyReport, fmt: str) -> str:
    from tracker.reports.exports import report_basename

    return f"{report_basename(monthly.scope)}_{monthly.month.key}.{fmt}"


# Word --------------------------------------------------------------------------------------------------
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value) -> str:
    return _XML_ILLEGAL.sub("", cell_text(value))


def _east_asian(style, font: str) -> None:
    from docx.oxml.ns import qn

    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), font)


def _word_table(document, header: list[str], rows: list[list[str]], numeric_from: int | None = 1):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for c, text in zip(table.rows[0].cells, header):
        c.text = ""
        run = c.paragraphs[0].add_run(_text(text))
        run.bold = True
    for values in rows:
        cells = table.add_row().cells
        for i, (c, text) in enumerate(zip(cells, values)):
            c.text = _text(text)
            if numeric_from is not None and i >= numeric_from:
                c.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for row in table.rows:
        for c in row.cells:
            for paragraph in c.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(9)
    return table


def monthly_docx(monthly: MonthlyReport) -> io.BytesIO:
    """The Word document: the same content as the print page, on A4."""
    from docx import Document
    from docx.shared import Cm, Pt

    scope, report = monthly.scope, monthly.report
    document = Document()
    for section in document.sections:
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2)
        section.top_margin = section.bottom_margin = Cm(2)
    normal = document.styles["Normal"]
    normal.font.size = Pt(10.5)
    _east_asian(normal, "SimSun")
    for name in ("Title", "Heading 1", "Heading 2"):
        _east_asian(document.styles[name], "SimHei")
    document.core_properties.title = monthly.title
    document.add_heading(_text(monthly.title), level=0)
    document.add_paragraph(_text(scope_text(scope, report.generated_at)))
    for problem in scope.filters.problems:
        document.add_paragraph(_text(problem))
    for section in report.sections:
        document.add_heading(_text(section.title), level=1)
        if section.note:
            document.add_paragraph(_text(section.note))
        if section.figures:
            _word_table(document, [_("Figure"), _("This month"), _("Last month"), _("Change")],
                        [[f.label, value_text(f.value, f.kind), value_text(f.previous, f.kind), change_text(f)]
                         for f in section.figures])
        for table in section.tables:
            document.add_heading(_text(table.title), level=2)
            if table.rows:
                _word_table(document, [str(c) for c in table.columns],
                            [[r.label] + [value_text(v, table.column_kind(i)) for i, v in enumerate(r.values)]
                             for r in table.rows])
            else:
                document.add_paragraph(_("Nothing in this period."))
            if table.note:
                document.add_paragraph(_text(table.note))
            png = monthly.charts.get(table.key)
            if png is not None:
                document.add_picture(io.BytesIO(png), width=Cm(15))
        for preview in section.lists:
            listing = preview.listing
            document.add_heading(_text(f"{listing.title} ({preview.total})"), level=2)
            if preview.rows:
                _word_table(document, listing.header(), [listing.values(item) for item in preview.rows],
                            numeric_from=None)
            else:
                document.add_paragraph(_("None."))
            if preview.total > len(preview.rows):
                document.add_paragraph(_("The first %(shown)d of %(total)d.", shown=len(preview.rows),
                                         total=preview.total))
    out = io.BytesIO()
    document.save(out)
    out.seek(0)
    return out
