"""Fast point reads of one product, without the ORM or a transaction."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from catalog_api.models import JSON_COLUMNS, Product, ProductStatus
from catalog_api.schemas import ProductOut
from catalog_api.variants.models import ProductVariant
from catalog_api.variants.schemas import OptionOut, VariantOut

PRODUCTS: Table = Product.__table__  # type: ignore[assignment]
VARIANTS: Table = ProductVariant.__table__  # type: ignore[assignment]
_VARIANT_PREFIX = "variant__"
# One statement reads the product with its variants, so both come from one snapshot.
_COLUMNS = ", ".join(
    [f"p.{c.name}" for c in PRODUCTS.columns]
    + [f"v.{c.name} AS {_VARIANT_PREFIX}{c.name}" for c in VARIANTS.columns]
)
_SQLITE_LOOKUPS = {
    column: f"SELECT {_COLUMNS} FROM products p "  # noqa: S608 - fixed names
    f"LEFT JOIN product_variants v ON v.product_id = p.id WHERE p.{column} = ? "
    "ORDER BY v.position, v.id"
    for column in ("id", "slug")
}


def _utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def _variant_from_row(row: dict[str, Any]) -> VariantOut:
    values = {
        name[len(_VARIANT_PREFIX) :]: value
        for name, value in row.items()
        if name.startswith(_VARIANT_PREFIX)
    }
    if isinstance(values["option_values"], str):
        values["option_values"] = json.loads(values["option_values"])
    values["updated_at"] = _utc(values["updated_at"])
    return VariantOut.model_construct(**values)


def product_from_rows(rows: list[dict[str, Any]]) -> ProductOut | None:
    """Build the response model from a product's rows joined with its variants."""
    if not rows:
        return None
    product = product_from_row({k: v for k, v in rows[0].items() if k in PRODUCTS.columns})
    product.variants = [
        _variant_from_row(row) for row in rows if row[f"{_VARIANT_PREFIX}id"] is not None
    ]
    return product


def product_from_row(row: dict[str, Any]) -> ProductOut:
    """Build the response model from a raw row; the row comes from our own table."""
    values = dict(row)
    for name in JSON_COLUMNS:
        if isinstance(values[name], str):
            values[name] = json.loads(values[name])
    values["options"] = [OptionOut.model_construct(**option) for option in values["options"]]
    values["status"] = ProductStatus(values["status"])
    values["created_at"] = _utc(values["created_at"])
    values["updated_at"] = _utc(values["updated_at"])
    return ProductOut.model_construct(**values)


class ProductReader:
    """Read single products: on SQLite through one synchronous connection on the event loop
    (an indexed lookup takes microseconds, far less than a hop to a worker thread), elsewhere
    through the async engine without an ORM session."""

    def __init__(self, engine: AsyncEngine, sqlite_path: str | None) -> None:
        self.engine = engine
        self.connection: sqlite3.Connection | None = None
        if sqlite_path is not None:
            self.connection = sqlite3.connect(
                sqlite_path, check_same_thread=False, isolation_level=None
            )
            self.connection.row_factory = sqlite3.Row
            self.connection.execute("PRAGMA query_only=ON")
            self.connection.execute("PRAGMA busy_timeout=1000")

    @classmethod
    def for_engine(cls, engine: AsyncEngine) -> ProductReader:
        """Create the reader that suits the engine's database."""
        url = make_url(engine.url)
        database = url.database
        if url.get_backend_name() == "sqlite" and database and database != ":memory:":
            if not database.startswith("file:"):
                database = str(Path(database).expanduser())
            return cls(engine, database)
        return cls(engine, None)

    def close(self) -> None:
        """Close the synchronous connection."""
        if self.connection is not None:
            self.connection.close()

    async def get(self, product_id: int) -> ProductOut | None:
        """Return the product with this id."""
        return await self._one("id", product_id)

    async def get_by_slug(self, slug: str) -> ProductOut | None:
        """Return the product with this slug."""
        return await self._one("slug", slug)

    async def _one(self, column: str, value: Any) -> ProductOut | None:
        if self.connection is not None:
            rows = self.connection.execute(_SQLITE_LOOKUPS[column], (value,)).fetchall()
            return product_from_rows([dict(row) for row in rows])
        variants = VARIANTS.alias("v")
        stmt = (
            select(
                *PRODUCTS.columns,
                *(c.label(f"{_VARIANT_PREFIX}{c.name}") for c in variants.columns),
            )
            .select_from(PRODUCTS.outerjoin(variants, variants.c.product_id == PRODUCTS.c.id))
            .where(PRODUCTS.c[column] == value)
            .order_by(variants.c.position, variants.c.id)
        )
        async with self.engine.connect() as connection:
            mappings = (await connection.execute(stmt)).mappings().all()
        return product_from_rows([dict(m) for m in mappings])
