"""好差评 through the pages: the firm's contact rates a service once it is served (a poor rating needs a comment),
once; another firm's contact gets 404; the counter office's manager answers within one working day (rated on
Friday 2019-09-27, due on the make-up working Sunday 09-29), an officer is told who can; a late answer is
flagged in the staff list, poor ratings first; the firm reads the answer; notices and e-mails are made."""
import re
from datetime import date

import pytest
import sqlalchemy as sa

from tests.conftest import certificate, csrf_from, local, query_count, submission_key_from
from tracker.appointments import services as counter
from tracker.appointments.models import Appointment, ServiceRating, Slot
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.mail import services as mail
from tracker.notifications.models import Notification, NotificationKind
from tracker.workdays import services as workdays


FRIDAY = date(2019, 9, 27)
NOW = local(FRIDAY, 9)
moment = {"now": NOW}


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    moment["now"] = NOW
    monkeypatch.setattr(counter, "clock", lambda: moment["now"])


@pytest.fixture(autouse=True)
def mailbox():
    mail.MemoryBackend.sent.clear()
    yield mail.MemoryBackend.sent
    mail.MemoryBackend.sent.clear()


@pytest.fixture
def point(cast, firm):
    point = counter.create_service_point(cast.org.yingkou, name="营口海关原产地证窗口", windows=2, capacity=3, now=NOW)
    cast.contact.email = "yalisi@example.cn"
    cast.manager.email = "li@customs.example"
    cast.manager.title = "科长"
    db.session.commit()
    return point


def booked(point, firm, by, hh=10, mm=0) -> Appointment:
    slot = db.session.scalar(sa.select(Slot).where(Slot.service_point_id == point.id,
                                                   Slot.starts_at == local(FRIDAY, hh, mm)))
    appointment = counter.book(slot, firm, by=by, certificate_type=certificate(), destination_country="ID",
                               quantity=2, sailing_date=date(2019, 10, 12), now=NOW)
    db.session.commit()
    return appointment


def served(point, firm, by, officer, hh=10, mm=0) -> Appointment:
    """Booked, checked in, called, served and completed at the slot's start."""
    appointment = booked(point, firm, by, hh, mm)
    at = local(FRIDAY, hh, mm)
    counter.check_in(appointment, by=officer, now=at)
    counter.call(appointment, point.windows[0], by=officer, now=at)
    counter.start(appointment, by=officer, now=at)
    counter.complete(appointment, [(certificate(), 2)], by=officer, now=at)
    db.session.commit()
    return appointment


def rate_page(client, appointment):
    return client.get(f"/ratings/appointments/{appointment.id}")


def send_rating(client, appointment, verdict, comment="", key=None):
    page = rate_page(client, appointment)
    data = {"csrf_token": csrf_from(page), "submission_key": key or submission_key_from(page),
            "verdict": verdict, "comment": comment}
    return client.post(f"/ratings/appointments/{appointment.id}", data=data)


def rating_of(appointment) -> ServiceRating | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(ServiceRating).where(ServiceRating.appointment_id == appointment.id))


def text(response) -> str:
    return response.get_data(as_text=True)


# Rating -----------------------------------------------------------------------------------------------------
def test_the_confirmation_carries_the_rating_link(point, cast, firm, mailbox):
    appointment = served(point, firm, cast.contact, cast.officer)
    [confirmation] = mailbox
    assert confirmation["To"] == "yalisi@example.cn"
    assert f"/ratings/appointments/{appointment.id}" in confirmation.get_content()


def test_a_good_rating_through_the_page_once(client, auth, point, cast, firm):
    appointment = served(point, firm, cast.contact, cast.officer)
    auth.login(cast.contact.username)
    page = rate_page(client, appointment)
    assert page.status_code == 200 and 'name="verdict"' in text(page)
    key = submission_key_from(page)
    response = send_rating(client, appointment, "good", key=key)
    assert response.status_code == 302
    rating = rating_of(appointment)
    assert rating.good and rating.answer_due is None and rating.rated_by_id == cast.contact.id
    shown = text(client.get(response.headers["Location"]))
    assert "Thank you: your rating has been recorded." in shown and 'data-rating="good"' in shown
    assert 'name="verdict"' not in shown
    # A resend of the same form records nothing more; a new form says the service was rated already.
    again = send_rating(client, appointment, "poor", "重复", key=key)
    assert again.status_code == 302
    assert "This form had been sent already" in text(client.get(again.headers["Location"]))
    other = client.post(f"/ratings/appointments/{appointment.id}",
                        data={"csrf_token": csrf_from(page), "submission_key": "k" * 24, "verdict": "poor",
                              "comment": "再评一次"})
    assert other.status_code == 409 and "This service has been rated already." in text(other)
    assert db.session.scalar(sa.select(sa.func.count(ServiceRating.id))) == 1 and rating_of(appointment).good


def test_a_poor_rating_needs_a_comment_and_goes_to_the_nearest_managers(client, auth, point, cast, firm, mailbox):
    appointment = served(point, firm, cast.contact, cast.officer)
    mailbox.clear()
    auth.login(cast.contact.username)
    refused = send_rating(client, appointment, "poor", "  ")
    assert refused.status_code == 422
    assert "Please say what went wrong, so that the office can answer." in text(refused)
    assert rating_of(appointment) is None
    response = send_rating(client, appointment, "poor", "等候一个小时才叫号")
    assert response.status_code == 302
    rating = rating_of(appointment)
    # Rated on Friday 09-27: one working day later is the make-up working Sunday 09-29.
    assert rating.answer_due == date(2019, 9, 29) == workdays.add_working_days(FRIDAY, 1)
    shown = text(client.get(response.headers["Location"]))
    assert "The office will answer by 2019-09-29." in shown and "The office answers by 2019-09-29." in shown
    # 营口's manager is told (not 大连's, above him), by notice and e-mail.
    [notice] = db.session.scalars(sa.select(Notification).where(Notification.kind == NotificationKind.POOR_RATING)).all()
    assert notice.user_id == cast.manager.id and notice.params["due"] == "2019-09-29"
    assert notice.link == f"/ratings/appointments/{appointment.id}"
    [alert] = mailbox
    assert alert["To"] == "li@customs.example" and "2019-09-29" in alert["Subject"]
    assert "等候一个小时才叫号" in alert.get_content()


def test_no_rating_before_the_service_is_completed(client, auth, point, cast, firm):
    appointment = booked(point, firm, cast.contact)
    auth.login(cast.contact.username)
    page = rate_page(client, appointment)
    assert page.status_code == 200
    assert "The service can be rated once it has been completed; it is Booked now." in text(page)
    assert 'name="verdict"' not in text(page)
    response = client.post(f"/ratings/appointments/{appointment.id}",
                           data={"csrf_token": csrf_from(page), "submission_key": "a" * 24, "verdict": "good"})
    assert response.status_code == 409
    assert "A service is rated by the firm once it has been served." in text(response)
    assert rating_of(appointment) is None


def test_another_firms_contact_gets_404_and_staff_do_not_rate(client, auth, point, cast, firm):
    appointment = served(point, firm, cast.contact, cast.officer)
    auth.login(cast.contact_byq.username)
    assert rate_page(client, appointment).status_code == 404
    token = csrf_from(client.get("/account/password"))
    assert client.post(f"/ratings/appointments/{appointment.id}",
                       data={"csrf_token": token, "verdict": "poor", "comment": "x"}).status_code == 404
    assert client.get("/ratings/appointments/999999").status_code == 404
    assert client.get("/ratings/").status_code == 403
    auth.logout()
    auth.login(cast.officer.username)
    page = rate_page(client, appointment)
    assert page.status_code == 200 and "The firm has not rated this service." in text(page)
    assert client.post(f"/ratings/appointments/{appointment.id}",
                       data={"csrf_token": csrf_from(page), "verdict": "good"}).status_code == 403
    assert rating_of(appointment) is None


# Answering ----------------------------------------------------------------------------------------------------
def poor(point, cast, firm, comment="材料退回三次", hh=10):
    appointment = served(point, firm, cast.contact, cast.officer, hh=hh)
    return appointment, counter.rate(appointment, good=False, comment=comment, by=cast.contact, now=local(FRIDAY, 16))


def test_the_manager_answers_and_the_firm_reads_it(client, auth, point, cast, firm, mailbox):
    appointment, rating = poor(point, cast, firm)
    db.session.commit()
    # An officer reads the rating and who answers it, and cannot answer.
    auth.login(cast.officer.username)
    page = text(rate_page(client, appointment))
    assert "A poor rating is answered by the managers of the counter office: 科长 " + cast.manager.display_name in page
    assert 'name="answer"' not in page
    token = csrf_from(client.get("/account/password"))
    assert client.post(f"/ratings/{rating.id}/answer",
                       data={"csrf_token": token, "version": "1", "answer": "x"}).status_code == 403
    auth.logout()
    # The manager answers on Sunday 09-29, the day it is due.
    moment["now"] = local(date(2019, 9, 29), 9)
    auth.login(cast.manager.username)
    page = rate_page(client, appointment)
    assert 'name="answer"' in text(page) and "Answer due 2019-09-29" in text(page)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', text(page)).group(1)
    empty = client.post(f"/ratings/{rating.id}/answer", data={"csrf_token": csrf_from(page), "version": version,
                                                              "answer": " "})
    assert empty.status_code == 422 and rating_of(appointment).answered_at is None
    mailbox.clear()
    response = client.post(f"/ratings/{rating.id}/answer", data={"csrf_token": csrf_from(page), "version": version,
                                                                 "answer": "已核实，单证员将提前审核材料。"})
    assert response.status_code == 302
    answered = rating_of(appointment)
    assert answered.answer == "已核实，单证员将提前审核材料。" and answered.answered_by_id == cast.manager.id
    assert not answered.is_answer_late(date(2019, 9, 29))
    # The same form again: the rating moved on, nothing changes.
    stale = client.post(f"/ratings/{rating.id}/answer", data={"csrf_token": csrf_from(page), "version": version,
                                                              "answer": "第二次"})
    assert stale.status_code == 409 and rating_of(appointment).answer.startswith("已核实")
    # The firm is told and reads the answer on the page.
    [notice] = db.session.scalars(sa.select(Notification).where(Notification.kind == NotificationKind.RATING_ANSWERED)).all()
    assert notice.user_id == cast.contact.id
    assert [m["To"] for m in mailbox] == ["yalisi@example.cn"]
    auth.logout()
    auth.login(cast.contact.username)
    page = text(rate_page(client, appointment))
    assert "已核实，单证员将提前审核材料。" in page and "Answer of the office" in page


def test_the_staff_list_puts_poor_ratings_first_and_flags_the_late(client, auth, point, cast, firm, factory):
    late, _r1 = poor(point, cast, firm, "迟迟不叫号", hh=10)
    answered, r2 = poor(point, cast, firm, "窗口人少", hh=11)
    counter.answer(r2, "已增加窗口。", by=cast.manager, now=local(FRIDAY, 17))
    good = served(point, firm, cast.contact, cast.officer, hh=13, mm=30)
    counter.rate(good, good=True, comment=None, by=cast.contact, now=local(FRIDAY, 16))
    db.session.commit()
    moment["now"] = local(date(2019, 9, 30), 9)  # Monday: the Sunday's due day has passed
    auth.login(cast.manager.username)
    page = text(client.get("/ratings/"))
    order = [int(n) for n in re.findall(r'/ratings/appointments/(\d+)"', page)]
    assert order == [late.id, answered.id, good.id]
    assert page.count('data-state="late"') == 1 and "Answer late (due 2019-09-29)" in page
    assert 'class="table-danger"' in page
    only_late = text(client.get("/ratings/?state=late"))
    assert re.findall(r'/ratings/appointments/(\d+)"', only_late) == [str(late.id)]
    only_good = text(client.get("/ratings/?rating=good"))
    assert re.findall(r'/ratings/appointments/(\d+)"', only_good) == [str(good.id)]
    assert client.get("/ratings/?rating=x&state=y&point=abc&page=99999999999999").status_code == 200
    auth.logout()
    # 鲅鱼圈's officer sees none of 营口's ratings.
    auth.login(cast.officer_byq.username)
    assert "/ratings/appointments/" not in text(client.get("/ratings/"))


def test_the_list_costs_the_same_queries_for_more_ratings(app, client, auth, point, cast, firm, factory):
    poor(point, cast, firm, hh=10)
    db.session.commit()
    auth.login(cast.manager.username)
    one = query_count(app, client, "/ratings/")
    for hh, mm in ((10, 30), (11, 0), (13, 30), (14, 0)):
        other = factory.user(Role.ENTERPRISE_CONTACT, cast.org.yingkou)
        appointment = served(point, other.enterprise, cast.officer, cast.officer, hh=hh, mm=mm)
        counter.rate(appointment, good=hh % 2 == 0, comment="意见", by=other, now=local(FRIDAY, 16))
    db.session.commit()
    assert query_count(app, client, "/ratings/") == one
