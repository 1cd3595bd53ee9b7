"""What an import compares a row with: a product's own columns and its variants' prices."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_api.models import Product
from catalog_api.variants.models import ProductVariant

_PRODUCTS = cast(Table, Product.__table__)
_VARIANTS = cast(Table, ProductVariant.__table__)
_VARIANT_COLUMNS = ("position", "option_values", "price_minor", "stock_quantity")


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
    if not slugs:
        return {}
    wanted = [_PRODUCTS.c[name] for name in dict.fromkeys(["id", "slug", *columns])]
    found: dict[int, StoredProduct] = {}
    for row in await session.execute(select(*wanted).where(_PRODUCTS.c.slug.in_(slugs))):
        found[row.id] = StoredProduct(dict(row._mapping))
    if found:
        variant_rows = await session.execute(
            select(_VARIANTS.c.product_id, *(_VARIANTS.c[name] for name in _VARIANT_COLUMNS))
            .where(_VARIANTS.c.product_id.in_(list(found)))
            .order_by(_VARIANTS.c.product_id, _VARIANTS.c.position)
        )
        for product_id, *values in variant_rows:
            found[product_id].variants.append(tuple(values))
    return {stored.columns["slug"]: stored for stored in found.values()}
