"""An officer's own dashboard (being written)."""
from __future__ import annotations


def my_dashboard(user, today):
    return None
