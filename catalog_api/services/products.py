"""Product service: slug and status rules, paging, one commit per unit of work."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_api.currencies import MINOR_UNITS
from catalog_api.db import begin_write
from catalog_api.errors import (
    ConcurrentUpdateError,
    InvalidInputError,
    InvalidStatusTransitionError,
    PreconditionFailedError,
    ProductNotFoundError,
)
from catalog_api.facets import DEFAULT_FACET_LIMIT, FacetService
from catalog_api.models import IdempotencyRecord, Product, ProductStatus, utcnow
from catalog_api.pagination import decode_cursor, encode_cursor, fingerprint
from catalog_api.repositories import ProductFilters, ProductRepository
from catalog_api.repositories.idempotency import IdempotencyRepository
from catalog_api.schemas import (
    CategoryCount,
    CategoryList,
    CurrencyCount,
    CurrencyList,
    Page,
    ProductCreate,
    ProductOut,
    ProductReplace,
    ProductUpdate,
    SearchMode,
    SearchPage,
    SearchSortField,
    SlugList,
    SortField,
    SortOrder,
)
from catalog_api.search import engine as search_engine
from catalog_api.search.analyzer import tokens
from catalog_api.search.paging import page_after, ranked_for_sort, sort_value
from catalog_api.services.idempotency import (
    Created,
    IdempotencyKey,
    replayed,
    stored_create,
)
from catalog_api.text import clean_line, slugify
from catalog_api.variants.rules import VariantPlan, plan_request, update_plan
from catalog_api.variants.service import VariantService

logger = logging.getLogger(__name__)

IfMatch = frozenset[str] | None

# A key insert can only fail because a concurrent request committed the same key; the next
# attempt then finds that record. More than a few rounds means the record keeps expiring.
_KEY_ATTEMPTS = 3

ALLOWED_TRANSITIONS: dict[ProductStatus, set[ProductStatus]] = {
    ProductStatus.DRAFT: {ProductStatus.ACTIVE, ProductStatus.ARCHIVED},
    ProductStatus.ACTIVE: {ProductStatus.DRAFT, ProductStatus.ARCHIVED},
    ProductStatus.ARCHIVED: {ProductStatus.DRAFT},
}

_SORT_TYPES: dict[str, type] = {"created_at": datetime, "price": int, "title": str}
_DEFAULT_ORDER = {"created_at": SortOrder.DESC, "price": SortOrder.ASC, "title": SortOrder.ASC}


@dataclass(frozen=True, kw_only=True)
class ListQuery:
    """A page request for browsing."""

    filters: ProductFilters = field(default_factory=ProductFilters)
    sort: SortField = SortField.CREATED_AT
    order: SortOrder | None = None
    limit: int = 20
    cursor: str | None = None
    facets: bool = False


@dataclass(frozen=True, kw_only=True)
class SearchQuery:
    """A page request for full-text search."""

    q: str
    filters: ProductFilters = field(default_factory=ProductFilters)
    sort: SearchSortField = SearchSortField.RELEVANCE
    order: SortOrder | None = None
    limit: int = 20
    cursor: str | None = None
    facets: bool = False
    mode: SearchMode = SearchMode.LEXICAL


# Most matches a list counts for its total (Settings.count_limit).
DEFAULT_COUNT_LIMIT = 10_000


class ProductService:
    """Use cases over products."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        facet_limit: int = DEFAULT_FACET_LIMIT,
        count_limit: int = DEFAULT_COUNT_LIMIT,
    ) -> None:
        self.session = session
        self.count_limit = count_limit
        self.products = ProductRepository(session)
        self.keys = IdempotencyRepository(session)
        self.facets = FacetService(session, limit=facet_limit)
        self.variants = VariantService(session)

    async def create(
        self, data: ProductCreate, *, idempotency: IdempotencyKey | None = None
    ) -> Created:
        """Create a product; an explicit duplicate slug or SKU is a conflict.

        With an idempotency key, the key is claimed in the same transaction as the insert, so
        the product and the record of its response commit together or not at all.
        """
        async with self.variants.naming_taken_skus():
            return await self._create(data, idempotency)

    async def _create(self, data: ProductCreate, idempotency: IdempotencyKey | None) -> Created:
        if data.status is ProductStatus.ARCHIVED:
            raise InvalidInputError(
                "A new product cannot be archived; create it as draft or active.", field="status"
            )
        if idempotency is None:
            await begin_write(self.session)
            product = await self._insert(data)
            await self.session.commit()
            logger.info("created product %s (%s)", product.id, product.slug)
            return Created(product=product)
        for _ in range(_KEY_ATTEMPTS):
            await begin_write(self.session)
            now = utcnow()
            record = await self.keys.get(idempotency.scope, idempotency.key)
            if record is not None and record.expires_at > now:
                try:
                    created = stored_create(record, idempotency)
                    return replayed(created, await self.products.get(created.id))
                finally:
                    await self.session.rollback()
            if record is not None:
                await self.keys.remove(record)
            record = IdempotencyRecord(
                scope=idempotency.scope,
                key=idempotency.key,
                fingerprint=idempotency.fingerprint,
                body="",
                created_at=now,
                expires_at=now + idempotency.ttl,
            )
            try:
                await self.keys.add(record)
            except IntegrityError:
                await self.session.rollback()
                continue
            product = await self._insert(data)
            record.body = product.model_dump_json()
            await self.session.commit()
            logger.info("created product %s (%s) for a new key", product.id, product.slug)
            return Created(product=product)
        raise ConcurrentUpdateError(
            "Concurrent requests kept racing for this Idempotency-Key; retry the request."
        )

    async def _insert(self, data: ProductCreate) -> ProductOut:
        values = data.to_values()
        values["slug"] = data.slug or await self._free_slug(data.title)
        plan = plan_request(
            data.options,
            data.variants,
            price_minor=data.price_minor,
            stock_quantity=data.stock_quantity,
            sku=data.sku,
        )
        product = Product(**values)
        await self.variants.apply_plan(product, plan, slug=values["slug"])
        await self.products.add(product)
        await self.variants.index_options(product)
        return ProductOut.model_validate(product)

    async def purge_expired_keys(self) -> int:
        """Forget idempotency keys past their expiry; return how many."""
        await begin_write(self.session)
        count = await self.keys.purge_expired(utcnow())
        await self.session.commit()
        return count

    async def update(
        self, product_id: int, data: ProductUpdate, *, if_match: IfMatch = None
    ) -> ProductOut:
        """Change the given fields of a product."""
        await begin_write(self.session)
        values = data.to_values()
        changing = data.model_dump(exclude_unset=True)
        product = await self._get_for_write(product_id, if_match, changing=changing)
        plan = update_plan(
            product,
            options=data.options,
            variants=data.variants,
            price_minor=data.price_minor,
            stock_quantity=data.stock_quantity,
        )
        async with self.variants.naming_taken_skus():
            return await self._apply(product, values, plan)

    async def replace(
        self, product_id: int, data: ProductReplace, *, if_match: IfMatch = None
    ) -> ProductOut:
        """Replace every field of a product; an omitted slug is kept."""
        await begin_write(self.session)
        values = data.to_values()
        product = await self._get_for_write(product_id, if_match, changing=data.model_dump())
        if values["slug"] is None:
            del values["slug"]
        plan = plan_request(
            data.options,
            data.variants,
            price_minor=data.price_minor,
            stock_quantity=data.stock_quantity,
            sku=data.sku,
        )
        async with self.variants.naming_taken_skus():
            return await self._apply(product, values, plan)

    async def delete(self, product_id: int, *, if_match: IfMatch = None) -> None:
        """Delete a product."""
        await begin_write(self.session)
        product = await self._get_for_write(product_id, if_match)
        await self.products.delete(product)
        await self.session.commit()
        logger.info("deleted product %s (%s)", product_id, product.slug)

    async def browse(self, query: ListQuery) -> Page[ProductOut]:
        """Return a page of products."""
        await self._require_one_currency(query.filters, query.sort.value)
        value_type = _SORT_TYPES[query.sort.value]
        order = query.order or _DEFAULT_ORDER[query.sort.value]
        tag = self._query_tag("list", query.filters, query.sort.value, order)
        after = decode_cursor(query.cursor, tag, value_type) if query.cursor else None
        rows = await self.products.list_page(
            query.filters,
            sort=query.sort.value,
            descending=order is SortOrder.DESC,
            after=after,
            limit=query.limit + 1,
        )
        total, exact = await self.products.count_up_to(query.filters, self.count_limit + 1)
        facets = None
        if query.facets:
            matches = self.products.matching_ids(query.filters)
            facets = await self.facets.for_select(matches, total=total if exact else None)
        items = rows[: query.limit]
        next_cursor = None
        if len(rows) > query.limit:
            last, value = items[-1]
            next_cursor = encode_cursor(value, last.id, tag)
        return Page[ProductOut](
            items=[ProductOut.model_validate(p) for p, _ in items],
            total=min(total, self.count_limit),
            total_is_exact=exact,
            limit=query.limit,
            next_cursor=next_cursor,
            facets=facets,
        )

    async def search(self, query: SearchQuery) -> SearchPage:
        """Return a page of products ranked by how well they match the query's words."""
        if not tokens(query.q):
            raise InvalidInputError(
                "The query has no searchable words; use letters or digits.", field="q"
            )
        await self._require_one_currency(query.filters, query.sort.value)
        relevance = query.sort is SearchSortField.RELEVANCE
        plan = await self.products.match_plan(query.filters)
        filtered = (
            None
            if query.filters == ProductFilters()
            else lambda stmt: self.products.filtered(stmt, query.filters, plan=plan)
        )
        sort_key = None if relevance else self.products.sort_key(query.sort.value, query.filters)
        if query.mode is SearchMode.LEXICAL:
            outcome = await search_engine.search(self.session, query.q, filtered, sort_key)
        else:
            from catalog_api.semantic.search import search_by_meaning

            hybrid = query.mode is SearchMode.HYBRID
            outcome = await search_by_meaning(
                self.session, query.q, filtered, sort_key, hybrid=hybrid
            )
        if relevance:
            order = query.order or SortOrder.DESC
            value_type: type = float
        else:
            order = query.order or _DEFAULT_ORDER[query.sort.value]
            value_type = _SORT_TYPES[query.sort.value]
        ranked = ranked_for_sort(
            outcome.ranked, query.sort.value, descending=order is SortOrder.DESC
        )
        modes = () if query.mode is SearchMode.LEXICAL else (query.mode.value,)
        tag = self._query_tag(
            "search", query.filters, query.sort.value, order.value, query.q, *modes
        )
        after = decode_cursor(query.cursor, tag, value_type) if query.cursor else None
        window = page_after(
            ranked, query.sort.value, order is SortOrder.DESC, after, query.limit + 1
        )
        page = window[: query.limit]
        products = await self.products.by_ids([item.candidate.id for item in page])
        facets = None
        if query.facets:
            ids = [item.candidate.id for item in ranked]
            facets = await self.facets.for_ids(ids, more_matched=not outcome.complete)
        next_cursor = None
        if len(window) > query.limit:
            last = page[-1]
            next_cursor = encode_cursor(sort_value(last, query.sort.value), last.candidate.id, tag)
        return SearchPage(
            items=[ProductOut.model_validate(p) for p in products],
            total=len(ranked),
            total_is_exact=outcome.complete,
            limit=query.limit,
            next_cursor=next_cursor,
            interpretation=search_engine.interpretation(
                outcome, [f"{p.title} {' '.join(p.tags)} {p.description}" for p in products[:5]]
            ),
            facets=facets,
        )

    async def categories(self, status: ProductStatus | None = None) -> CategoryList:
        """Return the categories with their product counts."""
        rows = await self.products.categories(status)
        return CategoryList(items=[CategoryCount(category=c, count=n) for c, n in rows])

    async def currencies(self, filters: ProductFilters, *, counts: bool = True) -> CurrencyList:
        """Return the currencies of the products that pass the filters, with counts if asked.

        Counting reads every product that passes the filters; the codes alone are index probes.
        """
        if not counts:
            codes = await self.products.currencies_present(filters)
            return CurrencyList(
                items=[
                    CurrencyCount(currency=c, count=None, minor_unit=MINOR_UNITS.get(c, 2))
                    for c in codes
                ]
            )
        rows = await self.products.currencies(filters)
        return CurrencyList(
            items=[
                CurrencyCount(currency=c, count=n, minor_unit=MINOR_UNITS.get(c, 2))
                for c, n in rows
            ]
        )

    async def _require_one_currency(self, filters: ProductFilters, sort: str) -> None:
        """Refuse price filters or a price sort that would compare amounts of two currencies."""
        priced = [name for name in ("min_price", "max_price") if getattr(filters, name) is not None]
        if sort == "price":
            priced.append("sort=price")
        if filters.currency is not None or not priced:
            return
        unpriced = replace(filters, min_price=None, max_price=None)
        if len(await self.products.currencies_present(unpriced, limit=2)) > 1:
            present = await self.products.currencies_present(unpriced)
            raise InvalidInputError(
                f"{' and '.join(priced)} compare amounts in one currency, but the matching "
                f"products are priced in {', '.join(present)}; pass currency (one of them) to "
                "filter and sort within it.",
                field="currency",
                currencies=present,
            )

    async def slugs(self, prefix: str, limit: int) -> SlugList:
        """Return up to limit slugs that start with prefix (slugs are lowercase)."""
        found = await self.products.slugs_starting_with(clean_line(prefix).lower(), limit + 1)
        return SlugList(items=found[:limit], has_more=len(found) > limit)

    async def _get_or_404(self, product_id: int, *, for_update: bool = False) -> Product:
        product = await self.products.get(product_id, for_update=for_update)
        if product is None:
            raise ProductNotFoundError(f"No product has id {product_id}.")
        return product

    async def _get_for_write(
        self, product_id: int, if_match: IfMatch, *, changing: dict[str, Any] | None = None
    ) -> Product:
        """Lock a product inside the write transaction and check If-Match against it.

        A refusal carries the current version and the current values of the fields the request
        meant to change (no per-version history is kept, so what changed since is not known).
        """
        product = await self._get_or_404(product_id, for_update=True)
        if if_match is not None:
            current = f'"{product.id}.{product.version}"'
            if "*" not in if_match and current not in if_match:
                stored = ProductOut.model_validate(product).model_dump(mode="json")
                raise PreconditionFailedError(
                    f"The product is at version {product.version} (ETag {current}), not the one "
                    "you sent in If-Match; read it again, reapply your change and retry.",
                    etag=current,
                    current_version=product.version,
                    updated_at=stored["updated_at"],
                    current={name: stored[name] for name in changing or {} if name in stored},
                )
        return product

    async def _free_slug(self, title: str) -> str:
        base = slugify(title) or "product"
        taken = await self.products.slugs_with_prefix(base)
        if base not in taken:
            return base
        n = 2
        while f"{base}-{n}" in taken:
            n += 1
        return f"{base}-{n}"

    async def _apply(
        self, product: Product, values: dict[str, Any], plan: VariantPlan | None
    ) -> ProductOut:
        new_status = values.get("status")
        if (
            new_status is not None
            and new_status != product.status
            and new_status not in ALLOWED_TRANSITIONS[product.status]
        ):
            allowed = ", ".join(sorted(s.value for s in ALLOWED_TRANSITIONS[product.status]))
            raise InvalidStatusTransitionError(
                f"The product is {product.status.value}; it cannot become {new_status.value}; "
                f"allowed: {allowed}.",
                current_status=product.status.value,
            )
        # Variants first: the plan may flush removed variants before the product row changes.
        slug = values.get("slug", product.slug)
        variants_changed = plan is not None and await self.variants.apply_plan(
            product, plan, slug=slug
        )
        changed = {k: v for k, v in values.items() if getattr(product, k) != v}
        if changed or variants_changed:
            for name, value in changed.items():
                setattr(product, name, value)
            product.updated_at = utcnow()
            await self.products.flush(slug=product.slug)
            if variants_changed:
                await self.variants.index_options(product)
        await self.session.commit()
        return ProductOut.model_validate(product)

    @staticmethod
    def _query_tag(kind: str, filters: ProductFilters, sort: str, order: str, *extra: Any) -> str:
        return fingerprint({"k": kind, "f": asdict(filters), "s": sort, "o": order, "x": extra})
