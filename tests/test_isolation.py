"""Isolation: firm A's contact reaches nothing of firm B, by any page or API route.

Firm B sits in the same customs office as firm A (so office scope alone would not keep them apart) and has
one of every kind of object a contact can reach. Every rule of the URL map that names one of B's objects is
tried by A's contact with every method it accepts, on the pages with his session and CSRF token and on the
API with his bearer token: each answer must be a 404 or 403 that does not name firm B, and the database must
be exactly as it was. The routes come from the URL map, so a new route is in the test from its first
commit; a new kind of URL argument fails the test until it is given one of B's objects here (FIRM_OBJECTS)
or declared not to belong to a firm (NOT_A_FIRMS).
"""
from dataclasses import dataclass, field
from datetime import date

import pytest
import sqlalchemy as sa
from flask import url_for

from tracker.extensions import db
from tracker.permissions import PUBLIC, rule_for
from tracker.types import utcnow

FIRM_B = "隔离乙方国际贸易有限公司"
CONTACT_B = "乙方单证员"
# Every text of firm B's objects carries it (its need, visit, plan, briefing, material, answers ...).
MARK_B = "乙方"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

# Capability links: the secret in the URL is the credential (a calendar feed, a hall display, a one-time
# account link). Whoever holds B's secret is B's for that page; these must stay public and take no id.
CAPABILITIES = {"appointments.feed", "counter.display", "accounts.join", "accounts.reset_password"}


@dataclass
class World:
    values: dict = field(default_factory=dict)  # URL argument -> one of firm B's objects


def _firm_b(cast, factory) -> World:
    """Firm B and one of each object of it a contact could reach."""
    from tracker.accounts.services import invite_contact
    from tracker.appointments import services as counter
    from tracker.appointments.models import Appointment, AppointmentStatus, CertificateType, ServiceRating, Slot
    from tracker.auth.models import Role
    from tracker.enterprises.services import add_contact
    from tracker.needs.models import DeadlineExtension, Need, NeedCategory, NeedEntry, NeedEntryKind, NeedSource
    from tracker.notifications.models import Notification, NotificationKind
    from tracker.plans.models import AssistancePlan, PlanMeasure, PlanStatus
    from tracker.visits.models import Visit, VisitType

    world = World()
    firm = factory.enterprise(cast.org.yingkou, name=FIRM_B, assigned_officer=cast.officer)
    contact_user = factory.user(Role.ENTERPRISE_CONTACT, enterprise=firm, username="firm-b")
    contact_user.display_name = CONTACT_B
    campaign = factory.campaign(cast.org.yingkou, name="隔离测试活动")
    visit = Visit(enterprise=firm, visited_at=utcnow(), visit_type=VisitType.DOOR_TO_DOOR, summary="乙方走访",
                  officers=[cast.officer])
    category = db.session.scalar(sa.select(NeedCategory).order_by(NeedCategory.id))
    need = Need(enterprise=firm, source=NeedSource.VISIT, category=category, content="乙方诉求",
                raised_on=date(2019, 9, 27), deadline=date(2019, 10, 8), assigned_officer=cast.officer)
    entry = NeedEntry(need=need, kind=NeedEntryKind.PROGRESS, text="乙方进展", author_id=cast.officer.id)
    extension = DeadlineExtension(need=need, old_deadline=need.deadline, new_deadline=date(2019, 10, 15),
                                  reason="乙方延期", requested_by_id=cast.officer.id)
    plan = AssistancePlan(enterprise=firm, campaign=campaign, objective="乙方帮扶", status=PlanStatus.APPROVED)
    measure = PlanMeasure(plan=plan, description="乙方措施", position=1)
    notification = Notification(user_id=contact_user.id, kind=NotificationKind.RATING_ANSWERED,
                                params={"counter": FIRM_B}, link="/portal/", dedupe_key="isolation")
    db.session.add_all([visit, need, entry, extension, plan, measure, notification])
    record = add_contact(firm, name="乙方联系人")

    point = counter.create_service_point(cast.org.yingkou, name="隔离测试窗口")
    certificate = db.session.scalar(sa.select(CertificateType).where(CertificateType.code == "CO"))
    slot = db.session.scalars(sa.select(Slot).where(Slot.service_point_id == point.id, Slot.starts_at > counter.clock()
                                                    + point.min_notice).order_by(Slot.starts_at)).first()
    booked = counter.book(slot, firm, by=cast.officer, certificate_type=certificate, destination_country="ID",
                          quantity=1, sailing_date=slot.day)
    served = Appointment(service_point=point, enterprise=firm, walk_in=True, day=utcnow().date(),
                         status=AppointmentStatus.COMPLETED, certificate_type=certificate,
                         destination_country="ID", quantity=1, finished_at=utcnow())
    db.session.add(served)
    db.session.flush()
    rating = ServiceRating(appointment_id=served.id, good=False, comment="乙方差评", rated_by_id=contact_user.id,
                           answer_due=utcnow().date())
    db.session.add(rating)
    _feed, feed_token = counter.create_calendar_feed(firm, by=contact_user)
    link = invite_contact(firm, display_name="乙方新联系人", by=cast.officer)
    db.session.flush()
    world.values.update({
        "enterprise_id": firm.id, "contact_id": record.id, "user_id": contact_user.id, "visit_id": visit.id,
        "need_id": need.id, "extension_id": extension.id, "plan_id": plan.id, "measure_id": measure.id,
        "appointment_id": booked.id, "rating_id": rating.id, "notification_id": notification.id,
        "link_id": link.id, "token": feed_token, "point_id": point.id, "campaign_id": campaign.id,
    })
    world.values["_served_id"] = served.id
    world.values.update(_briefing_of_b(cast, factory, firm, contact_user, campaign))
    world.values.update(_questionnaire_of_b(cast, factory, firm, contact_user, campaign))
    world.values.update(_certification_of_b(cast, factory, firm, contact_user))
    return world


def _briefing_of_b(cast, factory, firm, contact_user, campaign) -> dict:
    """A briefing of A's and B's office that B registered for and whose registration has closed: only B's
    contact sees it now (an open one is public to the office's firms), with a material and an entrance code."""
    from datetime import timedelta

    from tracker.briefings import services as briefings
    from tracker.briefings.models import BriefingMaterial

    starts = briefings.clock() + timedelta(days=10)
    briefing = factory.briefing(cast.org.yingkou, cast.officer, starts_at=starts, title="乙方专场宣讲会",
                                campaign=campaign)
    registration = briefings.register(briefing, firm, attendees=2, names="乙方甲\n乙方乙", by=contact_user)
    briefings.close_registration(briefing, by=cast.officer)
    material = BriefingMaterial(briefing=briefing, original_filename="乙方资料.pdf", stored_name="b" * 32 + ".pdf",
                                content_type="application/pdf", size_bytes=10, uploaded_by_id=cast.officer.id)
    db.session.add(material)
    db.session.flush()
    return {"briefing_id": briefing.id, "registration_id": registration.id, "material_id": material.id,
            "code": briefings.entrance_token(briefing)}


def _questionnaire_of_b(cast, factory, firm, contact_user, campaign) -> dict:
    """A questionnaire of the campaign whose roster holds B (not A), and B's answer to it."""
    from tracker.questionnaires import services as questionnaires
    from tracker.questionnaires.models import ResponseChannel

    factory.on_roster(campaign, firm)
    questionnaire = factory.questionnaire(campaign, cast.manager, title="乙方问卷")
    first, _multiple, rating, text = questionnaire.questions
    response = questionnaires.submit_response(
        questionnaire, firm, {first.id: [first.options[0].id], rating.id: 5, text.id: "乙方意见"},
        by=contact_user, channel=ResponseChannel.PORTAL)
    return {"questionnaire_id": questionnaire.id, "question_id": first.id, "response_id": response.id}


def _certification_of_b(cast, factory, firm, contact_user) -> dict:
    """The customs' assessment of B, shared with B (so B's contact reads it), with scores, a note, remarks and a
    file of evidence; B's own self-assessment in draft; and B's application for certification, audited."""
    from tracker.certification import services as certification
    from tracker.certification.models import AssessmentKind, Evidence, Score

    assessment = factory.assessment(firm, cast.officer, scores={"1.1.1": Score.MET, "3.2.1": Score.NOT_MET},
                                    shared=True)
    item = assessment.standard.items[0]
    certification.score_item(assessment, item, Score.MOSTLY, "乙方关务岗位未明确", by=cast.officer, opened_version=1)
    certification.update_summary(assessment, "乙方整改意见", by=cast.officer)
    evidence = Evidence(assessment_id=assessment.id, item_id=item.id, original_filename="乙方关务制度.pdf",
                        stored_name="e" * 32 + ".pdf", content_type="application/pdf", size_bytes=10,
                        uploaded_by_id=cast.officer.id)
    db.session.add(evidence)
    factory.assessment(firm, contact_user, kind=AssessmentKind.SELF, scores={"1.1.2": Score.MET})
    # B's application for certification, audited on site (every next step a form of its page).
    application = factory.application(firm, cast.officer, until="audited", assessment=assessment,
                                      note="乙方现场验证发现单证不全")
    db.session.flush()
    return {"assessment_id": assessment.id, "evidence_id": evidence.id, "item_id": item.id,
            "standard_id": assessment.standard_id, "application_id": application.id}


# Arguments that name one of a firm's objects: each must have one of firm B's above.
FIRM_OBJECTS = {"enterprise_id", "contact_id", "user_id", "visit_id", "need_id", "extension_id", "plan_id",
                "measure_id", "appointment_id", "rating_id", "notification_id", "link_id", "token", "briefing_id",
                "registration_id", "material_id", "code", "questionnaire_id", "question_id", "response_id",
                "assessment_id", "evidence_id", "application_id"}
# Arguments that are not a firm's: an office's campaign or counter, reference rows, formats. The routes that
# take only these are staff's (a contact's 403) or show no firm's records.
NOT_A_FIRMS = {"filename": "css/app.css", "fmt": "csv", "key": "needs.all", "kind": "categories", "row_id": 1,
               "import_id": 1, "job_id": 1, "override_id": 1, "display_id": 1, "decision_id": 1,
               "campaign_id": None, "point_id": None, "standard_id": None, "item_id": None}


def _contact_may(rule) -> bool:
    from tracker.auth.models import Role

    return rule is not None and not rule.public and (rule.roles is None or Role.ENTERPRISE_CONTACT in rule.roles)


# The contact's own API token notes when it was last used: his bookkeeping, not firm B's data.
OWN_BOOKKEEPING = {"api_tokens"}


def _snapshot() -> dict:
    """Every row of every table, as the database holds it."""
    db.session.expire_all()
    state = {}
    for table in db.metadata.sorted_tables:
        if table.name in OWN_BOOKKEEPING:
            continue
        rows = db.session.execute(sa.select(table)).all()
        state[table.name] = sorted(repr(tuple(row)) for row in rows)
    db.session.rollback()
    return state


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        yield rule


def test_every_url_argument_is_known(app):
    unknown = sorted({(arg, rule.endpoint) for rule in _routes(app) for arg in rule.arguments
                      if arg not in FIRM_OBJECTS and arg not in NOT_A_FIRMS})
    assert not unknown, "give these URL arguments one of firm B's objects (or declare them not a firm's): " \
                        f"{unknown}"


def test_capability_links_stay_public(app):
    with app.app_context():
        for endpoint in CAPABILITIES:
            assert rule_for(endpoint).describe() == PUBLIC, endpoint


@pytest.fixture
def firm_b(app, cast, factory):
    world = _firm_b(cast, factory)
    db.session.commit()
    return world


def _api_token(app, user) -> str:
    from tracker.api.auth import issue_token

    with app.test_request_context():
        token, _record = issue_token(user)
    db.session.commit()
    return token


def test_a_contact_reaches_nothing_of_another_firm_by_any_route(app, client, auth, cast, firm_b):
    assert auth.login("yalisi").status_code == 302
    csrf = auth.csrf("/account/password")
    bearer = _api_token(app, cast.contact)
    before = _snapshot()
    tried, failures = 0, []
    for rule in _routes(app):
        if not rule.arguments & FIRM_OBJECTS or rule.endpoint in CAPABILITIES:
            continue
        values = {arg: firm_b.values[arg] if arg in FIRM_OBJECTS else
                  (NOT_A_FIRMS[arg] if NOT_A_FIRMS[arg] is not None else firm_b.values[arg])
                  for arg in rule.arguments}
        with app.test_request_context():
            url = url_for(rule.endpoint, **values)
        api = rule.endpoint.startswith("api.")
        for method in (m for m in METHODS if m in rule.methods):
            tried += 1
            if api:
                response = client.open(url, method=method, headers={"Authorization": f"Bearer {bearer}"},
                                       **({} if method == "GET" else {"json": {}}))
            elif method == "GET":
                response = client.get(url)
            else:
                response = client.open(url, method=method, data={"csrf_token": csrf, "submission_key": "k" * 32})
            text = response.get_data(as_text=True)
            if response.status_code not in (403, 404) or MARK_B in text:
                failures.append((method, url, rule.endpoint, response.status_code))
    assert not failures, failures
    assert tried > 40
    assert _snapshot() == before, "a refused request wrote to the database"


def test_query_strings_naming_another_firm_show_nothing_of_it(app, client, auth, cast, firm_b):
    """The contact's own lists (appointments, the portal, notifications, the booking form...) ignore or refuse a
    firm named in the query: they show his own firm's records only."""
    assert auth.login("yalisi").status_code == 302
    b = firm_b.values
    query = {"enterprise": b["enterprise_id"], "enterprise_id": b["enterprise_id"], "firm": b["enterprise_id"],
             "need_id": b["need_id"], "plan_id": b["plan_id"], "appointment_id": b["appointment_id"],
             "user_id": b["user_id"], "q": FIRM_B[:4], "officer": cast.officer.id}
    before = _snapshot()
    tried = 0
    with app.app_context():
        rules = [r for r in _routes(app) if not r.arguments and "GET" in r.methods
                 and not r.endpoint.startswith("api.") and _contact_may(rule_for(r.endpoint))]
    for rule in rules:
        response = client.get(rule.rule, query_string=query)
        tried += 1
        text = response.get_data(as_text=True)
        assert response.status_code < 500, (rule.rule, response.status_code)
        assert MARK_B not in text, rule.rule
    assert tried >= 5
    assert _snapshot() == before
