"""Certificate-counter demo data (issue 11): 营口海关's counter 营口海关原产地证窗口 (two windows) and 鲅鱼圈海关's
(one window), six months of served appointments, a few bookings in the next working days and a hall display.

The story, relative to the day the demo is loaded (the demo's clock is the real one):

- 雅丽丝 (营口海关) books and is served three or four times a month: FORM E to ASEAN countries, C/O
  elsewhere; it checks in, is called to a window, served with its certificates issued and leaves, and rates
  some services 好评. Never a wasted trip.
- 隆鑫 (鲅鱼圈海关) comes with its Indonesian plum shipments in the fruit season: FORM E to Indonesia, the
  sailing from 鲅鱼圈港. One 差评 (a long wait on a day its sailing was close), answered by 李处长 (大连海关,
  the manager over 鲅鱼圈海关) on the next working day.
- Other 营口 firms, booked by their officers on the telephone: mostly served, a few no-shows, and exactly
  one wasted trip (documents missing); two walk-ins (即到即办).
- Upcoming: bookings in the next working days, one with its sailing within 48 hours.

Everything goes through tracker.appointments.services with ``now=`` set to each step's moment, so the
history obeys the booking window, the minimum notice and the counter's transitions.

The slots of the past: ``materialize_slots`` makes only slots that start after its ``now``, so the history's
slots are made by one call standing on the first day of the history (``now`` = that morning); it makes them
from the same hours and working-day calendar as any other slot (holidays closed, make-up weekends open),
which inserting rows by hand would have to repeat. The real clock's ``materialize_ahead`` then finds the
window ahead made already.

The notice hooks (e-mails and notifications of a poor rating and its answer) are suspended while the past
is replayed: nobody is to be told today of a rating answered months ago.

Idempotent like the rest of the demo: a counter is found by its office; an office that has one already gets
nothing new (its story is told once, when the counter is made).
"""
import random
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from werkzeug.routing import BuildError

from tracker.appointments import services as counter
from tracker.appointments.models import (
    Appointment, CertificateType, ServicePoint, Slot, WastedReason,
)
from tracker.auth import services as auth_services
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.offices.models import Office
from tracker.workdays import services as workdays

SEED = 11
HISTORY_DAYS = 182  # six months back
YINGKOU, BAYUQUAN = "0930", "0931"
YALISI, LONGXIN = "营口雅丽丝服装有限公司", "营口隆鑫果品有限公司"

# (office code, counter name, windows, address)
POINTS = [
    (YINGKOU, "营口海关原产地证窗口", 2, "营口市站前区渤海大街西1号营口海关综合业务大厅"),
    (BAYUQUAN, "鲅鱼圈海关原产地证窗口", 1, "营口市鲅鱼圈区新港大路1号鲅鱼圈海关办事大厅"),
]
DISPLAY_NAME = "营口海关综合业务大厅叫号屏"

ASEAN = ("VN", "TH", "MY", "ID", "PH", "SG")
ELSEWHERE = ("US", "JP", "DE", "KR", "GB", "AU", "CA")
VESSELS = ("中远海运天津", "新海丰营口", "长锦釜山", "东方海外仁川", "安通上海", "京汉东京")
GOOD_WORDS = ("预约办理，到了就叫号，很快办完。", "窗口关员业务熟练，一次办结。", "即办即走，节省了时间。",
              "提前预约，没有排队。", None)
# (comment, the manager's answer) of the one 差评.
POOR = ("等了四十多分钟才叫号，船期很紧，希望增加窗口。",
        "非常抱歉让您久等。当天两家企业同时申领大批量证书，窗口只有一个。我们已安排船期48小时内的预约优先叫号，"
        "旺季加开临时窗口。欢迎继续监督。")


@dataclass
class _Story:
    point: ServicePoint
    staff: list  # who serves at the windows, in window order
    rng: random.Random
    taken: dict  # slot id -> places taken in this seed


def local(day: date, hh: int, mm: int = 0) -> datetime:
    return counter.at_local(day, time(hh, mm))


@contextmanager
def _hooks_suspended():
    saved = (counter.rearrange_hook, counter.poor_rating_hook, counter.answer_hook)
    counter.rearrange_hook = counter.poor_rating_hook = counter.answer_hook = None
    try:
        yield
    finally:
        counter.rearrange_hook, counter.poor_rating_hook, counter.answer_hook = saved


def _rate(appointment: Appointment, **kwargs):
    """counter.rate. Its ServiceRating(appointment=…) puts the rating on appointment.rating before the
    session holds it, so the flush opening its savepoint warns (SQLAlchemy 2 does not cascade along a
    backref); the rating is added right after and saved. The warning is silenced here only."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*ServiceRating.*not in session", category=sa.exc.SAWarning)
        return counter.rate(appointment, **kwargs)


def _certificate(code: str) -> CertificateType:
    return db.session.scalar(sa.select(CertificateType).where(CertificateType.code == code))


def _slots(point: ServicePoint, first: date, last: date) -> list[Slot]:
    return db.session.scalars(sa.select(Slot).where(
        Slot.service_point_id == point.id, Slot.day.between(first, last), Slot.offered.is_(True))
        .order_by(Slot.starts_at)).all()


def _free(story: _Story, slots: list[Slot]) -> list[Slot]:
    return [s for s in slots if story.taken.get(s.id, 0) < s.capacity]


def _book(story: _Story, slot: Slot, firm: Enterprise, by, *, certificate: str, country: str, quantity: int,
          sailing: date | None, port: str, notes: str | None = None, booked_at: datetime | None = None):
    rng = story.rng
    if booked_at is None:
        # Booked one to six days ahead, in office hours (never closer than the minimum notice).
        booked_at = slot.starts_at - timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 5),
                                               minutes=rng.randint(0, 59))
    appointment = counter.book(
        slot, firm, by=by, certificate_type=_certificate(certificate), destination_country=country,
        quantity=quantity, sailing_date=sailing, vessel=rng.choice(VESSELS) if sailing else None, port=port,
        notes=notes, now=booked_at)
    story.taken[slot.id] = story.taken.get(slot.id, 0) + 1
    return appointment


def _serve(story: _Story, appointment: Appointment, *, wasted: WastedReason | None = None,
           wasted_note: str | None = None) -> datetime:
    """Checked in a little before the slot, called to a window, served (or sent away): returns the end."""
    rng = story.rng
    slot = appointment.slot
    arrived = slot.starts_at - timedelta(minutes=rng.randint(2, 15)) if slot else appointment.checked_in_at
    if slot is not None:
        counter.check_in(appointment, by=story.staff[0], now=arrived)
    window_index = (appointment.queue_number - 1) % len(story.point.windows)
    window, officer = story.point.windows[window_index], story.staff[window_index % len(story.staff)]
    called = max(arrived, slot.starts_at if slot else arrived) + timedelta(minutes=rng.randint(0, 12))
    counter.call(appointment, window, by=officer, now=called)
    started = called + timedelta(minutes=1)
    counter.start(appointment, by=officer, now=started)
    finished = started + timedelta(minutes=rng.randint(5, 16))
    if wasted is not None:
        counter.record_wasted(appointment, wasted, wasted_note, by=officer, now=finished)
    else:
        counter.complete(appointment, [(appointment.certificate_type, appointment.quantity)], by=officer,
                         now=finished)
    return finished


def _working_days(first: date, last: date) -> list[date]:
    days, day = [], first
    while day <= last:
        if workdays.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def _next_working(day: date) -> date:
    return workdays.add_working_days(day, 1)


# The counters --------------------------------------------------------------------------------------
def _make_point(office: Office, name: str, windows: int, address: str, start: datetime, now: datetime) -> ServicePoint:
    point = counter.create_service_point(office, name=name, windows=windows, address=address, capacity=2, now=start)
    # The history's slots, made standing on its first morning (see the module's docstring), then the window ahead.
    counter.materialize_slots(point, counter.local_day(start), counter.local_day(now), now=start)
    counter.materialize_ahead(point, now=now)
    return point


# 营口海关 ---------------------------------------------------------------------------------------------
def _yingkou_history(story: _Story, yalisi: Enterprise, others: list[Enterprise], first: date, today: date,
                     users: dict) -> None:
    rng, contact = story.rng, users["yalisi"]
    past = [s for s in _slots(story.point, first, today - timedelta(days=1))]
    days = sorted({s.day for s in past})
    # 雅丽丝: three or four visits in each of six stretches of a month.
    month = (today - first).days / 6
    for i in range(6):
        lo, hi = first + timedelta(days=round(i * month)), first + timedelta(days=round((i + 1) * month) - 1)
        candidates = [d for d in days if lo <= d <= hi and d > first]
        picked = sorted(rng.sample(candidates, min(len(candidates), rng.choice((3, 4)))))
        for day in picked:
            slot = rng.choice(_free(story, [s for s in past if s.day == day]))
            country = rng.choice(ASEAN) if rng.random() < 0.6 else rng.choice(ELSEWHERE)
            certificate = "FORM_E" if country in ASEAN else "CO"
            appointment = _book(story, slot, yalisi, contact, certificate=certificate, country=country,
                                quantity=rng.randint(1, 4), sailing=day + timedelta(days=rng.randint(2, 9)),
                                port="营口港")
            finished = _serve(story, appointment)
            if rng.random() < 0.45:
                _rate(appointment, good=True, comment=rng.choice(GOOD_WORDS), by=contact,
                             now=finished + timedelta(minutes=rng.randint(10, 180)))
    # The other firms, booked by their officers: mostly served, a few no-shows, one wasted trip.
    officer = users["officer"]
    visits = []
    for firm in others:
        for day in sorted(rng.sample([d for d in days if d > first], rng.randint(2, 5))):
            visits.append((day, firm))
    visits.sort(key=lambda v: v[0])
    no_shows = set(rng.sample(range(len(visits)), 4))
    wasted_at = rng.choice([i for i in range(len(visits)) if i not in no_shows])
    for i, (day, firm) in enumerate(visits):
        free = _free(story, [s for s in past if s.day == day])
        if not free:
            continue
        slot = rng.choice(free)
        country = rng.choice(ASEAN + ELSEWHERE + ("IN", "RU", "BR", "SA"))
        certificate = "FORM_E" if country in ASEAN else "CO"
        appointment = _book(story, slot, firm, officer, certificate=certificate, country=country,
                            quantity=rng.randint(1, 6), sailing=day + timedelta(days=rng.randint(1, 12)),
                            port="营口港", notes="企业电话预约")
        if i in no_shows:
            counter.record_no_show(appointment, by=None,
                                   now=slot.ends_at + story.point.grace + timedelta(minutes=5))
        elif i == wasted_at:
            _serve(story, appointment, wasted=WastedReason.DOCUMENTS_MISSING,
                   wasted_note="缺少商业发票原件，已告知企业补齐后重新预约。")
        else:
            _serve(story, appointment)
    # Two walk-ins (即到即办), served between the bookings.
    for day, firm in ((days[len(days) // 3], others[0]), (days[2 * len(days) // 3], others[-1])):
        arrived = local(day, 14, 5)
        appointment = counter.walk_in(story.point, by=officer, enterprise=firm, certificate_type=_certificate("CO"),
                                      destination_country="KR", quantity=1, now=arrived)
        _serve(story, appointment)


def _upcoming(story: _Story, yalisi: Enterprise, others: list[Enterprise], now: datetime, users: dict) -> None:
    """The next working days: 雅丽丝 and other firms. 雅丽丝's first ship sails the day after its appointment:
    within 48 hours of it, so the counter's day flags it and serves it first."""
    today = counter.local_day(now)
    first = _next_working(today)
    second = _next_working(first)
    ahead = _free(story, [s for s in _slots(story.point, today, second) if s.starts_at >= now + story.point.min_notice])
    on = {d: [s for s in ahead if s.day == d] for d in (today, first, second)}
    plan = [
        (first, yalisi, users["yalisi"], "FORM_E", "VN", 3, first + timedelta(days=1), "船期紧，请优先办理。"),
        (first, others[0], users["officer"], "CO", "JP", 2, second + timedelta(days=3), None),
        (second, yalisi, users["yalisi"], "CO", "US", 2, second + timedelta(days=6), None),
        (second, others[1], users["officer"], "FORM_E", "TH", 1, second + timedelta(days=4), None),
    ]
    if on[today]:
        plan.append((today, others[2], users["officer"], "CO", "DE", 1, today + timedelta(days=5), None))
    for day, firm, by, certificate, country, quantity, sailing, notes in plan:
        free = _free(story, on[day])
        if not free:
            continue
        slot = free[0] if day == today else story.rng.choice(free[:6])
        # Booked yesterday afternoon, or just now for today (the minimum notice holds either way).
        booked_at = now - timedelta(minutes=5) if day == today else min(now, slot.starts_at - timedelta(days=1))
        _book(story, slot, firm, by, certificate=certificate, country=country, quantity=quantity, sailing=sailing,
              port="营口港", notes=notes, booked_at=booked_at)


# 鲅鱼圈海关 -------------------------------------------------------------------------------------------
def _bayuquan_history(story: _Story, longxin: Enterprise, first: date, today: date, users: dict) -> None:
    """隆鑫's plums: FORM E to Indonesia, twice or so a month, the sailing from 鲅鱼圈港; one 差评, answered."""
    rng, contact = story.rng, users["longxin"]
    past = _slots(story.point, first, today - timedelta(days=1))
    days = sorted({s.day for s in past if s.day > first})
    # The fruit season (June to October) when the history holds enough of it.
    season = [d for d in days if 6 <= d.month <= 10]
    days = season if len(season) >= 20 else days
    picked = sorted(rng.sample(days, min(len(days), 10)))
    poor_at = len(picked) // 2
    for i, day in enumerate(picked):
        slot = rng.choice(_free(story, [s for s in past if s.day == day]))
        tonnes = rng.choice(("8.5", "11.25", "12", "16.8", "21.6"))
        appointment = _book(story, slot, longxin, contact, certificate="FORM_E", country="ID",
                            quantity=rng.randint(1, 2), sailing=day + timedelta(days=rng.randint(1, 3)),
                            port="鲅鱼圈港", notes=f"鲜李子{tonnes}吨，冷藏集装箱出口印度尼西亚。")
        if i == poor_at:
            # A long wait that day: called 45 minutes after the slot began.
            counter.check_in(appointment, by=story.staff[0], now=slot.starts_at - timedelta(minutes=5))
            called = slot.starts_at + timedelta(minutes=45)
            counter.call(appointment, story.point.windows[0], by=story.staff[0], now=called)
            counter.start(appointment, by=story.staff[0], now=called + timedelta(minutes=1))
            finished = called + timedelta(minutes=14)
            counter.complete(appointment, [(appointment.certificate_type, appointment.quantity)], by=story.staff[0],
                             now=finished)
            rated_at = finished + timedelta(minutes=30)
            rating = _rate(appointment, good=False, comment=POOR[0], by=contact, now=rated_at)
            answered_on = rating.answer_due  # the next working day: within the one working day allowed
            counter.answer(rating, POOR[1], by=users["manager-dl"], now=local(answered_on, 9, 40))
            continue
        finished = _serve(story, appointment)
        if rng.random() < 0.4:
            _rate(appointment, good=True, comment="鲜果出口当天办结，没有耽误船期。", by=contact,
                         now=finished + timedelta(minutes=20))


def _display_url(raw: str) -> str:
    path = f"/counter/display/{raw}"
    try:
        path = current_app.url_map.bind("localhost").build("counter.display", {"token": raw})
    except (BuildError, LookupError):
        pass
    return "http://127.0.0.1:5000" + path


def seed_appointments(firms: dict[str, Enterprise], result) -> None:
    """Make the two counters and their stories when missing; *firms* maps the demo firms' names to their rows,
    in the demo's order."""
    now = counter.clock()
    today = counter.local_day(now)
    first = today - timedelta(days=HISTORY_DAYS)
    start = local(first, 7, 0)
    offices = {o.code: o for o in db.session.scalars(sa.select(Office).where(Office.code.in_((YINGKOU, BAYUQUAN))))}
    users = {u: auth_services.find_user(u) for u in ("yalisi", "longxin", "officer", "officer2", "bayuquan-officer",
                                                     "manager", "manager-dl")}
    existing = set(db.session.scalars(sa.select(ServicePoint.office_id)))
    before = db.session.scalar(sa.select(sa.func.count(Appointment.id)))
    made = 0
    with _hooks_suspended():
        for code, name, windows, address in POINTS:
            office = offices.get(code)
            if office is None or office.id in existing:
                continue
            point = _make_point(office, name, windows, address, start, now)
            made += 1
            rng = random.Random(f"{SEED}-{code}")
            if code == YINGKOU:
                story = _Story(point, [users["officer"], users["officer2"]], rng, {})
                others = [f for n, f in firms.items() if f.office_id == office.id and n != YALISI][:9]
                if YALISI in firms and users["yalisi"] and len(others) >= 3:
                    _yingkou_history(story, firms[YALISI], others, first, today, users)
                    _upcoming(story, firms[YALISI], others, now, users)
                token, raw = counter.create_display_token(point, DISPLAY_NAME, by=users["manager"])
                result.notes.append(f"Hall display of {point.name} (open it on the hall's screen; shown once): "
                                    f"{_display_url(raw)}")
            else:
                story = _Story(point, [users["bayuquan-officer"]], rng, {})
                if LONGXIN in firms and users["longxin"] and users["manager-dl"]:
                    _bayuquan_history(story, firms[LONGXIN], first, today, users)
    db.session.flush()
    result.count("service points", made)
    result.count("appointments", db.session.scalar(sa.select(sa.func.count(Appointment.id))) - before)
