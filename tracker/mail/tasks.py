"""The outbox's jobs: send one message after the commit that queued it, and sweep up what is due."""
from huey import crontab

from tracker import jobs
from tracker.mail import services


@jobs.task()
def send_outbox_message(message_id: int) -> bool:
    return services.deliver(message_id)


services.send_task = send_outbox_message


@jobs.periodic(crontab(minute="*"))
def send_due_mail() -> int:
    """Every minute: retries whose backoff has passed, and messages whose enqueue was lost."""
    return services.send_due()
