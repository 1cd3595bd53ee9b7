"""Fast point reads of one product, without the ORM or a transaction."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from catalog_api.models import JSON_COLUMNS, Product, ProductStatus
from catalog_api.schemas import ProductOut

_COLUMNS = ", ".join(c.name for c in Product.__table__.columns)
_SQLITE_LOOKUPS = {
    column: f"SELECT {_COLUMNS} FROM products WHERE {column} = ?"  # noqa: S608 - fixed names
    for column in ("id", "slug")
}


def _utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def product_from_row(row: dict[str, Any]) -> ProductOut:
    """Build the response model from a raw row; the row comes from our own table."""
    values = dict(row)
    for name in JSON_COLUMNS:
        if isinstance(values[name], str):
            values[name] = json.loads(values[name])
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
            row = self.connection.execute(_SQLITE_LOOKUPS[column], (value,)).fetchone()
            return None if row is None else product_from_row(dict(row))
        stmt = select(Product.__table__).where(Product.__table__.c[column] == value)
        async with self.engine.connect() as connection:
            mapping = (await connection.execute(stmt)).mappings().first()
        return None if mapping is None else product_from_row(dict(mapping))
