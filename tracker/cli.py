"""Command-line commands: `flask --app tracker users ...` and `seed-demo`."""
import getpass
import os

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from tracker.audit.listeners import cli_actor
from tracker.auth import services
from tracker.auth.models import Role, User
from tracker.enterprises.identifiers import IdentifierError, validate_uscc
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.offices.models import Office

users_cli = AppGroup("users", help="Create and manage user accounts.")


def _as_cli_actor() -> None:
    """Attribute audit records written by a command to the operating-system user who ran it."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = str(os.getuid())
    token = cli_actor.set((None, f"cli:{name}"))
    # Restore the previous actor when the command ends (several commands can run in one process).
    click.get_current_context().call_on_close(lambda: cli_actor.reset(token))


def _fail(message: str) -> None:
    db.session.rollback()
    raise click.ClickException(message)


def _user_or_fail(username: str) -> User:
    user = services.find_user(username)
    if user is None:
        _fail(f"No user named {username!r}.")
    return user


def _prompt_password(username: str) -> str:
    from tracker.security import check_new_password

    while True:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        reason = check_new_password(password, username)
        if reason is None:
            return password
        click.echo(reason, err=True)


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--office", "office_code", help="Office code, e.g. 0930 (contacts take their firm's office).")
@click.option("--enterprise", "enterprise_uscc", help="The firm's USCC (enterprise contacts only).")
@click.option("--display-name", default=None)
@click.option("--title", default=None, help="The user's post (职务), e.g. 关员, 科长, 处长, 单证员.")
@click.option("--password", default=None, help="Prompted for when not given.")
@click.option("--email", default=None, help="Where reminders and notices are e-mailed (optional).")
def create_user_command(username, role, office_code, enterprise_uscc, display_name, title, password, email):
    """Create a user."""
    _as_cli_actor()
    if email is not None:
        email = _email_or_fail(email)
    office = enterprise = None
    if office_code:
        office = db.session.scalar(sa.select(Office).where(Office.code == office_code))
        if office is None:
            _fail(f"No office with code {office_code!r}.")
    if enterprise_uscc:
        try:
            code = validate_uscc(enterprise_uscc, allow_bad_check=True)
        except IdentifierError:
            _fail(f"{enterprise_uscc!r} is not a unified social credit code.")
        enterprise = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == code))
        if enterprise is None:
            _fail(f"No enterprise with USCC {code}.")
    if password is None:
        password = _prompt_password(username)
    try:
        user = services.create_user(
            username=username,
            display_name=display_name or username,
            role=Role(role),
            office=office,
            enterprise=enterprise,
            password=password,
            title=title,
        )
    except services.AccountError as exc:
        _fail(str(exc))
    user.email = email
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.username} ({user.office.code}).")


def _email_or_fail(email: str) -> str | None:
    """An address as users.email stores it (None for an empty one); a malformed one fails the command."""
    from email_validator import EmailNotValidError, validate_email

    email = email.strip()
    if not email:
        return None
    if len(email) > 200:
        _fail("An e-mail address has at most 200 characters.")
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        _fail(f"{email!r} is not an e-mail address: {exc}")


@users_cli.command("deactivate")
@click.argument("username")
def deactivate_user_command(username):
    """Deactivate a user; their sessions end at once."""
    _as_cli_actor()
    user = _user_or_fail(username)
    try:
        services.deactivate_user(user)
    except services.AccountError as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"Deactivated {user.username}.")


@users_cli.command("set-password")
@click.argument("username")
@click.option("--password", default=None, help="Prompted for when not given.")
def set_password_command(username, password):
    """Set a user's password; their sessions end at once."""
    from tracker.security import check_new_password

    _as_cli_actor()
    user = _user_or_fail(username)
    if password is None:
        password = _prompt_password(user.username)
    reason = check_new_password(password, user.username)
    if reason:
        _fail(reason)
    services.set_password(user, password)
    db.session.commit()
    click.echo(f"Password set for {user.username}.")


@click.command("seed-demo")
@click.option("--password", default=None, help="Password for every demo user; generated when not given.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
def seed_demo_command(password, if_empty):
    """Load demo data (offices, departments, users, firms). Safe to run again."""
    from tracker.demo import seed_demo

    _as_cli_actor()
    if if_empty and db.session.scalar(sa.select(sa.func.count(User.id))):
        click.echo("The database already has users; demo data not loaded.")
        return
    result = seed_demo(password)
    db.session.commit()
    click.echo(result.summary())
    if result.generated_password:
        click.echo(f"Demo password (shown once): {result.generated_password}")
        click.echo(f"Also written to {result.credentials_file} (mode 600).")


@click.command("import-declarations")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--year", type=int, default=None, help="Year for rows that give none.")
@click.option("--office", "office_code", default=None, help="Office whose firms the file covers (default: the top office).")
@click.option("--dry-run", is_flag=True, help="Check the file and report what would change; write nothing.")
def import_declarations_command(path, year, office_code, dry_run):
    """Import yearly declaration counts from a CSV or XLSX file: every row valid, or nothing written."""
    from pathlib import Path

    from tracker.enterprises.keys import KeyProcess
    from tracker.imports.reader import ImportFileError, detect_format
    from tracker.imports.services import analyse, apply_plan, collector_paused, describe, error_message

    _as_cli_actor()
    if office_code:
        office = db.session.scalar(sa.select(Office).where(Office.code == office_code))
        if office is None:
            _fail(f"No office with code {office_code!r}.")
    else:
        office = db.session.scalar(sa.select(Office).where(Office.parent_id.is_(None)).order_by(Office.id))
        if office is None:
            _fail("No offices yet: run seed-demo or create the offices first.")
    file = Path(path)
    # The second process of a large import's search keys (tracker.enterprises.keys), if analyse() finds
    # the file brings enough new firms; a dry run writes nothing and needs none.
    with collector_paused(), KeyProcess() as key_process:
        try:
            with open(file, "rb") as fh:
                file_format = detect_format(file.name, fh.read(8))
            plan = analyse(file, file_format, office, year, key_process=None if dry_run else key_process)
        except ImportFileError as exc:
            db.session.rollback()
            click.echo(error_message(exc.code, exc.params), err=True)
            raise SystemExit(1)
        if not plan.valid:
            db.session.rollback()
            for error in plan.errors:
                click.echo(describe(error.as_dict()), err=True)
            click.echo(f"{len(plan.errors)} error(s); nothing written.", err=True)
            raise SystemExit(1)
        s = plan.summary()
        line = (f"{s['rows']} rows: {s['new_firms']} new firms, {s['new_counts']} new counts, "
                f"{s['updated_counts']} updated counts, {s['unchanged']} unchanged (office {office.code}).")
        if dry_run:
            db.session.rollback()
            click.echo("Dry run, nothing written. " + line)
            return
        apply_plan(plan, office, None, key_process)
    db.session.commit()
    click.echo("Imported. " + line)


counter_cli = AppGroup("counter", help="The certificate counter's periodic work, for a deployment without the job queue.")


@counter_cli.command("remind")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The working day to send for (default: today, local time).")
def counter_remind_command(day):
    """Queue the reminders of the next working day's appointments and the officers' digests (each once)."""
    from tracker.appointments import notices

    _as_cli_actor()
    today = day.date() if day else None
    reminders = notices.send_reminders(today=today)
    digests = notices.send_digests(today=today)
    db.session.commit()
    click.echo(f"Queued {reminders} reminder(s) and {digests} digest(s).")


@counter_cli.command("no-shows")
def counter_no_shows_command():
    """Mark the bookings nobody checked in for, past their slot and its grace period, as no-shows."""
    from tracker.appointments import services as counter

    _as_cli_actor()
    marked = counter.mark_no_shows()
    db.session.commit()
    click.echo(f"Marked {marked} no-show(s).")


@counter_cli.command("slots")
def counter_slots_command():
    """Make every active counter's slots for its booking window."""
    from tracker.appointments import notices

    _as_cli_actor()
    made = notices.materialize_all()
    db.session.commit()
    click.echo(f"Made {made} slot(s).")


certification_cli = AppGroup("certification", help="Certification coaching: the versions of the standard.")


@certification_cli.command("load-standards")
@click.option("--directory", type=click.Path(exists=True, file_okay=False), default=None,
              help="Where the data files are (default: the versions shipped with the tracker).")
def load_standards_command(directory):
    """Load the versions of the certification standard that the database does not hold yet (by their code).
    A version present already is never changed: assessments keep the version they used."""
    from tracker.certification.services import StandardFileError, load_standards

    _as_cli_actor()
    try:
        report = load_standards(directory)
    except StandardFileError as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"Loaded {len(report.loaded)} version(s) of the standard"
               + (f" ({', '.join(report.loaded)})" if report.loaded else "")
               + f"; {len(report.kept)} present already, left as they are"
               + (f" ({', '.join(report.kept)})." if report.kept else "."))


def register_commands(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(counter_cli)
    app.cli.add_command(certification_cli)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(import_declarations_command)
