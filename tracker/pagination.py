"""A page of a list, from a count and a page query given explicitly (no ORM query object behind it).

    page = Page.of(number, per_page, count=lambda: ..., items=lambda offset, limit: [...])

The templates use what Flask-SQLAlchemy's Pagination offers them (items, page, per_page, pages, total,
has_prev/has_next, prev_num/next_num, iter_pages), so `macros.pagination_nav` serves both.
"""
from __future__ import annotations

import math
from typing import Callable, Iterator, Sequence

import sqlalchemy as sa

from tracker.extensions import db

MAX_PER_PAGE = 200


def page_number(value) -> int:
    """The requested page, 1 when it is missing, not a number or below 1."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return number if number >= 1 else 1


class Page:
    """One page of *total* items: *items* are those of page *page* (1-based), *per_page* a page."""

    def __init__(self, page: int, per_page: int, total: int, items: Sequence):
        self.page = page
        self.per_page = per_page
        self.total = total
        self.items = list(items)

    @classmethod
    def of(cls, page, per_page: int, *, count: Callable[[], int],
           items: Callable[[int, int], Sequence]) -> "Page":
        """Run the page's queries: items(offset, limit) for the rows, count() for the total (in that order)."""
        page = page_number(page)
        per_page = max(1, min(int(per_page), MAX_PER_PAGE))
        rows = items((page - 1) * per_page, per_page)
        return cls(page, per_page, count(), rows)

    @property
    def first(self) -> int:
        """The number of the page's first item (1-based), 0 when the page is empty."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1 if self.items else 0

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.per_page) if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def iter_pages(self, *, left_edge: int = 2, left_current: int = 2, right_current: int = 4,
                   right_edge: int = 2) -> Iterator[int | None]:
        """Page numbers for a navigation bar, None where numbers are left out (Flask-SQLAlchemy 3's rule)."""
        pages_end = self.pages + 1
        if pages_end == 1:
            return
        left_end = min(1 + left_edge, pages_end)
        yield from range(1, left_end)
        if left_end == pages_end:
            return
        mid_start = max(left_end, self.page - left_current)
        mid_end = min(self.page + right_current + 1, pages_end)
        if mid_start - left_end > 0:
            yield None
        yield from range(mid_start, mid_end)
        if mid_end == pages_end:
            return
        right_start = max(mid_end, pages_end - right_edge)
        if right_start - mid_end > 0:
            yield None
        yield from range(right_start, pages_end)

    def __iter__(self):
        return iter(self.items)


def paginate_rows(select: sa.Select, page, per_page: int) -> Page:
    """A page of a select of several columns: its rows (unique) and the count of the select's rows."""

    def items(offset: int, limit: int):
        return db.session.execute(select.limit(limit).offset(offset)).unique().all()

    def count() -> int:
        inner = select.order_by(None).options(sa.orm.noload("*")).subquery()
        return db.session.execute(sa.select(sa.func.count()).select_from(inner)).scalar()

    return Page.of(page, per_page, count=count, items=items)
