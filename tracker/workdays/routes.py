"""Admin pages of the working-day calendar, under /admin/calendar; `flask workdays ...` hangs off the blueprint."""
from datetime import date, datetime

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.auth.models import Role
from tracker.extensions import db
from tracker.i18n import LOCAL_TZ
from tracker.permissions import allow, load_or_404
from tracker.workdays import services
from tracker.workdays.cli import show_command
from tracker.workdays.forms import OverrideForm, ScheduleForm
from tracker.workdays.models import CalendarOverride, OverrideKind
from tracker.forms import db_int

bp = Blueprint("workdays", __name__, cli_group="workdays")
bp.cli.add_command(show_command)

# Years the page offers: the library's range.
MIN_YEAR, MAX_YEAR = 1950, 2100


def _this_year() -> int:
    return datetime.now(LOCAL_TZ).year


def _requested_year() -> int:
    year = request.args.get("year", type=db_int)
    return year if year is not None and MIN_YEAR <= year <= MAX_YEAR else _this_year()


def _render(year: int, override_form: OverrideForm, schedule_form: ScheduleForm, status: int = 200):
    overrides = services.year_overrides(year)
    overridden = {o.day for o in overrides}
    library = services.library_year(year, services.display_language())
    library_days = sorted(
        [(day, False, name) for day, name in library.holidays.items()] + [(day, True, None) for day in library.workdays]
    )
    return render_template(
        "admin/calendar.html",
        year=year,
        this_year=_this_year(),
        status=services.year_status(year, overrides),
        library_days=library_days,
        overrides=overrides,
        overridden=overridden,
        override_form=override_form,
        schedule_form=schedule_form,
    ), status


@bp.route("")
@allow(Role.ADMIN)
def calendar():
    return _render(_requested_year(), OverrideForm(prefix="override"), ScheduleForm(prefix="schedule"))


@bp.route("/overrides", methods=["POST"])
@allow(Role.ADMIN)
def add_override():
    form = OverrideForm(prefix="override")
    if form.validate_on_submit():
        try:
            override = services.add_override(form.day.data, OverrideKind(form.kind.data), form.name.data,
                                             by=current_user)
            db.session.commit()
        except services.CalendarError as exc:
            db.session.rollback()
            form.day.errors.append(str(exc))
        except sa.exc.IntegrityError:  # the same day saved by someone else a moment ago
            db.session.rollback()
            form.day.errors.append(
                _("%(day)s already has an override; delete it first to change it.", day=form.day.data.isoformat())
            )
        else:
            flash(_("%(day)s: %(name)s has been added to the calendar.", day=override.day.isoformat(),
                    name=override.name), "success")
            return redirect(url_for(".calendar", year=override.day.year))
    year = form.day.data.year if isinstance(form.day.data, date) else _requested_year()
    return _render(year, form, ScheduleForm(prefix="schedule", formdata=None), 400)


@bp.route("/schedule", methods=["POST"])
@allow(Role.ADMIN)
def add_schedule():
    form = ScheduleForm(prefix="schedule")
    if form.validate_on_submit():
        try:
            created = services.add_schedule(form.lines.data, by=current_user)
            db.session.commit()
        except services.ScheduleError as exc:
            db.session.rollback()
            form.lines.errors.extend(exc.problems)
        except sa.exc.IntegrityError:
            db.session.rollback()
            form.lines.errors.append(_("Someone else changed the calendar meanwhile; please submit it again."))
        else:
            flash(_("Days added to the calendar: %(count)d.", count=len(created)), "success")
            return redirect(url_for(".calendar", year=min(o.day for o in created).year))
    return _render(_requested_year(), OverrideForm(prefix="override", formdata=None), form, 400)


@bp.route("/overrides/<int:override_id>/delete", methods=["POST"])
@allow(Role.ADMIN)
def delete_override(override_id: int):
    override = load_or_404(CalendarOverride, override_id, lock=True)
    day, name = override.day, override.name
    services.delete_override(override)
    db.session.commit()
    flash(_("%(day)s: %(name)s has been removed from the calendar.", day=day.isoformat(), name=name), "success")
    return redirect(url_for(".calendar", year=day.year))
