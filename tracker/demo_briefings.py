"""Policy-briefing demo data (issue 13): the article's 进出口企业政策宣讲会 of June 2019 and its questionnaire,
and a briefing ahead of today that firms can still register for.

The article: "营口海关召开'进出口企业政策宣讲会'，讲解原产地证业务、一体化通关政策、进出境木质包装检疫要求、企业
信用管理规定及综合保税区相关政策，并发放营口综合保税区宣传资料和《营口海关优化通关服务调查问卷》。共84家企业参加
宣讲会". So:

- 营口海关's briefing on Thursday 13 June 2019, 9:00-11:30, with the five topics, in the 2019 campaign:
  王科长 creates it on 27 May, opens registration and invites the campaign's roster the next morning;
  90 firms register (雅丽丝 in the portal, the others by telephone with 张关员 or 刘关员), registration closes
  the day before; on the morning 84 firms are checked in (雅丽丝's contact by the code at the door, the others
  on the officers' list), six do not come; 王科长 marks it held at the end.
- 《营口海关优化通关服务调查问卷》, attached to the campaign and the briefing, opened the evening before and
  handed out on paper: the 84 firms that came answer it (雅丽丝 in the portal during the briefing, the others
  on paper, entered by the officers that afternoon and the next day); closed at the end of June.
- RCEP原产地规则专题宣讲会, three weeks or so after the day the demo is loaded, open for registration, the roster
  invited: what a contact sees under "briefings open for registration".

Everything goes through tracker.briefings.services and tracker.questionnaires.services with ``now=`` set to
each step's moment, so the history obeys their rules (registration before the start, check-in while open or
closed, one answer per firm). The invitations' notices of 2019 are dated to their moment and read, and not e-mailed today.

Idempotent like the rest of the demo: a briefing is found by its office and title, the questionnaire by its
office and title; whatever exists is left as it is.
"""
import random
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from tracker.auth import services as auth_services
from tracker.briefings import services as briefings
from tracker.briefings.models import Briefing, BriefingRegistration, CheckInMethod
from tracker.campaigns.models import Campaign, RosterEntry
from tracker.enterprises.models import Enterprise, EnterpriseContact
from tracker.extensions import db
from tracker.i18n import LOCAL_TZ
from tracker.notifications.models import Notification
from tracker.offices.models import Office
from tracker.questionnaires import services as questionnaires
from tracker.questionnaires.models import Question, QuestionKind, Questionnaire, ResponseChannel
from tracker.visits.models import PolicyTopic
from tracker.workdays import services as workdays

SEED = 13
OFFICE = "0930"
MANAGER, ZHANG, LIU, CONTACT = "manager", "officer", "officer2", "yalisi"
YALISI = "营口雅丽丝服装有限公司"
# The four firms the article names under 营口海关 come, with 雅丽丝; the others are drawn from the roster.
NAMED = (YALISI, "五矿营口中板有限责任公司", "营口光阳耐火材料有限公司", "宏群胜精密电子(营口)有限公司")
REGISTERED, ATTENDED = 90, 84

BRIEFING = {
    "title": "进出口企业政策宣讲会",
    "venue": "营口海关五楼多功能会议厅",
    "day": date(2019, 6, 13), "starts": time(9, 0), "ends": time(11, 30),
    "capacity": 120,
    "topics": ("原产地证业务", "一体化通关", "进出境木质包装检疫", "企业信用管理", "综合保税区政策"),
    "description": "立足新海关，宣传新业务：讲解原产地证业务、一体化通关政策、进出境木质包装检疫要求、企业信用管理规定"
                   "及综合保税区相关政策，发放营口综合保税区宣传资料和《营口海关优化通关服务调查问卷》，会后与企业交流研讨。",
}
UPCOMING = {
    "title": "RCEP原产地规则专题宣讲会",
    "venue": "营口海关综合业务大厅二楼培训室",
    "days_ahead": 21, "starts": time(14, 30), "ends": time(16, 30),
    "capacity": 60,
    "topics": ("原产地证业务", "通关便利措施"),
    "description": "讲解《区域全面经济伙伴关系协定》（RCEP）原产地规则、累积规则和原产地声明，现场解答企业申领原产地证书的"
                   "问题。每家企业限报两人。",
}

QUESTIONNAIRE_TITLE = "营口海关优化通关服务调查问卷"
INTRO = ("为进一步优化营商环境、提升通关服务水平，营口海关开展本次调查。请贵企业根据实际情况填写，感谢您的支持！"
         "问卷结果仅用于改进海关工作。")
# (kind, text, required, options, weights of the options or of the ratings 1..5)
QUESTIONS = [
    (QuestionKind.SINGLE, "贵企业目前主要采用哪种方式办理进出口申报？", True,
     ["自理报关，全国通关一体化", "自理报关，“两步申报”", "委托报关企业代理申报", "两种方式都有"], (30, 12, 40, 18)),
    (QuestionKind.MULTIPLE, "贵企业最希望海关在哪些方面优化通关服务？（可多选）", True,
     ["缩短原产地证书签证时间", "提前申报、货物抵港即放行", "提高查验作业效率", "进出境木质包装检疫指导",
      "企业信用认证培训与辅导", "综合保税区政策咨询", "税费电子支付与汇总征税"], (46, 38, 30, 14, 27, 12, 18)),
    (QuestionKind.RATING, "您对营口海关通关服务的总体满意度", True, [], (0, 1, 8, 36, 55)),
    (QuestionKind.RATING, "您对原产地证书签证服务的满意度", True, [], (1, 2, 10, 35, 52)),
    (QuestionKind.SINGLE, "本次政策宣讲会对贵企业是否有帮助？", True, ["很有帮助", "有一定帮助", "帮助不大"], (62, 33, 5)),
    (QuestionKind.TEXT, "对营口海关优化通关服务的其他意见和建议", False, [], ()),
]
SUGGESTIONS = [
    "希望原产地证窗口在出口旺季延长办理时间。",
    "建议多举办这样的政策宣讲会，最好每季度一次。",
    "木质包装检疫要求讲得很清楚，希望能提供书面材料。",
    "希望海关对初次开展进出口业务的企业多做一对一辅导。",
    "建议开通原产地证书自助打印，减少企业往返。",
    "希望加快查验结果反馈，查验前能电话通知企业。",
    "对AEO高级认证很感兴趣，希望海关上门辅导。",
    "综合保税区政策很有吸引力，希望组织企业实地参观。",
    "船期紧张时希望能优先办理。",
    "建议微信公众号及时推送新政策解读。",
    "希望统一各口岸的单证要求。",
    "感谢海关关员的耐心讲解，服务态度很好。",
    "汇总征税额度希望能提高。",
    "希望提供两步申报的操作培训。",
]


def at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=LOCAL_TZ)


def seed_briefings(firms: dict[str, Enterprise], campaign: Campaign, result) -> None:
    """Add the briefings and the questionnaire that are missing; *firms* maps the demo firms' names to rows."""
    office = db.session.scalar(sa.select(Office).where(Office.code == OFFICE))
    staff = {u: auth_services.find_user(u) for u in (MANAGER, ZHANG, LIU, CONTACT)}
    if office is None or None in (staff[MANAGER], staff[ZHANG], staff[LIU]):
        return
    topics = {t.name: t for t in db.session.scalars(sa.select(PolicyTopic))}
    roster = db.session.scalars(
        sa.select(Enterprise).join(RosterEntry, RosterEntry.enterprise_id == Enterprise.id)
        .where(RosterEntry.campaign_id == campaign.id).order_by(Enterprise.id)).all()
    rng = random.Random(SEED)
    briefing = _find(office, BRIEFING["title"])
    if briefing is None:
        briefing = _june_briefing(office, campaign, topics, roster, firms, staff, rng, result)
    if _find_questionnaire(office) is None:
        _questionnaire(office, campaign, briefing, staff, rng, result)
    if _find(office, UPCOMING["title"]) is None:
        _upcoming(office, topics, roster, staff[MANAGER], result)


def _find(office: Office, title: str) -> Briefing | None:
    return db.session.scalar(sa.select(Briefing).where(Briefing.office_id == office.id, Briefing.title == title))


def _find_questionnaire(office: Office) -> Questionnaire | None:
    return db.session.scalar(sa.select(Questionnaire).where(
        Questionnaire.office_id == office.id, Questionnaire.title == QUESTIONNAIRE_TITLE))


def _topics(names, topics: dict) -> list[PolicyTopic]:
    return [topics[n] for n in names if n in topics]


def _date_notices(since: int, when: datetime) -> None:
    """The notices made since *since* (an id) were sent at *when* and read by the briefing's day."""
    db.session.execute(sa.update(Notification).where(Notification.id > since)
                       .values(created_at=when, read_at=at(BRIEFING["day"], time(8, 0))))


@contextmanager
def _unmailed():
    """Invitations of 2019 are not e-mailed today (briefings.services.mail_to is set aside meanwhile)."""
    saved = briefings.mail_to
    briefings.mail_to = lambda *args, **kwargs: False
    try:
        yield
    finally:
        briefings.mail_to = saved


def _last_notice() -> int:
    return db.session.scalar(sa.select(sa.func.max(Notification.id))) or 0


def _attendees(firm: Enterprise, rng: random.Random) -> tuple[int, str]:
    """One or two of the firm's own contacts (the demo gives every firm at least one)."""
    names = list(db.session.scalars(sa.select(EnterpriseContact.name).where(
        EnterpriseContact.enterprise_id == firm.id).order_by(EnterpriseContact.id)))
    names = names or [f"{firm.name[:4]}代表"]
    chosen = names[:rng.choice((1, 1, 2))] if len(names) > 1 else names
    return len(chosen), "\n".join(chosen)


def _june_briefing(office, campaign, topics, roster, firms, staff, rng, result) -> Briefing:
    day, manager = BRIEFING["day"], staff[MANAGER]
    briefing = briefings.create_briefing(briefings.BriefingData(
        title=BRIEFING["title"], starts_at=at(day, BRIEFING["starts"]), ends_at=at(day, BRIEFING["ends"]),
        venue=BRIEFING["venue"], office=office, capacity=BRIEFING["capacity"],
        topics=_topics(BRIEFING["topics"], topics), campaign=campaign, description=BRIEFING["description"]),
        by=manager, now=at(date(2019, 5, 27), time(10, 20)))
    result.count("briefings")
    opened = at(date(2019, 5, 28), time(9, 0))
    briefings.open_registration(briefing, by=manager, now=opened)
    mark = _last_notice()
    with _unmailed():
        result.count("briefing invitations", briefings.invite(briefing, roster, by=manager, now=opened))
    _date_notices(mark, opened)

    # Who comes: the named firms, then the rest of the roster in a fixed random order.
    named = [firms[n] for n in NAMED if n in firms and firms[n] in roster]
    others = [f for f in roster if f not in named]
    rng.shuffle(others)
    coming = (named + others)[:REGISTERED]
    contact = staff[CONTACT]
    registrations: list[BriefingRegistration] = []
    phone_days = [d for d in (date(2019, 5, 28) + timedelta(days=n) for n in range(15)) if d < day]
    for firm in coming:
        attendees, names = _attendees(firm, rng)
        by = contact if contact is not None and firm.id == contact.enterprise_id else rng.choice((staff[ZHANG],
                                                                                                  staff[LIU]))
        when = at(rng.choice(phone_days), time(rng.randint(8, 16), rng.randint(0, 59)))
        registrations.append(briefings.register(briefing, firm, attendees=attendees, names=names, by=by, now=when))
    result.count("briefing registrations", len(registrations))
    briefings.close_registration(briefing, by=manager)

    # The morning: the first 84 come (the named four among them), 雅丽丝 by the code at the door.
    for registration in registrations[:ATTENDED]:
        when = at(day, time(8, rng.randint(20, 58)))
        if contact is not None and registration.enterprise_id == contact.enterprise_id:
            briefings.check_in(registration, by=contact, method=CheckInMethod.QR, now=when)
        else:
            briefings.check_in(registration, by=rng.choice((staff[ZHANG], staff[LIU])), method=CheckInMethod.OFFICER,
                               now=when)
    briefings.mark_held(briefing, by=manager, now=at(day, BRIEFING["ends"]))
    db.session.flush()
    return briefing


def _answers(questions: list[Question], rng: random.Random, suggestions: list[str]) -> dict[int, object]:
    answers: dict[int, object] = {}
    for question, (kind, _text, _required, _options, weights) in zip(questions, QUESTIONS):
        if kind is QuestionKind.SINGLE:
            answers[question.id] = [rng.choices(question.options, weights=weights)[0].id]
        elif kind is QuestionKind.MULTIPLE:
            picked = [o.id for o, w in zip(question.options, weights) if rng.random() < w / 100]
            answers[question.id] = picked or [rng.choices(question.options, weights=weights)[0].id]
        elif kind is QuestionKind.RATING:
            answers[question.id] = rng.choices(range(1, 6), weights=weights)[0]
        elif suggestions and rng.random() < 0.35:
            answers[question.id] = suggestions.pop()
    return answers


def _questionnaire(office, campaign, briefing, staff, rng, result) -> None:
    manager = staff[MANAGER]
    questionnaire = questionnaires.create_questionnaire(questionnaires.QuestionnaireData(
        title=QUESTIONNAIRE_TITLE, intro=INTRO, office=office, campaign=campaign, briefing=briefing),
        by=manager, now=at(date(2019, 6, 10), time(15, 0)))
    for kind, text, required, options, _weights in QUESTIONS:
        questionnaires.add_question(questionnaire, kind=kind, text=text, required=required, options=options,
                                    by=manager)
    questionnaires.open_questionnaire(questionnaire, by=manager, now=at(date(2019, 6, 12), time(17, 0)))
    result.count("questionnaires")

    # The firms that came answer: 雅丽丝 in the portal during the briefing, the others on paper.
    attended = db.session.scalars(sa.select(BriefingRegistration).where(
        BriefingRegistration.briefing_id == briefing.id, BriefingRegistration.checked_in_at.is_not(None))
        .order_by(BriefingRegistration.checked_in_at, BriefingRegistration.id)).all()
    contact = staff[CONTACT]
    suggestions = list(SUGGESTIONS)
    rng.shuffle(suggestions)
    entry_times = [at(BRIEFING["day"], time(h, m)) for h in (13, 14, 15, 16) for m in (5, 20, 35, 50)] + \
                  [at(date(2019, 6, 14), time(h, m)) for h in (9, 10, 11, 14) for m in (0, 15, 30, 45)]
    answered = 0
    for registration in attended:
        answers = _answers(questionnaire.questions, rng, suggestions)
        if contact is not None and registration.enterprise_id == contact.enterprise_id:
            questionnaires.submit_response(questionnaire, registration.enterprise, answers, by=contact,
                                           channel=ResponseChannel.PORTAL, now=at(BRIEFING["day"], time(10, 50)))
        else:
            questionnaires.submit_response(
                questionnaire, registration.enterprise, answers, by=rng.choice((staff[ZHANG], staff[LIU])),
                channel=ResponseChannel.PAPER, now=rng.choice(entry_times) + timedelta(minutes=rng.randint(0, 14)))
        answered += 1
    result.count("questionnaire responses", answered)
    questionnaires.close_questionnaire(questionnaire, by=manager, now=at(date(2019, 6, 30), time(17, 30)))
    db.session.flush()


def _upcoming(office, topics, roster, manager, result) -> None:
    """Three weeks or so after today, on a working day: open, the roster invited today."""
    now = briefings.clock()
    day = now.astimezone(LOCAL_TZ).date() + timedelta(days=UPCOMING["days_ahead"])
    while not workdays.is_working_day(day):
        day += timedelta(days=1)
    briefing = briefings.create_briefing(briefings.BriefingData(
        title=UPCOMING["title"], starts_at=at(day, UPCOMING["starts"]), ends_at=at(day, UPCOMING["ends"]),
        venue=UPCOMING["venue"], office=office, capacity=UPCOMING["capacity"],
        topics=_topics(UPCOMING["topics"], topics), description=UPCOMING["description"]), by=manager, now=now)
    briefings.open_registration(briefing, by=manager, now=now)
    result.count("briefings")
    if roster:
        result.count("briefing invitations", briefings.invite(briefing, roster, by=manager, now=now))
    db.session.flush()
