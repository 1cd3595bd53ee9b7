"""Bulk product inserts: COPY on PostgreSQL; on SQLite one executemany, indexed once per batch."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from catalog_api.db import json_dumps
from catalog_api.models import JSON_COLUMNS, Product
from catalog_api.repositories.pg_copy import copy_products
from catalog_api.search.documents import missing_search_fields

_PRODUCTS = cast(Table, Product.__table__)
_INSERT_COLUMNS = [c.name for c in _PRODUCTS.columns if c.name != "id"]
_SQLITE_INSERT = (
    f"INSERT INTO products ({', '.join(_INSERT_COLUMNS)}) "  # noqa: S608 - fixed names
    f"VALUES ({', '.join('?' for _ in _INSERT_COLUMNS)})"
)
# What the insert triggers write row by row, written for a whole batch (migration 0017).
_SQLITE_BATCH_INDEXING = (
    "INSERT INTO products_search(rowid, search_title, search_labels, search_body) "
    "SELECT id, search_title, search_labels, search_body FROM products WHERE id > ?",
    "INSERT INTO products_title_search(rowid, search_title) "
    "SELECT id, search_title FROM products WHERE id > ?",
    "INSERT INTO product_attribute_values (key, value, product_id) "
    "SELECT DISTINCT each.key, each.value, products.id "
    "FROM products, json_each(products.attributes) AS each "
    "WHERE products.id > ? AND each.type = 'text'",
)


def _sqlite_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_status(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


# How each column's value is stored on SQLite, as SQLAlchemy would (None: as it is).
_SQLITE_ENCODERS: list[Callable[[Any], Any] | None] = [
    json_dumps
    if column in JSON_COLUMNS
    else _sqlite_time
    if column in ("created_at", "updated_at")
    else _sqlite_status
    if column == "status"
    else None
    for column in _INSERT_COLUMNS
]


def _sqlite_params(row: dict[str, Any]) -> tuple[Any, ...]:
    """Encode a row as SQLAlchemy would store it on SQLite."""
    return tuple(
        row[column] if encode is None else encode(row[column])
        for column, encode in zip(_INSERT_COLUMNS, _SQLITE_ENCODERS, strict=True)
    )


async def insert_products(
    connection: AsyncConnection, rows: Sequence[dict[str, Any]]
) -> list[int] | None:
    """Insert product rows (with their search fields added) in the connection's transaction.

    Returns the new ids in row order on PostgreSQL (known before its COPY); None on SQLite.
    """
    if connection.dialect.name != "sqlite":
        return await copy_products(connection, rows)
    full_rows = [
        {"brand": None, "options": [], **row, **missing_search_fields(row)} for row in rows
    ]
    result = await connection.exec_driver_sql("SELECT coalesce(max(id), 0) FROM products")
    # AUTOINCREMENT ids: every new row's id is above the largest one before the insert.
    last_id = result.scalar_one()
    # The marker row lives only inside this transaction: other writers never see it.
    await connection.exec_driver_sql("INSERT INTO deferred_product_indexing VALUES (1)")
    try:
        # Plain tuples straight to the driver: SQLAlchemy's per-value bind processing
        # costs more than SQLite's own insert work (bench/RESULTS.md, import).
        await connection.exec_driver_sql(_SQLITE_INSERT, [_sqlite_params(r) for r in full_rows])
    finally:
        # Also after a failed executemany: the rows it wrote before failing stay.
        for statement in _SQLITE_BATCH_INDEXING:
            await connection.exec_driver_sql(statement, (last_id,))
        await connection.exec_driver_sql("DELETE FROM deferred_product_indexing")
    return None
