"""The campaign dashboard's certification-coaching section (tracker/reports/certification.py): the roster firms'
readiness from their latest customs assessment, the items most often short, the certifications of the year;
their drill-down listings, the workbook, who may read them, and what they cost.

The assessments are made through tracker.certification.services (factory.assessment) against the 2018 standard:
42 ordinary items (1.1.1 to 4.8.2) and the bonus items 5.1-5.4. ``scores()`` says which are short."""
import re
from datetime import date
from io import BytesIO
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.conftest import Api, Factory, local, page, query_count
from tracker.auth.models import Role
from tracker.campaigns.models import RosterEntry, RosterSource
from tracker.certification import services as certification
from tracker.certification.models import AssessmentKind, CertificationStandard, Score, StandardItem
from tracker.enterprises.reference import CreditRegime
from tracker.enterprises.services import record_credit_rating
from tracker.extensions import db
from tracker.reports import certification as section_module
from tracker.reports import listings
from tracker.reports.scope import ReportFilters, ReportScope

YEAR = {"from": "2019-01-01", "to": "2019-12-31"}
JUNE = {"from": "2019-06-01", "to": "2019-06-30"}
TODAY = date(2019, 12, 31)
D237, D251 = CreditRegime.DECREE_237, CreditRegime.DECREE_251


def standard_2018() -> CertificationStandard:
    certification.load_standards()
    return db.session.scalar(sa.select(CertificationStandard).where(CertificationStandard.code == "2018"))


def ordinary() -> list[str]:
    """The 2018 standard's ordinary items' numbers, in the standard's order."""
    return [i.number for i in standard_2018().items if not i.is_bonus]


def item_id(number: str) -> int:
    return db.session.scalar(sa.select(StandardItem.id).where(StandardItem.standard_id == standard_2018().id,
                                                              StandardItem.number == number))


def scores(mostly: int = 0, not_met=(), bonus: int = 0, unscored: int = 0, extra: dict | None = None) -> dict:
    """Every ordinary item met, except the first *mostly* (基本达标), the items *not_met* (不达标) and the last
    *unscored* (left unscored); the first *bonus* bonus items met; then *extra* as given."""
    numbers = ordinary()
    kept = numbers[:len(numbers) - unscored]
    given = {n: Score.MET for n in kept}
    for n in numbers[:mostly]:
        given[n] = Score.MOSTLY
    for n in not_met:
        given[n] = Score.NOT_MET
    for n in ["5.1", "5.2", "5.3", "5.4"][:bonus]:
        given[n] = Score.MET
    given.update(extra or {})
    return given


def assess(firm, officer, day: date, **kw):
    """A customs assessment of *firm* started on *day* (local 10:00), scored as scores(**kw) says."""
    assessment = certification_assessment(firm, officer, scores(**kw))
    assessment.created_at = local(day, 10)
    db.session.flush()
    return assessment


def certification_assessment(firm, officer, given, kind=None):
    return Factory.assessment(firm, officer, scores=given, kind=kind)


def on_roster(campaign, firm, declarations=100):
    db.session.add(RosterEntry(campaign=campaign, enterprise=firm, declarations=declarations,
                               source=RosterSource.SCREENING))
    db.session.flush()


@pytest.fixture
def coaching(factory, cast):
    """大连海关's 2019 campaign; its roster's firms and their latest customs assessments (points on the 2018
    standard, where an item 基本达标 is -1, 不达标 -2, a bonus item met +2):

    firm      office  customs assessment(s)                                    readiness
    ready95   营口    5 mostly met, bonus 5.2 not met: 95                      ready
    close94   营口    6 mostly: 94                                             close
    close90   营口    10 mostly: 90                                            close
    far89     营口    11 mostly: 89                                            far
    far99     营口    4.8.1 not met, 1 mostly, bonus 5.1 met: 99               far (an item not met)
    unscored  营口    2 mostly, the last 3 ordinary items unscored: 98 so far  close (never ready unscored)
    own       营口    5 mostly: 95; then (later) its own self-assessment,      ready (a self-assessment
                      4.1.1 and 4.1.2 not met                                  never counts)
    twice     营口    4 mostly: 96, archived; later 4.8.1, 4.8.2 not met       far (the latest counts)
    byq       鲅鱼圈  every item met: 100                                      ready (outside 营口)
    none      营口    -                                                        not assessed
    selfonly  营口    its self-assessment only                                 not assessed
    and, off the roster, ``off`` (营口) with every item met: never counted.
    """
    org = cast.org
    campaign = factory.campaign(org.dalian, name="大连海关2019年认证培育", starts_on=date(2019, 1, 1),
                                ends_on=date(2019, 12, 31))
    firms = {}
    for key, office in [("ready95", org.yingkou), ("close94", org.yingkou), ("close90", org.yingkou),
                        ("far89", org.yingkou), ("far99", org.yingkou), ("unscored", org.yingkou),
                        ("own", None), ("twice", org.yingkou), ("byq", org.bayuquan), ("none", org.yingkou),
                        ("selfonly", org.yingkou)]:
        firm = cast.contact.enterprise if key == "own" else factory.enterprise(office, name=f"{key}认证测试有限公司")
        firms[key] = firm
        on_roster(campaign, firm)
    firms["off"] = factory.enterprise(org.yingkou, name="off认证测试有限公司")
    zhang, li = cast.officer, cast.officer_byq
    june = date(2019, 6, 1)
    a = {}
    a["ready95"] = assess(firms["ready95"], zhang, june, mostly=5, extra={"5.2": Score.NOT_MET})
    a["close94"] = assess(firms["close94"], zhang, june, mostly=6)
    a["close90"] = assess(firms["close90"], zhang, june, mostly=10)
    a["far89"] = assess(firms["far89"], zhang, june, mostly=11)
    a["far99"] = assess(firms["far99"], zhang, june, mostly=1, not_met=("4.8.1",), bonus=1)
    a["unscored"] = assess(firms["unscored"], zhang, june, mostly=2, unscored=3)
    a["own"] = assess(firms["own"], zhang, date(2019, 5, 1), mostly=5)
    own_self = certification_assessment(firms["own"], cast.contact, scores(not_met=("4.1.1", "4.1.2")),
                                        kind=AssessmentKind.SELF)
    own_self.created_at = local(date(2019, 6, 20), 10)
    older = assess(firms["twice"], zhang, date(2019, 5, 10), mostly=4)
    certification.close(older, by=zhang)
    a["twice"] = assess(firms["twice"], zhang, date(2019, 6, 25), not_met=("4.8.1", "4.8.2"))
    a["twice_older"] = older
    a["byq"] = assess(firms["byq"], li, june)
    selfonly_contact = factory.user(Role.ENTERPRISE_CONTACT, enterprise=firms["selfonly"])
    certification_assessment(firms["selfonly"], selfonly_contact, scores(), kind=AssessmentKind.SELF)
    assess(firms["off"], zhang, june)
    db.session.commit()
    return {"campaign": campaign, "firms": firms, "assessments": a}


def scope_for(campaign, user, **args) -> ReportScope:
    filters = ReportFilters.parse({**YEAR, **args}, campaign, user, TODAY)
    return ReportScope(campaign, user, filters, TODAY)


def the_section(campaign, user, **args):
    return section_module.certification_section(scope_for(campaign, user, **args))


def values(section) -> dict:
    return {f.key.split(".", 1)[1]: f.value for f in section.figures}


def listed(campaign, user, key: str, listing_args: dict, **filters) -> list:
    built = listings.build(key, scope_for(campaign, user, **filters), listing_args)
    rows = db.session.scalars(built.select.options(*built.options)).unique().all()
    assert db.session.scalar(built.count) == len(rows)
    return rows


def names(rows) -> set[str]:
    out = set()
    for row in rows:
        firm = getattr(row, "enterprise", None) or row.assessment.enterprise
        out.add(firm.name.replace("认证测试有限公司", ""))
    return out


def dashboard_url(campaign, **args) -> str:
    return f"/reports/campaigns/{campaign.id}?{urlencode({**YEAR, **args})}"


def figures_on(html: str) -> dict[str, str]:
    return dict(re.findall(r'id="figure-certification-([\w-]+)" data-value="([^"]*)"', html))


# Readiness ----------------------------------------------------------------------------------------------
def test_readiness_at_its_boundaries(coaching, cast):
    section = the_section(coaching["campaign"], cast.manager_dl)
    assert values(section)["ready"] == 3  # ready95 own byq
    assert values(section)["close"] == 3  # close94 close90 unscored
    assert values(section)["far"] == 3  # far89 far99 twice
    assert values(section)["not_assessed"] == 2  # none selfonly
    campaign, manager = coaching["campaign"], cast.manager_dl
    own = cast.contact.enterprise.name.replace("认证测试有限公司", "")
    assert names(listed(campaign, manager, "certification.readiness", {"readiness": "ready"})) == {
        "ready95", own, "byq"}
    assert names(listed(campaign, manager, "certification.readiness", {"readiness": "close"})) == {
        "close94", "close90", "unscored"}
    assert names(listed(campaign, manager, "certification.readiness", {"readiness": "far"})) == {
        "far89", "far99", "twice"}
    not_assessed = listed(campaign, manager, "certification.not_assessed", {})
    assert {e.enterprise.name for e in not_assessed} == {"none认证测试有限公司", "selfonly认证测试有限公司"}
    # A snapshot: nothing to compare with.
    assert all(f.previous is None for f in section.figures if f.key != "certification.new")


def test_points_and_counts_in_the_readiness_listing(app, coaching, cast):
    campaign, manager = coaching["campaign"], cast.manager_dl
    built = listings.build("certification.readiness", scope_for(campaign, manager), {})
    rows = {a.enterprise.name.replace("认证测试有限公司", ""): dict(zip([c.key for c in built.columns],
                                                                        built.values(a)))
            for a in db.session.scalars(built.select.options(*built.options)).unique()}
    assert len(rows) == 9  # every firm assessed
    assert rows["ready95"]["points"] == 95 and rows["ready95"]["missing"] == 0 and rows["ready95"]["mostly"] == 5
    assert rows["close94"]["points"] == 94 and rows["close94"]["missing"] == 1
    assert rows["close90"]["points"] == 90 and rows["close90"]["missing"] == 5
    assert rows["far89"]["points"] == 89 and rows["far89"]["missing"] == 6
    assert rows["far99"]["points"] == 99 and rows["far99"]["not_met"] == 1 and rows["far99"]["missing"] == 0
    assert rows["unscored"]["points"] == 98 and rows["unscored"]["unscored"] == 3
    assert rows["twice"]["not_met"] == 2 and rows["twice"]["date"] == "2019-06-25"
    assert rows["ready95"]["officer"] == cast.officer.label and rows["byq"]["officer"] == cast.officer_byq.label
    assert rows["ready95"]["version"] == "2018年版"
    # The firm's name links to its assessment's page.
    ready95 = coaching["assessments"]["ready95"]
    firm_column = built.column("firm")
    with_link = next(a for a in db.session.scalars(built.select.options(*built.options)).unique()
                     if a.id == ready95.id)
    with app.test_request_context():
        assert firm_column.link(with_link) == f"/certification/assessments/{ready95.id}"


def test_the_latest_customs_assessment_is_by_start_then_id(coaching, cast, factory):
    """An assessment started later counts, even with the smaller id."""
    campaign, zhang = coaching["campaign"], cast.officer
    firm = factory.enterprise(cast.org.yingkou, name="order认证测试有限公司")
    on_roster(campaign, firm)
    first = assess(firm, zhang, date(2019, 7, 1))  # every item met: ready
    certification.close(first, by=zhang)
    assess(firm, zhang, date(2019, 6, 1), not_met=("1.1.1",))  # a larger id, started earlier
    db.session.commit()
    ready = listed(campaign, cast.manager_dl, "certification.readiness", {"readiness": "ready"})
    assert "order" in names(ready)


def test_the_office_and_officer_filters_keep_their_firms(coaching, cast, factory):
    campaign = coaching["campaign"]
    yingkou = values(the_section(campaign, cast.manager_dl, office=cast.org.yingkou.id))
    assert yingkou["ready"] == 2  # byq is 鲅鱼圈's
    assert (yingkou["close"], yingkou["far"], yingkou["not_assessed"]) == (3, 3, 2)
    byq = values(the_section(campaign, cast.manager_dl, office=cast.org.bayuquan.id))
    assert (byq["ready"], byq["close"], byq["far"], byq["not_assessed"]) == (1, 0, 0, 0)
    # The 营口 manager's subtree is 营口 alone, whatever he asks for.
    assert values(the_section(campaign, cast.manager))["ready"] == 2
    # The officer filter: his assigned firms.
    coaching["firms"]["far89"].assigned_officer = cast.officer
    db.session.commit()
    mine = values(the_section(campaign, cast.manager_dl, officer=cast.officer.id))
    assert (mine["ready"], mine["close"], mine["far"], mine["not_assessed"]) == (0, 0, 1, 0)


# Items most often short -------------------------------------------------------------------------------------
def test_items_most_often_short(coaching, cast):
    table = the_section(coaching["campaign"], cast.manager_dl).table("certification.items_short")
    o = ordinary()
    assert [r.key for r in table.rows] == [f"2018/{n}" for n in (o[0], o[1], o[2], o[3], o[4], o[5], "4.8.1", o[6],
                                                                 o[7], o[8])]
    by_key = {r.key: r.values for r in table.rows}  # [firms short, not met, mostly met]
    assert by_key[f"2018/{o[0]}"] == [7, 0, 7]  # ready95 close94 close90 far89 far99 unscored own
    assert by_key[f"2018/{o[1]}"] == [6, 0, 6]  # the same but far99
    assert by_key[f"2018/{o[2]}"] == [5, 0, 5]  # unscored has two only
    assert by_key[f"2018/{o[5]}"] == [3, 0, 3]  # close94 close90 far89
    # 4.8.1: far99 and twice's latest; twice's older assessment and own's self-assessment are not read.
    assert by_key["2018/4.8.1"] == [2, 2, 0]
    assert by_key[f"2018/{o[6]}"] == [2, 0, 2]  # close90 far89: as many, fewer not met
    assert "2018/4.8.2" not in by_key and f"2018/{o[10]}" not in by_key  # 11th and 12th: left out
    assert not any(k.startswith("2018/5.") for k in by_key)  # a bonus item not met is no shortfall
    assert table.rows[6].label.startswith("4.8.1 ") and "2018年版" not in table.rows[6].label  # one version
    assert table.chart == "bar"
    # Each row's firms are listed behind it.
    campaign, manager = coaching["campaign"], cast.manager_dl
    for row in table.rows:
        assert len(listed(campaign, manager, row.listing, row.listing_args)) == row.values[0], row.key
    short = listed(campaign, manager, "certification.short", {"item": item_id("4.8.1")})
    assert names(short) == {"far99", "twice"}


def test_items_of_two_versions_are_told_apart(coaching, cast, factory):
    """Three firms assessed on the 2014 version, its items 1 and 2 not met: grouped with their version, never
    with 2018's items, and each label names its version."""
    campaign, zhang = coaching["campaign"], cast.officer
    certification.load_standards()
    db.session.scalar(sa.select(CertificationStandard).where(CertificationStandard.code == "2014")).active = True
    for n in range(3):
        firm = factory.enterprise(cast.org.yingkou, name=f"v2014-{n}认证测试有限公司")
        on_roster(campaign, firm)
        Factory.assessment(firm, zhang, scores={"1": Score.NOT_MET, "2": Score.NOT_MET}, code="2014")
    db.session.commit()
    table = the_section(campaign, cast.manager_dl).table("certification.items_short")
    o = ordinary()
    # By firms short (7, 6, 5, 5, 5, then 3: the two 2014 items, 3 not met each, before o[5], none not met).
    assert [r.key for r in table.rows] == [f"2018/{o[0]}", f"2018/{o[1]}", f"2018/{o[2]}", f"2018/{o[3]}",
                                           f"2018/{o[4]}", "2014/1", "2014/2", f"2018/{o[5]}", "2018/4.8.1",
                                           f"2018/{o[6]}"]
    assert table.rows[5].values == [3, 3, 0] and table.rows[5].label.endswith("· 2014年版")
    assert table.rows[0].label.endswith("· 2018年版")
    assert len(listed(campaign, cast.manager_dl, "certification.short", table.rows[5].listing_args)) == 3


# Certifications of the year -------------------------------------------------------------------------------
@pytest.fixture
def ratings(coaching, cast, factory):
    """Credit histories of roster firms (records as the registry's service writes them):

    ready95   general_credit 2018-05-01 (its history starts with decree 237), general_certified 2019-09-01
    close94   advanced_certified 2018-05-01 (history starts: not a certification), carried on under 251
    close90   general_credit 2018-06-01, advanced_certified 2018-10-01                      (2018)
    far89     general_certified 2019-03-01, advanced_certified 2019-08-01      (2019, once: its latest)
    far99     advanced_certified 2018-07-01, general_certified 2019-05-01 (a downgrade: not new in 2019)
    byq       general_certified 2019-04-01 (鲅鱼圈)
    off       general_certified 2019-02-01, off the roster: never counted.
    """
    f = coaching["firms"]
    for key, history in [
            ("ready95", [(D237, "general_credit", date(2018, 5, 1)), (D237, "general_certified", date(2019, 9, 1))]),
            ("close94", [(D237, "advanced_certified", date(2018, 5, 1)),
                         (D251, "advanced_certified", date(2021, 11, 1))]),
            ("close90", [(D237, "general_credit", date(2018, 6, 1)), (D237, "advanced_certified", date(2018, 10, 1))]),
            ("far89", [(D237, "general_certified", date(2019, 3, 1)), (D237, "advanced_certified", date(2019, 8, 1))]),
            ("far99", [(D237, "advanced_certified", date(2018, 7, 1)), (D237, "general_certified", date(2019, 5, 1))]),
            ("byq", [(D237, "general_certified", date(2019, 4, 1))]),
            ("off", [(D237, "general_certified", date(2019, 2, 1))])]:
        for regime, level, valid_from in history:
            record_credit_rating(f[key], regime=regime, level=level, valid_from=valid_from,
                                 note="第251号令施行，高级认证延续" if regime is D251 else None)
    db.session.commit()
    return coaching


def test_certifications_of_the_year_and_the_year_before(ratings, cast):
    campaign, manager = ratings["campaign"], cast.manager_dl
    new = the_section(campaign, manager).figure("certification.new")
    assert new.value == 3  # ready95 (09-01), far89 (once), byq
    assert new.previous == 2  # close90 (2018-10-01), far99 (2018-07-01); close94's 2018-05-01 starts its history
    assert "2019" in str(new.label)
    rows = listed(campaign, manager, "certification.new", {})
    assert {(r.enterprise.name.replace("认证测试有限公司", ""), r.level, r.valid_from) for r in rows} == {
        ("ready95", "general_certified", date(2019, 9, 1)), ("far89", "advanced_certified", date(2019, 8, 1)),
        ("byq", "general_certified", date(2019, 4, 1))}
    # A period in June reads the whole of 2019 (and 2018 before it), here 营口's firms only.
    june = the_section(campaign, manager, office=cast.org.yingkou.id, **JUNE).figure("certification.new")
    assert (june.value, june.previous) == (2, 2)  # ready95 far89; close90 far99
    june_rows = listed(campaign, manager, "certification.new", {}, office=cast.org.yingkou.id, **JUNE)
    assert [(r.level, r.valid_from) for r in june_rows] == [("general_certified", date(2019, 9, 1)),
                                                            ("advanced_certified", date(2019, 8, 1))]


def test_a_level_carried_on_under_a_new_decree_is_not_a_new_certification(ratings, cast):
    """close94's 2021-11-01 rating (第251号令施行，高级认证延续) is no certification of 2021."""
    campaign, manager = ratings["campaign"], cast.manager_dl
    f = ratings["firms"]
    record_credit_rating(f["close90"], regime=D251, level="advanced_certified", valid_from=date(2021, 11, 1),
                         note="第251号令施行，高级认证延续")
    record_credit_rating(f["far89"], regime=D251, level="general_credit", valid_from=date(2021, 11, 1))
    record_credit_rating(f["far89"], regime=D251, level="advanced_certified", valid_from=date(2021, 12, 1))
    db.session.commit()
    new = the_section(campaign, manager, **{"from": "2021-01-01", "to": "2021-12-31"}).figure("certification.new")
    assert new.value == 1  # far89, general credit in November: certified again on 12-01
    rows = listed(campaign, manager, "certification.new", {}, **{"from": "2021-01-01", "to": "2021-12-31"})
    assert [(r.enterprise_id, r.valid_from) for r in rows] == [(f["far89"].id, date(2021, 12, 1))]


# The dashboard, its drill-downs and the files --------------------------------------------------------------
def test_the_dashboard_shows_the_section_in_chinese(client, auth, ratings):
    auth.login("manager-dl")
    html = page(client, dashboard_url(ratings["campaign"]))
    shown = figures_on(html)
    assert shown == {"ready": "3", "close": "3", "far": "3", "not_assessed": "2", "new": "3",
                     "overdue_fixes": "0"}
    section = html.split('id="section-certification"')[1].split("</section>")[0]
    for words in ("认证培育", "可申请认证", "接近达标", "差距较大", "尚未评估", "2019年新获认证", "最常失分的条款"):
        assert words in section, words
    assert 'id="chart-data-certification-items_short"' in section
    assert "list/certification.readiness?" in section and "readiness=ready" in section


def test_the_drill_down_pages_count_what_the_figures_say(client, auth, ratings):
    auth.login("manager-dl")
    campaign = ratings["campaign"]

    def total(key, **args):
        html = page(client, f"/reports/campaigns/{campaign.id}/list/{key}?{urlencode({**YEAR, **args})}")
        return int(re.search(r"共\s*(\d+)", html).group(1)), html

    count, html = total("certification.readiness", readiness="ready")
    assert count == 3 and f'/certification/assessments/{ratings["assessments"]["ready95"].id}"' in html
    assert total("certification.readiness", readiness="close")[0] == 3
    assert total("certification.readiness")[0] == 9
    count, html = total("certification.not_assessed")
    assert count == 2 and "selfonly认证测试有限公司" in html
    count, html = total("certification.short", item=item_id("4.8.1"))
    assert count == 2 and "4.8.1" in html
    count, html = total("certification.new")
    assert count == 3 and "一般认证企业" in html


@pytest.mark.parametrize("args", [{"readiness": "bogus"}, {"readiness": "x" * 300}, {"item": "abc"},
                                  {"item": "99999999999"}, {"item": "0"}, {"item": ""}])
def test_an_unknown_listing_argument_lists_nothing(client, auth, coaching, args):
    auth.login("manager-dl")
    key = "certification.readiness" if "readiness" in args else "certification.short"
    response = client.get(f"/reports/campaigns/{coaching['campaign'].id}/list/{key}?{urlencode({**YEAR, **args})}")
    assert response.status_code == 200
    assert re.search(r"共\s*0\s*条", response.get_data(as_text=True))


def test_a_bonus_item_lists_no_one_short(client, auth, coaching, cast):
    assert listed(coaching["campaign"], cast.manager_dl, "certification.short", {"item": item_id("5.2")}) == []


def test_contacts_and_officers_may_not_open_the_listings_and_other_offices_get_404(client, auth, coaching, factory,
                                                                                  cast):
    campaign = coaching["campaign"]
    urls = [f"/reports/campaigns/{campaign.id}/list/{key}" for key in
            ("certification.readiness", "certification.not_assessed", "certification.short", "certification.new")]
    for username in ("yalisi", "officer"):
        auth.login(username)
        for url in urls:
            assert client.get(url).status_code == 403, (username, url)
        auth.logout()
    factory.user(Role.MANAGER, cast.org.bayuquan, username="manager-byq")
    db.session.commit()
    auth.login("manager-byq")  # 大连's campaign is above his office
    for url in urls:
        assert client.get(url).status_code == 404


def test_the_workbook_and_the_csv_hold_the_section(client, auth, ratings):
    auth.login("manager-dl")
    response = client.get(f"/reports/campaigns/{ratings['campaign'].id}/report.xlsx", query_string=YEAR)
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.data))
    assert "认证培育" in book.sheetnames
    rows = [list(r) for r in book["认证培育"].iter_rows(values_only=True)]
    by_label = {r[0]: r[1:] for r in rows if r and r[0]}
    assert by_label["可申请认证"][0] == 3 and by_label["接近达标"][0] == 3 and by_label["差距较大"][0] == 3
    assert by_label["尚未评估"][0] == 2
    assert list(by_label["2019年新获认证"][:2]) == [3, 2]
    assert "最常失分的条款" in by_label
    item = next(label for label in by_label if str(label).startswith("4.8.1 "))
    assert list(by_label[item][:3]) == [2, 2, 0]
    csv_text = client.get(f"/reports/campaigns/{ratings['campaign'].id}/report.csv",
                          query_string=YEAR).get_data(as_text=True)
    assert "认证培育,可申请认证,,,3," in csv_text


def test_the_api_summary_carries_the_figures(client, coaching, documented):
    response = Api(client, "manager-dl").get(f"/reports/campaigns/{coaching['campaign'].id}/summary", **YEAR)
    documented.check(response)
    figures = {f["key"]: f for s in response.get_json()["sections"] for f in s["figures"]}
    assert figures["certification.ready"]["value"] == 3 and figures["certification.far"]["value"] == 3


def test_the_department_filter_is_said_not_to_apply(coaching, cast):
    from tracker.offices.models import Department

    department = db.session.scalar(sa.select(Department).where(Department.name == "综合业务科"))
    section = the_section(coaching["campaign"], cast.manager_dl, department=department.id)
    assert values(section)["ready"] == 3  # as without it
    assert section.note != the_section(coaching["campaign"], cast.manager_dl).note


# Cost ---------------------------------------------------------------------------------------------------
def test_the_section_costs_the_same_with_one_assessed_firm_or_fifteen(app, client, auth, cast, factory):
    campaign = factory.campaign(cast.org.yingkou, name="营口海关2019年认证培育", starts_on=date(2019, 1, 1),
                                ends_on=date(2019, 12, 31))

    def firm_assessed(n: int):
        firm = factory.enterprise(cast.org.yingkou)
        on_roster(campaign, firm)
        assessment = certification_assessment(firm, cast.officer, {"1.1.1": Score.MOSTLY, "1.1.2": Score.NOT_MET,
                                                                   "1.1.3": Score.MET})
        assessment.created_at = local(date(2019, 6, 1 + n % 28), 10)
        record_credit_rating(firm, regime=D237, level="general_certified", valid_from=date(2019, 2, 1 + n % 27))
        db.session.commit()

    firm_assessed(0)
    auth.login("manager")
    base = f"/reports/campaigns/{campaign.id}"
    urls = [f"{base}?{urlencode(YEAR)}",
            f"{base}/list/certification.readiness?{urlencode({**YEAR, 'readiness': 'far'})}",
            f"{base}/list/certification.short?{urlencode({**YEAR, 'item': item_id('1.1.1')})}",
            f"{base}/list/certification.new?{urlencode(YEAR)}",
            f"{base}/list/certification.not_assessed?{urlencode(YEAR)}"]
    before = [query_count(app, client, url) for url in urls]
    for n in range(1, 15):
        firm_assessed(n)
    assert figures_on(page(client, urls[0]))["far"] == "15"
    assert [query_count(app, client, url) for url in urls] == before
    scope = scope_for(campaign, cast.manager)
    scope.root_office, scope.campaign.office, scope.user.office  # loaded before counting
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        section_module.certification_section(scope)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(seen) == 4


# The demo ---------------------------------------------------------------------------------------------------
def test_the_demo_campaigns_dashboard_shows_yalisi_ready(runner, client):
    """The 2019 demo campaign (tracker/demo_certification.py): 雅丽丝 and two more ready, two close, three far;
    雅丽丝's general certification of 2019-09-01 among the year's; a second seed adds nothing."""
    from tests.test_demo import DEMO_PASSWORD
    from tests.conftest import AuthActions
    from tracker.campaigns.models import Campaign
    from tracker.demo_certification import YALISI

    for _ in range(2):
        result = runner.invoke(args=["seed-demo", "--password", DEMO_PASSWORD])
        assert result.exit_code == 0, result.output
    assert "nothing added" in result.output
    db.session.rollback()
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.name == "2019年百企大调研"))
    AuthActions(client).login("manager", DEMO_PASSWORD)
    html = page(client, f"/reports/campaigns/{campaign.id}")
    shown = figures_on(html)
    assert (shown["ready"], shown["close"], shown["far"]) == ("3", "2", "3")
    assert int(shown["new"]) >= 1
    ready = page(client, f"/reports/campaigns/{campaign.id}/list/certification.readiness?readiness=ready")
    assert YALISI in ready and "营口光阳耐火材料有限公司" not in ready
    far = page(client, f"/reports/campaigns/{campaign.id}/list/certification.readiness?readiness=far")
    assert "营口光阳耐火材料有限公司" in far
    new = page(client, f"/reports/campaigns/{campaign.id}/list/certification.new")
    assert YALISI in new and "2019-09-01" in new and "五矿营口中板有限责任公司" not in new


# Fixes overdue ----------------------------------------------------------------------------------------------
def test_fixes_overdue_are_counted_listed_and_kept_to_the_offices(client, auth, coaching, cast, factory):
    """A fix (a plan's measure for a shortfall) counts once its deadline is gone and it is not carried into
    effect; a fix still in time, or done, does not; the office filter keeps its firms' fixes."""
    from datetime import timedelta

    from tracker.i18n import local_today
    from tracker.plans import services as plans
    from tracker.plans.models import MeasureStatus, PlanMeasure

    campaign, firms, a = coaching["campaign"], coaching["firms"], coaching["assessments"]
    boss = cast.manager_dl
    byq_item = db.session.get(StandardItem, item_id("1.1.1"))
    certification.score_item(a["byq"], byq_item, Score.MOSTLY, None, by=cast.officer_byq, opened_version=1)
    soon = local_today() + timedelta(days=30)

    def fix(key, number):
        plan = plans.create_plan(firms[key], campaign, "认证培育", boss) if key != "far89" else far89_plan
        return certification.plan_remediation(a[key], db.session.get(StandardItem, item_id(number)),
                                              target=f"plan:{plan.id}", description=f"整改{number}", owner=boss,
                                              deadline=soon, by=boss)

    far89_plan = plans.create_plan(firms["far89"], campaign, "认证培育", boss)
    late = [fix("far99", "4.8.1"), fix("byq", "1.1.1")]
    in_time = fix("far89", ordinary()[0])
    done = fix("far89", ordinary()[1])
    db.session.flush()
    gone = local_today() - timedelta(days=3)
    db.session.execute(sa.update(PlanMeasure).where(PlanMeasure.id.in_([m.id for m in late] + [done.id]))
                       .values(deadline=gone))
    db.session.execute(sa.update(PlanMeasure).where(PlanMeasure.id == done.id).values(status=MeasureStatus.DONE))
    db.session.commit()
    assert in_time.deadline == soon

    assert values(the_section(campaign, boss))["overdue_fixes"] == 2
    assert values(the_section(campaign, boss, office=cast.org.yingkou.id))["overdue_fixes"] == 1
    rows = listed(campaign, boss, "certification.overdue_fixes", {})
    assert {(m.plan.enterprise.name, m.item.number) for m in rows} == {
        ("far99认证测试有限公司", "4.8.1"), ("byq认证测试有限公司", "1.1.1")}
    auth.login("manager-dl")
    html = page(client, f"/reports/campaigns/{campaign.id}/list/certification.overdue_fixes?{urlencode(YEAR)}")
    assert "far99认证测试有限公司" in html and "超期天数" in html and f"/plans/{late[0].plan_id}" in html
