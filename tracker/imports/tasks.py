"""The import's jobs: read an upload, commit it, fail the imports of a dead worker, clear old uploads."""
import logging
from datetime import timedelta

from flask import current_app
from huey import crontab

from tracker import jobs
from tracker.imports import services

log = logging.getLogger("tracker.imports")


@jobs.task()
def read_import(import_id: int) -> None:
    try:
        services.run_analysis(import_id)
    except Exception:
        log.exception("analysis of import %s failed", import_id)
        services.fail_import(import_id, "internal", owner=jobs.worker_id())


@jobs.task()
def commit_import(import_id: int, user_id: int | None) -> None:
    try:
        services.run_commit(import_id, user_id)
    except Exception:
        log.exception("commit of import %s failed", import_id)
        services.fail_import(import_id, "internal", owner=jobs.worker_id())


@jobs.on_startup
def fail_orphaned_imports() -> None:
    failed = services.fail_orphaned_imports()
    if failed:
        log.warning("%d import(s) left by a stopped worker marked failed", failed)


@jobs.periodic(crontab(minute="41"))
def purge_abandoned_uploads() -> dict:
    """Hourly: previews nobody imported within IMPORT_PREVIEW_MAX_AGE_HOURS, and stray upload files."""
    hours = float(current_app.config["IMPORT_PREVIEW_MAX_AGE_HOURS"])
    return services.purge_abandoned_uploads(timedelta(hours=hours))
