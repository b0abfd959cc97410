"""Yearly customs-declaration counts per firm and their import from statistics files."""
