"""Gunicorn settings for the counter benchmark (bench/counter.py): the app's own (tracker/gunicorn.py), plus a
bench-only measure of each request's time and its SQL time, returned in response headers.

    gunicorn --config python:counter_gunicorn --workers 4 'tracker:create_app()'   (with bench/ on sys.path)

Nothing here is imported by the app: production runs tracker/gunicorn.py alone. Each sync worker serves one
request at a time, so per-process counters are per request. The SQL time is the sum of the cursor executions
(before_cursor_execute to after_cursor_execute on every engine), as bench/measure.py's StatementLog counts
it; COMMIT is not a cursor execution and is included only in the request's time.

Headers: X-Bench-Request-Ms (from the WSGI call to start_response: the app's whole work, the body being built
by then), X-Bench-Sql-Ms and X-Bench-Sql-Count.
"""
import time

import sqlalchemy as sa
from sqlalchemy import event

from tracker.gunicorn import on_starting, settle  # noqa: F401  (gunicorn reads on_starting from here)

_state = {"sql": 0.0, "n": 0}


def _before(conn, cursor, statement, parameters, context, executemany):
    conn.info.setdefault("bench_t", []).append(time.perf_counter())


def _after(conn, cursor, statement, parameters, context, executemany):
    started = conn.info["bench_t"].pop()
    _state["sql"] += time.perf_counter() - started
    _state["n"] += 1


class Timed:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        _state["sql"], _state["n"] = 0.0, 0
        started = time.perf_counter()

        def timed_start(status, headers, exc_info=None):
            headers = list(headers) + [
                ("X-Bench-Request-Ms", f"{(time.perf_counter() - started) * 1000:.3f}"),
                ("X-Bench-Sql-Ms", f"{_state['sql'] * 1000:.3f}"),
                ("X-Bench-Sql-Count", str(_state["n"])),
            ]
            return start_response(status, headers, exc_info)

        return self.app(environ, timed_start)


def post_worker_init(worker):
    event.listen(sa.engine.Engine, "before_cursor_execute", _before)
    event.listen(sa.engine.Engine, "after_cursor_execute", _after)
    worker.wsgi = Timed(worker.wsgi)
    settle()
