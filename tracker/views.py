"""One way for a view to run a change: one transaction, committed on success, rolled back on a refusal.

    change = run_change(lambda: services.accept(need, by=current_user), _("The need has been accepted."))

- commit, then flash the success message (a string, or a function of the action's result);
- on DomainError roll back and flash its (translated) message, or put it under a form field (field=);
- with version=(row, form.version): optimistic locking. The form carries the version_id the row had
  when it was opened; if the row has moved on since, or another request commits first (SQLAlchemy's
  version_id_col makes the UPDATE match no row: StaleDataError), nothing is written and the view gets
  change.stale, with the form's field set to the current version, to show the form again with what the
  user typed;
- with submission=form.submission_key.data: one submission, one effect (tracker.submissions). The key
  is inserted first, in the same transaction; a key seen before means the form was sent already:
  nothing is done and change.duplicate is set, change.url being the page of what the first one made.
"""
from dataclasses import dataclass
from typing import Any, Callable

import sqlalchemy as sa
from flask import flash, g
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from tracker.domain import DomainError
from tracker.extensions import db
from tracker.submissions import SubmissionKey


@dataclass
class Change:
    ok: bool
    result: Any = None
    error: str | None = None
    stale: bool = False
    duplicate: bool = False
    url: str | None = None


def _claim(key: str) -> Change | None:
    """Insert the submission key; a Change when it was used already (nothing else is done then)."""
    user_id = current_user.id if current_user.is_authenticated else None
    seen = db.session.get(SubmissionKey, key)
    if seen is None:
        try:
            with db.session.begin_nested():
                db.session.add(SubmissionKey(key=key, user_id=user_id))
        except sa.exc.IntegrityError:  # PostgreSQL: a concurrent request with the key committed first
            db.session.rollback()
            seen = db.session.get(SubmissionKey, key)
    if seen is None:
        return None
    flash(_("This form had been sent already; it was recorded once."), "info")
    return Change(False, duplicate=True, url=seen.created_url if seen.user_id == user_id else None)


def run_change(action: Callable[[], Any], success: str | Callable[[Any], str] | None = None, *,
               form=None, field: str | None = None, version=None, stale: str | None = None,
               submission: str | None = None, created_url: Callable[[Any], str | None] | None = None,
               category: str = "success") -> Change:
    if submission is not None:
        duplicate = _claim(submission)
        if duplicate is not None:
            return duplicate
    row = version_field = None
    if version is not None:
        row, version_field = version
        if str(row.version_id) != (version_field.data or ""):
            return _stale(row, version_field, stale)
    try:
        result = action()
        if row is not None:
            _move_version(row, int(version_field.data))
        if submission is not None:
            key = db.session.get(SubmissionKey, submission)
            key.created_url = created_url(result) if created_url else None
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        message = str(exc)
        if form is not None and field is not None:
            form[field].errors = list(form[field].errors) + [message]
        else:
            flash(message, "danger")
        return Change(False, error=message)
    except StaleDataError:
        db.session.rollback()
        return _stale(row, version_field, stale)
    if success:
        flash(success(result) if callable(success) else success, category)
    return Change(True, result=result)


def _move_version(row, opened_at: int) -> None:
    """Make sure the edit moved the row's version: an edit of its lists alone (a firm's trade modes, a
    visit's officers) or one that changed nothing updates no column, so version_id_col checks nothing.
    Then one Core UPDATE moves it, on the condition that it is still the version the form was opened at
    (outside the ORM's flush, so the audit trail records the edit once, as its listener wrote it)."""
    db.session.flush()
    if row.version_id != opened_at:
        return  # the ORM's UPDATE moved it, having checked it
    table = row.__table__
    moved = db.session.execute(
        sa.update(table).where(table.c.id == row.id, table.c.version_id == opened_at)
        .values(version_id=opened_at + 1))
    if moved.rowcount != 1:
        raise StaleDataError(f"{table.name} {row.id} changed meanwhile")
    set_committed_value(row, "version_id", opened_at + 1)


def _stale(row, version_field, message: str | None) -> Change:
    """Nothing written: say so, and let the form be shown again at the row's current version."""
    db.session.rollback()
    text = message or _("Someone else changed this record after you opened the form. Review the current "
                        "values and make your change again.")
    flash(text, "warning")
    g.stale_change = True
    if row is not None:
        db.session.refresh(row)
        version_field.data = str(row.version_id)
    return Change(False, error=text, stale=True)


def form_status(default: int = 200) -> int:
    """The status of a form page shown again: 409 when an edit met a newer version (see _stale)."""
    return 409 if g.get("stale_change") else default
