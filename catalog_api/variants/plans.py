"""SQLite's choice, per request, of which option or attribute filter starts a page's query.

SQLite plans without statistics of a value's frequency: given option.size=10 it always
started from the (name, value) range and sorted every matching product, seconds at 1M
products for a value a third of them hold. Here a bounded count of each filter's index range
(at most COMMON_ROWS entries read) tells a rare value from a common one: the rarest rare one
starts the query from its range (few rows, then sorted), every other filter becomes a
probe per product; with none rare, the page walks the sort's index and probes each product
until the page is full. The results are the same either way. PostgreSQL has the statistics
and picks by itself: no plan there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Integer,
    MetaData,
    Select,
    Table,
    Text,
    exists,
    func,
    literal_column,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_api.models import Product
from catalog_api.variants.models import ProductVariant, VariantOptionValue

# An index range of fewer entries than this is read and sorted; a larger one is probed.
COMMON_ROWS = 5000

# SQLite only (migration 0012), kept by triggers on products: one row per attribute entry.
attribute_values = Table(
    "product_attribute_values",
    MetaData(),
    Column("key", Text, primary_key=True),
    Column("value", Text, primary_key=True),
    Column("product_id", Integer, primary_key=True),
)


# The plan's start for in_stock=true with a price bound: the in-stock variants' price range.
STOCKED = ("stock", "", "")


@dataclass(frozen=True)
class FilterPlan:
    """The filter whose index range starts the query, or None: every filter is probed."""

    start: tuple[str, str, str] | None
    # False: the product price bounds hold many products, so their (currency, price) range
    # must not start a walk (SQLite took it for option.size=12&max_price=2000: 100,000
    # products probed and sorted instead of about 400 walked by date).
    price_index: bool = True
    # PostgreSQL's bounded count: only products with a lower id are counted, so the option
    # probe may read the values of those products as one bounded set (variant_probe's below).
    below: int | None = None


async def many_priced(
    session: AsyncSession, currency: str | None, low: int | None, high: int | None
) -> bool:
    """Tell whether COMMON_ROWS products or more lie within the price bounds (and currency)."""
    inner = select(Product.id)
    if currency is not None:
        inner = inner.where(Product.currency == currency)
    if low is not None:
        inner = inner.where(Product.price_minor >= low)
    if high is not None:
        inner = inner.where(Product.price_minor <= high)
    bounded = inner.limit(COMMON_ROWS).subquery()
    found = int(await session.scalar(select(func.count()).select_from(bounded)) or 0)
    return found >= COMMON_ROWS


def stocked_priced(low: int | None, high: int | None) -> Select[Any]:
    """Return a select of the product ids of in-stock variants priced within the bounds.

    A range of the partial index ix_product_variants_in_stock_price (migration 0012 on SQLite,
    0016 on PostgreSQL): SQLite uses a partial index only when the query repeats its
    condition with the constant itself, not a bound parameter, hence the literal 0.
    """
    price = ProductVariant.price_minor
    stmt = select(ProductVariant.product_id).where(
        ProductVariant.stock_quantity > literal_column("0")
    )
    if low is not None:
        stmt = stmt.where(price >= low)
    if high is not None:
        stmt = stmt.where(price <= high)
    return stmt


async def _entries(
    session: AsyncSession,
    kind: str,
    name: str,
    value: str,
    prices: tuple[int | None, int | None],
    bound: int | None = None,
) -> int:
    """Count the index entries of one filter, stopping at bound (COMMON_ROWS by default)."""
    inner: Select[Any]
    if kind == "stock":
        inner = stocked_priced(*prices)
    elif kind == "option":
        inner = select(VariantOptionValue.variant_id).where(
            VariantOptionValue.name == name, VariantOptionValue.value == value
        )
    else:
        inner = select(attribute_values.c.product_id).where(
            attribute_values.c.key == name, attribute_values.c.value == value
        )
    bounded = inner.limit(bound or COMMON_ROWS).subquery()
    return int(await session.scalar(select(func.count()).select_from(bounded)) or 0)


async def option_entries(session: AsyncSession, name: str, value: str) -> int:
    """Count the variants holding one option value, stopping at COMMON_ROWS."""
    return await _entries(session, "option", name, value, (None, None))


async def stocked_entries(session: AsyncSession, prices: tuple[int | None, int | None]) -> int:
    """Count the in-stock variants priced within the bounds, stopping at COMMON_ROWS."""
    return await _entries(session, "stock", "", "", prices)


async def choose(
    session: AsyncSession,
    options: Sequence[tuple[str, str]],
    attributes: Sequence[tuple[str, str]],
    stocked: tuple[int | None, int | None] | None = None,
    common_rows: int | None = None,
) -> FilterPlan:
    """Return the plan for these filters: start from the rarest rare one, if any.

    stocked: the price bounds of in_stock=true without options, whose in-stock variants'
    price range may start the query too. common_rows: the entries from which a filter is
    common (COMMON_ROWS by default).
    """
    bound = common_rows or COMMON_ROWS
    filters = [("option", n, v) for n, v in options] + [("attr", k, v) for k, v in attributes]
    if stocked is not None:
        filters.append(STOCKED)
    best: tuple[int, tuple[str, str, str]] | None = None
    for kind, name, value in filters:
        count = await _entries(session, kind, name, value, stocked or (None, None), bound)
        if count < bound and (best is None or count < best[0]):
            best = (count, (kind, name, value))
    return FilterPlan(start=None if best is None else best[1])


def options_first(
    options: Sequence[tuple[str, str]], plan: FilterPlan
) -> list[tuple[str, str]] | None:
    """Return the options with the plan's starting one first, or None if it starts elsewhere."""
    if plan.start is None or plan.start[0] != "option":
        return None
    start = (plan.start[1], plan.start[2])
    return [start, *(pair for pair in options if pair != start)]


def attribute_range(key: str, value: str) -> ColumnElement[bool]:
    """Match the products in the (key, value) range of the attribute index."""
    table = attribute_values.c
    return Product.id.in_(select(table.product_id).where(table.key == key, table.value == value))


def attribute_probe(key: str, value: str) -> ColumnElement[bool]:
    """Match the product by one probe of the attribute index's (product_id) entries."""
    table = attribute_values.c
    return exists(
        select(table.product_id).where(
            table.product_id == Product.id, table.key == key, table.value == value
        )
    )
