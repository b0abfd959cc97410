"""Report section: the certificate counter (原产地证窗口) of the report's offices.

What it counts, under ``scope.appointment_conditions()`` (the counters of the report's offices, appointments
whose day is in the period, with the officer filter those the officer served; the department filter does not
apply, and the counter serves every firm, on the campaign's roster or not):

- **booked**: appointments made for a slot (not walk-ins), not cancelled;
- **served**: appointments COMPLETED, walk-ins included;
- **no-show rate**: NO_SHOW among the booked appointments whose day has passed (day before the report's
  today), over those booked appointments. Today is left out of both: until the day is over a late firm may
  still check in, and a booking is only a no-show once its slot and the grace period are over;
- **walk-ins** (即到即办): appointments made at the counter without a slot, not cancelled;
- **waiting time**: check-in to the call to a window, in minutes, over every appointment checked in and called
  (served, turned away as a wasted trip, or still at the window); mean and 90th percentile (nearest rank);
- **handling time**: start of service to its end, in minutes, over the COMPLETED services only (a wasted
  trip ends at once and is counted as such, not as a short service); mean and 90th percentile;
- **wasted trips** (空跑): appointments WASTED; each is listed on the dashboard (the goal is zero);
- **sailings at risk**: appointments not cancelled whose sailing date is at most two days after their day
  (sailing_date - day <= 2 days); **served in time**: of those, the share COMPLETED on or before the sailing
  date (local date of finished_at <= sailing_date);
- **certificates issued**: the sum of IssuedCertificate.quantity of the appointments counted;
- **好评 / 差评**: the ratings of the services counted (by the service's day, not the day of the rating);
  **差评 answered late**: poor ratings answered after their due day (local date of the answer later than
  answer_due) or not answered and due before the report's today.

Every figure with a previous value is computed for both periods in the same statement: the rows of the union
of the two periods (contiguous, so one range of days on the (service_point_id, day) indexes) grouped by the
period they belong to, each figure a count(...) FILTER (WHERE ...). The section costs six statements whatever
the data: the totals (appointments with their ratings, and the certificates, each grouped by period, joined),
the percentiles, the weeks, the certificates by type and by destination, and the two lists shown in full
(none when the list is empty).

The certificate tables count certificates (a sum of quantities) and services; the list behind a row is its
services, so a row's list has as many rows as its "Services" column.
"""
from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import sqlalchemy as sa
from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager, joinedload

from tracker.appointments.models import (
    Appointment, AppointmentStatus, CertificateType, IssuedCertificate, ServiceRating, WastedReason,
)
from tracker.i18n import local_datetime
from tracker.reports import cache, sql
from tracker.reports.figures import Column, Figure, Listing, ListingPreview, Row, Section, Table, share
from tracker.reports.listings import listing
from tracker.reports.scope import ReportScope

S = AppointmentStatus
# A sailing at most this many days after the appointment's day puts it at risk.
AT_RISK_DAYS = 2
# Rows of a list shown in full on the dashboard (wasted trips, poor ratings answered late).
PREVIEW_ROWS = 50
# Destinations shown one by one; the rest are one "others" row.
TOP_COUNTRIES = 10
OTHERS = "others"


def _locale() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "zh"


# What each figure counts: SQL conditions on Appointment (and ServiceRating), shared by figures and listings ----
def booked() -> sa.ColumnElement:
    return sa.and_(Appointment.walk_in.is_(False), Appointment.status != S.CANCELLED)


def walk_in() -> sa.ColumnElement:
    return sa.and_(Appointment.walk_in.is_(True), Appointment.status != S.CANCELLED)


def served() -> sa.ColumnElement:
    return Appointment.status == S.COMPLETED


def day_passed(today: date) -> sa.ColumnElement:
    """Booked appointments whose day is over: the no-show rate's whole."""
    return sa.and_(booked(), Appointment.day < today)


def no_show(today: date) -> sa.ColumnElement:
    return sa.and_(day_passed(today), Appointment.status == S.NO_SHOW)


def wasted(reason: WastedReason | None = None) -> sa.ColumnElement:
    condition = Appointment.status == S.WASTED
    return condition if reason is None else sa.and_(condition, Appointment.wasted_reason == reason)


def at_risk() -> sa.ColumnElement:
    return sa.and_(Appointment.sailing_date.is_not(None), Appointment.status != S.CANCELLED,
                   Appointment.sailing_date <= sql.add_days(Appointment.day, AT_RISK_DAYS))


def in_time() -> sa.ColumnElement:
    """Of the appointments at risk: served on or before the sailing date."""
    return sa.and_(Appointment.status == S.COMPLETED, Appointment.finished_at.is_not(None),
                   sql.local_date(Appointment.finished_at) <= Appointment.sailing_date)


def answered_late(today: date) -> sa.ColumnElement:
    return sa.and_(
        ServiceRating.good.is_(False), ServiceRating.answer_due.is_not(None),
        sa.or_(sa.and_(ServiceRating.answered_at.is_not(None),
                       sql.local_date(ServiceRating.answered_at) > ServiceRating.answer_due),
               sa.and_(ServiceRating.answered_at.is_(None), ServiceRating.answer_due < today)))


def waiting_seconds():
    return sql.seconds_between(Appointment.checked_in_at, Appointment.called_at)


def handling_seconds():
    return sql.seconds_between(Appointment.started_at, Appointment.finished_at)


def both_periods(scope: ReportScope) -> list[sa.ColumnElement]:
    """The appointments of the period and of the one before (contiguous: one range of days)."""
    return [*scope.appointment_conditions(in_period=False),
            Appointment.day.between(scope.previous.period.start, scope.period.end)]


def _minutes(seconds) -> float | None:
    return None if seconds is None else float(seconds) / 60.0


# The statements --------------------------------------------------------------------------------------------
def period_of(scope: ReportScope) -> sa.ColumnElement:
    """'current' or 'previous': the period an appointment of both_periods belongs to."""
    return sa.case((Appointment.day >= scope.period.start, "current"), else_="previous")


COUNTS = ("booked", "served", "day_passed", "no_show", "walk_ins", "wasted", "at_risk", "in_time", "waiting_n",
          "handling_n", "good", "poor", "late", "certificates", "certified",
          *(f"wasted_{reason.value}" for reason in WastedReason))


def _totals(scope: ReportScope) -> dict:
    """Every headline figure of both periods in one statement: the appointments (with their ratings) and the
    certificates, each grouped by period, joined on it. Returns {name: current, name_prev: previous}."""
    today = scope.today
    where = both_periods(scope)

    def count(condition):
        return sa.func.count().filter(condition)

    checked_and_called = sa.and_(Appointment.checked_in_at.is_not(None), Appointment.called_at.is_not(None))
    started_and_finished = sa.and_(Appointment.started_at.is_not(None), Appointment.finished_at.is_not(None))
    period = period_of(scope)
    # The ratings ride along with their appointments (one rating per appointment at most: no row is doubled).
    appointments = sa.select(
        period.label("period"),
        count(booked()).label("booked"), count(served()).label("served"),
        count(day_passed(today)).label("day_passed"), count(no_show(today)).label("no_show"),
        count(walk_in()).label("walk_ins"), count(wasted()).label("wasted"),
        count(at_risk()).label("at_risk"), count(sa.and_(at_risk(), in_time())).label("in_time"),
        sa.func.avg(waiting_seconds()).label("waiting_mean"), count(checked_and_called).label("waiting_n"),
        sa.func.avg(handling_seconds()).filter(served()).label("handling_mean"),
        count(sa.and_(served(), started_and_finished)).label("handling_n"),
        *(count(wasted(reason)).label(f"wasted_{reason.value}") for reason in WastedReason),
        count(ServiceRating.good.is_(True)).label("good"), count(ServiceRating.good.is_(False)).label("poor"),
        count(answered_late(today)).label("late"),
    ).select_from(Appointment).outerjoin(ServiceRating, ServiceRating.appointment_id == Appointment.id) \
        .where(*where).group_by(period).subquery("a")

    certificates = sa.select(
        period.label("period"), sa.func.sum(IssuedCertificate.quantity).label("certificates"),
        sa.func.count(sa.distinct(IssuedCertificate.appointment_id)).label("certified"),
    ).select_from(IssuedCertificate).join(Appointment, Appointment.id == IssuedCertificate.appointment_id) \
        .where(*where).group_by(period).subquery("c")

    stmt = sa.select(appointments, certificates.c.certificates, certificates.c.certified) \
        .select_from(appointments).outerjoin(certificates, certificates.c.period == appointments.c.period)
    found = {row.period: row._mapping for row in cache.execute(stmt)}
    totals: dict = {}
    for group, suffix in (("current", ""), ("previous", "_prev")):
        row = found.get(group, {})
        for name in (*COUNTS, "waiting_mean", "handling_mean"):
            value = row.get(name)
            totals[name + suffix] = (value or 0) if name in COUNTS else value
    return totals


def _percentiles(scope: ReportScope) -> dict:
    """The 90th percentiles of waiting and handling, both periods: one statement."""
    period = period_of(scope)
    where = both_periods(scope)
    found = sql.percentiles_by(cache.reader, {
        "waiting": (waiting_seconds(), period, where),
        "handling": (handling_seconds(), period, [*where, served()]),
    }, percents=(90,))
    return {(name, group): values.get(90) for (name, group), values in found.items()}


def week_mondays(scope: ReportScope) -> list[date]:
    first = scope.period.start - timedelta(days=scope.period.start.weekday())
    weeks = []
    while first <= scope.period.end:
        weeks.append(first)
        first += timedelta(days=7)
    return weeks


def _weeks(scope: ReportScope) -> Table:
    week = sql.week_start(Appointment.day)
    rows = cache.execute(
        sa.select(week.label("week"), sa.func.count().filter(booked()), sa.func.count().filter(served()),
                  sa.func.count().filter(walk_in()), sa.func.count().filter(Appointment.status == S.NO_SHOW))
        .where(*scope.appointment_conditions(), Appointment.status != S.CANCELLED).group_by(week)).all()
    by_week = {str(w): list(values) for w, *values in rows}
    table_rows = []
    for monday in week_mondays(scope):
        key = monday.isoformat()
        table_rows.append(Row(label=key, values=by_week.get(key, [0, 0, 0, 0]), key=key,
                              listing="appointments.all", listing_args={"week": key, "walk_in": "0"}))
    return Table(key="counter.weeks", title=_("Appointments per week"),
                 columns=[_("Week (Monday)"), _("Booked"), _("Served"), _("Walk-ins"), _("No-shows")],
                 rows=table_rows, chart="line",
                 note=_("A row's list is its booked appointments; the weeks are ISO weeks, from Monday."))


def _certificates(scope: ReportScope) -> tuple[Table, Table]:
    """Certificates issued by type and by destination: one statement (two groupings in a UNION ALL)."""
    conditions = scope.appointment_conditions()
    quantity = sa.func.sum(IssuedCertificate.quantity)
    by_type = (sa.select(sa.literal_column("'type'").label("kind"),
                         sa.cast(CertificateType.id, sa.String).label("key"), CertificateType.name.label("name"),
                         CertificateType.name_en.label("name_en"), CertificateType.sort_order.label("sort"),
                         quantity.label("quantity"), sa.func.count(IssuedCertificate.id).label("services"))
               .select_from(IssuedCertificate)
               .join(Appointment, Appointment.id == IssuedCertificate.appointment_id)
               .join(CertificateType, CertificateType.id == IssuedCertificate.certificate_type_id)
               .where(*conditions)
               .group_by(CertificateType.id, CertificateType.name, CertificateType.name_en, CertificateType.sort_order))
    by_country = (sa.select(sa.literal_column("'country'").label("kind"), Appointment.destination_country,
                            sa.cast(sa.null(), sa.String), sa.cast(sa.null(), sa.String),
                            sa.cast(sa.null(), sa.Integer), quantity,
                            sa.func.count(sa.distinct(Appointment.id)))
                  .select_from(IssuedCertificate)
                  .join(Appointment, Appointment.id == IssuedCertificate.appointment_id)
                  .where(*conditions).group_by(Appointment.destination_country))
    rows = cache.execute(sa.union_all(by_type, by_country)).all()
    locale = _locale()

    types = sorted((r for r in rows if r.kind == "type"), key=lambda r: (r.sort, r.name, r.key))
    type_rows = [Row(label=CertificateType.display_name(SimpleNamespace(name=r.name, name_en=r.name_en), locale),
                     values=[int(r.quantity), int(r.services)], key=r.key,
                     listing="certificates.issued", listing_args={"type": r.key}) for r in types]

    from tracker.appointments.services import country_name

    countries = sorted((r for r in rows if r.kind == "country"),
                       key=lambda r: (-int(r.quantity), -int(r.services), r.key))
    country_rows = [Row(label=country_name(r.key, locale), values=[int(r.quantity), int(r.services)], key=r.key,
                        listing="certificates.issued", listing_args={"country": r.key})
                    for r in countries[:TOP_COUNTRIES]]
    if rest := countries[TOP_COUNTRIES:]:
        country_rows.append(Row(label=_("Other countries (%(n)d)", n=len(rest)),
                                values=[sum(int(r.quantity) for r in rest), sum(int(r.services) for r in rest)],
                                key=OTHERS, listing="certificates.issued", listing_args={"country": OTHERS}))
    columns = [_("Certificates"), _("Services")]
    note = _("A row's list is its services (the Services column).")
    return (Table(key="counter.certificate_types", title=_("Certificates by type"),
                  columns=[_("Certificate type"), *columns], rows=type_rows, chart="bar", note=note),
            Table(key="counter.destinations", title=_("Certificates by destination"),
                  columns=[_("Destination country"), *columns], rows=country_rows, chart="bar",
                  note=_("The %(n)d destinations with the most certificates, then the others. A row's list is its "
                         "services (the Services column).", n=TOP_COUNTRIES)))


def _preview(item: Listing, total: int, **args) -> ListingPreview:
    # Sent whatever the total, so the page costs the same statements with and without such rows.
    rows = cache.first_entities(item.select, item.options or (), PREVIEW_ROWS)
    return ListingPreview(listing=item, rows=rows, total=total, listing_args=args)


# The section -----------------------------------------------------------------------------------------------
def sections(scope: ReportScope) -> list[Section]:
    t = _totals(scope)
    p90 = _percentiles(scope)

    def fig(key, label, name, **kw) -> Figure:
        return Figure(key=f"counter.{key}", label=label, value=t[name], previous=t[f"{name}_prev"], **kw)

    def minutes(key, label, name, note) -> Figure:
        return Figure(key=f"counter.{key}", label=label, value=_minutes(t[name]), previous=_minutes(t[f"{name}_prev"]),
                      kind="minutes", better="down", note=note)

    def p90_fig(key, label, measure, note) -> Figure:
        return Figure(key=f"counter.{key}", label=label, value=_minutes(p90.get((measure, "current"))),
                      previous=_minutes(p90.get((measure, "previous"))), kind="minutes", better="down", note=note)

    waits = _("over %(n)d waits", n=t["waiting_n"])
    services = _("over %(n)d services", n=t["handling_n"])
    figures = [
        fig("booked", _("Appointments booked"), "booked", listing="appointments.all", listing_args={"walk_in": "0"},
            better=None, note=_("Booked for a slot, not cancelled.")),
        fig("served", _("Served"), "served", listing="appointments.all", listing_args={"status": S.COMPLETED.value},
            note=_("Walk-ins included.")),
        Figure(key="counter.no_show_rate", label=_("No-show rate"),
               value=share(t["no_show"], t["day_passed"]), previous=share(t["no_show_prev"], t["day_passed_prev"]),
               kind="share", better="down", listing="appointments.no_show",
               note=_("%(n)d of %(total)d booked appointments whose day has passed.", n=t["no_show"],
                      total=t["day_passed"])),
        fig("walk_ins", _("Walk-ins"), "walk_ins", listing="appointments.all", listing_args={"walk_in": "1"},
            better=None),
        minutes("waiting_mean", _("Mean waiting time"), "waiting_mean",
                _("From check-in to the call, %(over)s.", over=waits)),
        p90_fig("waiting_p90", _("Waiting time, 90th percentile"), "waiting",
                _("Nine waits in ten were no longer.")),
        minutes("handling_mean", _("Mean handling time"), "handling_mean",
                _("From the start of service to its end, %(over)s.", over=services)),
        p90_fig("handling_p90", _("Handling time, 90th percentile"), "handling",
                _("Nine services in ten took no longer.")),
        fig("wasted", _("Wasted trips"), "wasted", listing="appointments.wasted", better="down",
            note=_("The firm came and could not be served; the goal is zero.")),
        fig("at_risk", _("Sailings at risk"), "at_risk", listing="appointments.at_risk", better=None,
            note=_("Sailing at most %(n)d days after the appointment's day.", n=AT_RISK_DAYS)),
        Figure(key="counter.at_risk_in_time", label=_("Sailings at risk served in time"),
               value=share(t["in_time"], t["at_risk"]), previous=share(t["in_time_prev"], t["at_risk_prev"]),
               kind="share", listing="appointments.at_risk", listing_args={"in_time": "1"},
               note=_("%(n)d of %(total)d served on or before the sailing date.", n=t["in_time"],
                      total=t["at_risk"])),
        fig("certificates", _("Certificates issued"), "certificates", listing="certificates.issued",
            note=_("In %(n)d services; the list shows the services.", n=t["certified"])),
        fig("good", _("Good ratings"), "good", listing="ratings.all", listing_args={"good": "1"}),
        fig("poor", _("Poor ratings"), "poor", listing="ratings.all", listing_args={"good": "0"},
            better="down"),
        fig("poor_late", _("Poor ratings answered late"), "late", listing="ratings.all", listing_args={"late": "1"},
            better="down", note=_("Answered after the day due, or due and still unanswered.")),
    ]

    reasons = [Row(label=str(reason.label), values=[t[f"wasted_{reason.value}"]], key=reason.value,
                   listing="appointments.wasted", listing_args={"reason": reason.value}) for reason in WastedReason]
    tables = [
        _weeks(scope),
        Table(key="counter.wasted_reasons", title=_("Wasted trips by reason"), columns=[_("Reason"), _("Wasted trips")],
              rows=reasons if t["wasted"] else [], chart="bar"),
        *_certificates(scope),
    ]
    lists = [_preview(wasted_trips(scope, {}), t["wasted"]),
             _preview(ratings(scope, {"late": "1"}), t["late"], late="1")]
    return [Section(key="counter", title=_("Certificate counter"), figures=figures, tables=tables, lists=lists,
                    note=_("Appointments at the counters of these offices on days of the period, every firm "
                           "included (on the roster or not); with an officer, those he served. The department "
                           "filter does not apply."))]


# Drill-down listings ---------------------------------------------------------------------------------------
def _nothing() -> sa.ColumnElement:
    return sa.false()


def _detail(a: Appointment) -> str:
    return url_for("appointments.detail", appointment_id=a.id)


def _who(a: Appointment) -> str:
    return a.who


def _officer(a: Appointment) -> str:
    return a.served_by.label if a.served_by is not None else ""


APPOINTMENT_OPTIONS = (joinedload(Appointment.enterprise), joinedload(Appointment.certificate_type),
                       joinedload(Appointment.served_by), joinedload(Appointment.slot))


def _time(a: Appointment) -> str:
    if a.slot is not None:
        return local_datetime(a.slot.starts_at, "HH:mm")
    return local_datetime(a.checked_in_at, "HH:mm")


def _appointment_columns() -> list[Column]:
    from tracker.appointments.services import country_name

    locale = _locale()

    def mins(span) -> str:
        return "" if span is None else f"{span.total_seconds() / 60:.0f}"

    return [
        Column("day", _("Day"), lambda a: a.day.isoformat(), kind="lead"),
        Column("time", _("Time"), _time),
        Column("who", _("Firm or visitor"), _who, link=_detail, kind="title"),
        Column("certificate", _("Certificate type"), lambda a: a.certificate_type.display_name(locale)),
        Column("destination", _("Destination country"), lambda a: country_name(a.destination_country, locale)),
        Column("status", _("Status"), lambda a: str(a.status.label), kind="status"),
        Column("walk_in", _("Walk-in"), lambda a: _("Walk-in") if a.walk_in else ""),
        Column("sailing", _("Sailing date"), lambda a: a.sailing_date.isoformat() if a.sailing_date else ""),
        Column("waiting", _("Waiting (min)"), lambda a: mins(a.waiting_time), align="end"),
        # As the figure measures it: a service's handling only (a wasted trip's is not one).
        Column("handling", _("Handling (min)"),
               lambda a: mins(a.handling_time) if a.status is S.COMPLETED else "", align="end"),
        Column("finished", _("Finished at"), lambda a: local_datetime(a.finished_at)),
        Column("officer", _("Served by"), _officer),
    ]


def _appointments(key: str, title: str, scope: ReportScope, conditions, columns=None, order=None) -> Listing:
    where = [*scope.appointment_conditions(), *conditions]
    return Listing(key=key, title=title, columns=columns or _appointment_columns(),
                   select=sa.select(Appointment).where(*where).order_by(*(order or (Appointment.day, Appointment.id))),
                   count=sa.select(sa.func.count()).select_from(Appointment).where(*where),
                   options=APPOINTMENT_OPTIONS)


def _monday(value) -> date | None:
    try:
        day = date.fromisoformat(str(value).strip())
    except ValueError:
        return None
    # The years a report may cover (as the period's dates); a Monday, as week_start gives them.
    return day if day.weekday() == 0 and 1900 <= day.year <= 2999 else None


@listing("appointments.all")
def all_appointments(scope: ReportScope, args) -> Listing:
    """The appointments (cancelled ones only when asked by status), by status, ISO week (its Monday) and
    walk-in (1) or booked (0)."""
    conditions: list = []
    titles = []
    if (status := args.get("status")) is not None:
        try:
            status = S(status)
        except ValueError:
            conditions.append(_nothing())
        else:
            conditions.append(Appointment.status == status)
            titles.append(str(status.label))
    else:
        conditions.append(Appointment.status != S.CANCELLED)
    if (week := args.get("week")) is not None:
        if (monday := _monday(week)) is None:
            conditions.append(_nothing())
        else:
            conditions.append(Appointment.day.between(monday, monday + timedelta(days=6)))
            titles.append(_("week of %(day)s", day=monday.isoformat()))
    if (kind := args.get("walk_in")) is not None:
        if kind == "1":
            conditions.append(Appointment.walk_in.is_(True))
            titles.append(_("walk-ins"))
        elif kind == "0":
            conditions.append(Appointment.walk_in.is_(False))
            titles.append(_("booked"))
        else:
            conditions.append(_nothing())
    title = _("Appointments")
    if titles:
        title = f"{title} · {' · '.join(titles)}"
    return _appointments("appointments.all", title, scope, conditions)


def _wasted_columns() -> list[Column]:
    locale = _locale()
    return [
        Column("day", _("Day"), lambda a: a.day.isoformat(), kind="lead"),
        Column("who", _("Firm or visitor"), _who, link=_detail, kind="title"),
        Column("certificate", _("Certificate type"), lambda a: a.certificate_type.display_name(locale)),
        Column("reason", _("Reason"), lambda a: str(a.wasted_reason.label) if a.wasted_reason else "",
               kind="status"),
        Column("note", _("Details"), lambda a: a.wasted_note or ""),
        Column("officer", _("Officer"), _officer),
    ]


@listing("appointments.wasted")
def wasted_trips(scope: ReportScope, args) -> Listing:
    """Every wasted trip (the goal is zero), by reason."""
    reason = None
    condition = wasted()
    if (value := args.get("reason")) is not None:
        try:
            reason = WastedReason(value)
        except ValueError:
            condition = _nothing()
        else:
            condition = wasted(reason)
    title = _("Wasted trips") if reason is None else f"{_('Wasted trips')} · {reason.label}"
    return _appointments("appointments.wasted", title, scope, [condition], columns=_wasted_columns())


@listing("appointments.no_show")
def no_shows(scope: ReportScope, args) -> Listing:
    """The no-shows of the rate: booked appointments whose day has passed, nobody having come."""
    return _appointments("appointments.no_show", _("No-shows"), scope, [no_show(scope.today)])


@listing("appointments.at_risk")
def sailings_at_risk(scope: ReportScope, args) -> Listing:
    """Appointments whose sailing was at risk; in_time=1 those served in time, in_time=0 the others."""
    conditions: list = [at_risk()]
    title = _("Sailings at risk")
    if (value := args.get("in_time")) is not None:
        if value == "1":
            conditions.append(in_time())
            title = f"{title} · {_('served in time')}"
        elif value == "0":
            conditions.append(sa.not_(in_time()))
            title = f"{title} · {_('not served in time')}"
        else:
            conditions.append(_nothing())
    return _appointments("appointments.at_risk", title, scope, conditions,
                         order=(Appointment.sailing_date, Appointment.day, Appointment.id))


def _top_countries(scope: ReportScope) -> sa.Select:
    """The destinations of the table's rows, in its order (the "others" row is the rest)."""
    return (sa.select(Appointment.destination_country)
            .select_from(IssuedCertificate).join(Appointment, Appointment.id == IssuedCertificate.appointment_id)
            .where(*scope.appointment_conditions()).group_by(Appointment.destination_country)
            .order_by(sa.func.sum(IssuedCertificate.quantity).desc(), sa.func.count(sa.distinct(Appointment.id)).desc(),
                      Appointment.destination_country).limit(TOP_COUNTRIES))


@listing("certificates.issued")
def certificates_issued(scope: ReportScope, args) -> Listing:
    """The services that issued certificates, of a type (its id) and to a destination (ISO code, or "others")."""
    from tracker.appointments.services import country_name

    issued = sa.select(IssuedCertificate.id).where(IssuedCertificate.appointment_id == Appointment.id)
    conditions: list = []
    titles = []
    if (value := args.get("type")) is not None:
        try:
            type_id = int(value)
        except (TypeError, ValueError):
            conditions.append(_nothing())
        else:
            if not 0 < type_id < 2**31:
                conditions.append(_nothing())
            else:
                issued = issued.where(IssuedCertificate.certificate_type_id == type_id)
    if (country := args.get("country")) is not None:
        if country == OTHERS:
            conditions.append(Appointment.destination_country.not_in(_top_countries(scope).scalar_subquery()))
            titles.append(_("other countries"))
        elif len(country) == 2 and country.isalpha() and country.isupper():
            conditions.append(Appointment.destination_country == country)
            titles.append(country_name(country, _locale()))
        else:
            conditions.append(_nothing())
    conditions.append(issued.exists())
    title = _("Certificates issued")
    if titles:
        title = f"{title} · {' · '.join(titles)}"
    return _appointments("certificates.issued", title, scope, conditions)


def _rating_columns() -> list[Column]:
    locale = _locale()
    return [
        Column("day", _("Day of service"), lambda r: r.appointment.day.isoformat(), kind="lead"),
        Column("who", _("Firm"), lambda r: r.appointment.who,
               link=lambda r: url_for("ratings.rate", appointment_id=r.appointment_id), kind="title"),
        Column("certificate", _("Certificate type"), lambda r: r.appointment.certificate_type.display_name(locale)),
        Column("rating", _("Rating"), lambda r: r.label, kind="status"),
        Column("comment", _("Comment"), lambda r: r.comment or ""),
        Column("rated", _("Rated at"), lambda r: local_datetime(r.rated_at)),
        Column("due", _("Answer due"), lambda r: r.answer_due.isoformat() if r.answer_due else ""),
        Column("answered", _("Answered at"), lambda r: local_datetime(r.answered_at)),
        Column("officer", _("Served by"), lambda r: _officer(r.appointment)),
    ]


@listing("ratings.all")
def ratings(scope: ReportScope, args) -> Listing:
    """The ratings of the services of the period: good=1 好评, good=0 差评, late=1 差评 answered late."""
    conditions: list = []
    titles = []
    if (value := args.get("good")) is not None:
        if value in ("0", "1"):
            conditions.append(ServiceRating.good.is_(value == "1"))
            titles.append(_("good") if value == "1" else _("poor"))
        else:
            conditions.append(_nothing())
    if (value := args.get("late")) is not None:
        if value == "1":
            conditions.append(answered_late(scope.today))
            titles.append(_("poor, answered late"))
        else:
            conditions.append(_nothing())
    where = [*scope.appointment_conditions(), *conditions]
    title = _("Ratings")
    if titles:
        title = f"{title} · {' · '.join(titles)}"
    joined = sa.select(ServiceRating).join(Appointment, Appointment.id == ServiceRating.appointment_id)
    by = ServiceRating.appointment
    return Listing(
        key="ratings.all", title=title, columns=_rating_columns(),
        select=joined.where(*where).order_by(Appointment.day, ServiceRating.id),
        count=sa.select(sa.func.count()).select_from(ServiceRating)
        .join(Appointment, Appointment.id == ServiceRating.appointment_id).where(*where),
        options=(contains_eager(by), contains_eager(by).joinedload(Appointment.enterprise),
                 contains_eager(by).joinedload(Appointment.certificate_type),
                 contains_eager(by).joinedload(Appointment.served_by)))
