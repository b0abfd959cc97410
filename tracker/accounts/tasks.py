"""The contact accounts' periodic job: delete spent one-time links."""
from datetime import timedelta

from flask import current_app
from huey import crontab

from tracker import jobs
from tracker.accounts.services import purge_spent_links
from tracker.extensions import db


@jobs.periodic(crontab(minute="23", hour="3"))
def purge_account_links() -> int:
    """Daily: invitation and reset links spent, withdrawn or expired more than ACCOUNT_LINK_PURGE_AFTER_DAYS ago."""
    purged = purge_spent_links(timedelta(days=int(current_app.config["ACCOUNT_LINK_PURGE_AFTER_DAYS"])))
    db.session.commit()
    return purged
