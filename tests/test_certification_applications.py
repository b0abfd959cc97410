"""Certification applications (issue 14, item 4): the regime in force at its boundaries, an application driven
through the pages from the application to the decision (a certification writes the firm's dated credit level under
the regime in force), the wrong ways (order, dates, levels, a change of regime, a missing reason, a stale form),
withdrawal, the firm's contact reading it, concurrency and the pages' statements."""
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import Factory, csrf_from, query_count, race, submission_key_from
from tracker.certification import services
from tracker.certification.models import ApplicationStatus, CertificationApplication
from tracker.domain import DomainError
from tracker.enterprises.models import CreditRating, Enterprise
from tracker.enterprises.reference import CERTIFIED_LEVELS, REGIME_LEVELS, CreditRegime, regime_in_force
from tracker.enterprises.services import record_credit_rating
from tracker.extensions import db
from tracker.notifications.models import Notification, NotificationKind
from tracker.notifications.services import message as notice_text

D237, D251, D282 = CreditRegime.DECREE_237, CreditRegime.DECREE_251, CreditRegime.DECREE_282


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def login(auth, who):
    assert auth.login(who.username).status_code == 302


def fresh(application) -> CertificationApplication:
    db.session.expire_all()
    return db.session.get(CertificationApplication, application.id)


def history(firm) -> list[tuple]:
    db.session.expire_all()
    return [(r.regime, r.level, r.valid_from, r.valid_to) for r in db.session.scalars(
        sa.select(CreditRating).where(CreditRating.enterprise_id == firm.id).order_by(CreditRating.valid_from))]


def rated_firm(cast) -> Enterprise:
    """The contact's firm, 一般信用 under decree 237 since it came into force."""
    firm = cast.contact.enterprise
    record_credit_rating(firm, regime=D237, level="general_credit", valid_from=date(2018, 5, 1))
    db.session.commit()
    return firm


# The regime in force ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("day, regime", [
    (date(2018, 4, 30), None), (date(2018, 5, 1), D237), (date(2021, 10, 31), D237), (date(2021, 11, 1), D251),
    (date(2026, 3, 31), D251), (date(2026, 4, 1), D282), (date(2040, 1, 1), D282),
])
def test_the_regime_in_force_starts_on_its_day(day, regime):
    assert regime_in_force(day) is regime


def test_each_regimes_certified_levels_are_levels_of_it():
    assert CERTIFIED_LEVELS == {D237: ("advanced_certified", "general_certified"), D251: ("advanced_certified",),
                                D282: ("advanced_certified", "certified")}
    assert all(set(levels) <= set(REGIME_LEVELS[regime]) for regime, levels in CERTIFIED_LEVELS.items())


# Through the pages ------------------------------------------------------------------------------------------
def application_page(client, application):
    page = client.get(f"/certification/applications/{application.id}")
    assert page.status_code == 200
    return page


def version_of(page) -> str:
    return re.search(r'name="version" value="(\d+)"', page.get_data(as_text=True)).group(1)


def step(client, application, name: str, page=None, **data):
    """Post the step's form as the application's page fills it in (its CSRF token and version)."""
    page = page or application_page(client, application)
    form = {"csrf_token": csrf_from(page), "version": version_of(page), **data}
    return client.post(f"/certification/applications/{application.id}/{name}", data=form)


def blind(auth, application, name: str, version: str | None = None, **data):
    """A step posted without its form on the page (the state offers none), at the application's version."""
    return auth.post(f"/certification/applications/{application.id}/{name}",
                     {"version": version or str(fresh(application).version_id), **data})


def apply(client, firm, **data):
    page = client.get(f"/certification/firms/{firm.id}")
    assert page.status_code == 200
    form = {"csrf_token": csrf_from(page), "submission_key": submission_key_from(page),
            "target_level": "general_certified", "applied_on": "2019-07-22", "assessment_id": "0", **data}
    return client.post(f"/certification/firms/{firm.id}/applications", data=form)


def test_an_officer_takes_an_application_from_the_form_to_the_certification(client, auth, cast):
    firm = rated_firm(cast)
    assessment = Factory.assessment(firm, cast.officer)
    db.session.commit()
    login(auth, cast.officer)
    page = client.get(f"/certification/firms/{firm.id}").get_data(as_text=True)
    assert 'id="new-application"' in page and "尚无认证申请" in page
    assert f'<option selected value="{assessment.id}">' in page

    made = apply(client, firm, assessment_id=str(assessment.id))
    application = db.session.scalars(sa.select(CertificationApplication)).one()
    assert made.status_code == 302 and made.headers["Location"] == f"/certification/applications/{application.id}"
    assert (application.status, application.target_level, application.applied_on, application.assessment_id) == (
        ApplicationStatus.APPLIED, "general_certified", date(2019, 7, 22), assessment.id)
    assert application.created_by_id == cast.officer.id
    listing = client.get(f"/certification/firms/{firm.id}").get_data(as_text=True)
    assert 'data-status="applied"' in listing and "2019-07-22" in listing and 'id="application-under-way"' in listing

    assert step(client, application, "accept", receipt_no="大关认〔2019〕0726号",
                accepted_on="2019-07-26").status_code == 302
    assert step(client, application, "audit", audit_on="2019-08-20", audit_note="应急预案已演练").status_code == 302
    text = application_page(client, application).get_data(as_text=True)
    assert 'id="decide-form"' in text and 'id="accept-form"' not in text
    assert '<option selected value="general_certified">' in text
    decided = step(client, application, "decide", decision="certified", decided_on="2019-09-01",
                   level="general_certified", certificate_no="AEO-2019-0901", decision_reason="")
    assert decided.status_code == 302

    application = fresh(application)
    assert (application.status, application.decided_on, application.granted_level, application.certificate_no) == (
        ApplicationStatus.CERTIFIED, date(2019, 9, 1), "general_certified", "AEO-2019-0901")
    # The certification wrote the firm's credit level from the decision's day; the period before closes the day before.
    assert history(firm) == [(D237, "general_credit", date(2018, 5, 1), date(2019, 8, 31)),
                             (D237, "general_certified", date(2019, 9, 1), None)]
    rating = application.credit_rating
    assert rating.valid_from == date(2019, 9, 1) and "大关认〔2019〕0726号" in rating.note
    assert db.session.get(Enterprise, firm.id).credit_level == "general_certified"
    # The firm's contact is told (the officer recorded it himself: no notice to him).
    [notice] = db.session.scalars(sa.select(Notification).where(
        Notification.kind == NotificationKind.CERTIFICATION_DECIDED)).all()
    assert notice.user_id == cast.contact.id and notice.link == f"/certification/applications/{application.id}"
    assert "2019-09-01" in notice_text(notice) and "一般认证企业" in notice_text(notice)

    text = application_page(client, application).get_data(as_text=True)
    timeline = text[text.index('id="timeline"'):]
    assert [s for s in ("applied", "accepted", "audited", "certified") if f'data-step="{s}"' in timeline] == [
        "applied", "accepted", "audited", "certified"]
    assert "大关认〔2019〕0726号" in timeline and "应急预案已演练" in timeline and "一般认证企业" in timeline
    assert "<form" not in text[text.index('id="timeline"'):]  # decided: no next step
    # The firm's profile lists the new period of its credit history.
    profile = client.get(f"/enterprises/{firm.id}").get_data(as_text=True)
    credit = profile[profile.index('id="credit-history"'):]
    assert "一般认证企业" in credit and "2019-09-01" in credit and "2019-08-31" in credit


def test_a_refusal_needs_its_reason_and_writes_no_credit_level(client, auth, cast):
    firm = rated_firm(cast)
    application = Factory.application(firm, cast.officer, until="audited")
    db.session.commit()
    login(auth, cast.officer)
    before = history(firm)
    blank = step(client, application, "decide", decision="refused", decided_on="2019-09-01", decision_reason=" ")
    assert blank.status_code == 400 and "请填写不予认证的原因" in blank.get_data(as_text=True)
    assert fresh(application).status is ApplicationStatus.AUDITED
    refused = step(client, application, "decide", decision="refused", decided_on="2019-09-01",
                   decision_reason="贸易安全应急预案未演练")
    assert refused.status_code == 302
    application = fresh(application)
    assert (application.status, application.decided_on, application.decision_reason) == (
        ApplicationStatus.REFUSED, date(2019, 9, 1), "贸易安全应急预案未演练")
    assert application.credit_rating_id is None and application.granted_level is None
    assert history(firm) == before and db.session.get(Enterprise, firm.id).credit_level == "general_credit"
    [notice] = db.session.scalars(sa.select(Notification).where(
        Notification.kind == NotificationKind.CERTIFICATION_DECIDED)).all()
    assert notice.user_id == cast.contact.id and "贸易安全应急预案未演练" in notice_text(notice)
    assert "贸易安全应急预案未演练" in application_page(client, application).get_data(as_text=True)
    # The database stands behind the rule.
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.update(CertificationApplication).where(CertificationApplication.id == application.id)
                           .values(decision_reason=None))
    db.session.rollback()


def test_steps_out_of_order_are_refused_in_words(client, auth, cast):
    firm = cast.contact.enterprise
    application = Factory.application(firm, cast.officer, until="accepted")
    db.session.commit()
    login(auth, cast.officer)
    early = step(client, application, "decide", decision="certified", decided_on="2019-09-01",
                 level="general_certified")
    assert early.status_code == 400 and "作出决定前须先进行现场验证" in early.get_data(as_text=True)
    again = step(client, application, "accept", receipt_no="另一编号", accepted_on="2019-07-27")
    assert again.status_code == 400 and "处于“已受理”状态的认证申请不能受理" in again.get_data(as_text=True)
    assert fresh(application).receipt_no.startswith("测受") and count(CreditRating) == 0
    with pytest.raises(DomainError, match="请先登记认证申请的受理"):
        services.audit_application(Factory.application(cast.contact_byq.enterprise, cast.officer_byq),
                                   on=date(2019, 8, 1), note=None, by=cast.officer_byq)


@pytest.mark.parametrize("name, until, data, message", [
    ("accept", "applied", {"receipt_no": "X1", "accepted_on": "2019-07-21"}, "受理日期不能早于申请日期（2019-07-22）"),
    ("audit", "accepted", {"audit_on": "2019-07-25"}, "现场验证日期不能早于受理日期（2019-07-26）"),
    ("decide", "audited", {"decision": "certified", "decided_on": "2019-08-19", "level": "general_certified"},
     "决定日期不能早于现场验证日期（2019-08-20）"),
    ("accept", "applied", {"receipt_no": "X1", "accepted_on": "2099-01-01"}, "日期不能晚于今天"),
    ("decide", "audited", {"decision": "certified", "decided_on": "2099-01-01"}, "日期不能晚于今天"),
    ("accept", "applied", {"receipt_no": "", "accepted_on": "2019-07-26"}, "请填写受理编号"),
    ("audit", "accepted", {"audit_on": "not a date"}, "请填写现场验证日期"),
    ("decide", "audited", {"decision": "maybe", "decided_on": "2019-09-01"}, "认证决定：请从列表中选择"),
])
def test_dates_out_of_order_or_in_the_future_are_refused_and_nothing_changes(client, auth, cast, name, until,
                                                                            data, message):
    firm = rated_firm(cast)
    application = Factory.application(firm, cast.officer, until=until)
    db.session.commit()
    login(auth, cast.officer)
    before = fresh(application).version_id
    response = step(client, application, name, **data)
    assert response.status_code == 400 and message in response.get_data(as_text=True), response.get_data(as_text=True)
    application = fresh(application)
    assert application.status.value == until and application.version_id == before
    assert len(history(firm)) == 1


def test_an_application_is_for_a_certified_level_of_the_regime_in_force_on_its_day(client, auth, cast):
    firm = cast.contact.enterprise
    login(auth, cast.officer)
    for data, message in (({"target_level": "general_certified", "applied_on": "2018-04-30"},
                           "2018-04-30尚无施行的信用管理规定"),
                          ({"target_level": "general_certified", "applied_on": "2021-11-01"},
                           "署令第251号（2021）中，一般认证企业不是认证等级：请选择高级认证企业"),
                          ({"target_level": "certified", "applied_on": "2019-07-22"}, "不是认证等级"),
                          ({"target_level": "general_credit"}, "请从列表中选择"),
                          ({"applied_on": (date.today() + timedelta(days=2)).isoformat()}, "日期不能晚于今天")):
        response = apply(client, firm, **data)
        assert response.status_code == 400 and message in response.get_data(as_text=True), (data, response.data)
    assert count(CertificationApplication) == 0
    assert apply(client, firm, target_level="advanced_certified", applied_on="2021-11-01").status_code == 302
    # An assessment of another firm is no choice.
    other = Factory.assessment(cast.contact_byq.enterprise, cast.officer_byq)
    db.session.commit()
    with pytest.raises(DomainError, match="请选择该企业的一份海关评估"):
        services.create_application(cast.contact_byq.enterprise, target_level="advanced_certified",
                                    applied_on=date(2022, 1, 4), assessment=Factory.assessment(
                                        firm, cast.officer), by=cast.officer_byq)
    assert other.id


def test_a_decision_under_a_later_regime_needs_a_level_of_that_regime(client, auth, cast):
    firm = rated_firm(cast)
    application = Factory.application(firm, cast.officer, applied_on=date(2021, 9, 1), until="audited")
    db.session.commit()
    assert regime_in_force(application.applied_on) is D237
    login(auth, cast.officer)
    kept = step(client, application, "decide", decision="certified", decided_on="2021-11-05",
                level="general_certified")
    text = kept.get_data(as_text=True)
    assert kept.status_code == 400 and "申请的一般认证企业在2021-11-05施行的署令第251号（2021）中已不是认证等级" in text
    assert "请按现行规定选择认证等级（高级认证企业）" in text
    assert fresh(application).status is ApplicationStatus.AUDITED and len(history(firm)) == 1
    chosen = step(client, application, "decide", decision="certified", decided_on="2021-11-05",
                  level="advanced_certified")
    assert chosen.status_code == 302
    assert history(firm) == [(D237, "general_credit", date(2018, 5, 1), date(2021, 11, 4)),
                             (D251, "advanced_certified", date(2021, 11, 5), None)]
    assert fresh(application).granted_level == "advanced_certified"


def test_a_credit_level_already_starting_that_day_refuses_the_whole_decision(client, auth, cast):
    firm = rated_firm(cast)
    application = Factory.application(firm, cast.officer, until="audited")
    record_credit_rating(firm, regime=D237, level="general_credit", valid_from=date(2019, 9, 1), note="信用复核")
    db.session.commit()
    login(auth, cast.officer)
    before = history(firm)
    response = step(client, application, "decide", decision="certified", decided_on="2019-09-01",
                    level="general_certified")
    assert response.status_code == 400 and "已有一条自2019-09-01起的信用等级记录" in response.get_data(as_text=True)
    assert fresh(application).status is ApplicationStatus.AUDITED and history(firm) == before


def test_withdrawal_needs_a_reason_ends_the_application_and_lets_the_firm_apply_again(client, auth, cast):
    firm = cast.contact.enterprise
    application = Factory.application(firm, cast.officer, until="accepted")
    db.session.commit()
    login(auth, cast.officer)
    assert step(client, application, "withdraw", withdrawn_reason="").status_code == 400
    assert step(client, application, "withdraw", withdrawn_reason="企业拟明年再申请").status_code == 302
    application = fresh(application)
    assert application.status is ApplicationStatus.WITHDRAWN and application.withdrawn_reason == "企业拟明年再申请"
    assert application.withdrawn_on is not None
    assert 'id="withdraw-form"' not in application_page(client, application).get_data(as_text=True)
    again = blind(auth, application, "withdraw", withdrawn_reason="再撤一次")
    assert again.status_code == 400 and "处于“已撤回”状态的认证申请不能撤回" in again.get_data(as_text=True)
    assert apply(client, firm).status_code == 302 and count(CertificationApplication) == 2


def test_a_second_open_application_for_the_firm_is_refused(client, auth, cast):
    firm = cast.contact.enterprise
    first = Factory.application(firm, cast.officer, until="audited")
    db.session.commit()
    login(auth, cast.officer)
    assert 'id="application-form"' not in client.get(f"/certification/firms/{firm.id}").get_data(as_text=True)
    response = auth.post(f"/certification/firms/{firm.id}/applications",
                         {"target_level": "general_certified", "applied_on": "2019-08-01", "assessment_id": "0"})
    assert response.status_code == 302 and response.headers["Location"] == f"/certification/applications/{first.id}"
    assert "已有一份办理中的认证申请" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert count(CertificationApplication) == 1
    # The index refuses it, whatever code path tries.
    db.session.add(CertificationApplication(enterprise_id=firm.id, target_level="general_certified",
                                            applied_on=date(2019, 8, 2)))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_form_opened_before_another_step_was_taken_is_refused(client, auth, cast):
    firm = rated_firm(cast)
    application = Factory.application(firm, cast.officer, until="audited")
    db.session.commit()
    login(auth, cast.officer)
    opened = application_page(client, application)  # a second officer opens the page ...
    assert step(client, application, "withdraw", withdrawn_reason="企业撤回").status_code == 302
    stale = step(client, application, "decide", page=opened, decision="certified", decided_on="2019-09-01",
                 level="general_certified")  # ... and decides after the withdrawal
    assert stale.status_code == 409 and "其他人修改了这份认证申请" in stale.get_data(as_text=True)
    assert fresh(application).status is ApplicationStatus.WITHDRAWN and len(history(firm)) == 1
    forged = blind(auth, application, "withdraw", version="abc", withdrawn_reason="x")
    assert forged.status_code == 400 and "表单已失效" in forged.get_data(as_text=True)


def test_the_firms_contact_reads_its_applications_and_changes_nothing(client, auth, cast):
    firm = rated_firm(cast)
    application = Factory.application(firm, cast.officer, until="audited", note="单证齐全")
    other = Factory.application(cast.contact_byq.enterprise, cast.officer_byq, note="鲅鱼圈验证")
    db.session.commit()
    login(auth, cast.contact)
    mine = client.get("/certification/mine").get_data(as_text=True)
    assert f'href="/certification/applications/{application.id}"' in mine and 'id="new-application"' not in mine
    text = application_page(client, application).get_data(as_text=True)
    assert "单证齐全" in text and 'id="read-only"' in text and "<form" not in text[text.index('id="timeline"'):]
    response = client.get(f"/certification/applications/{other.id}")
    assert response.status_code == 404 and "鲅鱼圈验证" not in response.get_data(as_text=True)
    for name, data in (("accept", {}), ("audit", {}), ("withdraw", {"withdrawn_reason": "x"}),
                       ("decide", {"decision": "certified", "decided_on": "2019-09-01"})):
        for target in (application, other):
            assert auth.post(f"/certification/applications/{target.id}/{name}",
                             {"version": "3", **data}).status_code == 403
    assert auth.post(f"/certification/firms/{firm.id}/applications",
                     {"target_level": "general_certified", "applied_on": "2019-07-22"}).status_code == 403
    assert fresh(application).status is ApplicationStatus.AUDITED and count(CertificationApplication) == 2
    # Another office's officer reaches nothing of it either.
    auth.logout()
    login(auth, cast.officer_byq)
    assert client.get(f"/certification/applications/{application.id}").status_code == 404
    assert auth.post(f"/certification/applications/{application.id}/withdraw",
                     {"version": "3", "withdrawn_reason": "x"}).status_code == 404
    assert fresh(application).status is ApplicationStatus.AUDITED


def test_transitions_allowed_and_refused(cast):
    firm = cast.contact.enterprise
    application = Factory.application(firm, cast.officer)
    with pytest.raises(DomainError, match="只有企业所属海关的工作人员"):
        services.accept_application(application, receipt_no="X", on=date(2019, 7, 26), by=cast.contact)
    with pytest.raises(DomainError, match="只有企业所属海关的工作人员"):
        services.accept_application(application, receipt_no="X", on=date(2019, 7, 26), by=cast.officer_byq)
    with pytest.raises(DomainError, match="您不能为该企业登记认证申请"):
        services.create_application(firm, target_level="general_certified", applied_on=date(2019, 7, 22),
                                    by=cast.officer_byq)
    # A demo's day: "today" is the day of the step.
    with pytest.raises(DomainError, match="今天是2019-07-25"):
        services.accept_application(application, receipt_no="X", on=date(2019, 7, 26), by=cast.officer,
                                    today=date(2019, 7, 25))
    services.accept_application(application, receipt_no="X", on=date(2019, 7, 26), by=cast.officer,
                                today=date(2019, 7, 26))
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError):  # a decision has its day, and only a decision has one
        db.session.execute(sa.update(CertificationApplication).where(CertificationApplication.id == application.id)
                           .values(status="certified"))
    db.session.rollback()


# Concurrency -------------------------------------------------------------------------------------------
def test_thirty_decisions_at_once_write_one_credit_level(app, cast):
    from tracker.auth.models import User

    firm = rated_firm(cast)
    application = Factory.application(firm, cast.officer, until="audited")
    db.session.commit()
    application_id, officer_id = application.id, cast.officer.id

    def work(k):
        locked = db.session.scalars(sa.select(CertificationApplication).where(
            CertificationApplication.id == application_id).with_for_update()
            .execution_options(populate_existing=True)).one()
        services.decide_application(locked, certified=True, on=date(2019, 9, 1), certificate_no=f"C{k}",
                                    by=db.session.get(User, officer_id))

    outcomes = race(app, 30, work)
    assert outcomes.count("ok") == 1, outcomes
    assert all(o == "ok" or "不能作出决定" in o for o in outcomes), outcomes
    db.session.rollback()
    assert len(history(firm)) == 2 and count(CreditRating) == 2
    assert fresh(application).credit_rating.valid_from == date(2019, 9, 1)


def test_thirty_identical_applications_at_once_make_one(app, client, auth, cast):
    from tracker.auth.models import User
    from tracker.views import run_change

    firm = cast.contact.enterprise
    firm_id, officer_id = firm.id, cast.officer.id
    login(auth, cast.officer)
    page = client.get(f"/certification/firms/{firm.id}")
    key = submission_key_from(page)

    def work(k):
        # As thirty resends of one form: each request claims the form's key, then creates (run_change).
        officer = db.session.get(User, officer_id)
        with app.test_request_context(method="POST"), _signed_in(officer):
            change = run_change(lambda: services.create_application(
                db.session.get(Enterprise, firm_id), target_level="general_certified", applied_on=date(2019, 7, 22),
                by=officer), submission=key)
        assert change.ok or change.duplicate, change.error

    outcomes = race(app, 30, work)
    assert outcomes == ["ok"] * 30, outcomes
    db.session.rollback()
    assert count(CertificationApplication) == 1


def _signed_in(user):
    from contextlib import contextmanager

    from flask_login import login_user

    @contextmanager
    def signed_in():
        login_user(user)
        yield

    return signed_in()


def test_thirty_applications_with_different_keys_at_once_make_one_open_application(app, cast):
    from tracker.auth.models import User

    firm_id, officer_id = cast.contact.enterprise_id, cast.officer.id

    def work(k):
        services.create_application(db.session.get(Enterprise, firm_id), target_level="general_certified",
                                    applied_on=date(2019, 7, 22), by=db.session.get(User, officer_id))

    outcomes = race(app, 30, work)
    assert outcomes.count("ok") == 1 and all(o == "ok" or "已有一份办理中的认证申请" in o for o in outcomes), outcomes
    db.session.rollback()
    assert count(CertificationApplication) == 1


# Statements ---------------------------------------------------------------------------------------------
def test_the_pages_cost_the_same_statements_however_many_applications_the_firm_has(app, client, auth, cast):
    firm = rated_firm(cast)
    services.close(Factory.assessment(firm, cast.officer), by=cast.officer)
    first = Factory.application(firm, cast.officer, until="certified", applied_on=date(2019, 3, 1))
    db.session.commit()
    pages = {cast.officer: [f"/certification/firms/{firm.id}", f"/certification/applications/{first.id}"],
             cast.contact: ["/certification/mine", f"/certification/applications/{first.id}"]}

    def costs():
        counted = {}
        for who, urls in pages.items():
            login(auth, who)
            counted[who.username] = [query_count(app, client, url) for url in urls]
            auth.logout()
        return counted

    before = costs()
    for n in range(5):
        application = Factory.application(firm, cast.manager, until="audited", applied_on=date(2019, 4, 1 + n))
        services.withdraw_application(application, reason="撤回", by=cast.manager)
    for n in range(3):
        services.close(Factory.assessment(firm, cast.officer), by=cast.officer)
    Factory.application(firm, cast.officer, until="accepted", applied_on=date(2019, 6, 1))
    db.session.commit()
    assert costs() == before
    assert count(CertificationApplication) == 7


def test_the_audit_trail_names_the_application(client, auth, cast):
    firm = rated_firm(cast)
    login(auth, cast.officer)
    assert apply(client, firm).status_code == 302
    application = db.session.scalars(sa.select(CertificationApplication)).one()
    assert step(client, application, "accept", receipt_no="大关认〔2019〕0001号", accepted_on="2019-07-26").status_code == 302
    auth.logout()
    login(auth, cast.admin)
    text = client.get("/admin/audit").get_data(as_text=True)
    assert f'href="/certification/applications/{application.id}"' in text and "认证申请" in text
    assert "大关认〔2019〕0001号" in text and "受理编号" in text
