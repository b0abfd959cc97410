"""The drill-down listings: the rows behind each figure, registered by key by the section modules.

    @listing("needs.overdue")
    def overdue_needs(scope: ReportScope, args) -> Listing: ...

``args`` are the listing's own arguments from the query string (a status, a category id, a month), which the
builder reads defensively: a value it does not know gives an empty listing, never an error.
"""
from __future__ import annotations

import importlib
from typing import Callable, Mapping

from tracker.reports.figures import Listing

LISTINGS: dict[str, Callable[..., Listing]] = {}

# The modules that build sections and register their listings, in the report's order.
SECTION_MODULES = ("tracker.reports.outreach", "tracker.reports.needs", "tracker.reports.counter",
                   "tracker.reports.certification")


def listing(key: str) -> Callable:
    def register(builder: Callable[..., Listing]) -> Callable[..., Listing]:
        if key in LISTINGS:
            raise ValueError(f"listing {key} registered twice")
        LISTINGS[key] = builder
        return builder

    return register


def load_modules() -> list:
    return [importlib.import_module(name) for name in SECTION_MODULES]


def build(key: str, scope, args: Mapping) -> Listing | None:
    load_modules()
    builder = LISTINGS.get(key)
    return builder(scope, args) if builder is not None else None
