"""Undo one recorded change as a new change (action revert).

An update (or stock change, saved copy, import update, revert) is undone by putting back the
old value of each field it touched. A creation (create, or an import or revert that made the
product) is undone by deleting the product; a deletion by restoring the product with its id,
fields and variants. A later change that touched one of the same fields makes it a 409,
unless forced. The product's derived price and stock are recomputed from its variants, not
put back, and a status is put back even where the usual transitions would not allow it (the
old status was a valid state).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_api.db import begin_write
from catalog_api.history.context import mark_action
from catalog_api.history.errors import ChangeNotFoundError, RevertConflictError
from catalog_api.history.models import ChangeAction, ProductChange
from catalog_api.history.recording import PRODUCT_FIELDS, VARIANT_FIELDS, VARIANT_PREFIX
from catalog_api.history.repository import ChangeRepository
from catalog_api.history.schemas import ChangeOut, RevertResult
from catalog_api.models import Product, ProductStatus, utcnow
from catalog_api.repositories import ProductRepository
from catalog_api.schemas import ProductOut
from catalog_api.variants.models import ProductVariant
from catalog_api.variants.service import VariantService, derive_totals

logger = logging.getLogger(__name__)

# Derived from the variants whenever they change: they follow the variants' own values.
_DERIVED = frozenset({"price_minor", "stock_quantity"})


def _is_creation(change: ProductChange) -> bool:
    return change.changes.get("slug", [1, 1])[0] is None


def _is_deletion(change: ProductChange) -> bool:
    return change.changes.get("slug", [1, 1])[1] is None


def _whole_variant(key: str, values: list[Any]) -> bool:
    """Tell a variant added or removed from one variant field set to or from null."""
    old, new = values
    present = new if old is None else old
    return (
        key.startswith(VARIANT_PREFIX)
        and (old is None) != (new is None)
        and isinstance(present, dict)
        and "position" in present
    )


def _variant_field(key: str) -> tuple[str, str]:
    sku, _, field = key[len(VARIANT_PREFIX) :].rpartition(".")
    return sku, field


def _touched(change: ProductChange) -> set[str]:
    """Return what a change touched, a variant's fields counted under the variant too."""
    touched: set[str] = set()
    for key, values in change.changes.items():
        if key in _DERIVED:
            continue
        touched.add(key)
        if key.startswith(VARIANT_PREFIX) and not _whole_variant(key, values):
            touched.add(VARIANT_PREFIX + _variant_field(key)[0])
    return touched


def _clashing(mine: set[str], theirs: set[str]) -> list[str]:
    """Return the keys two changes share (a whole variant clashes with its fields)."""
    return sorted(key for key in theirs if key in mine)


class RevertService:
    """Revert recorded changes, one unit of work each."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.changes = ChangeRepository(session)
        self.products = ProductRepository(session)
        self.variants = VariantService(session)

    async def revert(self, change_id: int, *, force: bool) -> RevertResult:
        """Undo a change as a new change; 409 when a later change touched the same fields."""
        await begin_write(self.session)
        change = await self.changes.get(change_id)
        if change is None:
            raise ChangeNotFoundError(f"No change has id {change_id} (or it was purged).")
        product = await self.products.get(change.product_id, for_update=True)
        await self._check_later(change, force=force)
        mark_action(self.session.sync_session, ChangeAction.REVERT, reverts=change.id)
        if _is_creation(change):
            if product is None:
                raise RevertConflictError(
                    f"Product {change.product_id} is already deleted.", product_id=change.product_id
                )
            await self.products.delete(product)
            product = None
        elif _is_deletion(change):
            if product is not None:
                raise RevertConflictError(
                    f"Product {change.product_id} exists again; nothing to restore.",
                    product_id=change.product_id,
                )
            product = await self._restore(change)
        else:
            if product is None:
                raise RevertConflictError(
                    f"Product {change.product_id} was deleted after this change; revert its "
                    "delete first (its history lists it).",
                    product_id=change.product_id,
                )
            await self._put_back(product, change)
        product_id = change.product_id
        await self.session.commit()
        logger.info("reverted change %s of product %s", change_id, product_id)
        newest = await self.changes.for_product(product_id, before_id=None, limit=1)
        return RevertResult(
            change=ChangeOut.model_validate(newest[0]),
            product=None if product is None else ProductOut.model_validate(product),
        )

    async def _check_later(self, change: ProductChange, *, force: bool) -> None:
        mine = _touched(change)
        conflicts = []
        for later in await self.changes.later_changes(change.product_id, change.id):
            shared = _clashing(mine, _touched(later))
            if shared:
                conflicts.append({"change_id": later.id, "actor": later.actor, "fields": shared})
        if conflicts and not force:
            ids = ", ".join(str(c["change_id"]) for c in conflicts)
            raise RevertConflictError(
                f"Later changes ({ids}) touched the same fields; reverting would undo them "
                "too. Look at them in the product's history, then retry with force=true to "
                "revert anyway.",
                conflicts=conflicts,
            )

    async def _restore(self, change: ProductChange) -> Product:
        old = {key: values[0] for key, values in change.changes.items()}
        fields = {name: old[name] for name in PRODUCT_FIELDS if name in old}
        fields["status"] = ProductStatus(fields["status"])
        now = utcnow()
        product = Product(
            id=change.product_id,
            **fields,
            created_at=datetime.fromisoformat(old["created_at"]),
            updated_at=now,
        )
        variants = []
        for key, values in change.changes.items():
            if _whole_variant(key, values) and values[0] is not None:
                sku = key[len(VARIANT_PREFIX) :]
                variants.append(_new_variant(sku, values[0], now))
        product.variants = sorted(variants, key=lambda v: v.position)
        derive_totals(product)
        try:
            await self.products.add(product)
        except IntegrityError as error:
            # Only the id can clash here (slug and SKU clashes raise their own 409s): a
            # concurrent revert of the same delete got there first.
            await self.session.rollback()
            raise RevertConflictError(
                f"Product {change.product_id} was restored meanwhile.",
                product_id=change.product_id,
            ) from error
        await self.variants.index_options(product)
        return product

    async def _put_back(self, product: Product, change: ProductChange) -> None:
        now = utcnow()
        by_sku = {v.sku: v for v in product.variants}
        added: list[ProductVariant] = []
        removed: list[ProductVariant] = []
        for key, (old, _new) in change.changes.items():
            if key in PRODUCT_FIELDS and key not in _DERIVED:
                setattr(product, key, ProductStatus(old) if key == "status" else old)
            elif _whole_variant(key, [old, _new]):
                sku = key[len(VARIANT_PREFIX) :]
                if old is None and sku in by_sku:
                    removed.append(by_sku[sku])
                elif old is not None and sku not in by_sku:
                    added.append(_new_variant(sku, old, now))
            elif key.startswith(VARIANT_PREFIX):
                sku, field = _variant_field(key)
                variant = by_sku.get(sku)
                if variant is None or field not in VARIANT_FIELDS:
                    raise RevertConflictError(
                        f"The variant '{sku}' this change touched no longer exists.", sku=sku
                    )
                setattr(variant, field, old)
                variant.updated_at = now
        kept = [v for v in product.variants if v not in removed]
        if not kept and not added:
            raise RevertConflictError("Reverting would leave the product without a variant.")
        if removed:
            product.variants = kept
            await self.products.flush(slug=product.slug)
        product.variants = sorted([*kept, *added], key=lambda v: v.position)
        derive_totals(product)
        product.updated_at = now
        await self.products.flush(slug=product.slug)
        await self.variants.index_options(product)


def _new_variant(sku: str, values: dict[str, Any], now: datetime) -> ProductVariant:
    fields = {name: values.get(name) for name in VARIANT_FIELDS}
    fields["option_values"] = fields["option_values"] or {}
    return ProductVariant(sku=sku, created_at=now, updated_at=now, **fields)
