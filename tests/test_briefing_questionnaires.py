"""A questionnaire attached to a policy briefing: the firms invited to it or registered for it answer it, in
the portal or from the briefing's page, and no other firm does."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_from, page, submission_key_from
from tracker.briefings import services as briefings
from tracker.extensions import db
from tracker.questionnaires import services
from tracker.questionnaires.models import QuestionKind, Questionnaire, Response


@pytest.fixture
def briefing(cast, factory):
    starts = briefings.clock() + timedelta(days=7)
    return factory.briefing(cast.org.yingkou, cast.officer, starts_at=starts, title="原产地证政策宣讲会")


@pytest.fixture
def questionnaire(cast, briefing):
    q = services.create_questionnaire(services.QuestionnaireData(
        title="宣讲会满意度问卷", intro=None, office=cast.org.yingkou, campaign=None, briefing=briefing), by=cast.manager)
    services.add_question(q, kind=QuestionKind.RATING, text="请为本次宣讲打分", required=True, options=[], by=cast.manager)
    services.open_questionnaire(q, by=cast.manager)
    db.session.commit()
    return q


def test_a_registered_firm_answers_from_the_briefing_page(client, auth, cast, briefing, questionnaire):
    firm = cast.contact.enterprise
    auth.login("yalisi")
    assert "宣讲会满意度问卷" not in page(client, "/portal/")  # not registered: not asked
    briefings.register(briefing, firm, attendees=1, names="孙丽娟", by=cast.contact)
    db.session.commit()
    assert "宣讲会满意度问卷" in page(client, "/portal/")
    detail = page(client, f"/briefings/{briefing.id}/firm")
    assert f'id="answer-questionnaire-{questionnaire.id}"' in detail
    url = f"/questionnaires/{questionnaire.id}/answer"
    form = client.get(url)
    rating = questionnaire.questions[0]
    response = client.post(url, data={"csrf_token": csrf_from(form), "submission_key": submission_key_from(form),
                                      f"q{rating.id}": "5"})
    assert response.status_code == 302
    db.session.rollback()
    answered = db.session.scalar(sa.select(Response).where(Response.questionnaire_id == questionnaire.id))
    assert answered.enterprise_id == firm.id
    assert "answer-questionnaire" not in page(client, f"/briefings/{briefing.id}/firm")


def test_an_invited_firm_is_asked_and_an_uninvited_one_is_not(cast, factory, briefing, questionnaire):
    firm = cast.contact.enterprise
    other = factory.enterprise(cast.org.yingkou)
    assert not services.firm_may_answer(firm.id, questionnaire)
    briefings.invite(briefing, [firm], by=cast.officer)
    assert services.firm_may_answer(firm.id, questionnaire)
    assert not services.firm_may_answer(other.id, questionnaire)


def test_a_cancelled_registration_no_longer_asks(cast, briefing, questionnaire):
    firm = cast.contact.enterprise
    registration = briefings.register(briefing, firm, attendees=1, names="孙丽娟", by=cast.contact)
    assert services.firm_may_answer(firm.id, questionnaire)
    briefings.cancel_registration(registration, by=cast.contact)
    assert not services.firm_may_answer(firm.id, questionnaire)


def test_a_questionnaire_needs_a_campaign_or_a_briefing(client, auth, cast):
    auth.login("manager")
    form = client.get("/questionnaires/new")
    response = client.post("/questionnaires/new", data={
        "csrf_token": csrf_from(form), "submission_key": submission_key_from(form), "title": "无归属问卷",
        "office_id": cast.org.yingkou.id, "campaign_id": 0, "briefing_id": 0})
    assert response.status_code == 400
    assert "请将问卷关联到调研活动或宣讲会" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Questionnaire.id))) == 0


def test_the_database_refuses_a_questionnaire_attached_to_nothing(cast):
    db.session.add(Questionnaire(title="无归属", office=cast.org.yingkou))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_staff_see_the_briefings_questionnaire_with_its_results(client, auth, briefing, questionnaire):
    auth.login("officer")
    detail = page(client, f"/briefings/{briefing.id}")
    assert "宣讲会满意度问卷" in detail and f"/questionnaires/{questionnaire.id}/results" in detail
