"""Facet counts of a match set in one statement: its first rows, grouped six ways."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    FromClause,
    Join,
    Select,
    String,
    Table,
    func,
    literal,
    null,
    select,
    text,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_api.facets import labels
from catalog_api.models import Product
from catalog_api.repositories.id_lists import product_id_among

PRODUCTS = cast(Table, Product.__table__)


@dataclass(frozen=True, kw_only=True)
class FacetRows:
    """Raw counts over the first rows of a match set."""

    matched: int | None
    category_status: list[tuple[str, str, int]]
    tags: list[tuple[str, int]]
    prices: list[tuple[str, int, int]]
    brands: list[tuple[str, int]]
    # (name or key, value, the name's rank, count)
    options: list[tuple[str, str, int, int]]
    attributes: list[tuple[str, str, int, int]]


def _reads_products(from_: FromClause) -> bool:
    if isinstance(from_, Join):
        return _reads_products(from_.left) or _reads_products(from_.right)
    return from_ is PRODUCTS


class FacetRepository:
    """Count products by category, status, tag and price inside the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.dialect = session.bind.dialect.name if session.bind is not None else "sqlite"

    def among(self, ids: Sequence[int]) -> Select[int]:
        """Return a select of these product ids, bound as one parameter whatever their number."""
        return select(Product.id).where(product_id_among(self.dialect, ids, "facet_ids"))

    def _each_tag(self, tags: ColumnElement[Any]) -> Any:
        """Return a FROM item with one row (column value) per element of a JSON list column."""
        if self.dialect == "postgresql":
            return func.jsonb_array_elements_text(tags).table_valued("value").lateral()
        return func.json_each(tags).table_valued("value")

    async def count(self, match: Select[int], *, limit: int, top: int, probe: bool) -> FacetRows:
        """Count the first limit products of match: categories with statuses, top tags, prices,
        top brands, and the top values of the top option names and attribute keys.

        match selects product ids, has no LIMIT and reads the products table (joined or not),
        whose facet columns then replace the id: each matching row is read once. probe also
        counts the match set up to limit + 1 (rows.matched), for callers that lack its size.
        """
        if not any(_reads_products(from_) for from_ in match.get_final_froms()):
            raise ValueError("the match set must select from the products table")
        # No ORDER BY: the database stops after limit rows instead of sorting every match.
        rows = match.with_only_columns(
            Product.id,
            Product.category,
            Product.status,
            Product.currency,
            Product.price_minor,
            Product.tags,
            Product.brand,
            Product.attributes,
        ).limit(limit)
        # Used six times, so both databases compute it once (a materialised CTE).
        matched = rows.cte("matched")
        category_status = select(
            literal("category"),
            matched.c.category,
            type_coerce(matched.c.status, String),
            type_coerce(null(), BigInteger),
            func.count(),
        ).group_by(matched.c.category, matched.c.status)
        prices = select(
            literal("price"), matched.c.currency, null(), matched.c.price_minor, func.count()
        ).group_by(matched.c.currency, matched.c.price_minor)
        tag = self._each_tag(matched.c.tags)
        tag_count = func.count().label("n")
        # Ties by code point, as Python breaks them (PostgreSQL's collation may skip hyphens).
        tag_order = labels.by_code_point(self.dialect, tag.c.value)
        top_tags = (
            select(tag.c.value.label("tag"), tag_count)
            .select_from(matched)
            .join(tag, true())
            .group_by(tag.c.value)
            .order_by(tag_count.desc(), tag_order)
            .limit(top)
            .subquery("top_tags")
        )
        tags = select(literal("tag"), top_tags.c.tag, null(), null(), top_tags.c.n)
        parts: list[Select[*tuple[Any, ...]]] = [
            category_status,
            prices,
            tags,
            labels.brands(self.dialect, matched, top),
            labels.options(self.dialect, matched),
            labels.attributes(self.dialect, matched),
        ]
        if probe:
            # One row past the limit tells whether the match set is larger than what was counted.
            first = match.limit(limit + 1).subquery("probe")
            size = select(literal("matched"), null(), null(), null(), func.count()).select_from(
                first
            )
            parts.append(size)
        if self.dialect == "postgresql":
            # The per-product probes make the plan look costly enough for PostgreSQL to JIT
            # compile it, which takes longer than running it (1.6 s against 0.23 s at 10,000
            # counted products, bench/RESULTS.md); for the rest of this transaction only.
            await self.session.execute(text("SET LOCAL jit = off"))
        return self._rows(await self.session.execute(union_all(*parts)))

    @staticmethod
    def _rows(result: Iterable[Any]) -> FacetRows:
        """Sort the union's (facet, value, detail, number, count) rows by facet."""
        matched_count = None
        by_category: list[tuple[str, str, int]] = []
        by_tag: list[tuple[str, int]] = []
        by_price: list[tuple[str, int, int]] = []
        by_brand: list[tuple[str, int]] = []
        by_option: list[tuple[str, str, int, int]] = []
        by_attribute: list[tuple[str, str, int, int]] = []
        for facet, value, detail, number, n in result:
            if facet == "category":
                by_category.append((value, detail, int(n)))
            elif facet == "price":
                by_price.append((value, int(number), int(n)))
            elif facet == "tag":
                by_tag.append((str(value), int(n)))
            elif facet == "brand":
                by_brand.append((str(value), int(n)))
            elif facet == "option":
                by_option.append((str(value), str(detail), int(number), int(n)))
            elif facet == "attr":
                by_attribute.append((str(value), str(detail), int(number), int(n)))
            else:
                matched_count = int(n)
        return FacetRows(
            matched=matched_count,
            category_status=by_category,
            tags=by_tag,
            prices=by_price,
            brands=by_brand,
            options=by_option,
            attributes=by_attribute,
        )
