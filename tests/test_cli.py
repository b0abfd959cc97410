"""The command line: users and demo data."""
import os
import stat

import sqlalchemy as sa

from tests.conftest import PASSWORD
from tracker.audit.models import AuditRecord
from tracker.auth.models import Role, User
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.offices.models import Department, Office


def count(model):
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_seed_demo_is_idempotent(runner, app):
    first = runner.invoke(args=["seed-demo", "--password", "demo password 2019"])
    assert first.exit_code == 0, first.output
    counts = {m: count(m) for m in (Office, Department, Enterprise, User)}
    assert counts[Office] == 4 and counts[User] == 8
    second = runner.invoke(args=["seed-demo", "--password", "demo password 2019"])
    assert second.exit_code == 0
    assert "nothing added" in second.output
    assert {m: count(m) for m in (Office, Department, Enterprise, User)} == counts

    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    assert set(users) == {"admin", "manager", "manager-dl", "officer", "officer2", "bayuquan-officer", "yalisi", "longxin"}
    assert users["manager"].office.name == "营口海关" and users["manager-dl"].office.name == "大连海关"
    assert users["bayuquan-officer"].office.name == "鲅鱼圈海关"
    assert users["yalisi"].enterprise.name == "营口雅丽丝服装有限公司" and users["yalisi"].office.name == "营口海关"
    assert users["longxin"].enterprise.name == "营口隆鑫果品有限公司" and users["longxin"].office.name == "鲅鱼圈海关"


def test_demo_users_sign_in_with_the_seed_password(runner, client, auth):
    runner.invoke(args=["seed-demo", "--password", "demo password 2019"])
    for username in ("admin", "manager", "officer", "yalisi"):
        assert auth.login(username, "demo password 2019").status_code == 302
        auth.logout()


def test_seed_demo_generates_a_password_once_into_a_private_file(runner, app):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    path = os.path.join(app.instance_path, "demo-credentials.txt")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    password = result.output.split("(shown once): ")[1].split()[0]
    with open(path, encoding="utf-8") as fh:
        assert f"manager\t{password}" in fh.read()
    again = runner.invoke(args=["seed-demo"])
    assert "shown once" not in again.output


def test_seed_demo_if_empty_leaves_a_used_database_alone(runner, cast):
    result = runner.invoke(args=["seed-demo", "--if-empty", "--password", "demo password 2019"])
    assert "already has users" in result.output
    assert count(Office) == 4  # the cast's offices only: nothing was added


def test_users_create_with_office_and_with_enterprise(runner, cast):
    result = runner.invoke(args=["users", "create", "--username", "Officer9", "--role", "officer",
                                 "--office", "0931", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.username == "officer9"))
    assert user.office.code == "0931" and user.role is Role.OFFICER

    firm = cast.contact.enterprise
    result = runner.invoke(args=["users", "create", "--username", "clerk2", "--role", "enterprise_contact",
                                 "--enterprise", firm.uscc.lower(), "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    clerk = db.session.scalar(sa.select(User).where(User.username == "clerk2"))
    assert clerk.enterprise_id == firm.id

    audit = db.session.scalar(sa.select(AuditRecord).where(AuditRecord.entity_id == str(clerk.id),
                                                          AuditRecord.entity_type == "users"))
    assert audit.actor_name.startswith("cli:")


def test_users_create_refuses_bad_input_and_writes_nothing(runner, cast):
    before = count(User)
    cases = [
        ["--username", "x1", "--role", "officer", "--office", "9999", "--password", PASSWORD],
        ["--username", "x2", "--role", "officer", "--password", PASSWORD],
        ["--username", "officer", "--role", "officer", "--office", "0930", "--password", PASSWORD],
        ["--username", "x3", "--role", "officer", "--office", "0930", "--password", "short"],
        ["--username", "x4", "--role", "enterprise_contact", "--password", PASSWORD],
        ["--username", "x5", "--role", "enterprise_contact", "--enterprise", "91310110666007217T", "--password", PASSWORD],
        ["--username", "x6", "--role", "wizard", "--office", "0930", "--password", PASSWORD],
    ]
    for args in cases:
        result = runner.invoke(args=["users", "create", *args])
        assert result.exit_code != 0, args
    assert count(User) == before


def test_users_create_prompts_for_the_password(runner, cast):
    result = runner.invoke(args=["users", "create", "--username", "prompted", "--role", "officer", "--office", "0930"],
                           input="too short\ntoo short\na proper passphrase\na proper passphrase\n")
    assert result.exit_code == 0, result.output
    assert "不能少于" in result.output


def test_users_deactivate_and_set_password(runner, client, auth, cast):
    auth.login("officer")
    assert runner.invoke(args=["users", "deactivate", "officer"]).exit_code == 0
    assert client.get("/").status_code == 302
    assert runner.invoke(args=["users", "deactivate", "officer"]).exit_code != 0
    assert runner.invoke(args=["users", "deactivate", "ghost"]).exit_code != 0

    assert runner.invoke(args=["users", "set-password", "manager", "--password", "short"]).exit_code != 0
    result = runner.invoke(args=["users", "set-password", "manager", "--password", "a fresh passphrase 77"])
    assert result.exit_code == 0
    assert auth.login("manager", "a fresh passphrase 77").status_code == 302


def test_users_create_sets_the_post_and_refuses_an_overlong_one(runner, cast):
    result = runner.invoke(args=["users", "create", "--username", "chief", "--role", "manager", "--office", "0930",
                                 "--display-name", "周处长", "--title", " 处长 ", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    chief = db.session.scalar(sa.select(User).where(User.username == "chief"))
    assert chief.title == "处长" and chief.label == "周处长 · 处长"
    result = runner.invoke(args=["users", "create", "--username", "chief2", "--role", "manager", "--office", "0930",
                                 "--title", "处" * 41, "--password", PASSWORD])
    assert result.exit_code != 0 and "40" in result.output
    assert db.session.scalar(sa.select(User).where(User.username == "chief2")) is None
