"""Filter conditions over variants, brands and attributes for selects over products."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, literal, literal_column, select
from sqlalchemy.orm import aliased

from catalog_api.models import Product
from catalog_api.variants.models import ProductVariant, VariantOptionValue
from catalog_api.variants.plans import attribute_range

# The most option.* and attr.* parameters one request may give (each adds a join or probe).
MAX_OPTION_FILTERS = 8
MAX_ATTRIBUTE_FILTERS = 8


def variant_conditions(
    variant: Any, in_stock: bool | None, min_price: int | None, max_price: int | None
) -> list[ColumnElement[bool]]:
    """Return the stock and price conditions one variant (an aliased ProductVariant) must meet."""
    conditions: list[ColumnElement[bool]] = []
    if in_stock is not None:
        conditions.append(variant.stock_quantity > 0 if in_stock else variant.stock_quantity == 0)
    if min_price is not None:
        conditions.append(variant.price_minor >= min_price)
    if max_price is not None:
        conditions.append(variant.price_minor <= max_price)
    return conditions


def variant_products(
    options: Sequence[tuple[str, str]],
    in_stock: bool | None,
    *,
    min_price: int | None = None,
    max_price: int | None = None,
) -> Select[Any]:
    """Return a select of the ids of products with ONE variant holding every option value.

    options are casefolded (name, value) pairs, as variant_option_values stores them. One
    index range of the (name, value, variant_id) key per pair, joined on variant_id (each
    further pair a point probe of that key); in_stock and the prices check the same variant.
    """
    return _matching(options, in_stock, min_price, max_price, lowest=False)


def lowest_matching_prices(
    options: Sequence[tuple[str, str]],
    in_stock: bool | None,
    min_price: int | None,
    max_price: int | None,
) -> Select[Any]:
    """Return a select of (product_id, price): each matching product's lowest matching price.

    The same index ranges as variant_products, read once and grouped by product: a sort by
    price joins it instead of computing a subquery for each product.
    """
    return _matching(options, in_stock, min_price, max_price, lowest=True)


def _matching(
    options: Sequence[tuple[str, str]],
    in_stock: bool | None,
    min_price: int | None,
    max_price: int | None,
    *,
    lowest: bool,
) -> Select[Any]:
    first_name, first_value = options[0]
    anchor = aliased(VariantOptionValue)
    stmt = select(anchor.product_id).where(anchor.name == first_name, anchor.value == first_value)
    for name, value in options[1:]:
        other = aliased(VariantOptionValue)
        stmt = stmt.join(
            other,
            (other.variant_id == anchor.variant_id) & (other.name == name) & (other.value == value),
        )
    conditions = variant_conditions(ProductVariant, in_stock, min_price, max_price)
    if conditions or lowest:
        stmt = stmt.join(ProductVariant, ProductVariant.id == anchor.variant_id).where(*conditions)
    if lowest:
        price = func.min(ProductVariant.price_minor).label("price")
        stmt = stmt.add_columns(price).group_by(anchor.product_id)
    return stmt


def variant_probe(
    options: Sequence[tuple[str, str]],
    in_stock: bool | None,
    *,
    min_price: int | None = None,
    max_price: int | None = None,
    fenced: bool = False,
    below: int | None = None,
) -> ColumnElement[bool]:
    """Match the product when one of its variants holds every option value (as variant_products).

    A probe per product: the range of (product_id, name, value) (that index holds the key's
    variant_id too), each further value a point probe of the key, then the variant's row
    only if stock or prices are asked. fenced (PostgreSQL): OFFSET 0 keeps the subquery a
    probe run per product; flattened into a semi-join, PostgreSQL hashed every option
    value's whole range (750,000 entries each at 1M products) for a search of 500 matches.
    below (PostgreSQL, a count of the products under that id): each option value's rows
    are bounded to those products and the probe is not fenced, so the count may join them
    as sets (at most that many products' rows) instead of probing product by product.
    """
    (name, value), rest = options[0], options[1:]
    anchor = aliased(VariantOptionValue)
    stmt = (
        select(literal(1))
        .select_from(anchor)
        .where(anchor.product_id == Product.id, anchor.name == name, anchor.value == value)
    )
    if below is not None:
        stmt = stmt.where(anchor.product_id < below)
    for other_name, other_value in rest:
        other = aliased(VariantOptionValue)
        stmt = stmt.join(
            other,
            (other.variant_id == anchor.variant_id)
            & (other.name == other_name)
            & (other.value == other_value),
        )
        if below is not None:
            # Redundant (one variant, one product) but it bounds this value's rows too:
            # without it PostgreSQL hashed the value's whole range (750,000 rows).
            stmt = stmt.where(other.product_id < below)
    variant = aliased(ProductVariant)
    conditions = variant_conditions(variant, in_stock, min_price, max_price)
    if conditions:
        stmt = stmt.join(variant, variant.id == anchor.variant_id).where(*conditions)
    return exists(stmt.offset(literal_column("0")) if fenced and below is None else stmt)


def stocked_variant_priced(min_price: int | None, max_price: int | None) -> ColumnElement[bool]:
    """Match products with one variant in stock priced within the bounds (either may be None).

    A probe of the product's variants (by product_id) for each product the other conditions
    leave: no index over variant prices is needed, nor a read of all variants.
    """
    variant = aliased(ProductVariant)
    conditions = variant_conditions(variant, True, min_price, max_price)
    return exists(select(literal(1)).where(variant.product_id == Product.id, *conditions))


def lowest_matching_price(
    options: Sequence[tuple[str, str]],
    in_stock: bool | None,
    min_price: int | None,
    max_price: int | None,
) -> ColumnElement[int]:
    """Return the lowest price of the product's variants that pass the variant filters.

    A correlated subquery: one probe of the product's variants (and of each option value's
    key) per product it is computed for, so sorting by it reads every matching product.
    """
    variant = aliased(ProductVariant)
    stmt = select(func.min(variant.price_minor)).where(
        variant.product_id == Product.id,
        *variant_conditions(variant, in_stock, min_price, max_price),
    )
    for name, value in options:
        option = aliased(VariantOptionValue)
        stmt = stmt.join(
            option,
            (option.variant_id == variant.id) & (option.name == name) & (option.value == value),
        )
    return stmt.scalar_subquery()


def brand_is(brand: str) -> ColumnElement[bool]:
    """Match the brand ignoring case, through the database's lower() on both sides.

    SQLite's lower() folds ASCII letters only: 'ÄRZTE' matches 'ärzte' on PostgreSQL, not on
    SQLite. Migration 0009 indexes lower(brand) on both databases.
    """
    return func.lower(Product.brand) == func.lower(literal(brand))


def attribute_is(dialect: str, key: str, value: str) -> ColumnElement[bool]:
    """Match products whose attributes map key to exactly value.

    PostgreSQL: containment, answered from the GIN index of migration 0009 (jsonb_path_ops, one
    hash of the key path and value per attribute): a bitmap of the matching rows, whatever the
    catalog size. SQLite: the (key, value) range of product_attribute_values (migration 0012);
    a page's query may probe it per product instead (catalog_api/variants/plans.py).
    """
    if dialect == "postgresql":
        document = func.jsonb_build_object(literal(key), literal(value))
        return Product.attributes.op("@>", is_comparison=True)(document)
    return attribute_range(key, value)
