"""Engine set-up: SQLite pragmas and write-locking transactions; PostgreSQL pool settings."""
import contextvars
import os
import sqlite3
from pathlib import Path

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Outside a request (CLI commands, scripts) transactions take the write lock at BEGIN by default.
# The test suite turns this off for its own fixture sessions, which only read between requests.
write_lock_outside_requests: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "write_lock_outside_requests", default=True
)


def database_uri(app: Flask) -> str:
    url = app.config.get("DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(Path(app.instance_path) / "tracker.sqlite3")


def engine_options(app: Flask, uri: str) -> dict:
    if uri.startswith("sqlite"):
        return {"connect_args": {"timeout": float(app.config["SQLITE_BUSY_TIMEOUT"])}}
    return {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 10, "pool_recycle": 1800}


def _wants_write_lock() -> bool:
    """Requests that may write take SQLite's write lock at BEGIN; reads stay concurrent.

    A deferred transaction that reads and then writes cannot wait for the lock (SQLite would
    deadlock), so it fails at once with "database is locked". BEGIN IMMEDIATE waits instead.
    """
    if has_request_context():
        return request.method not in SAFE_METHODS
    return write_lock_outside_requests.get()


def configure_sqlite(engine: Engine, busy_timeout_s: float) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, connection_record):
        if not isinstance(dbapi_connection, sqlite3.Connection):
            return
        # Let SQLAlchemy, not the driver, issue BEGIN (see on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # The database holds every firm's records: readable by the app's user alone. SQLite creates the
        # -wal and -shm files with the database file's mode, so they follow.
        for _seq, name, path in cursor.execute("PRAGMA database_list").fetchall():
            if name == "main" and path and os.path.exists(path) and os.stat(path).st_mode & 0o077:
                os.chmod(path, 0o600)
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock() else "BEGIN")


def include_in_autogenerate(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic hook: the search's indexes (SQLite's FTS5 table and its shadow tables, PostgreSQL's GIN and
    trigram indexes) live in the migrations, not in the models."""
    if type_ == "index":
        return not (name and (name.endswith("_trgm") or name == "ix_enterprises_search_grams"))
    if type_ == "table":
        return not (name and name.startswith("enterprise_search"))
    return True
