"""Report sections: counter (being written)."""
from __future__ import annotations

from tracker.reports.scope import ReportScope


def sections(scope: ReportScope) -> list:
    return []
