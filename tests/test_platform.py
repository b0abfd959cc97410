"""Configuration, the database engine, migrations and the health check."""
import os
import stat
import threading

import pytest
import sqlalchemy as sa

from tests.conftest import make_config
from tracker import create_app
from tracker.extensions import db


def sqlite_only(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite engine settings")


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("TRACKER_ENV", "production")
    monkeypatch.delenv("TRACKER_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="TRACKER_SECRET_KEY"):
        create_app()
    monkeypatch.setenv("TRACKER_SECRET_KEY", "x" * 64)
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def test_development_secret_key_is_generated_once_and_private(monkeypatch, tmp_path):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("TRACKER_SECRET_KEY", raising=False)
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    assert first == second and len(first) >= 64
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600


def test_configuration_layers(monkeypatch, tmp_path):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    (tmp_path / "config.py").write_text("AUDIT_PAGE_SIZE = 7\nPASSWORD_MIN_LENGTH = 12\nSECRET_KEY = 'from-file'\n")
    monkeypatch.setenv("TRACKER_PASSWORD_MIN_LENGTH", "14")
    app = create_app({"SECRET_KEY": "from-test"})
    assert app.config["AUDIT_PAGE_SIZE"] == 7  # instance/config.py over the default
    assert app.config["PASSWORD_MIN_LENGTH"] == 14  # environment over the file
    assert app.config["SECRET_KEY"] == "from-test"  # the caller over everything
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///" + str(tmp_path / "tracker.sqlite3")


def test_starting_the_app_creates_no_tables(monkeypatch, tmp_path):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    app = create_app({"SECRET_KEY": "x"})
    with app.app_context():
        app.test_client().get("/login")
        assert sa.inspect(db.engine).get_table_names() == []
        db.engine.dispose()


def test_sqlite_pragmas(app):
    sqlite_only(app)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_concurrent_writers_wait_instead_of_failing(app, cast):
    """Read-then-write transactions from several threads: BEGIN IMMEDIATE serialises them."""
    from tracker.offices.models import Office

    errors = []
    office_id = cast.org.yingkou.id

    def worker(n):
        try:
            with app.test_request_context("/", method="POST"):
                for i in range(5):
                    office = db.session.get(Office, office_id)
                    office.name_en = f"Yingkou {n}-{i}"
                    db.session.commit()
                db.session.remove()
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db.session.rollback()
    from tracker.audit.models import AuditRecord

    writes = db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditRecord).where(AuditRecord.entity_type == "offices",
                                                                  AuditRecord.action == "update")
    )
    assert writes == 30


def test_health_check(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_health_check_reports_an_unreachable_database(monkeypatch, tmp_path):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    app = create_app(make_config("sqlite:///" + str(tmp_path / "no" / "such" / "dir.sqlite3")))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] != "ok"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_models_and_migrations_agree(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext


    with db.engine.connect() as conn:
        from tracker.database import include_in_autogenerate

        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_in_autogenerate}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_migrations_downgrade_and_upgrade_again(monkeypatch, tmp_path):
    from flask_migrate import downgrade, upgrade

    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    app = create_app(make_config("sqlite:///" + str(tmp_path / "m.sqlite3")))
    with app.app_context():
        upgrade()
        assert "users" in sa.inspect(db.engine).get_table_names()
        downgrade(revision="base")
        assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
        upgrade()
        assert "audit_records" in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()
