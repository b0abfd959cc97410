"""What the counter tells people: a closure's flagged bookings reach the firm (notice and e-mail, delivered to a
real local SMTP server) and the counter's officers; the contacts' reminders go out on the working day before
the appointment, once, even from two consumers at once, and never for a cancelled booking; the officers'
digest of the next working day once a day; automatic no-shows through the periodic task; the CLI."""
import email
import socket
import threading
from datetime import date
from email import policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from tests.conftest import certificate, local, slot_at
from tracker.appointments import notices, tasks
from tracker.appointments import services as counter
from tracker.appointments.models import AppointmentStatus, CounterDigest
from tracker.auth.models import Role
from tracker.database import write_lock_outside_requests
from tracker.extensions import db
from tracker.mail import services as mail
from tracker.mail.models import OutboxMessage, OutboxStatus
from tracker.notifications.models import Notification, NotificationKind
from tracker.notifications.services import message
from tracker.workdays import services as workdays
from tracker.workdays.models import OverrideKind


# Friday 2019-09-27, 09:00 in Yingkou: the make-up working Sunday 2019-09-29 follows, then Monday 09-30 and the
# National Day holiday (10-01 to 10-07).
NOW = local(date(2019, 9, 27), 9)
FRIDAY, SATURDAY, SUNDAY, MONDAY = date(2019, 9, 27), date(2019, 9, 28), date(2019, 9, 29), date(2019, 9, 30)


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(counter, "clock", lambda: NOW)


@pytest.fixture(autouse=True)
def mailbox():
    mail.MemoryBackend.sent.clear()
    yield mail.MemoryBackend.sent
    mail.MemoryBackend.sent.clear()


@pytest.fixture
def point(cast):
    point = counter.create_service_point(cast.org.yingkou, name="营口海关原产地证窗口", windows=2, capacity=3, now=NOW)
    cast.contact.email = "yalisi@example.cn"
    cast.officer.email = "zhang@customs.example"
    db.session.commit()
    return point


class Inbox:
    """aiosmtpd's handler: every message the local server receives."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content,
                                                      policy=policy.default))
        return "250 OK"

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages]


@pytest.fixture
def smtp(app):
    """A real SMTP server on 127.0.0.1 (a free port); the app's mail goes to it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=5,
                      MAIL_DEFAULT_SENDER="tracker@customs.example")
    yield inbox
    controller.stop()


def book(point, day, hh, firm, by, now=NOW, **kw):
    data = dict(certificate_type=certificate(), destination_country="ID", quantity=2, sailing_date=date(2019, 10, 12))
    data.update(kw)
    appointment = counter.book(slot_at(point, day, hh), firm, by=by, now=now, **data)
    db.session.commit()
    return appointment


def outbox_to(address: str) -> list[OutboxMessage]:
    db.session.rollback()
    return [m for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)) if address in m.recipients]


def notices_of(user, kind) -> list[Notification]:
    return db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id,
                                                            Notification.kind == kind)).all()


# A closure flags the bookings and tells everyone concerned -----------------------------------------------------
def test_a_closure_tells_the_firm_by_notice_and_mail_and_the_counter_staff_once(app, point, cast, factory, smtp):
    appointment = book(point, date(2019, 10, 8), 9, cast.contact.enterprise, cast.contact)
    neighbour = factory.user(Role.ENTERPRISE_CONTACT, cast.org.yingkou)
    db.session.commit()
    other = book(point, date(2019, 10, 8), 10, neighbour.enterprise, cast.officer)
    workdays.add_override(date(2019, 10, 8), OverrideKind.CLOSURE, "办公楼停电", by=cast.admin)
    db.session.commit()

    db.session.refresh(appointment)
    assert appointment.needs_rearranging
    # The firm's contact: one notice, in the reader's language, leading to the appointment.
    [affected] = notices_of(cast.contact, NotificationKind.APPOINTMENT_AFFECTED)
    assert affected.params["when"] == "2019-10-08 09:00" and affected.link.endswith(f"/{appointment.id}")
    assert "营口海关原产地证窗口" in message(affected) and "2019-10-08 09:00" in message(affected)
    # …and one e-mail through the outbox, delivered to the SMTP server once, in Chinese.
    [queued] = outbox_to("yalisi@example.cn")
    assert queued.status is OutboxStatus.SENT
    assert "改期" in queued.subject and "2019-10-08 09:00" in queued.subject
    assert "工作人员" in queued.body_text and "自行" in queued.body_text and f"/appointments/{appointment.id}" in queued.body_text
    assert smtp.subjects().count(queued.subject) == 1
    received = next(m for m in smtp.messages if m["Subject"] == queued.subject)
    assert received["To"] == "yalisi@example.cn" and "2019-10-08" in received.get_content()
    # The other firm's contact has no address: a notice only. 鲅鱼圈's officer hears nothing.
    [notice] = notices_of(neighbour, NotificationKind.APPOINTMENT_AFFECTED)
    assert notice.params["appointment_id"] == other.id
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 1
    assert notices_of(cast.officer_byq, NotificationKind.APPOINTMENT_FLAGGED) == []
    # The counter office's officer and manager: one notice each, of both bookings, leading to the day.
    for user in (cast.officer, cast.manager):
        [flagged] = notices_of(user, NotificationKind.APPOINTMENT_FLAGGED)
        assert flagged.params["count"] == 2 and flagged.params["day"] == "2019-10-08"
        assert "2019-10-08" in flagged.link
        assert "2" in message(flagged)
    # The same closure's listeners run again (the admin deletes and re-adds nothing): no second notice.
    counter.calendar_changed([date(2019, 10, 8)])
    db.session.commit()
    assert len(notices_of(cast.contact, NotificationKind.APPOINTMENT_AFFECTED)) == 1
    assert len(outbox_to("yalisi@example.cn")) == 1


# Reminders -------------------------------------------------------------------------------------------------------
def test_a_monday_appointment_is_reminded_on_the_friday_before_once(app, cast, smtp):
    wednesday = local(date(2019, 10, 16), 9)
    point = counter.create_service_point(cast.org.yingkou, name="营口海关原产地证窗口", now=wednesday)
    cast.contact.email = "yalisi@example.cn"
    db.session.commit()
    appointment = book(point, date(2019, 10, 21), 9, cast.contact.enterprise, cast.contact, now=wednesday,
                       sailing_date=date(2019, 10, 25))
    # Thursday is two working days before: nothing yet.
    assert notices.send_reminders(now=local(date(2019, 10, 17), 9)) == 0
    db.session.commit()
    # Friday: one e-mail; the next runs that day and the next day find it sent.
    assert notices.send_reminders(now=local(date(2019, 10, 18), 9)) == 1
    db.session.commit()
    assert notices.send_reminders(now=local(date(2019, 10, 18), 15)) == 0
    db.session.commit()
    [queued] = outbox_to("yalisi@example.cn")
    assert queued.subject == "预约提醒：营口海关原产地证窗口 2019-10-21 09:00"
    assert "印度尼西亚" in queued.body_text and "中国-东盟" in queued.body_text
    assert smtp.subjects() == [queued.subject]
    db.session.refresh(appointment)
    assert appointment.reminded_at == local(date(2019, 10, 18), 9)


def test_before_the_make_up_working_sunday_the_reminder_goes_on_friday(app, point, cast, mailbox):
    sunday = book(point, SUNDAY, 9, cast.contact.enterprise, cast.contact)
    monday = book(point, MONDAY, 9, cast.contact.enterprise, cast.contact)
    # Friday 09-27: the next working day is the make-up Sunday 09-29 (Saturday is no working day).
    assert workdays.next_working_day(FRIDAY) == SUNDAY
    assert notices.send_reminders(today=FRIDAY) == 1
    db.session.commit()
    assert [m["Subject"] for m in mailbox] == ["预约提醒：营口海关原产地证窗口 2019-09-29 09:00"]
    # Saturday sends nothing; the Monday appointment is reminded on the working Sunday.
    assert notices.send_reminders(today=SATURDAY) == 0
    assert notices.send_reminders(today=SUNDAY) == 1
    db.session.commit()
    assert len(mailbox) == 2 and "2019-09-30" in mailbox[1]["Subject"]
    db.session.refresh(sunday)
    db.session.refresh(monday)
    assert sunday.reminded_at is not None and monday.reminded_at is not None


def test_a_cancelled_appointment_is_never_reminded(app, point, cast, mailbox):
    appointment = book(point, SUNDAY, 9, cast.contact.enterprise, cast.contact)
    counter.cancel(appointment, by=cast.contact)
    db.session.commit()
    assert notices.send_reminders(today=FRIDAY) == 0
    db.session.commit()
    assert mailbox == [] and outbox_to("yalisi@example.cn") == []
    db.session.refresh(appointment)
    assert appointment.reminded_at is None
    # Cancelled between the list and the claim: the conditional UPDATE finds it no longer booked.
    again = book(point, SUNDAY, 10, cast.contact.enterprise, cast.contact)
    counter.cancel(again, by=cast.contact)
    db.session.commit()
    assert notices.claim_reminder(again.id, NOW) is False


def test_two_consumers_at_once_send_one_reminder(app, point, cast, mailbox):
    book(point, SUNDAY, 9, cast.contact.enterprise, cast.contact)
    barrier = threading.Barrier(2)
    outcomes = []

    def run():
        write_lock_outside_requests.set(True)  # as a consumer's job: SQLite's BEGIN IMMEDIATE
        with app.app_context():
            try:
                barrier.wait()
                outcomes.append(notices.send_reminders(today=FRIDAY))
                db.session.commit()
            except Exception as exc:  # any failure is the test's failure
                db.session.rollback()
                outcomes.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == [0, 1], outcomes
    assert len(mailbox) == 1
    assert len(outbox_to("yalisi@example.cn")) == 1


def test_the_reminder_task_and_the_command(app, point, cast, mailbox, runner):
    book(point, SUNDAY, 9, cast.contact.enterprise, cast.contact)
    assert tasks.send_reminders.call_local() == 1
    assert len(mailbox) == 1
    result = runner.invoke(args=["counter", "remind", "--date", "2019-09-27"])
    assert result.exit_code == 0, result.output
    assert "0 reminder(s)" in result.output and "1 digest(s)" in result.output
    assert len(mailbox) == 2  # the officer's digest; no second reminder


# The officers' digest ---------------------------------------------------------------------------------------------
def test_each_officer_gets_one_digest_of_the_next_working_day(app, point, cast, factory, mailbox):
    book(point, SUNDAY, 9, cast.contact.enterprise, cast.contact, sailing_date=date(2019, 9, 30))
    book(point, SUNDAY, 10, factory.enterprise(cast.org.yingkou, name="营口隆鑫果品有限公司"), cast.officer,
         certificate_type=certificate("CO"), sailing_date=date(2019, 10, 20))
    book(point, MONDAY, 9, cast.contact.enterprise, cast.contact)  # not the next working day
    cast.officer_byq.email = "wang@customs.example"  # another office's officer
    db.session.commit()
    assert notices.send_digests(today=FRIDAY) == 1
    db.session.commit()
    assert notices.send_digests(today=FRIDAY) == 0
    db.session.commit()
    [digest] = mailbox
    assert digest["To"] == "zhang@customs.example"
    assert digest["Subject"] == "营口海关原产地证窗口 2019-09-29：2 个预约"
    body = digest.get_content()
    lines = body.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("09:00"))
    assert cast.contact.enterprise.name in lines[first] and "船期临近" in lines[first]
    assert lines[first + 1].startswith("10:00") and "营口隆鑫果品有限公司" in lines[first + 1]
    assert "船期临近" not in lines[first + 1]
    assert db.session.scalar(sa.select(sa.func.count(CounterDigest.id))) == 1
    # Not on a day off.
    assert notices.send_digests(today=SATURDAY) == 0


# Automatic no-shows ------------------------------------------------------------------------------------------------
def test_no_shows_are_marked_by_the_periodic_task_after_the_grace_period(app, point, cast, monkeypatch):
    appointment = book(point, FRIDAY, 10, cast.contact.enterprise, cast.contact)
    # The slot ends at 10:30, the grace period is 30 minutes.
    monkeypatch.setattr(counter, "clock", lambda: local(FRIDAY, 10, 59))
    assert tasks.mark_no_shows.call_local() == 0
    monkeypatch.setattr(counter, "clock", lambda: local(FRIDAY, 11, 1))
    assert tasks.mark_no_shows.call_local() == 1
    db.session.rollback()
    db.session.refresh(appointment)
    assert appointment.status is AppointmentStatus.NO_SHOW
    assert tasks.mark_no_shows.call_local() == 0


def test_the_daily_task_makes_slots_ahead(app, point, monkeypatch):
    monkeypatch.setattr(counter, "clock", lambda: local(date(2019, 10, 8), 0, 20))
    assert tasks.materialize_ahead.call_local() > 0
    db.session.rollback()
    assert slot_at(point, date(2019, 10, 22), 9) is not None


def test_a_savepoint_after_a_queued_mail_sends_nothing_before_the_commit(app, mailbox):
    """notify() and the digest's claim use savepoints after mail was queued in the same transaction; releasing
    or rolling back a savepoint is no commit (SQLAlchemy runs the session's commit hook for it too)."""
    first = mail.queue_mail("yalisi@example.cn", "一", "x")
    with db.session.begin_nested():
        pass
    try:
        with db.session.begin_nested():
            raise sa.exc.IntegrityError("x", {}, Exception("duplicate"))
    except sa.exc.IntegrityError:
        pass
    assert mailbox == []
    db.session.commit()
    assert [m["Subject"] for m in mailbox] == ["一"]
    assert outbox_to("yalisi@example.cn")[0].id == first.id


# Where the mail goes: users' addresses --------------------------------------------------------------------------
def test_an_address_from_the_command_line_and_the_admin_form(app, runner, client, auth, cast):
    from tests.conftest import PASSWORD, csrf_from
    from tracker.auth.models import User

    result = runner.invoke(args=["users", "create", "--username", "clerk7", "--role", "officer", "--office", "0930",
                                 "--password", PASSWORD, "--email", " Zhao@Customs.example "])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(User.email).where(User.username == "clerk7")) == "Zhao@customs.example"
    refused = runner.invoke(args=["users", "create", "--username", "clerk8", "--role", "officer", "--office", "0930",
                                  "--password", PASSWORD, "--email", "not an address"])
    assert refused.exit_code != 0 and "not an e-mail address" in refused.output
    assert db.session.scalar(sa.select(User.id).where(User.username == "clerk8")) is None

    auth.login("admin")
    detail = client.get(f"/admin/users/{cast.officer.id}")
    data = {"csrf_token": csrf_from(detail), "display_name": cast.officer.display_name, "title": "关员"}
    bad = client.post(f"/admin/users/{cast.officer.id}/profile", data={**data, "email": "zhang@"})
    assert bad.status_code == 400 and "invalid-feedback" in bad.get_data(as_text=True)
    ok = client.post(f"/admin/users/{cast.officer.id}/profile", data={**data, "email": "zhang@customs.example"})
    assert ok.status_code == 302
    db.session.rollback()
    assert db.session.get(User, cast.officer.id).email == "zhang@customs.example"
    assert "zhang@customs.example" in client.get(f"/admin/users/{cast.officer.id}").get_data(as_text=True)
