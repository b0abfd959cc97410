"""The dashboard's frame: its filter form offers only the campaign's offices, and asks for an office first where
departments and officers are too many to list; filters it cannot apply are named, in the reader's language,
without naming anything outside the campaign; an unknown drill-down is a 404."""
import re
from datetime import date

import pytest

from tracker.extensions import db
from tracker.reports import routes


@pytest.fixture
def campaign(cast, factory):
    campaign = factory.campaign(cast.org.yingkou, starts_on=date(2019, 3, 1), ends_on=date(2019, 6, 30))
    cast.manager.locale = "zh"
    db.session.commit()
    return campaign


def options(html: str, select_id: str) -> list[str]:
    select = html[html.index(f'id="{select_id}"'):]
    select = select[:select.index("</select>")]
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


def test_the_form_offers_the_campaigns_offices_and_asks_for_an_office_among_many_officers(client, auth, cast,
                                                                                         campaign, monkeypatch):
    auth.login("manager")
    html = client.get(f"/reports/campaigns/{campaign.id}").get_data(as_text=True)
    assert options(html, "f-office") == ["全部海关", "营口海关"]  # not 鲅鱼圈 or 大连: outside the campaign
    assert "用户" in "".join(options(html, "f-officer"))  # the 营口 officer and manager, by name
    assert 'id="report-narrow"' not in html
    monkeypatch.setattr(routes, "CHOICES_MAX", 1)
    html = client.get(f"/reports/campaigns/{campaign.id}").get_data(as_text=True)
    assert options(html, "f-officer") == ["全部关员"] and 'id="report-narrow"' in html
    chosen = client.get(f"/reports/campaigns/{campaign.id}?officer={cast.officer.id}").get_data(as_text=True)
    assert len(options(chosen, "f-officer")) == 2  # the chosen one stays offered


def test_filters_it_cannot_apply_are_named_in_chinese_and_name_nothing_outside(client, auth, cast, campaign):
    auth.login("manager")
    html = client.get(f"/reports/campaigns/{campaign.id}?office={cast.org.bayuquan.id}&officer="
                      f"{cast.officer_byq.id}&from=2019-06-31&to=2019-05-01").get_data(as_text=True)
    problems = re.findall(r'report-problem">([^<]*)<', html)
    assert problems == ["日期无法识别，请按 2019-06-30 的格式填写。", "所选海关不在本次调研范围内，已显示全部海关。",
                        "所选关员不在上述海关工作，已显示全部关员。"]
    assert "鲅鱼圈" not in html and cast.officer_byq.display_name not in html
    assert "2019-03-01 – 2019-05-01" in html  # the bad "from" fell back to the campaign's start
    swapped = client.get(f"/reports/campaigns/{campaign.id}?from=2019-06-30&to=2019-06-01").get_data(as_text=True)
    assert "2019-06-01 – 2019-06-30" in swapped and "已将两个日期对调" in swapped


def test_an_unknown_list_is_a_404_and_contacts_and_officers_are_refused(client, auth, campaign):
    auth.login("manager")
    assert client.get(f"/reports/campaigns/{campaign.id}/list/no.such").status_code == 404
    assert client.get(f"/reports/campaigns/{campaign.id + 99}").status_code == 404
    auth.logout()
    auth.login("officer")
    assert client.get(f"/reports/campaigns/{campaign.id}").status_code == 403
    assert client.get("/reports/").status_code == 403
    auth.logout()
    auth.login("yalisi")
    for url in ("/reports/", f"/reports/campaigns/{campaign.id}", f"/reports/campaigns/{campaign.id}/list/needs.all",
                "/reports/mine", f"/reports/campaigns/{campaign.id}/report.xlsx",
                f"/reports/campaigns/{campaign.id}/monthly?month=2019-06"):
        assert client.get(url).status_code == 403, url
