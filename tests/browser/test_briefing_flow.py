"""Policy briefings end to end in the browser (issue 13's acceptance):

(A) a contact accepts an invitation on a phone, sets a password, registers for a briefing, checks in by the
    entrance (QR) link and answers the briefing's questionnaire;
(B) an officer records attendance on the check-in list and prints the sign-in sheet.

The briefings, questionnaire and invitation are made here through the services, with a token unique to
each run in their names, so the tests do not depend on one another or on the demo's outreach records.
"""
import re
import uuid
from datetime import timedelta

import pytest
import segno
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import sign_in_on as sign_in

pytestmark = pytest.mark.browser

FIRM = "营口雅丽丝服装有限公司"  # the demo contact yalisi's firm, 营口海关's district
OFFICE = "0930"  # 营口海关
OFFICER = "officer"  # 张关员
MANAGER = "manager"  # 王科长, who makes questionnaires
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}




def _yingkou(db):
    from tracker.offices.models import Office

    return db.session.scalar(sa.select(Office).where(Office.code == OFFICE))


def _user(db, username: str):
    from tracker.auth.models import User

    return db.session.scalar(sa.select(User).where(User.username == username))


def _firm(db, name: str):
    from tracker.enterprises.models import Enterprise

    return db.session.scalar(sa.select(Enterprise).where(Enterprise.name == name))


# (A) ------------------------------------------------------------------------------------------------------
def make_briefing_with_questionnaire(live_app, token: str, contact_name: str) -> dict:
    """An open briefing of 营口海关 starting in 30 minutes (a firm may still register, and the entrance code
    works from two hours before the start: token_refusal), yalisi's firm invited, an open questionnaire
    attached to it, and an invitation for a new contact of the firm."""
    from tracker.accounts import services as accounts
    from tracker.briefings import services as briefings
    from tracker.extensions import db
    from tracker.questionnaires import services as questionnaires
    from tracker.questionnaires.models import QuestionKind

    with live_app.app_context():
        office, officer, manager = _yingkou(db), _user(db, OFFICER), _user(db, MANAGER)
        firm = _firm(db, FIRM)
        now = briefings.clock()
        briefing = briefings.create_briefing(briefings.BriefingData(
            title=f"RCEP原产地规则政策宣讲会（{token}）", starts_at=now + timedelta(minutes=30),
            ends_at=now + timedelta(hours=2, minutes=30), venue="营口海关五楼会议室", office=office, capacity=40,
            topics=[]), by=officer)
        briefings.open_registration(briefing, by=officer)
        assert briefings.invite(briefing, [firm], by=officer) == 1
        # Check-in opens before the start, registration closes at it: now lies in both.
        assert briefing.check_in_window_holds(now) and now < briefing.starts_at

        q = questionnaires.create_questionnaire(questionnaires.QuestionnaireData(
            title=f"宣讲会满意度调查（{token}）", intro="请在会后花两分钟填写。", office=office, campaign=None,
            briefing=briefing), by=manager)
        # Options of seven characters or more: the audit trail lists each option created as a few short
        # label/value lines, which test_layout's squeeze probe (run later in the session on /admin/audit)
        # would otherwise take for a squeezed cell.
        single = questionnaires.add_question(
            q, kind=QuestionKind.SINGLE, text="您是如何得知本次宣讲会的？", required=True,
            options=["海关发来的邀请通知", "行业协会转发的通知", "同行企业的介绍"], by=manager)
        multiple = questionnaires.add_question(
            q, kind=QuestionKind.MULTIPLE, text="您希望今后宣讲哪些政策？", required=False,
            options=["原产地规则与RCEP", "进口减免税政策", "通关便利化改革措施", "进出口商品检验检疫"], by=manager)
        rating = questionnaires.add_question(q, kind=QuestionKind.RATING, text="请为本次宣讲打分", required=True,
                                             options=[], by=manager)
        text = questionnaires.add_question(q, kind=QuestionKind.TEXT, text="其他意见和建议", required=False,
                                           options=[], by=manager)
        questionnaires.open_questionnaire(q, by=manager)

        link = accounts.invite_contact(firm, display_name=contact_name, title="关务专员", email=None, by=officer)
        db.session.commit()
        return {"briefing_id": briefing.id, "title": briefing.title, "questionnaire_id": q.id, "q_title": q.title,
                "single": single.id, "multiple": multiple.id, "rating": rating.id, "text": text.id,
                "link_id": link.id, "firm_id": firm.id}


def test_a_contact_joins_on_a_phone_registers_checks_in_by_the_code_and_answers(browser, base_url, live_app):
    from tracker.accounts.models import AccountToken
    from tracker.auth.models import Role
    from tracker.briefings import services as briefings
    from tracker.briefings.models import Briefing, BriefingRegistration, CheckInMethod
    from tracker.extensions import db
    from tracker.questionnaires.models import Response, ResponseChannel

    token = uuid.uuid4().hex[:8]
    contact_name = f"周晓燕{token}"
    username = f"zhou-{token}"
    password = f"Haiguan {token} xuanjiang"
    names = ["周晓燕", "李建国"]
    made = make_briefing_with_questionnaire(live_app, token, contact_name)
    briefing_id = made["briefing_id"]

    # The officer, at his desk: the invitation's link as he is shown it to pass on, and the address the
    # entrance code carries (read under the code; the code itself is checked to encode that very text).
    desk = browser.new_context(base_url=base_url, viewport=DESKTOP)
    page = desk.new_page()
    try:
        sign_in(page, OFFICER)
        page.goto(f"/accounts/invitations/{made['link_id']}")
        expect(page.get_by_role("heading", name=f"给{contact_name}的邀请")).to_be_visible()
        join_url = page.get_by_label(f"请将此链接发给{contact_name}").input_value()
        assert join_url.startswith(f"{base_url}/accounts/join/")

        page.goto(f"/briefings/{briefing_id}/entrance")
        expect(page.get_by_role("heading", name=made["title"])).to_be_visible()
        expect(page.get_by_role("alert")).to_have_count(0)  # no "check-in is not open yet" warning
        scan_url = page.get_by_text(re.compile(rf"^{re.escape(base_url)}/briefings/{briefing_id}/check-in/")) \
            .inner_text().strip()
        drawn = page.locator("#entrance-code svg path").get_attribute("d")
        expected = segno.make(scan_url, error="m").svg_inline(scale=8, border=2, title=made["title"])
        assert f'd="{drawn}"' in expected, "the entrance code does not encode the address shown under it"
    finally:
        desk.close()

    context = browser.new_context(base_url=base_url, viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        # The invitation: the name comes filled in; he chooses his username and password.
        page.goto(join_url)
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        expect(page.get_by_role("heading", name="开通账号")).to_be_visible()
        expect(page.get_by_text(f"海关已邀请您作为{FIRM}的联系人。")).to_be_visible()
        expect(page.get_by_label("您的姓名")).to_have_value(contact_name)
        page.get_by_label("用户名", exact=True).fill(username)
        page.get_by_label("新密码", exact=True).fill(password)
        page.get_by_label("确认新密码").fill(password)
        page.get_by_role("button", name="开通我的账号").tap()

        # Signed in on his firm's portal, which lists the briefing his firm is invited to.
        expect(page.get_by_role("alert").filter(has_text=f"{contact_name}，欢迎！您的账号已开通")).to_be_visible()
        expect(page.get_by_role("heading", name=FIRM)).to_be_visible()
        card = page.locator("#portal-briefings")
        expect(card.get_by_role("heading", name="政策宣讲会")).to_be_visible()
        expect(card.get_by_role("listitem").filter(has_text=made["title"])).to_contain_text("报名中：剩余40个名额")
        card.get_by_role("link", name=made["title"]).click()

        # The briefing: the wrong way first, two attendees but one name.
        expect(page.get_by_role("heading", name=made["title"])).to_be_visible()
        form = page.locator("#registration-form")
        expect(form).to_contain_text("剩余40个名额。")
        form.get_by_label("参会人数").fill("2")
        form.get_by_label("参会人员姓名（每行一人）").fill(names[0])
        form.get_by_role("button", name="报名").tap()
        form = page.locator("#registration-form")
        expect(form.locator("#form-errors")).to_contain_text("尚未保存")
        expect(form.locator("#attendee_names-errors")).to_have_text("请为2名参会人员每行填写一个姓名。")
        expect(form.get_by_label("参会人数")).to_have_value("2")
        with live_app.app_context():
            assert briefings.active_registration(db.session.get(Briefing, briefing_id), made["firm_id"]) is None

        # Then one name a line.
        form.get_by_label("参会人员姓名（每行一人）").fill("\n".join(names))
        form.get_by_role("button", name="报名").tap()
        expect(page.get_by_role("alert").filter(has_text="报名成功，期待您的到来。")).to_be_visible()
        ours = page.locator("#our-registration")
        expect(ours).to_contain_text(f"已报名：2人参会（{'、'.join(names)}）。")
        expect(ours).not_to_contain_text("签到")
        expect(page.locator("#registration-form")).to_have_count(0)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # At the door he scans the entrance code: the page it opens asks him to confirm.
        page.goto(scan_url)
        expect(page.get_by_role("heading", name=made["title"])).to_be_visible()
        expect(page.get_by_text(FIRM, exact=True)).to_be_visible()
        expect(page.get_by_text(f"已报名：2人参会（{'、'.join(names)}）。")).to_be_visible()
        expect(page.locator("#scan-refusal")).to_have_count(0)
        page.get_by_role("button", name="立即签到").tap()
        expect(page.get_by_role("alert").filter(has_text="欢迎参会！签到成功。")).to_be_visible()
        expect(page.locator("#our-registration")).to_contain_text("贵企业已于")
        expect(page.locator("#our-registration")).to_contain_text("签到。")

        # Scanning again says it is recorded and records nothing new.
        page.goto(scan_url)
        expect(page.get_by_role("status")).to_contain_text("贵企业已于")
        expect(page.get_by_role("button", name="立即签到")).to_have_count(0)
        page.get_by_role("link", name="宣讲会", exact=True).click()

        # The questionnaire, from the briefing's page.
        questionnaires = page.locator("#briefing-questionnaires + ul")
        expect(page.get_by_role("heading", name="调查问卷")).to_be_visible()
        expect(questionnaires).to_contain_text(made["q_title"])
        questionnaires.get_by_role("link", name="填写问卷").click()
        expect(page.get_by_role("heading", name=made["q_title"])).to_be_visible()
        expect(page.get_by_text(f"每家企业填写一次，本答卷代表{FIRM}。")).to_be_visible()

        single = page.get_by_role("group", name="您是如何得知本次宣讲会的？")
        multiple = page.get_by_role("group", name="您希望今后宣讲哪些政策？")
        rating = page.get_by_role("group", name="请为本次宣讲打分")
        text = page.get_by_role("group", name="其他意见和建议")
        comment = f"希望多安排企业现场答疑时间（{token}）"

        # The wrong way: the required rating left blank.
        single.get_by_label("海关发来的邀请通知").check()
        multiple.get_by_label("原产地规则与RCEP").check()
        multiple.get_by_label("通关便利化改革措施").check()
        text.get_by_label("其他意见和建议").fill(comment)
        page.get_by_role("button", name="提交答卷").tap()
        expect(page.locator("#form-errors")).to_contain_text("尚未保存")
        rating = page.get_by_role("group", name="请为本次宣讲打分")
        expect(rating).to_contain_text("此题为必答题，请作答。")
        expect(page.get_by_role("group", name="您是如何得知本次宣讲会的？")).not_to_contain_text("此题为必答题")
        # What he gave is still there.
        expect(page.get_by_role("group", name="您是如何得知本次宣讲会的？").get_by_label("海关发来的邀请通知")).to_be_checked()
        expect(page.get_by_role("group", name="您希望今后宣讲哪些政策？").get_by_label("通关便利化改革措施")).to_be_checked()
        expect(page.get_by_role("group", name="其他意见和建议").get_by_label("其他意见和建议")).to_have_value(comment)
        with live_app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(Response.id)).where(
                Response.questionnaire_id == made["questionnaire_id"])) == 0

        rating.get_by_label("4", exact=True).check()
        page.get_by_role("button", name="提交答卷").tap()
        expect(page.get_by_role("alert").filter(has_text="谢谢！答卷已记录。")).to_be_visible()
        expect(page.locator("#response-meta")).to_contain_text(f"{FIRM}的答卷，企业端")
        expect(page.locator(f"#answer-{made['single']}")).to_have_text("海关发来的邀请通知")
        expect(page.locator(f"#answer-{made['multiple']}")).to_have_text("原产地规则与RCEP；通关便利化改革措施")
        expect(page.locator(f"#answer-{made['rating']}")).to_have_text("4分")
        expect(page.locator(f"#answer-{made['text']}")).to_have_text(comment)

        # Back on the briefing's page the questionnaire reads as answered, with no form to fill again.
        page.goto(f"/briefings/{briefing_id}/firm")
        answered = page.locator("#briefing-questionnaires + ul").get_by_role("listitem")
        expect(answered).to_contain_text("填写于")
        expect(page.get_by_role("link", name="填写问卷")).to_have_count(0)
    finally:
        context.close()

    with live_app.app_context():
        user = _user(db, username)
        assert user is not None and user.active
        assert user.role is Role.ENTERPRISE_CONTACT and user.enterprise_id == made["firm_id"]
        assert user.display_name == contact_name and user.title == "关务专员"
        link = db.session.get(AccountToken, made["link_id"])
        assert link.used_at is not None and link.user_id == user.id

        registration = db.session.scalar(sa.select(BriefingRegistration).where(
            BriefingRegistration.briefing_id == briefing_id, BriefingRegistration.enterprise_id == made["firm_id"]))
        assert registration.is_active and registration.registered_by_id == user.id
        assert registration.attendees == 2 and registration.names == names
        assert registration.check_in_method is CheckInMethod.QR
        assert registration.checked_in_by_id == user.id and registration.checked_in_at is not None
        assert db.session.get(Briefing, briefing_id).registered == 1

        response = db.session.scalar(sa.select(Response).where(Response.questionnaire_id == made["questionnaire_id"]))
        assert response.channel is ResponseChannel.PORTAL
        assert response.enterprise_id == made["firm_id"] and response.entered_by_id == user.id
        answers = {a.question_id: a for a in response.answers}
        assert [o.text for o in answers[made["single"]].options] == ["海关发来的邀请通知"]
        assert [o.text for o in answers[made["multiple"]].options] == ["原产地规则与RCEP", "通关便利化改革措施"]
        assert answers[made["rating"]].rating == 4
        assert answers[made["text"]].text == comment


# (B) ------------------------------------------------------------------------------------------------------
def make_briefing_under_way(live_app, token: str) -> dict:
    """A briefing of 营口海关 that began half an hour ago, its registration closed: four firms of the district's
    campaign roster invited, three of them registered by the officer the day before (by phone)."""
    from tracker.briefings import services as briefings
    from tracker.campaigns.models import RosterEntry
    from tracker.enterprises.models import Enterprise
    from tracker.extensions import db

    with live_app.app_context():
        office, officer = _yingkou(db), _user(db, OFFICER)
        firms = db.session.scalars(
            sa.select(Enterprise).join(RosterEntry, RosterEntry.enterprise_id == Enterprise.id)
            .where(Enterprise.office_id == office.id, Enterprise.archived_at.is_(None), Enterprise.name != FIRM)
            .distinct().order_by(Enterprise.id).limit(4)).all()
        assert len(firms) == 4, "the demo's roster should hold four firms of 营口海关"
        now = briefings.clock()
        starts = now - timedelta(minutes=30)
        briefing = briefings.create_briefing(briefings.BriefingData(
            title=f"加工贸易监管政策宣讲会（{token}）", starts_at=starts, ends_at=now + timedelta(hours=2),
            venue="营口海关一楼报告厅", office=office, capacity=100, topics=[]), by=officer,
            now=starts - timedelta(days=7))
        briefings.open_registration(briefing, by=officer, now=starts - timedelta(days=7))
        briefings.invite(briefing, firms, by=officer, now=starts - timedelta(days=7))
        people = [["王海涛", "陈静"], ["刘洋"], ["赵敏", "孙浩", "钱丽"]]
        registrations = [
            briefings.register(briefing, firm, attendees=len(names), names="\n".join(names), by=officer,
                               now=starts - timedelta(days=1))
            for firm, names in zip(firms, people)]
        briefings.close_registration(briefing, by=officer)
        db.session.commit()
        # The sheet lists the firms by the pinyin of their names, as the directory does.
        sheet = sorted(zip(firms, people), key=lambda pair: pair[0].name_pinyin)
        return {"briefing_id": briefing.id, "title": briefing.title,
                "firms": [f.name for f in firms[:3]], "not_registered": firms[3].name, "people": people,
                "registrations": [r.id for r in registrations],
                "sheet": [(f.name, names) for f, names in sheet]}


def test_an_officer_records_attendance_and_prints_the_sign_in_sheet(browser, base_url, live_app):
    from tracker.briefings.models import BriefingRegistration, CheckInMethod
    from tracker.extensions import db

    made = make_briefing_under_way(live_app, uuid.uuid4().hex[:8])
    briefing_id = made["briefing_id"]
    first, second, third = made["registrations"]

    context = browser.new_context(base_url=base_url, viewport=DESKTOP)
    page = context.new_page()
    refused = []  # what the Content-Security-Policy blocked (an inline style or handler does nothing)
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    try:
        sign_in(page, OFFICER)
        expect(page.get_by_role("heading", name="欢迎您，张关员")).to_be_visible()
        page.goto(f"/briefings/{briefing_id}")
        counts = page.locator("#briefing-counts")
        expect(counts).to_have_text("邀请4家 · 报名3家（6人） · 签到0家（0人）")
        page.get_by_role("link", name="签到名单").click()

        # The check-in list: the three registered firms, none attended yet.
        expect(page.get_by_role("heading", name="签到名单")).to_be_visible()
        expect(page.locator("#check-in-counts")).to_have_text("已报名的3家企业中已有0家签到（0人）。")
        table = page.locator("#check-in")
        for name, people in zip(made["firms"], made["people"]):
            expect(table.get_by_role("row").filter(has_text=name)).to_contain_text("、".join(people))
        expect(table).not_to_contain_text(made["not_registered"])
        row = page.locator(f"#registration-{first}")
        expect(row).to_contain_text(made["firms"][0])
        expect(table.get_by_role("button", name="登记签到")).to_have_count(3)
        # Begun: a registration can no longer be cancelled from here.
        expect(table.get_by_role("button", name="取消报名")).to_have_count(0)

        row.get_by_role("button", name="登记签到").click()
        expect(page.get_by_role("alert").filter(has_text="已登记签到。")).to_be_visible()
        row = page.locator(f"#registration-{first}")
        expect(row).to_contain_text("签到名单")  # how it was recorded
        expect(row.get_by_role("button", name="撤销")).to_be_visible()
        expect(row.get_by_role("button", name="登记签到")).to_have_count(0)
        for other in (second, third):
            expect(page.locator(f"#registration-{other}").get_by_role("button", name="登记签到")).to_be_visible()
        expect(page.locator("#check-in-counts")).to_have_text("已报名的3家企业中已有1家签到（2人）。")

        with live_app.app_context():
            registrations = {r.id: r for r in db.session.scalars(sa.select(BriefingRegistration).where(
                BriefingRegistration.briefing_id == briefing_id))}
            assert registrations[first].check_in_method is CheckInMethod.OFFICER
            assert registrations[first].checked_in_by.username == OFFICER
            assert registrations[first].checked_in_at is not None
            assert all(registrations[r].checked_in_at is None for r in (second, third))

        # Back to the briefing, whose counts moved too, and on to the sign-in sheet.
        page.get_by_role("link", name=made["title"]).click()
        expect(page.locator("#briefing-counts")).to_have_text("邀请4家 · 报名3家（6人） · 签到1家（2人）")
        page.get_by_role("link", name="签到表").click()

        expect(page).to_have_url(f"{base_url}/briefings/{briefing_id}/sign-in-sheet")
        page.wait_for_load_state("load")  # its stylesheet and script (the print link's handler)
        expect(page.get_by_role("heading", name=f"{made['title']} · 签到表")).to_be_visible()
        sheet = page.locator("#sign-in-sheet")
        expect(sheet.get_by_role("columnheader")).to_have_text(["编号", "企业", "参会人员", "参会人数", "签名"])
        body_rows = sheet.locator("tbody tr")
        expect(body_rows).to_have_count(3 + 5)  # the registered firms, then five blank lines for walk-ins
        for number, (name, people) in enumerate(made["sheet"], 1):
            cells = body_rows.nth(number - 1).get_by_role("cell")
            expect(cells).to_have_text([str(number), name, "、".join(people), str(len(people)), ""])
        expect(sheet).not_to_contain_text(made["not_registered"])
        expect(page.get_by_role("button", name="菜单")).to_have_count(0)  # no site menu on the sheet

        # 打印 calls the browser's print dialog (stubbed here) and stays on the page.
        print_link = page.get_by_role("link", name="打印")
        back_link = page.get_by_role("link", name="返回宣讲会")
        expect(print_link).to_be_visible()
        page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
        print_link.click()
        assert page.evaluate("window.__printed") == 1
        expect(page).to_have_url(f"{base_url}/briefings/{briefing_id}/sign-in-sheet")

        header = sheet.get_by_role("columnheader").first
        assert header.evaluate("th => getComputedStyle(th).backgroundColor") == "rgb(238, 238, 238)"
        page.emulate_media(media="print")
        expect(print_link).to_be_hidden()
        expect(back_link).to_be_hidden()
        expect(sheet).to_be_visible()
        expect(body_rows.first).to_be_visible()
        assert header.evaluate("th => getComputedStyle(th).backgroundColor") == "rgba(0, 0, 0, 0)"
        page.emulate_media(media="screen")
        expect(print_link).to_be_visible()
        assert refused == []
    finally:
        context.close()

    # A firm's contact has no business on the check-in list or the sheet.
    context = browser.new_context(base_url=base_url, viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        sign_in(page, "yalisi")
        expect(page.get_by_role("heading", name=FIRM)).to_be_visible()
        for path in (f"/briefings/{briefing_id}/check-in", f"/briefings/{briefing_id}/sign-in-sheet"):
            response = page.goto(path)
            assert response.status in (403, 404), (path, response.status)
            for name in made["firms"]:
                expect(page.locator("body")).not_to_contain_text(name)
    finally:
        context.close()
