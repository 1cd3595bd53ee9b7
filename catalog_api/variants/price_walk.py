"""sort=price with variant filters (option.*, in_stock=true), walking variants in price order.

Grouping the lowest matching price of every product that holds a common option value
reads all of them before the first page (seconds at 1M products). Walking the index of
variants by (price_minor, product_id) instead, each matching variant that is its
product's lowest matching one (no matching variant of the product is cheaper, ties by
variant id) is a row of the page, so the page ends after a few probes per row. A rare
value (few index entries) still groups its range: the walk would pass many variants that
do not hold it. in_stock=true alone walks when many variants are in stock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from catalog_api.variants import plans
from catalog_api.variants.filters import lowest_matching_prices, variant_conditions
from catalog_api.variants.models import ProductVariant, VariantOptionValue


@dataclass(frozen=True)
class PriceWalk:
    """The walked variant (an alias of ProductVariant) and the conditions a row must meet."""

    variant: Any
    conditions: list[ColumnElement[bool]]


def _matches(
    variant: Any,
    options: Sequence[tuple[str, str]],
    in_stock: bool | None,
    min_price: int | None,
    max_price: int | None,
) -> list[ColumnElement[bool]]:
    """Return the conditions for one variant to hold every option value, stock and price."""
    conditions = variant_conditions(variant, in_stock, min_price, max_price)
    for name, value in options:
        option = aliased(VariantOptionValue)
        held = select(literal(1)).where(
            option.name == name, option.value == value, option.variant_id == variant.id
        )
        conditions.append(exists(held))
    return conditions


def price_walk(
    options: Sequence[tuple[str, str]],
    in_stock: bool | None,
    min_price: int | None,
    max_price: int | None,
) -> PriceWalk:
    """Return the walk: join its variant to products, order by its price and product id."""
    variant = aliased(ProductVariant, name="walked")
    cheaper = aliased(ProductVariant, name="cheaper")
    before = or_(
        cheaper.price_minor < variant.price_minor,
        and_(cheaper.price_minor == variant.price_minor, cheaper.id < variant.id),
    )
    lower = select(literal(1)).where(
        cheaper.product_id == variant.product_id,
        before,
        *_matches(cheaper, options, in_stock, min_price, max_price),
    )
    matching = _matches(variant, options, in_stock, min_price, max_price)
    return PriceWalk(variant, [*matching, ~exists(lower)])


async def walks_prices(
    session: AsyncSession,
    options: Sequence[tuple[str, str]],
    prices: tuple[int | None, int | None],
) -> bool:
    """Tell whether every variant filter is common: then the walk is cheaper than grouping.

    Without options the filter is in_stock=true: the in-stock variants within the prices.
    """
    for name, value in options:
        if await plans.option_entries(session, name, value) < plans.COMMON_ROWS:
            return False
    if options:
        return True
    return await plans.stocked_entries(session, prices) >= plans.COMMON_ROWS


def grouped_lowest_prices(
    options: Sequence[tuple[str, str]],
    in_stock: bool | None,
    min_price: int | None,
    max_price: int | None,
) -> Select[Any]:
    """Return a select of (product_id, price), each matching product's lowest matching price."""
    if options:
        return lowest_matching_prices(options, in_stock, min_price, max_price)
    price = func.min(ProductVariant.price_minor).label("price")
    conditions = variant_conditions(ProductVariant, in_stock, min_price, max_price)
    grouped = select(ProductVariant.product_id).add_columns(price).where(*conditions)
    return grouped.group_by(ProductVariant.product_id)
