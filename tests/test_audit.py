"""The audit trail records who changed what, and admins can read and filter it."""
import sqlalchemy as sa

from tests.conftest import csrf_from
from tracker.audit.models import AuditAction, AuditRecord
from tracker.auth.models import User
from tracker.extensions import db
from tracker.offices.models import Office


def records(entity_type, entity_id=None):
    db.session.rollback()
    stmt = sa.select(AuditRecord).where(AuditRecord.entity_type == entity_type).order_by(AuditRecord.id)
    if entity_id is not None:
        stmt = stmt.where(AuditRecord.entity_id == str(entity_id))
    return db.session.scalars(stmt).all()


def create_officer3(client, cast):
    page = client.get("/admin/users/new")
    return client.post(
        "/admin/users/new",
        data={
            "csrf_token": csrf_from(page), "username": "officer3", "display_name": "孙关员", "role": "officer",
            "office_id": str(cast.org.yingkou.id), "new_password": "a fine new password",
            "confirm": "a fine new password",
        },
    )


def test_user_creation_and_deactivation_are_audited(client, auth, cast):
    auth.login("admin")
    assert create_officer3(client, cast).status_code == 302
    user = db.session.scalar(sa.select(User).where(User.username == "officer3"))

    created = records("users", user.id)
    assert [r.action for r in created] == [AuditAction.INSERT]
    insert = created[0]
    assert insert.actor_id == cast.admin.id and insert.actor_name == "admin"
    assert insert.changes["username"] == [None, "officer3"]
    assert insert.changes["password_hash"] == [None, "[redacted]"]
    assert insert.changes["session_token"] == [None, "[redacted]"]
    assert insert.ip_address == "127.0.0.1"

    auth.post(f"/admin/users/{user.id}/deactivate")
    update = records("users", user.id)[-1]
    assert update.action is AuditAction.UPDATE
    assert update.changes["active"] == [True, False]
    assert update.changes["session_token"] == ["[redacted]", "[redacted]"]
    assert "username" not in update.changes


def test_updates_record_old_values_of_expired_objects(app, cast):
    office = db.session.get(Office, cast.org.bayuquan.id)
    db.session.expire(office)  # as after a commit: the old value is not loaded
    office.name_en = "Bayuquan Customs House"
    db.session.commit()
    change = records("offices", office.id)[-1]
    assert change.changes == {"name_en": ["Bayuquan Customs", "Bayuquan Customs House"]}
    assert change.actor_name == "system"


def test_deletes_are_audited(app, cast):
    department = cast.org.yingkou.departments[0]
    db.session.delete(department)
    db.session.commit()
    deleted = records("departments", department.id)[-1]
    assert deleted.action is AuditAction.DELETE
    assert deleted.changes["name"] == ["综合业务科", None]


def test_sign_in_alone_writes_no_audit_record(client, auth, cast):
    before = len(records("users"))
    auth.login("officer")
    assert len(records("users")) == before


def test_admin_lists_and_filters_the_trail(client, auth, cast):
    auth.login("admin")
    create_officer3(client, cast)
    auth.post(f"/admin/users/{cast.officer.id}/deactivate")

    page = client.get("/admin/audit").get_data(as_text=True)
    assert "officer3" in page and "users" in page

    only_updates = client.get("/admin/audit?entity_type=users&action=update").get_data(as_text=True)
    assert "officer3" not in only_updates
    assert f"users #{cast.officer.id}" in only_updates

    by_actor = client.get("/admin/audit?actor=nobody").get_data(as_text=True)
    assert f"users #{cast.officer.id}" not in by_actor

    bad_date = client.get("/admin/audit?date_from=not-a-date")
    assert bad_date.status_code == 200


def test_audit_page_is_for_admins_only(client, auth, cast):
    auth.login("manager")
    assert client.get("/admin/audit").status_code == 403
