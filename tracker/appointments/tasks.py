"""The counter's periodic work: automatic no-shows, slots made ahead, the contacts' reminders and the
officers' digest. The logic is in tracker/appointments/notices.py (importing it here sets the core's
notice hooks in every process that loads the job modules: the web app through jobs.init_app, and each
consumer); each task commits its own work.

Huey's schedule is in UTC (tracker.jobs: utc=True); the offices keep Asia/Shanghai time (UTC+8), so
"08:00 local" is hour 0 UTC.
"""
from huey import crontab

from tracker import jobs
from tracker.appointments import notices, services
from tracker.extensions import db


@jobs.periodic(crontab(minute="*/5"))
def mark_no_shows() -> int:
    """Every 5 minutes: bookings nobody checked in for, past the slot and its grace period."""
    marked = services.mark_no_shows()
    db.session.commit()
    return marked


@jobs.periodic(crontab(minute="20", hour="16"))
def materialize_ahead() -> int:
    """Daily at 00:20 local time: every active counter's slots for its booking window."""
    made = notices.materialize_all()
    db.session.commit()
    return made


@jobs.periodic(crontab(minute="10", hour="0-12"))
def send_reminders() -> int:
    """Hourly from 08:10 to 20:10 local time on working days: the reminders of the next working day's
    appointments (each sent once; a booking made during the day is reminded at the next run)."""
    queued = notices.send_reminders()
    db.session.commit()
    return queued


@jobs.periodic(crontab(minute="40", hour="8"))
def send_digests() -> int:
    """Daily at 16:40 local time on working days: each officer's digest of the next working day's counter."""
    queued = notices.send_digests()
    db.session.commit()
    return queued
