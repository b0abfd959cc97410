"""Firm search: by name, pinyin (initials or full), USCC or customs code, as one SQL query."""
import re

import sqlalchemy as sa

from tracker.enterprises.identifiers import USCC_ALPHABET, normalise_code
from tracker.enterprises.models import Enterprise

_ASCII_LETTERS = re.compile(r"^[a-z]+$")


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(column, term: str, sqlite: bool, exact_case: bool = True):
    """column contains term. PostgreSQL: LIKE '%term%', which its trigram indexes serve. SQLite, which
    scans: instr(), twice as fast as LIKE, where LIKE's ASCII case folding cannot matter (the column and
    the term are in the same case, or the term has no ASCII letter)."""
    if sqlite and exact_case:
        return sa.func.instr(column, term) > 0
    return column.like(_like(term), escape="\\")


def _on_sqlite() -> bool:
    from tracker.extensions import db

    return db.session.get_bind().dialect.name == "sqlite"


def search_condition(query: str):
    """A WHERE condition matching the query against every way officers look a firm up."""
    q = " ".join((query or "").split())
    if not q:
        return sa.true()
    sqlite = _on_sqlite()
    code = normalise_code(q)
    conditions = [_contains(Enterprise.name, q, sqlite, exact_case=not re.search(r"[A-Za-z]", q))]
    # A stored USCC holds only USCC_ALPHABET's characters (no I, O, S, V, Z): "ylsf" cannot be part of one.
    if code.isalnum() and len(code) >= 4 and all(ch in USCC_ALPHABET for ch in code):
        conditions.append(_contains(Enterprise.uscc, code, sqlite))
        if code.isdigit():
            conditions.append(_contains(Enterprise.customs_code, code, sqlite))
    letters = q.lower().replace(" ", "")
    if _ASCII_LETTERS.match(letters):
        conditions.append(_contains(Enterprise.name_initials, letters, sqlite))
        if len(letters) >= 3:
            conditions.append(_contains(Enterprise.name_pinyin, letters, sqlite))
        conditions.append(sa.func.lower(Enterprise.name_en).like(_like(q.lower()), escape="\\"))
    return sa.or_(*conditions)
