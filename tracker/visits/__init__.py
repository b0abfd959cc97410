"""Visits (走访): the visit form with the needs raised there, the visits list and follow-up calls."""
