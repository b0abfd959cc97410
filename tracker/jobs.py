"""The job queue: the one Huey instance, its storage, and the app context every task runs in.

Storage follows the configuration: a SQLite file under instance/ by default (one machine), Redis when
``HUEY_URL`` is a ``redis://`` URL (several web workers and machines), Huey's immediate mode when
``HUEY_IMMEDIATE`` is set (the tests: a task runs at once, in the caller's process, but still in its own
app context and database session, as in a consumer).

Tasks are declared with :func:`task`, :func:`periodic` and :func:`on_startup` in each feature's
``tasks.py``; they are imported by :func:`init_app` so a consumer knows them all. Run a consumer with
``flask --app tracker jobs worker`` or ``huey_consumer tracker.consumer.huey``.
"""
import contextvars
import functools
import logging
import os
import secrets
import socket
from pathlib import Path
from typing import Callable

import click
from flask import Flask, current_app, has_app_context
from flask.cli import AppGroup
from huey import Huey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

log = logging.getLogger("tracker.jobs")

# Tasks register on this instance when their modules are imported; init_app gives it its storage.
# No result store: a task's outcome is written to the database, and unread results would pile up.
huey = Huey("tracker", storage_class=MemoryStorage, utc=True, results=False)

# The modules that declare tasks: imported by init_app so that every process knows every task.
TASK_MODULES = (
    "tracker.imports.tasks",
    "tracker.notifications.tasks",
    "tracker.api.tasks",
    "tracker.mail.tasks",
    "tracker.submissions",
    "tracker.appointments.tasks",
    "tracker.reports.tasks",
    "tracker.accounts.tasks",
)

# The app that tasks run in when the caller has none (in a consumer: the one the factory made).
_app: Flask | None = None


def init_app(app: Flask) -> None:
    global _app
    import importlib

    for name in TASK_MODULES:
        importlib.import_module(name)
    url = app.config.get("HUEY_URL")
    immediate = bool(app.config.get("HUEY_IMMEDIATE"))
    if url and str(url).startswith(("redis://", "rediss://", "unix://")):
        huey.storage_class, huey.storage_kwargs = RedisStorage, {"url": url}
    else:
        if url and str(url).startswith("sqlite:///"):
            filename = str(url)[len("sqlite:///"):]
        else:
            filename = str(Path(app.instance_path) / "huey.sqlite3")
        huey.storage_class, huey.storage_kwargs = SqliteStorage, {"filename": filename}
    # immediate mode keeps tasks in memory: no file, no server, nothing left between tests.
    huey.immediate_use_memory = True
    huey.immediate = immediate
    huey.storage = huey.create_storage()  # for this app's storage even when the mode did not change
    _app = app
    app.extensions["huey"] = huey


def _run_in_app(app: Flask | None, fn: Callable, label: str, args, kwargs):
    if app is None:
        raise RuntimeError("No application for the task queue: start the consumer with "
                           "`flask --app tracker jobs worker` or `huey_consumer tracker.consumer.huey`.")
    from tracker.audit.listeners import cli_actor
    from tracker.extensions import db

    with app.app_context():
        token = cli_actor.set((None, f"job:{label}"))
        try:
            return fn(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise
        finally:
            cli_actor.reset(token)


def _isolated(fn: Callable, label: str) -> Callable:
    """Run *fn* as a consumer would: in a fresh context (no request, no caller's session) of the app."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        app = current_app._get_current_object() if has_app_context() else _app
        return contextvars.Context().run(_run_in_app, app, fn, label, args, kwargs)

    return run


def task(**options):
    """A task; calling it enqueues it (or, in immediate mode, runs it at once)."""

    def decorate(fn):
        # Huey names it module.function (the wrapper keeps the function's module and name).
        return huey.task(**options)(_isolated(fn, fn.__name__))

    return decorate


def periodic(validate_datetime, **options):
    """A task the consumer's scheduler runs when validate_datetime (e.g. huey.crontab(...)) says so."""

    def decorate(fn):
        return huey.periodic_task(validate_datetime, **options)(_isolated(fn, fn.__name__))

    return decorate


def on_startup(fn):
    """A hook each consumer worker runs once when it starts (before taking any task)."""
    huey.on_startup(name=f"{fn.__module__}.{fn.__name__}")(_isolated(fn, fn.__name__))
    return fn


# Which process runs a job, so that a restarted consumer knows the jobs whose worker died ----------
_process_tokens: dict[int, str] = {}
_HOST = socket.gethostname()[:40]


def worker_id() -> str:
    """host:pid:token of this process (the token tells a new process from an old one with the same pid)."""
    pid = os.getpid()
    return f"{_HOST}:{pid}:{_process_tokens.setdefault(pid, secrets.token_hex(4))}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child not yet reaped is a zombie: dead for our purpose
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def worker_is_dead(owner: str | None) -> bool:
    """True when *owner* (a worker_id) is a process of this machine that no longer runs.

    A worker of another machine cannot be checked from here: those jobs are left to the periodic
    clean-up, which fails them once they are older than the preview age.
    """
    if not owner:
        return False
    try:
        host, pid_text, token = owner.rsplit(":", 2)
        pid = int(pid_text)
    except ValueError:
        return True
    if host != _HOST:
        return False
    if pid == os.getpid():
        return token != _process_tokens.get(pid)
    return not _pid_alive(pid)


# flask jobs ... ------------------------------------------------------------------------------------
jobs_cli = AppGroup("jobs", help="Run the job queue's consumer.")


@jobs_cli.command("worker")
@click.option("-w", "--workers", default=2, show_default=True, help="Tasks run at the same time.")
@click.option("--no-periodic", is_flag=True, help="Do not run the periodic tasks (another consumer does).")
@click.option("--max-delay", default=1.0, show_default=True,
              help="Seconds an idle worker waits at most between two looks at a SQLite queue.")
def worker_command(workers, no_periodic, max_delay):
    """Run a consumer: it takes tasks from the queue and runs the periodic tasks.

    Its workers are threads of one process, which share the app and its database pool; for more
    throughput run more consumers (with --no-periodic on all but one).
    """
    if huey.immediate:
        raise click.ClickException("HUEY_IMMEDIATE is set: tasks run in the web process, there is nothing to consume.")
    logger = logging.getLogger("huey")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=not no_periodic,
                                    max_delay=max_delay, check_worker_health=True)
    consumer.run()
