"""What a report is made of, whatever renders it (the dashboard page, the print page, XLSX, CSV, Word, the API).

A Report holds Sections; a Section holds headline Figures and Tables (a breakdown, drawn as a chart beside
its table). A figure or a table row may name a drill-down Listing: the rows behind the number, under the
same filters (``listings.listing`` registers them by key; ``routes.drilldown`` renders them, the export job
writes them). The section modules (``outreach``, ``needs``, ``counter``) build them; nothing here queries.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Sequence

import sqlalchemy as sa

# How a value reads: a count ("12"), a share in [0, 1] ("37.5%"), working days, minutes, or a plain number.
KINDS = ("count", "share", "days", "minutes", "number")


@dataclass
class Figure:
    """One headline number of a section, with the same number for the period before (None where the figure is
    a snapshot, such as the roster's size, or where the period does not apply)."""

    key: str  # unique in its report: "needs.overdue"
    label: str  # translated
    value: int | float | None
    previous: int | float | None = None
    kind: str = "count"
    # The drill-down listing behind it (a key of listings.LISTINGS) and its extra arguments.
    listing: str | None = None
    listing_args: dict[str, Any] = field(default_factory=dict)
    # Which way is better, to colour the change: "up", "down" or None (neither).
    better: str | None = "up"
    note: str | None = None  # a translated line under the number (how it is counted)

    @property
    def change(self) -> int | float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


@dataclass
class Row:
    label: str
    values: list[Any]
    listing: str | None = None
    listing_args: dict[str, Any] = field(default_factory=dict)
    key: str | None = None  # a stable code for the row (a status value, an office code, "2019-06"), for the API


@dataclass
class Table:
    """A breakdown: rows of a label and values, one column per series. ``chart`` is how the dashboard draws
    it ("bar", "line", "pie", "stack" for stacked bars, or None for a table alone); the chart's data is this
    table, so a reader without JavaScript, or on paper, reads the same figures."""

    key: str
    title: str
    columns: list[str]  # the first is the label column's heading
    rows: list[Row]
    chart: str | None = "bar"
    kinds: list[str] | None = None  # per value column, as Figure.kind (default "count")
    note: str | None = None

    def column_kind(self, index: int) -> str:
        return self.kinds[index] if self.kinds and index < len(self.kinds) else "count"


@dataclass
class Section:
    key: str  # "outreach", "needs", "plans", "counter", "credit"
    title: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    # Lists that belong on the page in full (the goal is zero, so each case is shown): wasted trips, overdue needs.
    lists: list["ListingPreview"] = field(default_factory=list)
    note: str | None = None  # e.g. which filters do not apply to this section

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


@dataclass
class Report:
    campaign: Any
    scope: Any  # tracker.reports.scope.ReportScope
    sections: list[Section]
    generated_at: datetime
    # When the oldest of the figures kept by reports/cache.py was counted (None: every figure counted now).
    counted_at: datetime | None = None

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def figure(self, key: str) -> Figure:
        for section in self.sections:
            for figure in section.figures:
                if figure.key == key:
                    return figure
        raise KeyError(key)


# Drill-down listings -----------------------------------------------------------------------------------
@dataclass
class Column:
    """A column of a listing: its heading, the cell's value for a row (what XLSX/CSV write) and, for the page,
    an optional link (endpoint, kwargs) for the row. ``kind`` is data_list's (title, lead, status, ...)."""

    key: str
    label: str
    value: Callable[[Any], Any]
    link: Callable[[Any], str | None] | None = None
    kind: str | None = None
    align: str | None = None


@dataclass
class Listing:
    """The rows behind a figure: a select already scoped and filtered, ordered, and the columns to show.
    ``select`` yields ORM rows (or Row tuples); ``count`` the number of them, which equals the figure."""

    key: str
    title: str
    columns: list[Column]
    select: sa.Select
    count: sa.Select
    scalars: bool = True  # select returns one entity per row (scalars()) rather than tuples
    options: Sequence = ()  # loader options for a page of rows

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def columns_for_list(self) -> list[dict]:
        """The columns as tracker/templates/_list.html's data_list takes them."""
        return [{"key": c.key, "label": c.label, "kind": c.kind, "align": c.align} for c in self.columns]

    def header(self) -> list[str]:
        return [c.label for c in self.columns]

    def values(self, row) -> list[Any]:
        return [c.value(row) for c in self.columns]


@dataclass
class ListingPreview:
    """The first rows of a listing shown in full on the dashboard (and in the monthly report)."""

    listing: Listing
    rows: list[Any]
    total: int
    listing_args: dict[str, Any] = field(default_factory=dict)


def share(part: int | None, whole: int | None) -> float | None:
    """part / whole, None when there is no whole."""
    if not whole or part is None:
        return None
    return part / whole


def day_label(value: date) -> str:
    return value.isoformat()
