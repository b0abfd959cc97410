"""The Chinese catalog reads as Chinese: full-width punctuation inside Chinese text, never "说明: 该…"."""
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

CATALOG = Path(__file__).parents[1] / "tracker" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Chinese text around a mark: Han characters and the full-width marks themselves (，。：“” …).
CHINESE = r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef\u201c\u201d]"
HALF_WIDTH = r"[:,;?!()]"
# What may keep its ASCII punctuation: placeholders, addresses, clock times and code (`…`, a header line).
ALLOWED = re.compile(r"%\([a-z_]+\)[sdfr]|%[sdr]|https?://\S+|\b\d{1,2}:\d{2}\b|`[^`]*`"
                     r"|\b[A-Z][A-Za-z-]+: [A-Za-z/<>\u3400-\u9fff-]+")
MIXED = re.compile(rf"{CHINESE}\s*{HALF_WIDTH}|{HALF_WIDTH}\s*{CHINESE}")


def half_width_marks(text: str) -> list[str]:
    """The half-width marks next to Chinese text in *text* (empty when it has no Chinese)."""
    if not HAN.search(text):
        return []
    return MIXED.findall(ALLOWED.sub("\x00", text))


@pytest.mark.parametrize("text,found", [
    ("未作任何修改：向企业作出的说明: 该字段是必填字段。", ["明:"]),
    ("请填写企业名称,然后保存。", ["称,"]),
    ("是否继续?", ["续?"]),
    ("已办结(待回访)", ["结(", "访)"]),
    ("注意;时限", ["意;"]),
    ("未作任何修改：请填写向企业作出的说明。", []),
    ("%(name)s（%(days)d个工作日）", []),
    ("已将 %(day)s（%(name)s）加入工作日历。", []),
    ("%(name)s (%(username)s)", []),  # no Chinese of its own
    ("船期 14:05 开船", []),
    ("请以JSON格式发送数据，并设置Content-Type: application/json。", []),
    ("请访问 https://example.com/a,b 查看。", []),
])
def test_the_check_finds_half_width_marks_in_chinese_text(text, found):
    assert half_width_marks(text) == found


def test_no_catalog_message_mixes_half_width_punctuation_into_chinese():
    with CATALOG.open("rb") as f:
        catalog = read_po(f, locale="zh")
    offenders = {}
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            if text and half_width_marks(text):
                offenders[message.id if isinstance(message.id, str) else message.id[0]] = text
    assert offenders == {}
