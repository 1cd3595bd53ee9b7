"""Filter conditions over variants, brands and attributes for selects over products."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, literal, select
from sqlalchemy.orm import aliased

from catalog_api.models import Product
from catalog_api.variants.models import ProductVariant, VariantOptionValue

# The most option.* and attr.* parameters one request may give (each adds a join or probe).
MAX_OPTION_FILTERS = 8
MAX_ATTRIBUTE_FILTERS = 8


def variant_products(options: Sequence[tuple[str, str]], in_stock: bool | None) -> Select[Any]:
    """Return a select of the ids of products with ONE variant holding every option value.

    options are casefolded (name, value) pairs, as variant_option_values stores them. One
    index range of the (name, value, variant_id) key per pair, joined on variant_id (each
    further pair a point probe of that key); in_stock checks the same variant's stock.
    """
    first_name, first_value = options[0]
    anchor = aliased(VariantOptionValue)
    stmt = select(anchor.product_id).where(anchor.name == first_name, anchor.value == first_value)
    for name, value in options[1:]:
        other = aliased(VariantOptionValue)
        stmt = stmt.join(
            other,
            (other.variant_id == anchor.variant_id) & (other.name == name) & (other.value == value),
        )
    if in_stock is not None:
        stock = ProductVariant.stock_quantity
        stmt = stmt.join(ProductVariant, ProductVariant.id == anchor.variant_id).where(
            stock > 0 if in_stock else stock == 0
        )
    return stmt


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
    catalog size. SQLite has no index over a JSON map's entries: each candidate row's
    attributes are read (json_each), so a rare attribute alone reads the whole table (about a
    second per million rows); other filters and the page's LIMIT bound the rows read first.
    """
    if dialect == "postgresql":
        document = func.jsonb_build_object(literal(key), literal(value))
        return Product.attributes.op("@>", is_comparison=True)(document)
    each = func.json_each(Product.attributes).table_valued("key", "value")
    return exists(
        select(literal(1)).select_from(each).where(each.c.key == key, each.c.value == value)
    )
