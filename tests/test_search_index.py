"""The firm search's index (tracker/enterprises/grams.py): it finds what reading every firm finds, and it
follows every way a firm's name changes (edit form, bulk import, SQL), on both databases."""
import random

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_from
from tracker.enterprises import grams
from tracker.enterprises.models import Enterprise
from tracker.enterprises.search import index_candidates, search_condition
from tracker.extensions import db

NAMES = [
    "营口雅丽丝服装有限公司", "五矿营口中板有限责任公司", "营口光阳耐火材料有限公司", "盖州市鸿运耐材股份有限公司",
    "大连鸿运国际物流有限公司", "营口银行股份有限公司", "辽宁重型机械（营口）有限公司", "营口 ABC 贸易有限公司",
    "鲅鱼圈3D打印科技有限公司", "长春长生重工有限公司", "营口乐器有限公司", "ΟΔΥΣΣΕΑΣ 希腊贸易有限公司",
    "营口𠀋字号土特产有限公司", "Yingkou Maple Leaf Trading Co., Ltd.", "营口绿色食品有限公司",
]
NAMES_EN = {0: "Yingkou Yalisi Garments Co., Ltd.", 3: "Gaizhou HONGYUN Refractory", 7: "Yingkou  ABC  Trading"}


@pytest.fixture
def named(factory, cast):
    firms = [factory.enterprise(cast.org.yingkou if i % 3 else cast.org.bayuquan, name=name, name_en=NAMES_EN.get(i))
             for i, name in enumerate(NAMES)]
    db.session.commit()
    return firms


def _found(query: str, use_index: bool) -> set[int]:
    return set(db.session.scalars(sa.select(Enterprise.id).where(search_condition(query, use_index=use_index))))


def _terms() -> list[str]:
    """Substrings of every name, English name and pinyin key, in other cases too, and terms found nowhere."""
    rng = random.Random(8)
    terms = {"鸿运", "ylsf", "YLSF", "yingkou", "abc 贸易", "ABC", "3d", "3D打印", "οδυσσεας", "ΟΔΥΣΣΕΑΣ", "𠀋字",
             "lvse", "yinhang", "yh", "garments", "co., ltd", "abc  trading", "不存在的公司", "zzzz", "营口营口", "90"}
    for name in NAMES + list(NAMES_EN.values()):
        from tracker.enterprises.pinyin import pinyin_keys

        for text in (name, *pinyin_keys(name)):
            for _ in range(6):
                start = rng.randrange(len(text))
                terms.add(text[start:start + rng.randint(2, 6)])
    return sorted(t for t in terms if t.strip())


def test_the_index_finds_what_reading_every_firm_finds(named):
    terms = _terms()
    assert len(terms) > 150
    for term in terms:
        assert _found(term, use_index=True) == _found(term, use_index=False), term
    # and the terms do find firms: the comparison is not between two empty sets
    assert sum(bool(_found(t, use_index=True)) for t in terms) > 140
    assert {f.name for f in named if f.id in _found("鸿运", True)} == {NAMES[3], NAMES[4]}


def test_one_character_terms_are_not_looked_up_in_the_index(named):
    assert index_candidates("鸿", 100) is None
    assert index_candidates("鸿运", 100) == 2
    assert index_candidates("营口", 3) == 4  # counts to the limit and one more, no further
    assert _found("鸿", True) == _found("鸿", False) and len(_found("鸿", True)) == 2


def test_renaming_a_firm_through_its_form_moves_it_in_the_index(client, auth, cast, named):
    firm = named[1]  # 五矿营口中板, under 营口
    auth.login("officer")
    page = client.get(f"/enterprises/{firm.id}/edit")
    version = page.get_data(as_text=True).split('name="version" type="hidden" value="')[1].split('"')[0]
    data = {"csrf_token": csrf_from(page), "version": version, "name": "营口鑫达钢板有限公司", "name_en": "Xinda Steel",
            "uscc": firm.uscc, "office_id": str(firm.office_id), "assigned_officer_id": "0", "economic_type": ""}
    assert client.post(f"/enterprises/{firm.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    assert firm.id in _found("鑫达", True) and firm.id in _found("xdgb", True) and firm.id in _found("steel", True)
    assert firm.id not in _found("中板", True) and firm.id not in _found("wkyk", True)
    listed = client.get("/enterprises/", query_string={"q": "鑫达"}).get_data(as_text=True)
    assert "营口鑫达钢板有限公司" in listed


def test_rows_written_without_the_orm_are_indexed_and_deleted_rows_leave_it(app, named):
    """The bulk import writes firms with plain INSERTs: the index follows (triggers on SQLite, an
    expression index on PostgreSQL); so does a DELETE."""
    from tracker.enterprises.pinyin import pinyin_keys

    name = "营口昊天重工有限公司"
    initials, full = pinyin_keys(name)
    firm_id = db.session.execute(sa.insert(Enterprise.__table__).values(
        name=name, uscc="91210800MA0YQ3XJ8W", office_id=named[0].office_id, name_initials=initials,
        name_pinyin=full, search_grams=grams.search_words(name, None, initials, full), is_key=False,
        version_id=1).returning(Enterprise.__table__.c.id)).scalar_one()
    db.session.commit()
    assert _found("昊天", True) == {firm_id} and _found("hangtian", True) == set()
    assert _found("haotian", True) == {firm_id}
    db.session.execute(sa.delete(Enterprise.__table__).where(Enterprise.__table__.c.id == firm_id))
    db.session.commit()
    assert _found("昊天", True) == set() and index_candidates("昊天", 10) == 0


def test_a_term_most_firms_hold_is_searched_by_reading_every_firm(client, auth, named, monkeypatch):
    """Above SEARCH_IN_PYTHON candidates the list reads every firm instead of looking thousands of ids up;
    the page shows the same firms either way."""
    from tracker.enterprises import queries

    auth.login("manager-dl")
    wide = client.get("/enterprises/", query_string={"q": "营口"}).get_data(as_text=True)
    monkeypatch.setattr(queries, "SEARCH_IN_PYTHON", 2)
    narrow = client.get("/enterprises/", query_string={"q": "营口"}).get_data(as_text=True)
    for firm in named:
        assert (firm.name in wide) == (firm.name in narrow) == ("营口" in firm.name), firm.name
