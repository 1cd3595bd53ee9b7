"""Bulk import writes: one time-bounded transaction of new, skipped or updated products."""

from __future__ import annotations

import enum
import time
from collections import Counter
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_api import collector
from catalog_api.db import begin_write
from catalog_api.errors import InvalidVariantsError
from catalog_api.history.context import mark_action
from catalog_api.history.recording import record_imported
from catalog_api.models import Product, utcnow
from catalog_api.repositories import ProductRepository
from catalog_api.repositories.pg_copy import copy_default_variants
from catalog_api.repositories.source_digests import KeptDigest, keep_digests
from catalog_api.repositories.stored_state import StoredProduct, stored_products
from catalog_api.schemas import VARIANT_FIELDS, ProductCreate
from catalog_api.search.documents import row_search_fields
from catalog_api.services.products import ALLOWED_TRANSITIONS
from catalog_api.text import slugify
from catalog_api.variants.repository import VariantRepository
from catalog_api.variants.rules import VariantPlan, plan_request, single_variant_plan
from catalog_api.variants.service import VariantService

# Rows written between two looks at the clock: about 130 ms of inserts on SQLite (FTS
# triggers included). Each part costs one slug lookup; parts of 250 made PostgreSQL 3x slower.
STEP_ROWS = 1000


# What _unchanged() compares: every column a row's to_values() gives, and the derived ones;
# and the version a row's digest is kept for.
COMPARED_COLUMNS = (
    *(name for name in ProductCreate.model_fields if name not in VARIANT_FIELDS),
    "options",
    "price_minor",
    "stock_quantity",
    "version",
)


class OnConflict(enum.StrEnum):
    """What an import does with a row whose slug is already taken."""

    FAIL = "fail"
    SKIP = "skip"
    UPDATE = "update"


class RowResult(enum.StrEnum):
    """What happened to one row."""

    IMPORTED = "imported"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    REJECTED = "rejected"


# The outcomes after which a product is what its row makes of it.
_AS_THE_ROW_SAYS = frozenset({RowResult.IMPORTED, RowResult.UPDATED, RowResult.UNCHANGED})


@dataclass(frozen=True, slots=True)
class RowOutcome:
    """The result of one row, with the reason when it was rejected."""

    result: RowResult
    reason: str = ""
    conflict: bool = False


def row_skus(row: ProductCreate, slug: str) -> list[str]:
    """Return the SKUs a new product takes: its variants' own, or its single variant's."""
    if row.variants is not None:
        return [variant.sku for variant in row.variants if variant.sku is not None]
    return [row.sku or slug]


# Values of new rows made before their transaction, by id(row); the row is kept with them,
# so its id cannot be reused while the entry lives.
Prepared = MutableMapping[int, tuple[ProductCreate, dict[str, Any]]]


def prepare_new(row: ProductCreate) -> dict[str, Any]:
    """Return a new product's column values with its search fields: its insert's Python work."""
    values = row.to_values()
    values.update(row_search_fields(values))
    return values


def import_slug(row: ProductCreate) -> str:
    """Return the slug a row is stored under: its own, or one derived from the title."""
    return row.slug or slugify(row.title) or "product"


def _unchanged(row: ProductCreate, slug: str, stored: StoredProduct) -> bool:
    """Tell whether a row without options would leave its stored product as it is.

    It mirrors the full path: the row's own values, single_variant_plan() (the SKU of a row
    that updates is not used) and the derived price and stock.
    """
    variant = stored.plain_variant()
    if variant is None or variant != (row.price_minor, row.stock_quantity or 0):
        return False
    columns = stored.columns
    values = row.to_values()
    values["slug"] = slug
    return all(columns[name] == value for name, value in values.items())


class ImportService:
    """Write imported rows, one transaction per call, bounded in rows and in time."""

    def __init__(self, session: AsyncSession, prepared: Prepared | None = None) -> None:
        self.session = session
        self.prepared: Prepared = {} if prepared is None else prepared
        self.products = ProductRepository(session)
        self.variants = VariantRepository(session)
        self.variant_service = VariantService(session)
        # The version each product written or compared has, by slug, for its kept digest.
        self.versions: dict[str, int] = {}
        # The ids of the products this transaction created, by slug.
        self.created: dict[str, int] = {}

    async def write(
        self,
        rows: Sequence[ProductCreate],
        *,
        on_conflict: OnConflict,
        max_seconds: float,
        digests: Sequence[bytes | None] = (),
        kept: Mapping[str, KeptDigest] | None = None,
    ) -> list[RowOutcome]:
        """Write a prefix of rows and commit once the rows or max_seconds run out.

        Returns one outcome per row written; rows past the prefix are for the next call. The
        clock starts when the write lock is held, so waiting for it does not count. Each
        row's digest (digests, by position) is kept for its product once the row is applied,
        and so are the digests of kept: rows found unchanged before.
        """
        await begin_write(self.session)
        mark_action(self.session.sync_session, "import")
        held_since = time.monotonic()
        outcomes: list[RowOutcome] = []
        slugs: list[str] = []
        with collector.paused():
            while len(outcomes) < len(rows):
                if outcomes and time.monotonic() - held_since >= max_seconds:
                    break
                part = rows[len(outcomes) : len(outcomes) + STEP_ROWS]
                part_slugs = [import_slug(row) for row in part]
                outcomes.extend(await self._write_part(part, part_slugs, on_conflict))
                slugs += part_slugs
            to_keep = dict(kept or {})
            for slug, outcome, digest in zip(slugs, outcomes, digests, strict=False):
                if outcome.result in _AS_THE_ROW_SAYS:
                    # A later row of the slug decides; one without a digest keeps none.
                    to_keep.pop(slug, None)
                    if digest is not None and slug in self.versions:
                        created = self.created.get(slug)
                        to_keep[slug] = KeptDigest(self.versions[slug], digest, created)
            await keep_digests(self.session, to_keep)
            await self.session.commit()
        return outcomes

    async def _write_part(
        self, rows: Sequence[ProductCreate], slugs: list[str], on_conflict: OnConflict
    ) -> list[RowOutcome]:
        now = utcnow()
        taken = await self.products.existing_slugs(slugs)
        # A new product's single variant takes the row's SKU, or else its slug.
        skus_taken = await self.variants.skus_taken(
            sku for row, slug in zip(rows, slugs, strict=True) for sku in row_skus(row, slug)
        )
        outcomes: list[RowOutcome] = []
        new_rows: list[dict[str, Any]] = []
        new_skus: dict[str, str] = {}
        nested: list[tuple[ProductCreate, str]] = []
        updates: list[tuple[int, ProductCreate, str]] = []
        for index, (row, slug) in enumerate(zip(rows, slugs, strict=True)):
            skus = row_skus(row, slug)
            clash = next((sku for sku in skus if sku in skus_taken), None)
            if slug not in taken and clash is not None:
                reason = f"SKU '{clash}' already belongs to another variant"
                outcomes.append(RowOutcome(RowResult.REJECTED, reason))
            elif slug not in taken and row.variants is not None:
                # Products with options go in one by one, through the rules of the API.
                taken.add(slug)
                skus_taken.update(skus)
                nested.append((row, slug))
                self.versions[slug] = 1
                outcomes.append(RowOutcome(RowResult.IMPORTED))
            elif slug not in taken:
                taken.add(slug)
                skus_taken.add(skus[0])
                new_skus[slug] = skus[0]
                values = self._new_values(row)
                values.update(
                    slug=slug,
                    created_at=now,
                    updated_at=now,
                    version=1,
                    price_minor=row.price_minor,
                    stock_quantity=row.stock_quantity or 0,
                )
                values["status"] = row.status.value
                new_rows.append(values)
                self.versions[slug] = 1
                outcomes.append(RowOutcome(RowResult.IMPORTED))
            elif on_conflict is OnConflict.SKIP:
                outcomes.append(RowOutcome(RowResult.SKIPPED))
            elif on_conflict is OnConflict.UPDATE:
                updates.append((index, row, slug))
                outcomes.append(RowOutcome(RowResult.UNCHANGED))
            else:
                reason = f"slug '{slug}' already exists"
                outcomes.append(RowOutcome(RowResult.REJECTED, reason, conflict=True))
        if new_rows:
            await self._insert_new(new_rows, new_skus)
        if nested:
            await self._insert_nested(nested, now)
        if updates:
            # After the inserts, so a slug repeated within the part updates its first row.
            await self._update(updates, outcomes)
        return outcomes

    def _new_values(self, row: ProductCreate) -> dict[str, Any]:
        """Return a new row's column values: made before the transaction, or now."""
        entry = self.prepared.pop(id(row), None)
        if entry is not None and entry[0] is row:
            return entry[1]
        return row.to_values()

    async def _insert_new(self, new_rows: list[dict[str, Any]], skus: dict[str, str]) -> None:
        """Insert new products without options, their single variants and their history."""
        copied = await self.products.insert_many(new_rows)
        if copied is None:
            await self._insert_default_variants(new_rows, skus)
            ids = await self.products.ids_by_slug([row["slug"] for row in new_rows])
        else:
            # PostgreSQL: the ids came back from the products' COPY; the variants take one too.
            connection = await self.session.connection()
            await copy_default_variants(connection, new_rows, copied, skus)
            ids = {row["slug"]: id_ for row, id_ in zip(new_rows, copied, strict=True)}
        self.created.update(ids)
        # Core inserts bypass the ORM's flush, where history is gathered otherwise.
        record_imported(self.session.sync_session, new_rows, ids, skus)

    async def _insert_nested(self, nested: list[tuple[ProductCreate, str]], now: datetime) -> None:
        """Insert products with their options and variants (already checked by the importer).

        One flush for all of them, then one insert of their option rows: per product, only
        the lookup of derived SKUs (when a variant gives none) reaches the database.
        """
        products = []
        for row, slug in nested:
            values = row.to_values()
            values.update(slug=slug, created_at=now, updated_at=now)
            plan = plan_request(
                row.options, row.variants, price_minor=None, stock_quantity=None, sku=None
            )
            product = Product(**values)
            await self.variant_service.apply_plan(product, plan, slug=slug)
            self.session.add(product)
            products.append(product)
        await self.products.flush(slug=products[0].slug)
        self.created.update((product.slug, product.id) for product in products)
        await self.variants.insert_options(products)

    async def _insert_default_variants(
        self, new_rows: list[dict[str, Any]], skus: dict[str, str]
    ) -> None:
        """Give each new product its one variant, with the product's price and stock."""
        named = [row for row in new_rows if skus[row["slug"]] != row["slug"]]
        await self.variants.insert_defaults(
            [row["slug"] for row in new_rows if skus[row["slug"]] == row["slug"]]
        )
        if not named:
            return
        # Rows that name their own SKU (rare in imports) go in one by one from Python.
        ids = await self.products.ids_by_slug([row["slug"] for row in named])
        await self.variants.insert_many(
            [
                {
                    "product_id": ids[row["slug"]],
                    "sku": skus[row["slug"]],
                    "position": 0,
                    "option_values": {},
                    "price_minor": row["price_minor"],
                    "stock_quantity": row["stock_quantity"],
                    "created_at": row["created_at"],
                    "updated_at": row["updated_at"],
                    "version": 1,
                }
                for row in named
            ]
        )

    async def _update(
        self, updates: list[tuple[int, ProductCreate, str]], outcomes: list[RowOutcome]
    ) -> None:
        updates = await self._drop_unchanged(updates)
        if not updates:
            return
        found = await self.session.scalars(
            select(Product).where(Product.slug.in_({slug for _, _, slug in updates}))
        )
        by_slug = {product.slug: product for product in found}
        for index, row, slug in updates:
            product = by_slug[slug]
            values = row.to_values()
            values["slug"] = slug
            status = values["status"]
            if status != product.status and status not in ALLOWED_TRANSITIONS[product.status]:
                reason = f"slug '{slug}' is {product.status.value}; it cannot become {status.value}"
                outcomes[index] = RowOutcome(RowResult.REJECTED, reason)
                continue
            try:
                plan = self._update_plan(product, row)
            except InvalidVariantsError as error:
                outcomes[index] = RowOutcome(RowResult.REJECTED, f"slug '{slug}': {error.detail}")
                continue
            clash = await self._sku_of_another(product, row)
            if clash is not None:
                reason = f"SKU '{clash}' already belongs to another variant"
                outcomes[index] = RowOutcome(RowResult.REJECTED, reason)
                continue
            variants_changed = await self.variant_service.apply_plan(product, plan, slug=slug)
            if row.variants is not None:
                await self.products.flush(slug=slug)
                await self.variant_service.index_options(product)
            changed = {k: v for k, v in values.items() if getattr(product, k) != v}
            if changed or variants_changed:
                for name, value in changed.items():
                    setattr(product, name, value)
                product.updated_at = utcnow()
                outcomes[index] = RowOutcome(RowResult.UPDATED)
        # The flush bumps each changed product's version (its ETag) by one.
        await self.session.flush()
        for slug, product in by_slug.items():
            self.versions[slug] = product.version

    async def _drop_unchanged(
        self, updates: list[tuple[int, ProductCreate, str]]
    ) -> list[tuple[int, ProductCreate, str]]:
        """Return the updates left once rows that would change nothing are set aside.

        Only rows without options are checked here, against the stored columns and single
        variant without loading products: a feed re-sent with a few changes is mostly these.
        Their outcome stays UNCHANGED; every other row takes the full path, and so does every
        row of a slug given twice: the second compares with what the first made of it.
        """
        given = Counter(slug for _, _, slug in updates)
        simple = [
            slug
            for _, row, slug in updates
            if row.variants is None and not row.options and given[slug] == 1
        ]
        stored = await stored_products(self.session, simple, COMPARED_COLUMNS)
        for slug, found in stored.items():
            self.versions[slug] = found.columns["version"]
        return [
            (index, row, slug)
            for index, row, slug in updates
            if slug not in stored or not _unchanged(row, slug, stored[slug])
        ]

    @staticmethod
    def _update_plan(product: Product, row: ProductCreate) -> VariantPlan:
        if row.variants is None:
            return single_variant_plan(
                product, price_minor=row.price_minor, stock_quantity=row.stock_quantity or 0
            )
        return plan_request(
            row.options, row.variants, price_minor=None, stock_quantity=None, sku=None
        )

    async def _sku_of_another(self, product: Product, row: ProductCreate) -> str | None:
        """Return a SKU of the row that a variant of another product holds, or None."""
        if row.variants is None:
            return None
        own = {variant.sku for variant in product.variants}
        wanted = [v.sku for v in row.variants if v.sku is not None and v.sku not in own]
        taken = await self.variants.skus_taken(wanted)
        return min(taken) if taken else None
