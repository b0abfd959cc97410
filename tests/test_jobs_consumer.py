"""A real consumer process (`flask jobs worker`) on a SQLite file: an import started through the web
finishes in it, a consumer killed mid-import leaves the import failed with its reason once a consumer
starts again, and an outbox message is sent once although its send task runs three times.

The web side is the test's own app with the same database and the same Huey storage file.
"""
import contextvars
import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import CSRF_RE, PASSWORD, AuthActions, Factory, IsolatedClient, csrf_from, make_config
from tracker import PROJECT_ROOT, create_app
from tracker.auth.models import Role
from tracker.database import write_lock_outside_requests
from tracker.imports.models import DeclarationCount, DeclarationImport, ImportStatus
from tracker.demo import make_uscc
from tracker.extensions import db
from tracker.jobs import huey

SECRET = "consumer-test-secret"


def rows_csv(n: int, prefix: str = "MK") -> bytes:
    lines = ["统一社会信用代码,企业名称,年度,报关单票数"]
    lines += [f"{make_uscc('91', '210802', f'{prefix}{k:07d}')},消费者测试企业{k}有限公司,2019,{k % 500}"
              for k in range(1, n + 1)]
    return ("\n".join(lines) + "\n").encode()


def multipart(fields: dict, data: bytes) -> tuple[bytes, str]:
    """A form with a file, encoded here: werkzeug's test client spools a large body to a file it never closes."""
    boundary = "----consumer-test-boundary"
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                    for k, v in fields.items())
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="data.csv"\r\n'
             f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class Process:
    """A process of the Procfile in a subprocess, with the test's database and queue."""

    name = "process"

    def __init__(self, folder: Path, url: str):
        self.folder, self.url = folder, url
        self.process: subprocess.Popen | None = None
        self.output = None
        self.starts = 0

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> None:
        self.starts += 1
        env = {**os.environ, "FLASK_APP": "tracker", "TRACKER_INSTANCE_PATH": str(self.folder),
               "TRACKER_DATABASE_URL": self.url, "TRACKER_SECRET_KEY": SECRET, "TRACKER_MAIL_BACKEND": "file",
               "TRACKER_HUEY_IMMEDIATE": "false", "PYTHONPATH": str(PROJECT_ROOT)}
        env.pop("TRACKER_HUEY_URL", None)
        self.output = open(self.folder / f"{self.name}-{self.starts}.log", "wb")
        # A session of its own, so that a kill reaches every process it started (gunicorn's workers).
        self.process = subprocess.Popen(self.command(), cwd=PROJECT_ROOT, env=env, stdout=self.output,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.output.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # huey's graceful stop
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        if self.output and not self.output.closed:
            self.output.close()

    def log(self) -> str:
        return "\n".join((self.folder / f"{self.name}-{n}.log").read_text(errors="replace")
                         for n in range(1, self.starts + 1))


class Consumer(Process):
    """`flask jobs worker`, as in the Procfile."""

    name = "consumer"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "flask", "jobs", "worker", "-w", "2"]


class Web(Process):
    """gunicorn serving the factory's app, as in the Procfile, driven over HTTP with a cookie jar."""

    name = "web"

    def __init__(self, folder: Path, url: str):
        super().__init__(folder, url)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def command(self) -> list[str]:
        return [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{self.port}",
                "tracker:create_app()"]

    def start(self) -> None:
        super().start()
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("gunicorn did not start\n" + self.log())
                time.sleep(0.2)

    def open(self, path: str, data: bytes | None = None, content_type: str | None = None):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data)
        if content_type:
            request.add_header("Content-Type", content_type)
        return self.opener.open(request, timeout=60)

    def csrf(self, path: str) -> str:
        with self.open(path) as response:
            return CSRF_RE.search(response.read().decode()).group(1)

    def post(self, path: str, fields: dict, form_page: str):
        fields = {"csrf_token": self.csrf(form_page), **fields}
        return self.open(path, urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded")


@pytest.fixture
def world(tmp_path, monkeypatch):
    """A migrated SQLite file with an office tree and an officer; the web app enqueues to a SQLite queue."""
    from flask_migrate import upgrade

    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    url = "sqlite:///" + str(tmp_path / "tracker.sqlite3")
    app = create_app(make_config(url, HUEY_IMMEDIATE=False, MAIL_BACKEND="file", SECRET_KEY=SECRET))
    app.test_client_class = IsolatedClient
    assert huey.storage.filename == str(tmp_path / "huey.sqlite3")
    consumer = Consumer(tmp_path, url)
    context = contextvars.copy_context()

    def setup():
        write_lock_outside_requests.set(False)
        ctx = app.app_context()
        ctx.push()
        upgrade()
        factory = Factory()
        org = factory.org()
        factory.user(Role.OFFICER, org.yingkou, username="officer")
        db.session.commit()
        return ctx, org.yingkou.id

    ctx, office_id = context.run(setup)
    client = app.test_client()
    yield context, app, client, consumer, office_id
    consumer.stop()
    context.run(lambda: (db.session.remove(), db.engine.dispose(), ctx.pop()))


@pytest.fixture
def web(world):
    consumer = world[3]
    server = Web(consumer.folder, consumer.url)
    yield server
    server.stop()


def wait_for(context, import_id: int, predicate, timeout: float, consumer: Consumer) -> DeclarationImport:
    deadline = time.monotonic() + timeout
    while True:
        record = context.run(lambda: (db.session.rollback(), db.session.get(DeclarationImport, import_id))[1])
        if predicate(record):
            return record
        if time.monotonic() > deadline:
            pytest.fail(f"import {import_id} is {record.status.value} after {timeout}s\n{consumer.log()}")
        time.sleep(0.1)


def upload(context, client, office_id: int, data: bytes) -> int:
    def go():
        AuthActions(client).login("officer", PASSWORD)
        token = csrf_from(client.get("/imports/new"))
        body, content_type = multipart({"csrf_token": token, "office_id": str(office_id), "year": ""}, data)
        response = client.post("/imports/new", data=body, content_type=content_type)
        assert response.status_code == 302
        return int(response.headers["Location"].rsplit("/", 1)[1])

    return context.run(go)


def test_an_import_started_on_the_web_is_read_and_committed_by_the_consumer(world):
    context, app, client, consumer, office_id = world
    import_id = upload(context, client, office_id, rows_csv(50))
    # No consumer yet: the web request only stored the file and queued the job.
    assert context.run(lambda: db.session.get(DeclarationImport, import_id).status) is ImportStatus.READING
    consumer.start()
    ready = wait_for(context, import_id, lambda r: r.status is not ImportStatus.READING, 90, consumer)
    assert ready.status is ImportStatus.READY and ready.summary["new_firms"] == 50 and ready.job_owner is None

    def commit():
        token = csrf_from(client.get(f"/imports/{import_id}"))
        response = client.post(f"/imports/{import_id}/commit", data={"csrf_token": token})
        assert response.status_code == 302

    context.run(commit)
    done = wait_for(context, import_id, lambda r: r.status is not ImportStatus.COMMITTING, 90, consumer)
    assert done.status is ImportStatus.COMMITTED, consumer.log()
    assert context.run(lambda: db.session.scalar(sa.select(sa.func.count(DeclarationCount.id)))) == 50
    page = context.run(lambda: client.get(f"/imports/{import_id}").get_data(as_text=True))
    assert "已导入：新增企业50家" in page


def test_a_consumer_killed_mid_import_leaves_it_failed_after_the_restart(world):
    context, app, client, consumer, office_id = world
    import_id = upload(context, client, office_id, rows_csv(150_000))
    consumer.start()
    # Killed while reading: its job has claimed the import and reported progress.
    reading = wait_for(context, import_id, lambda r: r.status is not ImportStatus.READING or r.rows_read > 0,
                       120, consumer)
    consumer.kill()
    assert reading.status is ImportStatus.READING and reading.job_owner, "the read finished before the kill"
    time.sleep(0.5)
    assert context.run(lambda: (db.session.rollback(),
                                db.session.get(DeclarationImport, import_id).status)[1]) is ImportStatus.READING
    consumer.start()
    failed = wait_for(context, import_id, lambda r: r.status is not ImportStatus.READING, 60, consumer)
    assert failed.status is ImportStatus.FAILED and failed.errors[0]["code"] == "interrupted"
    assert failed.stored_path is None and failed.job_owner is None
    page = context.run(lambda: client.get(f"/imports/{import_id}").get_data(as_text=True))
    assert "作业中途停止" in page


def test_an_outbox_message_is_sent_once_by_the_consumer(world):
    from tracker.mail.models import OutboxMessage, OutboxStatus
    from tracker.mail.services import queue_mail
    from tracker.mail.tasks import send_outbox_message

    context, app, client, consumer, office_id = world
    consumer.start()
    sent_file = consumer.folder / "sent-mail.jsonl"

    def queue():
        write_lock_outside_requests.set(True)
        message = queue_mail("chen@example.cn", "预约提醒", "明天上午九点")
        db.session.commit()  # the send task is enqueued now
        write_lock_outside_requests.set(False)
        return message.id

    message_id = context.run(queue)
    send_outbox_message(message_id)  # and twice more
    send_outbox_message(message_id)
    deadline = time.monotonic() + 60
    while not sent_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sent_file.exists(), consumer.log()
    time.sleep(3)  # let the other two runs finish
    lines = [json.loads(line) for line in sent_file.read_text().splitlines()]
    assert [line["to"] for line in lines] == ["chen@example.cn"] and lines[0]["subject"] == "预约提醒"
    message = context.run(lambda: (db.session.rollback(), db.session.get(OutboxMessage, message_id))[1])
    assert message.status is OutboxStatus.SENT and message.attempts == 1


def test_an_import_goes_on_when_the_web_server_that_started_it_is_killed(world, web):
    context, app, client, consumer, office_id = world
    web.start()
    web.post("/login", {"username": "officer", "password": PASSWORD}, "/login").close()
    body, content_type = multipart({"csrf_token": web.csrf("/imports/new"), "office_id": str(office_id),
                                    "year": ""}, rows_csv(20, prefix="MW"))
    with web.open("/imports/new", body, content_type) as response:
        import_id = int(response.geturl().rsplit("/", 1)[1])
    web.kill()
    consumer.start()
    ready = wait_for(context, import_id, lambda r: r.status is not ImportStatus.READING, 90, consumer)
    assert ready.status is ImportStatus.READY, consumer.log()

    web.start()  # a new web server takes the commit, and is killed as soon as it has answered
    web.post(f"/imports/{import_id}/commit", {}, f"/imports/{import_id}").close()
    web.kill()
    done = wait_for(context, import_id, lambda r: r.status is not ImportStatus.COMMITTING, 90, consumer)
    assert done.status is ImportStatus.COMMITTED, consumer.log()
    assert context.run(lambda: db.session.scalar(sa.select(sa.func.count(DeclarationCount.id)))) == 20
