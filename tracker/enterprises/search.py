"""Firm search: by name, pinyin (initials or full), USCC or customs code, as one SQL query.

The name, English name and pinyin conditions are substring tests. On their own they read every firm;
a term of two characters or more first looks its character pairs up in the search index
(tracker/enterprises/grams.py: FTS5 on SQLite, a GIN index on PostgreSQL) and the substring tests then
run on the firms found there only. The USCC and customs-code conditions, for terms that can be part of
one, still test every firm.
"""
import re

import sqlalchemy as sa

from tracker.enterprises import grams
from tracker.enterprises.identifiers import USCC_ALPHABET, normalise_code
from tracker.enterprises.models import Enterprise

_ASCII_LETTERS = re.compile(r"^[a-z]+$")


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(column, term: str, sqlite: bool, exact_case: bool = True):
    """column contains term. PostgreSQL: LIKE '%term%'. SQLite: instr(), twice as fast as LIKE, where
    LIKE's ASCII case folding cannot matter (the column and the term are in the same case, or the term
    has no ASCII letter)."""
    if sqlite and exact_case:
        return sa.func.instr(column, term) > 0
    return column.like(_like(term), escape="\\")


def _dialect() -> str:
    from tracker.extensions import db

    return db.session.get_bind().dialect.name


def _normalise(query: str) -> str:
    return " ".join((query or "").split())


def _letters(q: str) -> str | None:
    letters = q.lower().replace(" ", "")
    return letters if _ASCII_LETTERS.match(letters) else None


def _word_groups(q: str) -> list[list[str]] | None:
    """The index words of each text condition of search_condition, or None when one of them has none
    (a one-character term, which the index cannot narrow)."""
    groups = [grams.term_words(grams.NAME, q)]
    letters = _letters(q)
    if letters:
        groups.append(grams.term_words(grams.INITIALS, letters))
        if len(letters) >= 3:
            groups.append(grams.term_words(grams.PINYIN, letters))
        groups.append(grams.term_words(grams.NAME_EN, q))
    return groups if all(groups) else None


def _indexed(groups: list[list[str]], dialect: str):
    """Enterprise rows that hold every word of at least one group (the index's candidates)."""
    if dialect == "sqlite":
        return Enterprise.id.in_(sa.text("SELECT rowid FROM enterprise_search WHERE enterprise_search MATCH :words")
                                 .bindparams(words=grams.fts5_query(groups)))
    if dialect == "postgresql":  # the expression of the index ix_enterprises_search_grams, word for word
        return sa.func.to_tsvector(sa.literal_column("'simple'::regconfig"), Enterprise.search_grams).bool_op("@@")(
            sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"), grams.tsquery(groups)))
    return None


def index_candidates(query: str, limit: int) -> int | None:
    """How many firms the index finds for the query, counting to limit + 1 at most; None when the index
    cannot narrow it. Lets a caller fall back to reading every firm for a term that most firms hold
    (a scan then costs less than looking thousands of ids up)."""
    from tracker.extensions import db

    groups = _word_groups(_normalise(query))
    dialect = _dialect()
    condition = _indexed(groups, dialect) if groups else None
    if condition is None:
        return None
    found = sa.select(sa.literal(1)).select_from(Enterprise).where(condition).limit(limit + 1).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(found))


def search_condition(query: str, use_index: bool = True):
    """A WHERE condition matching the query against every way officers look a firm up."""
    q = _normalise(query)
    if not q:
        return sa.true()
    dialect = _dialect()
    sqlite = dialect == "sqlite"
    text = [_contains(Enterprise.name, q, sqlite, exact_case=not re.search(r"[A-Za-z]", q))]
    letters = _letters(q)
    if letters:
        text.append(_contains(Enterprise.name_initials, letters, sqlite))
        if len(letters) >= 3:
            text.append(_contains(Enterprise.name_pinyin, letters, sqlite))
        text.append(sa.func.lower(Enterprise.name_en).like(_like(q.lower()), escape="\\"))
    groups = _word_groups(q) if use_index else None
    indexed = _indexed(groups, dialect) if groups else None
    conditions = [sa.and_(indexed, sa.or_(*text)) if indexed is not None else sa.or_(*text)]
    # A stored USCC holds only USCC_ALPHABET's characters (no I, O, S, V, Z): "ylsf" cannot be part of one.
    code = normalise_code(q)
    if code.isalnum() and len(code) >= 4 and all(ch in USCC_ALPHABET for ch in code):
        conditions.append(_contains(Enterprise.uscc, code, sqlite))
        if code.isdigit():
            conditions.append(_contains(Enterprise.customs_code, code, sqlite))
    return sa.or_(*conditions)
