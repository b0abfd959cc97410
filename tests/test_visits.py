"""Visits through their pages: logging one with needs, who may edit it, the list, the roster and the timeline."""
import re
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa

from tests.conftest import Factory, csrf_from, query_count, submission_key_from
from tracker.audit.models import AuditRecord
from tracker.campaigns.services import create_campaign, screen
from tracker.imports.models import DeclarationCount
from tracker.enterprises.services import add_contact
from tracker.extensions import db
from tracker.offices.models import Department
from tracker.needs.models import Need, NeedCategory, NeedSource, NeedStatus
from tracker.visits.models import PolicyTopic, Visit, VisitType
from tracker.workdays.services import add_working_days


@pytest.fixture
def firm(cast):
    firm = cast.contact.enterprise
    add_contact(firm, name="王经理", title="关务主管")
    db.session.add(DeclarationCount(enterprise=firm, year=2019, declarations=120))
    campaign = create_campaign(name="2019年百企大调研", office=cast.org.yingkou, year=2019, threshold=80)
    screen(campaign)
    db.session.commit()
    return firm


def campaign_id():
    from tracker.campaigns.models import Campaign

    return db.session.scalar(sa.select(Campaign.id))


def visit_form(client, firm, **fields):
    page = client.get(f"/visits/new?enterprise_id={firm.id}")
    assert page.status_code == 200
    data = {"csrf_token": csrf_from(page), "submission_key": submission_key_from(page),
            "visited_at": "2019-09-27T09:30", "visit_type": "workshop",
            "campaign_id": str(campaign_id() or 0), "summary": "了解企业通关情况", "findings": "",
            "follow_up_on": "", "other_attendees": ""}
    for i in range(3):
        data.update({f"needs-{i}-category_id": "0", f"needs-{i}-content": "", f"needs-{i}-department_id": "0"})
    data.update(fields)
    return page, client.post(f"/visits/new?enterprise_id={firm.id}", data=data)


def test_officer_logs_a_visit_with_two_needs(client, auth, cast, firm, factory):
    officer2 = factory.user("officer", cast.org.yingkou, username="officer2")
    db.session.commit()
    auth.login("officer")
    topics = db.session.scalars(sa.select(PolicyTopic).order_by(PolicyTopic.id).limit(2)).all()
    categories = db.session.scalars(sa.select(NeedCategory).order_by(NeedCategory.id).limit(2)).all()
    department = db.session.scalar(sa.select(Department))
    contact = firm.contacts[0]
    page, response = visit_form(
        client, firm, officers=[str(cast.officer.id), str(officer2.id)], contacts=[str(contact.id)],
        other_attendees="李厂长, 生产副总\n张会计", topics=[str(t.id) for t in topics], follow_up_on="2019-10-15",
        **{"needs-0-category_id": str(categories[0].id), "needs-0-content": "希望缩短通关时间",
           "needs-0-department_id": str(department.id),
           "needs-1-category_id": str(categories[1].id), "needs-1-content": "原产地证预约办理"})
    # The form opens with the signed-in officer ticked; the 2019 campaign is not chosen for a visit
    # logged today (see test_the_campaign_follows_the_visits_date).
    text = page.get_data(as_text=True)
    ticked = rf'<input checked id="officers-\d+" name="officers" type="checkbox" value="{cast.officer.id}"'
    assert re.search(ticked, text)
    assert not re.search(rf'<option[^>]* selected[^>]* value="{campaign_id()}"', text)
    assert response.status_code == 302, response.get_data(as_text=True)
    visit = db.session.scalar(sa.select(Visit))
    # 09:30 in Shanghai is 01:30 UTC.
    assert visit.visited_at == datetime(2019, 9, 27, 1, 30, tzinfo=timezone.utc)
    assert visit.visit_type is VisitType.WORKSHOP and visit.campaign_id == campaign_id()
    assert {o.username for o in visit.officers} == {"officer", "officer2"}
    assert [(a.name, a.title, a.contact_id) for a in visit.attendees] == [
        ("王经理", "关务主管", contact.id), ("李厂长", "生产副总", None), ("张会计", None, None)]
    assert [t.id for t in visit.topics] == [t.id for t in topics]
    assert visit.follow_up_on == date(2019, 10, 15)
    needs = db.session.scalars(sa.select(Need).order_by(Need.id)).all()
    assert [n.content for n in needs] == ["希望缩短通关时间", "原产地证预约办理"]
    for need, category in zip(needs, categories, strict=True):
        assert need.source is NeedSource.VISIT and need.visit_id == visit.id and need.status is NeedStatus.PENDING
        assert need.raised_on == date(2019, 9, 27)
        assert need.deadline == add_working_days(date(2019, 9, 27), category.deadline_days)
        assert need.campaign_id == visit.campaign_id
    assert needs[0].department_id == department.id and needs[1].department_id is None
    # 国庆: ten working days after 27 September 2019 run past the golden week, counting the
    # make-up working days of 29 September and 12 October.
    assert add_working_days(date(2019, 9, 27), 10) == date(2019, 10, 16)
    audited = set(db.session.scalars(sa.select(AuditRecord.entity_type).where(AuditRecord.actor_name == "officer")))
    assert {"visits", "visit_attendees", "needs"} <= audited
    # The officers and topics, many-to-many lists, are in the visit's own insert record.
    [insert] = db.session.scalars(sa.select(AuditRecord.changes).where(AuditRecord.entity_type == "visits")).all()
    assert insert["officers"] == [None, [f"{u.username} {u.display_name} (#{u.id})" for u in (cast.officer, officer2)]]
    assert insert["topics"] == [None, [f"{t.name} (#{t.id})" for t in topics]]
    detail = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "希望缩短通关时间" in detail and "2019-09-27 09:30" in detail


def test_a_need_without_category_keeps_the_whole_visit_out(client, auth, cast, firm):
    auth.login("officer")
    _, response = visit_form(client, firm, officers=[str(cast.officer.id)],
                             **{"needs-0-content": "没有选择类别"})
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Visit.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Need.id))) == 0


def test_an_officer_logs_only_visits_he_took_part_in(client, auth, cast, firm, factory):
    officer2 = factory.user("officer", cast.org.yingkou, username="officer2")
    db.session.commit()
    auth.login("officer")
    _, response = visit_form(client, firm, officers=[str(officer2.id)])
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Visit.id))) == 0
    auth.logout()
    auth.login("manager")  # a manager may log his officers' visit for them
    _, response = visit_form(client, firm, officers=[str(officer2.id)])
    assert response.status_code == 302


def make_visit(firm, officers, when=None, **kw):
    visit = Factory.visit(firm, officers, when, **kw)
    db.session.commit()
    return visit


@pytest.mark.parametrize("username,see,edit", [
    ("officer", 200, 200),  # on the visit
    ("officer2", 200, 403),  # same office, not on the visit
    ("manager", 200, 200), ("manager-dl", 200, 200), ("admin", 200, 200),
    ("bayuquan-officer", 404, 404),  # another office: as if it did not exist
    ("yalisi", 403, 403),  # contacts never see officers' visit records
])
def test_who_may_see_and_edit_a_visit(client, auth, cast, firm, factory, username, see, edit):
    factory.user("officer", cast.org.yingkou, username="officer2")
    visit = make_visit(firm, [cast.officer])
    auth.login(username)
    assert client.get(f"/visits/{visit.id}").status_code == see
    assert client.get(f"/visits/{visit.id}/edit").status_code == edit


def test_editing_a_visit_and_a_stale_form(client, auth, cast, firm):
    visit = make_visit(firm, [cast.officer])
    auth.login("officer")
    page = client.get(f"/visits/{visit.id}/edit")
    text = page.get_data(as_text=True)
    assert 'value="2019-09-27T09:30"' in text
    version = str(visit.version_id)
    data = {"csrf_token": csrf_from(page), "visited_at": "2019-09-27T10:00", "visit_type": "forum",
            "campaign_id": "0", "officers": [str(cast.officer.id)], "summary": "座谈", "version": version}
    assert client.post(f"/visits/{visit.id}/edit", data=data).status_code == 302
    db.session.refresh(visit)
    assert visit.visit_type is VisitType.FORUM and visit.visited_at.hour == 2 and visit.campaign_id is None
    # The same form again, now stale: nothing changes.
    data.update(summary="过期的修改")
    response = client.post(f"/visits/{visit.id}/edit", data=data)
    # Shown again with what was typed, at the current version, and a word about why.
    assert response.status_code == 409 and "过期的修改" in response.get_data(as_text=True)
    db.session.refresh(visit)
    assert visit.summary == "座谈"


def test_list_filters_and_scope(client, auth, cast, firm, factory):
    other = factory.enterprise(cast.org.yingkou, name="营口光阳耐火材料有限公司")
    byq = factory.enterprise(cast.org.bayuquan, name="营口隆鑫果品有限公司")
    make_visit(firm, [cast.officer], visit_type=VisitType.WORKSHOP, campaign_id=campaign_id())
    make_visit(other, [cast.manager], when=datetime(2019, 10, 10, 2, 0, tzinfo=timezone.utc))
    make_visit(byq, [cast.officer_byq])
    auth.login("officer")

    def names(query=""):
        text = client.get("/visits/" + query).get_data(as_text=True)
        return {n for n in (firm.name, other.name, byq.name) if n in text}

    assert names() == {firm.name, other.name}
    assert names("?q=gynh") == {other.name}
    assert names("?type=workshop") == {firm.name}
    assert names(f"?officer={cast.manager.id}") == {other.name}
    assert names(f"?campaign={campaign_id()}") == {firm.name}
    assert names("?from=2019-10-01&to=2019-10-10") == {other.name}
    assert names("?to=2019-09-27") == {firm.name}
    assert names("?from=bad&type=nonsense") == {firm.name, other.name}


def test_list_queries_do_not_grow_with_the_data(app, client, auth, cast, firm, factory):
    topics = db.session.scalars(sa.select(PolicyTopic)).all()
    make_visit(firm, [cast.officer], topics=topics[:1])
    auth.login("manager")
    small = query_count(app, client, "/visits/")
    for _n in range(60):
        make_visit(factory.enterprise(cast.org.yingkou), [cast.officer, cast.manager], topics=topics[:2],
                   campaign_id=campaign_id())
    assert query_count(app, client, "/visits/") == small
    assert query_count(app, client, "/visits/?page=2") == small


def test_roster_shows_visits_and_coverage_without_more_queries(app, client, auth, cast, firm, factory):
    from tracker.campaigns.models import Campaign

    campaign = db.session.get(Campaign, campaign_id())
    auth.login("manager")
    before = query_count(app, client, f"/campaigns/{campaign.id}")
    page = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'data-visited="0" data-size="1"' in page
    for n in range(30):
        f = factory.enterprise(cast.org.yingkou)
        db.session.add(DeclarationCount(enterprise=f, year=2019, declarations=100 + n))
        if n % 3 == 0:
            make_visit(f, [cast.officer], campaign_id=campaign.id)
    make_visit(firm, [cast.officer], campaign_id=campaign.id, when=datetime(2019, 9, 27, 20, 0, tzinfo=timezone.utc))
    make_visit(firm, [cast.officer], campaign_id=campaign.id)  # an earlier visit: the last one counts
    screen(campaign)
    db.session.commit()
    assert query_count(app, client, f"/campaigns/{campaign.id}") == before
    page = client.get(f"/campaigns/{campaign.id}?q={firm.name}").get_data(as_text=True)
    assert 'data-visited="11" data-size="31"' in page
    assert "2019-09-28" in page  # 20:00 UTC is the next morning in Shanghai


def test_profile_shows_the_visits_timeline(app, client, auth, cast, firm):
    make_visit(firm, [cast.officer], summary="首次走访")
    make_visit(firm, [cast.officer, cast.manager], when=datetime(2019, 10, 12, 1, 0, tzinfo=timezone.utc),
               summary="复访")
    auth.login("officer")
    text = client.get(f"/enterprises/{firm.id}").get_data(as_text=True)
    assert text.index("2019-10-12 09:00") < text.index("2019-09-27 09:30")
    assert "首次走访" in text and "复访" in text
    assert query_count(app, client, f"/enterprises/{firm.id}") <= 16
    auth.logout()
    auth.login("yalisi")  # the firm sees when it was visited, not the officers' notes
    text = client.get(f"/enterprises/{firm.id}").get_data(as_text=True)
    assert "2019-09-27 09:30" in text and "首次走访" not in text


def test_a_deactivated_officer_stays_on_the_visit_when_it_is_edited(client, auth, cast, firm, factory):
    gone = factory.user("officer", cast.org.yingkou, username="retired", active=False)
    visit = make_visit(firm, [cast.officer, gone])
    auth.login("officer")
    page = client.get(f"/visits/{visit.id}/edit")
    data = {"csrf_token": csrf_from(page), "visited_at": "2019-09-27T09:30", "visit_type": "door_to_door",
            "campaign_id": "0", "officers": [str(cast.officer.id), str(gone.id)], "summary": "补记",
            "version": str(visit.version_id)}
    assert client.post(f"/visits/{visit.id}/edit", data=data).status_code == 302
    db.session.refresh(visit)
    assert {o.username for o in visit.officers} == {"officer", "retired"} and visit.summary == "补记"


def test_logging_a_visit_is_scoped_and_checked(client, auth, cast, firm):
    auth.login("bayuquan-officer")
    assert client.get(f"/visits/new?enterprise_id={firm.id}").status_code == 404
    auth.logout()
    auth.login("yalisi")
    assert client.get(f"/visits/new?enterprise_id={firm.id}").status_code == 403
    auth.logout()
    auth.login("officer")
    text = client.get("/visits/new?q=" + firm.name[:4]).get_data(as_text=True)
    assert f"/visits/new?enterprise_id={firm.id}" in text
    _, response = visit_form(client, firm, officers=[str(cast.officer.id)], follow_up_on="2019-09-01")
    assert response.status_code == 200  # a follow-up before the visit is refused
    assert db.session.scalar(sa.select(sa.func.count(Visit.id))) == 0


def test_needs_raised_at_a_visit_go_through_the_ledger(client, auth, cast, firm, factory):
    """A manager logs the visit: the needs go to the firm's officer, who is told of them."""
    from tracker.notifications.models import Notification, NotificationKind

    firm.assigned_officer = cast.officer
    db.session.commit()
    category = db.session.scalar(sa.select(NeedCategory).order_by(NeedCategory.id))
    auth.login("manager")
    _, response = visit_form(client, firm, officers=[str(cast.manager.id)],
                             **{"needs-0-category_id": str(category.id), "needs-0-content": "申请AEO认证辅导"})
    assert response.status_code == 302, response.get_data(as_text=True)
    need = db.session.scalar(sa.select(Need))
    assert need.assigned_officer_id == cast.officer.id and need.visit_id is not None
    detail = client.get(f"/visits/{need.visit_id}").get_data(as_text=True)
    assert f'href="/needs/{need.id}"' in detail and "overdue-badge" in detail  # its 2019 deadline has passed
    notices = db.session.scalars(sa.select(Notification)).all()
    assert [(n.user_id, n.kind) for n in notices] == [(cast.officer.id, NotificationKind.NEED_ASSIGNED)]
    auth.logout()
    auth.login("officer")
    assert firm.name in client.get("/work/notifications").get_data(as_text=True)
    # The officer logs a visit himself: no notice to himself.
    _, response = visit_form(client, firm, officers=[str(cast.officer.id)],
                             **{"needs-0-category_id": str(category.id),
                                              "needs-0-content": "原产地证咨询"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1


def test_the_visit_page_does_not_query_more_with_more_needs(app, client, auth, cast, firm, factory):
    categories = db.session.scalars(sa.select(NeedCategory).order_by(NeedCategory.id)).all()
    auth.login("officer")
    _, response = visit_form(client, firm, officers=[str(cast.officer.id)],
                             **{"needs-0-category_id": str(categories[0].id), "needs-0-content": "第一条"})
    visit_id = db.session.scalar(sa.select(Visit.id))
    few = query_count(app, client, f"/visits/{visit_id}")
    visit = db.session.get(Visit, visit_id)
    officer2 = factory.user("officer", cast.org.yingkou, username="officer2")
    visit.officers.append(officer2)
    for n, category in enumerate(categories[1:5]):
        db.session.add(Need(enterprise_id=firm.id, visit_id=visit_id, source=NeedSource.VISIT, category=category,
                            content=f"更多{n}", raised_on=date(2019, 9, 27), deadline=date(2019, 10, 16)))
    db.session.commit()
    assert query_count(app, client, f"/visits/{visit_id}") == few


def test_the_timeline_costs_the_same_queries_with_many_visits(app, client, auth, cast, firm):
    topics = db.session.scalars(sa.select(PolicyTopic)).all()
    make_visit(firm, [cast.officer], topics=topics[:1])
    counts = {}
    for username in ("officer", "manager-dl", "yalisi"):
        auth.login(username)
        counts[username] = query_count(app, client, f"/enterprises/{firm.id}")
        auth.logout()
    for n in range(80):  # more than the 50 the timeline shows
        make_visit(firm, [cast.officer, cast.manager], topics=topics[:2], summary=f"第{n}次走访",
                   when=datetime(2019, 10, 1 + n % 28, 1, n % 60, tzinfo=timezone.utc))
    for username in ("officer", "manager-dl", "yalisi"):
        auth.login(username)
        assert query_count(app, client, f"/enterprises/{firm.id}") == counts[username], username
        auth.logout()


def test_the_visit_page_lists_its_follow_ups_at_a_fixed_cost(app, client, auth, cast, firm, factory):
    """The history of callbacks (date, channel, note, who) costs the same queries however long it is."""
    from datetime import timedelta

    from tracker.i18n import local_today
    from tracker.visits import services
    from tracker.visits.models import CallbackChannel

    today = local_today()
    visit = factory.visit(firm, [cast.officer], follow_up_on=today)
    db.session.commit()
    auth.login("officer")
    few = query_count(app, client, f"/visits/{visit.id}")
    colleague = factory.user("manager", cast.org.yingkou, username="manager2")
    for n, by in enumerate((cast.officer, colleague, cast.officer)):
        visit.follow_up_on = today - timedelta(days=3 - n)
        services.record_callback(visit, services.CallbackData(
            held_on=today - timedelta(days=3 - n), channel=list(CallbackChannel)[n], note=f"第{n + 1}次回访"), by, today)
    db.session.commit()
    assert query_count(app, client, f"/visits/{visit.id}") == few
    text = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    history = text[text.index('id="visit-callbacks"'):]
    assert history.index("第1次回访") < history.index("第2次回访") < history.index("第3次回访")
    assert colleague.display_name in history and 'data-channel="video"' in history


def test_a_colleague_is_told_who_records_the_follow_up(client, auth, cast, firm, factory):
    """Not one of the visit's officers: no button, and the page names who records it (can_edit_visit)."""
    from tracker.i18n import local_today

    visit = factory.visit(firm, [cast.officer], follow_up_on=local_today())
    factory.user("officer", cast.org.yingkou, username="officer2")
    cast.officer.title = "关员"  # named by his post, as every who-can-act note names people
    db.session.commit()
    auth.login("officer2")
    text = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert 'id="record-callback"' not in text
    note = text[text.index('id="who-calls-back"'):]
    assert f"关员 {cast.officer.display_name}" in note[:300]
    auth.logout()
    auth.login("officer")
    text = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert 'id="record-callback"' in text and 'id="who-calls-back"' not in text


def _local_today():
    from tracker.i18n import local_today

    return local_today()


def test_a_visit_cannot_be_dated_in_the_future(client, auth, cast, firm):
    """Today is fine, tomorrow is not; a 2099 visit never reaches the 2019 roster as its "last visit"."""
    from datetime import timedelta

    auth.login("officer")
    tomorrow = _local_today() + timedelta(days=1)
    for day in (tomorrow.isoformat(), "2099-09-27"):
        _, response = visit_form(client, firm, officers=[str(cast.officer.id)], visited_at=f"{day}T09:30",
                                 campaign_id="0")
        assert response.status_code == 200
        assert "走访日期不能晚于今天（今天是" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Visit.id))) == 0
    _, response = visit_form(client, firm, officers=[str(cast.officer.id)], campaign_id="0",
                             visited_at=f"{_local_today().isoformat()}T00:05")
    assert response.status_code == 302, response.get_data(as_text=True)


def test_the_service_refuses_a_future_visit_too(app, cast, firm):
    from datetime import timedelta

    from tracker.domain import DomainError
    from tracker.visits import services

    tomorrow = datetime.combine(_local_today() + timedelta(days=1), datetime.min.time().replace(hour=9))
    data = services.VisitData(visited_at=tomorrow, visit_type=VisitType.DOOR_TO_DOOR, officers=[cast.officer],
                              summary="未来的走访")
    with pytest.raises(DomainError, match="走访日期不能晚于今天"):
        services.create_visit(firm, data, cast.officer)
    db.session.rollback()


def test_a_visit_cannot_count_toward_a_later_campaign(client, auth, cast, firm):
    later = create_campaign(name="2020年百企大调研", office=cast.org.yingkou, year=2020, threshold=80)
    db.session.commit()
    auth.login("officer")
    _, response = visit_form(client, firm, officers=[str(cast.officer.id)], campaign_id=str(later.id),
                             visited_at="2019-12-31T16:00")
    assert response.status_code == 200
    assert "2019-12-31的走访不能计入2020年度的调研活动" in response.get_data(as_text=True)
    _, response = visit_form(client, firm, officers=[str(cast.officer.id)], campaign_id=str(later.id),
                             visited_at="2020-01-01T09:00")  # the first day of its year
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Visit.campaign_id)) == later.id


def test_the_campaign_follows_the_visits_date(client, auth, cast, firm):
    """A new visit defaults to the campaign of today's year whose roster holds the firm, and the page says
    so when there is none (the 2019 campaign is not picked for a visit logged today)."""
    from tracker.campaigns.models import RosterDecisionKind
    from tracker.campaigns.services import decide

    auth.login("officer")
    text = client.get(f"/visits/new?enterprise_id={firm.id}").get_data(as_text=True)
    year = _local_today().year
    assert f"该企业不在{year}年度任何调研活动的名单中" in text
    assert re.search(r'<div id="campaign-note"[^>]*>', text) and ' hidden>' not in re.search(
        r'<div id="campaign-note"[^>]*>', text).group(0)
    assert re.search(r'<option selected value="0">', text)
    assert 'data-roster="1" data-year="2019"' in text  # what the page's script picks from
    current = create_campaign(name=f"{year}年百企大调研", office=cast.org.yingkou, year=year, threshold=80)
    decide(current, firm, RosterDecisionKind.INCLUDE, "重点企业", by=cast.manager)
    db.session.commit()
    text = client.get(f"/visits/new?enterprise_id={firm.id}").get_data(as_text=True)
    assert re.search(rf'<option data-roster="1" data-year="{year}" selected value="{current.id}">', text)
    assert re.search(r'<div id="campaign-note"[^>]* hidden>', text)


def test_a_half_filled_need_row_is_an_error_and_every_error_comes_at_once(client, auth, cast, firm):
    """A row with a category and no text is not skipped; its error, the other row's and the dates' come
    in one answer, each at its field, with everything typed kept."""
    category = db.session.scalar(sa.select(NeedCategory).order_by(NeedCategory.id))
    auth.login("officer")
    _, response = visit_form(client, firm, officers=[str(cast.officer.id)], visited_at="2019-09-27T09:30",
                             follow_up_on="2019-09-01", summary="",
                             **{"needs-0-category_id": str(category.id), "needs-0-content": "",
                                "needs-1-category_id": "0", "needs-1-content": "没有选择类别的需求"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "请填写企业的需求内容，或将该行的类别改回“无业务需求”。" in text
    assert "请选择该业务需求的类别。" in text
    assert "回访日期不能早于走访日期。" in text  # a date rule, in the same answer as the fields' errors
    assert "请填写走访概况。" in text
    assert "没有选择类别的需求" in text  # kept as typed
    # Each error sits at its own row.
    row0 = text[text.index('id="need-row-0"'):text.index('id="need-row-1"')]
    row1 = text[text.index('id="need-row-1"'):text.index('id="need-row-2"')]
    assert "无业务需求”。" in row0 and "无业务需求”。" not in row1
    assert 'id="needs-1-category_id-errors"' in row1
    assert db.session.scalar(sa.select(sa.func.count(Visit.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Need.id))) == 0


def test_the_form_lists_every_error_above_it_in_natural_chinese(client, auth, cast, firm):
    """One alert above the form names every problem (WTForms' own messages in the tracker's words)."""
    auth.login("officer")
    _, response = visit_form(client, firm, officers=[], summary="", visited_at="不是日期",
                             **{"needs-0-content": "长" * 2001})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    alert = text[text.index('id="form-errors"'):text.index('id="visit-form"')]
    assert "尚未保存，请修改以下各项：" in alert
    for message in ("请填写日期和时间。", "请填写走访概况。", "最多2000个字符。", "请选择该业务需求的类别。",
                    "请至少填写一名参加走访的关员。"):
        assert message in alert, message
    assert "该字段是必填字段" not in text and "Not a valid" not in text
    assert "日期和时间：请填写" not in alert  # a message that names its field is not prefixed again
    assert db.session.scalar(sa.select(sa.func.count(Visit.id))) == 0
