"""Demo data from the Yingkou Customs article: offices, departments, users, firms, declaration counts,
the 2019 百企大调研 campaign with its screened roster, and the campaign's visits, needs and assistance
plans (tracker/demo_outreach.py), the certificate counters (tracker/demo_appointments.py) and the policy
briefings with their questionnaire (tracker/demo_briefings.py).

Idempotent: every record is found by its natural key (code, username, USCC, firm and year, campaign name
and office) before it is created, so a second run adds nothing. The generated firms come from a fixed
random seed: every run on every machine makes the same ones. Later features add their own data here.
"""
import math
import os
import random
import secrets
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from tracker import demo_names as names
from tracker.auth import services
from tracker.auth.models import Role, User
from tracker.campaigns.models import Campaign
from tracker.campaigns.services import create_campaign, screen
from tracker.certification.services import load_standards
from tracker.imports.models import DeclarationCount
from tracker.demo_appointments import seed_appointments
from tracker.demo_briefings import seed_briefings
from tracker.demo_certification import seed_certification
from tracker.demo_outreach import seed_outreach
from tracker.enterprises.identifiers import USCC_ALPHABET, uscc_check_character
from tracker.enterprises.models import CreditRating, Enterprise, EnterpriseContact, TradeMode
from tracker.enterprises.reference import REGIME_STARTS, CreditRegime
from tracker.enterprises.services import record_credit_rating
from tracker.extensions import db
from tracker.offices.models import Department, Office

# (code, name, English name, parent code)
OFFICES = [
    ("0000", "海关总署", "General Administration of Customs", None),
    ("0900", "大连海关", "Dalian Customs", "0000"),
    ("0930", "营口海关", "Yingkou Customs", "0900"),
    ("0931", "鲅鱼圈海关", "Bayuquan Customs", "0900"),
]

DEPARTMENTS = {
    "0900": [("企业管理和稽查处", "Enterprise Management and Audit Division"), ("综合业务处", "General Operations Division")],
    "0930": [
        ("综合业务科", "General Operations Section"),
        ("企业管理科", "Enterprise Management Section"),
        ("通关监管科", "Clearance Supervision Section"),
        ("检验检疫科", "Inspection and Quarantine Section"),
        ("原产地签证科", "Certificate of Origin Section"),
        ("关税科", "Tariff Section"),
    ],
    "0931": [
        ("综合业务科", "General Operations Section"),
        ("查验科", "Examination Section"),
        ("动植物检疫科", "Animal and Plant Quarantine Section"),
    ],
}

D237, D251 = CreditRegime.DECREE_237, CreditRegime.DECREE_251
DECREE_237_START, DECREE_251_START = REGIME_STARTS[D237], REGIME_STARTS[D251]
YEARS = (2017, 2018, 2019)


@dataclass(frozen=True)
class DemoFirm:
    """Everything the demo knows about one firm; the USCC is its natural key."""

    name: str
    uscc: str
    customs_code: str | None
    office_code: str
    district: str
    address: str
    industry: str
    economic_type: str
    is_key: bool
    trade_modes: tuple[str, ...]
    officer: str | None  # username of the responsible officer (联系关员)
    contacts: tuple[tuple[str, str, str], ...]  # (name, title, phone)
    ratings: tuple[tuple[CreditRegime, str, date, str | None], ...]  # oldest first
    declarations: tuple[tuple[int, int], ...]  # (year, count)
    notes: str | None = None


def make_uscc(authority_type: str, region: str, org: str) -> str:
    """A valid USCC from its parts (check character computed per GB 32100-2015)."""
    first17 = authority_type + region + org
    return first17 + uscc_check_character(first17)


def make_org_code(body: str) -> str:
    """An organisation code (USCC characters 9-17): eight characters and the GB 11714 check character."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum((int(ch) if ch.isdigit() else ord(ch) - 55) * w for ch, w in zip(body, weights))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


# The firms the articles name. The first two keep the USCCs of the first demo seed (the contact users
# yalisi and longxin belong to them); DEMO_USERS refers to firms by their index here.
NAMED_FIRMS = [
    DemoFirm(
        name="营口雅丽丝服装有限公司", uscc=make_uscc("91", "210800", "MA0YLJ001"), customs_code="2108940001",
        office_code="0930", district="站前区", address="营口市站前区跃进街56号", industry="服装",
        economic_type="4", is_key=True, trade_modes=("0214", "0615"), officer="officer",
        contacts=(("孙丽娟", "单证主管", "0417-2836517"), ("朴成浩", "总经理", "0417-2836501")),
        # Its 一般认证 from 2019-09-01 is written by its certification application (tracker/demo_certification.py).
        ratings=((D237, "general_credit", DECREE_237_START, None),),
        declarations=((2017, 356), (2018, 389), (2019, 412)),
        notes="外商独资服装企业，来料加工和进料加工；每月申领原产地证书3-4次，预约办理、即到即办。",
    ),
    DemoFirm(
        name="营口隆鑫果品有限公司", uscc=make_uscc("91", "210804", "MA0LXG002"), customs_code="2108960002",
        office_code="0931", district="鲅鱼圈区", address="营口市鲅鱼圈区红海路118号", industry="果品",
        economic_type="6", is_key=False, trade_modes=("0110",), officer="bayuquan-officer",
        contacts=(("于海涛", "外贸部经理", "0417-6258830"),),
        ratings=((D237, "general_credit", DECREE_237_START, None),),
        declarations=((2017, 41), (2018, 47), (2019, 58)),
        notes="李子出口企业：一批李子11.25吨、货值36,250美元出口印度尼西亚。",
    ),
    DemoFirm(
        name="五矿营口中板有限责任公司", uscc=make_uscc("91", "210804", make_org_code("24262110")),
        customs_code="2108210015", office_code="0930", district="鲅鱼圈区", address="营口市鲅鱼圈区冶金工业园区1号",
        industry="钢铁", economic_type="1", is_key=True, trade_modes=("0110", "0615"), officer="officer2",
        contacts=(("高建华", "进出口部经理", "0417-6202318"), ("佟丽", "报关员", "0417-6202356")),
        ratings=((D237, "advanced_certified", DECREE_237_START, None),
                 (D251, "advanced_certified", DECREE_251_START, "第251号令施行，高级认证延续")),
        declarations=((2017, 1684), (2018, 1792), (2019, 1865)),
    ),
    DemoFirm(
        name="营口光阳耐火材料有限公司", uscc=make_uscc("91", "210882", make_org_code("66458317")),
        customs_code="2108960318", office_code="0930", district="大石桥市", address="大石桥市南楼经济开发区光阳路8号",
        industry="耐火材料", economic_type="6", is_key=True, trade_modes=("0110",), officer="officer",
        contacts=(("姜振宇", "总经理", "0417-5628813"), ("曹玉兰", "单证员", "0417-5628820")),
        ratings=((D237, "general_credit", DECREE_237_START, None),),
        declarations=((2017, 231), (2018, 247), (2019, 268)),
    ),
    DemoFirm(
        name="宏群胜精密电子(营口)有限公司", uscc=make_uscc("91", "210803", make_org_code("MA0QHC71")),
        customs_code="2108340027", office_code="0930", district="西市区", address="营口市西市区新兴大街99号",
        industry="电子", economic_type="4", is_key=True, trade_modes=("0615", "0654"), officer="officer2",
        contacts=(("陈思远", "关务经理", "0417-4879026"),),
        ratings=((D237, "general_certified", DECREE_237_START, None),
                 (D237, "advanced_certified", date(2020, 7, 1), "通过高级认证"),
                 (D251, "advanced_certified", DECREE_251_START, "第251号令施行，高级认证延续")),
        declarations=((2017, 1890), (2018, 2104), (2019, 2316)),
    ),
]

# (username, display name, role, office code, index into NAMED_FIRMS or None, post 职务). The post is
# data (User.title): both managers have the manager role, but 王科长 is a 科长 and 李处长 a 处长.
DEMO_USERS = [
    ("admin", "系统管理员", Role.ADMIN, "0000", None, "系统管理员"),
    ("manager", "王科长", Role.MANAGER, "0930", None, "科长"),
    ("manager-dl", "李处长", Role.MANAGER, "0900", None, "处长"),
    ("officer", "张关员", Role.OFFICER, "0930", None, "关员"),
    ("officer2", "刘关员", Role.OFFICER, "0930", None, "关员"),
    ("bayuquan-officer", "赵关员", Role.OFFICER, "0931", None, "关员"),
    # The firms' own contacts (NAMED_FIRMS[i].contacts) hold the accounts.
    ("yalisi", "孙丽娟", Role.ENTERPRISE_CONTACT, None, 0, "单证主管"),
    ("longxin", "于海涛", Role.ENTERPRISE_CONTACT, None, 1, "外贸部经理"),
]

# The survey: 营口海关 screens its firms at 80 declarations in 2019 (鲅鱼圈海关 is a sibling office).
CAMPAIGN = {"name": "2019年百企大调研", "office_code": "0930", "year": 2019, "threshold": 80,
            "starts_on": date(2019, 3, 1), "ends_on": date(2019, 6, 30), "created_by": "manager"}

# Generated firms: the seed, and per office (how many, how many reach 80 declarations in 2019, how many
# sit exactly on 80 and exactly on 79). With the four named firms at 80+ under 营口海关 its roster holds
# 108 firms; 120 firms in all reach 80.
GENERATED_SEED = 2019
GENERATED_PLAN = {"0930": (240, 104, 2, 2), "0931": (60, 12, 1, 1)}

ECONOMIC_TYPE_WEIGHTS = {
    "big": {"6": 50, "3": 14, "4": 14, "1": 10, "2": 3, "5": 2, "9": 7},
    "small": {"6": 74, "3": 7, "4": 6, "1": 2, "2": 1, "5": 4, "9": 6},
}
# Foreign-invested firms are common in processing industries.
FOREIGN_LEANING = {"服装", "电子", "汽车配件"}
ZONE_WEIGHTS = {"0930": {"9": 60, "3": 20, "2": 12, "4": 8}, "0931": {"2": 60, "4": 15, "9": 25}}
# Industry -> ((weight, trade modes), ...); anything not listed trades under 0110 一般贸易.
TRADE_MODE_CHOICES = {
    "服装": ((3, ("0110",)), (3, ("0214",)), (3, ("0615",)), (2, ("0110", "0615")), (2, ("0214", "0615"))),
    "电子": ((4, ("0615",)), (3, ("0615", "0654")), (2, ("0110", "0615")), (1, ("0214",))),
    "水产品": ((6, ("0110",)), (3, ("0214",)), (1, ("0110", "0615"))),
    "食品": ((8, ("0110",)), (2, ("0110", "9610"))),
    "物流": ((7, ("0110",)), (3, ("0110", "9610"))),
    "汽车配件": ((6, ("0110",)), (3, ("0110", "0615")), (1, ("0110", "0420"))),
    "钢铁": ((7, ("0110",)), (3, ("0110", "0715"))),
    "机械": ((8, ("0110",)), (1, ("0110", "0420")), (1, ("0110", "0513"))),
    "_": ((18, ("0110",)), (1, ("0110", "0715")), (1, ("0110", "0130"))),
}


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def generate_firms(seed: int = GENERATED_SEED) -> list[DemoFirm]:
    """The ~300 generated firms, the same on every call: a pure function of the seed, no database."""
    rng = random.Random(seed)
    taken_names = {f.name for f in NAMED_FIRMS}
    taken_orgs = {f.uscc[8:17] for f in NAMED_FIRMS}
    taken_customs = {f.customs_code for f in NAMED_FIRMS}

    # Which office each firm is under, whether it reaches 80 in 2019, and the boundary cases.
    slots: list[tuple[str, bool, int | None]] = []
    for office_code, (count, big, at_80, at_79) in GENERATED_PLAN.items():
        flags = [i < big for i in range(count)]
        fixed: list[int | None] = [None] * count
        for i in range(at_80):
            fixed[i] = 80
        for i in range(big, big + at_79):
            fixed[i] = 79
        slots += [(office_code, flags[i], fixed[i]) for i in range(count)]
    rng.shuffle(slots)

    firms = []
    for office_code, big, fixed in slots:
        industry = _weighted(rng, names.INDUSTRY_WEIGHTS[office_code])
        region = "210804" if office_code == "0931" else rng.choice(names.INDUSTRY_REGIONS[industry])
        prefix = "营口"
        if region == "210882" and rng.random() < 0.7:
            prefix = "大石桥市"
        elif region == "210881" and rng.random() < 0.5:
            prefix = "盖州市"
        form = "股份有限公司" if big and rng.random() < 0.2 else "有限责任公司" if rng.random() < 0.08 else "有限公司"
        while True:
            name = prefix + rng.choice(names.BRANDS) + rng.choice(names.INDUSTRY_WORDS[industry]) + form
            if name not in taken_names:
                taken_names.add(name)
                break

        while True:
            if rng.random() < 0.55:  # an organisation code from before the 2015 reform
                body = str(rng.randint(1, 7)) + "".join(rng.choice("0123456789") for _ in range(7))
            else:  # one of the MA codes issued with the unified code
                body = "MA0" + "".join(rng.choice(USCC_ALPHABET) for _ in range(5))
            org = make_org_code(body)
            if org not in taken_orgs:
                taken_orgs.add(org)
                break

        type_weights = dict(ECONOMIC_TYPE_WEIGHTS["big" if big else "small"])
        if industry in FOREIGN_LEANING:
            type_weights["3"] *= 3
            type_weights["4"] *= 3
        economic_type = _weighted(rng, type_weights)
        zone = _weighted(rng, ZONE_WEIGHTS[office_code])
        while True:
            customs_code = f"2108{zone}{economic_type}{rng.randint(1, 9999):04d}"
            if customs_code not in taken_customs:
                taken_customs.add(customs_code)
                break

        # 2019: many small firms, a long tail of big ones; earlier years drift from it.
        if fixed is not None:
            n2019 = fixed
        elif big:
            n2019 = min(9000, 80 + int(80 * (math.exp(rng.expovariate(1.25)) - 1)))
        else:
            n2019 = 1 + int(78 * rng.betavariate(0.7, 1.8))
        n2018 = round(n2019 / rng.uniform(0.8, 1.3))
        n2017 = round(n2018 / rng.uniform(0.8, 1.3))
        declarations = ((2017, n2017), (2018, n2018), (2019, n2019))
        if rng.random() < 0.06:  # registered in 2018: no 2017 figure
            declarations = declarations[1:]

        choices = TRADE_MODE_CHOICES.get(industry, TRADE_MODE_CHOICES["_"])
        trade_modes = rng.choices([c[1] for c in choices], weights=[c[0] for c in choices])[0]
        is_key = big and ((n2019 >= 300 and rng.random() < 0.75) or rng.random() < 0.08)
        if office_code == "0931":
            officer = "bayuquan-officer"
        else:
            officer = None if not big and rng.random() < 0.1 else rng.choice(("officer", "officer2"))
        street = rng.choice(names.STREETS[region])
        district = names.DISTRICTS[region]
        place = district if district.endswith("市") else "营口市" + district
        address = f"{place}{street}" + (f"{rng.randint(1, 399)}号" if street.endswith(("街", "路")) else "")
        contact = (rng.choice(names.SURNAMES) + rng.choice(names.GIVEN_NAMES), rng.choice(names.CONTACT_TITLES),
                   f"0417-{rng.choice('2345678')}{rng.randint(0, 999999):06d}")
        firms.append(DemoFirm(
            name=name, uscc=make_uscc("91", region, org), customs_code=customs_code, office_code=office_code,
            district=district, address=address, industry=industry, economic_type=economic_type, is_key=is_key,
            trade_modes=trade_modes, officer=officer, contacts=(contact,), ratings=_ratings(rng, big),
            declarations=declarations,
        ))
    return firms


def _ratings(rng: random.Random, big: bool) -> tuple:
    """A credit history for about a quarter of the firms, more often for the big ones."""
    if rng.random() >= (0.45 if big else 0.12):
        return ()
    level = _weighted(rng, {"advanced_certified": 15, "general_certified": 30, "general_credit": 55} if big
                      else {"general_credit": 85, "general_certified": 10, "discredited": 5})
    history = [(D237, level, DECREE_237_START, None)]
    if level == "general_credit" and big and rng.random() < 0.3:
        history.append((D237, "general_certified", date(2019, rng.randint(6, 12), 1), "经认证培育通过一般认证"))
    elif level == "discredited" and rng.random() < 0.5:
        history.append((D237, "general_credit", date(2019, rng.randint(3, 12), 1), "信用修复"))
    elif level == "advanced_certified":
        history.append((D251, "advanced_certified", DECREE_251_START, "第251号令施行，高级认证延续"))
    return tuple(history)


def demo_firms() -> list[DemoFirm]:
    """The named firms, then the generated ones."""
    return NAMED_FIRMS + generate_firms()


@dataclass
class SeedResult:
    created: dict[str, int] = field(default_factory=dict)
    generated_password: str | None = None
    credentials_file: Path | None = None
    # Lines printed after the summary (the hall display's URL, shown once).
    notes: list[str] = field(default_factory=list)

    def count(self, kind: str, n: int = 1) -> None:
        if n:
            self.created[kind] = self.created.get(kind, 0) + n

    def summary(self) -> str:
        if not self.created:
            return "Demo data already present; nothing added."
        return "\n".join(["Demo data added: " + ", ".join(f"{n} {kind}" for kind, n in self.created.items()) + ".",
                          *self.notes])


def seed_demo(password: str | None = None) -> SeedResult:
    result = SeedResult()
    offices = _seed_offices(result)
    plan = demo_firms()
    missing = [u for u in DEMO_USERS if services.find_user(u[0]) is None]
    _give_posts()
    if missing and password is None:
        password = _generate_password()
        result.generated_password = password
        result.credentials_file = _write_credentials(password)
    # Staff first, so new firms get their officer as they are created; contacts need their firm.
    _create_users([u for u in missing if u[4] is None], offices, {}, password, result)
    firms = _seed_firms(plan, offices, result)
    _create_users([u for u in missing if u[4] is not None], offices, firms, password, result)
    _seed_contacts(plan, firms, result)
    _seed_credit_ratings(plan, firms, result)
    _seed_declarations(plan, firms, result)
    campaign = _seed_campaign(offices, result)
    # Visits, needs and plans of the campaign (tracker/demo_outreach.py).
    seed_outreach({spec.name: firms[spec.uscc] for spec in plan}, campaign, result)
    # The certificate counters and six months of their history (tracker/demo_appointments.py).
    seed_appointments({spec.name: firms[spec.uscc] for spec in plan}, result)
    # The June 2019 policy briefing, its questionnaire, and one ahead (tracker/demo_briefings.py).
    seed_briefings({spec.name: firms[spec.uscc] for spec in plan}, campaign, result)
    # The versions of the certification standard shipped with the tracker (tracker/certification/standards/).
    result.count("certification standards", len(load_standards().loaded))
    # 雅丽丝's assessment in the workshop, shared and re-scored after a fix, and two more (tracker/demo_certification.py).
    seed_certification({spec.name: firms[spec.uscc] for spec in plan}, result)
    db.session.flush()
    return result


def _give_posts() -> None:
    """Demo users seeded before posts were data get theirs (an admin's own choice is kept)."""
    for username, *_rest, title in DEMO_USERS:
        user = services.find_user(username)
        if user is not None and not user.title:
            user.title = title


def _create_users(users: list, offices: dict[str, Office], firms: dict[str, Enterprise], password: str | None,
                  result: SeedResult) -> None:
    for username, display_name, role, office_code, firm_index, title in users:
        services.create_user(
            username=username,
            display_name=display_name,
            title=title,
            role=role,
            office=offices[office_code] if office_code else None,
            enterprise=firms[NAMED_FIRMS[firm_index].uscc] if firm_index is not None else None,
            password=password,
        )
        result.count("users")


def _seed_offices(result: SeedResult) -> dict[str, Office]:
    existing = {o.code: o for o in db.session.scalars(sa.select(Office))}
    for code, name, name_en, parent_code in OFFICES:
        if code not in existing:
            office = Office(code=code, name=name, name_en=name_en, parent=existing.get(parent_code))
            db.session.add(office)
            existing[code] = office
            result.count("offices")
    db.session.flush()
    for code, departments in DEPARTMENTS.items():
        office = existing[code]
        have = {d.name for d in office.departments}
        for name, name_en in departments:
            if name not in have:
                db.session.add(Department(office=office, name=name, name_en=name_en))
                result.count("departments")
    db.session.flush()
    return existing


def _chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _seed_firms(plan: list[DemoFirm], offices: dict[str, Office], result: SeedResult) -> dict[str, Enterprise]:
    """The firms by USCC; missing ones are created with their details, in batches."""
    firms: dict[str, Enterprise] = {}
    for chunk in _chunks([f.uscc for f in plan]):
        firms.update((e.uscc, e) for e in db.session.scalars(sa.select(Enterprise).where(Enterprise.uscc.in_(chunk))))
    new = [f for f in plan if f.uscc not in firms]
    if not new:
        return firms
    # A customs code some other firm holds already is left blank rather than clash.
    taken: set[str] = set()
    for chunk in _chunks([f.customs_code for f in new if f.customs_code]):
        taken.update(db.session.scalars(sa.select(Enterprise.customs_code).where(Enterprise.customs_code.in_(chunk))))
    modes = {m.code: m for m in db.session.scalars(sa.select(TradeMode))}
    officers = {u.username: u for u in db.session.scalars(
        sa.select(User).where(User.username.in_(sorted({f.officer for f in new if f.officer})),
                              User.role.in_((Role.OFFICER, Role.MANAGER)), User.active.is_(True)))}
    for i, spec in enumerate(new, 1):
        firm = Enterprise(
            name=spec.name, uscc=spec.uscc, customs_code=None if spec.customs_code in taken else spec.customs_code,
            office=offices[spec.office_code], district=spec.district, address=spec.address, industry=spec.industry,
            economic_type=spec.economic_type, is_key=spec.is_key, notes=spec.notes,
            assigned_officer=officers.get(spec.officer),
            trade_modes=[modes[c] for c in spec.trade_modes if c in modes],
            # Empty, not unloaded: the credit service reads the list without a query per firm.
            contacts=[], credit_ratings=[],
        )
        db.session.add(firm)
        firms[spec.uscc] = firm
        if i % 200 == 0:
            db.session.flush()
    db.session.flush()
    result.count("enterprises", len(new))
    return firms


def _existing(column_a, column_b, ids: list[int]) -> set[tuple]:
    found: set[tuple] = set()
    for chunk in _chunks(ids):
        found.update(tuple(row) for row in db.session.execute(sa.select(column_a, column_b).where(column_a.in_(chunk))))
    return found


def _seed_contacts(plan: list[DemoFirm], firms: dict[str, Enterprise], result: SeedResult) -> None:
    have = _existing(EnterpriseContact.enterprise_id, EnterpriseContact.name, [e.id for e in firms.values()])
    added = 0
    for spec in plan:
        firm = firms[spec.uscc]
        for name, title, phone in spec.contacts:
            if (firm.id, name) not in have:
                db.session.add(EnterpriseContact(enterprise=firm, name=name, title=title, phone=phone))
                added += 1
    db.session.flush()
    result.count("contacts", added)


def _seed_credit_ratings(plan: list[DemoFirm], firms: dict[str, Enterprise], result: SeedResult) -> None:
    """A firm's demo credit history is written only when it has none (never mixed into a real one)."""
    rated: set[int] = set()
    for chunk in _chunks([e.id for e in firms.values()]):
        rated.update(db.session.scalars(
            sa.select(CreditRating.enterprise_id).where(CreditRating.enterprise_id.in_(chunk))
        ))
    added = 0
    for spec in plan:
        firm = firms[spec.uscc]
        if firm.id in rated:
            continue
        for regime, level, valid_from, note in spec.ratings:
            record_credit_rating(firm, regime=regime, level=level, valid_from=valid_from, note=note)
            added += 1
    result.count("credit ratings", added)


def _seed_declarations(plan: list[DemoFirm], firms: dict[str, Enterprise], result: SeedResult) -> None:
    have = _existing(DeclarationCount.enterprise_id, DeclarationCount.year, [e.id for e in firms.values()])
    added = 0
    for spec in plan:
        firm_id = firms[spec.uscc].id
        for year, declarations in spec.declarations:
            if (firm_id, year) not in have:
                db.session.add(DeclarationCount(enterprise_id=firm_id, year=year, declarations=declarations))
                added += 1
                if added % 500 == 0:
                    db.session.flush()
    db.session.flush()
    result.count("declaration counts", added)


def _seed_campaign(offices: dict[str, Office], result: SeedResult) -> Campaign:
    """Created and screened once; later runs leave it (and officers' roster decisions) alone."""
    office = offices[CAMPAIGN["office_code"]]
    campaign = db.session.scalar(
        sa.select(Campaign).where(Campaign.name == CAMPAIGN["name"], Campaign.office_id == office.id)
    )
    if campaign is not None:
        return campaign
    campaign = create_campaign(
        name=CAMPAIGN["name"], office=office, year=CAMPAIGN["year"], threshold=CAMPAIGN["threshold"],
        starts_on=CAMPAIGN["starts_on"], ends_on=CAMPAIGN["ends_on"], by=services.find_user(CAMPAIGN["created_by"]),
    )
    result.count("campaigns")
    result.count("roster entries", screen(campaign).total)
    return campaign


def _generate_password() -> str:
    # Four groups of five from an unambiguous alphabet: easy to type from a printout.
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


def _write_credentials(password: str) -> Path:
    path = Path(current_app.instance_path) / current_app.config["DEMO_CREDENTIALS_FILE"]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.chmod(path, 0o600)
    lines = ["# Demo sign-ins for the customs outreach tracker. Delete this file once read.\n"]
    lines += [f"{u[0]}\t{password}\n" for u in DEMO_USERS]
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.writelines(lines)
    return path
