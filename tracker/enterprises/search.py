"""Firm search: by name, pinyin (initials or full), USCC or customs code, as one SQL query."""
import re

import sqlalchemy as sa
from pypinyin import Style, lazy_pinyin

from tracker.enterprises.identifiers import normalise_code
from tracker.enterprises.models import Enterprise

_ASCII_LETTERS = re.compile(r"^[a-z]+$")


def pinyin_keys(name: str) -> tuple[str, str]:
    """(initials, full) in lower-case ASCII; non-Chinese letters and digits are kept as they are."""
    if not name:
        return "", ""
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors=lambda s: list(s)))
    full = "".join(lazy_pinyin(name, errors=lambda s: list(s)))
    clean = re.compile(r"[^a-z0-9]")
    return clean.sub("", initials.lower())[:200], clean.sub("", full.lower())[:1000]


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_condition(query: str):
    """A WHERE condition matching the query against every way officers look a firm up."""
    q = " ".join((query or "").split())
    if not q:
        return sa.true()
    code = normalise_code(q)
    conditions = [Enterprise.name.like(_like(q), escape="\\")]
    if code.isalnum() and len(code) >= 4:
        conditions.append(Enterprise.uscc.like(_like(code), escape="\\"))
        if code.isdigit():
            conditions.append(Enterprise.customs_code.like(_like(code), escape="\\"))
    letters = q.lower().replace(" ", "")
    if _ASCII_LETTERS.match(letters):
        conditions.append(Enterprise.name_initials.like(_like(letters), escape="\\"))
        if len(letters) >= 3:
            conditions.append(Enterprise.name_pinyin.like(_like(letters), escape="\\"))
        conditions.append(sa.func.lower(Enterprise.name_en).like(_like(q.lower()), escape="\\"))
    return sa.or_(*conditions)
