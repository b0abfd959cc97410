"""The firm search's index terms: every pair of adjacent characters of a firm's name, English name and
pinyin keys, as one word each, so that a substring search is an index lookup on both databases.

A substring of two characters or more contains each pair of adjacent characters it is made of, so the
firms that hold all the search term's pairs are a superset of the firms that contain the term; the exact
condition (`search.search_condition`) then runs on those few rows only. One-character terms have no
pair and are searched by a scan, as before.

The words are made of ASCII letters and digits only, which both full-text engines keep whole (SQLite
FTS5's unicode61 tokenizer, PostgreSQL's 'simple' configuration): a field's letter, then the pair.
Pinyin keys are ASCII already ("pyl"); other text is written as its two UTF-16 code units, each as four
of the letters a-p ("鸿运" → "njodpipna": n, then 9e3f and 8fd0).
"""
from __future__ import annotations

import binascii

NAME, NAME_EN, INITIALS, PINYIN = "n", "e", "i", "p"
_HEX_TO_LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")


def _text_pairs(field: str, text: str) -> list[str]:
    """The words of every adjacent pair of characters of text, case-folded."""
    units = binascii.hexlify(text.casefold().encode("utf-16-be", "surrogatepass")).decode().translate(_HEX_TO_LETTERS)
    return [field + units[i:i + 8] for i in range(0, len(units) - 4, 4)]


def _key_pairs(field: str, key: str) -> list[str]:
    return [field + key[i:i + 2] for i in range(len(key) - 1)]


def search_words(name: str | None, name_en: str | None, initials: str | None, pinyin: str | None) -> str:
    """The firm's index terms, space-separated, each once (stored in enterprises.search_grams)."""
    words = _text_pairs(NAME, name) if name else []
    if name_en:
        words += _text_pairs(NAME_EN, name_en)
    if initials:
        words += _key_pairs(INITIALS, initials)
    if pinyin:
        words += _key_pairs(PINYIN, pinyin)
    return " ".join(dict.fromkeys(words))


def term_words(field: str, term: str) -> list[str]:
    """The words a firm must hold to contain term in field; none for a term shorter than two characters."""
    pairs = _key_pairs(field, term) if field in (INITIALS, PINYIN) else _text_pairs(field, term)
    return list(dict.fromkeys(pairs))


def fts5_query(groups: list[list[str]]) -> str:
    """SQLite FTS5: any of the groups, each with all its words."""
    return " OR ".join("(" + " AND ".join(f'"{w}"' for w in words) + ")" for words in groups)


def tsquery(groups: list[list[str]]) -> str:
    """PostgreSQL to_tsquery: any of the groups, each with all its words."""
    return " | ".join("(" + " & ".join(words) + ")" for words in groups)
