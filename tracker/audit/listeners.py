"""One mechanism for the whole app: a session listener that records every insert, update and delete.

Models opt out with ``__audited__ = False``; ``__audit_redact__`` lists fields whose values are never
written (only the fact that they changed) and ``__audit_ignore__`` fields not worth a record.

Many-to-many lists (relationships through a ``secondary`` table, such as a firm's trade modes) are
recorded in the same record as the columns of the object that holds them, as ``{name: [old, new]}``
with each side a list of "label (#id)" items, or None when empty. The label of an item is made of the
attributes its model names in ``__audit_label__`` (by default its ``name``, if it has one).
"""
import contextvars
import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Mapper, Session

from tracker.audit.models import AuditAction, AuditRecord
from tracker.extensions import db
from tracker.types import utcnow

REDACTED = "[redacted]"
# An item's label is cut to this length: the id says which one it is, the label only reminds of it.
LABEL_LENGTH = 60

# The actor outside a request (CLI commands): (user id or None, label).
cli_actor: contextvars.ContextVar[tuple[int | None, str]] = contextvars.ContextVar(
    "cli_actor", default=(None, "system")
)


def current_actor() -> tuple[int | None, str, str | None]:
    if has_request_context():
        actor = g.get("actor")
        if actor is not None:
            return actor[0], actor[1], request.remote_addr
        return None, "anonymous", request.remote_addr
    actor_id, label = cli_actor.get()
    return actor_id, label, None


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return str(value)


def _audited(obj: Any) -> bool:
    return getattr(obj, "__audited__", True) and hasattr(obj, "__table__")


def _entity_id(obj: Any) -> str:
    # After a flush new objects have their keys but not yet an identity: read the keys off the row.
    state = sa.inspect(obj)
    keys = state.mapper.primary_key_from_instance(obj)
    return ",".join(str(part) for part in keys)


def _value(obj: Any, key: str, value: Any) -> Any:
    return REDACTED if key in getattr(obj, "__audit_redact__", ()) else _json_value(value)


def _item_label(item: Any) -> str:
    """"0110 一般贸易 (#3)": what the item is called, and which record it is."""
    mapper = sa.inspect(item).mapper
    names = getattr(item, "__audit_label__", ("name",) if "name" in mapper.column_attrs else ())
    label = " ".join(str(part) for part in (getattr(item, name) for name in names) if part not in (None, ""))
    label = " ".join(label.split())
    if len(label) > LABEL_LENGTH:
        label = label[:LABEL_LENGTH - 1] + "…"
    ident = f"#{_entity_id(item)}"
    return f"{label} ({ident})" if label else ident


def _items(items) -> list[str] | None:
    """The items of one side of a list change, in a stable order (by primary key); None when empty."""
    ordered = sorted(items, key=lambda item: sa.inspect(item).mapper.primary_key_from_instance(item))
    return [_item_label(item) for item in ordered] or None


def _collections(obj: Any):
    """The many-to-many lists of an audited object, with their history since the last flush."""
    state = sa.inspect(obj)
    ignored = getattr(obj, "__audit_ignore__", ())
    for rel in state.mapper.relationships:
        if rel.secondary is None or rel.viewonly or rel.key in ignored:
            continue
        # Never loads: a list that was neither read nor changed has no history to tell.
        yield rel.key, state.attrs[rel.key].history


def _snapshot(obj: Any, *, as_new: bool) -> dict[str, list[Any]]:
    state = sa.inspect(obj)
    ignored = getattr(obj, "__audit_ignore__", ())
    changes = {}
    for attr in state.mapper.column_attrs:
        if attr.key in ignored:
            continue
        value = state.dict.get(attr.key)
        if value is None:
            continue
        shown = _value(obj, attr.key, value)
        changes[attr.key] = [None, shown] if as_new else [shown, None]
    for key, history in _collections(obj):
        items = _items(history.non_deleted() if as_new else history.non_added())
        if items is not None:
            changes[key] = [None, items] if as_new else [items, None]
    return changes


def _diff(obj: Any) -> dict[str, list[Any]]:
    state = sa.inspect(obj)
    ignored = getattr(obj, "__audit_ignore__", ())
    changes = {}
    for attr in state.mapper.column_attrs:
        if attr.key in ignored:
            continue
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        changes[attr.key] = [_value(obj, attr.key, old), _value(obj, attr.key, new)]
    for key, history in _collections(obj):
        if history.added or history.deleted:
            old, new = _items(history.non_added()), _items(history.non_deleted())
            if old != new:
                changes[key] = [old, new]
    return changes


def audit_rows(changes: list[tuple[str, Any, AuditAction, dict]]) -> list[dict]:
    """The audit_records rows (dicts of their columns) for (entity type, entity id, action, changes)."""
    actor_id, actor_name, ip = current_actor()
    now = utcnow()
    return [
        {"occurred_at": now, "actor_id": actor_id, "actor_name": actor_name[:100], "ip_address": ip,
         "action": action, "entity_type": entity_type, "entity_id": str(entity_id), "changes": diff}
        for entity_type, entity_id, action, diff in changes
    ]


def write_audit_rows(session: Session, changes: list[tuple[str, Any, AuditAction, dict]]) -> None:
    """Write audit records for (entity type, entity id, action, {field: [old, new]}) in the session's transaction.

    The flush listener uses it for ORM changes; bulk operations (imports) call it for the rows they
    write with Core statements, so the trail has one shape whichever way a record changed.
    """
    if not changes:
        return
    rows = audit_rows(changes)
    # Core insert on the session's own connection: same transaction, no re-entrant flush.
    connection = session.connection()
    for start in range(0, len(rows), 1000):
        connection.execute(sa.insert(AuditRecord.__table__), rows[start:start + 1000])


def _after_flush(session: Session, flush_context) -> None:
    changes = []
    for obj in session.new:
        if _audited(obj):
            changes.append((obj.__tablename__, _entity_id(obj), AuditAction.INSERT, _snapshot(obj, as_new=True)))
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj):
            diff = _diff(obj)
            if diff:
                changes.append((obj.__tablename__, _entity_id(obj), AuditAction.UPDATE, diff))
    # session.deleted lacks the orphans a flush deletes (a measure removed from its plan, a visit's replaced
    # attendees): the flush's own list has every row it deleted.
    deleted = [state.obj() for state, (is_delete, _) in flush_context.states.items() if is_delete]
    for obj in deleted:
        if obj is not None and _audited(obj):
            changes.append((obj.__tablename__, _entity_id(obj), AuditAction.DELETE, _snapshot(obj, as_new=False)))
    write_audit_rows(session, changes)


def _load_old_values(mapper: Mapper, cls: type) -> None:
    """Make column attributes load their old value on set, so an update records what it replaced."""
    if not getattr(cls, "__audited__", True):
        return
    for attr in mapper.column_attrs:
        instrumented = getattr(cls, attr.key)
        if not event.contains(instrumented, "set", _noop):
            event.listen(instrumented, "set", _noop, active_history=True)


def _noop(target, value, oldvalue, initiator):
    return value


def register_audit_listeners() -> None:
    """Idempotent: the factory may run many times in one process (tests)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
    for mapper in db.Model.registry.mappers:
        _load_old_values(mapper, mapper.class_)
