"""Policy briefings: who may do what, the transitions, capacity under concurrency, invitations, registration,
check-in by the entrance code and on the list, materials, the sign-in sheet and the list's statements."""
import io
import re
import threading
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, csrf_from, query_count, submission_key_from, race
from tracker.auth.models import Role
from tracker.briefings import services
from tracker.briefings.models import (
    Briefing, BriefingInvitation, BriefingMaterial, BriefingRegistration, BriefingStatus, CheckInMethod,
)
from tracker.domain import DomainError
from tracker.extensions import db
from tracker.i18n import LOCAL_TZ
from tracker.mail.models import OutboxMessage
from tracker.notifications.models import Notification, NotificationKind
from tracker.visits.models import PolicyTopic

# Monday 10 June 2019, 09:00 in Yingkou; the briefing is on the 20th, 09:00-11:30.
NOW = datetime(2019, 6, 10, 9, 0, tzinfo=LOCAL_TZ).astimezone(timezone.utc)
STARTS = datetime(2019, 6, 20, 9, 0, tzinfo=LOCAL_TZ).astimezone(timezone.utc)
ENDS = datetime(2019, 6, 20, 11, 30, tzinfo=LOCAL_TZ).astimezone(timezone.utc)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def in_english(cast):
    """Every user reads the pages in English (the assertions match English words)."""
    for user in (cast.admin, cast.manager, cast.manager_dl, cast.officer, cast.officer_byq, cast.contact,
                 cast.contact_byq):
        user.locale = "en"
    db.session.commit()


@pytest.fixture
def clock(monkeypatch):
    """The briefings' clock, standing on a moment the test moves."""
    moment = {"now": NOW}
    monkeypatch.setattr(services, "clock", lambda: moment["now"])
    return moment


@pytest.fixture
def upload_folder(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    return tmp_path / "uploads"


def make_briefing(cast, capacity=10, status=BriefingStatus.OPEN, office=None, **kw) -> Briefing:
    """A briefing of 20 June 2019 (Factory.briefing), in the given state."""
    from tests.conftest import Factory

    office = office or cast.org.yingkou
    topics = db.session.scalars(sa.select(PolicyTopic).order_by(PolicyTopic.id).limit(2)).all()
    by = cast.officer if office is cast.org.yingkou else cast.officer_byq
    briefing = Factory.briefing(office, by, starts_at=STARTS, hours=2.5, capacity=capacity, topics=topics,
                                open_=status is not BriefingStatus.DRAFT, now=NOW, **kw)
    if status not in (BriefingStatus.DRAFT, BriefingStatus.OPEN):
        briefing.status = status
    db.session.commit()
    return briefing


def register(briefing, firm, by, attendees=1, names="张三"):
    registration = services.register(briefing, firm, attendees=attendees, names=names, by=by, now=NOW)
    db.session.commit()
    return registration


def login(auth, who):
    assert auth.login(who.username).status_code == 302


# Transitions ------------------------------------------------------------------------------------------
def test_transitions_allowed_and_refused(cast):
    briefing = make_briefing(cast, status=BriefingStatus.DRAFT)
    with pytest.raises(DomainError):
        briefing.close()
    with pytest.raises(DomainError):
        briefing.mark_held(NOW)
    briefing.open(NOW)
    assert briefing.status is BriefingStatus.OPEN
    with pytest.raises(DomainError):
        briefing.open(NOW)
    briefing.close()
    briefing.open(NOW)  # closed may open again
    with pytest.raises(DomainError, match="已举办"):
        briefing.mark_held(NOW)  # not before it begins
    briefing.mark_held(STARTS)
    with pytest.raises(DomainError):
        briefing.cancel()
    with pytest.raises(DomainError):
        make_briefing(cast, status=BriefingStatus.DRAFT).open(STARTS)  # not once begun


def test_only_a_manager_cancels_and_the_page_says_who(client, auth, cast, clock):
    briefing = make_briefing(cast)
    login(auth, cast.officer)
    assert auth.post(f"/briefings/{briefing.id}/cancel").status_code == 403
    page = client.get(f"/briefings/{briefing.id}").get_data(as_text=True)
    assert cast.manager.display_name in page and f"/briefings/{briefing.id}/cancel" not in page
    auth.logout()
    login(auth, cast.manager)
    assert auth.post(f"/briefings/{briefing.id}/cancel").status_code == 302
    db.session.expire_all()
    assert db.session.get(Briefing, briefing.id).status is BriefingStatus.CANCELLED


# Permission matrix ------------------------------------------------------------------------------------
@pytest.mark.parametrize("who, status", [("officer", 200), ("manager", 200), ("manager_dl", 200), ("admin", 200),
                                         ("officer_byq", 404), ("contact", 403), ("contact_byq", 403)])
def test_staff_page_by_role_and_scope(client, auth, cast, who, status):
    briefing = make_briefing(cast)
    login(auth, getattr(cast, who))
    assert client.get(f"/briefings/{briefing.id}").status_code == status


@pytest.mark.parametrize("who, status", [("officer", 302), ("manager", 302), ("officer_byq", 404), ("contact", 403)])
def test_who_may_open_invite_and_check_in(client, auth, cast, who, status):
    briefing = make_briefing(cast, status=BriefingStatus.DRAFT)
    login(auth, getattr(cast, who))
    assert auth.post(f"/briefings/{briefing.id}/open").status_code == status
    assert client.get(f"/briefings/{briefing.id}/check-in").status_code == (200 if status == 302 else status)
    assert client.get(f"/briefings/{briefing.id}/invite").status_code == (200 if status == 302 else status)


def test_a_draft_is_hidden_from_firms_and_an_open_one_is_public_to_the_district(client, auth, cast):
    draft = make_briefing(cast, status=BriefingStatus.DRAFT, title="草稿宣讲会")
    open_ = make_briefing(cast, title="公开宣讲会")
    elsewhere = make_briefing(cast, office=cast.org.bayuquan, title="鲅鱼圈宣讲会")
    login(auth, cast.contact)
    assert client.get(f"/briefings/{draft.id}/firm").status_code == 404
    assert client.get(f"/briefings/{open_.id}/firm").status_code == 200
    assert client.get(f"/briefings/{elsewhere.id}/firm").status_code == 404
    page = client.get("/briefings/mine").get_data(as_text=True)
    assert "公开宣讲会" in page and "草稿宣讲会" not in page and "鲅鱼圈宣讲会" not in page


def test_a_closed_briefing_is_seen_by_invited_firms_only(client, auth, cast):
    briefing = make_briefing(cast, status=BriefingStatus.CLOSED)
    login(auth, cast.contact)
    assert client.get(f"/briefings/{briefing.id}/firm").status_code == 404
    services.invite(briefing, [cast.contact.enterprise], by=cast.officer, now=NOW)
    db.session.commit()
    assert client.get(f"/briefings/{briefing.id}/firm").status_code == 200


def test_another_firms_registration_and_material_are_404(client, auth, cast, factory, upload_folder):
    briefing = make_briefing(cast)
    other = register(briefing, factory.enterprise(cast.org.yingkou), cast.officer)
    login(auth, cast.contact)
    assert auth.post(f"/briefings/registrations/{other.id}/cancel").status_code == 404
    db.session.expire_all()
    assert db.session.get(BriefingRegistration, other.id).is_active
    elsewhere = make_briefing(cast, office=cast.org.bayuquan)
    material = services.add_material(elsewhere, _file("政策.pdf", PDF), by=cast.officer_byq)
    db.session.commit()
    assert client.get(f"/briefings/materials/{material.id}").status_code == 404


# Capacity --------------------------------------------------------------------------------------------
def test_thirty_simultaneous_registrations_fill_ten_places_exactly(app, cast, factory):
    from tracker.auth.models import User
    from tracker.enterprises.models import Enterprise

    briefing_id = make_briefing(cast, capacity=10).id
    firms = [factory.enterprise(cast.org.yingkou).id for _ in range(30)]
    officer_id = cast.officer.id
    db.session.commit()

    def work(k):
        services.register(db.session.get(Briefing, briefing_id), db.session.get(Enterprise, firms[k]), attendees=1,
                          names="张三", by=db.session.get(User, officer_id), now=NOW)

    outcomes = race(app, 30, work, {services.BriefingFull: "full"})
    assert outcomes.count("ok") == 10 and outcomes.count("full") == 20, outcomes
    db.session.rollback()
    assert db.session.get(Briefing, briefing_id).registered == 10
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BriefingRegistration)) == 10


def test_thirty_identical_registrations_of_one_firm_make_one(app, cast):
    from tracker.auth.models import User
    from tracker.enterprises.models import Enterprise

    briefing_id = make_briefing(cast, capacity=50).id
    firm_id, contact_id = cast.contact.enterprise_id, cast.contact.id

    def work(k):
        services.register(db.session.get(Briefing, briefing_id), db.session.get(Enterprise, firm_id), attendees=2,
                          names="张三\n李四", by=db.session.get(User, contact_id), now=NOW)

    outcomes = race(app, 30, work, {services.BriefingFull: "full"})
    assert outcomes.count("ok") == 1, outcomes
    # The others met the partial unique index (a refusal in words, not "full", not an error).
    assert all(o not in ("ok", "full") and not o.startswith("error") for o in outcomes if o != "ok"), outcomes
    db.session.rollback()
    assert db.session.get(Briefing, briefing_id).registered == 1  # the places taken were given back
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BriefingRegistration)) == 1


def test_a_full_briefing_refuses_in_words_and_cancelling_frees_the_place(client, auth, cast, factory, clock):
    briefing = make_briefing(cast, capacity=1)
    taken = register(briefing, factory.enterprise(cast.org.yingkou), cast.officer)
    login(auth, cast.contact)
    page = client.get(f"/briefings/{briefing.id}/firm")
    data = {"csrf_token": csrf_from(page), "submission_key": submission_key_from(page), "attendees": "1",
            "attendee_names": "王五"}
    response = client.post(f"/briefings/{briefing.id}/firm", data=data)
    assert response.status_code == 400 and "full" in response.get_data(as_text=True)
    services.cancel_registration(taken, by=cast.officer, now=NOW)
    db.session.commit()
    assert db.session.get(Briefing, briefing.id).registered == 0
    page = client.get(f"/briefings/{briefing.id}/firm")
    data.update(csrf_token=csrf_from(page), submission_key=submission_key_from(page))
    assert client.post(f"/briefings/{briefing.id}/firm", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Briefing, briefing.id).registered == 1


def test_the_check_constraint_stands_behind_the_counter(cast):
    briefing = make_briefing(cast, capacity=2)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.update(Briefing).where(Briefing.id == briefing.id).values(registered=3))
        db.session.flush()
    db.session.rollback()


# Registration by the contact --------------------------------------------------------------------------
def test_the_contact_registers_his_own_firm_with_names_and_cancels_before_the_start(client, auth, cast, clock):
    briefing = make_briefing(cast)
    login(auth, cast.contact)
    page = client.get(f"/briefings/{briefing.id}/firm")
    data = {"csrf_token": csrf_from(page), "submission_key": submission_key_from(page), "attendees": "2",
            "attendee_names": "张三", "enterprise_id": str(cast.contact_byq.enterprise_id)}
    wrong = client.post(f"/briefings/{briefing.id}/firm", data=data)
    assert wrong.status_code == 400 and "张三" in wrong.get_data(as_text=True)  # typed values kept
    data["attendee_names"] = "张三\n李四"
    assert client.post(f"/briefings/{briefing.id}/firm", data=data).status_code == 302
    registration = db.session.scalars(sa.select(BriefingRegistration)).one()
    assert registration.enterprise_id == cast.contact.enterprise_id  # his own firm, whatever the form said
    assert registration.names == ["张三", "李四"] and registration.attendees == 2
    again = client.post(f"/briefings/{briefing.id}/firm", data=data)  # the same form resent
    assert again.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BriefingRegistration)) == 1
    page = client.get(f"/briefings/{briefing.id}/firm").get_data(as_text=True)
    assert "张三、李四" in page
    clock["now"] = STARTS + timedelta(minutes=1)
    assert auth.post(f"/briefings/registrations/{registration.id}/cancel").status_code == 302
    db.session.expire_all()
    assert db.session.get(BriefingRegistration, registration.id).is_active  # too late
    clock["now"] = NOW
    auth.post(f"/briefings/registrations/{registration.id}/cancel")
    db.session.expire_all()
    assert not db.session.get(BriefingRegistration, registration.id).is_active
    assert db.session.get(Briefing, briefing.id).registered == 0


@pytest.mark.parametrize("attendees, names", [("0", "张三"), ("6", "a\nb\nc\nd\ne\nf"), ("x", "张三"), ("", "")])
def test_bad_attendees_are_a_400_with_a_reason(client, auth, cast, clock, attendees, names):
    briefing = make_briefing(cast)
    login(auth, cast.contact)
    page = client.get(f"/briefings/{briefing.id}/firm")
    response = client.post(f"/briefings/{briefing.id}/firm", data={
        "csrf_token": csrf_from(page), "submission_key": submission_key_from(page), "attendees": attendees,
        "attendee_names": names})
    assert response.status_code == 400 and 'id="form-errors"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BriefingRegistration)) == 0


def test_an_officer_registers_a_firm_by_phone(client, auth, cast, clock):
    briefing = make_briefing(cast)
    firm = cast.contact.enterprise
    login(auth, cast.officer)
    page = client.get(f"/briefings/{briefing.id}/register?enterprise={firm.id}")
    assert firm.name in page.get_data(as_text=True)
    response = client.post(f"/briefings/{briefing.id}/register", data={
        "csrf_token": csrf_from(page), "submission_key": submission_key_from(page), "enterprise_id": str(firm.id),
        "attendees": "1", "attendee_names": "王经理"})
    assert response.status_code == 302
    registration = db.session.scalars(sa.select(BriefingRegistration)).one()
    assert registration.registered_by_id == cast.officer.id
    # A firm of another district is out of reach (404, nothing told).
    page = client.get(f"/briefings/{briefing.id}/register?enterprise={cast.contact_byq.enterprise_id}")
    assert page.status_code == 404


# Invitations -----------------------------------------------------------------------------------------
def test_inviting_the_roster_notifies_and_mails_each_contact_once(client, auth, cast, factory, clock):
    from tracker.campaigns.models import RosterEntry, RosterSource

    campaign = factory.campaign(cast.org.yingkou)
    firm = cast.contact.enterprise
    cast.contact.email = "wang@yalisi.example"
    other = factory.enterprise(cast.org.yingkou)
    off_roster = factory.enterprise(cast.org.yingkou, name="未入册企业")
    for f in (firm, other):
        db.session.add(RosterEntry(campaign_id=campaign.id, enterprise_id=f.id, source=RosterSource.MANUAL))
    db.session.commit()
    briefing = make_briefing(cast, campaign=campaign)
    login(auth, cast.officer)
    page = client.get(f"/briefings/{briefing.id}/invite")
    text = page.get_data(as_text=True)
    assert firm.name in text and "未入册企业" not in text
    assert client.post(f"/briefings/{briefing.id}/invite", data={"csrf_token": csrf_from(page), "scope": "all"}
                       ).status_code == 302
    assert client.post(f"/briefings/{briefing.id}/invite", data={"csrf_token": csrf_from(page), "scope": "all"}
                       ).status_code == 400  # nobody left to invite
    services.invite(briefing, [firm], by=cast.officer, now=NOW)  # again: nothing new
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BriefingInvitation)) == 2
    notices = db.session.scalars(sa.select(Notification).where(
        Notification.kind == NotificationKind.BRIEFING_INVITED)).all()
    assert [n.user_id for n in notices] == [cast.contact.id]
    mails = db.session.scalars(sa.select(OutboxMessage)).all()
    assert len(mails) == 1 and mails[0].recipients == ["wang@yalisi.example"]
    assert off_roster.id not in set(db.session.scalars(sa.select(BriefingInvitation.enterprise_id)))
    page = client.get(f"/briefings/{briefing.id}").get_data(as_text=True)
    assert "2 invited" in page


# Check-in --------------------------------------------------------------------------------------------
def _scan_url(briefing, at):
    return f"/briefings/{briefing.id}/check-in/{services.entrance_token(briefing, at)}"


def test_a_valid_entrance_code_checks_the_firm_in_once(client, auth, cast, clock):
    briefing = make_briefing(cast)
    registration = register(briefing, cast.contact.enterprise, cast.contact, 2, "张三\n李四")
    clock["now"] = STARTS - timedelta(minutes=30)
    url = _scan_url(briefing, clock["now"])
    login(auth, cast.contact)
    page = client.get(url)
    assert page.status_code == 200 and 'id="check-in-button"' in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(BriefingRegistration, registration.id).checked_in_at is None  # a GET never writes
    assert client.post(url, data={"csrf_token": csrf_from(page)}).status_code == 302
    assert client.post(url, data={"csrf_token": csrf_from(page)}).status_code == 302  # scanned twice
    db.session.expire_all()
    row = db.session.get(BriefingRegistration, registration.id)
    assert row.checked_in_at == clock["now"] and row.check_in_method is CheckInMethod.QR
    assert 'id="checked-in"' in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize("case", ["expired", "early", "other", "tampered", "unregistered"])
def test_entrance_codes_that_do_not_admit(client, auth, cast, clock, case):
    briefing = make_briefing(cast)
    other = make_briefing(cast, title="另一场宣讲会")
    if case != "unregistered":
        register(briefing, cast.contact.enterprise, cast.contact)
    during = STARTS + timedelta(minutes=10)
    url = _scan_url(briefing, during)
    clock["now"] = during
    if case == "expired":
        clock["now"] = ENDS + timedelta(minutes=1)
    elif case == "early":
        url = _scan_url(briefing, STARTS - timedelta(hours=3))
        clock["now"] = STARTS - timedelta(hours=3)
    elif case == "other":
        url = f"/briefings/{briefing.id}/check-in/{services.entrance_token(other, during)}"
    elif case == "tampered":
        url = url[:-3] + ("abc" if not url.endswith("abc") else "xyz")
    login(auth, cast.contact)
    page = client.get(url)
    assert page.status_code == 400 and 'id="scan-refusal"' in page.get_data(as_text=True)
    client.post(url, data={"csrf_token": csrf_from(page)})
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BriefingRegistration).where(
        BriefingRegistration.checked_in_at.is_not(None))) == 0
    words = {"expired": "expired", "early": "Check-in opens", "other": "another briefing", "tampered": "not valid",
             "unregistered": "not registered"}
    assert words[case] in page.get_data(as_text=True)


def test_a_code_made_before_the_window_does_not_work_in_it(cast, clock):
    briefing = make_briefing(cast)
    token = services.entrance_token(briefing, STARTS - timedelta(days=1))
    assert "已过期" in services.token_refusal(briefing, token, STARTS)


def test_a_scan_before_signing_in_comes_back_after_it(client, auth, cast, clock):
    briefing = make_briefing(cast)
    url = _scan_url(briefing, STARTS)
    register(briefing, cast.contact.enterprise, cast.contact)
    clock["now"] = STARTS
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    login_page = client.get(response.headers["Location"])
    signed_in = client.post(response.headers["Location"], data={
        "username": cast.contact.username, "password": PASSWORD, "csrf_token": csrf_from(login_page),
        "next": url})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == url
    assert 'id="check-in-button"' in client.get(url).get_data(as_text=True)


def test_the_officer_checks_firms_in_on_the_list_and_undoes_it(client, auth, cast, clock):
    briefing = make_briefing(cast)
    registration = register(briefing, cast.contact.enterprise, cast.contact, 1, "张三")
    login(auth, cast.officer)
    page = client.get(f"/briefings/{briefing.id}/check-in")
    assert cast.contact.enterprise.name in page.get_data(as_text=True)
    for _ in range(2):  # idempotent
        assert auth.post(f"/briefings/registrations/{registration.id}/attend").status_code == 302
    db.session.expire_all()
    row = db.session.get(BriefingRegistration, registration.id)
    assert row.check_in_method is CheckInMethod.OFFICER and row.checked_in_by_id == cast.officer.id
    assert "1 attended" in client.get(f"/briefings/{briefing.id}").get_data(as_text=True)
    auth.post(f"/briefings/registrations/{registration.id}/unattend")
    db.session.expire_all()
    assert db.session.get(BriefingRegistration, registration.id).checked_in_at is None


def test_the_entrance_page_shows_a_qr_code_of_the_signed_url(client, auth, cast, clock):
    briefing = make_briefing(cast)
    clock["now"] = STARTS
    login(auth, cast.officer)
    page = client.get(f"/briefings/{briefing.id}/entrance").get_data(as_text=True)
    assert "<svg" in page and "http://localhost/briefings/" in page  # an absolute address a phone can open
    url = re.search(r"/briefings/%d/check-in/[A-Za-z0-9_.-]+" % briefing.id, page).group(0)
    assert services.token_refusal(briefing, url.rsplit("/", 1)[1], STARTS) is None


# The sign-in sheet, the export and the list -------------------------------------------------------------
def test_the_sign_in_sheet_lists_the_registered_firms_for_print(client, auth, cast, factory):
    briefing = make_briefing(cast)
    register(briefing, cast.contact.enterprise, cast.contact, 2, "张三\n李四")
    gone = register(briefing, factory.enterprise(cast.org.yingkou, name="已取消企业"), cast.officer)
    services.cancel_registration(gone, by=cast.officer, now=NOW)
    db.session.commit()
    login(auth, cast.officer)
    page = client.get(f"/briefings/{briefing.id}/sign-in-sheet").get_data(as_text=True)
    assert briefing.title in page and "营口海关三楼会议室" in page
    # Styles and the print link work under the CSP (style-src/script-src 'self'): nothing inline.
    assert "<style" not in page and "onclick" not in page and "data-print" in page
    assert "/static/css/sign-in-sheet.css" in page
    assert "@media print" in client.get("/static/css/sign-in-sheet.css").get_data(as_text=True)
    assert cast.contact.enterprise.name in page and "张三、李四" in page and "已取消企业" not in page
    assert 'class="signature"' in page
    xlsx = client.get(f"/briefings/{briefing.id}/registrations.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_the_list_costs_the_same_statements_with_more_briefings(app, client, auth, cast, factory):
    def add(n):
        for _ in range(n):
            b = make_briefing(cast)
            register(b, factory.enterprise(cast.org.yingkou), cast.officer)
            services.invite(b, [factory.enterprise(cast.org.yingkou)], by=cast.officer, now=NOW)
            db.session.commit()

    add(2)
    login(auth, cast.officer)
    few = query_count(app, client, "/briefings/")
    add(6)
    assert query_count(app, client, "/briefings/") == few
    page = client.get("/briefings/").get_data(as_text=True)
    assert page.count('href="/briefings/') >= 8


def test_an_edit_from_an_older_version_is_refused_with_the_values_kept(client, auth, cast):
    briefing = make_briefing(cast)
    login(auth, cast.officer)
    page = client.get(f"/briefings/{briefing.id}/edit")
    text = page.get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="([^"]*)"', text).group(1)
    data = {"csrf_token": csrf_from(page), "version": version, "title": "改过的标题", "starts_at": "2019-06-20T09:00",
            "ends_at": "2019-06-20T11:30", "venue": "会议室", "office_id": str(cast.org.yingkou.id),
            "campaign_id": "0", "capacity": "20"}
    assert client.post(f"/briefings/{briefing.id}/edit", data=data).status_code == 302
    data["title"] = "又一次修改"
    stale = client.post(f"/briefings/{briefing.id}/edit", data=data)
    assert stale.status_code == 409 and "又一次修改" in stale.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Briefing, briefing.id).title == "改过的标题"
    data.update(title="容量太小", capacity="0", version=str(db.session.get(Briefing, briefing.id).version_id))
    assert client.post(f"/briefings/{briefing.id}/edit", data=data).status_code == 400


def test_creating_a_briefing_through_the_form(client, auth, cast):
    login(auth, cast.officer)
    page = client.get("/briefings/new")
    data = {"csrf_token": csrf_from(page), "submission_key": submission_key_from(page), "title": "宣讲会",
            "starts_at": "2019-06-20T09:00", "ends_at": "2019-06-20T08:00", "venue": "会议室",
            "office_id": str(cast.org.yingkou.id), "campaign_id": "0", "capacity": "84",
            "topics": [str(db.session.scalar(sa.select(sa.func.min(PolicyTopic.id))))]}
    wrong = client.post("/briefings/new", data=data)
    assert wrong.status_code == 400 and "end after it starts" in wrong.get_data(as_text=True)
    data["ends_at"] = "2019-06-20T11:30"
    assert client.post("/briefings/new", data=data).status_code == 302
    assert client.post("/briefings/new", data=data).status_code == 302  # resent: one briefing
    briefing = db.session.scalars(sa.select(Briefing)).one()
    assert briefing.status is BriefingStatus.DRAFT and briefing.capacity == 84 and len(briefing.topics) == 1
    assert briefing.starts_at == STARTS
    data.update(submission_key="k" * 20, office_id=str(cast.org.bayuquan.id))
    assert client.post("/briefings/new", data=data).status_code == 400  # not his subtree


# Materials through the pages ------------------------------------------------------------------------------
def _file(name, data):
    from werkzeug.datastructures import FileStorage

    return FileStorage(stream=io.BytesIO(data), filename=name)


def test_material_upload_download_and_delete(client, auth, cast, upload_folder, clock):
    briefing = make_briefing(cast)
    login(auth, cast.officer)
    page = client.get(f"/briefings/{briefing.id}")
    token = csrf_from(page)
    bad = client.post(f"/briefings/{briefing.id}/materials", data={
        "csrf_token": token, "file": (io.BytesIO(b"MZ\x90\x00" + b"\0" * 100), "政策.pdf")},
        content_type="multipart/form-data")
    assert bad.status_code == 400 and "program" in bad.get_data(as_text=True)
    good = client.post(f"/briefings/{briefing.id}/materials", data={
        "csrf_token": token, "file": (io.BytesIO(PDF), "原产地证政策解读.pdf")}, content_type="multipart/form-data")
    assert good.status_code == 302
    material = db.session.scalars(sa.select(BriefingMaterial)).one()
    material_id, stored_name = material.id, material.stored_name
    assert material.content_type == "application/pdf" and material.size_bytes == len(PDF)
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", material.stored_name)
    assert (upload_folder / "briefings" / material.stored_name).read_bytes() == PDF
    auth.logout()
    login(auth, cast.contact)  # an open briefing of his district
    response = client.get(f"/briefings/materials/{material.id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "filename*=UTF-8''" in disposition
    assert auth.post(f"/briefings/materials/{material.id}/delete").status_code == 403
    auth.logout()
    login(auth, cast.contact_byq)
    assert client.get(f"/briefings/materials/{material.id}").status_code == 404
    auth.logout()
    login(auth, cast.officer)
    assert auth.post(f"/briefings/materials/{material_id}/delete").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BriefingMaterial)) == 0
    assert not (upload_folder / "briefings" / stored_name).exists()


def test_a_material_whose_row_is_not_committed_leaves_no_file(cast, upload_folder):
    briefing = make_briefing(cast)
    services.add_material(briefing, _file("a.pdf", PDF), by=cast.officer)
    assert len(list((upload_folder / "briefings").iterdir())) == 1
    db.session.rollback()
    assert list((upload_folder / "briefings").iterdir()) == []


@pytest.mark.parametrize("app_config", [{"UPLOAD_MAX_BYTES": 1024, "MAX_CONTENT_LENGTH": 4096}], indirect=True)
def test_too_large_uploads_are_refused_in_words(client, auth, cast, upload_folder):
    briefing = make_briefing(cast)
    login(auth, cast.officer)
    token = csrf_from(client.get(f"/briefings/{briefing.id}"))
    over = client.post(f"/briefings/{briefing.id}/materials", data={
        "csrf_token": token, "file": (io.BytesIO(PDF + b"0" * 2000), "a.pdf")}, content_type="multipart/form-data")
    assert over.status_code == 400 and "larger than" in over.get_data(as_text=True)
    huge = client.post(f"/briefings/{briefing.id}/materials", data={
        "csrf_token": token, "file": (io.BytesIO(PDF + b"0" * 10000), "a.pdf")}, content_type="multipart/form-data")
    assert huge.status_code == 413 and "<html" in huge.get_data(as_text=True).lower()


def test_the_portal_partial_shows_open_briefings_and_registrations(app, cast, clock):
    from flask import render_template_string
    from flask_login import login_user

    open_ = make_briefing(cast, title="可报名的宣讲会")
    mine = make_briefing(cast, title="已报名的宣讲会")
    make_briefing(cast, office=cast.org.bayuquan, title="鲅鱼圈的宣讲会")
    register(mine, cast.contact.enterprise, cast.contact, 2, "张三\n李四")
    with app.test_request_context("/portal/"):
        login_user(cast.contact)
        html = render_template_string('{% include "briefings/_portal.html" %}')
    assert "可报名的宣讲会" in html and "已报名的宣讲会" in html and "鲅鱼圈的宣讲会" not in html
    assert f"/briefings/{open_.id}/firm" in html
    from tracker.briefings.queries import briefings_for_portal

    shown = briefings_for_portal(cast.contact, now=NOW)
    assert [b.id for b in shown.open] == [open_.id] and [b.id for b, _r in shown.upcoming] == [mine.id]
    assert briefings_for_portal(cast.officer, now=NOW).open == []


def test_a_role_without_a_firm_cannot_use_the_code(cast, clock):
    briefing = make_briefing(cast)
    with pytest.raises(DomainError):
        services.check_in_by_code(briefing, services.entrance_token(briefing, STARTS), by=cast.officer, now=STARTS)
    assert cast.officer.role is Role.OFFICER


def test_the_capacity_cannot_drop_below_the_registrations_even_read_stale(cast, factory):
    from sqlalchemy.orm.attributes import set_committed_value

    briefing = make_briefing(cast, capacity=5)
    for _ in range(2):
        register(briefing, factory.enterprise(cast.org.yingkou), cast.officer)

    def data(capacity):
        return services.BriefingData(title=briefing.title, starts_at=STARTS, ends_at=ENDS, venue="会议室",
                                     office=cast.org.yingkou, capacity=capacity, topics=[])

    with pytest.raises(DomainError, match="名额不能少于"):
        services.update_briefing(briefing, data(1), by=cast.officer)
    db.session.rollback()
    briefing = db.session.get(Briefing, briefing.id)
    set_committed_value(briefing, "registered", 0)  # as read before two firms registered
    with pytest.raises(DomainError, match="报名企业数已超过所填名额"):
        services.update_briefing(briefing, data(1), by=cast.officer)
    db.session.rollback()
    assert db.session.get(Briefing, briefing.id).capacity == 5


def test_staff_register_only_firms_of_the_briefings_district(cast, factory):
    briefing = make_briefing(cast)
    with pytest.raises(DomainError):
        services.register(briefing, cast.contact_byq.enterprise, attendees=1, names="王", by=cast.manager_dl, now=NOW)
    with pytest.raises(DomainError):  # a contact for another firm than his own
        services.register(briefing, factory.enterprise(cast.org.yingkou), attendees=1, names="王", by=cast.contact,
                          now=NOW)


# Over HTTP: a real threaded server, each request on its own connection ------------------------------------
def _burst(base, cookies, path, data_for, n=30) -> list[int]:
    import requests

    barrier = threading.Barrier(n)
    statuses = [0] * n

    def one(k):
        session = requests.Session()
        session.cookies.update(cookies)
        barrier.wait()
        statuses[k] = session.post(base + path, data=data_for(k), allow_redirects=False, timeout=120).status_code

    threads = [threading.Thread(target=one, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def test_thirty_registrations_of_one_firm_over_http_make_one(server, cast, clock):
    import requests

    from tests.conftest import PASSWORD
    from tracker.forms import new_submission_key

    briefing = make_briefing(cast, capacity=30)
    browser = requests.Session()
    page = browser.get(f"{server}/login")
    assert browser.post(f"{server}/login", allow_redirects=False, data={
        "username": cast.contact.username, "password": PASSWORD, "csrf_token": csrf_from_text(page.text)}
    ).status_code == 302
    page = browser.get(f"{server}/briefings/{briefing.id}/firm").text
    form = {"csrf_token": csrf_from_text(page), "attendees": "1", "attendee_names": "张三"}
    same_key = submission_key_from_text(page)
    # A double click resent thirty times (one key), then thirty separate forms (one key each).
    statuses = _burst(server, browser.cookies, f"/briefings/{briefing.id}/firm", lambda k: {**form, "submission_key": same_key})
    statuses += _burst(server, browser.cookies, f"/briefings/{briefing.id}/firm",
                       lambda k: {**form, "submission_key": new_submission_key()})
    assert not [s for s in statuses if s >= 500], statuses
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BriefingRegistration)) == 1
    assert db.session.get(Briefing, briefing.id).registered == 1


def csrf_from_text(text):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text).group(1)


def submission_key_from_text(text):
    return re.search(r'name="submission_key" type="hidden" value="([^"]+)"', text).group(1)


def test_the_briefing_pages_cost_the_same_statements_with_more_rows(app, client, auth, cast, factory, upload_folder):
    briefing = make_briefing(cast, capacity=100)

    def add(n):
        for _ in range(n):
            firm = factory.enterprise(cast.org.yingkou)
            registration = register(briefing, firm, cast.officer)
            services.check_in(registration, by=cast.officer, method=CheckInMethod.OFFICER, now=STARTS)
            services.invite(briefing, [firm], by=cast.officer, now=NOW)
            services.add_material(briefing, _file("资料.pdf", PDF), by=cast.officer)
            db.session.commit()

    add(1)
    login(auth, cast.officer)
    pages = [f"/briefings/{briefing.id}", f"/briefings/{briefing.id}/check-in",
             f"/briefings/{briefing.id}/sign-in-sheet"]
    before = [query_count(app, client, p) for p in pages]
    add(5)
    assert [query_count(app, client, p) for p in pages] == before


def test_a_request_that_fails_after_the_upload_leaves_no_file(cast, upload_folder):
    """The session closed without a commit (an unexpected error, the request's teardown) removes the file."""
    briefing = make_briefing(cast)
    services.add_material(briefing, _file("a.pdf", PDF), by=cast.officer)
    db.session.remove()
    assert list((upload_folder / "briefings").iterdir()) == []


def test_a_walk_in_is_registered_at_the_desk_after_the_start_but_not_by_the_firm(cast, factory):
    briefing = make_briefing(cast)
    during = STARTS + timedelta(minutes=20)
    with pytest.raises(DomainError, match="报名已结束"):
        services.register(briefing, cast.contact.enterprise, attendees=1, names="张三", by=cast.contact, now=during)
    walk_in = services.register(briefing, cast.contact.enterprise, attendees=1, names="张三", by=cast.officer,
                                now=during)
    assert services.check_in(walk_in, by=cast.officer, method=CheckInMethod.OFFICER, now=during)
    with pytest.raises(DomainError, match="报名已结束"):
        services.register(briefing, factory.enterprise(cast.org.yingkou), attendees=1, names="李四", by=cast.officer,
                          now=ENDS)
