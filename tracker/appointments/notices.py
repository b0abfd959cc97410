"""Who hears what from the certificate counter, in-app (tracker.notifications) and by e-mail (the outbox).

Imported by tracker/appointments/tasks.py (a job module, loaded by ``jobs.init_app`` in every web process
and consumer), it sets the core's hooks (tracker/appointments/services.py):

- ``rearrange_hook(point, flagged)``: bookings a closure or a change of hours took the slot from. Each
  firm's contacts are told (APPOINTMENT_AFFECTED, and an e-mail to those with an address) and the
  officers and managers of the counter's office get one notice of how many must be rearranged;
- ``completed_hook(appointment)``: the service is done; the firm's contacts get the link to rate it;
- ``poor_rating_hook(rating)``: a 差评 goes to the managers nearest above the counter's office, with the
  day the answer is due; ``answer_hook(rating)``: the firm's contact who rated reads the answer.

It also holds the periodic work the tasks run: the contacts' reminders on the working day before an
appointment (claimed by a conditional UPDATE of ``appointments.reminded_at``: never twice, never for a
cancelled booking) and the officers' daily digest of the next working day's counter (claimed by a
``CounterDigest`` row, unique per officer and day). Notices are idempotent (notify's dedupe key); e-mails
are written in the recipient's language (``users.locale``, else Chinese) in the caller's transaction.
"""
from contextlib import contextmanager
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from tracker.appointments import services
from tracker.appointments.models import (
    Appointment, AppointmentStatus, CounterDigest, ServicePoint, ServiceRating, Slot,
)
from tracker.auth.models import Role, User
from tracker.extensions import db
from tracker.mail.services import queue_mail
from tracker.notifications.models import NotificationKind
from tracker.notifications.services import notify, site_path
from tracker.workdays import services as workdays


# Links and language -------------------------------------------------------------------------------
def appointment_path(appointment: Appointment) -> str:
    return site_path("appointments.detail", appointment_id=appointment.id)


def counter_day_path(point: ServicePoint, day: date) -> str:
    return site_path("counter.day", point_id=point.id, date=day.isoformat())


def rating_path(appointment: Appointment) -> str:
    return site_path("ratings.rate", appointment_id=appointment.id)


def ratings_path() -> str:
    return site_path("ratings.index")


def absolute(path: str) -> str:
    """A link for an e-mail (tracker.notifications.services.absolute_url)."""
    from tracker.notifications.services import absolute_url

    return absolute_url(path)


def language_of(user: User) -> str:
    languages = current_app.config["LANGUAGES"]
    return user.locale if user.locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


@contextmanager
def in_language(user: User):
    with force_locale(language_of(user)):
        yield


def when(appointment: Appointment) -> str:
    """"2019-09-30 09:00": the appointment's day and its slot's start, local time."""
    if appointment.slot is None:
        return appointment.day.isoformat()
    return f"{appointment.day.isoformat()} {services.local_time(appointment.slot.starts_at)}"


def mail_to(user: User, subject, body) -> bool:
    """Queue an e-mail to the user in his language; subject and body are functions called in it."""
    if not user.email or "@" not in user.email:
        return False
    with in_language(user):
        text = body() + "\n\n" + _("This message was sent by the customs enterprise service tracker.")
        queue_mail(user.email.strip(), subject(), text)
    return True


# Who ------------------------------------------------------------------------------------------------
def firm_contacts(enterprise_id: int | None) -> list[User]:
    if enterprise_id is None:
        return []
    return db.session.scalars(sa.select(User).where(
        User.role == Role.ENTERPRISE_CONTACT, User.enterprise_id == enterprise_id, User.active.is_(True))
        .order_by(User.id)).all()


def counter_staff(point: ServicePoint, roles=(Role.OFFICER, Role.MANAGER)) -> list[User]:
    return db.session.scalars(sa.select(User).where(
        User.role.in_(roles), User.office_id == point.office_id, User.active.is_(True)).order_by(User.id)).all()


# The hooks ----------------------------------------------------------------------------------------
def rearrange_hook(point: ServicePoint, flagged: list[Appointment]) -> None:
    """Bookings whose slot was taken away: each firm is told, and the counter's staff once."""
    days: dict[date, int] = {}
    for appointment in flagged:
        days[appointment.day] = days.get(appointment.day, 0) + 1
        if appointment.enterprise_id is None:
            continue
        link = appointment_path(appointment)
        params = {"appointment_id": appointment.id, "enterprise": appointment.who, "counter": point.name,
                  "when": when(appointment), "reason": appointment.rearrange_reason or ""}
        for contact in firm_contacts(appointment.enterprise_id):
            made = notify(contact, NotificationKind.APPOINTMENT_AFFECTED, link=link,
                          dedupe_key=f"rearrange:{appointment.id}:{appointment.slot_id}", params=params)
            if made is None:
                continue  # told already of this very slot
            mail_to(contact, lambda: _("Your appointment at %(counter)s on %(when)s must be moved",
                                       counter=point.name, when=params["when"]),
                    lambda: _("Your appointment at %(counter)s on %(when)s cannot go ahead as booked: %(reason)s\n"
                              "An officer will arrange another slot with you; you can also move it yourself "
                              "here:\n%(link)s", counter=point.name, when=params["when"], reason=params["reason"],
                              link=absolute(link)))
    for day, count in sorted(days.items()):
        stamp = ",".join(str(a.id) for a in flagged if a.day == day)[:60]
        for user in counter_staff(point):
            notify(user, NotificationKind.APPOINTMENT_FLAGGED, link=counter_day_path(point, day),
                   dedupe_key=f"flagged:{point.id}:{day.isoformat()}:{stamp}",
                   params={"counter": point.name, "day": day.isoformat(), "count": count,
                           "reason": flagged[0].rearrange_reason or ""})


def completed_hook(appointment: Appointment) -> None:
    """The service is done: the firm's contacts are asked to rate it (the link in the confirmation)."""
    if appointment.enterprise_id is None:
        return
    link = rating_path(appointment)
    point = appointment.service_point
    for contact in firm_contacts(appointment.enterprise_id):
        mail_to(contact, lambda: _("Served at %(counter)s: please rate the service", counter=point.name),
                lambda: _("%(firm)s was served at %(counter)s on %(when)s (%(type)s).\n"
                          "How was the service? Rate it 好评 or 差评 here:\n%(link)s",
                          firm=appointment.who, counter=point.name, when=when(appointment),
                          type=appointment.certificate_type.name, link=absolute(link)))


def poor_rating_hook(rating: ServiceRating) -> None:
    """A 差评: the managers nearest above the counter's office must answer it by its due day."""
    from tracker.needs.services import managers_over

    appointment = rating.appointment
    point = appointment.service_point
    link = rating_path(appointment)
    due = rating.answer_due.isoformat() if rating.answer_due else ""
    params = {"rating_id": rating.id, "appointment_id": appointment.id, "enterprise": appointment.who,
              "counter": point.name, "due": due}
    for manager in managers_over(point.office):
        if notify(manager, NotificationKind.POOR_RATING, link=link, dedupe_key=f"poor:{rating.id}",
                  params=params) is None:
            continue
        mail_to(manager, lambda: _("差评 from %(firm)s: answer by %(due)s", firm=appointment.who, due=due),
                lambda: _("%(firm)s rated its service at %(counter)s on %(when)s 差评:\n%(comment)s\n\n"
                          "Please answer the firm by %(due)s (one working day):\n%(link)s",
                          firm=appointment.who, counter=point.name, when=when(appointment),
                          comment=rating.comment or "", due=due, link=absolute(link)))


def answer_hook(rating: ServiceRating) -> None:
    """The manager answered a 差评: the contact who rated reads it."""
    if rating.rated_by_id is None:
        return
    contact = db.session.get(User, rating.rated_by_id)
    if contact is None or not contact.active:
        return
    appointment = rating.appointment
    link = rating_path(appointment)
    params = {"rating_id": rating.id, "appointment_id": appointment.id, "enterprise": appointment.who,
              "counter": appointment.service_point.name}
    if notify(contact, NotificationKind.RATING_ANSWERED, link=link, dedupe_key=f"answered:{rating.id}",
              params=params) is None:
        return
    mail_to(contact, lambda: _("%(counter)s has answered your rating", counter=params["counter"]),
            lambda: _("%(counter)s has answered your rating of the service on %(when)s:\n%(answer)s\n\n%(link)s",
                      counter=params["counter"], when=when(appointment), answer=rating.answer or "",
                      link=absolute(link)))


def install() -> None:
    services.rearrange_hook = rearrange_hook
    services.poor_rating_hook = poor_rating_hook
    services.answer_hook = answer_hook
    services.completed_hook = completed_hook


install()


# Reminders: the working day before -------------------------------------------------------------------
def due_for_reminder(today: date) -> list[int]:
    """The BOOKED appointments after *today* up to the next working day (a Monday's on the Friday before;
    a make-up working Sunday's on the Friday too, the Saturday being no working day)."""
    horizon = workdays.next_working_day(today)
    return db.session.scalars(
        sa.select(Appointment.id).where(Appointment.status == AppointmentStatus.BOOKED,
                                        Appointment.reminded_at.is_(None), Appointment.enterprise_id.is_not(None),
                                        Appointment.day > today, Appointment.day <= horizon)
        .order_by(Appointment.id)).all()


def claim_reminder(appointment_id: int, now: datetime) -> bool:
    """Mark the appointment reminded unless it is already, or no longer booked: of two runs, concurrent or
    not, exactly one gets the row (on PostgreSQL the second waits for the first's row lock, then finds
    reminded_at set; SQLite serialises the writers)."""
    result = db.session.execute(
        sa.update(Appointment)
        .where(Appointment.id == appointment_id, Appointment.reminded_at.is_(None),
               Appointment.status == AppointmentStatus.BOOKED)
        .values(reminded_at=now).execution_options(synchronize_session=False))
    return result.rowcount == 1


def send_reminders(today: date | None = None, now: datetime | None = None) -> int:
    """On a working day, e-mail each contact (with an address) of the firms booked for the next working
    day. Each appointment is claimed once, in the same transaction as its e-mails: the caller commits.
    Returns how many e-mails were queued."""
    now = now or services.clock()
    today = today or services.local_day(now)
    if not workdays.is_working_day(today):
        return 0
    queued = 0
    for appointment_id in due_for_reminder(today):
        if not claim_reminder(appointment_id, now):
            continue
        appointment = db.session.scalars(
            sa.select(Appointment).where(Appointment.id == appointment_id)
            .options(joinedload(Appointment.slot), joinedload(Appointment.service_point),
                     joinedload(Appointment.certificate_type))
            .execution_options(populate_existing=True)).one()
        point = appointment.service_point
        link = absolute(appointment_path(appointment))
        for contact in firm_contacts(appointment.enterprise_id):
            queued += mail_to(
                contact,
                lambda: _("Reminder: your appointment at %(counter)s on %(when)s", counter=point.name,
                          when=when(appointment)),
                lambda: _("%(firm)s is booked at %(counter)s on %(when)s for %(quantity)d %(type)s "
                          "certificate(s) to %(country)s.\nPlease bring the documents. If you cannot come, "
                          "cancel or move the booking here:\n%(link)s",
                          firm=appointment.who, counter=point.name, when=when(appointment),
                          quantity=appointment.quantity, type=appointment.certificate_type.name,
                          country=services.country_name(appointment.destination_country, language_of(contact)),
                          link=link))
    db.session.flush()
    return queued


# The officers' digest of the next working day's counter ---------------------------------------------------
def day_appointments(point: ServicePoint, day: date) -> list[Appointment]:
    return db.session.scalars(
        sa.select(Appointment).join(Slot, Slot.id == Appointment.slot_id)
        .where(Appointment.service_point_id == point.id, Appointment.day == day,
               Appointment.status == AppointmentStatus.BOOKED)
        .options(joinedload(Appointment.slot), joinedload(Appointment.enterprise),
                 joinedload(Appointment.certificate_type))
        .order_by(Slot.starts_at, Appointment.id)).all()


def claim_digest(user: User, day: date, now: datetime) -> bool:
    """Insert the officer's digest row for the day; False when one exists (sent already, or by a concurrent
    run: the unique constraint decides)."""
    exists = db.session.scalar(sa.select(CounterDigest.id).where(CounterDigest.user_id == user.id,
                                                                 CounterDigest.day == day))
    if exists is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(CounterDigest(user_id=user.id, day=day, queued_at=now))
    except IntegrityError:
        return False
    return True


def digest_text(point: ServicePoint, day: date, appointments: list[Appointment], now: datetime) -> str:
    lines = [_("%(counter)s on %(day)s: %(count)d appointment(s).", counter=point.name, day=day.isoformat(),
               count=len(appointments))]
    for a in appointments:
        risk = " " + _("[sailing at risk: %(day)s]", day=a.sailing_date.isoformat()) \
            if a.sailing_at_risk(a.slot.starts_at if a.slot else now) else ""
        lines.append(_("%(time)s  %(firm)s  %(type)s × %(quantity)d", time=services.local_time(a.slot.starts_at),
                       firm=a.who, type=a.certificate_type.name, quantity=a.quantity) + risk)
    if not appointments:
        lines.append(_("Nobody has booked yet."))
    lines.append("")
    lines.append(absolute(counter_day_path(point, day)))
    return "\n".join(lines)


def send_digests(today: date | None = None, now: datetime | None = None) -> int:
    """On a working day, each officer (with an address) of each active counter's office gets one e-mail of
    the next working day's bookings. The caller commits. Returns how many were queued."""
    now = now or services.clock()
    today = today or services.local_day(now)
    if not workdays.is_working_day(today):
        return 0
    day = workdays.next_working_day(today)
    queued = 0
    points = db.session.scalars(sa.select(ServicePoint).where(ServicePoint.active.is_(True))
                                .order_by(ServicePoint.id)).all()
    for point in points:
        officers = [u for u in counter_staff(point, roles=(Role.OFFICER,)) if u.email and "@" in u.email]
        if not officers:
            continue
        appointments = day_appointments(point, day)
        for officer in officers:
            if not claim_digest(officer, day, now):
                continue
            queued += mail_to(officer, lambda: _("%(counter)s on %(day)s: %(count)d appointment(s)",
                                                 counter=point.name, day=day.isoformat(), count=len(appointments)),
                              lambda: digest_text(point, day, appointments, now))
    db.session.flush()
    return queued


def materialize_all(now: datetime | None = None) -> int:
    """Slots for the booking window of every active counter (the daily job). Returns how many were made."""
    now = now or services.clock()
    made = 0
    for point in db.session.scalars(sa.select(ServicePoint).where(ServicePoint.active.is_(True))
                                    .order_by(ServicePoint.id)).all():
        made += services.materialize_ahead(point, now=now).made
    return made
