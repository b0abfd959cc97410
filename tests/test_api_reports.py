"""GET /api/v1/reports/campaigns/<id>/summary: the dashboard's headline figures for managers, answered under the
same filters and scope as the page, documented (every answer checked against the OpenAPI document), refused to
officers and contacts, and hiding another office's campaign."""
from datetime import datetime, timezone

import pytest

from tests.conftest import Api
from tracker.auth.models import Role
from tracker.campaigns import services as campaigns
from tracker.campaigns.models import RosterDecisionKind
from tracker.extensions import db


@pytest.fixture
def campaign(cast, factory):
    """营口's 2019 campaign with three firms on its roster, two of them visited in June 2019."""
    campaign = factory.campaign(cast.org.yingkou, starts_on=datetime(2019, 3, 1).date())
    firms = [factory.enterprise(cast.org.yingkou) for _ in range(3)]
    for firm in firms:
        campaigns.decide(campaign, firm, RosterDecisionKind.INCLUDE, "重点企业", by=cast.manager)
    for firm in firms[:2]:
        factory.visit(firm, [cast.officer], when=datetime(2019, 6, 12, 2, tzinfo=timezone.utc), campaign=campaign)
    db.session.commit()
    return campaign


def summary(api, campaign, documented, **params):
    response = api.get(f"/reports/campaigns/{campaign.id}/summary", **params)
    documented.check(response)
    return response


def test_a_manager_reads_the_figures_of_the_dashboard(client, cast, campaign, documented):
    response = summary(Api(client, "manager"), campaign, documented, **{"from": "2019-06-01", "to": "2019-06-30"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["campaign_id"] == campaign.id and body["office"] == "0930"
    assert body["period"] == {"from": "2019-06-01", "to": "2019-06-30"}
    assert body["previous_period"] == {"from": "2019-05-02", "to": "2019-05-31"}  # 30 days just before
    figures = {f["key"]: f for s in body["sections"] for f in s["figures"]}
    if "outreach.roster" in figures:  # the outreach section's figures (tests/test_reports_outreach.py checks all)
        assert figures["outreach.roster"]["value"] == 3
        assert figures["outreach.visited"]["value"] == 2 and figures["outreach.visited"]["previous"] == 0


def test_filters_outside_the_campaign_are_dropped_with_a_reason_and_bad_dates_refused(client, cast, campaign,
                                                                                     documented):
    api = Api(client, "manager")
    body = summary(api, campaign, documented, office=cast.org.bayuquan.id).get_json()
    assert body["office"] == "0930" and len(body["problems"]) == 1
    assert "鲅鱼圈" not in str(body)  # the refusal names nothing outside the campaign
    bad = summary(api, campaign, documented, **{"from": "2019-13-01"})
    assert bad.status_code == 400


def test_officers_and_contacts_are_refused_and_other_offices_campaigns_hidden(client, cast, factory, campaign,
                                                                             documented):
    assert summary(Api(client, "officer"), campaign, documented).status_code == 403
    assert summary(Api(client, "yalisi"), campaign, documented).status_code == 403
    factory.user(Role.MANAGER, cast.org.bayuquan, username="byq-manager")
    db.session.commit()
    hidden = summary(Api(client, "byq-manager"), campaign, documented)
    assert hidden.status_code == 404 and campaign.name not in hidden.get_data(as_text=True)
