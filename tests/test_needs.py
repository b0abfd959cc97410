"""The needs ledger through its pages, the portal and the API: deadlines in working days, every transition
allowed and refused, extensions, follow-ups, close-off, scoping and the audit trail."""
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from tracker.audit.models import AuditAction, AuditRecord
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.offices.models import Department
from tracker.needs import services as services
from tracker.domain import DomainError
from tracker.needs.models import (
    ExtensionStatus,
    Need,
    NeedCategory,
    NeedEntryKind,
    NeedSource,
    NeedStatus,
    Satisfaction,
)
from tracker.notifications.models import Notification, NotificationKind
from tracker.workdays.models import CalendarOverride, OverrideKind
from tests.conftest import Api, make_need, page, query_count
from tracker.i18n import local_today

# A deadline set now: not in the past (tracker.dates).
LATER = local_today() + timedelta(days=30)


def reload(need: Need) -> Need:
    db.session.rollback()
    return db.session.get(Need, need.id)


# Deadlines --------------------------------------------------------------------------------------
@pytest.mark.parametrize("raised_on,days,deadline", [
    (date(2019, 9, 27), 3, date(2019, 10, 8)),  # 09-29 is a make-up Sunday; 10-01..07 National Day
    (date(2019, 9, 27), 2, date(2019, 9, 30)),
    (date(2019, 9, 28), 1, date(2019, 9, 29)),  # the make-up Sunday counts
    (date(2019, 9, 30), 1, date(2019, 10, 8)),
    (date(2019, 10, 8), 4, date(2019, 10, 12)),  # Saturday 10-12 is a make-up working day too
])
def test_default_deadline_follows_the_chinese_working_day_calendar(app, category, raised_on, days, deadline):
    category.deadline_days = days
    assert services.default_deadline(raised_on, category) == deadline
    db.session.rollback()


def test_an_admin_closure_moves_the_default_deadline(app, cast, category):
    db.session.add(CalendarOverride(day=date(2019, 10, 8), kind=OverrideKind.CLOSURE, name="台风"))
    db.session.commit()
    assert services.default_deadline(date(2019, 9, 27), category) == date(2019, 10, 9)


def test_a_department_of_another_customs_house_is_refused(app, cast, firm, category):
    """A need goes to a department of the firm's office or of a house above it, never a sibling's."""
    sibling = Department(office=cast.org.bayuquan, name="鲅鱼圈综合业务科")
    above = Department(office=cast.org.dalian, name="大连关税处")
    db.session.add_all([sibling, above])
    db.session.commit()
    with pytest.raises(services.DomainError, match="请选择企业所属海关的科室"):
        make_need(firm, category, department=sibling)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Need)) == 0
    assert make_need(firm, category, department=above).department_id == above.id


def test_officer_records_a_need_through_the_page(client, auth, cast, firm, category, factory):
    colleague = factory.user(Role.OFFICER, cast.org.yingkou, username="officer2")
    department = db.session.scalar(sa.select(Department))
    db.session.commit()
    auth.login("officer")
    form = page(client, f"/needs/new/{firm.id}")
    assert "Raised through" in form
    response = auth.post(f"/needs/new/{firm.id}", {
        "source": "visit", "category_id": str(category.id), "content": "希望缩短原产地证办理时间",
        "department_id": str(department.id), "assigned_officer_id": str(colleague.id), "raised_on": "2019-09-27",
        "deadline": "",
    })
    assert response.status_code == 302
    need = db.session.scalar(sa.select(Need).where(Need.enterprise_id == firm.id))
    assert need.deadline == date(2019, 10, 8)
    assert need.status is NeedStatus.PENDING and need.department_id == department.id
    notice = db.session.scalar(sa.select(Notification).where(Notification.user_id == colleague.id))
    assert notice.kind is NotificationKind.NEED_ASSIGNED and notice.link == f"/needs/{need.id}"
    audit = db.session.scalar(sa.select(AuditRecord).where(AuditRecord.entity_type == "needs",
                                                         AuditRecord.entity_id == str(need.id)))
    assert audit.actor_name == "officer"
    assert "希望缩短原产地证办理时间" in page(client, response.headers["Location"])


def test_a_given_deadline_is_kept(client, auth, cast, firm, category):
    auth.login("manager")
    auth.post(f"/needs/new/{firm.id}", {
        "source": "phone", "category_id": str(category.id), "content": "咨询", "department_id": "0",
        "assigned_officer_id": "0", "raised_on": "2019-09-27", "deadline": LATER.isoformat(),
    })
    assert db.session.scalar(sa.select(Need.deadline)) == LATER


def test_who_may_record_a_need(client, auth, cast, firm, category, factory):
    other = factory.enterprise(cast.org.yingkou)  # not assigned to the officer
    byq = cast.contact_byq.enterprise
    db.session.commit()
    auth.login("officer")
    assert client.get(f"/needs/new/{other.id}").status_code == 403
    assert client.get(f"/needs/new/{byq.id}").status_code == 404  # another office's firm
    auth.logout()
    auth.login("manager")
    assert client.get(f"/needs/new/{other.id}").status_code == 200
    auth.logout()
    auth.login("yalisi")
    assert client.get(f"/needs/new/{firm.id}").status_code == 403


@pytest.mark.parametrize("username,see,edit", [
    ("officer", 200, 200),  # assigned to him
    ("officer2", 200, 403),  # same office, not his firm nor his need
    ("manager", 200, 200), ("manager-dl", 200, 200), ("admin", 200, 200),
    ("bayuquan-officer", 404, 404),  # another office: as if it did not exist
    ("yalisi", 403, 403),  # the firm's contact reads it in the portal, not here
    ("longxin", 403, 403),  # another firm's contact
])
def test_who_may_see_and_edit_a_need(client, auth, cast, firm, category, factory, username, see, edit):
    factory.user("officer", cast.org.yingkou, username="officer2")
    need = make_need(firm, category, cast.officer)
    auth.login(username)
    assert client.get(f"/needs/{need.id}").status_code == see
    assert client.get(f"/needs/{need.id}/edit").status_code == edit


# Transitions ------------------------------------------------------------------------------------
def test_the_whole_flow_through_the_pages(client, auth, cast, firm, category):
    need = make_need(firm, category, cast.officer)
    auth.login("officer")
    assert auth.post(f"/needs/{need.id}/accept").status_code == 302
    assert reload(need).status is NeedStatus.IN_PROGRESS
    auth.post(f"/needs/{need.id}/entries", {"kind": "progress", "text": "已联系原产地科"})
    auth.post(f"/needs/{need.id}/entries", {"kind": "internal", "text": "内部：企业曾有违规记录"})
    auth.post(f"/needs/{need.id}/resolve", {"text": "已开通预约办理"})
    need = reload(need)
    assert need.status is NeedStatus.RESOLVED and need.resolved_at is not None
    assert [e.kind for e in need.entries] == [NeedEntryKind.PROGRESS, NeedEntryKind.INTERNAL, NeedEntryKind.PROGRESS]
    auth.post(f"/needs/{need.id}/follow-ups", {"held_on": "2019-10-09", "satisfaction": "satisfied", "note": "好"})
    auth.post(f"/needs/{need.id}/close")
    need = reload(need)
    assert need.status is NeedStatus.CLOSED and need.closed_at is not None
    detail = page(client, f"/needs/{need.id}")
    assert "内部：企业曾有违规记录" in detail and "Closed off" in detail
    # Every change is in the audit trail, with the transition's old and new values.
    records = db.session.scalars(sa.select(AuditRecord).where(AuditRecord.entity_type == "needs",
                                                             AuditRecord.entity_id == str(need.id),
                                                             AuditRecord.action == AuditAction.UPDATE)).all()
    assert len(records) >= 3 and {r.actor_name for r in records} == {"officer"}
    assert any(r.changes.get("status") == ["resolved", "closed"] for r in records)
    assert db.session.scalar(sa.select(sa.func.count(AuditRecord.id)).where(
        AuditRecord.entity_type == "follow_ups", AuditRecord.actor_name == "officer")) == 1


@pytest.mark.parametrize("status,path,data", [
    (NeedStatus.IN_PROGRESS, "accept", {}),
    (NeedStatus.PENDING, "resolve", {"text": "done"}),
    (NeedStatus.PENDING, "close", {}),
    (NeedStatus.IN_PROGRESS, "close", {}),
    (NeedStatus.RESOLVED, "unresolvable", {"explanation": "政策不允许"}),
    (NeedStatus.CLOSED, "resolve", {"text": "done"}),
    (NeedStatus.PENDING, "follow-ups", {"held_on": "2019-10-09", "satisfaction": "satisfied"}),
    (NeedStatus.UNRESOLVABLE, "accept", {}),
    (NeedStatus.RESOLVED, "entries", {"kind": "progress", "text": "more"}),
    (NeedStatus.CLOSED, "extensions", {"new_deadline": "2019-12-31", "reason": "late"}),
])
def test_impossible_transitions_are_refused_with_a_message(client, auth, cast, firm, category, status, path, data):
    need = make_need(firm, category, cast.officer)
    need.status = status
    db.session.commit()
    auth.login("officer")
    response = auth.post(f"/needs/{need.id}/{path}", data, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "alert-danger" in text
    with force_locale("en"):
        label = str(status.label)
    assert label in text or "only" in text.lower() or "cannot" in text.lower()
    assert reload(need).status is status


def test_an_explained_need_that_cannot_be_resolved(client, auth, cast, firm, category):
    need = make_need(firm, category, cast.officer)
    auth.login("officer")
    auth.post(f"/needs/{need.id}/unresolvable", {"explanation": ""})
    assert reload(need).status is NeedStatus.PENDING  # an explanation is required
    auth.post(f"/needs/{need.id}/unresolvable", {"explanation": "该事项属总署权限，已向企业说明"})
    need = reload(need)
    assert need.status is NeedStatus.UNRESOLVABLE and need.explanation.startswith("该事项")
    auth.logout()
    auth.login("yalisi")
    assert "该事项属总署权限" in page(client, f"/portal/needs/{need.id}")


def test_close_off_is_refused_without_a_follow_up(client, auth, cast, firm, category):
    need = make_need(firm, category, cast.officer)
    services.accept(need)
    services.resolve(need, "已处理")
    db.session.commit()
    auth.login("officer")
    text = auth.post(f"/needs/{need.id}/close", follow_redirects=True).get_data(as_text=True)
    assert "follow-up" in text and "alert-danger" in text
    assert reload(need).status is NeedStatus.RESOLVED


def test_a_follow_up_before_the_latest_resolution_does_not_allow_close_off(app, cast, firm, category):
    need = make_need(firm, category, cast.officer)
    services.accept(need)
    services.resolve(need, "第一次")
    services.record_follow_up(need, date(2019, 10, 9), Satisfaction.DISSATISFIED, by=cast.manager)
    assert need.status is NeedStatus.IN_PROGRESS
    services.resolve(need, "第二次")
    with force_locale("en"), pytest.raises(DomainError, match="follow-up"):
        services.close_off(need)
    services.record_follow_up(need, date(2019, 10, 10), Satisfaction.BASICALLY_SATISFIED)
    services.close_off(need)
    assert need.status is NeedStatus.CLOSED


def test_a_dissatisfied_follow_up_reopens_the_need_and_tells_the_officer(client, auth, cast, firm, category):
    need = make_need(firm, category, cast.officer)
    services.accept(need)
    services.resolve(need, "已处理")
    db.session.commit()
    auth.login("manager")
    auth.post(f"/needs/{need.id}/follow-ups", {"held_on": "2019-10-09", "satisfaction": "dissatisfied",
                                               "note": "企业仍需排队"})
    need = reload(need)
    assert need.status is NeedStatus.IN_PROGRESS and need.resolved_at is None
    assert need.follow_ups[0].satisfaction is Satisfaction.DISSATISFIED
    notice = db.session.scalar(sa.select(Notification).where(Notification.user_id == cast.officer.id,
                                                            Notification.kind == NotificationKind.NEED_REOPENED))
    assert notice.params["need_id"] == need.id


def test_a_follow_up_cannot_be_dated_in_the_future(client, auth, cast, firm, category):
    need = make_need(firm, category, cast.officer)
    services.accept(need)
    services.resolve(need, "已处理")
    db.session.commit()
    auth.login("officer")
    future = (services.local_today() + timedelta(days=3)).isoformat()
    auth.post(f"/needs/{need.id}/follow-ups", {"held_on": future, "satisfaction": "satisfied"})
    assert reload(need).follow_ups == []


def test_another_officer_of_the_office_cannot_work_a_need_not_his(client, auth, cast, firm, category, factory):
    factory.user(Role.OFFICER, cast.org.yingkou, username="officer2")
    need = make_need(firm, category, cast.officer)
    auth.login("officer2")
    assert client.get(f"/needs/{need.id}").status_code == 200  # he may read it
    assert auth.post(f"/needs/{need.id}/accept").status_code == 403
    assert reload(need).status is NeedStatus.PENDING
    auth.logout()
    auth.login("bayuquan-officer")
    assert client.get(f"/needs/{need.id}").status_code == 404


def test_the_assigned_officer_edits_and_a_stale_form_is_refused(client, auth, cast, firm, category):
    need = make_need(firm, category, cast.officer)
    auth.login("officer")
    form = page(client, f"/needs/{need.id}/edit")
    version = form.split('name="version" type="hidden" value="')[1].split('"')[0]
    data = {"version": version, "category_id": str(category.id), "content": "改后的内容", "department_id": "0",
            "assigned_officer_id": str(cast.officer.id)}
    assert auth.post(f"/needs/{need.id}/edit", data).status_code == 302
    assert reload(need).content == "改后的内容"
    data["content"] = "用过期的表单"
    auth.post(f"/needs/{need.id}/edit", data)  # the version is now stale
    assert reload(need).content == "改后的内容"


# Extensions -------------------------------------------------------------------------------------
def test_a_manager_approves_an_extension_and_the_deadline_moves(client, auth, cast, firm, category):
    need = make_need(firm, category, cast.officer)
    auth.login("officer")
    auth.post(f"/needs/{need.id}/extensions", {"new_deadline": "2019-10-08", "reason": "same day"})
    assert reload(need).extensions == []  # must be later than the current deadline
    auth.post(f"/needs/{need.id}/extensions", {"new_deadline": LATER.isoformat(), "reason": "等待总署答复"})
    extension = reload(need).extensions[0]
    assert extension.status is ExtensionStatus.REQUESTED and extension.old_deadline == date(2019, 10, 8)
    auth.post(f"/needs/{need.id}/extensions", {"new_deadline": (LATER + timedelta(days=5)).isoformat(),
                                               "reason": "again"})
    assert len(reload(need).extensions) == 1  # one request at a time
    # An officer may not decide, not even on his own request.
    assert auth.post(f"/needs/extensions/{extension.id}/decide", {"decision": "approve"}).status_code == 403
    auth.logout()
    auth.login("manager")
    assert "Extensions awaiting your decision" in page(client, "/work/")
    auth.post(f"/needs/extensions/{extension.id}/decide", {"decision": "approve", "note": "同意"})
    need = reload(need)
    assert need.deadline == LATER
    assert need.extensions[0].status is ExtensionStatus.APPROVED
    assert need.extensions[0].decided_by_id == cast.manager.id
    notice = db.session.scalar(sa.select(Notification).where(Notification.user_id == cast.officer.id,
                                                            Notification.kind == NotificationKind.EXTENSION_DECIDED))
    assert notice.params["approved"] is True
    # Deciding twice is refused.
    text = auth.post(f"/needs/extensions/{extension.id}/decide", {"decision": "reject"},
                     follow_redirects=True).get_data(as_text=True)
    assert "already been decided" in text
    assert reload(need).extensions[0].status is ExtensionStatus.APPROVED


def test_a_rejected_extension_keeps_the_deadline(client, auth, cast, firm, category):
    need = make_need(firm, category, cast.officer)
    extension = services.request_extension(need, date(2019, 10, 20), "需要更多时间", by=cast.officer,
                                           today=date(2019, 10, 8))
    db.session.commit()
    auth.login("manager")
    auth.post(f"/needs/extensions/{extension.id}/decide", {"decision": "reject", "note": "时限足够"})
    need = reload(need)
    assert need.deadline == date(2019, 10, 8) and need.extensions[0].status is ExtensionStatus.REJECTED


def test_a_manager_of_another_subtree_cannot_decide(client, auth, cast, firm, category, factory):
    factory.user(Role.MANAGER, cast.org.bayuquan, username="manager-byq")
    need = make_need(firm, category, cast.officer)
    extension = services.request_extension(need, date(2019, 10, 20), "需要更多时间", by=cast.officer,
                                           today=date(2019, 10, 8))
    db.session.commit()
    auth.login("manager-byq")
    assert auth.post(f"/needs/extensions/{extension.id}/decide", {"decision": "approve"}).status_code == 404
    auth.logout()
    auth.login("manager-dl")  # 大连 is above 营口: his subtree
    auth.post(f"/needs/extensions/{extension.id}/decide", {"decision": "approve"})
    assert reload(need).deadline == date(2019, 10, 20)


def test_a_pending_extension_is_withdrawn_when_the_need_is_resolved(client, auth, cast, firm, category):
    """Nobody could decide a request left on a resolved need: it is withdrawn, the requester told."""
    need = make_need(firm, category, cast.officer)
    services.accept(need)
    extension = services.request_extension(need, date(2019, 10, 20), "等待总署答复", by=cast.officer,
                                           today=date(2019, 10, 8))
    db.session.commit()
    auth.login("manager")
    assert "等待总署答复" in page(client, "/work/")  # awaiting his decision
    auth.post(f"/needs/{need.id}/resolve", {"text": "已开通预约办理"})
    need = reload(need)
    assert need.status is NeedStatus.RESOLVED and need.deadline == date(2019, 10, 8)
    assert need.extensions[0].status is ExtensionStatus.WITHDRAWN and need.extensions[0].decided_at
    assert "等待总署答复" not in page(client, "/work/")  # no longer in his queue
    detail = page(client, f"/needs/{need.id}")
    assert "Extension request withdrawn: the need has been dealt with" in detail
    assert f"/needs/extensions/{extension.id}/decide" not in detail
    # Deciding it anyway (an open tab) is refused with a message; the deadline stays.
    text = auth.post(f"/needs/extensions/{extension.id}/decide", {"decision": "approve"},
                     follow_redirects=True).get_data(as_text=True)
    assert "already been decided" in text and reload(need).deadline == date(2019, 10, 8)
    notice = db.session.scalar(sa.select(Notification).where(
        Notification.user_id == cast.officer.id, Notification.kind == NotificationKind.EXTENSION_WITHDRAWN))
    assert notice.link == f"/needs/{need.id}"
    auth.logout()
    auth.login("officer")
    assert f"The extension for need #{need.id} of {firm.name} was withdrawn" in page(client, "/work/notifications")


def test_a_pending_extension_is_withdrawn_when_the_need_cannot_be_resolved(client, auth, cast, firm, category):
    need = make_need(firm, category, cast.officer)
    services.request_extension(need, date(2019, 10, 20), "等待总署答复", by=cast.officer, today=date(2019, 10, 8))
    db.session.commit()
    auth.login("officer")
    auth.post(f"/needs/{need.id}/unresolvable", {"explanation": "政策不允许"})
    need = reload(need)
    assert need.status is NeedStatus.UNRESOLVABLE and need.extensions[0].status is ExtensionStatus.WITHDRAWN
    # He closed it himself: no notice to tell him what he did.
    assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.kind == NotificationKind.EXTENSION_WITHDRAWN)) == 0
    # A decided request is left as it was, and a need without one is resolved as before.
    other = make_need(firm, category, cast.officer, content="另一需求")
    services.accept(other)
    decided = services.request_extension(other, date(2019, 10, 20), "需要更多时间", by=cast.officer,
                                         today=date(2019, 10, 8))
    services.decide_extension(decided, False, by=cast.manager)
    services.resolve(other, "已办结")
    db.session.commit()
    assert reload(other).extensions[0].status is ExtensionStatus.REJECTED


# The portal -------------------------------------------------------------------------------------
def test_the_contact_sees_his_needs_without_internal_notes(client, auth, cast, firm, category):
    need = make_need(firm, category, cast.officer, content="希望预约办理原产地证")
    services.add_internal_note(need, "内部备注：不要告诉企业")
    db.session.commit()
    other = make_need(cast.contact_byq.enterprise, category, content="隆鑫的需求")
    auth.login("yalisi")
    portal = page(client, "/portal/")
    assert "希望预约办理原产地证" in portal and "隆鑫的需求" not in portal
    assert "Overdue" in portal  # the 2019 deadline has passed
    detail = page(client, f"/portal/needs/{need.id}")
    assert "希望预约办理原产地证" in detail and "内部备注" not in detail
    assert client.get(f"/portal/needs/{other.id}").status_code == 404
    assert client.get(f"/needs/{need.id}").status_code == 403  # the staff page is not for contacts
    profile = page(client, f"/enterprises/{firm.id}")
    assert "希望预约办理原产地证" in profile and "内部备注" not in profile


def test_the_contact_comments_and_rates(client, auth, cast, firm, category):
    need = make_need(firm, category, cast.officer)
    auth.login("yalisi")
    auth.post(f"/portal/needs/{need.id}/comments", {"text": "请尽快处理"})
    assert [e.kind for e in reload(need).entries] == [NeedEntryKind.COMMENT]
    # Rating before the resolution is refused.
    text = auth.post(f"/portal/needs/{need.id}/rate", {"satisfaction": "satisfied"},
                     follow_redirects=True).get_data(as_text=True)
    assert "alert-danger" in text and reload(need).follow_ups == []
    services.accept(reload(need))
    services.resolve(db.session.get(Need, need.id), "已开通预约")
    db.session.commit()
    auth.post(f"/portal/needs/{need.id}/rate", {"satisfaction": "dissatisfied", "note": "还是要排队"})
    need = reload(need)
    assert need.status is NeedStatus.IN_PROGRESS
    assert need.follow_ups[0].by_id == cast.contact.id
    assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == cast.officer.id, Notification.kind == NotificationKind.NEED_REOPENED)) == 1
    services.resolve(need, "已设立专窗")
    db.session.commit()
    auth.post(f"/portal/needs/{need.id}/rate", {"satisfaction": "satisfied"})
    assert reload(need).status is NeedStatus.RESOLVED
    auth.logout()
    auth.login("officer")
    auth.post(f"/needs/{need.id}/close")  # the firm's own confirmation suffices
    assert reload(need).status is NeedStatus.CLOSED


def test_a_rating_must_be_chosen_and_the_typed_note_is_kept(client, auth, cast, firm, category):
    """The form preselects no answer; sent without one, it comes back with the error and the note."""
    need = make_need(firm, category, cast.officer)
    services.accept(need)
    services.resolve(need, "已开通预约")
    db.session.commit()
    auth.login("yalisi")
    form = page(client, f"/portal/needs/{need.id}")
    assert '<option value="">— choose —</option>' in form and "<option selected" not in form
    response = auth.post(f"/portal/needs/{need.id}/rate", {"satisfaction": "", "note": "窗口排队仍然很长"})
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose how satisfied you are." in text and "窗口排队仍然很长</textarea>" in text
    assert reload(need).status is NeedStatus.RESOLVED and reload(need).follow_ups == []
    response = auth.post(f"/portal/needs/{need.id}/comments", {"text": "  "})
    assert response.status_code == 400 and "Write a comment first." in response.get_data(as_text=True)
    # Rated with a note: the contact reads his own note back; an officer's call note stays on the staff side.
    auth.post(f"/portal/needs/{need.id}/rate", {"satisfaction": "dissatisfied", "note": "窗口排队仍然很长"})
    services.resolve(reload(need), "已设立专窗")
    services.record_follow_up(db.session.get(Need, need.id), date(2019, 10, 20), Satisfaction.SATISFIED,
                              "企业负责人语气勉强", by=cast.officer)
    db.session.commit()
    detail = page(client, f"/portal/needs/{need.id}")
    assert "窗口排队仍然很长" in detail and "企业负责人语气勉强" not in detail


def test_a_follow_up_without_a_satisfaction_is_refused(client, auth, cast, firm, category):
    need = make_need(firm, category, cast.officer)
    services.accept(need)
    services.resolve(need, "已开通预约")
    db.session.commit()
    auth.login("officer")
    assert '<option value="">— choose —</option>' in page(client, f"/needs/{need.id}")
    text = auth.post(f"/needs/{need.id}/follow-ups", {"held_on": "2019-10-09", "satisfaction": ""},
                     follow_redirects=True).get_data(as_text=True)
    assert "Choose how satisfied the firm is." in text
    assert reload(need).follow_ups == [] and reload(need).status is NeedStatus.RESOLVED


def test_the_contact_cannot_touch_another_firms_need(client, auth, cast, firm, category):
    other = make_need(cast.contact_byq.enterprise, category)
    auth.login("yalisi")
    assert auth.post(f"/portal/needs/{other.id}/comments", {"text": "x"}).status_code == 404
    assert auth.post(f"/portal/needs/{other.id}/rate", {"satisfaction": "satisfied"}).status_code == 404
    assert reload(other).entries == []


def test_a_rated_resolution_shows_the_rating_not_the_form(client, auth, cast, firm, category):
    need = make_need(firm, category, cast.officer)
    services.accept(need)
    services.resolve(need, "已开通预约")
    db.session.commit()
    auth.login("yalisi")
    assert f'/portal/needs/{need.id}/rate"' in page(client, f"/portal/needs/{need.id}")
    auth.post(f"/portal/needs/{need.id}/rate", {"satisfaction": "basically_satisfied", "note": "还算及时"})
    text = page(client, f"/portal/needs/{need.id}")
    rating = text[text.index('id="your-rating"'):]
    assert f'/portal/needs/{need.id}/rate"' not in text
    assert "Basically satisfied" in rating and services.local_today().isoformat() in rating and "还算及时" in rating
    # A second rating from an old tab is refused with a message; one rating is kept.
    text = auth.post(f"/portal/needs/{need.id}/rate", {"satisfaction": "satisfied"},
                     follow_redirects=True).get_data(as_text=True)
    assert "You have already rated this resolution." in text and len(reload(need).follow_ups) == 1
    # The comment card's heading names its field: the label is for screen readers, not said twice.
    assert '<label class="visually-hidden" for="text">Comment</label>' in text
    assert '<label class="form-label" for="text">' not in text
    auth.logout()
    # The officer's page shows the confirmation instead of the follow-up form, and offers the close-off.
    auth.login("officer")
    text = page(client, f"/needs/{need.id}")
    assert f'/needs/{need.id}/follow-ups"' not in text and f'/needs/{need.id}/close"' in text
    confirmation = text[text.index('id="confirmation"'):]
    assert "Basically satisfied" in confirmation and "还算及时" in confirmation


def test_a_need_page_says_who_can_act_to_those_who_cannot(client, auth, cast, firm, category, factory):
    """The officer who logged the visit is not the firm's: he is told who handles the need and whom to
    ask, by the rule that shows the buttons (can_edit_need); the nearest active managers are named."""
    visitor = factory.user(Role.OFFICER, cast.org.yingkou, username="visitor", locale="zh")
    cast.manager.title, cast.manager_dl.title = "科长", "处长"  # posts are data: 处长 is 处长
    need = make_need(firm, category, cast.officer, by=visitor)
    db.session.commit()
    auth.login("visitor")
    text = page(client, f"/needs/{need.id}")
    assert (f"此需求由企业的责任关员 {cast.officer.display_name} 办理；如需改派，请联系科长 "
            f"{cast.manager.display_name}。") in text
    assert f"/needs/{need.id}/accept" not in text
    auth.logout()
    auth.login("officer")
    text = page(client, f"/needs/{need.id}")
    assert 'id="who-can-act"' not in text and f"/needs/{need.id}/accept" in text
    # His extension request: the page says who decides it.
    later = (services.local_today() + timedelta(days=30)).isoformat()
    auth.post(f"/needs/{need.id}/extensions", {"new_deadline": later, "reason": "等待总署答复"})
    assert f"Awaiting a decision by 科长 {cast.manager.display_name}." in page(client, f"/needs/{need.id}")
    auth.logout()
    auth.login("manager")
    text = page(client, f"/needs/{need.id}")
    assert 'id="who-can-act"' not in text and 'id="extension-deciders"' not in text
    auth.logout()
    # Handed to another officer than the firm's: he is named with his post.
    colleague = factory.user(Role.OFFICER, cast.org.yingkou, username="colleague", title="关员")
    db.session.commit()
    need = reload(need)
    need.assigned_officer_id = colleague.id
    db.session.commit()
    auth.login("visitor")
    assert (f"此需求由关员 {colleague.display_name} 办理；如需改派，请联系科长 {cast.manager.display_name}。"
            in page(client, f"/needs/{need.id}"))
    auth.logout()
    # Unassigned, and no manager left in 营口: the 大连 manager is named.
    need = reload(need)
    need.assigned_officer_id = None
    firm = need.enterprise
    firm.assigned_officer_id = None
    cast.manager.active = False
    db.session.commit()
    auth.login("visitor")
    assert f"此需求尚未指派关员，可由处长 {cast.manager_dl.display_name} 办理或指派。" in page(client, f"/needs/{need.id}")
    # A closed need has nothing left to do: no note.
    need = reload(need)
    need.status = NeedStatus.CLOSED
    db.session.commit()
    assert 'id="who-can-act"' not in page(client, f"/needs/{need.id}")


# The list ---------------------------------------------------------------------------------------
def test_the_list_filters_and_flags_overdue_needs(client, auth, cast, firm, category, factory):
    today = services.local_today()
    late = make_need(firm, category, cast.officer, content="逾期的需求")
    future = make_need(firm, category, cast.officer, raised_on=today, content="未到期的需求")
    other_category = db.session.scalar(sa.select(NeedCategory).where(NeedCategory.id != category.id))
    make_need(firm, other_category, content="另一类别", department=db.session.scalar(sa.select(Department)))
    make_need(cast.contact_byq.enterprise, category, content="鲅鱼圈的需求")
    auth.login("manager")
    text = page(client, "/needs/")
    assert "鲅鱼圈的需求" not in text  # another subtree
    assert text.index("逾期的需求") < text.index("未到期的需求")  # overdue first
    overdue = page(client, "/needs/?overdue=1")
    assert "逾期的需求" in overdue and "未到期的需求" not in overdue and "Overdue" in overdue
    by_category = page(client, f"/needs/?category={other_category.id}")
    assert "另一类别" in by_category and "逾期的需求" not in by_category
    by_department = page(client, f"/needs/?department={db.session.scalar(sa.select(Department.id))}")
    assert "另一类别" in by_department and "逾期的需求" not in by_department
    by_officer = page(client, f"/needs/?officer={cast.officer.id}")
    assert "另一类别" not in by_officer and "逾期的需求" in by_officer
    services.accept(reload(future))
    db.session.commit()
    assert "逾期的需求" not in page(client, "/needs/?status=in_progress")
    assert "逾期的需求" in page(client, "/needs/?status=open")
    assert "逾期的需求" in page(client, f"/needs/?q={firm.name[:4]}")
    assert "逾期的需求" not in page(client, "/needs/?q=nosuchfirm")
    auth.logout()
    auth.login("manager-dl")
    assert "鲅鱼圈的需求" in page(client, "/needs/")
    assert late.id


def test_list_queries_do_not_grow_with_the_data(app, client, auth, cast, firm, category, factory):
    department = db.session.scalar(sa.select(Department))
    for _n in range(3):
        make_need(firm, category, cast.officer, department=department)
    auth.login("manager")
    small = query_count(app, client, "/needs/")
    for _n in range(60):
        other = factory.enterprise(cast.org.yingkou)
        make_need(other, category, cast.manager, department=department)
    assert query_count(app, client, "/needs/") == small
    assert query_count(app, client, "/needs/?page=2") == small


# The API ----------------------------------------------------------------------------------------
def test_the_api_lists_a_firms_needs_and_hides_internal_notes(client, cast, firm, category):
    need = make_need(firm, category, cast.officer)
    services.add_internal_note(need, "内部备注")
    services.accept(need)
    services.add_progress(need, "已受理")
    db.session.commit()
    other = make_need(cast.contact_byq.enterprise, category)

    contact = Api(client, "yalisi")
    listing = contact.get(f"/enterprises/{firm.id}/needs").get_json()
    assert listing["total"] == 1
    item = listing["items"][0]
    assert item["status"] == "in_progress" and item["overdue"] is True and item["deadline"] == "2019-10-08"
    assert item["category"] == category.name and "assigned_officer" not in item
    detail = contact.get(f"/needs/{need.id}").get_json()
    assert [e["kind"] for e in detail["entries"]] == ["progress"]
    assert "extensions" not in detail
    assert contact.get(f"/needs/{other.id}").status_code == 404
    assert contact.get(f"/enterprises/{other.enterprise_id}/needs").status_code == 404
    assert contact.get("/needs/999999").status_code == 404

    officer = Api(client, "officer")
    detail = officer.get(f"/needs/{need.id}").get_json()
    assert [e["kind"] for e in detail["entries"]] == ["internal", "progress"]
    assert detail["assigned_officer"] == "officer"
    assert officer.get(f"/needs/{other.id}").status_code == 404  # 鲅鱼圈 is not his subtree
    assert officer.get(f"/enterprises/{firm.id}/needs", status="closed").get_json()["total"] == 0
    assert officer.get(f"/enterprises/{firm.id}/needs", status="bogus").status_code == 400


def test_the_ledger_exports_the_filtered_needs_without_internal_notes(app, client, auth, cast, firm, category):
    import csv
    import io

    from openpyxl import load_workbook

    late = make_need(firm, category, cast.officer, content="=HYPERLINK(\"http://x\")逾期")
    services.add_internal_note(late, "内部备注不外传", by=cast.officer)
    services.accept(late)
    services.resolve(late, "已处理")
    services.record_follow_up(late, date(2019, 10, 20), Satisfaction.DISSATISFIED, "仍不满意", by=cast.officer)
    make_need(firm, category, cast.officer, raised_on=services.local_today(), content="未到期")
    make_need(cast.contact_byq.enterprise, category, content="鲅鱼圈的需求")
    db.session.commit()
    auth.login("manager")
    assert 'href="/needs/export.xlsx?overdue=1"' in page(client, "/needs/?overdue=1")
    response = client.get("/needs/export.csv?overdue=1")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["No.", "Enterprise name", "Unified social credit code"]
    assert len(rows) == 2  # only the overdue one, of this subtree
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Need"] == "'=HYPERLINK(\"http://x\")逾期"  # formulas are defused
    assert row["Status"] == "In progress" and row["Overdue"] == "yes"
    assert row["Latest satisfaction"] == "Dissatisfied" and row["Assigned officer"] == cast.officer.display_name
    assert "内部备注" not in text and "鲅鱼圈" not in text
    sheet = load_workbook(io.BytesIO(client.get("/needs/export.xlsx").data), read_only=True).active
    contents = sorted(r[5] for r in sheet.iter_rows(min_row=2, values_only=True))
    assert contents == sorted(["'=HYPERLINK(\"http://x\")逾期", "未到期"])
    auth.logout()
    auth.login("yalisi")
    assert client.get("/needs/export.csv").status_code == 403
    # The query count does not depend on the number of rows.
    auth.logout()
    auth.login("manager")
    few = query_count(app, client, "/needs/export.csv")
    for n in range(5):
        make_need(firm, category, cast.officer, content=f"更多{n}")
    assert query_count(app, client, "/needs/export.csv") == few


def _listed_ids(client, url: str) -> list[int]:
    """The needs of a list page in the table's order."""
    seen = []
    for need_id in re.findall(r'<a href="/needs/(\d+)">', page(client, url)):
        if int(need_id) not in seen:
            seen.append(int(need_id))
    return seen


def test_pages_cut_the_ledger_order_overdue_first_then_by_deadline(app, client, auth, cast, firm, category,
                                                                    factory, monkeypatch):
    """The list reads a page in parts (overdue needs, then the others, each by deadline and id): page after
    page it lists exactly what NeedFilters.select() orders, for every scope and filter."""
    from werkzeug.datastructures import MultiDict

    from tracker.needs import queries as needs_routes

    monkeypatch.setattr(needs_routes, "PER_PAGE", 4)
    today = services.local_today()
    other_category = db.session.scalar(sa.select(NeedCategory).where(NeedCategory.id != category.id))
    byq_firm = cast.contact_byq.enterprise
    for n in range(22):
        raised = today - timedelta(days=40 - 3 * n)
        need = make_need(byq_firm if n % 5 == 0 else firm, other_category if n % 3 else category,
                         cast.officer, raised_on=raised, deadline=raised + timedelta(days=10 + (n % 4) * 3),
                         content=f"需求{n}")
        if n % 7 == 2:
            services.accept(need)
            services.resolve(need, "已办结")
        elif n % 4 == 1:
            services.accept(need)
        db.session.commit()
    make_need(firm, category, cast.officer, raised_on=today - timedelta(days=20), deadline=today - timedelta(days=2))
    make_need(firm, category, cast.officer, raised_on=today - timedelta(days=20), deadline=today - timedelta(days=2))
    for _n in range(3):
        factory.enterprise(cast.org.yingkou)  # 营口's firms outnumber the others: "all but those outside"
    db.session.commit()
    modes = {}
    for username in ("manager", "manager-dl", "officer", "bayuquan-officer", "admin"):
        auth.login(username)
        user = db.session.scalar(sa.select(needs_routes.User).where(needs_routes.User.username == username))
        outside, none_outside = needs_routes._firms_outside_scope(user)
        modes[username] = "scope_needs" if outside is None else "none outside" if none_outside else "all but outside"
        for query in ("", "status=open", "status=resolved", "overdue=1", f"category={category.id}", "q=雅丽丝"):
            expected = [n.id for n in db.session.scalars(
                needs_routes.NeedFilters(MultiDict([q.split("=") for q in query.split("&") if q]))
                .select(user, today)).unique()]
            listed = []
            for number in range(1, len(expected) // 4 + 3):
                listed += _listed_ids(client, f"/needs/?{query}&page={number}")
            assert listed == expected, (username, query)
            assert f"{len(expected)} in all" in page(client, f"/needs/?{query}"), (username, query)
        auth.logout()
    assert modes == {"manager": "all but outside", "manager-dl": "none outside", "officer": "all but outside",
                     "bayuquan-officer": "scope_needs", "admin": "scope_needs"}


def test_filtered_and_deeper_pages_do_not_cost_more_queries_with_more_data(app, client, auth, cast, firm, category,
                                                                          factory):
    department = db.session.scalar(sa.select(Department))
    for n in range(3):
        make_need(firm, category, cast.officer, department=department, content=f"少{n}")
    urls = ["/needs/?status=open", "/needs/?overdue=1", f"/needs/?category={category.id}",
            f"/needs/?department={department.id}", f"/needs/?officer={cast.officer.id}", f"/needs/?q={firm.name[:4]}"]
    before = {}
    for username in ("manager", "officer"):
        auth.login(username)
        before[username] = [query_count(app, client, url) for url in urls]
        auth.logout()
    for n in range(120):
        other = factory.enterprise(cast.org.yingkou) if n % 2 else firm
        make_need(other, category, cast.officer, department=department, content=f"多{n}",
                  raised_on=services.local_today() if n % 3 else date(2019, 9, 27))
    for username in ("manager", "officer"):
        auth.login(username)
        assert [query_count(app, client, url) for url in urls] == before[username], username
        assert query_count(app, client, "/needs/?page=3") == before[username][0], username
        auth.logout()


# Date rules (tracker.dates) and forms that keep what was typed -----------------------------------
def _chinese(*users):
    for user in users:
        user.locale = "zh"
    db.session.commit()


def _new_need(auth, firm, category, **fields):
    return auth.post(f"/needs/new/{firm.id}", {
        "source": "phone", "category_id": str(category.id), "content": "咨询加工贸易手册", "department_id": "0",
        "assigned_officer_id": "0", "raised_on": "2019-09-27", "deadline": "", **fields})


def test_a_given_deadline_is_not_in_the_past_today_is_fine(client, auth, cast, firm, category):
    _chinese(cast.manager)
    auth.login("manager")
    today = services.local_today()
    response = _new_need(auth, firm, category, deadline=(today - timedelta(days=1)).isoformat())
    assert response.status_code == 200
    assert f"办理时限不能早于今天（今天是{today.isoformat()}）。" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Need)) == 0
    assert _new_need(auth, firm, category, deadline=today.isoformat()).status_code == 302
    assert db.session.scalar(sa.select(Need.deadline)) == today


def test_a_need_is_not_raised_in_the_future_and_every_error_comes_at_once(client, auth, cast, firm, category):
    _chinese(cast.manager)
    auth.login("manager")
    today = services.local_today()
    response = _new_need(auth, firm, category, raised_on=(today + timedelta(days=1)).isoformat(),
                         deadline="1999-01-01", content="")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    # The three problems in one answer: no second submit to find the next one.
    assert "提出日期不能晚于今天" in text, re.findall(r'invalid-feedback[^<]*<div>([^<]*)', text)
    assert "办理时限不能早于业务需求的提出日期。" in text and "请填写业务需求。" in text
    assert _new_need(auth, firm, category, raised_on=today.isoformat()).status_code == 302


def test_the_service_applies_the_deadline_rules_too(app, cast, firm, category):
    today = services.local_today()
    with pytest.raises(DomainError, match="办理时限不能早于今天"):
        services.create_need(firm, services.NeedData(
            source=NeedSource.PHONE, category=category, content="x", raised_on=date(2019, 9, 27),
            deadline=date(2019, 10, 31)))
    db.session.rollback()
    with pytest.raises(DomainError, match="提出日期不能晚于今天"):
        services.create_need(firm, services.NeedData(
            source=NeedSource.PHONE, category=category, content="x", raised_on=today + timedelta(days=1)))
    db.session.rollback()
    need = make_need(firm, category, cast.officer)
    with pytest.raises(DomainError, match="办理时限不能早于今天"):
        services.request_extension(need, today - timedelta(days=1), "材料未齐", by=cast.officer)
    db.session.rollback()


def test_an_extension_is_after_the_current_deadline_and_not_in_the_past(client, auth, cast, firm, category):
    """The form comes back open with the error at the date and the reason kept; today is fine."""
    _chinese(cast.officer)
    need = make_need(firm, category, cast.officer)  # deadline 2019-10-08
    auth.login("officer")
    today = services.local_today()
    for day, message in (("2019-10-08", "新办理时限须晚于当前办理时限（2019-10-08）。"),
                         ((today - timedelta(days=1)).isoformat(), "办理时限不能早于今天")):
        response = auth.post(f"/needs/{need.id}/extensions", {"new_deadline": day, "reason": "等待总署答复"})
        text = response.get_data(as_text=True)
        assert response.status_code == 200 and message in text
        form = text[text.index("<details open>"):]
        assert form.index(message) < form.index("</details>") and 'value="等待总署答复"' in form
        assert reload(need).extensions == []
    auth.post(f"/needs/{need.id}/extensions", {"new_deadline": today.isoformat(), "reason": "等待总署答复"})
    assert reload(need).extensions[0].new_deadline == today


def test_a_follow_up_call_today_is_fine_tomorrow_is_not(client, auth, cast, firm, category):
    need = make_need(firm, category, cast.officer)
    services.accept(need)
    services.resolve(need, "已处理")
    db.session.commit()
    _chinese(cast.officer)
    auth.login("officer")
    today = services.local_today()
    response = auth.post(f"/needs/{need.id}/follow-ups", {
        "held_on": (today + timedelta(days=1)).isoformat(), "satisfaction": "satisfied", "note": "企业满意"})
    text = response.get_data(as_text=True)
    assert "回访日期不能晚于今天。" in text and "企业满意" in text  # at the field, with the note kept
    assert reload(need).follow_ups == []
    auth.post(f"/needs/{need.id}/follow-ups", {"held_on": today.isoformat(), "satisfaction": "satisfied"})
    assert reload(need).follow_ups[0].held_on == today


def test_a_refused_transition_says_why_in_plain_chinese_and_stays_open(client, auth, cast, firm, category):
    """未作任何修改：请填写向企业作出的说明。 (not "…说明: 该字段是必填字段。"), with the collapsed form open."""
    _chinese(cast.officer)
    need = make_need(firm, category, cast.officer)
    auth.login("officer")
    response = auth.post(f"/needs/{need.id}/unresolvable", {"explanation": ""})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "未作任何修改：请填写向企业作出的说明。" in text
    assert "该字段是必填字段" not in text and "说明:" not in text
    unresolvable = text[text.index("<details open>"):]
    assert 'action="/needs/%d/unresolvable"' % need.id in unresolvable[:unresolvable.index("</details>")]
    assert reload(need).status is NeedStatus.PENDING
