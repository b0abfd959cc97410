"""The portal home, the firm at a glance for its own contact, and a need the contact raises himself."""
import re

import pytest
import sqlalchemy as sa

from tests.conftest import page, query_count
from tests.test_concurrency import fresh
from tracker.campaigns.models import RosterDecisionKind
from tracker.campaigns.services import decide
from tracker.enterprises.reference import CreditRegime
from tracker.enterprises.services import record_credit_rating
from tracker.extensions import db
from tracker.needs.models import Need, NeedCategory, NeedSource, NeedStatus
from tracker.notifications.models import Notification, NotificationKind


def section(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"(.*?)</(?:ul|dd|div)>', html, re.S)
    return match.group(1) if match else ""


@pytest.fixture
def firm(cast):
    return cast.contact.enterprise


def test_a_new_firm_sees_what_it_has_not_got_yet(client, auth, cast, firm):
    auth.login("yalisi")
    home = page(client, "/portal/")
    assert "尚未列入调研名单" in section(home, "portal-roster")
    assert "尚未评定" in section(home, "portal-credit")
    assert 'id="portal-notices"' not in home  # nothing unread: no box
    assert 'id="portal-past-appointments"' not in home


def test_the_home_shows_the_roster_the_credit_level_the_officer_and_unread_notices(client, auth, cast, factory,
                                                                                    firm):
    from datetime import date

    campaign = factory.campaign(cast.org.yingkou, name="2019年百企大调研")
    decide(campaign, firm, RosterDecisionKind.INCLUDE, "年报关单80票以上", by=cast.manager)
    record_credit_rating(firm, regime=CreditRegime.DECREE_237, level="general_certified", valid_from=date(2019, 1, 1))
    firm.assigned_officer = cast.officer
    from tracker.notifications.services import notify

    notify(cast.contact, NotificationKind.RATING_ANSWERED, link="/portal/", dedupe_key="t1",
           params={"counter": "营口海关原产地证窗口"})
    notify(cast.contact_byq, NotificationKind.RATING_ANSWERED, link="/portal/", dedupe_key="t2",
           params={"counter": "鲅鱼圈窗口"})
    db.session.commit()
    auth.login("yalisi")
    home = page(client, "/portal/")
    assert "2019年百企大调研" in section(home, "portal-roster")
    assert "一般认证" in section(home, "portal-credit")
    assert cast.officer.display_name in section(home, "portal-officer")
    notices = section(home, "portal-notices")
    assert "营口海关原产地证窗口" in home and "鲅鱼圈窗口" not in home  # his own notices only
    assert notices
    # He reads them in the notification list too, and opening one marks it read.
    listing = page(client, "/work/notifications")
    assert "营口海关原产地证窗口" in listing and "鲅鱼圈窗口" not in listing
    mine = db.session.scalar(sa.select(Notification).where(Notification.user_id == cast.contact.id))
    other = db.session.scalar(sa.select(Notification).where(Notification.user_id == cast.contact_byq.id))
    assert auth.post(f"/work/notifications/{other.id}/read").status_code == 404
    assert auth.post(f"/work/notifications/{mine.id}/read").status_code == 302
    fresh()
    assert db.session.get(Notification, mine.id).read_at is not None
    assert db.session.get(Notification, other.id).read_at is None
    assert 'id="portal-notices"' not in page(client, "/portal/")


def test_the_contact_raises_a_need_that_goes_to_the_firms_officer(client, auth, cast, firm):
    firm.assigned_officer = cast.officer
    db.session.commit()
    category = db.session.scalar(sa.select(NeedCategory).where(NeedCategory.active.is_(True)).order_by(NeedCategory.id))
    auth.login("yalisi")
    form = page(client, "/portal/needs/new")
    assert cast.officer.display_name in form
    response = auth.post("/portal/needs/new", {"category_id": category.id, "content": "希望延长原产地证窗口办理时间"},
                         form_page="/portal/needs/new")
    assert response.status_code == 302
    need = db.session.scalar(sa.select(Need).where(Need.enterprise_id == firm.id))
    assert response.headers["Location"] == f"/portal/needs/{need.id}"
    assert (need.source, need.status, need.assigned_officer_id, need.created_by_id) == (
        NeedSource.PORTAL, NeedStatus.PENDING, cast.officer.id, cast.contact.id)
    assert need.deadline > need.raised_on
    [notice] = db.session.scalars(sa.select(Notification).where(Notification.kind == NotificationKind.NEED_RAISED)).all()
    assert notice.user_id == cast.officer.id and notice.link == f"/needs/{need.id}"
    assert "希望延长原产地证窗口办理时间" in page(client, f"/portal/needs/{need.id}")
    assert "希望延长原产地证窗口办理时间" in page(client, "/portal/")
    auth.logout()
    auth.login("officer")
    assert "在企业端提出" in page(client, "/work/notifications")


def test_without_an_assigned_officer_the_managers_hear_of_it(client, auth, cast, firm):
    firm.assigned_officer = None
    db.session.commit()
    category = db.session.scalar(sa.select(NeedCategory).where(NeedCategory.active.is_(True)).order_by(NeedCategory.id))
    auth.login("yalisi")
    auth.post("/portal/needs/new", {"category_id": category.id, "content": "查验等待时间长"}, form_page="/portal/needs/new")
    notices = db.session.scalars(sa.select(Notification).where(Notification.kind == NotificationKind.NEED_RAISED)).all()
    assert [n.user_id for n in notices] == [cast.manager.id]


def test_a_need_sent_twice_is_recorded_once(client, auth, cast, firm):
    category = db.session.scalar(sa.select(NeedCategory).where(NeedCategory.active.is_(True)).order_by(NeedCategory.id))
    auth.login("yalisi")
    data = {"category_id": category.id, "content": "希望提供RCEP政策辅导", "submission_key": "k" * 32}
    first = auth.post("/portal/needs/new", data, form_page="/portal/needs/new")
    second = auth.post("/portal/needs/new", data, form_page="/portal/needs/new")
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count(Need.id)).where(Need.enterprise_id == firm.id)) == 1


@pytest.mark.parametrize("data, error", [
    ({"content": "希望提供RCEP政策辅导"}, "请选择诉求类别"),
    ({"content": ""}, "请填写"),
    ({"content": "长" * 5001}, "5000"),
])
def test_a_wrong_need_form_is_shown_again_with_what_was_typed(client, auth, cast, firm, data, error):
    category = db.session.scalar(sa.select(NeedCategory).where(NeedCategory.active.is_(True)).order_by(NeedCategory.id))
    auth.login("yalisi")
    form = {"category_id": category.id if data.get("content") == "" or len(data["content"]) > 5000 else 0, **data}
    response = auth.post("/portal/needs/new", form, form_page="/portal/needs/new")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert error in text
    if data["content"] and len(data["content"]) < 100:
        assert data["content"] in text
    assert db.session.scalar(sa.select(sa.func.count(Need.id))) == 0


def test_staff_cannot_use_the_portal_form(client, auth, cast):
    auth.login("officer")
    assert client.get("/portal/needs/new").status_code == 403


def test_the_home_asks_to_rate_a_served_appointment(client, auth, cast, firm, factory):
    """A past appointment that was served and not rated gets a button; its rating once given shows instead."""
    from tests.test_access import _counter_values

    values = _counter_values(cast, firm)
    db.session.commit()
    auth.login("yalisi")
    home = page(client, "/portal/")
    past = section(home, "portal-past-appointments")
    # The fixture's served walk-in is rated 差评: its badge, no button.
    assert 'data-rating="poor"' in past
    assert values  # the fixture made the counter's records


def test_home_statements_do_not_grow_with_the_firms_records(app, client, auth, cast, factory, firm):
    auth.login("yalisi")
    before = query_count(app, client, "/portal/")
    for n in range(5):
        factory.need(firm, content=f"诉求{n}")
    from tracker.notifications.services import notify

    for n in range(5):
        notify(cast.contact, NotificationKind.RATING_ANSWERED, link="/portal/", dedupe_key=f"n{n}", params={})
    db.session.commit()
    assert query_count(app, client, "/portal/") == before
