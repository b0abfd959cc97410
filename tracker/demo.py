"""Demo data from the Yingkou Customs article: offices, departments, users and the first firms.

Idempotent: every record is found by its natural key (code, username, USCC) before it is created.
Later features add their own data here.
"""
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from tracker.auth import services
from tracker.auth.models import Role, User
from tracker.enterprises.identifiers import uscc_check_character
from tracker.enterprises.models import Enterprise
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

# (name, organisation code part, region, customs code, office code)
DEMO_FIRMS = [
    ("营口雅丽丝服装有限公司", "MA0YLJ001", "210800", "2108940001", "0930"),
    ("营口隆鑫果品有限公司", "MA0LXG002", "210804", "2108960002", "0931"),
]

# (username, display name, role, office code, firm USCC index or None)
DEMO_USERS = [
    ("admin", "系统管理员", Role.ADMIN, "0000", None),
    ("manager", "王科长", Role.MANAGER, "0930", None),
    ("manager-dl", "李处长", Role.MANAGER, "0900", None),
    ("officer", "张关员", Role.OFFICER, "0930", None),
    ("officer2", "刘关员", Role.OFFICER, "0930", None),
    ("bayuquan-officer", "赵关员", Role.OFFICER, "0931", None),
    ("yalisi", "雅丽丝 单证员", Role.ENTERPRISE_CONTACT, None, 0),
    ("longxin", "隆鑫 业务员", Role.ENTERPRISE_CONTACT, None, 1),
]


def make_uscc(authority_type: str, region: str, org: str) -> str:
    """A valid USCC from its parts (check character computed per GB 32100-2015)."""
    first17 = authority_type + region + org
    return first17 + uscc_check_character(first17)


@dataclass
class SeedResult:
    created: dict[str, int] = field(default_factory=dict)
    generated_password: str | None = None
    credentials_file: Path | None = None

    def count(self, kind: str) -> None:
        self.created[kind] = self.created.get(kind, 0) + 1

    def summary(self) -> str:
        if not self.created:
            return "Demo data already present; nothing added."
        return "Demo data added: " + ", ".join(f"{n} {kind}" for kind, n in self.created.items()) + "."


def seed_demo(password: str | None = None) -> SeedResult:
    result = SeedResult()
    offices = _seed_offices(result)
    firms = _seed_firms(offices, result)
    missing = [u for u in DEMO_USERS if services.find_user(u[0]) is None]
    if missing:
        if password is None:
            password = _generate_password()
            result.generated_password = password
            result.credentials_file = _write_credentials(password)
        for username, display_name, role, office_code, firm_index in missing:
            services.create_user(
                username=username,
                display_name=display_name,
                role=role,
                office=offices[office_code] if office_code else None,
                enterprise=firms[firm_index] if firm_index is not None else None,
                password=password,
            )
            result.count("users")
    db.session.flush()
    return result


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


def _seed_firms(offices: dict[str, Office], result: SeedResult) -> list[Enterprise]:
    firms = []
    for name, org, region, customs_code, office_code in DEMO_FIRMS:
        uscc = make_uscc("91", region, org)
        firm = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == uscc))
        if firm is None:
            firm = Enterprise(name=name, uscc=uscc, customs_code=customs_code, office=offices[office_code])
            db.session.add(firm)
            result.count("enterprises")
        firms.append(firm)
    db.session.flush()
    return firms


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
