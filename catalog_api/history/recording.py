"""Record product changes from the ORM's flushes, written in the transaction that makes them.

after_flush sees each flushed product and variant with its attribute history (old and new
values), so the changes of every flush of a transaction are gathered per product in
session.info; before_commit writes one product_changes row per product changed, so a change
and its record commit together or not at all. Core bulk inserts (the importer) bypass the ORM
and add their records with record().
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, event, insert, literal_column
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction, attributes

from catalog_api.history.context import ACTION_INFO, REVERTS_INFO, actor_of
from catalog_api.history.models import ChangeAction, ProductChange
from catalog_api.models import Product, utcnow
from catalog_api.variants.models import ProductVariant

PENDING_INFO = "catalog_history_pending"
_UNTRACKED = {"id", "version", "created_at", "updated_at"}
PRODUCT_FIELDS = tuple(
    attr.key
    for attr in Product.__mapper__.column_attrs
    if attr.key not in _UNTRACKED and not attr.key.startswith("search_")
)
VARIANT_FIELDS = (
    "position",
    "option_values",
    "price_minor",
    "compare_at_price_minor",
    "stock_quantity",
    "barcode",
    "weight_grams",
)
VARIANT_PREFIX = "variants."
CHANGES = cast(Table, ProductChange.__table__)
_PG_XID = "pg_current_xact_id()::text::bigint"
# From this many records a transaction's history goes in by COPY on PostgreSQL (an import's).
COPY_ROWS = 50

Changes = dict[str, list[Any]]
_NOT_JSON = (enum.Enum, datetime)


def plain(value: Any) -> Any:
    """Return a value as it is stored in the changes document (JSON)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def product_snapshot(product: Product) -> dict[str, Any]:
    """Return every recorded field of a product (and when it was created)."""
    snapshot = {name: plain(getattr(product, name)) for name in PRODUCT_FIELDS}
    snapshot["created_at"] = plain(product.created_at)
    return snapshot


def variant_snapshot(variant: ProductVariant | Mapping[str, Any]) -> dict[str, Any]:
    """Return every recorded field of a variant (its SKU is the key it is stored under)."""
    if isinstance(variant, ProductVariant):
        return {name: plain(getattr(variant, name)) for name in VARIANT_FIELDS}
    return {name: plain(variant.get(name)) for name in VARIANT_FIELDS}


def _pending(session: Session) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = session.info.setdefault(PENDING_INFO, {})
    return found


def record(session: Session, product_id: int, changes: Changes, action: str | None) -> None:
    """Add changes to one product to what the session's transaction records at commit."""
    if not changes:
        return
    entry = _pending(session).setdefault(product_id, {"action": None, "changes": {}})
    # A create or delete names the whole change; a variant's change does not override it.
    if action is not None and (entry["action"] is None or action != ChangeAction.UPDATE):
        entry["action"] = action
    merged: Changes = entry["changes"]
    for key, (old, new) in changes.items():
        if key in merged:
            merged[key][1] = new
        else:
            merged[key] = [old, new]
        if merged[key][0] == merged[key][1]:
            del merged[key]


def record_imported(
    session: Session,
    rows: Sequence[Mapping[str, Any]],
    ids: Mapping[str, int],
    skus: Mapping[str, str],
) -> None:
    """Record products inserted in bulk (rows of column values) with their single variant."""
    pending = _pending(session)
    for row in rows:
        # Import rows hold JSON values already (model_dump(mode="json")), but for the status
        # (an enum) and times: only those need plain().
        created: Changes = {
            name: [None, plain(value) if isinstance(value, _NOT_JSON) else value]
            for name in PRODUCT_FIELDS
            for value in (row.get(name),)
            if value is not None  # record() drops a [None, None] pair too
        }
        created["created_at"] = [None, plain(row["created_at"])]
        variant = {"position": 0, "option_values": {}, **row}
        created[VARIANT_PREFIX + skus[row["slug"]]] = [None, variant_snapshot(variant)]
        product_id = ids[row["slug"]]
        if product_id in pending:
            record(session, product_id, created, ChangeAction.CREATE)
        else:
            pending[product_id] = {"action": ChangeAction.CREATE, "changes": created}


def _diff(obj: Any, fields: tuple[str, ...], prefix: str = "") -> Changes:
    changes: Changes = {}
    for name in fields:
        history = attributes.get_history(obj, name)
        if not history.added:
            continue
        old = plain(history.deleted[0]) if history.deleted else None
        new = plain(history.added[0])
        if old != new:
            changes[prefix + name] = [old, new]
    return changes


def _deleted(context: UOWTransaction) -> list[Any]:
    """Return what the flush deleted, orphans (variants dropped from a product) included."""
    # session.deleted lists only explicit deletes; the flush finds orphans itself.
    return [
        state.obj()
        for state, (is_delete, list_only) in context.states.items()
        if is_delete and not list_only and state.obj() is not None
    ]


def _after_flush(session: Session, context: UOWTransaction) -> None:
    for obj in session.new:
        if isinstance(obj, Product):
            created = {k: [None, v] for k, v in product_snapshot(obj).items()}
            record(session, obj.id, created, ChangeAction.CREATE)
        elif isinstance(obj, ProductVariant):
            key = VARIANT_PREFIX + obj.sku
            record(session, obj.product_id, {key: [None, variant_snapshot(obj)]}, None)
    for obj in _deleted(context):
        if isinstance(obj, Product):
            gone: Changes = {k: [v, None] for k, v in product_snapshot(obj).items()}
            for variant in obj.__dict__.get("variants", []):
                gone[VARIANT_PREFIX + variant.sku] = [variant_snapshot(variant), None]
            record(session, obj.id, gone, ChangeAction.DELETE)
        elif isinstance(obj, ProductVariant):
            key = VARIANT_PREFIX + obj.sku
            record(session, obj.product_id, {key: [variant_snapshot(obj), None]}, None)
    for obj in session.dirty:
        if isinstance(obj, Product):
            record(session, obj.id, _diff(obj, PRODUCT_FIELDS), None)
        elif isinstance(obj, ProductVariant):
            prefix = f"{VARIANT_PREFIX}{obj.sku}."
            record(session, obj.product_id, _diff(obj, VARIANT_FIELDS, prefix), None)


def _is_stock_only(changes: Mapping[str, Any]) -> bool:
    return all(key == "stock_quantity" or key.endswith(".stock_quantity") for key in changes)


def _before_commit(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()
    pending: dict[int, dict[str, Any]] | None = session.info.pop(PENDING_INFO, None)
    if not pending:
        return
    actor, request_id = actor_of(session)
    hint: str | None = session.info.get(ACTION_INFO)
    reverts: int | None = session.info.get(REVERTS_INFO)
    now = utcnow()
    rows = []
    for product_id, entry in pending.items():
        changes: Changes = entry["changes"]
        if not changes:
            continue
        action = hint or entry["action"] or ChangeAction.UPDATE
        if action == ChangeAction.UPDATE and _is_stock_only(changes):
            action = ChangeAction.STOCK
        rows.append(
            {
                "product_id": product_id,
                "action": str(action),
                "actor": actor,
                "request_id": request_id,
                "at": now,
                "changes": changes,
                "reverts": reverts,
            }
        )
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql" and len(rows) >= COPY_ROWS:
        # Here, not at the top: catalog_api.db installs this module's events when imported.
        from catalog_api.repositories.pg_copy import copy_changes

        copy_changes(connection, rows)
        return
    statement = insert(CHANGES)
    if connection.dialect.name == "postgresql":
        # The feed orders by it: see catalog_api/history/repository.py.
        statement = statement.values(xid=literal_column(_PG_XID))
    else:
        rows = [{**row, "xid": 0} for row in rows]
    connection.execute(statement, rows)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        for key in (PENDING_INFO, ACTION_INFO, REVERTS_INFO):
            session.info.pop(key, None)


def install(session_class: type[Session]) -> None:
    """Record the changes of every session of this class."""
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "after_flush", _after_flush)
        event.listen(session_class, "before_commit", _before_commit)
        event.listen(session_class, "after_transaction_end", _after_transaction_end)
