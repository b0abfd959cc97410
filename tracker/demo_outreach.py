"""Outreach demo data for the 2019 百企大调研 of 营口海关: visits, the needs raised at them, and assistance plans.

The article: "年初以来 … 对五矿中板、光阳耐火、宏群胜精密电子等重点企业一对一上门调研走访，共走访企业 26 家
… 针对企业提出的14条业务需求，制定出一对一帮扶措施". So, between March and June 2019 (inside the campaign):

- 26 visits, one to each of 26 key firms on the campaign's roster (the four named firms under 营口海关 and
  22 generated ones), each by a pair of staff: 张关员 and 刘关员 go together, or one of them with 王科长;
- 14 needs raised at those visits, in every state of the ledger: 待受理, 办理中 (one past its deadline,
  one with an approved extension, one reopened after a 不满意 follow-up), 已办结 awaiting confirmation,
  已销号 after a follow-up or the firm's own rating, 无法解决（已说明）;
- seven assistance plans with measures answering those needs: 草拟, 草拟 after 退回修改, 待审批, 已批准
  (after one return), two 实施中 and one 已完成.

Everything goes through the real services (tracker/visits, needs and plans services.py), so the data obeys the same
rules as the pages and the audit trail records it. Those services stamp "now" on what they create and
change (created_at, resolved_at, submitted_at, …); the seed then sets each of those timestamps to the
historic moment the story gives it, explicitly, right after the service call (see _Seeder._stamp), and
dates the notifications the step produced the same way. The audit trail keeps the truth: rows written
today, by the command, including those corrections.

Idempotent like the rest of the demo: a visit is found by firm and time, a need by firm and text, a plan
by firm and campaign (one firm, one plan); whatever exists is left exactly as it is.
Generated firms are named here; tracker.demo.generate_firms makes the same ones on every run, and a test
checks that each is a key firm of the 营口海关 roster.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone

import sqlalchemy as sa

from tracker.auth import services as auth_services
from tracker.auth.models import User
from tracker.campaigns.models import Campaign
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.i18n import LOCAL_TZ
from tracker.offices.models import Department, Office
from tracker.needs import services as needs_services
from tracker.plans import services as plans_services
from tracker.visits import services as visits_services
from tracker.needs.models import Need, NeedCategory, NeedSource, Satisfaction
from tracker.notifications.models import Notification
from tracker.plans.models import AssistancePlan, MeasureStatus
from tracker.visits.models import CallbackChannel, PolicyTopic, Visit, VisitType

OFFICE = "0930"
# Staff of 营口海关 in DEMO_USERS.
ZHANG, LIU, WANG = "officer", "officer2", "manager"
CONTACT = "yalisi"  # the portal user of 雅丽丝, who rates a resolution himself

DOOR, WORKSHOP, FORUM, REMOTE, GOVERNMENT = (VisitType.DOOR_TO_DOOR, VisitType.WORKSHOP, VisitType.FORUM,
                                             VisitType.REMOTE, VisitType.LOCAL_GOVERNMENT)
# Policy topics (reference data loaded by the migrations).
CO, ONE_WINDOW, WOOD, CREDIT, ZONE, FACILITATION = ("原产地证业务", "一体化通关", "进出境木质包装检疫",
                                                    "企业信用管理", "综合保税区政策", "通关便利措施")
SATISFIED, BASICALLY, DISSATISFIED = (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED,
                                      Satisfaction.DISSATISFIED)

YALISI, MINMETALS = "营口雅丽丝服装有限公司", "五矿营口中板有限责任公司"
GUANGYANG, HONGQUNSHENG = "营口光阳耐火材料有限公司", "宏群胜精密电子(营口)有限公司"


@dataclass(frozen=True)
class DemoNeed:
    """A need raised at a visit and what then happened to it, oldest step first.

    Steps (times are local, "YYYY-MM-DD HH:MM"):
      ("accept", when)                                   待受理 → 办理中
      ("progress", when, text) / ("note", when, text)    progress the firm sees / an internal note
      ("extend", when, new deadline, reason, decided, manager's note)   requested, then approved
      ("resolve", when, what was done)                   → 已办结
      ("call", when, satisfaction, note)                 the officer's follow-up call (不满意 reopens)
      ("rate", when, satisfaction, note)                 the firm's contact confirms and rates in the portal
      ("close", when)                                    → 已销号
      ("explain", when, explanation)                     → 无法解决（已说明）
    """

    key: str
    category: str
    department: str
    content: str
    steps: tuple = ()


@dataclass(frozen=True)
class DemoVisit:
    firm: str
    at: str  # local time
    visit_type: VisitType
    officers: tuple[str, str]  # the first logs the visit; he is the firm's officer and handles its needs
    topics: tuple[str, ...]
    summary: str
    findings: str
    follow_up_on: date | None = None
    guests: tuple[tuple[str, str], ...] = ()  # attendees who are not recorded contacts: (name, title)
    needs: tuple[DemoNeed, ...] = ()
    callback: tuple[str, CallbackChannel, str] | None = None  # the follow-up held: (local time, channel, note)


@dataclass(frozen=True)
class DemoMeasure:
    description: str
    owner: str
    deadline: date | None
    needs: tuple[str, ...] = ()  # DemoNeed keys


@dataclass(frozen=True)
class DemoPlan:
    """A plan and its life: ("submit"|"approve"|"start"|"complete", when), ("return", when, comment),
    ("revise", when, measure index, new deadline), ("measure", measure index, status, result)."""

    firm: str
    author: str
    created: str
    objective: str
    measures: tuple[DemoMeasure, ...]
    steps: tuple = field(default=())


# The needs ------------------------------------------------------------------------------------------
N_YALISI_CO = DemoNeed(
    "yalisi-co", "原产地证", "原产地签证科",
    "企业每月申领原产地证书三四次，希望海关提供预约办理，做到即到即办、即办即走，避免空跑影响船期。",
    steps=(
        ("accept", "2019-03-13 09:10"),
        ("progress", "2019-03-14 10:30", "已与原产地签证科商定：企业提前一个工作日电话或网上预约，签证窗口预留办理时段，"
                                         "资料齐全的当场签证。"),
        ("resolve", "2019-03-18 15:20", "原产地证书预约办理已开通：企业预约后到窗口即到即办、即办即走。3月份企业按预约办理"
                                        "3次，均当场取证。"),
        ("rate", "2019-03-29 16:05", SATISFIED, "预约后到窗口即到即办，再没有空跑过，船期不受影响。"),
        ("close", "2019-04-01 09:00"),
    ),
)
N_YALISI_AEO = DemoNeed(
    "yalisi-aeo", "企业信用认证", "企业管理科",
    "企业希望申请海关企业一般认证，请海关对照认证标准辅导企业开展内部控制和贸易安全自查。",
    steps=(
        ("accept", "2019-03-13 09:20"),
        ("progress", "2019-03-20 14:00", "企业管理科对照《海关认证企业标准》（一般认证）逐项辅导，企业完成内部控制部分自评。"),
        ("note", "2019-03-22 11:00", "内部审计和信息系统两项是薄弱环节，需重点跟进；贸易安全的人员、商业伙伴部分已基本达标。"),
        ("extend", "2019-04-08 10:00", date(2019, 8, 30),
         "认证需企业完成内控制度整改并经实地认证，按认证工作安排预计8月底完成。",
         "2019-04-09 09:30", "同意，按认证进度推进，每月报告一次进展。"),
        ("progress", "2019-05-20 15:00", "企业已建立内部审计制度并上线关务管理信息系统，正式提交一般认证申请。"),
        ("progress", "2019-07-18 16:30", "大连海关认证组完成实地认证，企业各项标准均达标，无不达标项。"),
        ("resolve", "2019-08-29 10:00", "企业通过海关一般认证，自2019年9月1日起适用一般认证企业管理措施（查验率降低、"
                                        "优先办理通关手续）。"),
        ("call", "2019-09-05 10:00", SATISFIED, "企业表示认证后查验明显减少，通关更顺畅。"),
        ("close", "2019-09-06 09:00"),
    ),
)
N_MINMETALS_CLEARANCE = DemoNeed(
    "minmetals-clearance", "通关时效", "通关监管科",
    "出口钢板集港时间紧，希望海关支持提前申报和抵港直装，缩短出口通关时间。",
    steps=(
        ("accept", "2019-03-15 08:50"),
        ("progress", "2019-03-18 11:00", "通关监管科与港务部门对接，确定出口钢板提前申报、货物运抵后抵港直装的作业流程。"),
        ("resolve", "2019-03-21 16:00", "已为企业办理出口提前申报和抵港直装，出口钢板通关时间由平均1天压缩至4小时以内。"),
        ("call", "2019-04-10 14:30", SATISFIED, "企业反映出口通关时间明显缩短，装船计划不再受影响。"),
        ("close", "2019-04-11 09:00"),
    ),
)
N_MINMETALS_TAX = DemoNeed(
    "minmetals-tax", "税费", "关税科",
    "企业进口铁矿石、合金原料较多，逐票缴税占用资金，希望办理汇总征税。",
    steps=(
        ("accept", "2019-03-15 09:00"),
        ("progress", "2019-03-25 10:00", "关税科向企业讲解汇总征税和关税保证保险政策，企业已联系银行办理总担保。"),
        ("note", "2019-03-25 10:20", "企业为高级认证企业，符合汇总征税条件；担保额度按上年进口税款测算。"),
        ("resolve", "2019-03-28 15:30", "企业已备案汇总征税总担保，进口原料可先放行后按月集中缴税。"),
    ),
)
N_GUANGYANG_WOOD = DemoNeed(
    "guangyang-wood", "检验检疫", "检验检疫科",
    "出口耐火砖使用木托盘包装，希望海关讲解进出境木质包装检疫要求，避免货物在目的国被退运。",
    steps=(
        ("accept", "2019-03-20 09:00"),
        ("progress", "2019-03-25 15:00", "检验检疫科到企业讲解IPPC标识、除害处理和标识加施企业要求，企业更换为有IPPC标识"
                                         "加施资质的托盘供应商。"),
        ("resolve", "2019-03-29 11:00", "企业出口木托盘全部改用加施IPPC标识的合格产品，并建立托盘进货查验记录。"),
        ("call", "2019-04-12 10:00", SATISFIED, "企业表示包装要求已经清楚，近期出口未再出现问题。"),
        ("close", "2019-04-12 16:00"),
    ),
)
N_GUANGYANG_AEO = DemoNeed(
    "guangyang-aeo", "企业信用认证", "企业管理科",
    "企业目前是一般信用企业，希望海关辅导申请一般认证，享受更低的查验率和便捷通关。",
    steps=(
        ("accept", "2019-03-20 09:10"),
        ("progress", "2019-04-03 14:00", "企业管理科辅导企业对照认证标准自评，财务状况和内部审计两项尚待完善。"),
        ("note", "2019-04-22 09:30", "已过办理时限：企业内控制度修订进度慢，总经理外出，需科长出面协调。"),
        ("progress", "2019-05-15 15:00", "企业已修订内部控制制度，正在完善单证保管和信息系统权限管理。"),
        ("progress", "2019-06-14 10:00", "再次上门辅导贸易安全部分（场所、人员、商业伙伴），企业计划7月提交认证申请。"),
    ),
)
N_HQS_PROCESSING = DemoNeed(
    "hqs-processing", "加工贸易监管", "综合业务科",
    "企业进料加工手册多、核销周期长，希望简化加工贸易手册核销手续。",
    steps=(
        ("accept", "2019-03-28 09:00"),
        ("progress", "2019-04-02 10:00", "综合业务科讲解金关二期加工贸易管理系统，指导企业网上申报核销数据。"),
        ("resolve", "2019-04-10 16:00", "已指导企业通过金关二期系统网上办理手册核销，核销资料不再现场提交纸质单证。"),
        ("call", "2019-04-19 10:30", DISSATISFIED, "企业反映部分深加工结转手册核销仍被要求补交纸质资料，往返海关两次。"),
        ("progress", "2019-04-23 14:00", "经核实系个别深加工结转单证数据不一致所致，已协助企业更正数据并指导其按月对账。"),
        ("note", "2019-04-23 14:10", "不满意原因已查明；与综合业务科约定5月中旬前复核，届时再回访。"),
        ("progress", "2019-05-17 11:00", "研究对企业试行以企业为单元的加工贸易监管模式，已报大连海关。"),
    ),
)
N_HQS_ZONE = DemoNeed(
    "hqs-zone", "保税政策", "综合业务科",
    "企业计划扩大进料加工规模，希望了解营口综合保税区政策，评估部分产线入区。",
    steps=(
        ("accept", "2019-03-28 09:10"),
        ("progress", "2019-04-08 09:30", "组织企业参观营口综合保税区，讲解保税加工、保税物流和一般纳税人资格试点等政策。"),
        ("resolve", "2019-04-17 15:00", "已向企业提供综合保税区政策汇编和入区办理流程，企业已形成入区可行性报告。"),
    ),
)
N_HUIDA_INSPECTION = DemoNeed(
    "huida-inspection", "通关时效", "通关监管科",
    "出口耐火砖在港区查验等待时间长，影响装船计划，希望提高查验效率。",
    steps=(
        ("accept", "2019-03-27 09:00"),
        ("progress", "2019-03-29 10:00", "通关监管科对企业出口货物试行预约查验，查验结果即时反馈企业。"),
        ("resolve", "2019-04-02 15:00", "已为企业开通预约查验，平均查验等待时间由2天缩短至半天。"),
        ("call", "2019-04-16 09:30", SATISFIED, "企业表示查验预约后当天即可完成，装船计划可以提前安排。"),
        ("close", "2019-04-16 14:00"),
    ),
)
N_XIANGTAI_FORM_E = DemoNeed(
    "xiangtai-form-e", "原产地证", "原产地签证科",
    "出口东盟的机电产品较多，希望海关辅导企业申领中国-东盟自贸协定原产地证书（FORM E），享受进口国关税减让。",
    steps=(
        ("accept", "2019-03-06 09:00"),
        ("extend", "2019-03-11 10:00", date(2019, 7, 31),
         "需收集企业主要出口产品的原材料来源，逐项判定原产地标准，工作量较大。",
         "2019-03-12 09:00", "同意。"),
        ("progress", "2019-04-15 15:00", "已完成企业前10项出口产品的原产地标准判定，其中7项符合区域价值成分要求。"),
        ("note", "2019-05-06 09:00", "企业部分零部件来源资料不全，需企业补充采购合同。"),
        ("progress", "2019-06-10 10:00", "企业已对符合条件的产品申领FORM E证书，首批出口越南的货物在进口国享受协定税率。"),
    ),
)
N_TENGLONG_SITE = DemoNeed(
    "tenglong-site", "其他", "通关监管科",
    "大型设备出口需运至港区查验，往返运输成本高，希望海关在大石桥设立查验场地，就地查验。",
    steps=(
        ("accept", "2019-03-08 09:00"),
        ("progress", "2019-03-15 14:00", "通关监管科实地查看企业厂区，研究设立海关监管作业场所的条件。"),
        ("explain", "2019-03-20 10:00",
         "设立海关监管作业场所须由经营单位按规定申请并经直属海关审批，目前大石桥地区尚无符合设置规范的场所，海关不能为"
         "单家企业设立查验场地。已为企业大型设备出口提供预约查验，减少在港等待时间。"),
    ),
)
N_XINGHUA_TARIFF = DemoNeed(
    "xinghua-tariff", "税费", "关税科",
    "企业从澳大利亚进口部分生产原料，希望海关下调这些原料的进口关税。",
    steps=(
        ("accept", "2019-03-22 09:00"),
        ("explain", "2019-03-29 15:00",
         "进口关税税率由国务院关税税则委员会制定，海关无权调整。已告知企业：凭澳大利亚原产地证书可申请适用中国-澳大利亚"
         "自由贸易协定的协定税率，并介绍了2019年进口暂定税率的调整情况。"),
    ),
)
N_FUSHENG_ORCHARD = DemoNeed(
    "fusheng-orchard", "检验检疫", "检验检疫科",
    "出口鲜果希望海关在果园开展产地检疫和出口前预检，缩短口岸查验时间，保证鲜果时效。",
    steps=(
        ("note", "2019-06-19 09:00", "企业盖州果园需先办理出口水果果园注册登记，受理前请核实企业资料是否齐全。"),
    ),
)
N_HENGXIN_AEO = DemoNeed(
    "hengxin-aeo", "企业信用认证", "企业管理科",
    "企业希望参加海关的认证培育，力争年内通过一般认证，享受通关便利。",
)

# The visits, in time order -------------------------------------------------------------------------
VISITS = (
    DemoVisit("大石桥市祥泰机电有限公司", "2019-03-05 09:30", DOOR, (LIU, ZHANG), (CO, FACILITATION),
              "走访企业关务部门，了解机电产品出口东盟、中东市场的通关情况，介绍原产地证书签证和自贸协定关税减让政策。",
              "企业出口报关单数千票，出口东盟约占三成，此前多申领一般原产地证书，未充分享受东盟国家的协定税率。",
              follow_up_on=date(2019, 3, 19), needs=(N_XIANGTAI_FORM_E,),
              callback=("2019-03-19 10:00", CallbackChannel.PHONE,
                        "电话回访企业关务主管，企业已按指导申领首份中国—东盟自贸协定原产地证书（FORM E），客户顺利享受协定税率。")),
    DemoVisit("大石桥市腾龙重工有限公司", "2019-03-07 14:00", WORKSHOP, (ZHANG, LIU), (FACILITATION, ONE_WINDOW),
              "深入装配车间和成品库，了解大型矿山设备出口的生产、包装和运输流程，介绍全国通关一体化和预约查验。",
              "大型设备需用专用车辆运至鲅鱼圈港区查验，单次往返运费较高，企业希望就地查验。",
              needs=(N_TENGLONG_SITE,)),
    DemoVisit(YALISI, "2019-03-12 09:30", DOOR, (ZHANG, WANG), (CO, CREDIT),
              "走访外商独资服装企业，了解来料加工、进料加工业务和原产地证书申领情况，宣讲企业信用管理规定。",
              "企业每月申领原产地证书三四次，希望预约办理、避免空跑影响船期；企业有意申请一般认证，希望海关辅导。",
              follow_up_on=date(2019, 3, 26), guests=(("包海明", "副总经理"),),
              needs=(N_YALISI_CO, N_YALISI_AEO),
              callback=("2019-03-27 15:30", CallbackChannel.MESSAGE,
                        "微信回访单证主管：原产地证书预约办理已试用两次，均按预约时间办结；认证辅导材料已收到。")),
    DemoVisit(MINMETALS, "2019-03-14 14:00", WORKSHOP, (LIU, ZHANG), (ONE_WINDOW, FACILITATION),
              "深入轧钢车间和成品码头，了解中厚板出口和铁矿石、合金原料进口情况，介绍全国通关一体化、提前申报和汇总征税。",
              "出口钢板集港时间紧，企业希望缩短出口通关时间；进口原料逐票缴税占用资金较多。",
              follow_up_on=date(2019, 3, 28), needs=(N_MINMETALS_CLEARANCE, N_MINMETALS_TAX)),
    DemoVisit(GUANGYANG, "2019-03-19 09:00", WORKSHOP, (ZHANG, LIU), (WOOD, CREDIT),
              "一头扎进成型和烧成车间，了解耐火材料生产和出口包装情况，讲解进出境木质包装检疫要求和企业信用管理规定。",
              "出口托盘供应商资质不一，存在目的国退运风险；企业为一般信用企业，希望提升信用等级。",
              needs=(N_GUANGYANG_WOOD, N_GUANGYANG_AEO)),
    DemoVisit("营口兴华耐材有限公司", "2019-03-21 10:00", DOOR, (ZHANG, WANG), (CREDIT, CO),
              "科长带队走访，了解企业耐火制品出口和原料进口情况，宣讲企业信用管理规定和原产地证书政策。",
              "企业部分原料自澳大利亚进口，关注进口关税成本；企业尚未认证，对认证标准了解不多。",
              needs=(N_XINGHUA_TARIFF,)),
    DemoVisit("营口汇达耐火有限公司", "2019-03-26 09:30", WORKSHOP, (ZHANG, LIU), (FACILITATION, WOOD),
              "到成型、烧成车间和成品库了解出口耐火砖的生产和包装情况，讲解出口查验流程和木质包装检疫要求。",
              "企业出口货物在港区查验平均等待约两天，影响装船计划；托盘已全部使用加施IPPC标识的木质包装。",
              needs=(N_HUIDA_INSPECTION,)),
    DemoVisit(HONGQUNSHENG, "2019-03-27 10:00", DOOR, (LIU, WANG), (ZONE, ONE_WINDOW),
              "走访精密电子企业，了解进料加工和深加工结转业务，介绍营口综合保税区政策和加工贸易监管改革。",
              "企业加工贸易手册多、核销周期长；企业计划扩大产能，关注综合保税区政策。",
              follow_up_on=date(2019, 4, 10), needs=(N_HQS_PROCESSING, N_HQS_ZONE)),
    DemoVisit("营口富海镁业有限责任公司", "2019-04-02 09:30", DOOR, (ZHANG, LIU), (CREDIT, FACILITATION),
              "走访企业，了解电熔镁砂、镁碳砖出口情况和镁产业整合对企业的影响，宣讲企业信用管理规定。",
              "企业出口平稳，主要关注信用等级对查验率的影响，暂未提出具体需求。"),
    DemoVisit("营口昌盛粮油有限公司", "2019-04-09 10:00", DOOR, (LIU, ZHANG), (FACILITATION, CREDIT),
              "走访企业，了解进口大豆和出口粮油制品情况，介绍进口粮食检疫监管要求和认证企业的通关便利措施。",
              "企业为一般认证企业，已享受较低查验率；关注进口粮食到港后的检疫时效。"),
    DemoVisit("营口君泰镁质材料有限公司", "2019-04-11 15:00", REMOTE, (LIU, WANG), (CREDIT,),
              "企业负责人在外地，通过视频连线了解企业出口情况，宣讲认证企业复核要求。",
              "企业认证资料管理规范，已提醒企业按期做好认证企业复核准备。"),
    DemoVisit("大石桥市海诚矿产有限公司", "2019-04-16 09:00", GOVERNMENT, (ZHANG, WANG), (FACILITATION, ZONE),
              "会同大石桥市商务局走访企业，听取地方政府对镁质材料产业出口的意见，介绍海关支持镁产业转型升级的通关便利措施。",
              "地方政府希望海关持续支持镁质材料企业出口；企业对营口综合保税区政策较感兴趣。",
              guests=(("刘振国", "大石桥市商务局副局长"),)),
    DemoVisit("大石桥市嘉禾耐火材料有限公司", "2019-04-18 09:30", WORKSHOP, (LIU, ZHANG), (WOOD, CO),
              "到车间了解出口不定形耐火材料的生产和包装情况，讲解木质包装检疫要求和原产地证书申领。",
              "企业对韩国出口较多，可申领中国-韩国自贸协定原产地证书享受协定税率，已现场讲解申领流程。"),
    DemoVisit("营口鼎盛汽车配件股份有限公司", "2019-04-23 14:00", DOOR, (LIU, ZHANG), (ONE_WINDOW, CO),
              "走访企业，了解汽车零部件出口和模具进口情况，介绍全国通关一体化和原产地证书自助打印。",
              "企业通关顺畅，暂无具体诉求。"),
    DemoVisit("大石桥市鼎诚镁制品股份有限公司", "2019-04-25 09:30", FORUM, (LIU, WANG), (CREDIT, FACILITATION, CO),
              "在企业召开镁制品出口企业座谈会，周边5家镁制品企业参加，听取企业对通关服务的意见建议。",
              "企业普遍关注出口查验时效和原产地证书办理；意见纳入《营口海关优化通关服务调查问卷》一并汇总。"),
    DemoVisit("营口源通化工股份有限公司", "2019-05-07 10:00", WORKSHOP, (ZHANG, LIU), (FACILITATION, CREDIT),
              "到生产车间和危险品仓库了解出口化工产品的包装和储存情况，讲解出口危险货物包装检验要求。",
              "企业危险品包装检验资料齐全；建议企业提前申请包装使用鉴定，避免影响船期。"),
    DemoVisit("营口鹏程粮油有限公司", "2019-05-09 09:30", DOOR, (ZHANG, LIU), (FACILITATION, ZONE),
              "走访企业，了解进口食用油和出口粮油制品情况，介绍进口食品检验检疫和综合保税区保税仓储政策。",
              "企业考虑利用综合保税区保税仓储进口食用油，视需要再与海关联系。"),
    DemoVisit("营口聚源制衣有限公司", "2019-05-14 14:00", DOOR, (LIU, ZHANG), (CO, ONE_WINDOW),
              "走访来料加工服装企业，了解加工贸易手册使用和成衣出口情况，介绍原产地证书预约办理。",
              "企业准备参照雅丽丝公司的做法预约办理原产地证书，暂无其他诉求。"),
    DemoVisit("营口联达重工股份有限公司", "2019-05-16 15:30", REMOTE, (ZHANG, LIU), (FACILITATION,),
              "电话回访企业，了解政策宣讲会后的出口通关情况，介绍提前申报和预约查验。",
              "企业已使用提前申报，通关时间缩短，无新增需求。"),
    DemoVisit("营口瑞丰耐火材料有限公司", "2019-05-21 09:30", DOOR, (ZHANG, WANG), (CREDIT, WOOD),
              "走访企业，宣讲企业信用管理规定，了解出口耐火砖的包装和运输情况。",
              "企业有意申请一般认证，建议先对照认证标准开展自评，再提出培育需求。"),
    DemoVisit("营口飞达制衣有限公司", "2019-05-23 14:00", FORUM, (LIU, ZHANG), (CO, FACILITATION, CREDIT),
              "在企业召开服装出口企业座谈会，营口地区6家服装企业参加，宣讲原产地证书、企业信用管理和通关便利措施。",
              "企业关注部分国家取消普惠制待遇对服装出口成本的影响，希望海关及时发布原产地规则变化信息。"),
    DemoVisit("盖州市德昌镁质材料有限公司", "2019-05-28 09:00", GOVERNMENT, (LIU, WANG), (CREDIT, ZONE),
              "会同盖州市商务局走访高级认证企业，介绍高级认证企业的通关便利措施和营口综合保税区政策。",
              "企业为高级认证企业，享受较低查验率和优先办理；地方政府希望海关支持企业扩大出口。",
              guests=(("于海波", "盖州市商务局科长"),)),
    DemoVisit("营口盛华电器有限公司", "2019-06-04 10:00", WORKSHOP, (LIU, ZHANG), (ZONE, ONE_WINDOW),
              "到贴片和组装车间了解进料加工生产情况，讲解加工贸易手册管理和深加工结转。",
              "企业手册管理规范，深加工结转量较大，关注结转申报手续的简化。"),
    DemoVisit("营口润泽机械有限公司", "2019-06-11 14:30", DOOR, (LIU, ZHANG), (FACILITATION, CREDIT),
              "走访企业，了解进口加工贸易设备和出口机械产品情况，介绍减免税设备监管要求。",
              "企业进口设备均在海关监管期内，已提醒企业按规定办理监管期内的相关手续。"),
    DemoVisit("营口富盛果蔬有限公司", "2019-06-18 09:00", DOOR, (ZHANG, LIU), (FACILITATION, WOOD),
              "走访企业和果园基地，了解鲜果出口季的准备情况，讲解出境水果检疫要求。",
              "企业出口集中在7至10月，担心口岸查验影响鲜果时效。",
              follow_up_on=date(2019, 7, 2), needs=(N_FUSHENG_ORCHARD,)),
    DemoVisit("营口恒信镁业有限公司", "2019-06-20 10:00", DOOR, (ZHANG, WANG), (CREDIT, CO),
              "科长带队走访，了解企业镁质材料出口和信用管理情况，介绍认证企业的通关便利。",
              "企业年出口报关单三千余票，尚未认证；对照认证标准，内部控制和贸易安全还需完善。",
              follow_up_on=date(2019, 7, 4), needs=(N_HENGXIN_AEO,)),
)

# The plans (none for 光阳耐火: the browser test drafts that one) ------------------------------------------
PLANS = (
    DemoPlan(
        YALISI, ZHANG, "2019-03-20 10:00",
        "用好原产地证书预约办理，辅导企业通过海关一般认证，做到通关零空跑、船期不延误。",
        (DemoMeasure("原产地证书预约办理：企业提前预约，窗口即到即办、即办即走。", ZHANG, date(2019, 3, 29),
                     ("yalisi-co",)),
         DemoMeasure("对照一般认证标准开展认证培育，辅导企业完善内部控制和贸易安全制度。", ZHANG, date(2019, 8, 30),
                     ("yalisi-aeo",))),
        steps=(
            ("submit", "2019-03-21 09:00"), ("approve", "2019-03-25 10:00"), ("start", "2019-03-26 09:00"),
            ("measure", 0, MeasureStatus.DONE, "3月起企业原产地证书全部预约办理，未再发生空跑。"),
            ("measure", 1, MeasureStatus.DONE, "企业通过一般认证，2019年9月1日起适用一般认证企业管理措施。"),
            ("complete", "2019-09-10 10:00"),
        ),
    ),
    DemoPlan(
        MINMETALS, LIU, "2019-03-20 14:00",
        "压缩出口钢板通关时间，减轻进口原料缴税的资金压力。",
        (DemoMeasure("出口钢板提前申报、抵港直装。", LIU, date(2019, 3, 29), ("minmetals-clearance",)),
         DemoMeasure("办理汇总征税总担保，进口原料先放行后集中缴税。", LIU, date(2019, 4, 30), ("minmetals-tax",)),
         DemoMeasure("跟踪“两步申报”等通关改革，具备条件时辅导企业率先适用。", LIU, date(2019, 12, 31))),
        steps=(
            ("submit", "2019-03-22 09:00"), ("approve", "2019-03-26 09:30"), ("start", "2019-03-27 09:00"),
            ("measure", 0, MeasureStatus.DONE, "出口通关时间压缩至4小时以内。"),
            ("measure", 1, MeasureStatus.IN_PROGRESS, "总担保已备案，待回访确认使用效果。"),
        ),
    ),
    DemoPlan(
        "营口汇达耐火有限公司", ZHANG, "2019-03-28 10:00",
        "提高出口耐火砖的查验效率，保障装船计划。",
        (DemoMeasure("对企业出口货物实行预约查验，查验结果即时反馈。", ZHANG, date(2019, 4, 3), ("huida-inspection",)),
         DemoMeasure("每季度回访一次企业通关情况，及时解决新问题。", LIU, date(2019, 12, 31))),
        steps=(
            ("submit", "2019-03-29 09:00"), ("approve", "2019-04-03 10:00"), ("start", "2019-04-04 09:00"),
            ("measure", 0, MeasureStatus.DONE, "平均查验等待时间由2天缩短至半天。"),
            ("measure", 1, MeasureStatus.IN_PROGRESS, "4月已回访一次，企业无新增问题。"),
        ),
    ),
    DemoPlan(
        HONGQUNSHENG, LIU, "2019-04-01 10:00",
        "简化加工贸易手册核销，支持企业评估产线入驻营口综合保税区。",
        (DemoMeasure("指导企业通过金关二期系统网上核销，研究以企业为单元的加工贸易监管。", LIU, None, ("hqs-processing",)),
         DemoMeasure("提供综合保税区政策辅导，支持企业形成入区方案（综合业务科配合）。", LIU, None, ("hqs-zone",))),
        steps=(
            ("submit", "2019-04-02 09:00"),
            ("return", "2019-04-04 10:00", "每项措施请写明完成时限，第二项请明确由综合业务科配合。"),
            ("revise", "2019-04-08 09:00", 0, date(2019, 6, 28)),
            ("revise", "2019-04-08 09:05", 1, date(2019, 6, 28)),
            ("submit", "2019-04-08 09:30"), ("approve", "2019-04-10 10:00"),
        ),
    ),
    DemoPlan(
        "大石桥市祥泰机电有限公司", LIU, "2019-06-12 10:00",
        "用好自贸协定原产地证书，帮助企业扩大对东盟出口。",
        (DemoMeasure("辅导企业申领中国-东盟FORM E原产地证书，逐项判定主要出口产品的原产地标准。", LIU, date(2019, 7, 31),
                     ("xiangtai-form-e",)),
         DemoMeasure("邀请企业参加进出口企业政策宣讲会，讲解原产地证书和一体化通关政策。", ZHANG, date(2019, 6, 28))),
        steps=(("submit", "2019-06-14 09:00"),),
    ),
    DemoPlan(
        "营口恒信镁业有限公司", ZHANG, "2019-06-24 10:00",
        "开展认证培育，帮助企业年内通过海关一般认证。",
        (DemoMeasure("开展一般认证培育。", ZHANG, date(2019, 12, 31), ("hengxin-aeo",)),),
        steps=(
            ("submit", "2019-06-25 09:00"),
            ("return", "2019-06-26 15:00", "请把认证培育分解到内部控制、贸易安全等具体标准，写明每项的时间节点和责任人。"),
        ),
    ),
    DemoPlan(
        "营口富盛果蔬有限公司", ZHANG, "2019-06-21 14:00",
        "出口季前做好鲜果检疫准备，保证鲜果通关时效。",
        (DemoMeasure("协调检验检疫科开展果园产地检疫和出口前预检。", ZHANG, date(2019, 7, 31), ("fusheng-orchard",)),
         DemoMeasure("出口季开通鲜果预约查验、优先放行。", LIU, date(2019, 7, 15))),
    ),
)


def local_time(text: str) -> datetime:
    """A local time written "YYYY-MM-DD HH:MM" (Asia/Shanghai), as the aware UTC time the database keeps."""
    day, clock = text.split()
    value = datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=LOCAL_TZ)
    return value.astimezone(timezone.utc)


def visited_firm_names() -> list[str]:
    return [v.firm for v in VISITS]


def demo_needs() -> list[DemoNeed]:
    return [n for v in VISITS for n in v.needs]


class _Seeder:
    def __init__(self, firms: dict[str, Enterprise], campaign: Campaign, result):
        self.firms = firms
        self.campaign = campaign
        self.result = result
        self.users: dict[str, User | None] = {u: auth_services.find_user(u) for u in (ZHANG, LIU, WANG, CONTACT)}
        office = db.session.scalar(sa.select(Office).where(Office.code == OFFICE))
        self.departments = {d.name: d for d in db.session.scalars(
            sa.select(Department).where(Department.office_id == office.id))}
        self.categories = {c.name: c for c in db.session.scalars(sa.select(NeedCategory))}
        self.topics = {t.name: t for t in db.session.scalars(sa.select(PolicyTopic))}
        self.needs: dict[str, Need] = {}

    # Dating what the services stamped with "now" ----------------------------------------------------
    def _stamp(self, when: datetime, *changes: tuple[object, dict]) -> None:
        """Set the timestamps a service call just wrote to the story's moment, and date the notices it made."""
        for obj, values in changes:
            for name, value in values.items():
                setattr(obj, name, value)
        db.session.flush()
        db.session.execute(sa.update(Notification).where(Notification.id > self._notice_mark)
                           .values(created_at=when))
        self._notice_mark = self._last_notice()

    @staticmethod
    def _last_notice() -> int:
        return db.session.scalar(sa.select(sa.func.max(Notification.id))) or 0

    # Visits and needs ------------------------------------------------------------------------------
    def seed(self) -> None:
        self._notice_mark = self._last_notice()
        for spec in VISITS:
            visit = self._visit(spec)
            for need in spec.needs:
                self._need(spec, visit, need)
        for plan in PLANS:
            self._plan(plan)

    def _visit(self, spec: DemoVisit) -> Visit:
        firm = self.firms[spec.firm]
        at = local_time(spec.at)
        visit = db.session.scalar(sa.select(Visit).where(Visit.enterprise_id == firm.id, Visit.visited_at == at))
        if visit is not None:
            return visit
        officers = [self.users[u] for u in spec.officers]
        attendees = [visits_services.Attendee(name=c.name, title=c.title, contact_id=c.id) for c in firm.contacts]
        attendees += [visits_services.Attendee(name=name, title=title) for name, title in spec.guests]
        data = visits_services.VisitData(
            visited_at=at, visit_type=spec.visit_type, officers=officers, campaign=self.campaign,
            topics=[self.topics[t] for t in spec.topics if t in self.topics and self.topics[t].active],
            attendees=attendees,
            summary=spec.summary, findings=spec.findings, follow_up_on=spec.follow_up_on,
        )
        visit = visits_services.create_visit(firm, data, by=officers[0])
        # Logged the same afternoon.
        logged = local_time(spec.at.split()[0] + " 17:00")
        self._stamp(logged, (visit, {"created_at": logged, "updated_at": logged}))
        if spec.callback is not None:
            held_at, channel, note = spec.callback
            held = local_time(held_at)
            callback = visits_services.record_callback(
                visit, visits_services.CallbackData(held_on=held.astimezone(LOCAL_TZ).date(), channel=channel, note=note),
                by=officers[0], today=held.astimezone(LOCAL_TZ).date())
            self._stamp(held, (callback, {"created_at": held}), (visit, {"updated_at": held}))
        self.result.count("visits")
        return visit

    def _need(self, visit_spec: DemoVisit, visit: Visit, spec: DemoNeed) -> None:
        firm = self.firms[visit_spec.firm]
        need = db.session.scalar(sa.select(Need).where(Need.enterprise_id == firm.id, Need.content == spec.content))
        if need is not None:
            self.needs[spec.key] = need
            return
        category = self.categories.get(spec.category)
        if category is None or not category.active:
            return  # an admin renamed or retired the category since: the demo does not bring it back
        officer = self.users[visit_spec.officers[0]]
        raised = local_time(visit_spec.at.split()[0] + " 17:10")
        # The deadline is left to create_need: the category's working days (needs_services.default_deadline).
        need = needs_services.create_need(firm, needs_services.NeedData(
            source=NeedSource.VISIT, category=category, content=spec.content,
            raised_on=raised.astimezone(LOCAL_TZ).date(), department=self.departments.get(spec.department),
            assigned_officer=officer, visit=visit,
        ), by=officer)
        self._stamp(raised, (need, {"created_at": raised, "updated_at": raised}))
        for step in spec.steps:
            self._need_step(need, officer, step)
        self.needs[spec.key] = need
        self.result.count("needs")

    def _need_step(self, need: Need, officer: User, step: tuple) -> None:
        kind, when = step[0], local_time(step[1])
        touched = {"updated_at": when}
        if kind == "accept":
            needs_services.accept(need, by=officer)
            self._stamp(when, (need, touched))
        elif kind in ("progress", "note"):
            add = needs_services.add_progress if kind == "progress" else needs_services.add_internal_note
            entry = add(need, step[2], by=officer)
            self._stamp(when, (entry, {"created_at": when}))
        elif kind == "extend":
            _, _, new_deadline, reason, decided_text, note = step
            extension = needs_services.request_extension(need, new_deadline, reason, by=officer,
                                                         today=when.astimezone(LOCAL_TZ).date())
            self._stamp(when, (extension, {"requested_at": when}))
            decided = local_time(decided_text)
            needs_services.decide_extension(extension, True, self.users[WANG], note)
            self._stamp(decided, (extension, {"decided_at": decided}), (need, {"updated_at": decided}))
        elif kind == "resolve":
            needs_services.resolve(need, step[2], by=officer, now=when)
            self._stamp(when, (need, {**touched, "resolved_at": when}), (need.entries[-1], {"created_at": when}))
        elif kind in ("call", "rate"):
            _, _, satisfaction, note = step
            contact = self.users[CONTACT]
            if kind == "rate" and contact is not None and needs_services.can_rate(contact, need):
                follow_up = needs_services.firm_confirm_and_rate(need, satisfaction, note, by=contact)
            else:
                follow_up = needs_services.record_follow_up(need, when.astimezone(LOCAL_TZ).date(), satisfaction,
                                                            note, by=officer)
            # firm_confirm_and_rate dates the rating today; record_follow_up takes the day given.
            self._stamp(when, (follow_up, {"created_at": when, "held_on": when.astimezone(LOCAL_TZ).date()}),
                        (need, touched))
        elif kind == "close":
            needs_services.close_off(need, by=officer)
            self._stamp(when, (need, {**touched, "closed_at": when}))
        elif kind == "explain":
            needs_services.mark_unresolvable(need, step[2], by=officer, now=when)
            self._stamp(when, (need, {**touched, "closed_at": when}))
        else:  # pragma: no cover - a typo in the data above
            raise ValueError(f"unknown need step {kind!r}")

    # Plans -------------------------------------------------------------------------------------------
    def _plan(self, spec: DemoPlan) -> None:
        firm = self.firms[spec.firm]
        exists = db.session.scalar(sa.select(AssistancePlan.id).where(
            AssistancePlan.enterprise_id == firm.id, AssistancePlan.campaign_id == self.campaign.id))
        if exists is not None:
            return
        author, manager = self.users[spec.author], self.users[WANG]
        created = local_time(spec.created)
        plan = plans_services.create_plan(firm, self.campaign, spec.objective, by=author)
        # The date rules (tracker.dates) are applied as of the day each step was taken.
        measures = [
            plans_services.add_measure(plan, description=m.description, owner=self.users[m.owner], deadline=m.deadline,
                                       needs=[self.needs[k] for k in m.needs if k in self.needs],
                                       today=created.astimezone(LOCAL_TZ).date())
            for m in spec.measures
        ]
        self._stamp(created, (plan, {"created_at": created, "updated_at": created}))
        for step in spec.steps:
            kind = step[0]
            if kind == "measure":
                _, index, status, text = step
                plans_services.record_progress(measures[index], status=status, result=text)
                continue
            when = local_time(step[1])
            touched = {"updated_at": when}
            if kind == "submit":
                plans_services.submit(plan, by=author)
                touched["submitted_at"] = when
            elif kind == "return":
                plans_services.return_for_changes(plan, manager, step[2])
            elif kind == "revise":
                measure = measures[step[2]]
                plans_services.update_measure(measure, description=measure.description, owner=measure.owner,
                                              deadline=step[3], needs=list(measure.needs),
                                              today=when.astimezone(LOCAL_TZ).date())
            elif kind == "approve":
                plans_services.approve(plan, by=manager)
                touched["approved_at"] = when
            elif kind == "start":
                plans_services.start(plan, by=author)
            elif kind == "complete":
                plans_services.complete(plan, by=author)
            else:  # pragma: no cover - a typo in the data above
                raise ValueError(f"unknown plan step {kind!r}")
            self._stamp(when, (plan, touched))
        self.result.count("assistance plans")


def seed_outreach(firms: dict[str, Enterprise], campaign: Campaign, result) -> None:
    """Add the visits, needs and plans that are missing; *firms* maps the demo firms' names to their rows."""
    _Seeder(firms, campaign, result).seed()
