"""What an import compares a row with: a product's own columns and its variants' prices."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import JSON, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_api.db import json_loads
from catalog_api.models import Product, ProductStatus
from catalog_api.variants.models import ProductVariant

_PRODUCTS = cast(Table, Product.__table__)
_VARIANTS = cast(Table, ProductVariant.__table__)
_VARIANT_COLUMNS = ("position", "option_values", "price_minor", "stock_quantity")
_STATUSES = {status.value: status for status in ProductStatus}
_MAPPED_BYTES = 16 << 30
_SLUGS_PER_READ = 5000
# Columns SQLite hands back as JSON text.
_JSON_COLUMNS = frozenset(
    name for name, column in _PRODUCTS.c.items() if isinstance(column.type, JSON)
)


@dataclass(slots=True)
class StoredProduct:
    """A product's columns as the ORM would load them, and (position, options, price, stock)."""

    columns: Mapping[str, Any]
    variants: list[tuple[Any, ...]] = field(default_factory=list)

    def plain_variant(self) -> tuple[Any, Any] | None:
        """Return (price, stock) of a product without options and with one agreeing variant."""
        if len(self.variants) != 1:
            return None
        position, option_values, price, stock = self.variants[0]
        columns = self.columns
        if position != 0 or option_values or columns["options"]:
            return None
        if columns["price_minor"] != price or columns["stock_quantity"] != stock:
            return None
        return price, stock


async def stored_products(
    session: AsyncSession, slugs: Sequence[str], columns: Sequence[str]
) -> dict[str, StoredProduct]:
    """Return the named columns and the variants of the products with these slugs."""
    names = list(dict.fromkeys(["id", "slug", *columns]))
    read = _sqlite_rows if session.get_bind().dialect.name == "sqlite" else _rows
    found: dict[int, StoredProduct] = {}
    # Each slug is a bound parameter: asyncpg takes at most 32,767, SQLite 32,766 by default.
    for start in range(0, len(slugs), _SLUGS_PER_READ):
        found.update(await read(session, slugs[start : start + _SLUGS_PER_READ], names))
    return {stored.columns["slug"]: stored for stored in found.values()}


async def _rows(
    session: AsyncSession, slugs: Sequence[str], names: list[str]
) -> dict[int, StoredProduct]:
    """Read the products and their variants through SQLAlchemy's typed results."""
    found: dict[int, StoredProduct] = {}
    result = await session.execute(
        select(*(_PRODUCTS.c[name] for name in names)).where(_PRODUCTS.c.slug.in_(slugs))
    )
    for row in result:
        found[row[0]] = StoredProduct(dict(zip(names, row, strict=True)))
    if found:
        variant_rows = await session.execute(
            select(_VARIANTS.c.product_id, *(_VARIANTS.c[name] for name in _VARIANT_COLUMNS))
            .where(_VARIANTS.c.product_id.in_(list(found)))
            .order_by(_VARIANTS.c.product_id, _VARIANTS.c.position)
        )
        for product_id, *values in variant_rows:
            found[product_id].variants.append(tuple(values))
    return found


async def _sqlite_rows(
    session: AsyncSession, slugs: Sequence[str], names: list[str]
) -> dict[int, StoredProduct]:
    """Read the same values through the driver: a re-import reads every stored product.

    SQLAlchemy's row and type processing costs more than the query itself here (measured:
    about a third of the look-up's time); the values are decoded as its types would.
    """
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    # A re-import reads pages all over the file; mapped, they are not copied by a system
    # call each (1M rows: 9.5 -> 6.5 s of system time). Only import commands read here.
    await driver.execute(f"PRAGMA mmap_size={_MAPPED_BYTES}")
    decoded = [index for index, name in enumerate(names) if name in _JSON_COLUMNS]
    status = names.index("status") if "status" in names else None
    found: dict[int, StoredProduct] = {}
    rows = await driver.execute_fetchall(
        f"SELECT {', '.join(names)} FROM products "  # noqa: S608
        f"WHERE slug IN ({','.join('?' * len(slugs))})",
        list(slugs),
    )
    for row in rows:
        values = list(row)
        for index in decoded:
            if isinstance(values[index], str):
                values[index] = json_loads(values[index])
        if status is not None:
            values[status] = _STATUSES[values[status]]
        found[values[0]] = StoredProduct(dict(zip(names, values, strict=True)))
    if found:
        variant_rows = await driver.execute_fetchall(
            f"SELECT product_id, {', '.join(_VARIANT_COLUMNS)} FROM product_variants "  # noqa: S608
            f"WHERE product_id IN ({','.join('?' * len(found))}) ORDER BY product_id, position",
            list(found),
        )
        for product_id, position, option_values, price, stock in variant_rows:
            options = json_loads(option_values) if isinstance(option_values, str) else option_values
            found[product_id].variants.append((position, options, price, stock))
    return found
