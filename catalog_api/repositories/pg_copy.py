"""PostgreSQL bulk writes of an import: binary COPY (asyncpg) inside the caller's transaction."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, cast

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import Connection, Table, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.util import await_only

from catalog_api.db import json_dumps
from catalog_api.models import JSON_COLUMNS, Product
from catalog_api.search.documents import missing_search_fields

_PRODUCTS = cast(Table, Product.__table__)
PRODUCT_COLUMNS = [c.name for c in _PRODUCTS.columns]
VARIANT_COLUMNS = [
    "product_id",
    "sku",
    "position",
    "option_values",
    "price_minor",
    "stock_quantity",
    "created_at",
    "updated_at",
    "version",
]
CHANGE_COLUMNS = ["product_id", "action", "actor", "request_id", "at", "xid", "changes", "reverts"]
# Ids taken ahead from the serial's sequence: the COPY writes them, so no look-up by slug.
_NEXT_IDS = text("SELECT nextval('products_id_seq') FROM generate_series(1, :n)")
_XID = text("SELECT pg_current_xact_id()::text::bigint")
_EMPTY_OBJECT = "{}"  # a default variant's option_values, as jsonb text


def _status(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


# How each products column is sent (None: as it is); JSON as text, as SQLAlchemy's jsonb
# codec for asyncpg takes it.
_ENCODERS: list[Callable[[Any], Any] | None] = [
    json_dumps if column in JSON_COLUMNS else _status if column == "status" else None
    for column in PRODUCT_COLUMNS
]


class _Interrupted(Exception):  # noqa: N818 - it carries a KeyboardInterrupt
    """Ctrl-C while a COPY's rows were being made (asyncpg ends a COPY cleanly on Exception)."""


def _product_records(
    rows: Sequence[Mapping[str, Any]], ids: Sequence[int]
) -> Iterator[tuple[Any, ...]]:
    """Yield each row as a COPY record; lazily, so the server indexes a chunk meanwhile."""
    try:
        for product_id, row in zip(ids, rows, strict=True):
            fields = missing_search_fields(row)
            full = {"brand": None, "options": [], **row, **fields, "id": product_id}
            yield tuple(
                full[column] if encode is None else encode(full[column])
                for column, encode in zip(PRODUCT_COLUMNS, _ENCODERS, strict=True)
            )
    except KeyboardInterrupt as interrupt:
        # Left to asyncpg as it is, it would leave the connection inside the COPY, and the
        # rollback that follows would fail instead of the import stopping.
        raise _Interrupted from interrupt


async def _driver(connection: AsyncConnection) -> Any:
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None  # a checked-out connection
    return driver


async def _copy(
    driver: Any, table: str, records: Iterable[tuple[Any, ...]], columns: list[str]
) -> None:
    try:
        await driver.copy_records_to_table(table, records=records, columns=columns)
    except asyncpg.UniqueViolationError as error:
        # As an INSERT's would be: the importer writes the batch again (a slug or SKU race).
        raise IntegrityError(f"COPY {table}", None, error) from error
    except _Interrupted as interrupted:
        raise KeyboardInterrupt from interrupted.__cause__


async def copy_products(
    connection: AsyncConnection, rows: Sequence[Mapping[str, Any]]
) -> list[int]:
    """COPY the rows (search fields added) into products; return their ids, in row order."""
    result = await connection.execute(_NEXT_IDS, {"n": len(rows)})
    ids = list(result.scalars())
    await _copy(await _driver(connection), "products", _product_records(rows, ids), PRODUCT_COLUMNS)
    return ids


async def copy_default_variants(
    connection: AsyncConnection,
    rows: Sequence[Mapping[str, Any]],
    ids: Sequence[int],
    skus: Mapping[str, str],
) -> None:
    """COPY each new product's one variant: its SKU, the product's price, stock and times."""
    records = [
        (
            product_id,
            skus[row["slug"]],
            0,
            _EMPTY_OBJECT,
            row["price_minor"],
            row["stock_quantity"],
            row["created_at"],
            row["updated_at"],
            1,
        )
        for product_id, row in zip(ids, rows, strict=True)
    ]
    await _copy(await _driver(connection), "product_variants", records, VARIANT_COLUMNS)


def copy_changes(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """COPY change-history rows under the transaction's id (sync: from a session event)."""
    xid = connection.execute(_XID).scalar_one()
    records = [
        (
            row["product_id"],
            row["action"],
            row["actor"],
            row["request_id"],
            row["at"],
            xid,
            json_dumps(row["changes"]),
            row["reverts"],
        )
        for row in rows
    ]
    driver = connection.connection.driver_connection
    await_only(_copy(driver, "product_changes", records, CHANGE_COLUMNS))
