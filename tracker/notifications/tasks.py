"""The notifications' periodic job: deadline reminders (made here, never while a page is read)."""
from huey import crontab

from tracker import jobs
from tracker.extensions import db
from tracker.notifications.services import deadline_reminders


@jobs.periodic(crontab(minute="5"))
def remind_deadlines() -> int:
    """Hourly (idempotent): notify officers of open needs due within two working days."""
    made = deadline_reminders()
    db.session.commit()
    return made
