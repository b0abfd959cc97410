"""The date rules of the tracker, in one place: what a visit, a deadline, an extension and a follow-up may be dated.

Each rule is a function that returns the translated reason a date is refused, or None when it is fine.
Forms call them in their validators (so one answer lists every problem with the fields it belongs to);
services call them again through require() (so a caller that skips the form, the demo or a script, gets
the same refusal as a DomainError). "Today" is the office's day (Asia/Shanghai, tracker.i18n.local_today);
services take it as a parameter where history is replayed (the demo records 2019 as of 2019).

Why a module of its own rather than tracker/i18n.py (languages and time display) or tracker/workdays/ (a
feature package with tables, the working-day calendar): these rules are domain facts shared by visits,
needs and plans, need no table, and must not import any feature (campaigns come in as plain years).
"""
from datetime import date

from flask_babel import gettext as _

from tracker.domain import DomainError
from tracker.i18n import local_today


def require(problem: str | None) -> None:
    """Raise the rule's refusal, if any (for services)."""
    if problem:
        raise DomainError(problem)


def _today(today: date | None) -> date:
    return today or local_today()


# Visits -------------------------------------------------------------------------------------------
def visit_date_problem(visited_on: date | None, campaign_year: int | None = None,
                       today: date | None = None) -> str | None:
    """A visit has happened (not after today) and does not predate the year of the campaign it counts toward."""
    if visited_on is None:
        return None
    if visited_on > _today(today):
        return _("A visit cannot be dated in the future (today is %(today)s).", today=_today(today).isoformat())
    return campaign_year_problem(visited_on, campaign_year)


def campaign_year_problem(visited_on: date | None, campaign_year: int | None) -> str | None:
    """A visit counts toward a campaign of its own year or an earlier one, never a later one."""
    if visited_on is not None and campaign_year is not None and visited_on.year < campaign_year:
        return _("A visit on %(day)s cannot count toward a campaign of %(year)d: choose another campaign or "
                 "none.", day=visited_on.isoformat(), year=campaign_year)
    return None


def follow_up_date_problem(follow_up_on: date | None, visited_on: date | None) -> str | None:
    """A visit's planned follow-up comes on or after the visit."""
    if follow_up_on is not None and visited_on is not None and follow_up_on < visited_on:
        return _("The follow-up date cannot be before the visit.")
    return None


def campaign_for_date(campaigns, visited_on: date):
    """The campaign a visit on *visited_on* counts toward by default: the first of *campaigns* (newest first)
    whose year is the visit's year, or None when there is none (the form then says so)."""
    return next((c for c in campaigns if c.declaration_year == visited_on.year), None)


# Deadlines ----------------------------------------------------------------------------------------
def deadline_problem(deadline: date | None, previous: date | None = None, today: date | None = None) -> str | None:
    """A deadline that is set or changed is not in the past; one left as it was (*previous*) stays, however
    old, so that an edit of other fields still saves."""
    if deadline is None or deadline == previous:
        return None
    if deadline < _today(today):
        return _("A deadline cannot be in the past (today is %(today)s).", today=_today(today).isoformat())
    return None


def need_deadline_problem(deadline: date | None, raised_on: date | None, today: date | None = None) -> str | None:
    """A need's own deadline (when one is given instead of the category's) is neither past nor before it was raised."""
    if deadline is not None and raised_on is not None and deadline < raised_on:
        return _("The deadline cannot be before the day the need was raised.")
    return deadline_problem(deadline, today=today)


def extension_problem(new_deadline: date | None, current: date, today: date | None = None) -> str | None:
    """An extension moves the deadline later than the current one, and not to a day already gone."""
    if new_deadline is None:
        return None
    if new_deadline <= current:
        return _("The new deadline must be after the current one (%(day)s).", day=current.isoformat())
    return deadline_problem(new_deadline, today=today)


# Things that happened -----------------------------------------------------------------------------
def raised_on_problem(raised_on: date | None, today: date | None = None) -> str | None:
    """A need is recorded on or after the day it was raised."""
    if raised_on is not None and raised_on > _today(today):
        return _("A need cannot have been raised in the future (today is %(today)s).", today=_today(today).isoformat())
    return None


def follow_up_call_problem(held_on: date | None, today: date | None = None) -> str | None:
    """A follow-up call (回访) is recorded once it has been made."""
    if held_on is not None and held_on > _today(today):
        return _("A follow-up cannot be dated in the future.")
    return None


def callback_date_problem(held_on: date | None, visited_on: date, today: date | None = None) -> str | None:
    """A visit's follow-up (回访) was held neither in the future nor before the visit."""
    if held_on is not None and held_on < visited_on:
        return _("The follow-up cannot be before the visit.")
    return follow_up_call_problem(held_on, today)
