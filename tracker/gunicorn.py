"""Gunicorn's settings for the tracker: ``gunicorn --config python:tracker.gunicorn 'tracker:create_app()'``.

Before any worker starts, the master checks that the state the workers must share is shared. The rate
limiter's default store, ``memory://``, is per process: with four workers the sign-in throttle lets four
times the limit through, one count per worker (issue 9 saw 34 wrong passwords pass before a 429). In
production that refuses to start; elsewhere (``make run``) it is said once at start.

Once a worker has loaded the app, what it loaded (modules, mappers, templates: about a million objects)
is moved out of the garbage collector's sight (``settle``): a full collection walked them all, 140 ms,
several times a minute on a page that makes many objects (a search matching 9,045 firms: p95 204 ms
with the pauses, 56 ms without; bench/README.md).
"""
import gc


def shared_state_problem(config, workers: int) -> str | None:
    """Why *workers* processes with *config* would not share what they must, or None."""
    if workers > 1 and str(config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory://"):
        return (f"{workers} workers with TRACKER_RATELIMIT_STORAGE_URI=memory:// would each count sign-in "
                "failures alone. Set it to a Redis URI shared by every worker (redis://host:6379/0), or run "
                "one worker.")
    return None


def on_starting(server):
    from tracker import create_app

    config = create_app().config
    problem = shared_state_problem(config, server.cfg.workers)
    if problem is None:
        return
    if config["ENV"] == "production":
        raise SystemExit(f"tracker: refusing to start: {problem}")
    server.log.warning("tracker: %s (allowed outside production)", problem)


def settle() -> None:
    """Freeze what exists now (the loaded app) out of the cyclic collector's generations: those objects
    live as long as the process, so walking them at every full collection finds nothing to free."""
    gc.collect()
    gc.freeze()


def post_worker_init(worker):
    settle()
