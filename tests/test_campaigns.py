"""Campaign screening: the threshold, the office subtree, officers' decisions surviving re-screening."""
import io

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_from, query_count, submission_key_from
from tracker.campaigns.models import Campaign, RosterEntry
from tracker.campaigns.services import create_campaign, screen
from tracker.imports.models import DeclarationCount
from tracker.extensions import db


@pytest.fixture
def setting(factory, cast):
    firms = {}
    for key, office, count in [("at79", cast.org.yingkou, 79), ("at80", cast.org.yingkou, 80),
                               ("big", cast.org.yingkou, 500), ("byq", cast.org.bayuquan, 300),
                               ("none", cast.org.yingkou, None)]:
        firms[key] = factory.enterprise(office, name=f"{key}测试有限公司")
        if count is not None:
            db.session.add(DeclarationCount(enterprise=firms[key], year=2019, declarations=count))
            db.session.add(DeclarationCount(enterprise=firms[key], year=2018, declarations=count + 100))
    campaign = create_campaign(name="2019年百企大调研", office=cast.org.yingkou, year=2019, threshold=80)
    db.session.commit()
    return campaign, firms


def roster(campaign):
    db.session.rollback()
    return set(db.session.scalars(sa.select(RosterEntry.enterprise_id).where(RosterEntry.campaign_id == campaign.id)))


def test_threshold_boundary_and_subtree(app, setting):
    campaign, firms = setting
    result = screen(campaign)
    db.session.commit()
    assert roster(campaign) == {firms["at80"].id, firms["big"].id}  # 79 out, 80 in, 鲅鱼圈 outside 营口
    assert result.total == 2


def test_parent_office_campaign_covers_both_children(app, setting, cast):
    _, firms = setting
    campaign = create_campaign(name="大连关区", office=cast.org.dalian, year=2019, threshold=80)
    screen(campaign)
    db.session.commit()
    assert firms["byq"].id in roster(campaign)


def test_archived_firms_are_not_screened(app, setting):
    campaign, firms = setting
    from tracker.enterprises.services import archive

    archive(firms["big"])
    screen(campaign)
    db.session.commit()
    assert firms["big"].id not in roster(campaign)


def post(client, url, data=None, page=None):
    token = csrf_from(client.get(page or url.rsplit("/", 2)[0] if page is None else page))
    return client.post(url, data={"csrf_token": token, **(data or {})})


def test_officers_decisions_survive_rescreening_after_a_new_import(client, auth, setting, runner, tmp_path):
    campaign, firms = setting
    screen(campaign)
    db.session.commit()
    auth.login("officer")
    page = f"/campaigns/{campaign.id}"
    token = csrf_from(client.get(page))
    client.post(f"{page}/include", data={"csrf_token": token, "code": firms["at79"].uscc.lower(),
                                        "reason": "重点培育企业，虽不足80票"})
    client.post(f"{page}/exclude/{firms['big'].id}", data={"csrf_token": token, "reason": "企业已迁出辖区"})
    assert roster(campaign) == {firms["at80"].id, firms["at79"].id}

    # A new import lifts 'none' over the threshold and drops 'at80' under it.
    path = tmp_path / "2019.csv"
    path.write_text("统一社会信用代码,年度,报关单票数\n"
                    f"{firms['none'].uscc},2019,120\n{firms['at80'].uscc},2019,60\n{firms['big'].uscc},2019,700\n",
                    encoding="utf-8")
    assert runner.invoke(args=["import-declarations", str(path), "--office", "0930"]).exit_code == 0
    response = client.post(f"{page}/screen", data={"csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200
    assert roster(campaign) == {firms["none"].id, firms["at79"].id}  # 'big' stays out, 'at79' stays in

    text = client.get(page).get_data(as_text=True)
    assert "重点培育企业" in text and "企业已迁出辖区" in text


def test_decisions_need_a_reason_and_a_firm_in_the_area(client, auth, setting):
    campaign, firms = setting
    screen(campaign)
    db.session.commit()
    auth.login("officer")
    page = f"/campaigns/{campaign.id}"
    token = csrf_from(client.get(page))
    client.post(f"{page}/include", data={"csrf_token": token, "code": firms["at79"].uscc, "reason": ""})
    client.post(f"{page}/include", data={"csrf_token": token, "code": firms["byq"].uscc, "reason": "试试"})
    client.post(f"{page}/exclude/{firms['at79'].id}", data={"csrf_token": token, "reason": "不在名单"})
    assert roster(campaign) == {firms["at80"].id, firms["big"].id}


def test_withdrawing_a_decision_returns_to_the_threshold(client, auth, setting):
    campaign, firms = setting
    screen(campaign)
    db.session.commit()
    auth.login("officer")
    page = f"/campaigns/{campaign.id}"
    token = csrf_from(client.get(page))
    client.post(f"{page}/exclude/{firms['big'].id}", data={"csrf_token": token, "reason": "暂缓"})
    from tracker.campaigns.models import RosterDecision

    decision = db.session.scalar(sa.select(RosterDecision))
    client.post(f"{page}/decisions/{decision.id}/withdraw", data={"csrf_token": token})
    assert firms["big"].id in roster(campaign)


def test_manager_creates_a_campaign_through_the_form(client, auth, setting, cast):
    _, firms = setting
    auth.login("manager")
    form_page = client.get("/campaigns/new")
    token, key = csrf_from(form_page), submission_key_from(form_page)
    bad = client.post("/campaigns/new", data={"csrf_token": token, "submission_key": key, "name": "x", "office_id": str(cast.org.yingkou.id),
                                              "declaration_year": "2019", "threshold": "0"})
    assert bad.status_code == 200 and db.session.scalar(sa.select(sa.func.count(Campaign.id))) == 1
    response = client.post("/campaigns/new", data={
        "csrf_token": token, "submission_key": key, "name": "2018年调研", "office_id": str(cast.org.yingkou.id),
        "declaration_year": "2018", "threshold": "180", "starts_on": "2018-03-01", "ends_on": "2018-06-30"})
    assert response.status_code == 302
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.name == "2018年调研"))
    assert roster(campaign) == {firms["at80"].id, firms["big"].id}  # 180 and 600 in 2018; 179 out


def test_officers_cannot_create_campaigns_and_others_cannot_see_them(client, auth, setting):
    campaign, _ = setting
    auth.login("officer")
    assert client.get("/campaigns/new").status_code == 403
    auth.logout()
    auth.login("bayuquan-officer")
    assert client.get(f"/campaigns/{campaign.id}").status_code == 404
    auth.logout()
    auth.login("yalisi")
    assert client.get(f"/campaigns/{campaign.id}").status_code == 403


def test_roster_export_and_firm_list_filter(client, auth, setting):
    campaign, firms = setting
    screen(campaign)
    db.session.commit()
    auth.login("manager")
    csv_text = client.get(f"/campaigns/{campaign.id}/roster.csv").get_data(as_text=True)
    assert firms["big"].name in csv_text and firms["at79"].name not in csv_text
    listed = client.get("/enterprises/", query_string={"campaign": campaign.id}).get_data(as_text=True)
    assert firms["at80"].name in listed and firms["at79"].name not in listed
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(client.get(f"/campaigns/{campaign.id}/roster.xlsx").data), read_only=True)
    assert sum(1 for _ in book.active.iter_rows(min_row=2)) == 2


def test_roster_page_query_count_is_constant(app, client, auth, setting, factory, cast):

    campaign, _ = setting
    screen(campaign)
    db.session.commit()
    auth.login("manager")
    small = query_count(app, client, f"/campaigns/{campaign.id}")
    for n in range(40):
        firm = factory.enterprise(cast.org.yingkou)
        firm.assigned_officer = cast.officer
        db.session.add(DeclarationCount(enterprise=firm, year=2019, declarations=100 + n))
    db.session.commit()
    screen(campaign)
    db.session.commit()
    assert query_count(app, client, f"/campaigns/{campaign.id}") == small


def test_roster_export_has_the_visited_and_last_visit_columns_of_the_roster_page(app, client, auth, setting, factory,
                                                                                 cast):
    """Visited 是/否 and the last visit's local date, as on the page, at a constant number of statements."""
    from datetime import datetime, timezone

    from openpyxl import load_workbook

    campaign, firms = setting
    screen(campaign)
    # 2019-09-27 17:30 UTC is already the 28th in 营口: the export gives the local date, as the page does.
    factory.visit(firms["big"], [cast.officer], when=datetime(2019, 9, 27, 17, 30, tzinfo=timezone.utc),
                  campaign=campaign)
    factory.visit(firms["big"], [cast.officer], when=datetime(2019, 5, 6, 1, 0, tzinfo=timezone.utc),
                  campaign=campaign)
    # A visit outside the campaign is not the campaign's visit.
    factory.visit(firms["at80"], [cast.officer], when=datetime(2019, 10, 8, 1, 0, tzinfo=timezone.utc))
    db.session.commit()
    auth.login("manager")

    def export_rows():
        book = load_workbook(io.BytesIO(client.get(f"/campaigns/{campaign.id}/roster.xlsx").data), read_only=True)
        header, *rows = list(book.active.iter_rows(values_only=True))
        return {row[0]: dict(zip(header, row)) for row in rows}

    rows = export_rows()
    assert rows[firms["big"].name]["已走访"] == "是" and rows[firms["big"].name]["最近走访"] == "2019-09-28"
    assert rows[firms["at80"].name]["已走访"] == "否" and rows[firms["at80"].name]["最近走访"] in (None, "")
    page = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "2019-09-28" in page
    csv_text = client.get(f"/campaigns/{campaign.id}/roster.csv").get_data(as_text=True)
    assert "已走访,最近走访" in csv_text.splitlines()[0] and ",是,2019-09-28" in csv_text

    small = query_count(app, client, f"/campaigns/{campaign.id}/roster.xlsx")
    for n in range(30):
        firm = factory.enterprise(cast.org.yingkou)
        firm.assigned_officer = cast.officer
        db.session.add(DeclarationCount(enterprise=firm, year=2019, declarations=100 + n))
        if n % 2:
            factory.visit(firm, [cast.officer], campaign=campaign)
    db.session.commit()
    screen(campaign)
    db.session.commit()
    assert len(export_rows()) == 32
    assert query_count(app, client, f"/campaigns/{campaign.id}/roster.xlsx") == small
