"""The firm registry through its pages: creation rules, search, filters, exports, profile and scoping."""
import csv
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.conftest import csrf_from, edit_firm, query_count, submission_key_from, trade_mode_codes_off
from tracker.audit.models import AuditRecord
from tracker.imports.models import DeclarationCount
from tracker.enterprises.identifiers import IdentifierError, uscc_check_character, validate_uscc
from tracker.enterprises.models import Enterprise, TradeMode
from tracker.enterprises.reference import CreditRegime, decode_customs_code
from tracker.enterprises.services import record_credit_rating
from tracker.extensions import db

VALID = ["91310110666007217T", "91310115591693856A"]


@pytest.mark.parametrize("code", VALID)
def test_valid_usccs(code):
    assert validate_uscc(code) == code


@pytest.mark.parametrize("raw,expected", [
    ("91310110666007217t", "91310110666007217T"),
    ("９１３１０１１０６６６００７２１７Ｔ", "91310110666007217T"),  # full-width
    (" 9131 0110 6660 0721 7T ", "91310110666007217T"),
])
def test_usccs_are_normalised(raw, expected):
    assert validate_uscc(raw) == expected


@pytest.mark.parametrize("raw,code", [
    ("91310110666007217", "length"), ("91310110666007217TT", "length"),
    ("9131011066600721IT", "characters"), ("913101106660072O7T", "characters"),
    ("91AB0110666007217T", "region"), ("91310110666007217A", "check"),
])
def test_invalid_usccs(raw, code):
    with pytest.raises(IdentifierError) as info:
        validate_uscc(raw)
    assert info.value.code == code
    if code == "check":
        assert info.value.expected == "T" == uscc_check_character(raw[:17])


def test_customs_code_digits_are_decoded():
    decoded = decode_customs_code("2108940001")
    assert decoded["zone"] == "Other" or decoded["zone"]
    assert decode_customs_code("21089400") is None


def new_firm_form(client, **fields):
    page = client.get("/enterprises/new")
    data = {"csrf_token": csrf_from(page), "submission_key": submission_key_from(page), "name": "营口新港物流有限公司",
            "uscc": VALID[0], "office_id": "", "assigned_officer_id": "0", "economic_type": "", **fields}
    return client.post("/enterprises/new", data=data)


def test_officer_creates_a_firm_with_trade_modes(client, auth, cast):
    auth.login("officer")
    response = new_firm_form(client, office_id=str(cast.org.yingkou.id), uscc=VALID[0].lower(),
                             customs_code="２１０８９６０００５", trade_modes=["0110", "9610"], economic_type="6",
                             assigned_officer_id=str(cast.officer.id))
    assert response.status_code == 302
    firm = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == VALID[0]))
    assert firm.customs_code == "2108960005" and firm.office_id == cast.org.yingkou.id
    assert {m.code for m in firm.trade_modes} == {"0110", "9610"}
    assert firm.name_initials == "ykxgwlyxgs"
    assert db.session.scalar(sa.select(AuditRecord).where(AuditRecord.entity_type == "enterprises",
                                                         AuditRecord.entity_id == str(firm.id))).actor_name == "officer"


def test_the_trade_mode_filter_follows_a_firms_trade_modes_through_its_edits(client, auth, cast):
    """The list filters on the codes each firm keeps beside its links: made, changed and emptied by the
    firm's form, they say what the links say, and the list answers by them."""
    auth.login("officer")
    new_firm_form(client, office_id=str(cast.org.yingkou.id), trade_modes=["9610", "0110"])
    firm = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == VALID[0]))
    listed = lambda code: str(firm.id) in _listed_names(client, trade_mode=code)  # noqa: E731
    assert firm.trade_mode_codes == ",0110,9610," and listed("0110") and listed("9610") and not listed("0214")
    edit_firm(client, firm, trade_modes=["0214"])
    assert listed("0214") and not listed("0110") and not listed("9610")
    version = firm.version_id
    edit_firm(client, firm, trade_modes=[])
    assert firm.trade_mode_codes == "" and not listed("0214")
    # A change of trade modes alone is an edit of the firm: its version moves (a form opened before is stale).
    assert firm.version_id == version + 1
    assert trade_mode_codes_off() == {}
    # Neither two codes at once nor LIKE's wildcards match anything.
    edit_firm(client, firm, trade_modes=["0110", "0214"])
    assert listed("0110") and listed("0214")
    for code in ("0110,0214", "%", "_110", ",", ""):
        assert listed(code) == (code == ""), code


def test_wrong_check_character_names_the_expected_one(client, auth, cast):
    auth.login("officer")
    page = new_firm_form(client, office_id=str(cast.org.yingkou.id), uscc="91310110666007217A").get_data(as_text=True)
    assert "T" in page and "校验" in page
    assert db.session.scalar(sa.select(sa.func.count(Enterprise.id)).where(Enterprise.uscc.like("913101%"))) == 0


def test_officer_overrides_the_check_with_a_recorded_reason(client, auth, cast):
    auth.login("officer")
    response = new_firm_form(client, office_id=str(cast.org.yingkou.id), uscc="91310110666007217A",
                             uscc_override_reason="早期试点代码，与营业执照一致")
    assert response.status_code == 302
    firm = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == "91310110666007217A"))
    assert firm.uscc_override_reason == "早期试点代码，与营业执照一致"
    profile = client.get(f"/enterprises/{firm.id}").get_data(as_text=True)
    assert "早期试点代码" in profile


def test_duplicate_uscc_is_refused(client, auth, cast):
    auth.login("officer")
    existing = cast.contact.enterprise
    page = new_firm_form(client, office_id=str(cast.org.yingkou.id), uscc=existing.uscc).get_data(as_text=True)
    assert existing.name in page


def test_officer_cannot_create_a_firm_in_another_office(client, auth, cast):
    auth.login("officer")  # 营口
    response = new_firm_form(client, office_id=str(cast.org.bayuquan.id))
    assert response.status_code in (200, 403)
    assert db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == VALID[0])) is None


def test_stale_edit_form_is_refused(client, auth, cast):
    auth.login("officer")
    firm = cast.contact.enterprise
    page = client.get(f"/enterprises/{firm.id}/edit")
    token, version = csrf_from(page), page.get_data(as_text=True).split('name="version" type="hidden" value="')[1].split('"')[0]
    firm.district = "站前区"  # someone else saves meanwhile
    db.session.commit()
    data = {"csrf_token": token, "version": version, "name": "改名公司", "uscc": firm.uscc,
            "office_id": str(firm.office_id), "assigned_officer_id": "0", "economic_type": ""}
    response = client.post(f"/enterprises/{firm.id}/edit", data=data, follow_redirects=True)
    assert "其他人" in response.get_data(as_text=True) or "someone" in response.get_data(as_text=True).lower()
    db.session.rollback()
    assert db.session.get(Enterprise, firm.id).name != "改名公司"


@pytest.fixture
def firms(factory, cast):
    """A handful of firms in both offices with counts and credit levels."""
    yalisi = cast.contact.enterprise
    yalisi.name = "营口雅丽丝服装有限公司"
    made = {"yalisi": yalisi}
    for key, name, office in [("wukuang", "五矿营口中板有限责任公司", cast.org.yingkou),
                              ("guangyang", "营口光阳耐火材料有限公司", cast.org.yingkou),
                              ("evil", "=HYPERLINK(\"http://x\")公司", cast.org.yingkou)]:
        made[key] = factory.enterprise(office, name=name)
    made["longxin"] = cast.contact_byq.enterprise
    made["longxin"].name = "营口隆鑫果品有限公司"
    for key, count in [("yalisi", 96), ("wukuang", 900), ("guangyang", 79), ("longxin", 40)]:
        db.session.add(DeclarationCount(enterprise=made[key], year=2019, declarations=count))
    made["wukuang"].is_key = True
    made["wukuang"].trade_modes = [db.session.scalar(sa.select(TradeMode).where(TradeMode.code == "0110"))]
    record_credit_rating(made["wukuang"], regime=CreditRegime.DECREE_237, level="advanced_certified",
                         valid_from=__import__("datetime").date(2018, 5, 1))
    db.session.commit()
    return made


@pytest.mark.parametrize("q,expected", [
    ("雅丽丝", "yalisi"), ("ylsf", "yalisi"), ("YLSF", "yalisi"), ("yalisi", "yalisi"),
    ("zhongban", "wukuang"), ("gyn", "guangyang"),
])
def test_search_by_name_and_pinyin(client, auth, firms, q, expected):
    auth.login("manager-dl")
    page = client.get("/enterprises/", query_string={"q": q}).get_data(as_text=True)
    assert firms[expected].name in page
    others = [f for k, f in firms.items() if k != expected and k != "evil"]
    assert not any(f.name in page for f in others)


def test_search_by_uscc_and_customs_code(client, auth, firms):
    auth.login("manager")
    firm = firms["guangyang"]
    firm.customs_code = "2108910077"
    db.session.commit()
    assert firm.name in client.get("/enterprises/", query_string={"q": firm.uscc[-8:].lower()}).get_data(as_text=True)
    assert firm.name in client.get("/enterprises/", query_string={"q": "2108910077"}).get_data(as_text=True)


def test_filters_and_scope(client, auth, firms):
    auth.login("manager")  # 营口: never sees 隆鑫 of 鲅鱼圈
    page = client.get("/enterprises/").get_data(as_text=True)
    assert firms["yalisi"].name in page and firms["longxin"].name not in page
    key_only = client.get("/enterprises/", query_string={"key": "1"}).get_data(as_text=True)
    assert firms["wukuang"].name in key_only and firms["yalisi"].name not in key_only
    credit = client.get("/enterprises/", query_string={"credit": "advanced_certified"}).get_data(as_text=True)
    assert firms["wukuang"].name in credit and firms["guangyang"].name not in credit
    mode = client.get("/enterprises/", query_string={"trade_mode": "0110"}).get_data(as_text=True)
    assert firms["wukuang"].name in mode and firms["yalisi"].name not in mode
    by_count = client.get("/enterprises/", query_string={"sort": "-declarations"}).get_data(as_text=True)
    assert by_count.index(firms["wukuang"].name) < by_count.index(firms["yalisi"].name) < by_count.index(firms["guangyang"].name)


def test_archived_firms_leave_the_list_but_keep_their_page(client, auth, firms):
    auth.login("officer")
    firm = firms["guangyang"]
    token = csrf_from(client.get(f"/enterprises/{firm.id}"))
    assert client.post(f"/enterprises/{firm.id}/archive", data={"csrf_token": token}).status_code == 302
    client.get(f"/enterprises/{firm.id}")  # shows the flash message
    assert firm.name not in client.get("/enterprises/").get_data(as_text=True)
    assert firm.name in client.get("/enterprises/?archived=1").get_data(as_text=True)
    assert client.get(f"/enterprises/{firm.id}").status_code == 200
    db.session.rollback()
    assert db.session.get(Enterprise, firm.id) is not None


def test_exports_escape_formulas(client, auth, firms):
    auth.login("manager")
    response = client.get("/enterprises/export.csv")
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    names = [r[0] for r in rows[1:]]
    assert "'=HYPERLINK(\"http://x\")公司" in names
    assert not any(n.startswith("=") for n in names)

    response = client.get("/enterprises/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(\"http://x\")公司" in cells
    assert all(not str(c).startswith("=") for c in cells)


@pytest.mark.parametrize("value,escaped", [
    ("=1+1", "'=1+1"), ("+86 417", "'+86 417"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("\nx", "'\nx"), ("营口", "营口"), (42, 42),
])
def test_safe_cell(value, escaped):
    from tracker.exports import safe_cell

    assert safe_cell(value) == escaped


def test_profile_shows_codes_credit_counts_and_chart(client, auth, firms):
    auth.login("officer")
    firm = firms["wukuang"]
    firm.customs_code = "2108140002"
    db.session.commit()
    page = client.get(f"/enterprises/{firm.id}").get_data(as_text=True)
    assert "2108140002" in page and 'id="declarations-chart"' in page and "900" in page
    chart = page.split('data-chart="')[1].split('"')[0]
    assert "&#34;years&#34;" in chart and "&#34;2019&#34;" in chart and "900" in chart
    assert "高级认证" in page or "Advanced certified" in page


def test_contact_sees_his_firm_and_404_for_another(client, auth, firms):
    auth.login("yalisi")
    assert client.get(f"/enterprises/{firms['yalisi'].id}").status_code == 200
    assert client.get(f"/enterprises/{firms['wukuang'].id}").status_code == 404
    assert client.get(f"/enterprises/{firms['longxin'].id}").status_code == 404
    assert client.get("/enterprises/").status_code == 403
    assert client.get(f"/enterprises/{firms['yalisi'].id}/edit").status_code == 403


def test_officer_of_another_office_gets_404(client, auth, firms):
    auth.login("bayuquan-officer")
    assert client.get(f"/enterprises/{firms['yalisi'].id}").status_code == 404
    assert client.get(f"/enterprises/{firms['longxin'].id}").status_code == 200


def test_credit_history_closes_the_previous_period(app, firms):
    from datetime import date

    firm = firms["yalisi"]
    record_credit_rating(firm, regime=CreditRegime.DECREE_237, level="general_credit", valid_from=date(2018, 5, 1))
    record_credit_rating(firm, regime=CreditRegime.DECREE_237, level="general_certified", valid_from=date(2019, 9, 1))
    db.session.commit()
    history = sorted(firm.credit_ratings, key=lambda r: r.valid_from)
    assert history[0].valid_to == date(2019, 8, 31) and history[1].valid_to is None
    assert firm.credit_level == "general_certified"
    from tracker.enterprises.services import CreditError

    with pytest.raises(CreditError):
        record_credit_rating(firm, regime=CreditRegime.DECREE_251, level="general_certified", valid_from=date(2022, 1, 1))


def test_contacts_are_added_and_removed_with_validation(client, auth, firms):
    auth.login("officer")
    firm = firms["yalisi"]
    profile = client.get(f"/enterprises/{firm.id}")
    token, key = csrf_from(profile), submission_key_from(profile)
    bad = client.post(f"/enterprises/{firm.id}/contacts", data={"csrf_token": token, "submission_key": key, "name": "王经理", "email": "not-an-email"},
                      follow_redirects=True)
    assert "王经理" not in bad.get_data(as_text=True).split('id="contacts"')[1].split("</ul>")[0]
    client.post(f"/enterprises/{firm.id}/contacts", data={"csrf_token": token, "submission_key": key, "name": "王经理",
                                                          "phone": "0417-1234567"})
    db.session.rollback()
    assert [c.name for c in db.session.get(Enterprise, firm.id).contacts] == ["王经理"]


def test_list_and_profile_queries_do_not_grow_with_the_data(app, client, auth, cast, factory):
    auth.login("manager")
    for n in range(5):
        f = factory.enterprise(cast.org.yingkou)
        db.session.add(DeclarationCount(enterprise=f, year=2019, declarations=n))
    db.session.commit()
    small = query_count(app, client, "/enterprises/")
    mode = db.session.scalar(sa.select(TradeMode).where(TradeMode.code == "0110"))
    for n in range(60):
        f = factory.enterprise(cast.org.yingkou)
        f.trade_modes = [mode]
        f.assigned_officer = cast.officer
        db.session.add(DeclarationCount(enterprise=f, year=2019, declarations=n))
    db.session.commit()
    assert query_count(app, client, "/enterprises/") == small
    assert query_count(app, client, "/enterprises/?page=2") == small

    # The profile: one of everything a firm gathers, then twenty of each; the page's statements stay the same.
    from tracker.accounts.services import invite_contact
    from tracker.auth.models import Role

    firm = db.session.scalar(sa.select(Enterprise).order_by(Enterprise.id.desc()))

    def gather(n):
        for _ in range(n):
            factory.visit(firm, [cast.officer])
            factory.need(firm, officer=cast.officer)
            factory.user(Role.ENTERPRISE_CONTACT, enterprise=firm)
            invite_contact(firm, display_name="王经理", by=cast.officer)
        db.session.commit()

    gather(1)
    one = query_count(app, client, f"/enterprises/{firm.id}")
    gather(20)
    assert query_count(app, client, f"/enterprises/{firm.id}") == one


def _pinyin_keys_plain(name: str) -> tuple[str, str]:
    """The straightforward keys: the whole name converted twice, once to initials, once to syllables."""
    import re

    from pypinyin import Style, lazy_pinyin

    if not name:
        return "", ""
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors=lambda s: list(s)))
    full = "".join(lazy_pinyin(name, errors=lambda s: list(s)))
    clean = re.compile(r"[^a-z0-9]")
    return clean.sub("", initials.lower())[:200], clean.sub("", full.lower())[:1000]


PINYIN_NAMES = [
    # polyphonic characters, read by their phrase: 银行 háng, 重庆 chóng, 长安 cháng, 乐亭 lào, 行 xíng alone
    "营口银行股份有限公司", "中国银行营口分行", "重庆长安汽车", "重要的长期合作", "乐亭行", "音乐行业协会", "行行出状元",
    "厦门大学", "朝阳朝日", "单县单家", "绿色食品", "了解了", "嗯", "大石桥市长发镁业",
    # mixed Latin, digits, punctuation and spaces
    "宏群胜精密电子(营口)有限公司", "ABC国际贸易（营口）有限公司", "2019年百企大调研", "Yingkou Co., Ltd.",
    "营口 雅丽丝", "  ", "", "3M中国", "第1分公司No.2", "ü字母", "＝HYPERLINK(\"x\")公司", "营口港务集团·物流",
    "A" * 250, "营" * 300,
]


def test_pinyin_keys_are_those_of_the_whole_name():
    from tracker.demo_names import BRANDS, INDUSTRY_WORDS
    from tracker.enterprises.pinyin import pinyin_keys

    names = list(PINYIN_NAMES)
    words = [w for ws in INDUSTRY_WORDS.values() for w in ws]
    for i, brand in enumerate(BRANDS):
        names.append(f"营口{brand}{words[i % len(words)]}有限公司")
        names.append(f"大石桥市{brand}{words[(i * 7) % len(words)]}股份有限公司")
    for name in names:
        assert pinyin_keys(name) == _pinyin_keys_plain(name), name
    assert pinyin_keys("营口银行") == ("ykyh", "yingkouyinhang")
    assert pinyin_keys("3M中国") == ("3mzg", "3mzhongguo")


LIST_URLS = ["/enterprises/", "/enterprises/?page=2", "/enterprises/?sort=-declarations", "/enterprises/?sort=uscc",
             "/enterprises/?sort=-created&page=2", "/enterprises/?credit=general_credit&trade_mode=0110&sort=-declarations",
             "/enterprises/?q=ykqy", "/enterprises/?q=企业&sort=-declarations", "/enterprises/?q=企业&page=2",
             "/enterprises/?trade_mode=0110&key=1", "/enterprises/?archived=1&office=0930"]


def _many_firms(factory, cast, n, start=0):
    from datetime import date

    mode = db.session.scalar(sa.select(TradeMode).where(TradeMode.code == "0110"))
    for i in range(start, start + n):
        f = factory.enterprise(cast.org.yingkou if i % 3 else cast.org.bayuquan, name=f"营口企业{i:03d}有限公司")
        if i % 2:
            f.trade_modes = [mode]
        f.is_key = i % 4 == 0
        if i % 5:
            db.session.add(DeclarationCount(enterprise=f, year=2019, declarations=(i * 37) % 11))
        if i % 3 == 0:
            db.session.flush()
            record_credit_rating(f, regime=CreditRegime.DECREE_251, level="general_credit", valid_from=date(2019, 1, 1))
    db.session.commit()


def test_list_pages_issue_the_same_statements_at_every_size(app, client, auth, cast, factory):
    """Every list page (plain, the second, each sort, filtered, searches) costs the same statements with 60
    and with 180 matching firms."""
    auth.login("manager-dl")
    _many_firms(factory, cast, 60)
    small = {url: query_count(app, client, url) for url in LIST_URLS}
    _many_firms(factory, cast, 120, start=60)
    assert {url: query_count(app, client, url) for url in LIST_URLS} == small
    # A search has no separate count, but asks the search index first how many firms hold the term.
    assert small["/enterprises/?q=ykqy"] == small["/enterprises/"]


def _listed_names(client, **args):
    import re

    page = client.get("/enterprises/", query_string=args).get_data(as_text=True)
    return re.findall(r'href="/enterprises/(\d+)"', page)


@pytest.mark.parametrize("broad", [False, True])
def test_pages_are_slices_of_the_whole_list_in_its_order(app, client, auth, cast, factory, monkeypatch, broad):
    """Read 50 at a time, the list shows exactly the firms of the export's query in its order, for every
    sort, filter and search (a broad search, paged by the database, the same as a narrow one; the list by
    declarations walked from the top of the counts' index, the same as sorted in Python)."""
    from werkzeug.datastructures import MultiDict

    from tracker.auth.models import User
    from tracker.enterprises import queries

    if broad:
        monkeypatch.setattr(queries, "SEARCH_IN_PYTHON", 10)
        monkeypatch.setattr(queries, "IN_PYTHON", 0)
    _many_firms(factory, cast, 130)
    auth.login("manager-dl")
    user = db.session.scalar(sa.select(User).where(User.username == "manager-dl"))
    for args in ({}, {"sort": "-declarations"}, {"sort": "uscc"}, {"sort": "-created"}, {"q": "企业"},
                 {"q": "qiye", "sort": "-declarations"}, {"q": "ykqy", "sort": "-created"},
                 {"trade_mode": "0110", "credit": "general_credit"}, {"key": "1", "sort": "-declarations"},
                 {"trade_mode": "0110", "credit": "general_credit", "sort": "-declarations"}):
        expected = [e.id for e, _n in db.session.execute(queries.ListFilters(MultiDict(args)).select(user)).unique()]
        pages = [queries.ListFilters(MultiDict(args)).page(user, n) for n in (1, 2, 3, 4)]
        assert [e.id for p in pages for e, _n in p.items] == expected, args
        assert all(p.total == len(expected) for p in pages), args
        assert pages[0].pages == -(-len(expected) // 50)
        shown = [int(i) for i in _listed_names(client, page=2, **args)]
        assert [i for i in shown if i in expected[50:100]] == expected[50:100], args
    db.session.rollback()


# Trade modes by name, kept apart (issue 10) -----------------------------------------------------------------
def _text(html: str) -> str:
    """The page as text, tags dropped (what is copied, read aloud or searched)."""
    import re

    return re.sub(r"<[^>]+>", "", html)


def test_trade_modes_read_apart_on_pages_and_by_code_and_name_in_the_export(client, auth, cast):
    auth.login("officer")
    assert new_firm_form(client, office_id=str(cast.org.yingkou.id), trade_modes=["0615", "0214"]).status_code == 302
    firm = db.session.scalar(sa.select(Enterprise).where(Enterprise.name == "营口新港物流有限公司"))
    profile = client.get(f"/enterprises/{firm.id}").get_data(as_text=True)
    shown = _text(profile.split('id="trade-modes">')[1].split("</dd>")[0])
    assert shown == "0214 来料加工、 0615 进料对口"
    assert "来料加工0615" not in _text(profile)
    listed = client.get("/enterprises/", query_string={"q": "新港"}).get_data(as_text=True)
    assert 'title="来料加工">0214</span><span class="visually-hidden">、</span> ' in listed

    rows = list(csv.reader(io.StringIO(client.get("/enterprises/export.csv").get_data(as_text=True).lstrip("\ufeff"))))
    column = rows[0].index("贸易方式")
    assert [r[column] for r in rows[1:] if r[0] == firm.name] == ["0214 来料加工；0615 进料对口"]
    sheet = load_workbook(io.BytesIO(client.get("/enterprises/export.xlsx").data), read_only=True).active
    cells = [row[column] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] == firm.name]
    assert cells == ["0214 来料加工；0615 进料对口"]

    # A firm without trade modes exports an empty cell, not a dangling separator.
    edit_firm(client, firm, trade_modes=[])
    rows = list(csv.reader(io.StringIO(client.get("/enterprises/export.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert [r[column] for r in rows[1:] if r[0] == firm.name] == [""]
