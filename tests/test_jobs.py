"""The job queue's tasks in immediate mode: the e-mail outbox (after the commit, at most once, retried with
backoff), the periodic jobs (spent API tokens, abandoned uploads) and the consumer's start-up hook that
fails the imports of a dead worker. tests/test_jobs_consumer.py runs the same in a real consumer process.
"""
import io
import os
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import IMPORT_ROWS, csrf_from
from tracker import jobs
from tracker.api.auth import issue_token
from tracker.api.models import ApiToken
from tracker.api.tasks import purge_api_tokens
from tracker.imports import tasks as import_tasks
from tracker.imports.models import DeclarationImport, ImportStatus
from tracker.extensions import db
from tracker.mail import services as mail
from tracker.mail.models import OutboxMessage, OutboxStatus
from tracker.mail.tasks import send_due_mail, send_outbox_message
from tracker.types import utcnow


@pytest.fixture(autouse=True)
def mailbox():
    mail.MemoryBackend.sent.clear()
    mail.MemoryBackend.fail_next = 0
    yield mail.MemoryBackend.sent
    mail.MemoryBackend.sent.clear()
    mail.MemoryBackend.fail_next = 0


def outbox(message_id: int) -> OutboxMessage:
    db.session.rollback()
    return db.session.get(OutboxMessage, message_id)


# The outbox -------------------------------------------------------------------------------------------------
def test_a_queued_message_is_sent_after_the_commit_and_only_then(app, mailbox):
    message = mail.queue_mail("zhang@example.cn", "预约已确认", "您的预约已确认。")
    assert message.id and message.status is OutboxStatus.PENDING
    assert mailbox == []  # flushed in the caller's transaction, not sent
    db.session.commit()
    assert [m["To"] for m in mailbox] == ["zhang@example.cn"]
    assert mailbox[0]["Subject"] == "预约已确认" and "您的预约已确认" in mailbox[0].get_content()
    assert mailbox[0]["Message-ID"] == f"<outbox-{message.id}@localhost>"
    sent = outbox(message.id)
    assert sent.status is OutboxStatus.SENT and sent.attempts == 1 and sent.sent_at is not None


def test_a_rolled_back_change_sends_nothing(app, mailbox):
    mail.queue_mail("zhang@example.cn", "不会发出", "x")
    db.session.rollback()
    db.session.commit()
    assert mailbox == []
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0


def test_queue_mail_refuses_what_is_not_an_address(app):
    with pytest.raises(ValueError):
        mail.queue_mail("not an address", "x", "y")
    with pytest.raises(ValueError):
        mail.queue_mail([], "x", "y")


def test_the_send_task_run_twice_sends_once(app, mailbox):
    message = mail.queue_mail(["a@example.cn", "b@example.cn"], "一次", "只发一次")
    db.session.commit()
    send_outbox_message(message.id)  # enqueued, and run at once in immediate mode
    send_outbox_message(message.id)
    assert send_outbox_message.call_local(message.id) is False
    assert send_due_mail.call_local() == 0
    assert len(mailbox) == 1 and mailbox[0]["To"] == "a@example.cn, b@example.cn"
    assert outbox(message.id).attempts == 1


def test_concurrent_send_tasks_send_a_message_once(app, mailbox):
    # Written without queue_mail, so nothing is enqueued at the commit: eight runs race for it.
    message = OutboxMessage(recipients=["li@example.cn"], subject="并发", body_text="x", status=OutboxStatus.PENDING)
    db.session.add(message)
    db.session.commit()
    message_id = message.id
    barrier = threading.Barrier(8)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(send_outbox_message.call_local(message_id))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(results) == [False] * 7 + [True]
    assert len(mailbox) == 1
    assert outbox(message_id).status is OutboxStatus.SENT and outbox(message_id).attempts == 1


def test_a_failed_send_is_retried_with_backoff_then_given_up(app, mailbox):
    app.config.update(MAIL_MAX_ATTEMPTS=3, MAIL_RETRY_SECONDS=60)
    mail.MemoryBackend.fail_next = 1
    message = mail.queue_mail("wang@example.cn", "重试", "x")
    db.session.commit()
    first = outbox(message.id)
    assert mailbox == [] and first.status is OutboxStatus.PENDING and first.attempts == 1
    assert "SMTPServerDisconnected" in first.last_error
    wait = first.next_attempt_at - utcnow()
    assert timedelta(seconds=50) < wait <= timedelta(seconds=60)
    assert send_due_mail.call_local() == 0  # not due yet: nothing sent, no attempt counted
    assert outbox(message.id).attempts == 1

    def due_now():
        db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()

    mail.MemoryBackend.fail_next = 5
    due_now()
    assert send_due_mail.call_local() == 0
    second = outbox(message.id)
    assert second.attempts == 2 and second.status is OutboxStatus.PENDING
    assert timedelta(seconds=110) < second.next_attempt_at - utcnow() <= timedelta(seconds=120)  # doubled
    due_now()
    send_due_mail.call_local()
    given_up = outbox(message.id)
    assert given_up.status is OutboxStatus.FAILED and given_up.attempts == 3 and given_up.last_error
    mail.MemoryBackend.fail_next = 0
    due_now()
    assert send_due_mail.call_local() == 0 and mailbox == []


def test_a_message_whose_sender_died_mid_send_is_failed_not_resent(app, mailbox):
    message = OutboxMessage(recipients=["li@example.cn"], subject="中断", body_text="x", status=OutboxStatus.SENDING,
                            attempts=1, claimed_at=utcnow() - timedelta(hours=1))
    db.session.add(message)
    db.session.commit()
    send_due_mail.call_local()
    stuck = outbox(message.id)
    assert stuck.status is OutboxStatus.FAILED and "may or may not" in stuck.last_error
    assert mailbox == []


def test_the_smtp_backend_talks_to_a_mail_server(app, mailbox):
    """A real SMTP conversation with a tiny server on a socket: the configuration reaches smtplib."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    received = []

    def serve():
        conn, _ = server.accept()
        f = conn.makefile("rwb")

        def say(line):
            f.write(line.encode() + b"\r\n")
            f.flush()

        say("220 test")
        data = False
        while line := f.readline():
            text = line.decode().rstrip("\r\n")
            if data:
                if text == ".":
                    data = False
                    say("250 queued")
                else:
                    received.append(text)
                continue
            verb = text.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                say("250 test")
            elif verb == "DATA":
                data = True
                say("354 go on")
            elif verb == "QUIT":
                say("221 bye")
                break
            else:
                say("250 ok")
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=server.getsockname()[1],
                      MAIL_DEFAULT_SENDER="tracker@customs.example")
    message = mail.queue_mail("zhao@example.cn", "SMTP", "经由 SMTP 发出")
    db.session.commit()
    thread.join(10)
    server.close()
    assert outbox(message.id).status is OutboxStatus.SENT
    assert "To: zhao@example.cn" in received and "From: tracker@customs.example" in received
    assert mailbox == []


# Spent API tokens -------------------------------------------------------------------------------------------------
def test_the_purge_deletes_tokens_spent_for_a_week_and_keeps_the_rest(app, cast):
    now = utcnow()
    with app.test_request_context():  # issue_token logs the requesting address
        _, live = issue_token(cast.officer)
        _, expired_long_ago = issue_token(cast.officer)
        _, revoked_long_ago = issue_token(cast.officer)
        _, expired_yesterday = issue_token(cast.officer)
        _, revoked_yesterday = issue_token(cast.officer)
    expired_long_ago.expires_at = now - timedelta(days=8)
    revoked_long_ago.revoked_at = now - timedelta(days=8)
    expired_yesterday.expires_at = now - timedelta(days=1)
    revoked_yesterday.revoked_at = now - timedelta(days=1)
    db.session.commit()
    kept = {live.id, expired_yesterday.id, revoked_yesterday.id}
    assert purge_api_tokens.call_local() == 2
    db.session.rollback()
    assert set(db.session.scalars(sa.select(ApiToken.id))) == kept
    assert purge_api_tokens.call_local() == 0


# Imports: the read and commit jobs, abandoned uploads, a dead worker's imports ----------------------------------
def upload(client, data: bytes = IMPORT_ROWS.encode(), filename: str = "统计.csv") -> int:
    token = csrf_from(client.get("/imports/new"))
    response = client.post("/imports/new", data={"csrf_token": token, "office_id": str(office_id(client)),
                                                 "year": "", "file": (io.BytesIO(data), filename)},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def office_id(client) -> int:
    from tracker.offices.models import Office

    return db.session.scalar(sa.select(Office.id).where(Office.code == "0930"))


def record(import_id: int) -> DeclarationImport:
    db.session.rollback()
    return db.session.get(DeclarationImport, import_id)


def test_upload_and_commit_run_as_jobs(client, auth, cast):
    auth.login("officer")
    import_id = upload(client)
    assert record(import_id).status is ImportStatus.READY and record(import_id).job_owner is None
    auth.post(f"/imports/{import_id}/commit", form_page=f"/imports/{import_id}")
    done = record(import_id)
    assert done.status is ImportStatus.COMMITTED and done.job_owner is None and done.stored_path is None
    page = client.get(f"/imports/{import_id}").get_data(as_text=True)
    assert "已导入：新增企业3家" in page
    # A second post does not start a second job.
    again = auth.post(f"/imports/{import_id}/commit", form_page=f"/imports/{import_id}", follow_redirects=True)
    assert again.status_code == 200 and record(import_id).status is ImportStatus.COMMITTED


def test_simultaneous_commit_posts_import_once(app, client, auth, cast):
    from tests.conftest import AuthActions
    from tracker.imports.models import DeclarationCount

    auth.login("officer")
    import_id = upload(client)
    clients = [app.test_client() for _ in range(10)]
    tokens = []
    for other in clients:
        AuthActions(other).login("officer")
        tokens.append(csrf_from(other.get(f"/imports/{import_id}")))
    db.session.commit()
    barrier = threading.Barrier(len(clients))
    statuses, errors = [], []

    def post(other, token):
        try:
            barrier.wait()
            statuses.append(other.post(f"/imports/{import_id}/commit", data={"csrf_token": token}).status_code)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=post, args=pair) for pair in zip(clients, tokens)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == [] and statuses == [302] * len(clients)
    assert record(import_id).status is ImportStatus.COMMITTED
    assert db.session.scalar(sa.select(sa.func.count(DeclarationCount.id))) == 3


def test_an_import_being_committed_cannot_be_discarded_nor_committed_again(client, auth, cast):
    auth.login("officer")
    import_id = upload(client)
    db.session.execute(sa.update(DeclarationImport).values(status=ImportStatus.COMMITTING))
    db.session.commit()
    page = auth.post(f"/imports/{import_id}/discard", form_page="/imports/new", follow_redirects=True)
    assert page.status_code == 200 and record(import_id).status is ImportStatus.COMMITTING
    page = auth.post(f"/imports/{import_id}/commit", form_page="/imports/new", follow_redirects=True)
    assert record(import_id).status is ImportStatus.COMMITTING
    status = client.get(f"/imports/{import_id}/status").get_json()
    assert status["status"] == "committing" and status["in_progress"] is True
    assert 'data-in-progress="true"' in client.get(f"/imports/{import_id}").get_data(as_text=True)


def test_a_read_job_for_a_discarded_upload_does_nothing(client, auth, cast):
    auth.login("officer")
    import_id = upload(client)
    db.session.execute(sa.update(DeclarationImport).values(status=ImportStatus.DISCARDED))
    db.session.commit()
    import_tasks.read_import(import_id)
    assert record(import_id).status is ImportStatus.DISCARDED and record(import_id).job_owner is None


def test_a_job_that_breaks_fails_its_import_with_a_reason(client, auth, cast, monkeypatch):
    from tracker.imports import services

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "analyse", broken)
    auth.login("officer")
    import_id = upload(client)
    failed = record(import_id)
    assert failed.status is ImportStatus.FAILED and failed.errors[0]["code"] == "internal"
    assert failed.job_owner is None and failed.stored_path is None
    assert "错误已记录" in client.get(f"/imports/{import_id}").get_data(as_text=True)


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_the_consumer_start_fails_the_imports_of_a_dead_worker(client, auth, cast):
    auth.login("officer")
    host = jobs.worker_id().split(":")[0]
    dead = upload(client)
    dead_commit = upload(client)
    mine = upload(client)
    elsewhere = upload(client)
    owners = {dead: (ImportStatus.READING, f"{host}:{dead_pid()}:abcd1234"),
              dead_commit: (ImportStatus.COMMITTING, f"{host}:{os.getpid()}:0ldt0ken"),  # same pid, older process
              mine: (ImportStatus.READING, jobs.worker_id()),
              elsewhere: (ImportStatus.READING, "another-host:1:abcd1234")}
    for import_id, (status, owner) in owners.items():
        db.session.execute(sa.update(DeclarationImport).where(DeclarationImport.id == import_id)
                           .values(status=status, job_owner=owner))
    db.session.commit()
    stored = Path(record(dead).stored_path)
    for name, hook in jobs.huey._startup.items():
        hook()
    for import_id in (dead, dead_commit):
        failed = record(import_id)
        assert failed.status is ImportStatus.FAILED and failed.job_owner is None
        assert failed.errors[0]["code"] == "interrupted"
    assert not stored.exists()
    assert record(mine).status is ImportStatus.READING and record(elsewhere).status is ImportStatus.READING
    page = client.get(f"/imports/{dead}").get_data(as_text=True)
    assert "作业中途停止" in page


def test_abandoned_uploads_are_removed_after_the_configured_age(app, client, auth, cast):
    app.config["IMPORT_PREVIEW_MAX_AGE_HOURS"] = 48
    auth.login("officer")
    old, fresh, stuck = upload(client), upload(client), upload(client)
    old_path, fresh_path = Path(record(old).stored_path), Path(record(fresh).stored_path)
    long_ago = utcnow() - timedelta(hours=49)
    db.session.execute(sa.update(DeclarationImport).where(DeclarationImport.id.in_([old, stuck]))
                       .values(created_at=long_ago))
    db.session.execute(sa.update(DeclarationImport).where(DeclarationImport.id == stuck)
                       .values(status=ImportStatus.READING, job_owner=None))
    db.session.commit()
    stray = old_path.parent / "stray.csv"
    stray.write_text("x")
    recent_stray = old_path.parent / "recent-stray.csv"
    recent_stray.write_text("x")
    os.utime(stray, (long_ago.timestamp(), long_ago.timestamp()))

    assert import_tasks.purge_abandoned_uploads.call_local() == {"expired": 1, "interrupted": 1, "files": 1}
    expired = record(old)
    assert expired.status is ImportStatus.DISCARDED and expired.notice == "expired" and expired.stored_path is None
    assert not old_path.exists() and not stray.exists()
    assert fresh_path.exists() and recent_stray.exists() and record(fresh).status is ImportStatus.READY
    assert record(stuck).status is ImportStatus.FAILED
    assert "48 小时" in client.get(f"/imports/{old}").get_data(as_text=True)
    assert import_tasks.purge_abandoned_uploads.call_local() == {"expired": 0, "interrupted": 0, "files": 0}
    recent_stray.unlink()


def test_the_worker_command_refuses_immediate_mode(runner):
    result = runner.invoke(args=["jobs", "worker"])
    assert result.exit_code != 0 and "HUEY_IMMEDIATE" in result.output


# Where the queue lives ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("app_config", [{"HUEY_IMMEDIATE": False}], indirect=True)
def test_the_queue_is_a_sqlite_file_under_instance_by_default(app):
    from huey.storage import SqliteStorage

    assert isinstance(jobs.huey.storage, SqliteStorage) and not jobs.huey.immediate
    assert jobs.huey.storage.filename == str(Path(app.instance_path) / "huey.sqlite3")


REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL")


@pytest.mark.skipif(not REDIS_URL, reason="TRACKER_TEST_REDIS_URL is not set")
@pytest.mark.parametrize("app_config", [{"HUEY_IMMEDIATE": False, "HUEY_URL": REDIS_URL}], indirect=True)
def test_the_queue_is_in_redis_when_configured(app, mailbox):
    from huey.storage import RedisStorage

    assert isinstance(jobs.huey.storage, RedisStorage)
    jobs.huey.flush()
    try:
        message = mail.queue_mail("zhou@example.cn", "经由 Redis", "x")
        db.session.commit()
        assert jobs.huey.pending_count() == 1 and mailbox == []  # queued for a consumer, not sent here
        task = jobs.huey.dequeue()
        jobs.huey.execute(task)  # what a consumer's worker does with it
        assert [m["Subject"] for m in mailbox] == ["经由 Redis"]
        assert outbox(message.id).status is OutboxStatus.SENT
    finally:
        jobs.huey.flush()
