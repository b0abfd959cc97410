"""Questionnaires (调查问卷): who reaches what, drafting and the rule that answered questions stay, answers checked
at their questions, one response per firm (sequential, double click, 30 threads), paper answers, the results
against the answers given, the Excel file read back, and query counts that do not grow with the responses."""
import io
import re
import threading
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from flask import render_template

from tests.conftest import csrf_from, page, query_count, submission_key_from, race
from tracker.auth.models import Role
from tracker.domain import DomainError
from tracker.extensions import db
from tracker.questionnaires import queries, services
from tracker.questionnaires.models import (
    Answer,
    Question,
    QuestionKind,
    Questionnaire,
    QuestionnaireStatus,
    Response,
    ResponseChannel,
)

JUNE_2019 = datetime(2019, 6, 20, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def campaign(cast, factory, firm):
    """营口's campaign with the contact's firm on its roster."""
    campaign = factory.campaign(cast.org.yingkou)
    factory.on_roster(campaign, firm)
    db.session.commit()
    return campaign


@pytest.fixture
def questionnaire(campaign, cast, factory):
    q = factory.questionnaire(campaign, cast.manager)
    db.session.commit()
    return q


@pytest.fixture
def colleague(cast, factory, firm):
    """A second contact of the same firm."""
    user = factory.user(Role.ENTERPRISE_CONTACT, enterprise=firm, username="yalisi-2", locale="en")
    db.session.commit()
    return user


def questions(q: Questionnaire) -> dict[str, Question]:
    return {question.kind.value: question for question in q.questions}


def answer_data(q: Questionnaire, single=0, multiple=(0, 2), rating="4", text="希望增加窗口") -> dict:
    """The answer form as a contact fills it in: option indexes turned into the option ids the page offers."""
    by_kind = questions(q)
    data = {}
    if single is not None:
        data[f"q{by_kind['single'].id}"] = str(by_kind["single"].options[single].id)
    data[f"q{by_kind['multiple'].id}"] = [str(by_kind["multiple"].options[i].id) for i in multiple]
    if rating is not None:
        data[f"q{by_kind['rating'].id}"] = rating
    data[f"q{by_kind['text'].id}"] = text
    return data


def post_answer(client, url: str, data: dict):
    form = client.get(url)
    assert form.status_code == 200, form.status_code
    return client.post(url, data={"csrf_token": csrf_from(form), "submission_key": submission_key_from(form), **data})


def responses_count(q) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(Response.id)).where(Response.questionnaire_id == q.id))


# Who reaches what ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("username, detail, results, new, answer", [
    ("admin", 200, 200, 200, 403),
    ("manager", 200, 200, 200, 403),
    ("manager-dl", 200, 200, 200, 403),  # the parent office's manager sees its subtree
    ("officer", 200, 200, 403, 403),
    ("bayuquan-officer", 404, 404, 403, 403),  # another office: as if it did not exist
    ("yalisi", 403, 403, 403, 200),
    ("longxin", 403, 403, 403, 404),  # a contact whose firm is not asked
])
def test_who_reaches_the_questionnaire_pages(client, auth, questionnaire, username, detail, results, new, answer):
    auth.login(username)
    base = f"/questionnaires/{questionnaire.id}"
    assert client.get(base).status_code == detail
    assert client.get(base + "/results").status_code == results
    assert client.get(base + "/results.xlsx").status_code == results
    assert client.get("/questionnaires/new").status_code == new
    assert client.get(base + "/answer").status_code == answer


def test_only_managers_of_the_office_change_it_and_officers_are_told_who_can(client, auth, cast, questionnaire):
    auth.login("officer")
    html = page(client, f"/questionnaires/{questionnaire.id}")
    assert 'id="who-can-act"' in html and "/close" not in html
    assert auth.post(f"/questionnaires/{questionnaire.id}/close").status_code == 403
    auth.logout()
    auth.login("manager")
    assert auth.post(f"/questionnaires/{questionnaire.id}/close").status_code == 302
    db.session.expire_all()
    assert db.session.get(Questionnaire, questionnaire.id).status is QuestionnaireStatus.CLOSED


def test_the_list_shows_the_office_subtree_only(client, auth, cast, factory, questionnaire):
    other = factory.campaign(cast.org.bayuquan, name="鲅鱼圈调研")
    factory.questionnaire(other, cast.manager_dl, title="鲅鱼圈问卷")
    db.session.commit()
    auth.login("officer")
    html = page(client, "/questionnaires/")
    assert questionnaire.title in html and "鲅鱼圈问卷" not in html
    auth.logout()
    auth.login("manager-dl")
    html = page(client, "/questionnaires/")
    assert questionnaire.title in html and "鲅鱼圈问卷" in html


def test_the_menu_offers_questionnaires_to_staff_only(client, auth, questionnaire):
    auth.login("officer")
    assert 'href="/questionnaires/"' in page(client, "/")
    auth.logout()
    auth.login("yalisi")
    assert 'href="/questionnaires/"' not in page(client, "/portal/")


# Drafting -------------------------------------------------------------------------------------------------
def test_a_manager_drafts_a_questionnaire_through_the_pages(client, auth, cast, campaign):
    auth.login("manager")
    form = client.get("/questionnaires/new")
    empty = client.post("/questionnaires/new", data={"csrf_token": csrf_from(form),
                                                      "submission_key": submission_key_from(form),
                                                      "title": "", "intro": "请如实填写",
                                                      "office_id": cast.org.yingkou.id, "campaign_id": campaign.id})
    assert empty.status_code == 400
    html = empty.get_data(as_text=True)
    assert "Fill in Title of the questionnaire." in html and "请如实填写" in html  # what was typed is kept
    created = client.post("/questionnaires/new", data={
        "csrf_token": csrf_from(form), "submission_key": submission_key_from(form), "title": "通关服务调查",
        "intro": "", "office_id": cast.org.yingkou.id, "campaign_id": campaign.id})
    assert created.status_code == 302
    q = db.session.scalar(sa.select(Questionnaire).where(Questionnaire.title == "通关服务调查"))
    assert q.status is QuestionnaireStatus.DRAFT and q.created_by_id == cast.manager.id and q.version == 1
    base = f"/questionnaires/{q.id}"

    # Opening an empty questionnaire is refused with the reason.
    auth.post(base + "/open")
    assert "needs at least one question" in page(client, base)

    # A choice with one option: refused at the options, what was typed kept.
    refused = auth.post(base + "/questions", {"kind": "single", "text": "是否满意？", "options": "满意"})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "at least two options" in html and "是否满意？" in html
    for kind, text, options in (("single", "是否满意？", "满意\n基本满意\n\n不满意"), ("rating", "打分", ""),
                                ("text", "建议", "")):
        assert auth.post(base + "/questions", {"kind": kind, "text": text, "options": options,
                                               "required": "y"}).status_code == 302
    db.session.expire_all()
    q = db.session.get(Questionnaire, q.id)
    assert [x.text for x in q.questions] == ["是否满意？", "打分", "建议"]
    assert [o.text for o in q.questions[0].options] == ["满意", "基本满意", "不满意"]

    # Edit a question: its options rewritten in place (ids kept by position), an option removed.
    single = q.questions[0]
    kept_id = single.options[0].id
    edit_url = f"{base}/questions/{single.id}/edit"
    edit = client.get(edit_url)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', edit.get_data(as_text=True)).group(1)
    assert client.post(edit_url, data={"csrf_token": csrf_from(edit), "version": version, "kind": "single",
                                       "text": "对通关时效是否满意？", "options": "很满意\n不满意"}).status_code == 302
    # The same form sent again from the old version: changed meanwhile, nothing written, 409.
    stale = client.post(edit_url, data={"csrf_token": csrf_from(edit), "version": version, "kind": "single",
                                        "text": "旧的", "options": "甲\n乙"})
    assert stale.status_code == 409 and "旧的" in stale.get_data(as_text=True)
    db.session.expire_all()
    single = db.session.get(Question, single.id)
    assert single.text == "对通关时效是否满意？" and [o.text for o in single.options] == ["很满意", "不满意"]
    assert single.options[0].id == kept_id

    # Reorder and remove.
    last = q.questions[2]
    assert auth.post(f"{base}/questions/{last.id}/move", {"direction": "up"}).status_code == 302
    db.session.expire_all()
    assert [x.text for x in db.session.get(Questionnaire, q.id).questions] == ["对通关时效是否满意？", "建议", "打分"]
    assert auth.post(f"{base}/questions/{last.id}/delete").status_code == 302
    db.session.expire_all()
    assert [x.text for x in db.session.get(Questionnaire, q.id).questions] == ["对通关时效是否满意？", "打分"]

    assert auth.post(base + "/open").status_code == 302
    db.session.expire_all()
    assert db.session.get(Questionnaire, q.id).status is QuestionnaireStatus.OPEN
    # Open: the questions are fixed.
    assert auth.post(f"{base}/questions", {"kind": "text", "text": "再加一题"}).status_code == 400
    assert len(db.session.get(Questionnaire, q.id).questions) == 2


def test_a_question_of_another_questionnaire_is_a_404(client, auth, cast, campaign, factory, questionnaire):
    draft = factory.questionnaire(campaign, cast.manager, title="草稿", opened=False)
    db.session.commit()
    auth.login("manager")
    foreign = questionnaire.questions[0].id
    assert client.get(f"/questionnaires/{draft.id}/questions/{foreign}/edit").status_code == 404
    assert auth.post(f"/questionnaires/{draft.id}/questions/{foreign}/delete").status_code == 404


def test_answered_questions_cannot_be_lost_a_new_version_instead(client, auth, cast, firm, questionnaire):
    services.submit_response(questionnaire, firm, {questions(questionnaire)["single"].id: [
        questions(questionnaire)["single"].options[0].id], questions(questionnaire)["rating"].id: 5},
        by=cast.contact, channel=ResponseChannel.PORTAL)
    db.session.commit()
    single = questions(questionnaire)["single"]
    # The model refuses, whatever the state.
    for attempt in (lambda: questionnaire.remove_question(single),
                    lambda: single.update(QuestionKind.SINGLE, "改了", True, ["甲", "乙"]),
                    lambda: questionnaire.add_question(QuestionKind.TEXT, "新题", False, []),
                    lambda: questionnaire.return_to_draft()):
        with pytest.raises(DomainError, match="已有企业填写此问卷"):
            attempt()
    db.session.rollback()
    auth.login("manager")
    base = f"/questionnaires/{questionnaire.id}"
    auth.post(base + "/draft")
    html = page(client, base)
    assert "Make a new version instead" in html
    db.session.expire_all()
    assert db.session.get(Questionnaire, questionnaire.id).status is QuestionnaireStatus.OPEN

    assert auth.post(base + "/new-version").status_code == 302
    db.session.expire_all()
    copy = db.session.scalar(sa.select(Questionnaire).where(Questionnaire.previous_id == questionnaire.id))
    assert copy.version == 2 and copy.status is QuestionnaireStatus.DRAFT and copy.campaign_id == questionnaire.campaign_id
    assert [(x.kind, x.text, x.required, [o.text for o in x.options]) for x in copy.questions] == \
        [(x.kind, x.text, x.required, [o.text for o in x.options]) for x in questionnaire.questions]
    assert {o.id for x in copy.questions for o in x.options}.isdisjoint(
        {o.id for x in questionnaire.questions for o in x.options})
    # The new draft is editable; a second new version of the old one is refused.
    assert auth.post(f"/questionnaires/{copy.id}/questions/{copy.questions[-1].id}/delete").status_code == 302
    with pytest.raises(DomainError, match="已新建过版本"):
        services.new_version(db.session.get(Questionnaire, questionnaire.id), by=cast.manager)
    db.session.rollback()
    # The old one can be closed and keeps its answers.
    assert auth.post(base + "/close").status_code == 302
    assert responses_count(questionnaire) == 1
    assert f'/questionnaires/{copy.id}"' in page(client, base)


def test_a_questionnaire_without_answers_goes_back_to_draft(client, auth, questionnaire):
    auth.login("manager")
    assert auth.post(f"/questionnaires/{questionnaire.id}/draft").status_code == 302
    db.session.expire_all()
    assert db.session.get(Questionnaire, questionnaire.id).status is QuestionnaireStatus.DRAFT


def test_opening_needs_two_options_per_choice(cast, campaign, factory):
    q = factory.questionnaire(campaign, cast.manager, opened=False, questions=[])
    q.questions.append(Question(kind=QuestionKind.SINGLE, text="单选", required=True, position=1))
    with pytest.raises(DomainError, match="至少需要两个选项"):
        services.open_questionnaire(q, by=cast.manager)
    with pytest.raises(DomainError, match="至少需要两个选项"):
        services.add_question(q, kind=QuestionKind.MULTIPLE, text="多选", required=False, options=["甲", " "],
                              by=cast.manager)


# Answering -------------------------------------------------------------------------------------------------
def test_a_contact_answers_once_and_reads_his_answers(client, auth, cast, firm, questionnaire):
    auth.login("yalisi")
    url = f"/questionnaires/{questionnaire.id}/answer"
    sent = post_answer(client, url, answer_data(questionnaire))
    assert sent.status_code == 302
    response = db.session.scalar(sa.select(Response).where(Response.questionnaire_id == questionnaire.id))
    assert sent.headers["Location"] == f"/questionnaires/responses/{response.id}"
    assert response.enterprise_id == firm.id and response.channel is ResponseChannel.PORTAL
    assert response.entered_by_id == cast.contact.id
    html = page(client, sent.headers["Location"])
    assert "上门指导" not in html.split('id="answer-2"')[1].split("</dd>")[0]
    assert "政策宣讲；线上答疑" in html and "希望增加窗口" in html and "4 points" in html
    # The form again: his firm's answers instead (read only).
    again = client.get(url)
    assert again.status_code == 302 and again.headers["Location"] == sent.headers["Location"]


def test_required_questions_and_bad_values_are_refused_at_their_question(client, auth, questionnaire):
    auth.login("yalisi")
    url = f"/questionnaires/{questionnaire.id}/answer"
    by_kind = questions(questionnaire)
    refused = post_answer(client, url, answer_data(questionnaire, single=None, rating="6", text="我们的建议"))
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    single_block = html.split(f'id="question-{by_kind["single"].id}"')[1].split("</fieldset>")[0]
    rating_block = html.split(f'id="question-{by_kind["rating"].id}"')[1].split("</fieldset>")[0]
    assert "Answer this question: it is required." in single_block
    assert "Not a valid choice" in rating_block
    assert "我们的建议" in html  # what was typed is kept
    assert re.search(rf'checked[^>]*value="{by_kind["multiple"].options[0].id}"|value="{by_kind["multiple"].options[0].id}"[^>]*checked', html)
    # An option of another question.
    foreign = by_kind["multiple"].options[0].id
    wrong = post_answer(client, url, {**answer_data(questionnaire), f"q{by_kind['single'].id}": str(foreign)})
    assert wrong.status_code == 400
    assert responses_count(questionnaire) == 0


def test_the_service_refuses_what_the_form_would(cast, firm, questionnaire):
    by_kind = questions(questionnaire)
    good = {by_kind["single"].id: [by_kind["single"].options[0].id], by_kind["rating"].id: 3}
    cases = [
        ({**good, by_kind["single"].id: [by_kind["multiple"].options[0].id]}, "Choose among this question's options."),
        ({**good, by_kind["single"].id: [o.id for o in by_kind["single"].options[:2]]}, "Choose one option."),
        ({**good, by_kind["rating"].id: 0}, "Give a rating from 1 to 5."),
        ({**good, by_kind["rating"].id: None}, "Answer this question: it is required."),
        ({**good, 999999: "?"}, "This question is not part of the questionnaire."),
    ]
    from flask_babel import force_locale

    for answers, message in cases:
        with force_locale("en"), pytest.raises(services.AnswerRefused) as refused:
            services.submit_response(questionnaire, firm, answers, by=cast.contact, channel=ResponseChannel.PORTAL)
        with force_locale("en"):
            assert message in [str(problem) for problem in refused.value.problems.values()]
        db.session.rollback()
    # The database stands behind the rating's range.
    response = services.submit_response(questionnaire, firm, good, by=cast.contact, channel=ResponseChannel.PORTAL)
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.update(Answer).where(Answer.response_id == response.id, Answer.rating.is_not(None))
                           .values(rating=6))
        db.session.flush()
    db.session.rollback()


def test_a_second_contact_of_the_firm_is_told_it_answered_already(client, auth, colleague, questionnaire):
    auth.login("yalisi")
    url = f"/questionnaires/{questionnaire.id}/answer"
    form = client.get(url)
    auth.logout()
    auth.login("yalisi-2")
    form2 = client.get(url)
    assert post_answer(client, url, answer_data(questionnaire)).status_code == 302
    auth.logout()
    # The first contact sends the form he had open: refused, told so, sent to his firm's answers.
    auth.login("yalisi")
    late = client.post(url, data={"csrf_token": csrf_from(client.get("/portal/")),
                                  "submission_key": submission_key_from(form), **answer_data(questionnaire, 1)})
    assert late.status_code == 302 and "/questionnaires/responses/" in late.headers["Location"]
    assert "Your firm has already answered this questionnaire" in page(client, late.headers["Location"])
    assert responses_count(questionnaire) == 1
    assert form2.status_code == 200


def test_a_double_click_records_one_response(client, auth, questionnaire):
    auth.login("yalisi")
    url = f"/questionnaires/{questionnaire.id}/answer"
    form = client.get(url)
    data = {"csrf_token": csrf_from(form), "submission_key": submission_key_from(form), **answer_data(questionnaire)}
    first, second = client.post(url, data=data), client.post(url, data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert responses_count(questionnaire) == 1


def test_the_unique_constraint_decides_without_the_check_before(cast, firm, questionnaire, colleague):
    """A second response inserted straight away (no read first) is refused by the database, told in words."""
    by_kind = questions(questionnaire)
    answers = {by_kind["single"].id: [by_kind["single"].options[0].id], by_kind["rating"].id: 2}
    services.submit_response(questionnaire, firm, answers, by=cast.contact, channel=ResponseChannel.PORTAL)
    with pytest.raises(DomainError, match="贵企业已填写过此问卷"):
        services.submit_response(questionnaire, firm, answers, by=colleague, channel=ResponseChannel.PORTAL)
    db.session.commit()
    assert responses_count(questionnaire) == 1


N = 30


def test_thirty_simultaneous_answers_of_one_firm_make_one_response(app, cast, firm, factory, questionnaire):
    contacts = [factory.user(Role.ENTERPRISE_CONTACT, enterprise=firm).id for _ in range(N)]
    by_kind = questions(questionnaire)
    answers = {by_kind["single"].id: [by_kind["single"].options[1].id], by_kind["rating"].id: 5,
               by_kind["multiple"].id: [o.id for o in by_kind["multiple"].options], by_kind["text"].id: "同时"}
    qid, firm_id = questionnaire.id, firm.id
    db.session.commit()
    def work(k: int):
        from tracker.auth.models import User
        from tracker.enterprises.models import Enterprise

        q = db.session.get(Questionnaire, qid)
        services.submit_response(q, db.session.get(Enterprise, firm_id), answers,
                                 by=db.session.get(User, contacts[k]), channel=ResponseChannel.PORTAL)

    outcomes = race(app, N, work)
    assert outcomes.count("ok") == 1, outcomes
    assert outcomes.count("贵企业已填写过此问卷，只记录一次。") == N - 1, outcomes
    assert responses_count(questionnaire) == 1
    assert db.session.scalar(sa.select(sa.func.count(Answer.id))) == 4


def test_thirty_simultaneous_posts_over_http_make_one_response(server, cast, firm, questionnaire):
    """Thirty POSTs of the answer form at once, each its own connection and request: one response."""
    import requests

    url = f"{server}/questionnaires/{questionnaire.id}/answer"
    session = requests.Session()
    login = session.get(f"{server}/login")
    session.post(f"{server}/login", data={"username": "yalisi", "password": "correct horse battery",
                                          "csrf_token": csrf_from_text(login.text)})
    forms = [session.get(url).text for _ in range(N)]  # thirty tabs, each its own submission key
    data = answer_data(questionnaire)
    barrier = threading.Barrier(N)
    statuses = [0] * N

    def one(k: int):
        barrier.wait()
        sent = requests.post(url, cookies=session.cookies, allow_redirects=False, data={
            "csrf_token": csrf_from_text(forms[k]), "submission_key": key_from_text(forms[k]), **data})
        statuses[k] = sent.status_code

    threads = [threading.Thread(target=one, args=(k,)) for k in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [302] * N, statuses
    assert responses_count(questionnaire) == 1


def csrf_from_text(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def key_from_text(html: str) -> str:
    return re.search(r'name="submission_key" type="hidden" value="([^"]+)"', html).group(1)


def test_a_closed_or_draft_questionnaire_takes_no_answer(client, auth, cast, campaign, factory, questionnaire):
    draft = factory.questionnaire(campaign, cast.manager, title="尚未开放", opened=False)
    services.close_questionnaire(questionnaire, by=cast.manager)
    db.session.commit()
    auth.login("yalisi")
    assert client.get(f"/questionnaires/{draft.id}/answer").status_code == 404
    url = f"/questionnaires/{questionnaire.id}/answer"
    assert 'id="closed"' in page(client, url)
    client.post(url, data={"csrf_token": csrf_from(client.get("/portal/")), **answer_data(questionnaire)})
    assert responses_count(questionnaire) == 0
    with pytest.raises(DomainError, match="不接受填写"):
        services.submit_response(questionnaire, cast.contact.enterprise, {}, by=cast.contact,
                                 channel=ResponseChannel.PORTAL)


def test_a_firm_off_the_roster_or_outside_the_office_is_not_asked(cast, factory, campaign, questionnaire):
    off_roster = factory.user(Role.ENTERPRISE_CONTACT, cast.org.yingkou)
    assert services.can_answer(cast.contact, questionnaire)
    assert not services.can_answer(off_roster, questionnaire)
    # On the roster but outside the questionnaire's office subtree.
    factory.on_roster(campaign, cast.contact_byq.enterprise)
    assert not services.can_answer(cast.contact_byq, questionnaire)
    # An inactive contact answers nothing.
    cast.contact.active = False
    assert not services.can_answer(cast.contact, questionnaire)
    with pytest.raises(DomainError):
        services.submit_response(questionnaire, off_roster.enterprise, {}, by=off_roster,
                                 channel=ResponseChannel.PORTAL)


# Paper answers ----------------------------------------------------------------------------------------------
def test_an_officer_enters_a_paper_answer_once(client, auth, cast, firm, questionnaire):
    auth.login("officer")
    detail = page(client, f"/questionnaires/{questionnaire.id}")
    url = f"/questionnaires/{questionnaire.id}/paper/{firm.id}"
    assert f'href="{url}"' in detail
    refused = post_answer(client, url, answer_data(questionnaire, rating=None))
    assert refused.status_code == 400 and "Answer this question: it is required." in refused.get_data(as_text=True)
    sent = post_answer(client, url, answer_data(questionnaire, single=2, multiple=(), rating="2", text=""))
    assert sent.status_code == 302
    response = db.session.scalar(sa.select(Response).where(Response.questionnaire_id == questionnaire.id))
    assert response.channel is ResponseChannel.PAPER and response.entered_by_id == cast.officer.id
    assert [a.question_id for a in response.answers] == [questions(questionnaire)["single"].id,
                                                          questions(questionnaire)["rating"].id]
    # The firm is no longer offered, and its contact finds the answers in the portal and cannot answer again.
    assert f'href="{url}"' not in page(client, f"/questionnaires/{questionnaire.id}")
    again = client.get(url)
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/responses/{response.id}")
    auth.logout()
    auth.login("yalisi")
    assert client.get(f"/questionnaires/{questionnaire.id}/answer").headers["Location"].endswith(
        f"/responses/{response.id}")
    assert "Paper form" in page(client, f"/questionnaires/responses/{response.id}")
    assert responses_count(questionnaire) == 1


def test_paper_answers_are_for_firms_in_scope_that_are_asked(client, auth, cast, factory, firm, questionnaire):
    off_roster = factory.enterprise(cast.org.yingkou)
    db.session.commit()
    auth.login("bayuquan-officer")
    assert client.get(f"/questionnaires/{questionnaire.id}/paper/{firm.id}").status_code == 404
    auth.logout()
    auth.login("officer")
    assert client.get(f"/questionnaires/{questionnaire.id}/paper/{off_roster.id}").status_code == 404
    assert client.get(f"/questionnaires/{questionnaire.id}/paper/{cast.contact_byq.enterprise_id}").status_code == 404


# Contacts see their own firm's answers only -------------------------------------------------------------------
def test_another_firms_response_is_a_404(client, auth, cast, factory, campaign, questionnaire):
    neighbour = factory.user(Role.ENTERPRISE_CONTACT, cast.org.yingkou, username="neighbour")
    factory.on_roster(campaign, neighbour.enterprise)
    by_kind = questions(questionnaire)
    theirs = services.submit_response(questionnaire, neighbour.enterprise, {
        by_kind["single"].id: [by_kind["single"].options[0].id], by_kind["rating"].id: 1,
        by_kind["text"].id: "邻居的秘密意见"}, by=neighbour, channel=ResponseChannel.PORTAL)
    db.session.commit()
    auth.login("yalisi")
    answered = client.get(f"/questionnaires/responses/{theirs.id}")
    assert answered.status_code == 404 and "邻居的秘密意见" not in answered.get_data(as_text=True)
    assert client.get(f"/questionnaires/{questionnaire.id}/results").status_code == 403
    auth.logout()
    auth.login("bayuquan-officer")
    assert client.get(f"/questionnaires/responses/{theirs.id}").status_code == 404
    auth.logout()
    auth.login("officer")
    assert "邻居的秘密意见" in page(client, f"/questionnaires/responses/{theirs.id}")


# The portal's part --------------------------------------------------------------------------------------------
def test_the_portal_lists_what_to_answer_and_what_was_answered(app, cast, campaign, factory, firm, questionnaire):
    second = factory.questionnaire(campaign, cast.manager, title="第二份问卷")
    factory.questionnaire(campaign, cast.manager, title="草稿问卷", opened=False)
    other = factory.campaign(cast.org.yingkou, name="别的活动")
    factory.questionnaire(other, cast.manager, title="别的活动问卷")
    by_kind = questions(second)
    response = services.submit_response(second, firm, {by_kind["single"].id: [by_kind["single"].options[0].id],
                                                       by_kind["rating"].id: 3},
                                        by=cast.contact, channel=ResponseChannel.PORTAL, now=JUNE_2019)
    db.session.commit()
    listed = queries.questionnaires_for_portal(cast.contact)
    assert [q.title for q in listed.to_answer] == [questionnaire.title]
    assert [(q.title, r.id) for q, r in listed.answered] == [("第二份问卷", response.id)]
    assert not queries.questionnaires_for_portal(cast.contact_byq)
    assert not queries.questionnaires_for_portal(cast.officer)
    with app.test_request_context():
        from flask_login import login_user

        login_user(cast.contact)
        html = render_template("questionnaires/_portal.html", portal_questionnaires=listed)
    assert f'href="/questionnaires/{questionnaire.id}/answer"' in html
    assert f'href="/questionnaires/responses/{response.id}"' in html
    assert "草稿问卷" not in html and "别的活动问卷" not in html


# Results and export -------------------------------------------------------------------------------------------
def answer_many(questionnaire, cast, factory, campaign, plan):
    """Responses from new firms of 营口, one per entry of plan: (single index, multiple indexes, rating, text,
    channel)."""
    by_kind = questions(questionnaire)
    for single, multiple, rating, text, channel in plan:
        contact = factory.user(Role.ENTERPRISE_CONTACT, cast.org.yingkou)
        factory.on_roster(campaign, contact.enterprise)
        answers = {by_kind["single"].id: [by_kind["single"].options[single].id], by_kind["rating"].id: rating,
                   by_kind["multiple"].id: [by_kind["multiple"].options[i].id for i in multiple]}
        if text:
            answers[by_kind["text"].id] = text
        by = contact if channel is ResponseChannel.PORTAL else cast.officer
        services.submit_response(questionnaire, contact.enterprise, answers, by=by, channel=channel, now=JUNE_2019)
    db.session.commit()


PLAN = [
    (0, (0, 1), 5, "希望延长窗口时间", ResponseChannel.PORTAL),
    (0, (0,), 4, None, ResponseChannel.PORTAL),
    (1, (), 3, "=HYPERLINK(\"http://x\")", ResponseChannel.PAPER),
    (2, (1, 2), 1, None, ResponseChannel.PAPER),
]


def test_results_match_the_answers_given(client, auth, cast, factory, campaign, questionnaire):
    answer_many(questionnaire, cast, factory, campaign, PLAN)
    results = queries.results(questionnaire)
    assert (results.total, results.portal, results.paper) == (4, 2, 2)
    single, multiple, rating, text = results.questions
    assert [r.values for r in single.table.rows] == [[2, 0.5], [1, 0.25], [1, 0.25]]
    # Multiple choice: shares of the three firms that answered it (one chose nothing: no answer).
    assert multiple.answered == 3
    assert [r.values[0] for r in multiple.table.rows] == [2, 2, 1]
    assert [round(r.values[1], 4) for r in multiple.table.rows] == [0.6667, 0.6667, 0.3333]
    assert [r.values[0] for r in rating.table.rows] == [1, 0, 1, 1, 1] and rating.mean == pytest.approx(13 / 4)
    assert [t for _firm, t in text.texts] == ["希望延长窗口时间", "=HYPERLINK(\"http://x\")"]

    auth.login("manager")
    html = page(client, f"/questionnaires/{questionnaire.id}/results")
    assert 'data-report-chart="chart-data-q' in html and '<script type="application/json"' in html
    assert 'id="figure-total" data-value="4"' in html and 'data-value="3.25"' in html
    assert "希望延长窗口时间" in html and "js/report-charts.js" in html
    assert "50.0%" in html or "50%" in html


def test_the_excel_file_holds_the_summary_and_every_response(client, auth, cast, factory, campaign, questionnaire):
    from openpyxl import load_workbook

    answer_many(questionnaire, cast, factory, campaign, PLAN)
    auth.login("officer")
    exported = client.get(f"/questionnaires/{questionnaire.id}/results.xlsx")
    assert exported.status_code == 200
    assert exported.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(exported.data))
    summary, responses = book.worksheets
    rows = [[c for c in row] for row in summary.iter_rows(values_only=True)]
    assert rows[1][:2] == ["Responses", 4] and rows[2][:2] == ["Through the portal", 2]
    assert ["满意", 2, 0.5] in [r[:3] for r in rows]
    assert ["Mean rating", 3.25] in [r[:2] for r in rows]
    sheet = [[c for c in row] for row in responses.iter_rows(values_only=True)]
    assert len(sheet) == 1 + 4
    assert sheet[0][4:] == [f"{n}. {q.text}" for n, q in enumerate(questionnaire.questions, 1)]
    first = sheet[1]
    assert first[2] == "Enterprise portal" and first[4:] == ["满意", "政策宣讲；上门指导", 5, "希望延长窗口时间"]
    # A text that a spreadsheet would run is defused.
    assert sheet[3][7] == "'=HYPERLINK(\"http://x\")"
    assert sheet[4][5] == "上门指导；线上答疑" and sheet[4][7] is None


def test_results_and_lists_cost_the_same_statements_with_more_responses(app, client, auth, cast, factory, campaign,
                                                                       questionnaire):
    auth.login("manager")
    answer_many(questionnaire, cast, factory, campaign, PLAN[:1])
    urls = [f"/questionnaires/{questionnaire.id}/results", f"/questionnaires/{questionnaire.id}",
            "/questionnaires/"]
    small = {url: query_count(app, client, url) for url in urls}
    answer_many(questionnaire, cast, factory, campaign, PLAN * 5)
    factory.questionnaire(campaign, cast.manager, title="另一份")
    db.session.commit()
    assert {url: query_count(app, client, url) for url in urls} == small
    exported = []

    def count(conn, cursor, statement, parameters, context, executemany):
        exported.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(f"/questionnaires/{questionnaire.id}/results.xlsx").status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    few = len(exported)
    answer_many(questionnaire, cast, factory, campaign, PLAN)
    exported.clear()
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(f"/questionnaires/{questionnaire.id}/results.xlsx").status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(exported) == few
