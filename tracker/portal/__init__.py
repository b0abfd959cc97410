"""The enterprise contact's own view of his firm."""
