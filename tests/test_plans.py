"""Assistance plans: every transition allowed and refused, who may do what, the pages and the print view."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import Factory, csrf_from, query_count, submission_key_from
from tracker.audit.models import AuditRecord
from tracker.campaigns.services import create_campaign
from tracker.extensions import db
from tracker.plans import services as plans
from tracker.domain import DomainError
from tracker.i18n import local_today
from tracker.needs.models import Need, NeedCategory, NeedSource, NeedStatus
from tracker.notifications.models import Notification, NotificationKind
from tracker.plans.models import AssistancePlan, MeasureStatus, PlanStatus


@pytest.fixture
def setting(cast):
    firm = cast.contact.enterprise
    firm.assigned_officer = cast.officer
    campaign = Factory.campaign(cast.org.yingkou)
    db.session.commit()
    return firm, campaign


def make_need(firm, status=NeedStatus.PENDING):
    category = db.session.scalar(sa.select(NeedCategory).order_by(NeedCategory.id))
    need = Need(enterprise=firm, source=NeedSource.VISIT, category=category, content="通关时间长",
                raised_on=date(2019, 9, 27), deadline=date(2019, 10, 16), status=status)
    db.session.add(need)
    db.session.flush()
    return need


def draft(setting, cast, measures=1, objective="提升通关效率"):
    firm, campaign = setting
    return Factory.plan(firm, campaign, cast.officer, measures=measures, objective=objective)


def test_one_plan_per_firm_per_campaign(setting, cast):
    draft(setting, cast)
    with pytest.raises(DomainError):
        draft(setting, cast)


def test_a_campaign_must_cover_the_firm(setting, cast, factory):
    _, campaign = setting
    byq_firm = factory.enterprise(cast.org.bayuquan)
    with pytest.raises(DomainError):
        plans.create_plan(byq_firm, campaign, "x", cast.officer)


def test_submit_needs_an_objective_and_a_measure(setting, cast):
    plan = draft(setting, cast, measures=0, objective="")
    with pytest.raises(DomainError, match="帮扶目标"):
        plans.submit(plan, cast.officer)
    plans.update_objective(plan, "提升通关效率")
    with pytest.raises(DomainError, match="帮扶措施"):
        plans.submit(plan, cast.officer)
    plans.add_measure(plan, description="培训")
    plans.submit(plan, cast.officer)
    assert plan.status is PlanStatus.SUBMITTED and plan.submitted_at is not None
    with pytest.raises(DomainError):
        plans.submit(plan, cast.officer)  # not a draft any more


def test_approval_belongs_to_a_manager_of_the_subtree(setting, cast, factory):
    plan = draft(setting, cast)
    with pytest.raises(DomainError):
        plans.approve(plan, cast.manager)  # still a draft
    plans.submit(plan, cast.officer)
    byq_manager = factory.user("manager", cast.org.bayuquan)
    for someone in (cast.officer, cast.admin, byq_manager):
        with pytest.raises(DomainError):
            plans.approve(plan, someone)
    plans.approve(plan, cast.manager_dl)  # 大连 is above 营口
    assert plan.status is PlanStatus.APPROVED and plan.approved_by is cast.manager_dl
    with pytest.raises(DomainError):
        plans.approve(plan, cast.manager)


def test_return_needs_a_comment_and_goes_back_to_draft(setting, cast):
    plan = draft(setting, cast)
    with pytest.raises(DomainError):
        plans.return_for_changes(plan, cast.manager, "请补充措施")  # a draft cannot be returned
    plans.submit(plan, cast.officer)
    with pytest.raises(DomainError):
        plans.return_for_changes(plan, cast.manager, "  ")
    with pytest.raises(DomainError):
        plans.return_for_changes(plan, cast.officer, "请补充")
    plans.return_for_changes(plan, cast.manager, "请补充原产地证措施")
    assert plan.status is PlanStatus.DRAFT and plan.return_comment == "请补充原产地证措施"
    assert notices(cast.officer) == [NotificationKind.PLAN_RETURNED]
    plans.add_measure(plan, description="原产地证预约办理")
    plans.submit(plan, cast.officer)
    assert plan.return_comment is None
    plans.approve(plan, cast.manager)
    assert notices(cast.officer) == [NotificationKind.PLAN_RETURNED, NotificationKind.PLAN_APPROVED]
    assert notices(cast.manager) == []


def notices(user):
    return list(db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def test_start_only_after_approval(setting, cast):
    plan = draft(setting, cast)
    with pytest.raises(DomainError):
        plans.start(plan, cast.officer)
    plans.submit(plan, cast.officer)
    with pytest.raises(DomainError):
        plans.start(plan, cast.officer)
    plans.approve(plan, cast.manager)
    plans.start(plan, cast.officer)
    assert plan.status is PlanStatus.IN_PROGRESS
    with pytest.raises(DomainError):
        plans.start(plan, cast.officer)


def test_measures_change_only_in_draft_and_progress_only_in_progress(setting, cast):
    firm, _ = setting
    plan = draft(setting, cast)
    measure = plan.measures[0]
    with pytest.raises(DomainError):
        plans.record_progress(measure, status=MeasureStatus.DONE, result="完成")
    plans.update_measure(measure, description="培训关务人员", owner=None, deadline=None, needs=[])
    plans.submit(plan, cast.officer)
    for change in (lambda: plans.add_measure(plan, description="再加一条"),
                   lambda: plans.update_measure(measure, description="x", owner=None, deadline=None, needs=[]),
                   lambda: plans.remove_measure(measure),
                   lambda: plans.update_objective(plan, "x")):
        with pytest.raises(DomainError):
            change()
    plans.approve(plan, cast.manager)
    plans.start(plan, cast.officer)
    with pytest.raises(DomainError):
        plans.record_progress(measure, status=MeasureStatus.DONE, result="")  # say what it achieved
    plans.record_progress(measure, status=MeasureStatus.DONE, result="已培训5人")
    assert measure.status is MeasureStatus.DONE


def test_complete_needs_every_measure_done_and_every_linked_need_closed(setting, cast):
    firm, _ = setting
    plan = draft(setting, cast, measures=0)
    need_a, need_b = make_need(firm), make_need(firm)
    first = plans.add_measure(plan, description="预约办理", needs=[need_a])
    second = plans.add_measure(plan, description="信用培育", needs=[need_b])
    # The linked needs, a many-to-many list, reach the audit trail too: in the measure's insert record.
    [insert] = db.session.scalars(sa.select(AuditRecord.changes).where(
        AuditRecord.entity_type == "plan_measures", AuditRecord.entity_id == str(second.id))).all()
    assert insert["needs"] == [None, [f"通关时间长 (#{need_b.id})"]]
    with pytest.raises(DomainError):
        plans.complete(plan, cast.officer)  # a draft
    plans.submit(plan, cast.officer)
    plans.approve(plan, cast.manager)
    with pytest.raises(DomainError):
        plans.complete(plan, cast.officer)  # approved, not started
    plans.start(plan, cast.officer)
    plans.record_progress(first, status=MeasureStatus.DONE, result="已开通预约")
    with pytest.raises(DomainError, match="1"):
        plans.complete(plan, cast.officer)  # the second measure is not done
    plans.record_progress(second, status=MeasureStatus.DONE, result="已辅导")
    need_a.status = NeedStatus.CLOSED
    need_b.status = NeedStatus.RESOLVED  # resolved is not enough: it must be closed off
    with pytest.raises(DomainError):
        plans.complete(plan, cast.officer)
    need_b.status = NeedStatus.UNRESOLVABLE
    plans.complete(plan, cast.officer)
    assert plan.status is PlanStatus.COMPLETED
    with pytest.raises(DomainError):
        plans.complete(plan, cast.officer)


def test_a_measure_answers_only_its_own_firms_needs(setting, cast, factory):
    plan = draft(setting, cast)
    other = make_need(factory.enterprise(cast.org.yingkou))
    with pytest.raises(DomainError):
        plans.add_measure(plan, description="x", needs=[other])


# Through the pages ----------------------------------------------------------------------------------
def post(client, url, data=None, page="/plans/"):
    """POST what the page's form would send: its CSRF token and, on a creating form, its submission key."""
    form_page = client.get(page)
    sent = {"csrf_token": csrf_from(form_page)}
    if 'name="submission_key"' in form_page.get_data(as_text=True):
        sent["submission_key"] = submission_key_from(form_page)
    return client.post(url, data={**sent, **(data or {})})


def test_the_review_cycle_through_the_pages(client, auth, cast, setting):
    firm, campaign = setting
    auth.login("officer")
    new_url = f"/plans/new?enterprise_id={firm.id}"
    response = post(client, new_url, {"campaign_id": campaign.id, "objective": "提升通关效率"}, page=new_url)
    assert response.status_code == 302
    plan = db.session.scalar(sa.select(AssistancePlan))
    url = f"/plans/{plan.id}"
    assert post(client, f"{url}/measures", {"description": "原产地证预约办理", "owner_id": cast.officer.id,
                                            "deadline": DEADLINE.isoformat()}, page=url).status_code == 302
    post(client, f"{url}/submit", page=url)
    db.session.refresh(plan)
    assert plan.status is PlanStatus.SUBMITTED
    assert post(client, f"{url}/approve", page=url).status_code == 403  # officers do not approve
    auth.logout()

    auth.login("manager")
    post(client, f"{url}/return", {"comment": "请写明办理时限"}, page=url)
    db.session.refresh(plan)
    assert plan.status is PlanStatus.DRAFT and plan.return_comment == "请写明办理时限"
    auth.logout()

    auth.login("officer")
    assert "请写明办理时限" in client.get(url).get_data(as_text=True)
    page = client.get(f"{url}/edit")
    client.post(f"{url}/edit", data={"csrf_token": csrf_from(page), "objective": "提升通关效率，办理时限3个工作日",
                                     "version": str(plan.version_id)})
    post(client, f"{url}/submit", page=url)
    auth.logout()

    auth.login("manager")
    post(client, f"{url}/approve", page=url)
    db.session.refresh(plan)
    assert plan.status is PlanStatus.APPROVED and plan.approved_by_id == cast.manager.id
    auth.logout()
    actions = set(db.session.scalars(sa.select(AuditRecord.actor_name).where(
        AuditRecord.entity_type == "assistance_plans")))
    assert actions == {"officer", "manager"}

    # The firm's contact reads the approved plan and its print page.
    auth.login("yalisi")
    assert client.get(url).status_code == 200
    printed = client.get(f"{url}/print").get_data(as_text=True)
    assert "原产地证预约办理" in printed and DEADLINE.isoformat() in printed and cast.manager.display_name in printed
    assert "css/print.css" in printed and "navbar" not in printed


@pytest.mark.parametrize("username,see,edit", [
    ("officer", 200, 200),  # the firm's officer
    ("officer2", 200, 403),  # same office, another officer's firm
    ("manager", 200, 200), ("manager-dl", 200, 200), ("admin", 200, 200),
    ("bayuquan-officer", 404, 404),  # another office
    ("yalisi", 404, 403),  # the firm's contact: not before approval
    ("longxin", 404, 403),  # another firm's contact
])
def test_who_may_see_and_edit_a_draft_plan(client, auth, cast, setting, factory, username, see, edit):
    plan = draft(setting, cast)
    factory.user("officer", cast.org.yingkou, username="officer2")
    db.session.commit()
    auth.login(username)
    assert client.get(f"/plans/{plan.id}").status_code == see
    assert client.get(f"/plans/{plan.id}/edit").status_code == edit


def test_the_portal_shows_the_approved_plan_and_the_visits_without_working_notes(client, auth, cast, setting):
    from datetime import datetime, timezone

    from tracker.visits.models import PolicyTopic, Visit, VisitType

    firm, campaign = setting
    plan = draft(setting, cast, measures=2, objective="提升通关效率")
    topic = db.session.scalar(sa.select(PolicyTopic).order_by(PolicyTopic.id))
    db.session.add(Visit(enterprise=firm, visited_at=datetime(2019, 4, 2, 2, 0, tzinfo=timezone.utc),
                         visit_type=VisitType.WORKSHOP, summary="走访摘要", findings="企业内控薄弱（内部）",
                         officers=[cast.officer], topics=[topic]))
    db.session.commit()
    auth.login("yalisi")
    portal = client.get("/portal/").get_data(as_text=True)
    assert "提升通关效率" not in portal and "海关审批后" in portal  # a draft stays with customs
    assert "2019-04-02" in portal and topic.name in portal
    assert "企业内控薄弱" not in portal and "走访摘要" not in portal
    plans.submit(db.session.get(AssistancePlan, plan.id), cast.officer)
    plans.approve(db.session.get(AssistancePlan, plan.id), cast.manager)
    db.session.commit()
    portal = client.get("/portal/").get_data(as_text=True)
    assert "提升通关效率" in portal and "措施已落实 0 / 2 项" in portal
    assert f"/plans/{plan.id}/print" in portal
    assert client.get(f"/plans/{plan.id}").status_code == 200
    auth.logout()
    auth.login("longxin")  # another firm's contact sees neither
    portal = client.get("/portal/").get_data(as_text=True)
    assert "提升通关效率" not in portal and "2019-04-02" not in portal


def test_a_refused_transition_is_flashed_not_an_error(client, auth, cast, setting):
    plan = draft(setting, cast, measures=0)
    auth.login("officer")
    response = post(client, f"/plans/{plan.id}/submit", page=f"/plans/{plan.id}")
    assert response.status_code == 302
    assert "至少" in client.get(f"/plans/{plan.id}").get_data(as_text=True) or \
        "measure" in client.get(f"/plans/{plan.id}").get_data(as_text=True)
    db.session.refresh(plan)
    assert plan.status is PlanStatus.DRAFT


def test_list_filters_and_constant_queries(app, client, auth, cast, setting, factory):
    firm, campaign = setting
    draft(setting, cast)
    auth.login("manager")
    small = query_count(app, client, "/plans/")
    for n in range(55):
        f = factory.enterprise(cast.org.yingkou, name=f"方案企业{n}有限公司")
        p = plans.create_plan(f, campaign, "目标", cast.manager)
        plans.add_measure(p, description="措施", owner=cast.officer)
        if n % 2:
            plans.submit(p, cast.manager)
    db.session.commit()
    assert query_count(app, client, "/plans/") == small
    assert query_count(app, client, "/plans/?page=2") == small
    text = client.get("/plans/?status=submitted").get_data(as_text=True)
    assert "方案企业1有限公司" in text and "方案企业2有限公司" not in text and firm.name not in text
    other = create_campaign(name="2020年调研", office=cast.org.yingkou, year=2020)
    db.session.commit()
    assert "方案企业1有限公司" not in client.get(f"/plans/?campaign={other.id}").get_data(as_text=True)


def test_linked_needs_show_their_status_and_overdue_flag_with_a_link_for_each_reader(client, auth, cast, setting):
    firm, _ = setting
    plan = draft(setting, cast)
    late = make_need(firm)  # deadline 2019-10-16, long past
    plans.update_measure(plan.measures[0], description="措施1", owner=cast.officer, deadline=None, needs=[late])
    plans.submit(plan, cast.officer)
    plans.approve(plan, cast.manager)
    db.session.commit()
    auth.login("officer")
    text = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert f'href="/needs/{late.id}"' in text and "overdue-badge" in text
    auth.logout()
    auth.login("yalisi")
    text = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert f'href="/portal/needs/{late.id}"' in text and f'href="/needs/{late.id}"' not in text


def test_plan_pages_do_not_query_more_with_more_measures(app, client, auth, cast, setting):
    firm, _ = setting
    plan = draft(setting, cast, measures=1)
    db.session.commit()
    auth.login("officer")
    few = {url: query_count(app, client, url) for url in (f"/plans/{plan.id}", f"/plans/{plan.id}/print")}
    plan = db.session.get(AssistancePlan, plan.id)
    for n in range(4):
        need = make_need(firm)
        plans.add_measure(plan, description=f"更多措施{n}", owner=cast.officer, deadline=date(2019, 12, 31),
                          needs=[need], today=date(2019, 10, 8))
    db.session.commit()
    assert {url: query_count(app, client, url) for url in few} == few


def _form_html(text: str, form_id: str) -> str:
    """The markup of one form of the page, from its opening tag to its end."""
    start = text.index(f'id="{form_id}"')
    return text[text.rindex("<form", 0, start):text.index("</form>", start)]


def test_the_approval_card_ties_the_comment_to_return_for_changes(client, auth, cast, setting):
    """批准 is a form of its own; the required 修改意见 sits in the 退回修改 form with its button."""
    plan = draft(setting, cast)
    plans.submit(plan, cast.officer)
    db.session.commit()
    url = f"/plans/{plan.id}"
    auth.login("manager")
    text = client.get(url).get_data(as_text=True)
    approve, back = _form_html(text, "approve-form"), _form_html(text, "return-form")
    assert f'action="{url}/approve"' in approve and 'id="approve-plan"' in approve
    assert "<textarea" not in approve and "return-plan" not in approve
    assert f'action="{url}/return"' in back and 'name="comment"' in back and 'id="return-plan"' in back
    assert "approve-plan" not in back
    assert text.index('id="approve-section"') < text.index('id="return-section"')  # two sections, each its heading
    # Returned without a comment: refused, still awaiting approval; with one, back to draft.
    post(client, f"{url}/return", {"comment": " "}, page=url)
    db.session.refresh(plan)
    assert plan.status is PlanStatus.SUBMITTED
    post(client, f"{url}/return", {"comment": "请写明办理时限"}, page=url)
    db.session.refresh(plan)
    assert plan.status is PlanStatus.DRAFT and plan.return_comment == "请写明办理时限"


def test_a_plan_page_says_who_can_act_to_those_who_cannot(client, auth, cast, setting, factory):
    """Named by the rules that show the buttons (can_edit_plan, can_approve), nearest managers first."""
    plan = draft(setting, cast)
    factory.user("officer", cast.org.yingkou, username="officer2")
    cast.manager.title, cast.manager_dl.title = "科长", "处长"
    db.session.commit()
    url = f"/plans/{plan.id}"
    officer, manager = cast.officer.display_name, cast.manager.display_name
    auth.login("officer2")
    text = client.get(url).get_data(as_text=True)
    assert f"此方案由企业的责任关员 {officer} 编制和实施；如需改派，请联系科长 {manager}。" in text
    assert "submit-plan" not in text
    auth.logout()
    auth.login("officer")
    assert 'id="who-can-act"' not in client.get(url).get_data(as_text=True)  # he can act
    post(client, f"{url}/submit", page=url)
    text = client.get(url).get_data(as_text=True)
    # He submitted it: the page says who decides now (the 营口 manager, not the one above him).
    assert f"此方案等待科长 {manager} 审批。" in text and cast.manager_dl.display_name not in text
    auth.logout()
    auth.login("manager")
    text = client.get(url).get_data(as_text=True)
    assert 'id="who-approves"' not in text and 'id="who-can-act"' not in text and 'id="review"' in text
    auth.logout()
    # Without a manager in 营口, the one above is named.
    cast.manager.active = False
    db.session.commit()
    auth.login("officer")
    assert f"此方案等待处长 {cast.manager_dl.display_name} 审批。" in client.get(url).get_data(as_text=True)


def test_the_portal_plan_line_says_its_state_once(client, auth, cast, setting):
    plan = draft(setting, cast, measures=2)
    plans.submit(plan, cast.officer)
    plans.approve(plan, cast.manager)
    plans.start(plan, cast.officer)
    for measure in plan.measures:
        plans.record_progress(measure, status=MeasureStatus.DONE, result="已落实")
    plans.complete(plan, cast.officer)
    db.session.commit()
    auth.login("yalisi")
    portal = client.get("/portal/").get_data(as_text=True)
    line = portal[portal.index('id="portal-plans"'):portal.index('id="portal-visits"')]
    assert "措施已落实 2 / 2 项" in line and line.count("已完成") == 1


# One term per state (issue 10) ---------------------------------------------------------------------------
def _zh_labels(labels) -> list[str]:
    from flask_babel import force_locale

    with force_locale("zh"):
        return [str(label) for label in labels.values()]


def test_each_chinese_state_term_means_one_thing_across_needs_plans_measures_and_extensions(app):
    from tracker.needs.models import EXTENSION_STATUS_LABELS, NEED_STATUS_LABELS, ExtensionStatus
    from tracker.plans.models import MEASURE_STATUS_LABELS, PLAN_STATUS_LABELS

    with app.test_request_context():
        kinds = {"need": _zh_labels(NEED_STATUS_LABELS), "plan": _zh_labels(PLAN_STATUS_LABELS),
                 "measure": _zh_labels(MEASURE_STATUS_LABELS), "extension": _zh_labels(EXTENSION_STATUS_LABELS)}
        # Every state of every enum has a label, translated (not the English msgid).
        assert [len(v) for v in kinds.values()] == [len(NeedStatus), len(PlanStatus), len(MeasureStatus),
                                                    len(ExtensionStatus)]
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in term) for terms in kinds.values() for term in terms)
    for kind, terms in kinds.items():
        assert len(set(terms)) == len(terms), kind
    names = list(kinds)
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            assert not set(kinds[first]) & set(kinds[second]), (first, second)
    assert str(kinds["need"][list(NeedStatus).index(NeedStatus.IN_PROGRESS)]) == "办理中"
    assert str(kinds["plan"][list(PlanStatus).index(PlanStatus.IN_PROGRESS)]) == "实施中"


def test_a_plan_under_way_reads_实施中_beside_its_need_办理中(client, auth, cast, setting):
    plan = draft(setting, cast)
    need = make_need(setting[0], status=NeedStatus.IN_PROGRESS)
    plans.submit(plan, cast.officer)
    plans.approve(plan, cast.manager)
    plans.start(plan, cast.officer)
    db.session.commit()
    auth.login("officer")
    detail = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert 'data-status="in_progress">实施中</span>' in detail and "办理中" not in detail
    listed = client.get("/plans/").get_data(as_text=True)
    assert "实施中" in listed
    assert 'data-status="in_progress">办理中</span>' in client.get(f"/needs/{need.id}").get_data(as_text=True)


DEADLINE = local_today() + timedelta(days=60)


def test_a_measure_deadline_is_not_in_the_past_today_is_fine(client, auth, cast, setting):
    """The add-measure form comes back open, as typed, with the error at the deadline."""
    plan = draft(setting, cast, measures=0)
    db.session.commit()
    auth.login("officer")
    url = f"/plans/{plan.id}"
    today = local_today()
    for day in ("1999-01-01", (today - timedelta(days=1)).isoformat()):
        response = post(client, f"{url}/measures", {"description": "信用培育辅导", "owner_id": "0", "deadline": day},
                        page=url)
        text = response.get_data(as_text=True)
        assert response.status_code == 200 and f"办理时限不能早于今天（今天是{today.isoformat()}）。" in text
        added = text[text.index('<details open id="add-measure">'):]
        assert "信用培育辅导" in added[:added.index("</details>")]
    db.session.refresh(plan)
    assert plan.measures == []
    assert post(client, f"{url}/measures", {"description": "信用培育辅导", "owner_id": "0",
                                            "deadline": today.isoformat()}, page=url).status_code == 302
    db.session.refresh(plan)
    assert [m.deadline for m in plan.measures] == [today]


def test_an_old_deadline_left_as_it_was_still_saves(client, auth, cast, setting):
    plan = draft(setting, cast)  # its measure is due 2019-12-31
    db.session.commit()
    measure = plan.measures[0]
    auth.login("officer")
    url = f"/plans/{plan.id}/measures/{measure.id}/edit"
    data = {"description": "改写后的措施", "owner_id": str(cast.officer.id), "deadline": "2019-12-31"}
    assert post(client, url, data, page=url).status_code == 302
    db.session.refresh(measure)
    assert measure.description == "改写后的措施" and measure.deadline == date(2019, 12, 31)
    response = post(client, url, {**data, "deadline": "2019-12-30"}, page=url)  # changed, and past
    assert response.status_code == 200 and "办理时限不能早于今天" in response.get_data(as_text=True)
    db.session.refresh(measure)
    assert measure.deadline == date(2019, 12, 31)
    with pytest.raises(DomainError, match="办理时限不能早于今天"):
        plans.update_measure(measure, description="x", owner=None, deadline=date(2019, 12, 30), needs=[])
    db.session.rollback()
    with pytest.raises(DomainError, match="办理时限不能早于今天"):
        plans.add_measure(plan, description="x", deadline=local_today() - timedelta(days=1))
    db.session.rollback()


def test_progress_marked_done_without_a_result_comes_back_open(client, auth, cast, setting):
    plan = draft(setting, cast)
    plans.submit(plan, cast.officer)
    plans.approve(plan, cast.manager)
    plans.start(plan, cast.officer)
    db.session.commit()
    measure = plan.measures[0]
    auth.login("officer")
    url = f"/plans/{plan.id}"
    response = post(client, f"{url}/measures/{measure.id}/progress", {"status": "done", "result": ""}, page=url)
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    row = text[text.index(f'id="measure-{measure.id}"'):]
    assert row.index("<details open>") < row.index("标记为已完成前，请填写该措施取得的成效。") < row.index("</details>")
    db.session.refresh(measure)
    assert measure.status is MeasureStatus.OPEN


def test_a_measure_past_its_deadline_is_flagged_until_it_is_carried_into_effect(client, auth, cast, setting):
    """A deadline set in time can still pass: the plan's page flags the measure 已超期 until it is done."""
    plan = draft(setting, cast, measures=2)
    plans.submit(plan, cast.officer)
    plans.approve(plan, cast.manager)
    plans.start(plan, cast.officer)
    late, done = plan.measures
    late.deadline = done.deadline = local_today() - timedelta(days=1)
    plans.record_progress(done, status=MeasureStatus.DONE, result="已落实")
    db.session.commit()
    auth.login("officer")

    def row(measure):
        text = client.get(f"/plans/{plan.id}").get_data(as_text=True)
        start = text.index(f'id="measure-{measure.id}"')
        return text[start:text.index("</tr>", start)]
    assert "已超期" in row(late) and "已超期" not in row(done)
    late.deadline = local_today()  # due today: not yet overdue
    db.session.commit()
    assert "已超期" not in row(late)
