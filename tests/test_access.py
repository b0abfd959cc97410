"""The access table: every endpoint declares a rule, and every role gets what the table says."""
import base64
import re

import pytest
from flask import Flask

from tests.conftest import PASSWORD, AuthActions, checked_client, make_config
from tracker.permissions import PUBLIC, SIGNED_IN, rule_for

# endpoint -> who may use it. A new endpoint must be added here, or test_access_table_is_complete fails.
ACCESS_TABLE = {
    "static": PUBLIC,
    "auth.login": PUBLIC,
    "auth.set_language": PUBLIC,
    "main.healthz": PUBLIC,
    "main.favicon": PUBLIC,
    "auth.logout": SIGNED_IN,
    "auth.change_password": SIGNED_IN,
    "main.index": SIGNED_IN,
    "api.me": SIGNED_IN,
    "api.create_token": PUBLIC,
    "api.revoke_current_token": SIGNED_IN,
    "api.openapi": PUBLIC,
    "api.list_enterprises": SIGNED_IN,
    "api.enterprise": SIGNED_IN,
    "api.create_enterprise": "admin,manager,officer",
    "main.team": "admin,manager",
    "portal.index": "enterprise_contact",
    "admin.users": "admin",
    "admin.new_user": "admin",
    "admin.user_detail": "admin",
    "admin.deactivate_user": "admin",
    "admin.activate_user": "admin",
    "admin.reset_password": "admin",
    "admin.edit_user": "admin",
    "admin.offices": "admin",
    "admin.audit": "admin",
    "admin.reference": "admin",
    "needs.export": "admin,manager,officer",
    "admin.add_reference": "admin",
    "admin.edit_reference": "admin",
    "workdays.calendar": "admin",
    "workdays.add_override": "admin",
    "workdays.add_schedule": "admin",
    "workdays.delete_override": "admin",
    # The registry, campaigns and imports: customs staff; the profile also the firm's own contact.
    "enterprises.index": "admin,manager,officer",
    "enterprises.export": "admin,manager,officer",
    "enterprises.new": "admin,manager,officer",
    "enterprises.profile": SIGNED_IN,
    "enterprises.edit": "admin,manager,officer",
    "enterprises.archive": "admin,manager,officer",
    "enterprises.add_contact": "admin,manager,officer",
    "enterprises.delete_contact": "admin,manager,officer",
    "enterprises.add_credit_rating": "admin,manager,officer",
    "campaigns.index": "admin,manager,officer",
    "campaigns.new": "admin,manager",
    "campaigns.detail": "admin,manager,officer",
    "campaigns.screen": "admin,manager,officer",
    "campaigns.include": "admin,manager,officer",
    "campaigns.exclude": "admin,manager,officer",
    "campaigns.withdraw": "admin,manager,officer",
    "campaigns.export": "admin,manager,officer",
    "imports.index": "admin,manager,officer",
    "imports.new": "admin,manager,officer",
    "imports.detail": "admin,manager,officer",
    "imports.status": "admin,manager,officer",
    "imports.commit": "admin,manager,officer",
    "imports.discard": "admin,manager,officer",
    # The needs ledger and My work: staff; extension decisions for managers; the portal for the firm's contact.
    "needs.index": "admin,manager,officer",
    "needs.new": "admin,manager,officer",
    "needs.edit": "admin,manager,officer",
    "needs.detail": "admin,manager,officer",
    "needs.accept": "admin,manager,officer",
    "needs.add_entry": "admin,manager,officer",
    "needs.resolve": "admin,manager,officer",
    "needs.unresolvable": "admin,manager,officer",
    "needs.request_extension": "admin,manager,officer",
    "needs.decide_extension": "admin,manager",
    "needs.follow_up": "admin,manager,officer",
    "needs.close": "admin,manager,officer",
    "notifications.index": "admin,manager,officer",
    "notifications.notifications": SIGNED_IN,
    "notifications.read": SIGNED_IN,
    "notifications.read_all": SIGNED_IN,
    "portal.need": "enterprise_contact",
    "portal.comment": "enterprise_contact",
    "portal.rate": "enterprise_contact",
    "portal.new_need": "enterprise_contact",
    # Contact accounts: staff who may edit the firm invite and deactivate (checked per firm); the links are
    # the credentials of the public pages.
    "accounts.invite": "admin,manager,officer",
    "accounts.invitation": "admin,manager,officer",
    "accounts.renew": "admin,manager,officer",
    "accounts.revoke": "admin,manager,officer",
    "accounts.deactivate": "admin,manager,officer",
    "accounts.activate": "admin,manager,officer",
    "accounts.join": PUBLIC,
    "accounts.forgot_password": PUBLIC,
    "accounts.reset_password": PUBLIC,
    "api.enterprise_needs": SIGNED_IN,
    "api.need": SIGNED_IN,
    "api.slots": SIGNED_IN,
    "api.list_appointments": SIGNED_IN,
    "api.appointment": SIGNED_IN,
    "api.book": SIGNED_IN,
    "api.cancel_appointment": SIGNED_IN,
    "api.report_summary": "admin,manager",
    # Visits: customs staff; editing is checked per visit (its officers, the office's managers).
    "visits.index": "admin,manager,officer",
    "visits.new": "admin,manager,officer",
    "visits.detail": "admin,manager,officer",
    "visits.edit": "admin,manager,officer",
    "visits.record_callback": "admin,manager,officer",
    # Assistance plans: staff draft them, managers decide; the firm's contact reads an approved plan.
    "plans.index": "admin,manager,officer",
    "plans.new": "admin,manager,officer",
    "plans.detail": SIGNED_IN,
    "plans.print_plan": SIGNED_IN,
    "plans.edit": "admin,manager,officer",
    "plans.add_measure": "admin,manager,officer",
    "plans.edit_measure": "admin,manager,officer",
    "plans.delete_measure": "admin,manager,officer",
    "plans.record_progress": "admin,manager,officer",
    "plans.submit": "admin,manager,officer",
    "plans.approve": "manager",
    "plans.return_for_changes": "manager",
    "plans.start": "admin,manager,officer",
    "plans.complete": "admin,manager,officer",
    # 好差评: the firm rates its own service, staff read the ratings of their subtree, managers answer.
    "ratings.index": "admin,manager,officer",
    "ratings.rate": SIGNED_IN,
    "ratings.answer": "admin,manager",
    "reports.index": "admin,manager",
    "reports.dashboard": "admin,manager",
    "reports.drilldown": "admin,manager",
    "reports.mine": "admin,manager,officer",
    # The report's exports, a listing's export (in the request or as a job, its owner's alone) and the monthly report.
    "reports.export": "admin,manager",
    "reports.listing_export": "admin,manager",
    "reports.listing_export_job": "admin,manager",
    "reports.job": "admin,manager",
    "reports.job_status": "admin,manager",
    "reports.job_download": "admin,manager",
    "reports.monthly": "admin,manager",
    "reports.monthly_docx": "admin,manager",
    "counter.index": "admin,manager,officer",
    "counter.day": "admin,manager,officer",
    "counter.check_in": "admin,manager,officer",
    "counter.call": "admin,manager,officer",
    "counter.start": "admin,manager,officer",
    "counter.complete": "admin,manager,officer",
    "counter.no_show": "admin,manager,officer",
    "counter.wasted": "admin,manager,officer",
    "counter.walk_in": "admin,manager,officer",
    "counter.display": PUBLIC,
    "counter.displays": "admin,manager",
    "counter.revoke_display": "admin,manager",
    "counter.settings": "admin,manager",
    "counter.settings_edit": "admin,manager",
    # Certificate appointments: a firm's contact books for his own firm, staff for their subtree's firms; a
    # firm's calendar feed is read by its secret token alone.
    "appointments.index": "admin,enterprise_contact,manager,officer",
    "appointments.new": "admin,enterprise_contact,manager,officer",
    "appointments.detail": "admin,enterprise_contact,manager,officer",
    "appointments.cancel": "admin,enterprise_contact,manager,officer",
    "appointments.reschedule": "admin,enterprise_contact,manager,officer",
    "appointments.ics": "admin,enterprise_contact,manager,officer",
    "appointments.feed": PUBLIC,
    "appointments.create_feed": "admin,enterprise_contact,manager,officer",
    "appointments.revoke_feed": "admin,enterprise_contact,manager,officer",
    # Policy briefings: staff of the briefing's office subtree manage them (a manager cancels); a firm's contact
    # registers his own firm, reads its briefings and materials and checks in with the entrance code.
    "briefings.index": "admin,manager,officer",
    "briefings.new": "admin,manager,officer",
    "briefings.edit": "admin,manager,officer",
    "briefings.detail": "admin,manager,officer",
    "briefings.open_registration": "admin,manager,officer",
    "briefings.close_registration": "admin,manager,officer",
    "briefings.mark_held": "admin,manager,officer",
    "briefings.cancel": "admin,manager",
    "briefings.invite": "admin,manager,officer",
    "briefings.register_firm": "admin,manager,officer",
    "briefings.cancel_registration": "admin,enterprise_contact,manager,officer",
    "briefings.check_in_list": "admin,manager,officer",
    "briefings.attend": "admin,manager,officer",
    "briefings.unattend": "admin,manager,officer",
    "briefings.entrance": "admin,manager,officer",
    "briefings.scan": "enterprise_contact",
    "briefings.sign_in_sheet": "admin,manager,officer",
    "briefings.export": "admin,manager,officer",
    "briefings.upload": "admin,manager,officer",
    "briefings.download": "admin,enterprise_contact,manager,officer",
    "briefings.delete_material": "admin,manager,officer",
    "briefings.mine": "enterprise_contact",
    "briefings.firm_detail": "enterprise_contact",
    # Questionnaires: managers draft, open and close them; staff read the results and enter paper answers; a
    # firm's contact answers for his own firm; a response is read by its firm and by staff of its scope.
    "questionnaires.index": "admin,manager,officer",
    "questionnaires.new": "admin,manager",
    "questionnaires.detail": "admin,manager,officer",
    "questionnaires.edit": "admin,manager",
    "questionnaires.add_question": "admin,manager",
    "questionnaires.edit_question": "admin,manager",
    "questionnaires.move_question": "admin,manager",
    "questionnaires.delete_question": "admin,manager",
    "questionnaires.open_for_answers": "admin,manager",
    "questionnaires.close": "admin,manager",
    "questionnaires.reopen": "admin,manager",
    "questionnaires.return_to_draft": "admin,manager",
    "questionnaires.new_version": "admin,manager",
    "questionnaires.results": "admin,manager,officer",
    "questionnaires.export": "admin,manager,officer",
    "questionnaires.paper": "admin,manager,officer",
    "questionnaires.answer": "enterprise_contact",
    "questionnaires.response": SIGNED_IN,
    # Certification coaching: staff of the firm's office subtree assess it and share their assessment; a firm's
    # contact fills in his own firm's self-assessment and reads what customs shared; admins keep the standard.
    "certification.index": "admin,manager,officer",
    "certification.firm": "admin,manager,officer",
    "certification.start": "admin,manager,officer",
    "certification.mine": "enterprise_contact",
    "certification.start_self": "enterprise_contact",
    "certification.assessment": "admin,enterprise_contact,manager,officer",
    "certification.remarks": "admin,enterprise_contact,manager,officer",
    "certification.item": "admin,enterprise_contact,manager,officer",
    "certification.upload": "admin,enterprise_contact,manager,officer",
    "certification.download": "admin,enterprise_contact,manager,officer",
    "certification.delete_evidence": "admin,enterprise_contact,manager,officer",
    "certification.share": "admin,manager,officer",
    "certification.close": "admin,manager,officer",
    "certification.submit": "enterprise_contact",
    "certification.remediation": "admin,manager,officer",
    "certification.review": "admin,manager,officer",
    "certification.standards": "admin",
    "certification.standard": "admin",
    "certification.add_item": "admin",
    "certification.edit_item": "admin",
    "certification.delete_item": "admin",
    "certification.new_version": "admin",
    "certification.offer": "admin",
    "certification.application_new": "admin,manager,officer",
    "certification.application": "admin,enterprise_contact,manager,officer",
    "certification.application_accept": "admin,manager,officer",
    "certification.application_audit": "admin,manager,officer",
    "certification.application_decide": "admin,manager,officer",
    "certification.application_withdraw": "admin,manager,officer",
}

ROLES = ["admin", "manager", "officer", "enterprise_contact"]


def endpoints_without_rule(app: Flask) -> list[str]:
    with app.app_context():
        return sorted(rule.endpoint for rule in app.url_map.iter_rules() if rule_for(rule.endpoint) is None)


def test_every_endpoint_declares_a_rule(app):
    assert endpoints_without_rule(app) == []


@pytest.mark.fresh_app  # it adds a URL rule
def test_a_route_without_a_rule_is_caught_and_refused(app, client, auth, cast):
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    assert endpoints_without_rule(app) == ["forgotten"]
    auth.login("admin")
    assert client.get("/forgotten").status_code == 403  # fail closed at run time too


def test_access_table_is_complete_and_matches_the_code(app):
    with app.app_context():
        declared = {rule.endpoint: rule_for(rule.endpoint).describe() for rule in app.url_map.iter_rules()}
    assert declared == ACCESS_TABLE


@pytest.fixture
def url_values(cast):
    """A record for every kind of URL argument, all belonging to the contact's firm and its office."""
    from datetime import date

    from tracker.campaigns.models import RosterDecision, RosterDecisionKind
    from tracker.campaigns.services import create_campaign
    from tracker.imports.models import DeclarationImport, ImportStatus
    from tracker.enterprises.services import add_contact
    from tracker.extensions import db
    from tracker.workdays.models import CalendarOverride, OverrideKind

    firm = cast.contact.enterprise
    campaign = create_campaign(name="测试活动", office=cast.org.yingkou, year=2019)
    contact = add_contact(firm, name="王经理")
    decision = RosterDecision(campaign=campaign, enterprise=firm, decision=RosterDecisionKind.INCLUDE, reason="测试")
    record = DeclarationImport(filename="a.csv", sha256="0" * 64, file_format="csv", size_bytes=1,
                               office=cast.org.yingkou, status=ImportStatus.READY, summary={}, errors=[])
    closure = CalendarOverride(day=date(2031, 10, 1), kind=OverrideKind.CLOSURE, name="国庆节")
    db.session.add_all([decision, record, closure])
    need, extension, notification = _need_values(cast, firm)
    visit, plan, measure = _visit_plan_values(cast, firm, campaign)
    counter_values = _counter_values(cast, firm)
    job = _report_export(cast, campaign)
    from tracker.accounts.services import invite_contact

    link = invite_contact(firm, display_name="赵单证员", by=cast.officer)
    briefing_values = _briefing_values(cast, firm, campaign)
    questionnaire_values = _questionnaire_values(cast, firm, campaign)
    certification_values = _certification_values(cast, firm)
    db.session.commit()
    return {"user_id": cast.officer.id, "filename": "css/app.css", "enterprise_id": firm.id,
            "campaign_id": campaign.id, "key": "needs.all", "contact_id": contact.id, "decision_id": decision.id,
            "import_id": record.id, "fmt": "csv", "override_id": closure.id, "need_id": need.id,
            "extension_id": extension.id, "notification_id": notification.id,
            "visit_id": visit.id, "plan_id": plan.id, "measure_id": measure.id, "kind": "categories",
            "row_id": _first_category_id(), "job_id": job.id, "link_id": link.id, **counter_values, **briefing_values,
            **questionnaire_values, **certification_values}


def _briefing_values(cast, firm, campaign) -> dict:
    """An open briefing of the firm's office (in a month, by the real clock the routes read), the firm
    registered for it, a material (its file absent: the download answers 404) and a valid entrance code."""
    from datetime import timedelta

    from tracker.briefings import services as briefings
    from tracker.briefings.models import BriefingMaterial
    from tracker.extensions import db

    starts = briefings.clock() + timedelta(days=30)
    briefing = briefings.create_briefing(briefings.BriefingData(
        title="政策宣讲会", starts_at=starts, ends_at=starts + timedelta(hours=2), venue="三楼会议室",
        office=cast.org.yingkou, capacity=84, topics=[], campaign=campaign), by=cast.officer)
    briefings.open_registration(briefing, by=cast.officer)
    registration = briefings.register(briefing, firm, attendees=1, names="王经理", by=cast.contact)
    material = BriefingMaterial(briefing=briefing, original_filename="政策.pdf", stored_name="0" * 32 + ".pdf",
                                content_type="application/pdf", size_bytes=10, uploaded_by_id=cast.officer.id)
    db.session.add(material)
    db.session.flush()
    return {"briefing_id": briefing.id, "registration_id": registration.id, "material_id": material.id,
            "code": briefings.entrance_token(briefing)}


def _questionnaire_values(cast, firm, campaign) -> dict:
    """An open questionnaire of the campaign (the firm on its roster) and the firm's response to it."""
    from tests.conftest import Factory
    from tracker.questionnaires import services
    from tracker.questionnaires.models import ResponseChannel

    Factory.on_roster(campaign, firm)
    questionnaire = Factory.questionnaire(campaign, cast.manager)
    question = questionnaire.questions[0]
    response = services.submit_response(questionnaire, firm, {question.id: [question.options[0].id],
                                                              questionnaire.questions[2].id: 4},
                                        by=cast.contact, channel=ResponseChannel.PORTAL)
    return {"questionnaire_id": questionnaire.id, "question_id": question.id, "response_id": response.id}


def _certification_values(cast, firm) -> dict:
    """The firm's self-assessment in draft (the contact fills it in; staff do not see it yet: their 404), an
    item of it scored with a file of evidence (absent from disk: the download answers 404), its version; and the
    firm's application for certification, just made (the contact reads it, staff take its steps)."""
    from tests.conftest import Factory
    from tracker.certification.models import AssessmentKind, Evidence, Score
    from tracker.extensions import db

    assessment = Factory.assessment(firm, cast.contact, kind=AssessmentKind.SELF, scores={"1.1.1": Score.MET})
    item = assessment.standard.items[0]
    evidence = Evidence(assessment_id=assessment.id, item_id=item.id, original_filename="制度.pdf",
                        stored_name="c" * 32 + ".pdf", content_type="application/pdf", size_bytes=10,
                        uploaded_by_id=cast.contact.id)
    db.session.add(evidence)
    db.session.flush()
    application = Factory.application(firm, cast.officer)
    return {"assessment_id": assessment.id, "item_id": item.id, "evidence_id": evidence.id,
            "standard_id": assessment.standard_id, "application_id": application.id}


def _report_export(cast, campaign):
    """A listing export the manager asked for (done, its file gone: the download answers 404, as for anyone but him)."""
    from tracker.extensions import db
    from tracker.reports.models import ExportStatus, ReportExport

    job = ReportExport(user_id=cast.manager.id, campaign=campaign, listing_key="needs.all", title="需求",
                       args={}, file_format="csv", status=ExportStatus.DONE, rows_written=0, rows_total=0)
    db.session.add(job)
    db.session.flush()
    return job


def _counter_values(cast, firm) -> dict:
    """The firm's office's counter with: a booking of the firm in a coming slot (the real clock, as the routes
    read it) that the URLs name, a walk-in of the firm in the queue, a served walk-in rated 差评 and not
    answered yet, and a hall display link whose token is the URLs' token (a calendar feed it does not open)."""
    import sqlalchemy as sa

    from tracker.appointments import services as counter
    from tracker.appointments.models import Appointment, AppointmentStatus, CertificateType, ServiceRating, Slot
    from tracker.extensions import db
    from tracker.types import utcnow

    point = counter.create_service_point(cast.org.yingkou, name="营口海关原产地证窗口")
    certificate = db.session.scalar(sa.select(CertificateType).where(CertificateType.code == "CO"))
    slot = db.session.scalars(sa.select(Slot).where(Slot.service_point_id == point.id, Slot.starts_at > counter.clock()
                                                    + point.min_notice).order_by(Slot.starts_at)).first()
    booked = counter.book(slot, firm, by=cast.officer, certificate_type=certificate, destination_country="ID",
                          quantity=1, sailing_date=slot.day)
    walk_in = counter.walk_in(point, by=cast.officer, enterprise=firm, certificate_type=certificate,
                              destination_country="ID", quantity=1)
    now = utcnow()
    served = Appointment(service_point=point, enterprise=firm, walk_in=True, day=now.date(),
                         status=AppointmentStatus.COMPLETED, certificate_type=certificate,
                         destination_country="ID", quantity=1, finished_at=now)
    db.session.add(served)
    db.session.flush()
    rating = ServiceRating(appointment_id=served.id, good=False, comment="等候太久", rated_by_id=cast.contact.id,
                           answer_due=now.date())
    db.session.add(rating)
    display, raw = counter.create_display_token(point, "大厅", by=cast.manager)
    db.session.flush()
    return {"point_id": point.id, "appointment_id": booked.id, "walk_in_id": walk_in.id, "rating_id": rating.id,
            "display_id": display.id, "token": raw}


def _first_category_id() -> int:
    import sqlalchemy as sa

    from tracker.extensions import db
    from tracker.needs.models import NeedCategory

    return db.session.scalar(sa.select(sa.func.min(NeedCategory.id)))


def _visit_plan_values(cast, firm, campaign):
    """A visit the officer made to the firm, and a draft plan with one measure (the firm is his)."""
    from tracker.extensions import db
    from tracker.plans.models import AssistancePlan, PlanMeasure
    from tracker.visits.models import Visit, VisitType
    from tracker.types import utcnow

    firm.assigned_officer = cast.officer
    visit = Visit(enterprise=firm, visited_at=utcnow(), visit_type=VisitType.DOOR_TO_DOOR, summary="走访",
                  officers=[cast.officer])
    plan = AssistancePlan(enterprise=firm, campaign=campaign, objective="帮扶")
    measure = PlanMeasure(plan=plan, description="培训", position=1)
    db.session.add_all([visit, plan, measure])
    db.session.flush()
    return visit, plan, measure


def _need_values(cast, firm):
    """A need of the firm, assigned to the officer (who must be the firm's officer to edit it)."""
    from datetime import date

    from tracker.extensions import db
    from tracker.needs.models import DeadlineExtension, Need, NeedCategory, NeedSource
    from tracker.notifications.models import Notification, NotificationKind

    firm.assigned_officer = cast.officer
    category = db.session.scalar(db.select(NeedCategory).order_by(NeedCategory.id))
    need = Need(enterprise=firm, source=NeedSource.VISIT, category=category, content="原产地证办理时间长",
                raised_on=date(2019, 9, 27), deadline=date(2019, 10, 8), assigned_officer=cast.officer)
    extension = DeadlineExtension(need=need, old_deadline=need.deadline, new_deadline=date(2019, 10, 15),
                                  reason="等待总署答复", requested_by_id=cast.officer.id)
    notification = Notification(user_id=cast.officer.id, kind=NotificationKind.NEED_ASSIGNED,
                                params={}, link="/needs/", dedupe_key="access")
    db.session.add_all([need, extension, notification])
    db.session.flush()
    return need, extension, notification


def _url_and_method(app, endpoint, url_values):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {}
    for arg in rule.arguments:
        values[arg] = url_values[arg]
    with app.test_request_context():
        from flask import url_for

        url = url_for(endpoint, **values)
    return url, _method(rule)


def _basic(username: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()}


def _api_headers(client, cast, endpoint: str, role: str) -> dict:
    """The API takes no session cookie and no CSRF token: a bearer token from POST /tokens."""
    if endpoint == "api.create_token":
        # The endpoint that turns credentials into a token; "anonymous" there means "no token yet".
        return _basic((cast.officer if role == "anonymous" else cast.by_role(role)).username)
    if role == "anonymous":
        return {}
    issued = client.post("/api/v1/tokens", headers=_basic(cast.by_role(role).username))
    assert issued.status_code == 201
    return {"Authorization": "Bearer " + issued.get_json()["token"]}


def _method(rule) -> str:
    """The method the matrix sends to a rule: GET where it takes one."""
    return next(m for m in ("GET", "POST", "DELETE") if m in rule.methods)


def _method_of_each_endpoint() -> dict[str, str]:
    from tracker import create_app
    from tracker.extensions import db

    app = create_app(make_config("sqlite://"))
    with app.app_context():
        db.engine.dispose()
    return {rule.endpoint: _method(rule) for rule in app.url_map.iter_rules()}


# A GET writes nothing (a rule of the house, which tests/test_isolation.py checks against the database), so
# the roles can read one set of records in turn: one setup for five requests. A change is tried by each role
# on records of its own (one role's POST must not decide what the next one finds).
METHODS = _method_of_each_endpoint()
READS = sorted(e for e in ACCESS_TABLE if METHODS.get(e, "GET") == "GET")
CHANGES = sorted(e for e in ACCESS_TABLE if METHODS.get(e, "GET") != "GET")


@pytest.mark.parametrize("endpoint", READS)
def test_access_matrix_of_the_reads(app, cast, url_values, endpoint):
    for role in ["anonymous"] + ROLES:
        _try(app, checked_client(app), cast, url_values, endpoint, role)


@pytest.mark.parametrize("role", ["anonymous"] + ROLES)
@pytest.mark.parametrize("endpoint", CHANGES)
def test_access_matrix_of_the_changes(app, client, cast, url_values, endpoint, role):
    _try(app, client, cast, url_values, endpoint, role)


POST_FORM = re.compile(r"<form\b[^>]*\bmethod=[\"']post[\"'][^>]*>.*?</form>", re.S | re.I)


CSRF_INPUT = re.compile(r'name="(?:[\w-]+-)?csrf_token"')  # prefixed forms: name="office-csrf_token"


def _forms_carry_their_token(response, who: str) -> None:
    """Every POST form a page draws holds its CSRF token (a template once drew its forms without: a name in
    the template shadowed the form object, and every real browser's POST was refused)."""
    if response.status_code != 200 or not response.mimetype == "text/html":
        return
    html = response.get_data(as_text=True)
    bare = [form[:160] for form in POST_FORM.findall(html) if not CSRF_INPUT.search(form)]
    assert bare == [], (who, bare)


def _try(app, client, cast, url_values, endpoint, role):
    url, method = _url_and_method(app, endpoint, url_values)
    actions = AuthActions(client)
    if url.startswith("/api/"):
        response = client.open(url, method=method, headers=_api_headers(client, cast, endpoint, role))
    else:
        if role != "anonymous":
            assert actions.login(cast.by_role(role).username).status_code == 302
        if method == "GET":
            response = client.get(url)
            _forms_carry_their_token(response, f"GET {url} as {role}")
        else:
            token = actions.csrf("/login" if role == "anonymous" else "/account/password")
            response = client.post(url, data={"csrf_token": token})
    response.close()

    rule, status, who = ACCESS_TABLE[endpoint], response.status_code, f"{method} {url} as {role}"
    if rule == PUBLIC:
        assert status not in (401, 403), who
    elif role == "anonymous":
        if url.startswith("/api/"):
            assert status == 401 and response.is_json, who
        else:
            assert status == 302, who
            assert response.headers["Location"].startswith("/login?next="), who
    elif rule == SIGNED_IN or role in rule.split(","):
        assert status not in (401, 403, 500), (who, status)
    else:
        assert status == 403, (who, status)


def test_manager_sees_his_subtree_only(client, auth, cast):
    auth.login("manager")  # 营口海关
    page = client.get("/team").get_data(as_text=True)
    assert "officer" in page and cast.officer_byq.username not in page
    home = client.get("/").get_data(as_text=True)
    assert "营口海关" in home and "鲅鱼圈海关" not in home and "大连海关" not in home


def test_manager_of_the_parent_office_sees_both_children(client, auth, cast):
    auth.login("manager-dl")  # 大连海关
    page = client.get("/team").get_data(as_text=True)
    assert cast.officer.username in page and cast.officer_byq.username in page
    assert cast.admin.username not in page  # 海关总署 is above him


def test_contact_sees_only_his_own_firm(client, auth, cast):
    auth.login("yalisi")
    response = client.get("/", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert cast.contact.enterprise.name in page
    assert cast.contact_byq.enterprise.name not in page
    token = client.post("/api/v1/tokens", headers=_basic("yalisi")).get_json()["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["enterprise_id"] == cast.contact.enterprise_id
