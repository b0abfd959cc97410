"""The certification-coaching demo (tracker/demo_certification.py): 雅丽丝 assessed in the workshop, shared, and
re-scored after the fix, then its application certified (writing its credit level); its own self-assessment begun;
光阳耐火's assessment half done."""
from datetime import date

import sqlalchemy as sa

from tests.conftest import AuthActions
from tests.test_demo import DEMO_PASSWORD
from tracker.certification import queries, services
from tracker.certification.models import (
    ApplicationStatus, Assessment, AssessmentKind, AssessmentStatus, CertificationApplication, Score, StandardItem,
)
from tracker.demo_certification import GUANGYANG, YALISI, YALISI_RECEIPT
from tracker.enterprises.reference import CreditRegime
from tracker.enterprises.models import Enterprise
from tracker.extensions import db


def seed(runner):
    result = runner.invoke(args=["seed-demo", "--password", DEMO_PASSWORD])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    return result.output


def assessment_of(name: str, kind=AssessmentKind.OFFICER) -> Assessment:
    return db.session.scalar(sa.select(Assessment).join(Enterprise, Enterprise.id == Assessment.enterprise_id)
                             .where(Enterprise.name == name, Assessment.kind == kind))


def test_the_demo_tells_the_coaching_of_yalisi_and_the_pages_show_it(runner, client):
    seed(runner)
    shared = assessment_of(YALISI)
    assert shared.status is AssessmentStatus.SHARED and shared.standard.code == "2018"
    result = services.result_of(shared)
    assert result.passed and result.points == 96 and not result.not_met
    fixed = db.session.scalar(sa.select(StandardItem).where(StandardItem.standard_id == shared.standard_id,
                                                            StandardItem.number == "4.8.1"))
    assert [h.score for h in queries.item_history(shared, fixed)] == [Score.MOSTLY, Score.NOT_MET]
    provisional = services.result_of(assessment_of(GUANGYANG))
    assert provisional.provisional and provisional.verdict == "failed"
    own = assessment_of(YALISI, AssessmentKind.SELF)
    assert own.status is AssessmentStatus.DRAFT and services.result_of(own).provisional

    auth = AuthActions(client)
    auth.login("yalisi", DEMO_PASSWORD)
    page = client.get(f"/certification/assessments/{shared.id}").get_data(as_text=True)
    assert 'data-verdict="passed"' in page and "建议整改后复评" in page
    assert client.get(f"/certification/assessments/{own.id}").status_code == 200
    assert "信用认证自评" in client.get("/portal/").get_data(as_text=True)
    auth.logout()
    auth.login("officer", DEMO_PASSWORD)
    listing = client.get("/certification/").get_data(as_text=True)
    assert YALISI in listing and GUANGYANG in listing


def test_the_demo_certifies_yalisi_on_its_application_and_the_certification_writes_its_credit_level(runner, client):
    seed(runner)
    application = db.session.scalars(sa.select(CertificationApplication)).one()
    firm = application.enterprise
    assert firm.name == YALISI and application.status is ApplicationStatus.CERTIFIED
    assert (application.applied_on, application.accepted_on, application.audit_on, application.decided_on) == (
        date(2019, 7, 22), date(2019, 7, 26), date(2019, 8, 20), date(2019, 9, 1))
    assert application.receipt_no == YALISI_RECEIPT and application.assessment == assessment_of(YALISI)
    rating = application.credit_rating
    assert (rating.regime, rating.level, rating.valid_from, rating.valid_to) == (
        CreditRegime.DECREE_237, "general_certified", date(2019, 9, 1), None)
    assert YALISI_RECEIPT in rating.note and firm.credit_level == "general_certified"
    assert sorted(firm.credit_ratings, key=lambda r: r.valid_from)[-1] is rating

    auth = AuthActions(client)
    auth.login("yalisi", DEMO_PASSWORD)
    assert f"/certification/applications/{application.id}" in client.get("/certification/mine").get_data(as_text=True)
    page = client.get(f"/certification/applications/{application.id}").get_data(as_text=True)
    assert YALISI_RECEIPT in page and 'data-step="certified"' in page and "<form" not in page[page.index("timeline"):]
