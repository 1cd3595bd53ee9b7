"""Fast point reads of one product, without the ORM or a transaction."""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from catalog_api.errors import DatabaseBusyError
from catalog_api.models import JSON_COLUMNS, Product, ProductStatus
from catalog_api.repositories.pg_pool import CONNECTION_LOST, InterfaceError, open_pool
from catalog_api.schemas import ProductOut
from catalog_api.variants.models import ProductVariant
from catalog_api.variants.schemas import OptionOut, VariantOut

logger = logging.getLogger(__name__)

PRODUCTS: Table = Product.__table__  # type: ignore[assignment]
VARIANTS: Table = ProductVariant.__table__  # type: ignore[assignment]
_VARIANT_PREFIX = "variant__"
# Only what the response shows: the analysed search columns are as long as the text itself.
_PRODUCT_COLUMNS = [c.name for c in PRODUCTS.columns if c.name in ProductOut.model_fields]
_VARIANT_COLUMNS = [c.name for c in VARIANTS.columns if c.name in VariantOut.model_fields]
_VARIANT_LABELS = [(f"{_VARIANT_PREFIX}{name}", name) for name in _VARIANT_COLUMNS]
# One statement reads the product with its variants, so both come from one snapshot.
_COLUMNS = ", ".join(
    [f"p.{name}" for name in _PRODUCT_COLUMNS]
    + [f"v.{name} AS {label}" for label, name in _VARIANT_LABELS]
)


def _lookup(column: str, placeholder: str) -> str:
    return (
        f"SELECT {_COLUMNS} FROM products p "  # noqa: S608 - fixed names
        f"LEFT JOIN product_variants v ON v.product_id = p.id WHERE p.{column} = {placeholder} "
        "ORDER BY v.position, v.id"
    )


_SQLITE_LOOKUPS = {column: _lookup(column, "?") for column in ("id", "slug")}
_POSTGRES_LOOKUPS = {column: _lookup(column, "$1") for column in ("id", "slug")}


def _utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def _variant_from_row(row: Any) -> VariantOut:
    values = {name: row[label] for label, name in _VARIANT_LABELS}
    if isinstance(values["option_values"], str):
        values["option_values"] = json.loads(values["option_values"])
    values["updated_at"] = _utc(values["updated_at"])
    return VariantOut.model_construct(**values)


def product_from_rows(rows: Sequence[Any]) -> ProductOut | None:
    """Build the response model from a product's rows joined with its variants.

    Rows are read by column name: sqlite3.Row, asyncpg Record or SQLAlchemy RowMapping.
    """
    if not rows:
        return None
    first = rows[0]
    values = {name: first[name] for name in _PRODUCT_COLUMNS}
    values["variants"] = [
        _variant_from_row(row) for row in rows if row[f"{_VARIANT_PREFIX}id"] is not None
    ]
    return product_from_row(values)


def product_from_row(row: Mapping[str, Any]) -> ProductOut:
    """Build the response model from a raw row; the row comes from our own table."""
    values = dict(row)
    # Every field given: model_construct inspects a default_factory's signature on each call.
    values.setdefault("variants", [])
    for name in JSON_COLUMNS:
        if isinstance(values[name], str):
            values[name] = json.loads(values[name])
    values["options"] = [OptionOut.model_construct(**option) for option in values["options"]]
    values["status"] = ProductStatus(values["status"])
    values["created_at"] = _utc(values["created_at"])
    values["updated_at"] = _utc(values["updated_at"])
    return ProductOut.model_construct(**values)


def _sqlite_file(database: str | None) -> str | None:
    """Return the path of a SQLite file database, or None for an in-memory one."""
    if not database or database == ":memory:":
        return None
    return database if database.startswith("file:") else str(Path(database).expanduser())


class ProductReader:
    """Read single products without an ORM session or a transaction.

    SQLite: one synchronous connection on the event loop (an indexed lookup takes
    microseconds, far less than a hop to a worker thread). PostgreSQL: an asyncpg pool of its
    own with the statement prepared once per connection. Elsewhere: the engine, through Core.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        sqlite_path: str | None = None,
        pool: Any = None,
        acquire_timeout: float = 3.0,
    ) -> None:
        self.engine = engine
        self.pool = pool
        self.acquire_timeout = acquire_timeout
        self.connection: sqlite3.Connection | None = None
        if sqlite_path is not None:
            self.connection = sqlite3.connect(
                sqlite_path, check_same_thread=False, isolation_level=None
            )
            self.connection.row_factory = sqlite3.Row
            self.connection.execute("PRAGMA query_only=ON")
            self.connection.execute("PRAGMA busy_timeout=1000")

    @classmethod
    async def open(
        cls, engine: AsyncEngine, *, pool_size: int, acquire_timeout: float
    ) -> ProductReader:
        """Create the reader that suits the engine's database (pool_size: PostgreSQL only)."""
        url = make_url(engine.url)
        sqlite_path = _sqlite_file(url.database) if url.get_backend_name() == "sqlite" else None
        if sqlite_path is not None:
            return cls(engine, sqlite_path=sqlite_path)
        if url.get_backend_name() == "postgresql" and url.get_driver_name() == "asyncpg":
            pool = await open_pool(engine, pool_size)
            return cls(engine, pool=pool, acquire_timeout=acquire_timeout)
        return cls(engine)

    async def close(self) -> None:
        """Close the synchronous connection or the pool."""
        if self.connection is not None:
            self.connection.close()
        if self.pool is not None:
            await self.pool.close()

    async def get(self, product_id: int) -> ProductOut | None:
        """Return the product with this id."""
        return await self._one("id", product_id)

    async def get_by_slug(self, slug: str) -> ProductOut | None:
        """Return the product with this slug."""
        return await self._one("slug", slug)

    async def _one(self, column: str, value: Any) -> ProductOut | None:
        if self.connection is not None:
            rows = self.connection.execute(_SQLITE_LOOKUPS[column], (value,)).fetchall()
            return product_from_rows(rows)
        if self.pool is not None:
            return product_from_rows(await self._postgres_rows(column, value))
        variants = VARIANTS.alias("v")
        stmt = (
            select(
                *(PRODUCTS.c[name] for name in _PRODUCT_COLUMNS),
                *(variants.c[name].label(label) for label, name in _VARIANT_LABELS),
            )
            .select_from(PRODUCTS.outerjoin(variants, variants.c.product_id == PRODUCTS.c.id))
            .where(PRODUCTS.c[column] == value)
            .order_by(variants.c.position, variants.c.id)
        )
        async with self.engine.connect() as connection:
            mappings = (await connection.execute(stmt)).mappings().all()
        return product_from_rows(mappings)

    async def _postgres_rows(self, column: str, value: Any) -> list[Any]:
        sql = _POSTGRES_LOOKUPS[column]
        for attempt in (1, 2):
            try:
                connection = await self.pool.acquire(timeout=self.acquire_timeout)
            except TimeoutError:
                raise DatabaseBusyError(
                    "Every connection for reads by id or slug stayed busy for the whole pool "
                    "wait. Retry after the Retry-After delay."
                ) from None
            try:
                records: list[Any] = await connection.fetch(sql, value)
                return records
            except CONNECTION_LOST:
                # A restart or failover drops every pooled connection: replace them all, and
                # read again (a read is safe to repeat) on a fresh one.
                # A connection closed mid-statement is already back in the pool, detached.
                with contextlib.suppress(InterfaceError):
                    connection.terminate()
                await self.pool.expire_connections()
                if attempt == 2:
                    raise
                logger.warning("pooled connections for point reads were lost; reading again")
            finally:
                await self.pool.release(connection)
        raise AssertionError("unreachable")
