"""Variant use cases: apply a plan to a product, read a variant, change its stock or price."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from catalog_api.db import begin_write
from catalog_api.errors import (
    DuplicateSkuError,
    PreconditionFailedError,
    ProductNotFoundError,
    VariantNotFoundError,
)
from catalog_api.models import Product, utcnow
from catalog_api.repositories.products import ProductRepository
from catalog_api.text import slugify
from catalog_api.variants.models import SKU_MAX_LENGTH, ProductVariant
from catalog_api.variants.repository import VariantRepository
from catalog_api.variants.rules import VariantPlan, VariantSpec, option_key
from catalog_api.variants.schemas import MAX_STOCK, VariantDetail, VariantPatch, variant_detail

logger = logging.getLogger(__name__)

IfMatch = frozenset[str] | None
_SPEC_FIELDS = (
    "option_values",
    "price_minor",
    "compare_at_price_minor",
    "stock_quantity",
    "barcode",
    "weight_grams",
)


def derive_totals(product: Product) -> None:
    """Set the product's derived price (lowest) and stock (total, capped) from its variants."""
    if not product.variants:
        return
    product.price_minor = min(v.price_minor for v in product.variants)
    product.stock_quantity = min(sum(v.stock_quantity for v in product.variants), MAX_STOCK)


def _sku_base(slug: str, spec: VariantSpec) -> str:
    parts = [slug, *(slugify(value) or "x" for value in spec.option_values.values())]
    # Room for a "-NN" suffix when the base is taken.
    return "-".join(parts)[: SKU_MAX_LENGTH - 6].rstrip("-")


class VariantService:
    """Keep variants and their product's derived fields together, in the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.variants = VariantRepository(session)
        self.products = ProductRepository(session)

    async def apply_plan(self, product: Product, plan: VariantPlan, *, slug: str) -> bool:
        """Make the product's options and variants those of the plan; return whether any changed.

        Variants are matched by SKU, then by option values, so an unchanged variant keeps its id,
        SKU and version. Removed variants are flushed away first, so their SKUs are free for
        the new ones. The product row itself is left for the caller to flush.
        """
        current = list(product.variants)
        matched: dict[int, ProductVariant] = {}
        by_sku = {v.sku: v for v in current}
        for index, spec in enumerate(plan.variants):
            if spec.sku is not None and spec.sku in by_sku:
                matched[index] = by_sku.pop(spec.sku)
        free = {option_key(v.option_values): v for v in current if v.sku in by_sku}
        for index, spec in enumerate(plan.variants):
            if spec.sku is None and spec.combination() in free:
                matched[index] = free.pop(spec.combination())
        kept = {id(v) for v in matched.values()}
        removed = [v for v in current if id(v) not in kept]
        changed = bool(removed) or product.options != plan.options
        if removed:
            product.variants = [v for v in current if id(v) in kept]
            await self.products.flush(slug=product.slug)
        new_skus = await self._new_skus(slug, plan, matched)
        now = utcnow()
        ordered: list[ProductVariant] = []
        for index, spec in enumerate(plan.variants):
            variant = matched.get(index)
            if variant is None:
                variant = ProductVariant(
                    sku=spec.sku or new_skus[index], created_at=now, updated_at=now
                )
                changed = True
            values = {name: getattr(spec, name) for name in _SPEC_FIELDS}
            values["position"] = index
            differing = {k: v for k, v in values.items() if getattr(variant, k, None) != v}
            if differing:
                for name, value in differing.items():
                    setattr(variant, name, value)
                if variant.id is not None:
                    variant.updated_at = now
                    changed = True
            ordered.append(variant)
        product.variants = ordered
        product.options = plan.options
        derive_totals(product)
        return changed

    async def _new_skus(
        self, slug: str, plan: VariantPlan, matched: dict[int, ProductVariant]
    ) -> dict[int, str]:
        """Derive a free SKU for each new variant given none: slug, option values, -N if taken."""
        wanted = {
            index: _sku_base(slug, spec)
            for index, spec in enumerate(plan.variants)
            if spec.sku is None and index not in matched
        }
        if not wanted:
            return {}
        reserved = {spec.sku for spec in plan.variants if spec.sku is not None}
        reserved |= {v.sku for v in matched.values()}
        taken = await self.variants.skus_taken(wanted.values())
        chosen: dict[int, str] = {}
        for index, base in wanted.items():
            if base not in taken and base not in reserved:
                chosen[index] = base
            else:
                others = taken | reserved | await self.variants.skus_with_prefix(base)
                n = 2
                while f"{base}-{n}" in others:
                    n += 1
                chosen[index] = f"{base}-{n}"
            reserved.add(chosen[index])
        return chosen

    @asynccontextmanager
    async def naming_taken_skus(self) -> AsyncIterator[None]:
        """Turn a SKU conflict of a failed write into one naming the SKUs that are taken."""
        try:
            yield
        except DuplicateSkuError as error:
            # The unique index refused the write (a concurrent create may have won the race):
            # undo it, then look up which of the SKUs another variant holds.
            await self.session.rollback()
            taken = await self.variants.skus_taken(error.skus)
            await self.session.rollback()
            raise DuplicateSkuError(sorted(taken) or error.skus) from error

    async def index_options(self, product: Product) -> None:
        """Rewrite the filterable option rows of a product whose variants were flushed."""
        await self.variants.index_options(product.id, product.variants)

    async def get(self, sku: str) -> VariantDetail:
        """Return the variant with this SKU and the product it belongs to."""
        variant = await self.variants.get_by_sku(sku)
        if variant is None:
            raise VariantNotFoundError(f"No variant has SKU '{sku}'.", sku=sku)
        product = await self.products.get(variant.product_id)
        assert product is not None  # the foreign key keeps a variant's product
        return variant_detail(variant, product=product)

    async def update(
        self, product_id: int, sku: str, patch: VariantPatch, *, if_match: IfMatch = None
    ) -> VariantDetail:
        """Change one variant's price or stock, and its product's derived fields with it.

        The product row is locked first, so concurrent changes to any of its variants apply
        one after another and the derived totals stay exact.
        """
        await begin_write(self.session)
        product = await self.products.get(product_id, for_update=True)
        if product is None:
            raise ProductNotFoundError(f"No product has id {product_id}.")
        variant = _find(product.variants, sku)
        if variant is None:
            raise VariantNotFoundError(
                f"Product {product_id} has no variant with SKU '{sku}'.", sku=sku
            )
        values = patch.model_dump(exclude_unset=True)
        if if_match is not None and "*" not in if_match and variant.etag not in if_match:
            raise PreconditionFailedError(
                f"The variant is at version {variant.version} (ETag {variant.etag}), not the "
                "one you sent in If-Match; read it again, reapply your change and retry.",
                etag=variant.etag,
                current_version=variant.version,
                current={name: getattr(variant, name) for name in values},
            )
        changed = {k: v for k, v in values.items() if getattr(variant, k) != v}
        if changed:
            now = utcnow()
            for name, value in changed.items():
                setattr(variant, name, value)
            variant.updated_at = now
            derive_totals(product)
            product.updated_at = now
            await self.products.flush(slug=product.slug)
        await self.session.commit()
        if changed:
            logger.info("variant %s of product %s: %s", sku, product_id, ", ".join(changed))
        return variant_detail(variant, product=product)


def _find(variants: Sequence[ProductVariant], sku: str) -> ProductVariant | None:
    return next((v for v in variants if v.sku == sku), None)
