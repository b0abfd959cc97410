"""Certification-coaching demo data (issue 14): the article's "引导企业进行信用认证（一般认证）", against the 2018
standard shipped with the tracker.

- 营口雅丽丝服装有限公司: 张关员 assesses it in the workshop a week after the June 2019 briefing. Its internal
  controls and finances are in order; its internal audit, data backups and partner vetting are 基本达标, it has
  no contingency plan for trade-security incidents (4.8.1 不达标), and its goods go by the forwarder's trucks
  (运输工具 不适用). 95 points, yet no pass: 4.8.1 must be fixed. He shares the assessment the next day; in
  mid-July, the plan written, he scores 4.8.1 again, 基本达标 (the drill is still to come): 96 points, a pass,
  and the item's history shows both scores. The firm's contact has started her own self-assessment.
  With the pass in hand it applies for 一般认证 on 22 July; customs accepts the application on 26 July (receipt
  大关认〔2019〕0726号), audits it on site on 20 August and certifies it on 1 September 2019, under decree 237: the
  certification writes its credit level, 一般认证企业 from 2019-09-01 (its 一般信用 period closing the day before).
- 营口光阳耐火材料有限公司: 刘关员 began in July and has scored its internal controls, finances and compliance
  so far (a provisional result, already failing on 1.4.2).
- Six more key firms of the roster (COACHED), so that the campaign report's readiness has firms in each class:
  大石桥市腾龙重工 (98, assessed in April and archived once it was certified on 1 June) and 营口昌盛粮油 (97,
  certified on 1 September) are ready; 营口鼎盛汽车配件 (93) and 营口源通化工 (91) are close, with nothing 不达标;
  营口汇达耐火 (95 points, but no video monitoring of its goods area: 4.1.2 不达标) and 大石桥市海诚矿产 (88) are
  far.

Made through tracker.certification.services with ``now=`` (and ``today=``) at each step; idempotent: a firm that
has an assessment of the kind, or an application, is left as it is.
"""
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from tracker.auth import services as auth_services
from tracker.certification import services as certification
from tracker.certification.models import (
    Assessment, AssessmentKind, CertificationApplication, CertificationStandard, Score,
)
from tracker.enterprises.models import CreditRating, Enterprise
from tracker.extensions import db
from tracker.i18n import LOCAL_TZ

STANDARD = "2018"
ZHANG, LIU, CONTACT = "officer", "officer2", "yalisi"
YALISI, GUANGYANG = "营口雅丽丝服装有限公司", "营口光阳耐火材料有限公司"

YALISI_SCORES = {
    "1.3.1": (Score.MOSTLY, "2018年度内部审计只覆盖了财务，未涉及进出口单证。"),
    "1.4.2": (Score.MOSTLY, "数据每月手工备份一次，未做恢复演练。"),
    "4.4.1": (Score.MOSTLY, "主要面料供应商有评估表，货代和报关行没有。"),
    "4.8.1": (Score.NOT_MET, "没有贸易安全突发事件应急预案。"),
    "4.7.1": (Score.NOT_APPLICABLE, "出口货物由货代派车运输，企业不安排运输工具。"),
    "4.7.2": (Score.NOT_APPLICABLE, "同上，由货代负责。"),
}
YALISI_REMARKS = ("内部控制和财务状况良好，守法记录清白。须制定贸易安全应急预案并组织演练；补齐进出口单证的内部审计、"
                  "数据恢复演练和货代、报关行的评估记录。建议整改后复评，争取年内申请一般认证。")
GUANGYANG_SCORES = {
    "1.1.2": (Score.MOSTLY, "关务负责人今年未参加海关培训。"),
    "1.2.3": (Score.MOSTLY, "归类靠报关行，企业内部无复核。"),
    "1.3.1": (Score.MOSTLY, "内部审计制度有，记录不全。"),
    "1.4.2": (Score.NOT_MET, "业务数据只保存在一台电脑上，无备份。"),
    "3.2.1": (Score.MOSTLY, "近一年报关差错率约3.5%。"),
}


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=LOCAL_TZ)


def seed_certification(firms: dict[str, Enterprise], result) -> None:
    """Add the assessments that are missing; *firms* maps the demo firms' names to rows."""
    standard = db.session.scalar(sa.select(CertificationStandard).where(CertificationStandard.code == STANDARD))
    users = {name: auth_services.find_user(name) for name in (ZHANG, LIU, CONTACT)}
    if standard is None or users[ZHANG] is None or users[LIU] is None:
        return
    items = {item.number: item for item in standard.items}
    yalisi, guangyang = firms.get(YALISI), firms.get(GUANGYANG)
    if yalisi is not None and not _has(yalisi, AssessmentKind.OFFICER):
        _yalisi(yalisi, standard, items, users[ZHANG])
        result.count("certification assessments")
    if yalisi is not None and users[CONTACT] is not None and not _has(yalisi, AssessmentKind.SELF):
        own = certification.start_assessment(yalisi, standard, kind=AssessmentKind.SELF, by=users[CONTACT],
                                             now=at(date(2019, 6, 24), 14))
        for n, item in enumerate(i for i in standard.items if i.section.parent and i.section.parent.number == "1"):
            certification.score_item(own, item, Score.MOSTLY if item.number == "1.3.1" else Score.MET, None,
                                     by=users[CONTACT], opened_version=0,
                                     now=at(date(2019, 6, 24), 14, 10) + timedelta(minutes=n))
        result.count("certification assessments")
    if yalisi is not None and not _has_application(yalisi):
        if _yalisi_application(yalisi, users[ZHANG]):
            result.count("certification applications")
            result.count("credit ratings")
    if guangyang is not None and not _has(guangyang, AssessmentKind.OFFICER):
        _guangyang(guangyang, standard, users[LIU])
        result.count("certification assessments")
    seed_coached(firms, standard, users, result)
    db.session.flush()


def _has(firm: Enterprise, kind: AssessmentKind) -> bool:
    return bool(db.session.scalar(sa.select(sa.exists().where(Assessment.enterprise_id == firm.id,
                                                               Assessment.kind == kind))))


def _has_application(firm: Enterprise) -> bool:
    return bool(db.session.scalar(sa.select(sa.exists().where(CertificationApplication.enterprise_id == firm.id))))


YALISI_RECEIPT = "大关认〔2019〕0726号"
YALISI_CERTIFIED_ON = date(2019, 9, 1)


def _yalisi_application(firm, officer) -> bool:
    """Applied 2019-07-22 for 一般认证 on the re-scored assessment, accepted 07-26, audited on site 08-20, certified
    09-01 under decree 237. A database seeded before the application wrote the rating (a static 2019-09-01 level)
    is left as it is: False."""
    if db.session.scalar(sa.select(sa.exists().where(CreditRating.enterprise_id == firm.id,
                                                     CreditRating.valid_from == YALISI_CERTIFIED_ON))):
        return False
    assessment = db.session.scalar(sa.select(Assessment).where(
        Assessment.enterprise_id == firm.id, Assessment.kind == AssessmentKind.OFFICER).order_by(Assessment.id))
    applied, accepted, audited = date(2019, 7, 22), date(2019, 7, 26), date(2019, 8, 20)
    application = certification.create_application(firm, target_level="general_certified", applied_on=applied,
                                                   assessment=assessment, by=officer, today=applied,
                                                   now=at(applied, 10))
    certification.accept_application(application, receipt_no=YALISI_RECEIPT, on=accepted, by=officer,
                                     today=accepted)
    certification.audit_application(
        application, on=audited, by=officer, today=audited,
        note="现场验证：贸易安全应急预案已于8月首次演练，单证内审、数据恢复演练和货代评估记录已补齐，符合一般认证标准。")
    certification.decide_application(application, certified=True, on=YALISI_CERTIFIED_ON, by=officer,
                                     today=YALISI_CERTIFIED_ON, certificate_no="AEO-CN-2108-2019-0901",
                                     reason="经认证培育，企业整改到位，现场验证通过，准予一般认证。")
    return True


def _yalisi(firm, standard, items, officer) -> None:
    day = date(2019, 6, 20)
    assessment = certification.start_assessment(firm, standard, kind=AssessmentKind.OFFICER, by=officer,
                                                now=at(day, 9, 30))
    for n, item in enumerate(standard.items):
        if item.is_bonus:
            continue
        score, note = YALISI_SCORES.get(item.number, (Score.MET, None))
        certification.score_item(assessment, item, score, note, by=officer, opened_version=0,
                                 now=at(day, 9, 40) + timedelta(minutes=n))
    certification.update_summary(assessment, YALISI_REMARKS, by=officer)
    certification.share(assessment, by=officer, now=at(date(2019, 6, 21), 10))
    certification.score_item(assessment, items["4.8.1"], Score.MOSTLY,
                             "已制定《贸易安全突发事件应急预案》并发布，首次演练定于8月。", by=officer, opened_version=1,
                             now=at(date(2019, 7, 15), 15))


def _guangyang(firm, standard, officer) -> None:
    day = date(2019, 7, 2)
    assessment = certification.start_assessment(firm, standard, kind=AssessmentKind.OFFICER, by=officer,
                                                now=at(day, 14))
    for n, item in enumerate(i for i in standard.items if i.section.parent is None or i.section.parent.number != "4"):
        if item.is_bonus:
            continue
        score, note = GUANGYANG_SCORES.get(item.number, (Score.MET, None))
        certification.score_item(assessment, item, score, note, by=officer, opened_version=0,
                                 now=at(day, 14, 10) + timedelta(minutes=n))


# More key firms of the roster assessed, for the campaign report's readiness (tracker/reports/certification.py) ----
AUDIT = (Score.MOSTLY, "内部审计未覆盖进出口业务。")
PARTNERS = (Score.MOSTLY, "对货代、报关行未做评估。")
TRAINING = (Score.MOSTLY, "关务人员今年未参加海关培训。")
BACKUP = (Score.MOSTLY, "数据有备份，未做恢复演练。")
DRILL = (Score.MOSTLY, "有应急预案，未组织演练。")
ERRORS = (Score.MOSTLY, "近一年报关差错率约3.2%。")
COACHED = [
    # (firm, officer, started (local), scores other than 达标, shared on, archived on)
    ("大石桥市腾龙重工有限公司", ZHANG, at(date(2019, 4, 16), 9), {"1.3.1": AUDIT, "4.8.1": DRILL},
     date(2019, 4, 17), date(2019, 6, 3)),
    ("营口昌盛粮油有限公司", LIU, at(date(2019, 7, 18), 14), {"1.3.1": AUDIT, "4.4.1": PARTNERS, "3.2.1": ERRORS},
     date(2019, 7, 19), None),
    ("营口鼎盛汽车配件股份有限公司", LIU, at(date(2019, 6, 26), 9, 30),
     {"1.1.2": TRAINING, "1.3.1": AUDIT, "1.3.2": (Score.MOSTLY, "审计发现的问题未跟踪整改。"), "1.4.2": BACKUP,
      "4.4.1": PARTNERS, "4.4.2": (Score.MOSTLY, "合同中无贸易安全条款。"), "4.8.1": DRILL}, date(2019, 6, 27), None),
    ("营口源通化工股份有限公司", ZHANG, at(date(2019, 7, 23), 9),
     {"1.1.2": TRAINING, "1.2.3": (Score.MOSTLY, "归类依赖报关行，企业内部无复核。"), "1.3.1": AUDIT, "1.4.2": BACKUP,
      "3.2.1": ERRORS, "4.2.1": (Score.MOSTLY, "访客登记不全。"), "4.3.1": (Score.MOSTLY, "仓储岗位未做背景核查。"),
      "4.4.1": PARTNERS, "4.8.1": DRILL}, None, None),
    ("营口汇达耐火有限公司", ZHANG, at(date(2019, 5, 28), 14), {
        "4.1.2": (Score.NOT_MET, "出口货物存放区未分区标识，也没有视频监控。"), "1.3.1": AUDIT, "4.4.1": PARTNERS},
     date(2019, 5, 29), None),
    ("大石桥市海诚矿产有限公司", ZHANG, at(date(2019, 6, 11), 9), {
        number: (Score.MOSTLY, note) for number, note in [
            ("1.1.2", "关务负责人未参加培训。"), ("1.1.3", "无内部培训记录。"), ("1.2.1", "单证无复核。"),
            ("1.2.3", "归类无内部审核。"), ("1.3.1", "未开展内部审计。"), ("1.3.2", "无整改跟踪。"),
            ("1.4.2", "数据无定期备份。"), ("3.2.1", "报关差错率偏高。"), ("4.2.1", "访客未登记。"),
            ("4.3.1", "未开展贸易安全培训。"), ("4.4.1", "未评估商业伙伴。"), ("4.8.1", "无应急预案演练。")]},
     None, None),
]


def seed_coached(firms: dict[str, Enterprise], standard, users: dict, result) -> None:
    """The COACHED firms' customs assessments, each scored in full (bonus items not claimed), the firms that have
    one already left as they are."""
    for name, officer_name, started, shortfalls, shared_on, archived_on in COACHED:
        firm, officer = firms.get(name), users.get(officer_name)
        if firm is None or officer is None or _has(firm, AssessmentKind.OFFICER):
            continue
        assessment = certification.start_assessment(firm, standard, kind=AssessmentKind.OFFICER, by=officer,
                                                    now=started)
        for n, item in enumerate(i for i in standard.items if not i.is_bonus):
            score, note = shortfalls.get(item.number, (Score.MET, None))
            certification.score_item(assessment, item, score, note, by=officer, opened_version=0,
                                     now=started + timedelta(minutes=10 + n))
        if shared_on is not None:
            certification.share(assessment, by=officer, now=at(shared_on, 10))
        if archived_on is not None:
            certification.close(assessment, by=officer, now=at(archived_on, 10))
        result.count("certification assessments")
