"""Product repository: queries, inserts and flushes products."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, exists, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from catalog_api.errors import ConcurrentUpdateError, DuplicateSkuError, DuplicateSlugError
from catalog_api.models import Product, ProductStatus
from catalog_api.repositories.bulk_insert import insert_products
from catalog_api.repositories.product_filters import (
    SORT_COLUMNS,
    KeysetPosition,
    ProductConditions,
    ProductFilters,
)
from catalog_api.search.documents import written
from catalog_api.variants.models import ProductVariant
from catalog_api.variants.plans import FilterPlan, choose, many_priced
from catalog_api.variants.price_walk import grouped_lowest_prices, price_walk, walks_prices
from catalog_api.variants.repository import is_sku_conflict

__all__ = ["KeysetPosition", "ProductFilters", "ProductRepository", "is_slug_conflict"]

# A bounded count on SQLite starts from an option or attribute value's index range when it
# has fewer entries than this; else it probes products, at most COUNT_WALK_ROWS of them.
COUNT_RANGE_ROWS = 50_000
COUNT_WALK_ROWS = 20_000

PRODUCTS = cast(Table, Product.__table__)


def is_slug_conflict(error: IntegrityError) -> bool:
    """Tell whether an integrity error is the unique slug constraint."""
    message = str(error.orig).lower()
    return "slug" in message and ("unique" in message or "duplicate" in message)


class ProductRepository(ProductConditions):
    """Query and persist products inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        self.dialect = dialect

    async def get(self, product_id: int, *, for_update: bool = False) -> Product | None:
        """Return the product with this id; for_update locks its row until the transaction ends."""
        # SQLite serialises writers already and renders no FOR UPDATE; PostgreSQL needs the
        # lock, or two concurrent PATCHes both read version n and one fails as stale.
        return await self.session.get(Product, product_id, with_for_update=for_update)

    async def existing_slugs(self, slugs: Sequence[str]) -> set[str]:
        """Return which of the slugs are taken."""
        if not slugs:
            return set()
        rows = await self.session.scalars(select(Product.slug).where(Product.slug.in_(slugs)))
        return set(rows)

    async def ids_by_slug(self, slugs: Sequence[str]) -> dict[str, int]:
        """Return the ids of the products with these slugs."""
        rows = await self.session.execute(
            select(Product.slug, Product.id).where(Product.slug.in_(slugs))
        )
        return {row.slug: row.id for row in rows}

    async def slugs_with_prefix(self, base: str) -> set[str]:
        """Return the slugs equal to base or of the form base-N."""
        pattern = base.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "-%"
        rows = await self.session.scalars(
            select(Product.slug).where(
                (Product.slug == base) | Product.slug.like(pattern, escape="\\")
            )
        )
        return set(rows)

    async def slugs_starting_with(self, prefix: str, limit: int) -> list[str]:
        """Return up to limit slugs that start with prefix, A-Z."""
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = select(Product.slug).where(Product.slug.like(pattern, escape="\\"))
        return list(await self.session.scalars(stmt.order_by(Product.slug).limit(limit)))

    async def add(self, product: Product) -> Product:
        """Add a product and flush it so it gets its id."""
        self.session.add(product)
        await self.flush(slug=product.slug)
        return product

    async def delete(self, product: Product) -> None:
        """Delete a product."""
        await self.session.delete(product)
        await self.flush(slug=product.slug)

    async def flush(self, *, slug: str) -> None:
        """Flush pending changes, turning constraint races into domain errors."""
        pending = [v.sku for v in self.session.new if isinstance(v, ProductVariant)]
        try:
            await self.session.flush()
        except IntegrityError as error:
            if is_slug_conflict(error):
                raise DuplicateSlugError(slug) from error
            if is_sku_conflict(error):
                raise DuplicateSkuError(sorted(pending)) from error
            raise
        except StaleDataError as error:
            raise ConcurrentUpdateError(
                "The product was changed by another request; read it again and retry."
            ) from error

    async def insert_many(self, rows: Sequence[dict[str, Any]]) -> list[int] | None:
        """Insert many products in bulk (no ORM bookkeeping); their ids on PostgreSQL."""
        if not rows:
            return []
        written(self.session.sync_session)
        return await insert_products(await self.session.connection(), rows)

    async def list_page(
        self,
        filters: ProductFilters,
        *,
        sort: str,
        descending: bool,
        after: KeysetPosition | None,
        limit: int,
    ) -> list[tuple[Product, Any]]:
        """Return one page of products in sort order, each with its sort value."""
        if sort == "price" and filters.by_variant:
            prices = (filters.min_price, filters.max_price)
            if await walks_prices(self.session, filters.options, prices):
                return await self._walked_page(
                    filters, descending=descending, after=after, limit=limit
                )
            # Few matching variants: each match's lowest price, grouped in one pass and joined.
            lowest = grouped_lowest_prices(
                filters.options, filters.in_stock, filters.min_price, filters.max_price
            ).subquery("lowest")
            key: ColumnElement[Any] = lowest.c.price
            stmt = select(Product, key).join(lowest, lowest.c.product_id == Product.id)
            stmt = self.filtered(stmt, filters, variants_joined=True)
        else:
            key = SORT_COLUMNS[sort]
            plan = await self._plan(filters, by_price=sort == "price")
            stmt = self.filtered(select(Product, key), filters, plan=plan)
        stmt = self._page(stmt, key, descending=descending, after=after, limit=limit)
        return [(product, value) for product, value in await self.session.execute(stmt)]

    async def _walked_page(
        self,
        filters: ProductFilters,
        *,
        descending: bool,
        after: KeysetPosition | None,
        limit: int,
    ) -> list[tuple[Product, Any]]:
        """Return a page by lowest matching price, walking the variants in price order.

        The product's own filters are an EXISTS probe per walked variant, so the query
        starts from the variants' price index (a join let SQLite start from products and
        sort them all); the page's products are read after, by id.
        """
        walk = price_walk(filters.options, filters.in_stock, filters.min_price, filters.max_price)
        variant = walk.variant
        passes = select(literal(1)).where(Product.id == variant.product_id)
        passes = self.filtered(passes, filters, variants_joined=True, plan=FilterPlan(start=None))
        walked = select(variant.product_id, variant.price_minor).where(
            *walk.conditions, exists(passes)
        )
        page = self._page(
            walked,
            variant.price_minor,
            descending=descending,
            after=after,
            limit=limit,
            tiebreak=variant.product_id,
        ).subquery("page")
        order = (page.c.price_minor, page.c.product_id)
        stmt = select(Product, page.c.price_minor).join(page, page.c.product_id == Product.id)
        stmt = stmt.order_by(*(c.desc() if descending else c.asc() for c in order))
        return [(product, value) for product, value in await self.session.execute(stmt)]

    async def match_plan(self, filters: ProductFilters) -> FilterPlan:
        """Return the plan of filters over search matches (filtered's plan argument).

        On SQLite a rare option or attribute value starts from its index range, as for a
        page; the others, and every value on PostgreSQL, are probes of each match's index
        entries, not a read of the value's whole range (750,000 entries for a value a
        third of 1M products hold: seconds per search).
        """
        return await self._plan(filters, by_price=True) or FilterPlan(start=None)

    def matching_ids(self, filters: ProductFilters) -> Select[int]:
        """Return a select of the ids of the products that pass the filters."""
        return self.filtered(select(Product.id), filters)

    async def _plan(
        self, filters: ProductFilters, common_rows: int | None = None, *, by_price: bool = False
    ) -> FilterPlan | None:
        """Return SQLite's plan for a query that stops early (a page, a bounded count).

        by_price: the query is ordered by the product's price (or is a search's), so its
        price bounds keep their index whatever the plan.
        """
        stocked = filters.in_stock is True and not filters.options
        stocked = stocked and filters.min_price is not None
        if self.dialect != "sqlite" or not (filters.options or filters.attributes or stocked):
            return None
        prices = (filters.min_price, filters.max_price) if stocked else None
        plan = await choose(self.session, filters.options, filters.attributes, prices, common_rows)
        low = None if filters.by_variant else filters.min_price
        high = filters.max_price
        if plan.start is not None or by_price or (low is None and high is None):
            return plan
        if await many_priced(self.session, filters.currency, low, high):
            return replace(plan, price_index=False)
        return plan

    async def count(self, filters: ProductFilters) -> int:
        """Count the products that pass the filters."""
        stmt = self.filtered(select(func.count()).select_from(Product), filters)
        return int(await self.session.scalar(stmt) or 0)

    async def count_up_to(self, filters: ProductFilters, limit: int) -> tuple[int, bool]:
        """Count the products that pass the filters, stopping at limit; say if it is exact.

        SQLite: the rarest option or attribute value under COUNT_RANGE_ROWS index entries
        starts the count; with none (and on PostgreSQL with option values), each product is
        probed in id order up to the COUNT_WALK_ROWS-th, and a count cut there is a lower
        bound (not exact).
        """
        plan = await self._plan(filters, COUNT_RANGE_ROWS)
        if plan is None and filters.options:
            # PostgreSQL: planned alone, the count hashed each option value's whole range
            # (1.6 s at 1M for two common values); it probes products as SQLite does.
            plan = FilterPlan(start=None)
        cut = None
        if plan is not None and plan.start is None:
            beyond = select(Product.id).order_by(Product.id).offset(COUNT_WALK_ROWS).limit(1)
            cut = await self.session.scalar(beyond)
            if cut is not None and self.dialect == "postgresql":
                # 20,000 probes one by one took 60-160 ms at 1M products; bounded, the
                # option rows of those products are merged or hashed in 20-50 ms.
                plan = replace(plan, below=cut)
        matches = self.filtered(select(Product.id), filters, plan=plan)
        if cut is not None:
            matches = matches.where(Product.id < cut)
            if self.dialect == "sqlite":
                # Ordered, SQLite walks the ids below the cut; unordered it read the whole
                # currency's index range (250,000 entries for USD at 1M) to keep id < cut.
                matches = matches.order_by(Product.id)
        stmt = select(func.count()).select_from(matches.limit(limit).subquery())
        found = int(await self.session.scalar(stmt) or 0)
        return found, found < limit and cut is None

    async def by_ids(self, ids: Sequence[int]) -> list[Product]:
        """Return the products with these ids, in that order (missing ones left out)."""
        if not ids:
            return []
        found = {
            p.id: p for p in await self.session.scalars(select(Product).where(Product.id.in_(ids)))
        }
        return [found[i] for i in ids if i in found]

    async def currencies_present(self, filters: ProductFilters, limit: int = 200) -> list[str]:
        """Return the currencies of the products that pass the filters, walking the currency index.

        One probe per currency found (the next code above the last), not a read of every row.
        """
        found: list[str] = []
        while len(found) < limit:
            stmt = select(func.min(Product.currency))
            if found:
                stmt = stmt.where(Product.currency > found[-1])
            code = await self.session.scalar(self.filtered(stmt, filters))
            if code is None:
                break
            found.append(str(code))
        return found

    async def currencies(self, filters: ProductFilters) -> list[tuple[str, int]]:
        """Return each currency of the products that pass the filters, with their count."""
        stmt = select(Product.currency, func.count()).group_by(Product.currency)
        rows = await self.session.execute(self.filtered(stmt, filters).order_by(Product.currency))
        return [(currency, int(count)) for currency, count in rows]

    async def categories(self, status: ProductStatus | None) -> list[tuple[str, int]]:
        """Return each category with its product count, by name."""
        stmt = select(Product.category, func.count()).group_by(Product.category)
        if status is not None:
            stmt = stmt.where(Product.status == status)
        rows = await self.session.execute(stmt.order_by(Product.category))
        return [(category, int(count)) for category, count in rows]
