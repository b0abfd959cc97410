"""The API's periodic job: delete spent bearer tokens."""
from datetime import timedelta

from flask import current_app
from huey import crontab

from tracker import jobs
from tracker.api.auth import purge_spent_tokens
from tracker.extensions import db


@jobs.periodic(crontab(minute="17", hour="3"))
def purge_api_tokens() -> int:
    """Daily: tokens expired or revoked more than API_TOKEN_PURGE_AFTER_DAYS ago."""
    purged = purge_spent_tokens(timedelta(days=int(current_app.config["API_TOKEN_PURGE_AFTER_DAYS"])))
    db.session.commit()
    return purged
