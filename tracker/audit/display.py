"""The audit trail as people read it: what the records and fields are called, values as the pages show them.

Everything that names something comes from the models: a model's ``__label__`` names its records
("需求"), a column's ``info["label"]`` (a relationship's, for many-to-many lists) names the field, an
enum's ``label`` names its values, and ``info["values"]`` names the codes of a plain text column (a
credit level). Related records (a foreign key, a list item, the record itself, the actor) are named
and linked from the rows as they are now, loaded for a whole page at once: one query per kind of
record, however many records the page shows. A record deleted since is named by its number only.
"""
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Mapper, joinedload

from tracker.audit.listeners import REDACTED
from tracker.audit.models import AuditRecord
from tracker.auth.models import User
from tracker.campaigns.models import Campaign, RosterDecision
from tracker.certification.models import (
    Assessment, CertificationApplication, CertificationStandard, Evidence, ItemScore, StandardItem, StandardSection,
)
from tracker.enterprises.models import CreditRating, Enterprise, EnterpriseContact, TradeMode
from tracker.extensions import db
from tracker.i18n import local_datetime
from tracker.imports.models import DeclarationCount, DeclarationImport
from tracker.needs.models import DeadlineExtension, FollowUp, Need, NeedCategory, NeedEntry
from tracker.offices.models import Department, Office
from tracker.plans.models import AssistancePlan, PlanMeasure
from tracker.types import UTCDateTime
from tracker.visits.models import PolicyTopic, Visit, VisitAttendee
from tracker.workdays.models import CalendarOverride

# A related record's name is cut to this length; the link and the number say which one it is.
NAME_LENGTH = 12
# "0110 一般贸易 (#3)": the id at the end of a list item as the listener writes it.
ITEM_ID = re.compile(r"\(#(\d+)\)$")


@dataclass(frozen=True)
class Ref:
    """One value as shown: its words and, for a record that has a page, the page."""

    text: str
    url: str | None = None
    title: str | None = None  # the whole name when the text is shortened


@dataclass(frozen=True)
class Naming:
    """How the records of one model are named and linked.

    *numbered*: shown as "需求 #17 · 营口雅丽丝…" (a record known by its number) rather than by its name alone
    (a firm, a user, a department). *name* gives the words, *link* the page, *options* what to load with
    the row for both (one query for the page's rows of the model).
    """

    name: Callable[[Any], str | None] | None = None
    link: Callable[[Any], str | None] | None = None
    numbered: bool = True
    options: tuple = ()


def _enterprise_page(enterprise_id: int) -> str:
    return url_for("enterprises.profile", enterprise_id=enterprise_id)


def _need_page(need_id: int) -> str:
    return url_for("needs.detail", need_id=need_id)


def _assessment_page(assessment_id: int) -> str:
    return url_for("certification.assessment", assessment_id=assessment_id)


def _assessment_item(row) -> str:
    return url_for("certification.item", assessment_id=row.assessment_id, item_id=row.item_id)


NAMINGS: dict[type, Naming] = {
    Need: Naming(lambda n: n.enterprise.name, lambda n: _need_page(n.id), options=(joinedload(Need.enterprise),)),
    NeedEntry: Naming(lambda e: e.kind.label, lambda e: _need_page(e.need_id)),
    DeadlineExtension: Naming(lambda e: str(e.new_deadline), lambda e: _need_page(e.need_id)),
    FollowUp: Naming(lambda f: f.satisfaction.label, lambda f: _need_page(f.need_id)),
    Visit: Naming(lambda v: v.enterprise.name, lambda v: url_for("visits.detail", visit_id=v.id),
                  options=(joinedload(Visit.enterprise),)),
    VisitAttendee: Naming(lambda a: a.name, lambda a: url_for("visits.detail", visit_id=a.visit_id)),
    AssistancePlan: Naming(lambda p: p.enterprise.name, lambda p: url_for("plans.detail", plan_id=p.id),
                           options=(joinedload(AssistancePlan.enterprise),)),
    PlanMeasure: Naming(lambda m: m.description, lambda m: url_for("plans.detail", plan_id=m.plan_id)),
    Enterprise: Naming(lambda e: e.name, lambda e: _enterprise_page(e.id), numbered=False),
    EnterpriseContact: Naming(lambda c: c.name, lambda c: _enterprise_page(c.enterprise_id)),
    CreditRating: Naming(lambda r: r.level_label, lambda r: _enterprise_page(r.enterprise_id)),
    DeclarationCount: Naming(lambda c: f"{c.year}: {c.declarations}", lambda c: _enterprise_page(c.enterprise_id)),
    RosterDecision: Naming(lambda d: d.decision.label,
                           lambda d: url_for("campaigns.detail", campaign_id=d.campaign_id)),
    Campaign: Naming(lambda c: c.name, lambda c: url_for("campaigns.detail", campaign_id=c.id), numbered=False),
    DeclarationImport: Naming(lambda i: i.filename, lambda i: url_for("imports.detail", import_id=i.id)),
    User: Naming(lambda u: u.display_name, lambda u: url_for("admin.user_detail", user_id=u.id), numbered=False),
    Office: Naming(lambda o: o.name, lambda o: url_for("admin.offices"), numbered=False),
    Department: Naming(lambda d: d.name, lambda d: url_for("admin.offices"), numbered=False),
    TradeMode: Naming(lambda m: f"{m.code} {m.name}", lambda m: url_for("admin.reference"), numbered=False),
    NeedCategory: Naming(lambda c: c.name, lambda c: url_for("admin.reference"), numbered=False),
    PolicyTopic: Naming(lambda t: t.name, lambda t: url_for("admin.reference"), numbered=False),
    CalendarOverride: Naming(lambda o: f"{o.day} {o.name}", lambda o: url_for("workdays.calendar", year=o.day.year)),
    CertificationStandard: Naming(lambda s: s.title, lambda s: url_for("certification.standard", standard_id=s.id),
                                  numbered=False),
    StandardSection: Naming(lambda s: s.heading, lambda s: url_for("certification.standard", standard_id=s.standard_id)),
    StandardItem: Naming(lambda i: i.number, lambda i: url_for("certification.edit_item", standard_id=i.standard_id,
                                                              item_id=i.id)),
    Assessment: Naming(lambda a: a.enterprise.name, lambda a: _assessment_page(a.id),
                       options=(joinedload(Assessment.enterprise),)),
    ItemScore: Naming(lambda s: f"{s.item.number} {s.score.label}", lambda s: _assessment_item(s),
                      options=(joinedload(ItemScore.item),)),
    Evidence: Naming(lambda e: e.original_filename, lambda e: _assessment_item(e)),
    CertificationApplication: Naming(lambda a: a.enterprise.name,
                                     lambda a: url_for("certification.application", application_id=a.id),
                                     options=(joinedload(CertificationApplication.enterprise),)),
}


@cache
def _mappers() -> dict[str, Mapper]:
    """Every mapped model by its table name (what a record's entity_type holds)."""
    return {mapper.local_table.name: mapper for mapper in db.Model.registry.mappers
            if isinstance(mapper.local_table, sa.Table)}


def mapper_for(table: str) -> Mapper | None:
    return _mappers().get(table)


def kind_label(table: str) -> str:
    """"需求" for "needs"; the table name for a table no model holds any more."""
    mapper = mapper_for(table)
    label = getattr(mapper.class_, "__label__", None) if mapper else None
    return str(label) if label else table


def _field(mapper: Mapper | None, key: str):
    """The column or many-to-many relationship an audited field *key* is, or None."""
    if mapper is None:
        return None
    if key in mapper.column_attrs:
        return mapper.column_attrs[key].columns[0]
    if key in mapper.relationships:
        return mapper.relationships[key]
    return None


def field_label(mapper: Mapper | None, key: str) -> str:
    target = _field(mapper, key)
    label = target.info.get("label") if target is not None else None
    return str(label) if label else key


def _int_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= NAME_LENGTH else text[:NAME_LENGTH - 1] + "…"


@dataclass
class Change:
    """One field of a record: its name, and the old and the new value (empty lists for nothing)."""

    label: str
    old: list[Ref]
    new: list[Ref]


@dataclass
class Entry:
    """One audit record as read: who, when, what was done to which record, and its fields."""

    record: AuditRecord
    when: str
    actor: Ref
    action: str
    kind: str
    subject: Ref
    changes: list[Change] = field(default_factory=list)


class _Lookup:
    """The related rows of a page of records, loaded at once: one query per model."""

    def __init__(self):
        self.wanted: dict[Mapper, set[int]] = defaultdict(set)
        self.rows: dict[tuple[Mapper, int], Any] = {}

    def want(self, mapper: Mapper | None, ident: int | None) -> None:
        if mapper is not None and ident is not None and len(mapper.primary_key) == 1:
            self.wanted[mapper].add(ident)

    def load(self) -> None:
        for mapper, ids in self.wanted.items():
            model = mapper.class_
            key = mapper.primary_key[0]
            naming = NAMINGS.get(model, Naming())
            for row in db.session.scalars(sa.select(model).where(key.in_(sorted(ids))).options(*naming.options)):
                self.rows[(mapper, sa.inspect(row).identity[0])] = row

    def ref(self, mapper: Mapper, ident: int, fallback: str | None = None, *, numbered: bool = False) -> Ref:
        """The record as a link: "需求 #17 · 营口雅丽丝…", "张关员"; its number (or *fallback*) if it is gone.

        *numbered*: with its kind and number even if its model is known by name (a record's own subject).
        """
        model = mapper.class_
        naming = NAMINGS.get(model, Naming(name=lambda row: getattr(row, "name", None)))
        kind = kind_label(mapper.local_table.name)
        row = self.rows.get((mapper, ident))
        if row is None:
            return Ref(fallback or f"{kind} #{ident}")
        name = naming.name(row) if naming.name else None
        name = " ".join(str(name).split()) if name not in (None, "") else None
        url = naming.link(row) if naming.link else None
        if numbered or naming.numbered or not name:
            text = f"{kind} #{ident}" + (f" · {_shorten(name)}" if name else "")
            return Ref(text, url, f"{kind} #{ident} · {name}" if name and _shorten(name) != name else None)
        return Ref(name, url)


def _foreign_mapper(column: sa.Column) -> Mapper | None:
    for fk in column.foreign_keys:
        return mapper_for(fk.column.table.name)
    return None


class _Reader:
    """Turns a page of audit records into entries, in two passes: collect the rows to load, then show."""

    def __init__(self, records: list[AuditRecord]):
        self.records = records
        self.lookup = _Lookup()

    def _fields(self, record: AuditRecord) -> Iterable[tuple[str, Any, Any, Any]]:
        """(key, column or relationship, old, new) of a record's readable fields: its own number is the
        subject's, not a field."""
        mapper = mapper_for(record.entity_type)
        for key, pair in (record.changes or {}).items():
            target = _field(mapper, key)
            if isinstance(target, sa.Column) and target.primary_key:
                continue
            old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
            yield key, target, old, new

    def collect(self) -> None:
        users = mapper_for(User.__tablename__)
        for record in self.records:
            self.lookup.want(users, record.actor_id)
            self.lookup.want(mapper_for(record.entity_type), _int_id(record.entity_id))
            for _key, target, old, new in self._fields(record):
                for value in (old, new):
                    if value is None or value == REDACTED:
                        continue
                    if isinstance(target, sa.orm.RelationshipProperty) and isinstance(value, list):
                        for item in value:
                            match = ITEM_ID.search(str(item))
                            self.lookup.want(target.mapper, int(match.group(1)) if match else None)
                    elif isinstance(target, sa.Column):
                        self.lookup.want(_foreign_mapper(target), _int_id(value))
        self.lookup.load()

    def shown(self, target, value: Any) -> list[Ref]:
        if value is None:
            return []
        if value == REDACTED:
            return [Ref(_("(hidden)"))]
        if isinstance(target, sa.orm.RelationshipProperty) and isinstance(value, list):
            refs = []
            for item in value:
                match = ITEM_ID.search(str(item))
                fallback = ITEM_ID.sub("", str(item)).strip() or str(item)
                refs.append(self.lookup.ref(target.mapper, int(match.group(1)), fallback) if match else Ref(str(item)))
            return refs
        if not isinstance(target, sa.Column):
            return [Ref(_plain(value))]
        foreign = _foreign_mapper(target)
        if foreign is not None and _int_id(value) is not None:
            return [self.lookup.ref(foreign, _int_id(value))]
        kind = target.type
        if isinstance(kind, sa.Enum) and kind.enum_class is not None:
            try:
                member = kind.enum_class(value)
            except ValueError:
                return [Ref(str(value))]
            return [Ref(str(getattr(member, "label", value)))]
        if "values" in target.info:
            return [Ref(str(target.info["values"].get(value, value)))]
        if isinstance(kind, sa.Boolean) and isinstance(value, bool):
            return [Ref(_("Yes") if value else _("No"))]
        if isinstance(kind, UTCDateTime) and isinstance(value, str):
            try:
                return [Ref(local_datetime(datetime.fromisoformat(value)))]
            except ValueError:
                return [Ref(value)]
        return [Ref(_plain(value))]

    def entry(self, record: AuditRecord) -> Entry:
        mapper = mapper_for(record.entity_type)
        ident = _int_id(record.entity_id)
        if mapper is not None and ident is not None:
            subject = self.lookup.ref(mapper, ident, numbered=True)
        else:
            subject = Ref(f"{kind_label(record.entity_type)} #{record.entity_id}")
        if record.actor_id is not None:
            actor = self.lookup.ref(mapper_for(User.__tablename__), record.actor_id, record.actor_name)
        else:
            actor = Ref(_actor_name(record.actor_name))
        changes = [Change(field_label(mapper, key), self.shown(target, old), self.shown(target, new))
                   for key, target, old, new in self._fields(record)]
        return Entry(record=record, when=local_datetime(record.occurred_at), actor=actor,
                     action=str(record.action.label), kind=kind_label(record.entity_type), subject=subject,
                     changes=changes)


def _plain(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _actor_name(name: str) -> str:
    """Who acted outside a signed-in request: the system, someone not signed in, a command's user."""
    if name == "system":
        return _("System")
    if name == "anonymous":
        return _("Not signed in")
    return name


def readable(records: Iterable[AuditRecord]) -> list[Entry]:
    """The records as entries to show, with their related rows loaded in a fixed number of queries."""
    reader = _Reader(list(records))
    reader.collect()
    return [reader.entry(record) for record in reader.records]


def unlabelled(mappers: Iterable[Mapper]) -> list[str]:
    """What the trail could not name, among the audited models of *mappers*: a model without
    ``__label__``, a column or many-to-many list without ``info["label"]``, an enum without labels.
    Their tables' own numbers (primary keys) and the ignored fields need none."""
    missing = []
    for mapper in sorted(mappers, key=lambda m: m.class_.__name__):
        model = mapper.class_
        if not getattr(model, "__audited__", True) or not hasattr(model, "__table__"):
            continue
        name = model.__name__
        if not getattr(model, "__label__", None):
            missing.append(name)
        ignored = getattr(model, "__audit_ignore__", ())
        for attr in mapper.column_attrs:
            column = attr.columns[0]
            if attr.key in ignored or column.primary_key:
                continue
            if not column.info.get("label"):
                missing.append(f"{name}.{attr.key}")
            enum_class = getattr(column.type, "enum_class", None)
            if enum_class is not None:
                try:
                    [member.label for member in enum_class]
                except (AttributeError, KeyError):
                    missing.append(f"{name}.{attr.key} (values of {enum_class.__name__})")
        for rel in mapper.relationships:
            if rel.secondary is not None and not rel.viewonly and rel.key not in ignored and not rel.info.get("label"):
                missing.append(f"{name}.{rel.key}")
    return missing
