"""The report of a campaign: each section module's sections, under one scope."""
from __future__ import annotations

from tracker.reports import cache
from tracker.reports.figures import Report
from tracker.reports.listings import load_modules
from tracker.reports.scope import ReportScope
from tracker.types import utcnow


def build_report(scope: ReportScope, refresh: bool = False) -> Report:
    """Every section of the report; its slow aggregates kept or counted again (*refresh*) by reports/cache.py."""
    sections = []
    with cache.building(scope, refresh=refresh) as build:
        for module in load_modules():
            sections.extend(module.sections(scope))
    return Report(campaign=scope.campaign, scope=scope, sections=sections, generated_at=utcnow(),
                  counted_at=build.oldest if build is not None else None)
