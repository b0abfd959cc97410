"""Gunicorn's start-up check (tracker/gunicorn.py): several workers must share the rate limiter's store.
Issue 9: with memory:// and four workers, 34 wrong passwords passed before a 429."""
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tracker.gunicorn import shared_state_problem

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def start(tmp_path, workers: int, **env):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {**os.environ, "TRACKER_INSTANCE_PATH": str(tmp_path), "TRACKER_SECRET_KEY": "k" * 40, **env}
    environment.pop("TRACKER_DATABASE_URL", None)
    process = subprocess.Popen(
        [GUNICORN, "--config", "python:tracker.gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "tracker:create_app()"], env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return process, port


def test_production_refuses_several_workers_with_an_unshared_limiter(tmp_path):
    process, _ = start(tmp_path, 2, TRACKER_ENV="production", TRACKER_RATELIMIT_STORAGE_URI="memory://")
    output, _ = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "refusing to start" in output and "TRACKER_RATELIMIT_STORAGE_URI" in output


def test_one_worker_with_the_memory_store_starts_and_serves(tmp_path):
    process, port = start(tmp_path, 1, TRACKER_ENV="production", TRACKER_RATELIMIT_STORAGE_URI="memory://")
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                assert process.poll() is None, process.communicate()[0]
                time.sleep(0.2)
        else:
            raise AssertionError("gunicorn did not answer")
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_only_a_per_process_store_with_several_workers_is_a_problem():
    assert shared_state_problem({"RATELIMIT_STORAGE_URI": "memory://"}, 4)
    assert shared_state_problem({"RATELIMIT_STORAGE_URI": "memory://"}, 1) is None
    assert shared_state_problem({"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}, 4) is None


def test_a_worker_freezes_the_loaded_app_out_of_the_collector():
    """post_worker_init moves what the worker loaded out of the collector's generations (a full
    collection then walks only what requests make), and the collector still frees new garbage."""
    import gc

    from tracker import gunicorn

    gc.unfreeze()
    try:
        gunicorn.post_worker_init(worker=None)
        assert gc.get_freeze_count() > 10_000  # the test session's app and modules
        assert gc.isenabled()

        class Cycle:
            pass

        a, b = Cycle(), Cycle()
        a.other, b.other = b, a
        del a, b
        assert gc.collect() >= 2  # the new cycle is still found and freed
    finally:
        gc.unfreeze()
