"""queue_mail() adds a message to the outbox in the caller's transaction; deliver() sends one, at most once.

The send task is enqueued only after the transaction that queued the message commits (a session
listener), so a rolled-back change sends nothing; a periodic sweep sends what a lost enqueue missed.
A run of the send task first claims the row with a conditional UPDATE (status pending -> sending) in
its own committed transaction: of two runs, concurrent or not, exactly one sends.
"""
import json
import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from tracker.extensions import db
from tracker.mail.models import OutboxMessage, OutboxStatus
from tracker.types import utcnow

log = logging.getLogger("tracker.mail")
_QUEUED_KEY = "outbox_message_ids"


def queue_mail(to: str | list[str], subject: str, body_text: str, *, body_html: str | None = None,
               sender: str | None = None) -> OutboxMessage:
    """Add a message to the outbox in the current transaction (flush, no commit); sent after the commit."""
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients or not all(isinstance(r, str) and "@" in r for r in recipients):
        raise ValueError(f"not a list of e-mail addresses: {to!r}")
    message = OutboxMessage(recipients=recipients, subject=subject[:300], body_text=body_text, body_html=body_html,
                            sender=sender, status=OutboxStatus.PENDING)
    db.session.add(message)
    db.session.flush()
    db.session.info.setdefault(_QUEUED_KEY, []).append(message.id)
    return message


# After the commit: enqueue the send task ----------------------------------------------------------------
# The send task, handed over by tracker/mail/tasks.py when the job modules load (jobs.TASK_MODULES), so
# that the service enqueues it without importing the module that imports the service.
send_task = None


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released (SQLAlchemy calls this hook for it too): nothing is committed yet
    ids = session.info.pop(_QUEUED_KEY, None)
    if not ids:
        return
    for message_id in ids:
        try:
            send_task(message_id)
        except Exception:  # the queue is down: the periodic sweep sends it later
            log.exception("could not enqueue outbox message %s", message_id)


def _after_rollback(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint rolled back: what was queued before it still goes out after the commit
    session.info.pop(_QUEUED_KEY, None)


def register_outbox_listeners() -> None:
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)


# Sending ----------------------------------------------------------------------------------------------------
@dataclass
class Claimed:
    id: int
    attempts: int
    email: EmailMessage


def _build(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = message.sender or current_app.config["MAIL_DEFAULT_SENDER"]
    email["To"] = ", ".join(message.recipients)
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    # The same id on every try: a receiving server that saw it once can drop a duplicate.
    domain = str(current_app.config["MAIL_DEFAULT_SENDER"]).rpartition("@")[2] or "tracker"
    email["Message-ID"] = f"<outbox-{message.id}@{domain}>"
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email


def _claim(message_id: int) -> Claimed | None:
    """Pending and due -> sending, in a transaction of its own; None if another run has it (or it is done)."""
    now = utcnow()
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.PENDING,
               sa.or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
        .values(status=OutboxStatus.SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.commit()
        return None
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    claimed = Claimed(message.id, message.attempts, _build(message))
    db.session.commit()  # nothing is held open while the mail server is talked to
    return claimed


def deliver(message_id: int) -> bool:
    """Send one message if it is pending and due; True if this call sent it."""
    claimed = _claim(message_id)
    if claimed is None:
        return False
    config = current_app.config
    try:
        backend(current_app).send(claimed.email)
    except Exception as exc:
        log.warning("sending outbox message %s failed (try %s): %s", message_id, claimed.attempts, exc)
        give_up = claimed.attempts >= int(config["MAIL_MAX_ATTEMPTS"])
        delay = int(config["MAIL_RETRY_SECONDS"]) * 2 ** (claimed.attempts - 1)
        db.session.execute(
            sa.update(OutboxMessage).where(OutboxMessage.id == message_id)
            .values(status=OutboxStatus.FAILED if give_up else OutboxStatus.PENDING,
                    next_attempt_at=None if give_up else utcnow() + timedelta(seconds=delay),
                    last_error=f"{type(exc).__name__}: {exc}"[:2000])
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if not give_up:
            try:
                send_task.schedule(args=(message_id,), delay=delay)
            except Exception:
                log.exception("could not schedule the retry of outbox message %s", message_id)
        return False
    db.session.execute(
        sa.update(OutboxMessage).where(OutboxMessage.id == message_id)
        .values(status=OutboxStatus.SENT, sent_at=utcnow(), last_error=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return True


def send_due(limit: int = 200) -> int:
    """Send the pending messages that are due (the sweep); fail those whose sender died mid-send."""
    now = utcnow()
    timeout = timedelta(minutes=int(current_app.config["MAIL_SENDING_TIMEOUT_MINUTES"]))
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at < now - timeout)
        .values(status=OutboxStatus.FAILED,
                last_error="Interrupted while sending: it may or may not have been sent, so it is not sent again.")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    ids = db.session.scalars(
        sa.select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING,
               sa.or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
        .order_by(OutboxMessage.id).limit(limit)
    ).all()
    db.session.commit()
    return sum(deliver(message_id) for message_id in ids)


# Backends -----------------------------------------------------------------------------------------------------
class SMTPBackend:
    def __init__(self, config):
        self.config = config

    def send(self, email: EmailMessage) -> None:
        c = self.config
        cls = smtplib.SMTP_SSL if c["MAIL_USE_SSL"] else smtplib.SMTP
        with cls(c["MAIL_SERVER"], int(c["MAIL_PORT"]), timeout=float(c["MAIL_TIMEOUT"])) as smtp:
            if c["MAIL_USE_STARTTLS"] and not c["MAIL_USE_SSL"]:
                smtp.starttls()
            if c["MAIL_USERNAME"]:
                smtp.login(c["MAIL_USERNAME"], c["MAIL_PASSWORD"] or "")
            smtp.send_message(email)


class FileBackend:
    """Appends each message as one JSON line (development: read the mail without a mail server)."""

    def __init__(self, path: Path):
        self.path = path

    def send(self, email: EmailMessage) -> None:
        body = email.get_body(("plain",))
        line = {"message_id": email["Message-ID"], "from": email["From"], "to": email["To"],
                "subject": email["Subject"], "text": body.get_content() if body else ""}
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")


class MemoryBackend:
    """Records what was sent in this process (tests); ``fail_next`` makes the next sends raise."""

    sent: list[EmailMessage] = []
    fail_next: int = 0

    def send(self, email: EmailMessage) -> None:
        if MemoryBackend.fail_next:
            MemoryBackend.fail_next -= 1
            raise smtplib.SMTPServerDisconnected("test: the mail server went away")
        MemoryBackend.sent.append(email)


def backend(app):
    kind = app.config["MAIL_BACKEND"]
    if kind == "smtp":
        return SMTPBackend(app.config)
    if kind == "file":
        return FileBackend(Path(app.instance_path) / app.config["MAIL_FILE"])
    if kind == "memory":
        return MemoryBackend()
    raise RuntimeError(f"MAIL_BACKEND must be smtp, file or memory, not {kind!r}")
