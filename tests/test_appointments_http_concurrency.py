"""The booking form under a rush, over real HTTP: a threaded werkzeug server, real threads, each request on
its own connection (tests/test_concurrency.py's way), on the suite's database (a SQLite file or
PostgreSQL). A slot of capacity 3 takes exactly three bookings whatever arrives at once; the rest are
told it is full (with the nearest free slots), never a 500; a form sent thirty times books once."""
import re
import threading
from datetime import date, datetime, time

import pytest
import requests
import sqlalchemy as sa

from tests.conftest import PASSWORD, certificate, slot_at
from tracker.appointments import services as counter
from tracker.appointments.models import Appointment, AppointmentStatus, Slot
from tracker.extensions import db
from tracker.forms import new_submission_key
from tracker.i18n import LOCAL_TZ

N = 50
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
KEY = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')
NOW = datetime.combine(date(2019, 9, 27), time(9), LOCAL_TZ)
MONDAY = date(2019, 9, 30)


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(counter, "clock", lambda: NOW)


@pytest.fixture
def point(cast):
    cast.officer.locale = "en"
    point = counter.create_service_point(cast.org.yingkou, name="营口海关原产地证窗口", windows=2, capacity=3, now=NOW)
    db.session.commit()
    return point


@pytest.fixture
def firms(cast, factory):
    made = [factory.enterprise(cast.org.yingkou, name=f"营口并发测试{n:02d}有限公司") for n in range(N)]
    db.session.commit()
    return made


class Officer:
    def __init__(self, base: str, username: str = "officer"):
        self.base = base
        self.session = requests.Session()
        page = self.session.get(f"{base}/login")
        response = self.session.post(f"{base}/login", allow_redirects=False, data={
            "username": username, "password": PASSWORD, "csrf_token": CSRF.search(page.text).group(1)})
        assert response.status_code == 302

    def page(self, path: str) -> str:
        response = self.session.get(self.base + path)
        assert response.status_code == 200, response.status_code
        return response.text

    def rush(self, posts: list[tuple[str, dict]]) -> list[tuple[int, str]]:
        """Every POST released at once, each on its own connection with the officer's cookie."""
        barrier = threading.Barrier(len(posts))
        results: list[tuple[int, str]] = [(0, "")] * len(posts)

        def one(k: int):
            session = requests.Session()
            session.cookies.update(self.session.cookies)
            path, data = posts[k]
            barrier.wait()
            response = session.post(self.base + path, data=data, allow_redirects=False, timeout=180)
            results[k] = (response.status_code, response.text)

        threads = [threading.Thread(target=one, args=(k,)) for k in range(len(posts))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return results


def details(slot: Slot, firm) -> dict:
    return {"slot": str(slot.id), "enterprise": str(firm.id), "certificate_type_id": str(certificate().id),
            "destination_country": "ID", "quantity": "2", "sailing_date": "2019-10-12"}


def fresh():
    db.session.rollback()


def test_fifty_firms_rush_a_slot_of_three(server, point, firms):
    slot = slot_at(point, MONDAY, 9)
    officer = Officer(server)
    csrf = CSRF.search(officer.page(f"/appointments/new?enterprise={firms[0].id}&slot={slot.id}")).group(1)
    results = officer.rush([("/appointments/new", {"csrf_token": csrf, "submission_key": new_submission_key(),
                                                   **details(slot, firm)}) for firm in firms])
    statuses = [s for s, _text in results]
    assert sorted(set(statuses)) == [302, 409], statuses
    assert statuses.count(302) == 3
    assert all("This slot is fully booked." in text for s, text in results if s == 409)
    fresh()
    booked = db.session.scalars(sa.select(Appointment).where(Appointment.slot_id == slot.id)).all()
    assert len(booked) == 3 and {a.status for a in booked} == {AppointmentStatus.BOOKED}
    assert db.session.get(Slot, slot.id).booked == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appointment)) == 3


def test_fifty_reschedules_into_a_slot_of_three(server, point, firms, cast):
    # Fifty bookings spread over the slots of 10-08 and 10-09 (three a slot).
    sources = db.session.scalars(sa.select(Slot).where(Slot.service_point_id == point.id,
                                                       Slot.day.in_([date(2019, 10, 8), date(2019, 10, 9)]))
                                 .order_by(Slot.starts_at)).all()
    appointments = []
    for n, firm in enumerate(firms):
        source = sources[n // 3]
        appointments.append(counter.book(source, firm, by=cast.officer, certificate_type=certificate(),
                                         destination_country="ID", quantity=1, sailing_date=date(2019, 10, 12),
                                         now=NOW))
    db.session.commit()
    target = slot_at(point, MONDAY, 14)
    officer = Officer(server)
    csrf = CSRF.search(officer.page(f"/appointments/{appointments[0].id}/reschedule?day=2019-09-30")).group(1)
    results = officer.rush([(f"/appointments/{a.id}/reschedule", {"csrf_token": csrf, "slot": str(target.id)})
                            for a in appointments])
    statuses = [s for s, _text in results]
    assert sorted(set(statuses)) == [302, 409], statuses
    assert statuses.count(302) == 3
    fresh()
    moved = db.session.scalars(sa.select(Appointment).where(Appointment.slot_id == target.id)).all()
    assert len(moved) == 3
    assert db.session.get(Slot, target.id).booked == 3
    # Every place is accounted for: the slots' counts are the bookings they hold.
    for slot in db.session.scalars(sa.select(Slot).where(Slot.service_point_id == point.id)):
        held = db.session.scalar(sa.select(sa.func.count()).select_from(Appointment).where(
            Appointment.slot_id == slot.id, Appointment.status != AppointmentStatus.CANCELLED))
        assert slot.booked == held, slot


def test_thirty_identical_posts_book_once(server, point, firms):
    slot = slot_at(point, MONDAY, 9)
    officer = Officer(server)
    page = officer.page(f"/appointments/new?enterprise={firms[0].id}&slot={slot.id}")
    data = {"csrf_token": CSRF.search(page).group(1), "submission_key": KEY.search(page).group(1),
            **details(slot, firms[0])}
    results = officer.rush([("/appointments/new", data)] * 30)
    statuses = [s for s, _text in results]
    assert set(statuses) == {302}, statuses
    fresh()
    [appointment] = db.session.scalars(sa.select(Appointment)).all()
    assert db.session.get(Slot, slot.id).booked == 1
    assert appointment.enterprise_id == firms[0].id
