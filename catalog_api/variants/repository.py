"""Variant repository: SKU lookups and the option-value rows filters read."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_api.variants.models import ProductVariant, VariantOptionValue

_COPY_DEFAULTS = (
    "INSERT INTO product_variants (product_id, sku, position, option_values, price_minor, "
    "stock_quantity, created_at, updated_at, version) SELECT id, slug, 0, {empty}, price_minor, "
    "stock_quantity, created_at, updated_at, 1 FROM products WHERE slug IN :slugs"
)
# By "is PostgreSQL": the empty JSON object as each dialect writes it.
_DEFAULT_VARIANTS = {
    False: _COPY_DEFAULTS.format(empty="'{}'"),
    True: _COPY_DEFAULTS.format(empty="'{}'::jsonb"),
}


def is_sku_conflict(error: IntegrityError) -> bool:
    """Tell whether an integrity error is the unique SKU index."""
    message = str(error.orig).lower()
    return "sku" in message and ("unique" in message or "duplicate" in message)


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class VariantRepository:
    """Query variants inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_by_sku(self, sku: str) -> ProductVariant | None:
        """Return the variant with this SKU."""
        found = await self.session.scalars(select(ProductVariant).where(ProductVariant.sku == sku))
        return found.first()

    async def skus_taken(self, skus: Iterable[str]) -> set[str]:
        """Return which of the SKUs belong to a stored variant."""
        wanted = sorted(set(skus))
        if not wanted:
            return set()
        rows = await self.session.scalars(
            select(ProductVariant.sku).where(ProductVariant.sku.in_(wanted))
        )
        return set(rows)

    async def skus_with_prefix(self, base: str) -> set[str]:
        """Return the SKUs equal to base or of the form base-N."""
        pattern = _like_prefix(base) + "-%"
        rows = await self.session.scalars(
            select(ProductVariant.sku).where(
                (ProductVariant.sku == base) | ProductVariant.sku.like(pattern, escape="\\")
            )
        )
        return set(rows)

    async def index_options(self, product_id: int, variants: Sequence[ProductVariant]) -> None:
        """Rewrite the casefolded option-value rows of one product's (flushed) variants."""
        await self.session.execute(
            delete(VariantOptionValue).where(VariantOptionValue.product_id == product_id)
        )
        rows = [
            {
                "name": name.casefold(),
                "value": value.casefold(),
                "variant_id": variant.id,
                "product_id": product_id,
            }
            for variant in variants
            for name, value in variant.option_values.items()
        ]
        if rows:
            await self.session.execute(insert(VariantOptionValue), rows)

    async def insert_options(self, products: Sequence[Any]) -> None:
        """Insert the option-value rows of new, flushed products with one executemany."""
        rows = [
            {
                "name": name.casefold(),
                "value": value.casefold(),
                "variant_id": variant.id,
                "product_id": product.id,
            }
            for product in products
            for variant in product.variants
            for name, value in variant.option_values.items()
        ]
        if rows:
            await self.session.execute(insert(VariantOptionValue), rows)

    async def insert_defaults(self, slugs: Sequence[str]) -> None:
        """Give the products with these slugs one default variant each, named by the slug."""
        if not slugs:
            return
        dialect = self.session.bind.dialect.name if self.session.bind is not None else "sqlite"
        # One statement per batch, and no values through Python: as fast as the products' insert.
        statement = text(_DEFAULT_VARIANTS[dialect == "postgresql"]).bindparams(
            bindparam("slugs", expanding=True)
        )
        await self.session.execute(statement, {"slugs": list(slugs)})

    async def insert_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert variant rows with one executemany (imports of simple products)."""
        if rows:
            await self.session.execute(insert(ProductVariant), list(rows))
