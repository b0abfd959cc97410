"""The policy-briefing demo (tracker/demo_briefings.py): the article's June 2019 briefing with 84 firms attending,
《营口海关优化通关服务调查问卷》 answered by them, and a briefing ahead that a contact can register for."""
import re
import statistics
from collections import Counter
from datetime import date

import sqlalchemy as sa

from tests.conftest import AuthActions
from tests.test_demo import DEMO_PASSWORD, YALISI
from tracker.auth.models import User
from tracker.briefings import services as briefings
from tracker.briefings.models import (
    Briefing, BriefingInvitation, BriefingRegistration, BriefingStatus, CheckInMethod, RegistrationStatus,
)
from tracker.briefings.queries import counts_of
from tracker.campaigns.models import Campaign, RosterEntry
from tracker.demo_briefings import BRIEFING, NAMED, QUESTIONNAIRE_TITLE, UPCOMING
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.i18n import LOCAL_TZ
from tracker.mail.models import OutboxMessage
from tracker.notifications.models import Notification, NotificationKind
from tracker.questionnaires.models import (
    Answer, QuestionKind, Questionnaire, QuestionnaireStatus, Response, ResponseChannel,
)


def seed(runner):
    result = runner.invoke(args=["seed-demo", "--password", DEMO_PASSWORD])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    return result.output


def briefing(title: str) -> Briefing:
    return db.session.scalar(sa.select(Briefing).where(Briefing.title == title))


def test_the_june_2019_briefing_had_84_firms_of_the_roster_and_the_articles_topics(runner):
    output = seed(runner)
    assert "2 briefings" in output and "90 briefing registrations" in output

    june = briefing(BRIEFING["title"])
    assert june.office.code == "0930" and june.status is BriefingStatus.HELD
    assert june.starts_at.astimezone(LOCAL_TZ).date() == date(2019, 6, 13)
    assert [t.name for t in june.topics] == ["原产地证业务", "一体化通关", "进出境木质包装检疫", "企业信用管理", "综合保税区政策"]
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.name == "2019年百企大调研"))
    assert june.campaign_id == campaign.id

    roster = set(db.session.scalars(sa.select(RosterEntry.enterprise_id).where(RosterEntry.campaign_id == campaign.id)))
    invited = set(db.session.scalars(sa.select(BriefingInvitation.enterprise_id)
                                     .where(BriefingInvitation.briefing_id == june.id)))
    assert invited == roster
    counts = counts_of([june.id])[june.id]
    assert (counts.invited, counts.registered, counts.attended) == (len(roster), 90, 84)
    assert june.registered == 90 <= june.capacity

    registrations = db.session.scalars(sa.select(BriefingRegistration).where(
        BriefingRegistration.briefing_id == june.id)).all()
    assert {r.status for r in registrations} == {RegistrationStatus.REGISTERED}
    assert {r.enterprise_id for r in registrations} <= roster
    for r in registrations:  # registered before the start, attendees named one a line, checked in before it
        assert r.registered_at < june.starts_at
        assert len(r.attendee_names.splitlines()) == r.attendees >= 1
        if r.checked_in_at is not None:
            assert r.checked_in_at < june.starts_at and r.checked_in_by is not None
    by_name = {r.enterprise.name: r for r in registrations}
    assert all(by_name[name].checked_in_at is not None for name in NAMED)
    yalisi = by_name["营口雅丽丝服装有限公司"]
    assert yalisi.enterprise.uscc == YALISI
    assert yalisi.registered_by.username == "yalisi" and yalisi.check_in_method is CheckInMethod.QR
    others = [r for r in registrations if r is not yalisi and r.checked_in_at is not None]
    assert {r.check_in_method for r in others} == {CheckInMethod.OFFICER}
    assert {r.checked_in_by.username for r in others} == {"officer", "officer2"}

    # 雅丽丝's contact was told in 2019 and has read it; nobody is e-mailed today about a briefing of 2019.
    notices = db.session.scalars(sa.select(Notification).where(
        Notification.kind == NotificationKind.BRIEFING_INVITED, Notification.dedupe_key == f"briefing:{june.id}")).all()
    assert [db.session.get(User, n.user_id).username for n in notices] == ["yalisi"]
    assert notices[0].created_at.year == 2019 and notices[0].read_at is not None
    assert not [m for m in db.session.scalars(sa.select(OutboxMessage)) if BRIEFING["title"] in m.subject]


def test_the_questionnaire_was_answered_by_each_firm_that_came_and_reads_like_real_answers(runner):
    seed(runner)
    june = briefing(BRIEFING["title"])
    questionnaire = db.session.scalar(sa.select(Questionnaire).where(Questionnaire.title == QUESTIONNAIRE_TITLE))
    assert questionnaire.briefing_id == june.id and questionnaire.campaign_id == june.campaign_id
    assert questionnaire.status is QuestionnaireStatus.CLOSED
    assert {q.kind for q in questionnaire.questions} == set(QuestionKind)

    responses = db.session.scalars(sa.select(Response).where(Response.questionnaire_id == questionnaire.id)).all()
    came = set(db.session.scalars(sa.select(BriefingRegistration.enterprise_id).where(
        BriefingRegistration.briefing_id == june.id, BriefingRegistration.checked_in_at.is_not(None))))
    assert len(responses) == 84 and {r.enterprise_id for r in responses} == came
    channels = Counter((r.channel, r.entered_by.username) for r in responses)
    assert channels[(ResponseChannel.PORTAL, "yalisi")] == 1
    assert sum(n for (channel, _), n in channels.items() if channel is ResponseChannel.PAPER) == 83
    assert all(questionnaire.opened_at <= r.submitted_at <= questionnaire.closed_at for r in responses)

    answers = db.session.scalars(sa.select(Answer).join(Response).where(Response.questionnaire_id == questionnaire.id)).all()
    by_question = {q.id: [a for a in answers if a.question_id == q.id] for q in questionnaire.questions}
    for question in questionnaire.questions:
        given = by_question[question.id]
        if question.required:
            assert len(given) == 84, question.text
        if question.kind is QuestionKind.SINGLE:
            assert all(len(a.options) == 1 for a in given)
            assert len({a.options[0].id for a in given}) >= 2  # opinions differ
        elif question.kind is QuestionKind.MULTIPLE:
            assert all(a.options for a in given) and max(len(a.options) for a in given) >= 3
        elif question.kind is QuestionKind.RATING:
            ratings = [a.rating for a in given]
            assert set(ratings) <= {1, 2, 3, 4, 5} and 4 <= statistics.mean(ratings) < 5 and min(ratings) <= 3
        else:
            texts = [a.text for a in given]
            assert 5 <= len(texts) < 84 and len(set(texts)) == len(texts)


def test_the_demo_pages_show_the_briefing_its_results_and_one_to_register_for(runner, client):
    seed(runner)
    june, ahead = briefing(BRIEFING["title"]), briefing(UPCOMING["title"])
    questionnaire = db.session.scalar(sa.select(Questionnaire).where(Questionnaire.title == QUESTIONNAIRE_TITLE))
    assert ahead.status is BriefingStatus.OPEN and ahead.starts_at > briefings.clock()
    auth = AuthActions(client)

    auth.login("manager", DEMO_PASSWORD)
    page = client.get(f"/briefings/{june.id}").get_data(as_text=True)
    assert re.search(r"邀请108家 · 报名90家（\d+人） · 签到84家（\d+人）", page)
    assert "营口雅丽丝服装有限公司" in page and "已举办" in page
    results = client.get(f"/questionnaires/{questionnaire.id}/results")
    assert results.status_code == 200 and "本次政策宣讲会对贵企业是否有帮助？" in results.get_data(as_text=True)
    export = client.get(f"/questionnaires/{questionnaire.id}/results.xlsx")
    assert export.status_code == 200 and export.data[:2] == b"PK"
    auth.logout()

    auth.login("yalisi", DEMO_PASSWORD)
    portal = client.get("/portal/").get_data(as_text=True)
    assert UPCOMING["title"] in portal
    firm_page = client.get(f"/briefings/{ahead.id}/firm")
    assert firm_page.status_code == 200 and "报名" in firm_page.get_data(as_text=True)
    assert client.get(f"/briefings/{june.id}/firm").status_code == 200  # invited and came: his firm may see it
    # His firm answered in the portal at the briefing: the questionnaire opens on that answer.
    firm = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == YALISI))
    response = db.session.scalar(sa.select(Response).where(
        Response.questionnaire_id == questionnaire.id, Response.enterprise_id == firm.id))
    mine = client.get(f"/questionnaires/{questionnaire.id}/answer")
    assert mine.status_code == 302 and mine.headers["Location"].endswith(f"/questionnaires/responses/{response.id}")
    text = client.get(mine.headers["Location"]).get_data(as_text=True)
    rating = next(a for a in response.answers if a.rating is not None)
    assert rating.question.text in text
