"""The counter's JSON API (issue 11, item 9) as a client drives it: bearer tokens, JSON bodies, every answer
checked against the generated OpenAPI document. Slots of an office's day; booking by an officer (for a firm
of his subtree) and by a contact (his own firm), full slots with alternatives, refusals with their fields,
another firm's ids answered 404; the Idempotency-Key; reading and cancelling; and over real HTTP, 50
simultaneous bookings into a slot of capacity 3 and 30 identical retries."""
import threading
from datetime import date, timedelta

import pytest
import requests
import sqlalchemy as sa

from tests.conftest import API, Api, PASSWORD, basic, local, slot_at
from tracker.appointments import services as counter
from tracker.appointments.models import Appointment, AppointmentStatus, CertificateType, Slot
from tracker.extensions import db
from tracker.submissions import SubmissionKey


# Friday 2019-09-27, 09:00 in Yingkou (as tests/test_appointments_core.py).
TODAY = date(2019, 9, 27)
NOW = local(TODAY, 9)
MONDAY = date(2019, 9, 30)


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    # A module attribute: the threaded server's requests read it too.
    monkeypatch.setattr(counter, "clock", lambda: NOW)


@pytest.fixture
def point(cast):
    point = counter.create_service_point(cast.org.yingkou, name="营口海关原产地证窗口", windows=2, capacity=3, now=NOW)
    for user in (cast.officer, cast.contact, cast.contact_byq, cast.officer_byq, cast.admin):
        user.locale = "en"
    db.session.commit()
    return point


def body(slot: Slot, **kw) -> dict:
    data = {"slot_id": slot.id, "certificate_type": "FORM_E", "destination_country": "ID", "quantity": 2,
            "sailing_date": "2019-10-12"}
    data.update(kw)
    return data


class Caller(Api):
    """A bearer-token client whose answers are each checked against the document."""

    def __init__(self, client, username: str, documented):
        super().__init__(client, username)
        self.documented = documented

    def get(self, path: str, **params):
        response = super().get(path, **params)
        self.documented.check(response)
        return response

    def post(self, path: str, json=None, headers=None, **kw):
        response = self.client.post(API + path, headers={**self.headers, **(headers or {})}, json=json, **kw)
        self.documented.check(response)
        return response


@pytest.fixture
def officer(client, cast, point, documented):
    return Caller(client, cast.officer.username, documented)


@pytest.fixture
def contact(client, cast, point, documented):
    return Caller(client, cast.contact.username, documented)


@pytest.fixture
def other_contact(client, cast, point, documented):
    return Caller(client, cast.contact_byq.username, documented)


def appointments_of(firm_id: int) -> list[Appointment]:
    db.session.rollback()
    return db.session.scalars(sa.select(Appointment).where(Appointment.enterprise_id == firm_id)).all()


# Slots -------------------------------------------------------------------------------------------
def test_the_slots_of_an_office_s_day(officer, contact, point):
    response = contact.get("/slots", office="0930", date="2019-09-30")
    assert response.status_code == 200
    data = response.get_json()
    assert data["office"] == "0930" and data["date"] == "2019-09-30" and data["calendar_warning"] is None
    assert len(data["items"]) == 12
    first = data["items"][0]
    # 08:30 in Yingkou is 00:30 UTC; every time in this API is UTC with a Z.
    assert first["starts_at"] == "2019-09-30T00:30:00Z" and first["ends_at"] == "2019-09-30T01:00:00Z"
    assert first["capacity"] == 3 and first["remaining"] == 3
    assert first["id"] == slot_at(point, MONDAY, 8, 30).id
    # Today: only the slots past the minimum notice (an hour) are bookable; 10:00 is the first.
    today = officer.get("/slots", office="0930", date="2019-09-27").get_json()["items"]
    assert today[0]["starts_at"] == "2019-09-27T02:00:00Z"
    # The National Day holiday is closed; beyond the booking window nothing is offered.
    assert officer.get("/slots", office="0930", date="2019-10-02").get_json()["items"] == []
    assert officer.get("/slots", office="0930", date="2019-11-29").get_json()["items"] == []


def test_slots_of_an_unknown_office_or_a_bad_date(officer):
    assert officer.get("/slots", office="0931", date="2019-09-30").status_code == 404  # no counter there
    assert officer.get("/slots", office="9999", date="2019-09-30").status_code == 404
    missing = officer.get("/slots", office="0930")
    assert missing.status_code == 400 and "date" in missing.get_json()["fields"]
    bad = officer.get("/slots", office="0930", date="30/09/2019")
    assert bad.status_code == 400 and bad.get_json()["fields"]["date"] == ["date must be a date, as YYYY-MM-DD."]
    assert officer.get("/slots", date="2019-09-30").get_json()["fields"].keys() == {"office"}


def test_an_unconfirmed_year_s_slots_carry_a_warning(cast, documented, client, monkeypatch):
    later = local(date(2031, 3, 3), 9)
    monkeypatch.setattr(counter, "clock", lambda: later)
    counter.create_service_point(cast.org.yingkou, name="窗口", now=later)
    db.session.commit()
    caller = Caller(client, cast.officer.username, documented)
    data = caller.get("/slots", office="0930", date="2031-03-04").get_json()
    assert data["items"] and "2031" in data["calendar_warning"]


# Booking -----------------------------------------------------------------------------------------
def test_an_officer_books_for_a_firm_of_his_office(officer, cast, point):
    slot = slot_at(point, MONDAY, 9)
    firm = cast.contact.enterprise
    response = officer.post("/appointments", body(slot, enterprise_id=firm.id, vessel="中远之星", port="营口港",
                                                  remarks="带纸质发票"))
    assert response.status_code == 201, response.get_json()
    made = response.get_json()
    assert response.headers["Location"] == f"{API}/appointments/{made['id']}"
    assert made["status"] == "booked" and made["status_label"] == "Booked"
    assert made["enterprise_id"] == firm.id and made["enterprise_name"] == firm.name
    assert made["office"] == "0930" and made["slot_id"] == slot.id
    assert made["starts_at"] == "2019-09-30T01:00:00Z" and made["day"] == "2019-09-30"
    assert made["certificate_type"] == "FORM_E" and made["certificate_type_name"]
    assert made["destination_country"] == "ID" and made["destination_country_name"] == "Indonesia"
    assert (made["quantity"], made["sailing_date"], made["vessel"], made["port"], made["remarks"]) == (
        2, "2019-10-12", "中远之星", "营口港", "带纸质发票")
    assert made["queue_number"] is None and made["cancelled_at"] is None and made["needs_rearranging"] is False
    assert made["booked_at"] == "2019-09-27T01:00:00Z"
    assert made["booked_by"] == "officer"  # staff see who booked
    db.session.rollback()
    assert db.session.get(Slot, slot.id).booked == 1


def test_a_contact_books_for_his_own_firm_and_does_not_see_who_booked(contact, cast, point):
    response = contact.post("/appointments", body(slot_at(point, MONDAY, 9)))
    assert response.status_code == 201, response.get_json()
    made = response.get_json()
    assert made["enterprise_id"] == cast.contact.enterprise_id
    assert "booked_by" not in made and "served_by" not in made
    # Naming his own firm is the same.
    again = contact.post("/appointments", body(slot_at(point, MONDAY, 10), enterprise_id=cast.contact.enterprise_id))
    assert again.status_code == 201


def test_another_firm_s_id_is_a_404(officer, contact, cast, point, factory):
    slot = slot_at(point, MONDAY, 9)
    elsewhere = cast.contact_byq.enterprise  # under 鲅鱼圈, outside the 营口 officer's subtree
    assert officer.post("/appointments", body(slot, enterprise_id=elsewhere.id)).status_code == 404
    assert officer.post("/appointments", body(slot, enterprise_id=10**6)).status_code == 404
    neighbour = factory.enterprise(cast.org.yingkou)
    db.session.commit()
    refused = contact.post("/appointments", body(slot, enterprise_id=neighbour.id))
    assert refused.status_code == 404
    assert neighbour.name not in refused.get_data(as_text=True)
    assert appointments_of(neighbour.id) == [] and appointments_of(elsewhere.id) == []
    db.session.rollback()
    assert db.session.get(Slot, slot.id).booked == 0


def test_a_full_slot_answers_409_with_the_nearest_free_slots(officer, cast, point, factory):
    slot = slot_at(point, MONDAY, 10)
    firms = [factory.enterprise(cast.org.yingkou) for _ in range(4)]
    db.session.commit()
    for firm in firms[:3]:
        assert officer.post("/appointments", body(slot, enterprise_id=firm.id)).status_code == 201
    full = officer.post("/appointments", body(slot, enterprise_id=firms[3].id))
    assert full.status_code == 409
    data = full.get_json()
    assert data["error"] == "slot_full" and data["status"] == 409 and data["message"] == "This slot is fully booked."
    starts = [a["starts_at"] for a in data["alternatives"]]
    # 09:30 and 10:30 are half an hour away, then 09:00 (nearest first; the earlier on a tie).
    assert starts == ["2019-09-30T01:30:00Z", "2019-09-30T02:30:00Z", "2019-09-30T01:00:00Z"]
    assert all(a["remaining"] == 3 for a in data["alternatives"])
    assert appointments_of(firms[3].id) == []
    listed = officer.get("/slots", office="0930", date="2019-09-30").get_json()["items"]
    assert [s["remaining"] for s in listed if s["id"] == slot.id] == [0]


def statements_of(send) -> list[str]:
    """The SQL statements one request issues."""
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        send()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)
    return seen


def test_a_refused_booking_costs_three_statements_however_many_slots_and_firms(officer, cast, point, factory):
    """Most booking requests under load are refused: the token, then the firm, slot and certificate type in
    one statement, then the refusal's reasons (the slot afresh, whether the firm is in it, the nearest free
    slots) in one, with no UPDATE tried on a slot read full and no reload of the user for the answer."""
    slot = slot_at(point, MONDAY, 10)
    firms = [factory.enterprise(cast.org.yingkou) for _ in range(5)]
    db.session.commit()
    for firm in firms[:3]:
        assert officer.post("/appointments", body(slot, enterprise_id=firm.id)).status_code == 201
    answers, requests_ = [], [body(slot, enterprise_id=firms[3].id), body(slot, enterprise_id=firms[4].id)]
    refused = statements_of(lambda: answers.append(officer.post("/appointments", requests_[0])))
    assert answers[0].status_code == 409 and answers[0].headers["Cache-Control"] == "no-store"
    assert len(answers[0].get_json()["alternatives"]) == 3
    assert len([s for s in refused if not s.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE"))]) == 3
    assert not any(s.lstrip().upper().startswith("UPDATE") for s in refused)
    # Three more weeks of slots, a hundred more firms: the same statements.
    counter.materialize_slots(point, MONDAY, MONDAY + timedelta(days=21), now=NOW)
    for _ in range(100):
        factory.enterprise(cast.org.yingkou)
    db.session.commit()
    again = statements_of(lambda: answers.append(officer.post("/appointments", requests_[1])))
    assert answers[1].status_code == 409 and len(again) == len(refused)


@pytest.mark.parametrize("change,field", [
    ({"certificate_type": "NOPE"}, "certificate_type"),
    ({"destination_country": "XX"}, "destination_country"),
    ({"destination_country": "CN"}, "destination_country"),
    ({"quantity": 0}, "quantity"),
    ({"quantity": 100}, "quantity"),
    ({"quantity": "2"}, "quantity"),
    ({"sailing_date": "2019-09-26"}, "sailing_date"),
    ({"sailing_date": "soon"}, "sailing_date"),
    ({"sailing_date": None}, "sailing_date"),
    ({"slot_id": 10**6}, "slot_id"),
    ({"slot_id": 0}, "slot_id"),
    ({"vessel": "x" * 101}, "vessel"),
    ({"colour": "red"}, "colour"),
])
def test_bad_input_is_a_422_naming_the_field(contact, cast, point, change, field):
    response = contact.post("/appointments", body(slot_at(point, MONDAY, 9), **change))
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["fields"]
    assert appointments_of(cast.contact.enterprise_id) == []


def test_missing_fields_are_listed_at_once(officer):
    response = officer.post("/appointments", {})
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"slot_id", "certificate_type", "destination_country", "quantity",
                                                  "sailing_date"}
    assert response.get_json()["error"] == "The appointment was not booked. Correct the fields listed."


def test_an_officer_must_name_the_firm(officer, point):
    response = officer.post("/appointments", body(slot_at(point, MONDAY, 9)))
    assert response.status_code == 422 and set(response.get_json()["fields"]) == {"enterprise_id"}


def test_the_minimum_notice_and_a_second_booking_are_refused_with_a_message(contact, client, point, documented,
                                                                            cast):
    # 09:30 today is within the hour's notice.
    soon = contact.post("/appointments", body(slot_at(point, TODAY, 9, 30)))
    assert soon.status_code == 422
    assert soon.get_json()["fields"] == {"slot_id": ["Bookings close 60 minutes before the slot starts."]}
    slot = slot_at(point, MONDAY, 9)
    assert contact.post("/appointments", body(slot)).status_code == 201
    twice = contact.post("/appointments", body(slot))
    assert twice.status_code == 422 and "has booked this slot already" in twice.get_json()["error"]
    # In Chinese for a caller who reads Chinese.
    cast.contact.locale = "zh"
    db.session.commit()
    chinese = Caller(client, cast.contact.username, documented).post("/appointments", body(slot_at(point, TODAY, 9, 30)))
    assert chinese.status_code == 422 and "60" in chinese.get_json()["error"]
    assert "Bookings" not in chinese.get_json()["error"]


def test_unsigned_and_non_json_requests(client, point, officer):
    slot = slot_at(point, MONDAY, 9)
    assert client.post(f"{API}/appointments", json=body(slot)).status_code == 401
    assert client.get(f"{API}/slots?office=0930&date=2019-09-30").status_code == 401
    sent = client.post(f"{API}/appointments", data="slot_id=1", headers={**officer.headers,
                                                                        "Content-Type": "text/plain"})
    assert sent.status_code == 415


# Idempotency -------------------------------------------------------------------------------------
def test_a_retry_with_the_same_idempotency_key_returns_the_first_appointment(contact, other_contact, cast, point):
    slot = slot_at(point, MONDAY, 9)
    key = {"Idempotency-Key": "3f1c9a52-7d1e-4b8e-9a7b-6c2d1e0f9a11"}
    first = contact.post("/appointments", body(slot), headers=key)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = contact.post("/appointments", body(slot), headers=key)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.headers["Location"] == first.headers["Location"]
    # Naming his own firm is the same request.
    named = contact.post("/appointments", body(slot, enterprise_id=cast.contact.enterprise_id), headers=key)
    assert named.status_code == 200 and named.get_json()["id"] == first.get_json()["id"]
    assert len(appointments_of(cast.contact.enterprise_id)) == 1
    db.session.rollback()
    assert db.session.get(Slot, slot.id).booked == 1
    # The key is stored as a submission key, and expires with them.
    stored = db.session.scalars(sa.select(SubmissionKey).where(SubmissionKey.key.like("api-%"))).all()
    assert len(stored) == 1 and len(stored[0].key) <= 64 and stored[0].user_id == cast.contact.id
    # The same key with another booking is refused; another user's same key is his own.
    changed = contact.post("/appointments", body(slot_at(point, MONDAY, 10)), headers=key)
    assert changed.status_code == 422 and "Idempotency-Key" in changed.get_json()["fields"]
    assert len(appointments_of(cast.contact.enterprise_id)) == 1
    theirs = other_contact.post("/appointments", body(slot), headers=key)
    assert theirs.status_code == 201 and theirs.get_json()["enterprise_id"] == cast.contact_byq.enterprise_id


def test_a_refused_request_keeps_no_key(contact, cast, point, factory, officer):
    slot = slot_at(point, MONDAY, 9)
    for _ in range(3):
        firm = factory.enterprise(cast.org.yingkou)
        db.session.commit()
        assert officer.post("/appointments", body(slot, enterprise_id=firm.id)).status_code == 201
    key = {"Idempotency-Key": "retry-after-a-full-slot-0001"}
    assert contact.post("/appointments", body(slot), headers=key).status_code == 409
    # Another firm cancelled meanwhile: the same retry now books.
    cancelled = appointments_of(firm.id)[0]
    assert officer.post(f"/appointments/{cancelled.id}/cancel").status_code == 200
    assert contact.post("/appointments", body(slot), headers=key).status_code == 201


@pytest.mark.parametrize("value", ["", "a" * 201, "with space", "中文"])
def test_a_malformed_idempotency_key_is_a_400(contact, point, value):
    response = contact.client.post(f"{API}/appointments", json=body(slot_at(point, MONDAY, 9)),
                                   headers={**contact.headers, "Idempotency-Key": value.encode().decode("latin-1")})
    contact.documented.check(response)
    assert response.status_code == 400 and "Idempotency-Key" in response.get_json()["fields"]


# Reading and cancelling --------------------------------------------------------------------------
def test_lists_and_details_within_the_caller_s_scope(officer, contact, other_contact, cast, point, factory,
                                                    client, documented):
    mine = contact.post("/appointments", body(slot_at(point, MONDAY, 9))).get_json()
    neighbour = factory.enterprise(cast.org.yingkou)
    db.session.commit()
    theirs = officer.post("/appointments", body(slot_at(point, MONDAY, 9), enterprise_id=neighbour.id,
                                                sailing_date="2019-10-20")).get_json()
    tuesday = officer.post("/appointments", body(slot_at(point, date(2019, 10, 8), 9),
                                                 enterprise_id=neighbour.id)).get_json()
    # The contact sees his own firm's only, by list and by id.
    listed = contact.get("/appointments").get_json()
    assert [a["id"] for a in listed["items"]] == [mine["id"]] and listed["total"] == 1
    assert "booked_by" not in listed["items"][0]
    assert contact.get(f"/appointments/{mine['id']}").get_json()["id"] == mine["id"]
    hidden = contact.get(f"/appointments/{theirs['id']}")
    assert hidden.status_code == 404 and neighbour.name not in hidden.get_data(as_text=True)
    assert other_contact.get(f"/appointments/{mine['id']}").status_code == 404
    assert other_contact.get("/appointments").get_json()["items"] == []
    # The officer sees his counter's; filters and pages.
    every = officer.get("/appointments").get_json()
    assert [a["id"] for a in every["items"]] == [tuesday["id"], mine["id"], theirs["id"]]
    assert [a["id"] for a in officer.get("/appointments", date="2019-09-30").get_json()["items"]] == [
        mine["id"], theirs["id"]]
    assert officer.get("/appointments", status="cancelled").get_json()["total"] == 0
    paged = officer.get("/appointments", per_page=2, page=2).get_json()
    assert (paged["pages"], paged["total"], [a["id"] for a in paged["items"]]) == (2, 3, [theirs["id"]])
    assert officer.get("/appointments", status="lost").status_code == 400
    assert officer.get("/appointments", date="monday").status_code == 400
    # The 鲅鱼圈 officer sees none of 营口's counter.
    byq = Caller(client, cast.officer_byq.username, documented)
    assert byq.get("/appointments").get_json()["total"] == 0
    assert byq.get(f"/appointments/{mine['id']}").status_code == 404
    assert officer.get("/appointments/999999").status_code == 404


def test_cancelling(officer, contact, other_contact, cast, point, monkeypatch):
    mine = contact.post("/appointments", body(slot_at(point, MONDAY, 9))).get_json()
    # Another firm cannot cancel it (404: it does not exist for him).
    assert other_contact.post(f"/appointments/{mine['id']}/cancel").status_code == 404
    done = contact.post(f"/appointments/{mine['id']}/cancel")
    assert done.status_code == 200
    assert done.get_json()["status"] == "cancelled" and done.get_json()["cancelled_at"] == "2019-09-27T01:00:00Z"
    db.session.rollback()
    assert db.session.get(Slot, mine["slot_id"]).booked == 0
    again = contact.post(f"/appointments/{mine['id']}/cancel")
    assert again.status_code == 409 and "cancelled" in again.get_json()["error"].lower()
    # Within the minimum notice a contact may no longer cancel; an officer may, until the slot ends.
    later = officer.post("/appointments", body(slot_at(point, MONDAY, 10),
                                               enterprise_id=cast.contact.enterprise_id)).get_json()
    monkeypatch.setattr(counter, "clock", lambda: local(MONDAY, 9, 30))
    refused = contact.post(f"/appointments/{later['id']}/cancel")
    assert refused.status_code == 409
    assert refused.get_json()["error"] == ("Bookings can be cancelled or moved up to 60 minutes before the slot; "
                                           "please call the counter.")
    assert officer.post(f"/appointments/{later['id']}/cancel").get_json()["status"] == "cancelled"


def test_the_document_lists_the_counter_s_operations(client):
    document = client.get(f"{API}/openapi.json").get_json()
    paths = document["paths"]
    assert set(paths["/appointments"]) >= {"get", "post"}
    assert "get" in paths["/slots"] and "post" in paths["/appointments/{appointment_id}/cancel"]
    assert "get" in paths["/appointments/{appointment_id}"]
    booking = paths["/appointments"]["post"]
    assert {"200", "201", "404", "409", "422"} <= set(booking["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in booking["parameters"])
    assert document["components"]["schemas"]["SlotFull"]["properties"]["alternatives"]["type"] == "array"


# Over real HTTP: simultaneous requests -----------------------------------------------------------
def http_token(base: str, username: str) -> str:
    response = requests.post(f"{base}{API}/tokens", headers=basic(username, PASSWORD), timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["token"]


def burst(base: str, token: str, bodies: list[dict], headers: dict | None = None) -> list[requests.Response]:
    """One POST per body, released together, each from its own thread on its own connection."""
    barrier = threading.Barrier(len(bodies))
    answers: list = [None] * len(bodies)

    def one(k: int):
        with requests.Session() as session:
            barrier.wait()
            answers[k] = session.post(f"{base}{API}/appointments", json=bodies[k], timeout=120,
                                      headers={"Authorization": f"Bearer {token}", **(headers or {})})

    threads = [threading.Thread(target=one, args=(k,)) for k in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_fifty_simultaneous_bookings_into_a_slot_of_three(server, cast, point, factory):
    firms = [factory.enterprise(cast.org.yingkou) for _ in range(50)]
    db.session.commit()
    slot = slot_at(point, MONDAY, 9)
    token = http_token(server, cast.officer.username)
    answers = burst(server, token, [body(slot, enterprise_id=f.id) for f in firms])
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] * 3 + [409] * 47, [a.text[:300] for a in answers if a.status_code not in (201, 409)]
    assert all(a.json()["error"] == "slot_full" for a in answers if a.status_code == 409)
    db.session.rollback()
    assert db.session.get(Slot, slot.id).booked == 3
    made = db.session.scalars(sa.select(Appointment).where(Appointment.slot_id == slot.id)).all()
    assert len(made) == 3 and {a.status for a in made} == {AppointmentStatus.BOOKED}
    assert sorted(a.json()["id"] for a in answers if a.status_code == 201) == sorted(a.id for a in made)


def test_thirty_simultaneous_identical_retries_book_once(server, cast, point):
    slot = slot_at(point, MONDAY, 9)
    token = http_token(server, cast.contact.username)
    answers = burst(server, token, [body(slot)] * 30, headers={"Idempotency-Key": "double-click-0123456789"})
    statuses = [a.status_code for a in answers]
    assert sorted(statuses) == [200] * 29 + [201], statuses
    assert len({a.json()["id"] for a in answers}) == 1
    db.session.rollback()
    assert len(db.session.scalars(sa.select(Appointment).where(
        Appointment.enterprise_id == cast.contact.enterprise_id)).all()) == 1
    assert db.session.get(Slot, slot.id).booked == 1


def test_certificate_types_are_the_reference_table_s(contact, point):
    inactive = db.session.scalar(sa.select(CertificateType).where(CertificateType.code == "FORM_A"))
    inactive.active = False
    db.session.commit()
    try:
        response = contact.post("/appointments", body(slot_at(point, MONDAY, 9), certificate_type="FORM_A"))
        assert response.status_code == 422 and "certificate_type" in response.get_json()["fields"]
        lower = contact.post("/appointments", body(slot_at(point, MONDAY, 9), certificate_type="rcep"))
        assert lower.status_code == 201 and lower.get_json()["certificate_type"] == "RCEP"
    finally:
        db.session.rollback()
        db.session.scalar(sa.select(CertificateType).where(CertificateType.code == "FORM_A")).active = True
        db.session.commit()
