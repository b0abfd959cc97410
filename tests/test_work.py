"""My work and notifications: open needs overdue first, deadline reminders made once, visits to follow up,
and marking notices read."""
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from tests.conftest import make_need, page
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.needs import services as services
from tracker.notifications import services as notifications
from tracker.notifications.models import Notification, NotificationKind
from tracker.visits.models import Visit, VisitType
from tracker.notifications.tasks import remind_deadlines
from tracker.workdays.services import add_working_days

def reminders(user_id: int) -> list[Notification]:
    db.session.rollback()
    return db.session.scalars(sa.select(Notification).where(Notification.user_id == user_id,
                                                           Notification.kind == NotificationKind.DEADLINE_NEAR)).all()


def test_my_work_lists_my_open_needs_overdue_first(client, auth, cast, firm, category, factory):
    today = services.local_today()
    soon = make_need(firm, category, cast.officer, raised_on=today, content="即将到期")
    late = make_need(firm, category, cast.officer, content="早已逾期")
    closed = make_need(firm, category, cast.officer, content="已办结的需求")
    services.accept(closed)
    services.resolve(closed, "done")
    make_need(firm, category, cast.manager, content="别人的需求")
    db.session.commit()
    auth.login("officer")
    text = page(client, "/work/")
    assert text.index("早已逾期") < text.index("即将到期")
    assert "已办结的需求" not in text and "别人的需求" not in text
    assert "1 overdue" in text and "Overdue" in text
    assert soon.id and late.id


def test_deadline_reminders_are_made_once(client, auth, cast, firm, category, runner):
    today = services.local_today()
    due = make_need(firm, category, cast.officer, raised_on=today - timedelta(days=30),
                    deadline=add_working_days(today, 1), content="两个工作日内到期")
    make_need(firm, category, cast.officer, raised_on=today, deadline=today + timedelta(days=60), content="远期")
    make_need(firm, category, cast.officer, content="已逾期不再提醒")
    db.session.commit()
    # The periodic job makes them (hourly in a consumer); run twice, it makes them once.
    assert remind_deadlines.call_local() == 1
    assert remind_deadlines.call_local() == 0
    auth.login("officer")
    made = reminders(cast.officer.id)
    assert [n.params["need_id"] for n in made] == [due.id]
    assert "两个工作日内到期" not in page(client, "/work/notifications")  # notices name the need, not its text
    assert f"#{due.id}" in page(client, "/work/notifications")
    result = runner.invoke(args=["notify-deadlines"])
    assert result.exit_code == 0 and "0 reminder" in result.output
    assert len(reminders(cast.officer.id)) == 1


def test_opening_my_work_writes_nothing(client, auth, cast, firm, category):
    """A GET never writes: the reminders due are made by the periodic job, not by reading the page."""
    today = services.local_today()
    make_need(firm, category, cast.officer, raised_on=today - timedelta(days=30),
              deadline=add_working_days(today, 1), content="两个工作日内到期")
    db.session.commit()

    def rows() -> dict[str, int]:
        db.session.rollback()
        return {t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t))
                for t in db.metadata.sorted_tables}

    auth.login("officer")
    before = rows()
    assert "两个工作日内到期" in page(client, "/work/")
    page(client, "/work/notifications")
    assert rows() == before
    assert reminders(cast.officer.id) == []
    assert remind_deadlines.call_local() == 1
    assert f"#{reminders(cast.officer.id)[0].params['need_id']}" in page(client, "/work/")


def test_the_command_reminds_every_officer(app, cast, firm, category, runner, factory):
    colleague = factory.user(Role.OFFICER, cast.org.yingkou, username="officer2")
    db.session.commit()
    make_need(firm, category, cast.officer, deadline=date(2019, 10, 8))
    make_need(firm, category, colleague, deadline=date(2019, 10, 9))
    make_need(firm, category, colleague, deadline=date(2019, 10, 10))  # three working days after 09-30
    result = runner.invoke(args=["notify-deadlines", "--today", "2019-09-30"])
    assert result.exit_code == 0, result.output
    assert "2 reminder" in result.output
    assert len(reminders(cast.officer.id)) == 1 and len(reminders(colleague.id)) == 1
    assert "0 reminder" in runner.invoke(args=["notify-deadlines", "--today", "2019-09-30"]).output


def test_an_extended_deadline_is_reminded_of_again(app, cast, firm, category):
    need = make_need(firm, category, cast.officer, deadline=date(2019, 10, 8))
    assert notifications.deadline_reminders(date(2019, 9, 30)) == 1
    need.deadline = date(2019, 10, 9)
    db.session.commit()
    assert notifications.deadline_reminders(date(2019, 9, 30)) == 1
    assert notifications.deadline_reminders(date(2019, 9, 30)) == 0


def test_notify_is_idempotent_per_user_kind_and_key(app, cast):
    first = notifications.notify(cast.officer, NotificationKind.PLAN_APPROVED, link="/", dedupe_key="plan:1",
                                 params={"enterprise": "雅丽丝"})
    again = notifications.notify(cast.officer, NotificationKind.PLAN_APPROVED, link="/", dedupe_key="plan:1")
    other = notifications.notify(cast.manager, NotificationKind.PLAN_APPROVED, link="/", dedupe_key="plan:1")
    db.session.commit()
    assert first is not None and again is None and other is not None
    assert "雅丽丝" in notifications.message(first)


def test_notifications_are_marked_read(client, auth, cast, firm, category, factory):
    need = make_need(firm, category, cast.officer, by=cast.manager)  # assigned by the manager: a notice
    mine = db.session.scalar(sa.select(Notification).where(Notification.user_id == cast.officer.id))
    theirs = factory.notification(cast.manager, NotificationKind.PLAN_RETURNED, link="/")
    db.session.commit()
    auth.login("officer")
    assert "assigned to you" in page(client, "/work/")
    response = auth.post(f"/work/notifications/{mine.id}/read")
    assert response.status_code == 302 and response.headers["Location"] == f"/needs/{need.id}"
    db.session.rollback()
    assert db.session.get(Notification, mine.id).read_at is not None
    assert auth.post(f"/work/notifications/{theirs.id}/read").status_code == 404
    db.session.rollback()
    assert db.session.get(Notification, theirs.id).read_at is None
    notifications.notify(cast.officer, NotificationKind.NEED_REOPENED, link="/", dedupe_key="x",
                         params={"need_id": need.id})
    db.session.commit()
    assert auth.post("/work/notifications/read-all").status_code == 302
    assert notifications.unread_count(cast.officer) == 0
    assert notifications.unread_count(cast.manager) == 1


def test_visits_with_a_follow_up_due(client, auth, cast, firm):
    today = services.local_today()
    due = Visit(enterprise=firm, visited_at=datetime(2019, 9, 20, 2, tzinfo=UTC),
                visit_type=VisitType.DOOR_TO_DOOR, follow_up_on=today - timedelta(days=1), officers=[cast.officer])
    later = Visit(enterprise=cast.contact_byq.enterprise, visited_at=datetime(2019, 9, 21, 2, tzinfo=UTC),
                  visit_type=VisitType.WORKSHOP, follow_up_on=today + timedelta(days=40), officers=[cast.officer])
    db.session.add_all([due, later])
    db.session.commit()
    auth.login("officer")
    text = page(client, "/work/")
    assert firm.name in text and cast.contact_byq.enterprise.name not in text
    auth.logout()
    auth.login("manager")
    assert firm.name not in page(client, "/work/")  # not one of his visits


def test_a_follow_up_is_recorded_with_a_form_and_leaves_my_work(client, auth, cast, firm, factory):
    """"Called back" was one tap that cleared the date; it is now a form (date, channel, note) whose sending
    is the confirmation, kept on the visit's page and in the audit trail."""
    from tracker.audit.models import AuditRecord
    from tracker.visits.models import CallbackChannel, VisitCallback

    today = services.local_today()
    due = Visit(enterprise=firm, visited_at=datetime(2019, 9, 20, 2, tzinfo=UTC),
                visit_type=VisitType.DOOR_TO_DOOR, follow_up_on=today - timedelta(days=1), officers=[cast.officer])
    db.session.add(due)
    factory.user(Role.OFFICER, cast.org.yingkou, username="officer2")
    db.session.commit()
    # Another officer of the office, not on the visit, may neither open the form nor send it.
    auth.login("officer2")
    assert client.get(f"/visits/{due.id}/follow-up").status_code == 403
    assert auth.post(f"/visits/{due.id}/follow-up", {"held_on": today.isoformat(), "channel": "phone",
                                                     "note": "x"}).status_code == 403
    auth.logout()
    auth.login("officer")
    text = page(client, "/work/")
    # A button to a form, not a status-looking one-tap POST.
    assert f'href="/visits/{due.id}/follow-up?next=work"' in text and "Record the follow-up" in text
    assert "follow-up-done" not in text and "Called back" not in text
    form = page(client, f"/visits/{due.id}/follow-up?next=work")
    assert f'value="{today.isoformat()}"' in form  # the date held defaults to today
    assert 'name="channel"' in form and 'name="note"' in form
    # Without a note nothing is recorded, and the typed date comes back.
    response = auth.post(f"/visits/{due.id}/follow-up?next=work",
                         {"held_on": today.isoformat(), "channel": "phone", "note": " "})
    assert response.status_code == 400 and "Say what came of the follow-up." in response.get_data(as_text=True)
    # Dated in the future or before the visit: refused with a message, not an error.
    for held_on, message in ((today + timedelta(days=1), "cannot be dated in the future"),
                             (date(2019, 9, 1), "cannot be before the visit")):
        text = auth.post(f"/visits/{due.id}/follow-up?next=work",
                         {"held_on": held_on.isoformat(), "channel": "phone", "note": "企业表示满意"},
                         follow_redirects=True).get_data(as_text=True)
        assert message in text
    db.session.rollback()
    assert db.session.get(Visit, due.id).follow_up_on is not None
    response = auth.post(f"/visits/{due.id}/follow-up?next=work",
                         {"held_on": today.isoformat(), "channel": "video", "note": "企业表示通关顺畅"},
                         follow_redirects=True)
    assert response.request.path == "/work/"
    text = response.get_data(as_text=True)
    assert "is recorded" in text and "No follow-up is due." in text
    db.session.rollback()
    visit = db.session.get(Visit, due.id)
    assert visit.follow_up_on is None
    [callback] = visit.callbacks
    assert (callback.held_on, callback.channel, callback.note, callback.by_id, callback.due_on) == (
        today, CallbackChannel.VIDEO, "企业表示通关顺畅", cast.officer.id, today - timedelta(days=1))
    audit = db.session.scalar(sa.select(AuditRecord).where(AuditRecord.entity_type == "visits",
                                                         AuditRecord.action == "update"))
    assert audit.actor_name == "officer" and audit.changes["follow_up_on"][1] is None
    # The visit's page shows the history: date, channel, note, who.
    detail = page(client, f"/visits/{due.id}")
    assert "Video call" in detail and "企业表示通关顺畅" in detail and cast.officer.display_name in detail
    assert "Record the follow-up" not in detail
    # Sent again (another tab, a fresh key): refused with a message, one callback kept; without a token, 400.
    text = auth.post(f"/visits/{due.id}/follow-up", {"held_on": today.isoformat(), "channel": "phone",
                                                     "note": "再次"}, follow_redirects=True).get_data(as_text=True)
    assert "No follow-up is due for this visit." in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VisitCallback)) == 1
    assert client.post(f"/visits/{due.id}/follow-up", data={"held_on": today.isoformat(), "channel": "phone",
                                                             "note": "x"}).status_code == 400


def test_a_follow_up_is_offered_from_its_date_on(client, auth, cast, firm):
    """Before the follow-up date the pages say when it can be recorded, and a post is refused."""
    from tracker.visits.models import VisitCallback

    today = services.local_today()
    soon = add_working_days(today, 1)
    ahead = Visit(enterprise=firm, visited_at=datetime(2019, 9, 20, 2, tzinfo=UTC),
                  visit_type=VisitType.DOOR_TO_DOOR, follow_up_on=soon, officers=[cast.officer])
    db.session.add(ahead)
    db.session.commit()
    auth.login("officer")
    said = f"The follow-up is due on {soon.isoformat()}; it can be recorded then."
    work = page(client, "/work/")
    assert said in work and f"/visits/{ahead.id}/follow-up" not in work
    detail = page(client, f"/visits/{ahead.id}")
    assert said in detail and "Record the follow-up" not in detail
    form = page(client, f"/visits/{ahead.id}/follow-up")
    assert said in form and 'name="note"' not in form
    text = auth.post(f"/visits/{ahead.id}/follow-up", {"held_on": today.isoformat(), "channel": "phone",
                                                       "note": "提前回访"}, follow_redirects=True).get_data(as_text=True)
    assert "it can be recorded from then on" in text
    db.session.rollback()
    assert db.session.get(Visit, ahead.id).follow_up_on == soon
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VisitCallback)) == 0
    # A channel that is not offered is a form error, not a 500.
    assert auth.post(f"/visits/{ahead.id}/follow-up", {"held_on": today.isoformat(), "channel": "fax",
                                                       "note": "x"}).status_code == 400


def test_my_work_queries_do_not_grow_with_the_data(app, client, auth, cast, firm, category, factory):
    from tests.conftest import query_count

    today = services.local_today()

    def add(n: int) -> None:
        for k in range(n):
            other = factory.enterprise(cast.org.yingkou) if k % 2 else firm
            make_need(other, category, cast.officer, content=f"逾期{k}")  # overdue
            due = make_need(other, category, cast.officer, raised_on=today - timedelta(days=30),
                            deadline=add_working_days(today, 1), content=f"将到期{k}")  # reminded
            services.request_extension(due, add_working_days(today, 10), "企业需补充材料", by=cast.officer)
            db.session.add(Visit(enterprise=other, visited_at=datetime(2019, 9, 20, 2, tzinfo=UTC),
                                 visit_type=VisitType.DOOR_TO_DOOR, follow_up_on=today - timedelta(days=1),
                                 officers=[cast.officer]))
            notifications.notify(cast.officer, NotificationKind.PLAN_RETURNED, link="/", dedupe_key=f"plan:{k}:{n}")
        db.session.commit()
        remind_deadlines.call_local()

    def counts() -> list[int]:
        numbers = []
        for username in ("officer", "manager"):
            auth.login(username)
            page(client, "/work/")
            numbers.append(query_count(app, client, "/work/"))
            auth.logout()
        return numbers

    add(1)
    few = counts()
    add(40)
    assert counts() == few
