"""Appointments as iCalendar (RFC 5545): one appointment's .ics and a firm's private feed.

Events are in Chinese whatever the reader's language (a feed is read by a calendar, not a signed-in user),
their times in Asia/Shanghai with the VTIMEZONE included; an event's UID is stable per appointment and its
SEQUENCE follows the row's version, so that a calendar updates a moved or cancelled appointment in place.
"""
from datetime import datetime, timedelta

from flask import Response
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event

from tracker.appointments import services
from tracker.appointments.models import Appointment, AppointmentStatus
from tracker.i18n import LOCAL_TZ
from tracker.types import utcnow

PRODID = "-//Customs enterprise outreach tracker//Certificate counter//ZH"


def uid(appointment: Appointment) -> str:
    return f"appointment-{appointment.id}@customs-outreach-tracker"


def _times(appointment: Appointment) -> tuple[datetime, datetime]:
    if appointment.slot is not None:
        start, end = appointment.slot.starts_at, appointment.slot.ends_at
    else:  # a walk-in: from its check-in, one slot long
        start = appointment.checked_in_at or appointment.booked_at
        end = appointment.finished_at or start + timedelta(minutes=appointment.service_point.slot_minutes)
    return start.astimezone(LOCAL_TZ), end.astimezone(LOCAL_TZ)


def summary(appointment: Appointment) -> str:
    text = _("Certificate of origin appointment: %(counter)s", counter=appointment.service_point.name)
    if appointment.queue_number:
        text += " " + _("No. %(number)d", number=appointment.queue_number)
    if appointment.status is AppointmentStatus.CANCELLED:
        text = _("(Cancelled) %(text)s", text=text)
    return text


def description(appointment: Appointment) -> str:
    lines = [
        _("Certificate type: %(type)s", type=appointment.certificate_type.name),
        _("Number of certificates: %(n)d", n=appointment.quantity),
        _("Destination country: %(country)s", country=services.country_name(appointment.destination_country, "zh")),
    ]
    if appointment.sailing_date:
        lines.append(_("Sailing date: %(day)s", day=appointment.sailing_date.isoformat()))
    if appointment.vessel:
        lines.append(_("Vessel: %(vessel)s", vessel=appointment.vessel))
    if appointment.port:
        lines.append(_("Port of loading: %(port)s", port=appointment.port))
    if appointment.enterprise is not None:
        lines.append(_("Enterprise: %(name)s", name=appointment.enterprise.name))
    lines.append(_("Status: %(status)s", status=appointment.status.label))
    return "\n".join(lines)


def event(appointment: Appointment) -> Event:
    start, end = _times(appointment)
    point = appointment.service_point
    item = Event()
    item.add("uid", uid(appointment))
    item.add("dtstamp", utcnow())
    item.add("dtstart", start)
    item.add("dtend", end)
    item.add("summary", summary(appointment))
    item.add("location", " ".join(part for part in (point.name, point.address) if part))
    item.add("description", description(appointment))
    item.add("sequence", max(0, (appointment.version_id or 1) - 1))
    item.add("status", "CANCELLED" if appointment.status is AppointmentStatus.CANCELLED else "CONFIRMED")
    return item


def calendar(appointments: list[Appointment], name: str | None = None) -> bytes:
    with force_locale("zh"):
        cal = Calendar()
        cal.add("prodid", PRODID)
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("method", "PUBLISH")
        if name:
            cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", "Asia/Shanghai")
        for appointment in appointments:
            cal.add_component(event(appointment))
        cal.add_missing_timezones()
        return cal.to_ical()


def response(body: bytes, filename: str, *, private: bool = False) -> Response:
    out = Response(body, mimetype="text/calendar")
    out.headers["Content-Type"] = "text/calendar; charset=utf-8"
    out.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    out.headers["Cache-Control"] = "private, no-store" if private else "private, no-cache"
    out.headers["Referrer-Policy"] = "no-referrer"
    return out
