"""The reports' jobs: write a listing export, and clear the exports older than a week."""
import logging

from huey import crontab

from tracker import jobs
from tracker.reports import exports, refresh

log = logging.getLogger("tracker.reports")


@jobs.task()
def export_listing(job_id: int) -> None:
    """Write the export *job_id* (a ReportExport): its listing for its user, streamed to a file."""
    exports.run_export(job_id)


@jobs.periodic(crontab(minute="53"))
def purge_report_exports() -> dict:
    """Hourly: exports older than EXPORT_MAX_AGE_DAYS and their files; exports whose worker is gone, failed."""
    done = exports.purge_exports()
    if any(done.values()):
        log.info("report exports purged: %s", done)
    return done


@jobs.periodic(crontab())
def refresh_report_cache() -> dict | None:
    """Every minute: the reports read lately whose kept figures are no longer fresh, counted again (one
    refresher at a time: a national report takes longer than a minute on a busy machine)."""
    from huey.exceptions import TaskLockedException

    try:
        with jobs.huey.lock_task("reports-cache-refresh"):
            done = refresh.refresh_reports()
    except TaskLockedException:
        return None
    if any(done.values()):
        log.info("report cache: %s", done)
    return done
