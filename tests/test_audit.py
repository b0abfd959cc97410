"""The audit trail records who changed what, and admins can read and filter it."""
import re
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from tests.conftest import Factory, csrf_from, edit_firm, page, query_count, submission_key_from
from tracker.audit.display import unlabelled
from tracker.audit.models import AuditAction, AuditRecord
from tracker.auth.models import Role, User
from tracker.campaigns.models import RosterSource
from tracker.campaigns.services import create_campaign
from tracker.enterprises.models import Enterprise, TradeMode
from tracker.extensions import db
from tracker.offices.models import Office
from tracker.plans import services as plans
from tracker.i18n import LOCAL_TZ
from tracker.needs import services as needs
from tracker.needs.models import FollowUpChannel, Need, NeedCategory, NeedEntryKind, NeedSource, NeedStatus, Satisfaction
from tracker.plans.models import PlanMeasure
from tracker.visits.models import PolicyTopic, Visit, VisitAttendee, VisitType


def records(entity_type, entity_id=None):
    db.session.rollback()
    stmt = sa.select(AuditRecord).where(AuditRecord.entity_type == entity_type).order_by(AuditRecord.id)
    if entity_id is not None:
        stmt = stmt.where(AuditRecord.entity_id == str(entity_id))
    return db.session.scalars(stmt).all()


def create_officer3(client, cast):
    page = client.get("/admin/users/new")
    return client.post(
        "/admin/users/new",
        data={
            "csrf_token": csrf_from(page), "username": "officer3", "display_name": "孙关员", "role": "officer",
            "office_id": str(cast.org.yingkou.id), "new_password": "a fine new password",
            "confirm": "a fine new password",
        },
    )


def test_user_creation_and_deactivation_are_audited(client, auth, cast):
    auth.login("admin")
    assert create_officer3(client, cast).status_code == 302
    user = db.session.scalar(sa.select(User).where(User.username == "officer3"))

    created = records("users", user.id)
    assert [r.action for r in created] == [AuditAction.INSERT]
    insert = created[0]
    assert insert.actor_id == cast.admin.id and insert.actor_name == "admin"
    assert insert.changes["username"] == [None, "officer3"]
    assert insert.changes["password_hash"] == [None, "[redacted]"]
    assert insert.changes["session_token"] == [None, "[redacted]"]
    assert insert.ip_address == "127.0.0.1"

    auth.post(f"/admin/users/{user.id}/deactivate")
    update = records("users", user.id)[-1]
    assert update.action is AuditAction.UPDATE
    assert update.changes["active"] == [True, False]
    assert update.changes["session_token"] == ["[redacted]", "[redacted]"]
    assert "username" not in update.changes


def test_updates_record_old_values_of_expired_objects(app, cast):
    office = db.session.get(Office, cast.org.bayuquan.id)
    db.session.expire(office)  # as after a commit: the old value is not loaded
    office.name_en = "Bayuquan Customs House"
    db.session.commit()
    change = records("offices", office.id)[-1]
    assert change.changes == {"name_en": ["Bayuquan Customs", "Bayuquan Customs House"]}
    assert change.actor_name == "system"


def test_deletes_are_audited(app, cast):
    department = cast.org.yingkou.departments[0]
    db.session.delete(department)
    db.session.commit()
    deleted = records("departments", department.id)[-1]
    assert deleted.action is AuditAction.DELETE
    assert deleted.changes["name"] == ["综合业务科", None]


def test_sign_in_alone_writes_no_audit_record(client, auth, cast):
    before = len(records("users"))
    auth.login("officer")
    assert len(records("users")) == before


def test_admin_lists_and_filters_the_trail(client, auth, cast):
    auth.login("admin")
    create_officer3(client, cast)
    auth.post(f"/admin/users/{cast.officer.id}/deactivate")

    page = client.get("/admin/audit").get_data(as_text=True)
    assert "officer3" in page and "users" in page

    # The filters, read in the stored records (raw=1) and as people read them.
    only_updates = client.get("/admin/audit?entity_type=users&action=update&raw=1").get_data(as_text=True)
    assert "officer3" not in only_updates
    assert f"users #{cast.officer.id}" in only_updates
    read = client.get("/admin/audit?entity_type=users&action=update").get_data(as_text=True)
    assert "officer3" not in read and f">用户 #{cast.officer.id} · " in read

    by_actor = client.get("/admin/audit?actor=nobody&raw=1").get_data(as_text=True)
    assert f"users #{cast.officer.id}" not in by_actor

    bad_date = client.get("/admin/audit?date_from=not-a-date")
    assert bad_date.status_code == 200


def test_audit_page_is_for_admins_only(client, auth, cast):
    auth.login("manager")
    assert client.get("/admin/audit").status_code == 403


# Many-to-many lists ----------------------------------------------------------------------------------
# A list held through a link table (a firm's trade modes, a visit's officers and topics, a measure's
# linked needs) is recorded by the listener in the record of the object that holds it, as
# {name: [old, new]} with "label (#id)" items, or None for an empty side.
def trade_mode(code):
    return db.session.scalar(sa.select(TradeMode).where(TradeMode.code == code))


def shown(item):
    if isinstance(item, TradeMode):
        return f"{item.code} {item.name} (#{item.id})"
    if isinstance(item, User):
        return f"{item.username} {item.display_name} (#{item.id})"
    if isinstance(item, Need):
        return f"{item.content} (#{item.id})"
    return f"{item.name} (#{item.id})"


@pytest.fixture
def firm_with_a_mode(cast):
    firm = cast.contact.enterprise
    firm.trade_modes = [trade_mode("0110")]
    db.session.commit()
    return firm


def test_a_firms_trade_mode_edit_is_audited_with_old_and_new_values(client, auth, cast, firm_with_a_mode):
    firm = firm_with_a_mode
    before = len(records("enterprises", firm.id))
    general, supplied, ecommerce = trade_mode("0110"), trade_mode("0214"), trade_mode("9610")
    auth.login("officer")
    edit_firm(client, firm, trade_modes=["0214", "9610"], district="站前区")

    new = records("enterprises", firm.id)[before:]
    # One edit, one record: the list beside the columns that changed with it.
    assert len(new) == 1
    change = new[0]
    assert change.action is AuditAction.UPDATE and change.actor_name == "officer"
    assert change.changes["trade_modes"] == [[shown(general)], [shown(supplied), shown(ecommerce)]]
    assert change.changes["district"] == [None, "站前区"]
    assert change.changes["trade_modes"][1] == ["0214 来料加工 (#%d)" % supplied.id, "9610 跨境电商 (#%d)" % ecommerce.id]


def test_a_trade_mode_edit_alone_is_audited_and_emptying_the_list_too(client, auth, cast, firm_with_a_mode):
    firm = firm_with_a_mode
    before = len(records("enterprises", firm.id))
    auth.login("officer")
    edit_firm(client, firm, trade_modes=["0110", "0214"])
    edit_firm(client, firm, trade_modes=[])

    added, emptied = records("enterprises", firm.id)[before:]
    both = [shown(trade_mode("0110")), shown(trade_mode("0214"))]
    assert added.changes == {"trade_modes": [[shown(trade_mode("0110"))], both]}
    assert emptied.changes == {"trade_modes": [both, None]}
    assert firm.trade_modes == []


def test_an_unchanged_list_writes_no_record(client, auth, cast, firm_with_a_mode):
    firm = firm_with_a_mode
    before = len(records("enterprises", firm.id))
    auth.login("officer")
    edit_firm(client, firm)  # the form as it came, saved
    assert len(records("enterprises", firm.id)) == before
    edit_firm(client, firm, district="站前区")  # a column alone
    [change] = records("enterprises", firm.id)[before:]
    assert change.changes == {"district": [None, "站前区"]}


def test_a_new_firms_trade_modes_are_in_its_insert_record(client, auth, cast):
    auth.login("officer")
    page = client.get("/enterprises/new")
    response = client.post("/enterprises/new", data={
        "csrf_token": csrf_from(page), "submission_key": submission_key_from(page), "name": "营口新港物流有限公司",
        "uscc": "91310110666007217T",
        "office_id": str(cast.org.yingkou.id),
        "assigned_officer_id": "0", "economic_type": "", "trade_modes": ["9610", "0110"]})
    assert response.status_code == 302
    firm = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == "91310110666007217T"))
    [insert] = records("enterprises", firm.id)
    assert insert.action is AuditAction.INSERT
    assert insert.changes["trade_modes"] == [None, [shown(trade_mode("0110")), shown(trade_mode("9610"))]]


def test_a_visits_officers_and_topics_change_is_audited_once(client, auth, cast, factory):
    firm = cast.contact.enterprise
    officer2 = factory.user("officer", cast.org.yingkou, username="officer2")
    topics = db.session.scalars(sa.select(PolicyTopic).order_by(PolicyTopic.id).limit(3)).all()
    visit = Visit(enterprise=firm, visited_at=datetime(2019, 9, 27, 1, 30, tzinfo=timezone.utc),
                  visit_type=VisitType.DOOR_TO_DOOR, summary="走访", officers=[cast.officer], topics=topics[:1])
    db.session.add(visit)
    db.session.commit()
    [insert] = records("visits", visit.id)
    assert insert.changes["officers"] == [None, [shown(cast.officer)]]
    assert insert.changes["topics"] == [None, [shown(topics[0])]]

    auth.login("officer")
    page = client.get(f"/visits/{visit.id}/edit")
    data = {"csrf_token": csrf_from(page), "visited_at": "2019-09-27T09:30", "visit_type": "door_to_door",
            "campaign_id": "0", "officers": [str(cast.officer.id), str(officer2.id)],
            "topics": [str(topics[1].id), str(topics[2].id)], "summary": "走访，座谈", "other_attendees": "",
            "version": str(visit.version_id)}
    assert client.post(f"/visits/{visit.id}/edit", data=data).status_code == 302

    [_, update] = records("visits", visit.id)
    assert update.actor_name == "officer"
    assert update.changes["officers"] == [[shown(cast.officer)], [shown(cast.officer), shown(officer2)]]
    assert update.changes["topics"] == [[shown(topics[0])], [shown(topics[1]), shown(topics[2])]]
    assert update.changes["summary"] == ["走访", "走访，座谈"]
    # Nothing else wrote the lists a second time.
    lists = [r for r in records("visits") if "officers" in r.changes or "topics" in r.changes]
    assert lists == [insert, update]

    # The same form saved again changes nothing and writes nothing.
    db.session.expire_all()
    page = client.get(f"/visits/{visit.id}/edit")
    data.update(csrf_token=csrf_from(page), version=str(visit.version_id))
    assert client.post(f"/visits/{visit.id}/edit", data=data).status_code == 302
    assert len(records("visits", visit.id)) == 2


def make_needs(firm, *contents):
    category = db.session.scalar(sa.select(NeedCategory).order_by(NeedCategory.id))
    needs = [Need(enterprise=firm, source=NeedSource.VISIT, category=category, content=content,
                  raised_on=date(2019, 9, 27), deadline=date(2019, 10, 16)) for content in contents]
    db.session.add_all(needs)
    db.session.flush()
    return needs


def test_a_measures_linked_needs_change_is_audited_once(client, auth, cast):
    firm = cast.contact.enterprise
    firm.assigned_officer = cast.officer
    campaign = create_campaign(name="2019年百企大调研", office=cast.org.yingkou, year=2019)
    need_a, need_b = make_needs(firm, "通关时间长", "原产地证预约办理")
    plan = plans.create_plan(firm, campaign, "提升通关效率", cast.officer)
    measure = plans.add_measure(plan, description="预约办理", needs=[need_a])
    db.session.commit()
    [insert] = records("plan_measures", measure.id)
    assert insert.changes["needs"] == [None, [shown(need_a)]]

    auth.login("officer")
    url = f"/plans/{plan.id}/measures/{measure.id}/edit"
    page = client.get(url)
    data = {"csrf_token": csrf_from(page), "description": "预约办理", "owner_id": "0", "deadline": "",
            "needs": [str(need_b.id)]}
    assert client.post(url, data=data).status_code == 302

    [_, update] = records("plan_measures", measure.id)
    assert update.changes == {"needs": [[shown(need_a)], [shown(need_b)]]}
    assert [r for r in records("plan_measures") if "needs" in r.changes] == [insert, update]
    # Saved again as it is: no record.
    data["csrf_token"] = csrf_from(client.get(url))
    assert client.post(url, data=data).status_code == 302
    assert len(records("plan_measures", measure.id)) == 2


def test_a_deleted_measure_keeps_its_linked_needs_in_the_trail(app, cast):
    firm = cast.contact.enterprise
    campaign = create_campaign(name="2019年百企大调研", office=cast.org.yingkou, year=2019)
    [need] = make_needs(firm, "通关时间长")
    plan = plans.create_plan(firm, campaign, "提升通关效率", cast.officer)
    measure = plans.add_measure(plan, description="预约办理", needs=[need])
    db.session.commit()
    plans.remove_measure(db.session.get(PlanMeasure, measure.id))
    db.session.commit()
    deleted = records("plan_measures", measure.id)[-1]
    assert deleted.action is AuditAction.DELETE
    assert deleted.changes["needs"] == [[shown(need)], None]


def test_the_audit_page_shows_the_lists(client, auth, cast, firm_with_a_mode):
    firm = firm_with_a_mode
    auth.login("officer")
    edit_firm(client, firm, trade_modes=["0214", "9610"])
    auth.logout()
    auth.login("admin")
    page = client.get("/admin/audit", query_string={"entity_type": "enterprises", "action": "update", "raw": "1"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    supplied, ecommerce, general = trade_mode("0214"), trade_mode("9610"), trade_mode("0110")
    assert f"<dt>trade_modes</dt><dd>{shown(general)} → {shown(supplied)}; {shown(ecommerce)}</dd>" in text
    assert "[&#39;" not in text and "['" not in text  # a list reads as a list, not as Python
    # As read: the field's label, each item by its name, linked to the list it belongs to.
    text = client.get("/admin/audit", query_string={"entity_type": "enterprises", "action": "update"}).get_data(
        as_text=True)
    modes = '<a href="/admin/reference">%s</a>'
    assert (f"<dt>贸易方式</dt><dd>{modes % '0110 一般贸易'} → {modes % '0214 来料加工'}、{modes % '9610 跨境电商'}</dd>"
            in text)
    # Emptied: the new side shows as nothing.
    auth.logout()
    auth.login("officer")
    edit_firm(client, firm, trade_modes=[])
    auth.logout()
    auth.login("admin")
    text = client.get("/admin/audit", query_string={"entity_type": "enterprises", "raw": "1"}).get_data(as_text=True)
    assert f"<dt>trade_modes</dt><dd>{shown(supplied)}; {shown(ecommerce)} → ∅</dd>" in text
    text = client.get("/admin/audit", query_string={"entity_type": "enterprises"}).get_data(as_text=True)
    assert f"<dt>贸易方式</dt><dd>{modes % '0214 来料加工'}、{modes % '9610 跨境电商'} → —</dd>" in text


def test_a_visit_attendee_dropped_on_edit_is_audited_as_deleted(client, auth, cast):
    # Replacing a one-to-many list deletes the old rows as orphans, which never reach session.deleted.
    firm = cast.contact.enterprise
    visit = Visit(enterprise=firm, visited_at=datetime(2019, 9, 27, 1, 30, tzinfo=timezone.utc),
                  visit_type=VisitType.DOOR_TO_DOOR, summary="走访", officers=[cast.officer],
                  attendees=[VisitAttendee(name="王经理", title="关务主管")])
    db.session.add(visit)
    db.session.commit()
    attendee_id = visit.attendees[0].id
    auth.login("officer")
    page = client.get(f"/visits/{visit.id}/edit")
    data = {"csrf_token": csrf_from(page), "visited_at": "2019-09-27T09:30", "visit_type": "door_to_door",
            "campaign_id": "0", "officers": [str(cast.officer.id)], "summary": "走访", "other_attendees": "李厂长",
            "version": str(visit.version_id)}
    assert client.post(f"/visits/{visit.id}/edit", data=data).status_code == 302
    dropped = records("visit_attendees", attendee_id)[-1]
    assert dropped.action is AuditAction.DELETE and dropped.actor_name == "officer"
    assert dropped.changes["name"] == ["王经理", None]
    assert [r.changes["name"] for r in records("visit_attendees") if r.action is AuditAction.INSERT][-1] == [
        None, "李厂长"]
    assert records("visits", visit.id)[1:] == []  # the visit's own fields did not change


# The trail as people read it --------------------------------------------------------------------------
# Record and field names come from the models (__label__, info["label"]), values as the pages show them,
# related records named and linked, times in Asia/Shanghai; ?raw=1 shows the records as stored.
def audit_rows(text: str) -> list[str]:
    """The body rows of the audit page's table, as HTML, each cell as a plain <td>…</td> (the list
    macro's cells carry their class, their card label and a wrapper)."""
    table = text[text.index('id="audit-records"'):]
    body = table[table.index("<tbody>"):table.index("</tbody>")]
    body = re.sub(r'<td[^>]*>(?:<div class="rl-value">)?', "<td>", body)
    body = re.sub(r"</div></td>", "</td>", body)
    return re.split(r"<tr[^>]*>", body)[1:]


def row_of(text: str, *parts: str) -> str:
    """The one row of the audit page that holds all of *parts*."""
    rows = [row for row in audit_rows(text) if all(part in row for part in parts)]
    assert len(rows) == 1, (parts, len(rows))
    return rows[0]


def local_minute(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def in_chinese(label) -> str:
    with force_locale("zh"):
        text = str(label)
    assert re.search(r"[\u4e00-\u9fff]", text), text  # translated, not the English msgid
    return text


def test_the_audit_trail_shows_a_needs_state_change_and_a_visits_officers_in_chinese_linked_in_local_time(
        client, auth, cast, factory):
    firm = cast.contact.enterprise
    firm.name = "营口雅丽丝服装有限公司"
    firm.assigned_officer = cast.officer
    cast.officer.display_name = "张关员"
    officer2 = factory.user("officer", cast.org.yingkou, username="officer2")
    officer2.display_name = "孙关员"
    category = db.session.scalar(sa.select(NeedCategory).order_by(NeedCategory.id))
    db.session.commit()

    # An officer logs a visit with two officers and a need, then accepts the need.
    auth.login("officer")
    form = client.get(f"/visits/new?enterprise_id={firm.id}")
    data = {"csrf_token": csrf_from(form), "submission_key": submission_key_from(form),
            "visited_at": "2019-09-27T09:30", "visit_type": "workshop", "campaign_id": "0",
            "officers": [str(cast.officer.id), str(officer2.id)], "summary": "了解企业通关情况", "findings": "",
            "follow_up_on": "", "other_attendees": "",
            "needs-0-category_id": str(category.id), "needs-0-content": "希望缩短通关时间", "needs-0-department_id": "0"}
    assert client.post(f"/visits/new?enterprise_id={firm.id}", data=data).status_code == 302
    visit = db.session.scalar(sa.select(Visit).where(Visit.enterprise_id == firm.id))
    need = db.session.scalar(sa.select(Need).where(Need.visit_id == visit.id))
    assert auth.post(f"/needs/{need.id}/accept").status_code == 302
    auth.logout()

    auth.login("admin")  # reads the interface in Chinese, the default
    text = page(client, "/admin/audit")
    officer = f'<a href="/admin/users/{cast.officer.id}">张关员</a>'

    # The need's state change: the need named by its firm and linked, the states by their Chinese names.
    accepted = records("needs", need.id)[-1]
    change = row_of(text, f'<td><a href="/needs/{need.id}">业务需求 #{need.id} · 营口雅丽丝服装有限公司</a></td>', "<td>修改</td>")
    pending, in_progress = in_chinese(NeedStatus.PENDING.label), in_chinese(NeedStatus.IN_PROGRESS.label)
    assert f"<dt>状态</dt><dd>{pending} → {in_progress}</dd>" in change
    assert officer in change  # who did it
    assert f'<td>{local_minute(accepted.occurred_at)}</td>' in change
    assert accepted.occurred_at.strftime("%Y-%m-%d %H:%M") not in change  # not the UTC time

    # The visit as created: its officers by name, linked; its time in Shanghai (stored as 01:30 UTC).
    created = row_of(text, f'<td><a href="/visits/{visit.id}">走访 #{visit.id} · 营口雅丽丝服装有限公司</a></td>',
                     "<td>创建</td>")
    assert f'<dt>关员</dt><dd>{officer}、<a href="/admin/users/{officer2.id}">孙关员</a></dd>' in created
    assert "<dt>日期和时间</dt><dd>2019-09-27 09:30</dd>" in created
    assert f'<dt>企业</dt><dd><a href="/enterprises/{firm.id}">营口雅丽丝服装有限公司</a></dd>' in created
    assert f"<dt>走访方式</dt><dd>{in_chinese(VisitType.WORKSHOP.label)}</dd>" in created
    # The need raised at the visit names the visit it came from.
    raised = row_of(text, f'<td><a href="/needs/{need.id}">', "<td>创建</td>")
    assert f'<dt>走访</dt><dd><a href="/visits/{visit.id}">走访 #{visit.id} · 营口雅丽丝服装有限公司</a></dd>' in raised

    # Nothing of the database shows through: no table or column names, no stored values, no UTC.
    for stored in ("needs #", "visits #", "in_progress", "workshop</dd>", "officers</dt>", "enterprise_id", "+00:00"):
        assert stored not in text, stored


def test_the_raw_view_keeps_the_stored_records_for_admins(client, auth, cast):
    firm = cast.contact.enterprise
    need = Factory.need(firm, officer=cast.officer)
    needs.accept(need)
    db.session.commit()
    accepted = records("needs", need.id)[-1]
    auth.login("admin")

    raw = page(client, "/admin/audit?entity_type=needs&raw=1")
    row = row_of(raw, f"<td>needs #{need.id}</td>", "<td>update</td>")
    assert "<dt>status</dt><dd>pending → in_progress</dd>" in row
    assert f'<td>{accepted.occurred_at.isoformat()}</td>' in row
    inserted = row_of(raw, f"<td>needs #{need.id}</td>", "<td>insert</td>")
    assert f"<dt>enterprise_id</dt><dd>∅ → {firm.id}</dd>" in inserted
    # Its filter lists the tables; the readable view their names.
    assert '<option selected value="needs">needs</option>' in raw
    # Each view links to the other with the same filter.
    assert 'id="audit-view-toggle" href="/admin/audit?entity_type=needs"' in raw
    read = page(client, "/admin/audit?entity_type=needs")
    assert 'id="audit-view-toggle" href="/admin/audit?entity_type=needs&amp;raw=1"' in read
    assert '<option selected value="needs">业务需求</option>' in read
    assert "in_progress" not in read and f"needs #{need.id}" not in read
    # Whatever a query string holds, the toggle link is built without failing.
    assert client.get("/admin/audit?endpoint=x&_external=1&_anchor=y&raw=1").status_code == 200
    assert client.get("/admin/audit?endpoint=x&values=1").status_code == 200

    auth.logout()
    auth.login("manager")
    assert client.get("/admin/audit?raw=1").status_code == 403


def test_values_are_shown_as_the_pages_show_them(client, auth, cast):
    """Enum values translated, yes/no, a follow-up's need and officer linked, a redacted value hidden."""
    firm = cast.contact.enterprise
    need = Factory.need(firm, officer=cast.officer)
    needs.accept(need)
    needs.resolve(need, "已开通预约办理", by=cast.officer)
    needs.record_follow_up(need, date(2019, 10, 9), Satisfaction.BASICALLY_SATISFIED, "好", by=cast.officer)
    db.session.commit()
    follow_up = need.follow_ups[0]
    auth.login("admin")
    assert create_officer3(client, cast).status_code == 302
    user = db.session.scalar(sa.select(User).where(User.username == "officer3"))
    auth.post(f"/admin/users/{user.id}/deactivate")

    text = page(client, "/admin/audit")
    rated = row_of(text, f'<a href="/needs/{need.id}">回访 #{follow_up.id} · ')
    assert f"<dt>满意度</dt><dd>{in_chinese(Satisfaction.BASICALLY_SATISFIED.label)}</dd>" in rated
    assert f"<dt>方式</dt><dd>{in_chinese(FollowUpChannel.CALL.label)}</dd>" in rated
    assert f'<dt>业务需求</dt><dd><a href="/needs/{need.id}">业务需求 #{need.id} · ' in rated
    assert "<dt>回访日期</dt><dd>2019-10-09</dd>" in rated
    created = row_of(text, f'>用户 #{user.id} · 孙关员</a>', "<td>创建</td>")
    assert "<dt>密码</dt><dd>（已隐藏）</dd>" in created and "[redacted]" not in created
    assert f"<dt>角色</dt><dd>{in_chinese(Role.OFFICER.label)}</dd>" in created
    assert '<dt>海关</dt><dd><a href="/admin/offices">营口海关</a></dd>' in created
    deactivated = row_of(text, f'>用户 #{user.id} · 孙关员</a>', "<td>修改</td>")
    assert "<dt>正常</dt><dd>是 → 否</dd>" in deactivated

    # The user's own page shows its recent changes the same way.
    detail = page(client, f"/admin/users/{user.id}")
    history = detail[detail.index('id="user-history"'):]
    assert "<dt>正常</dt><dd>是 → 否</dd>" in history
    assert f'<a href="/admin/users/{cast.admin.id}">' in history and "active" not in history


def test_a_deleted_record_is_named_by_its_number_and_its_last_values(client, auth, cast):
    department = cast.org.yingkou.departments[0]
    ident = department.id
    db.session.delete(department)
    db.session.commit()
    auth.login("admin")
    text = page(client, "/admin/audit")
    deleted = row_of(text, f"<td>责任科室 #{ident}</td>", "<td>删除</td>")
    assert "<dt>名称</dt><dd>综合业务科</dd>" in deleted
    assert "<td>系统</td>" in deleted  # done outside a request


def test_every_audited_field_has_its_label_in_the_model(app):
    """A model's records, columns and lists are named where they are defined: a new column without
    info={"label": ...} (or an enum without labels, a model without __label__) fails here."""
    assert unlabelled(db.Model.registry.mappers) == []

    # The check finds what is missing.
    class Base(sa.orm.DeclarativeBase):
        pass

    class Gadget(Base):
        __tablename__ = "gadgets"
        id: sa.orm.Mapped[int] = sa.orm.mapped_column(primary_key=True)
        name: sa.orm.Mapped[str] = sa.orm.mapped_column(info={"label": "Name"})
        colour: sa.orm.Mapped[str]
        action: sa.orm.Mapped[AuditAction] = sa.orm.mapped_column(info={"label": "Action"})  # has labels
        source: sa.orm.Mapped[NeedEntryKind] = sa.orm.mapped_column(sa.Enum(NeedEntryKind), info={"label": "Kind"})
        plain: sa.orm.Mapped[RosterSource] = sa.orm.mapped_column(sa.Enum(RosterSource), info={"label": "Source"})

    class Secret(Base):
        __tablename__ = "secrets"
        __audited__ = False
        id: sa.orm.Mapped[int] = sa.orm.mapped_column(primary_key=True)
        value: sa.orm.Mapped[str]

    Base.registry.configure()
    assert unlabelled(Base.registry.mappers) == ["Gadget", "Gadget.colour", "Gadget.plain (values of RosterSource)"]


def test_the_audit_page_costs_the_same_queries_however_many_records(app, client, auth, cast, factory):
    """The related rows are loaded per kind of record for the whole page, not once per record."""
    app.config["AUDIT_PAGE_SIZE"] = 1000  # every record on the page, so both pages show the same kinds
    campaign = factory.campaign(cast.org.yingkou)

    def outreach(firms: int) -> None:
        for _ in range(firms):
            firm = factory.enterprise(cast.org.yingkou)
            firm.trade_modes = [trade_mode("0110"), trade_mode("0214")]
            factory.visit(firm, [cast.officer, cast.manager])
            need = Factory.need(firm, officer=cast.officer, by=cast.officer)
            needs.accept(need)
            plan = plans.create_plan(firm, campaign, "提升通关效率", cast.officer)
            plans.add_measure(plan, description="预约办理", owner=cast.officer, needs=[need])
        db.session.commit()

    outreach(1)
    auth.login("admin")
    few = query_count(app, client, "/admin/audit")
    outreach(6)
    assert query_count(app, client, "/admin/audit") == few
