"""Facet counts by brand, option value and attribute value, over the counted rows of a match set.

Each is a select of (facet, value, detail, rank, count) rows to join the facet statement's
UNION ALL: brand (spelling, -, -, n); option (name, value, name's rank, n); attr (key, value,
key's rank, n). Only the top values of the top names leave the database, ranked there with
window functions, so the rows returned stay few whatever the match set holds.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    CTE,
    BigInteger,
    ColumnElement,
    Select,
    Subquery,
    func,
    literal,
    null,
    select,
    true,
    type_coerce,
)

from catalog_api.variants.models import VariantOptionValue

# Values kept per option name or attribute key, and names or keys kept.
TOP_LABEL_VALUES = 10
TOP_NAMES = 5


def by_code_point(dialect: str, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """Return column as ordered by code point, as Python orders strings."""
    # PostgreSQL's collation may skip hyphens and fold case; SQLite compares bytes already.
    return column.collate("C") if dialect == "postgresql" else column


def brands(dialect: str, matched: CTE, top: int) -> Select[Any]:
    """Return the top brands (case ignored as brand= ignores it), each in one spelling."""
    spelling = func.min(by_code_point(dialect, matched.c.brand)).label("spelling")
    n = func.count().label("n")
    ranked = (
        select(spelling, n)
        .where(matched.c.brand.is_not(None))
        .group_by(func.lower(matched.c.brand))
        .order_by(n.desc(), spelling)
        .limit(top)
        .subquery("top_brands")
    )
    return select(literal("brand"), ranked.c.spelling, null(), null(), ranked.c.n)


def _top_of_each(
    dialect: str, facet: str, grouped: Subquery, top_values: int, top_names: int
) -> Select[Any]:
    """Keep the top values of each name, for the names with the most (product, value) pairs."""
    name, value, n = grouped.c.name, grouped.c.value, grouped.c.n
    within = func.row_number().over(
        partition_by=name, order_by=(n.desc(), by_code_point(dialect, value))
    )
    numbered = select(
        name, value, n, within.label("place"), func.sum(n).over(partition_by=name).label("weight")
    ).subquery(f"{facet}_values")
    order = (numbered.c.weight.desc(), by_code_point(dialect, numbered.c.name))
    ranked = select(numbered, func.dense_rank().over(order_by=order).label("name_rank")).subquery(
        f"{facet}_names"
    )
    return select(
        literal(facet),
        ranked.c.name,
        ranked.c.value,
        type_coerce(ranked.c.name_rank, BigInteger),
        ranked.c.n,
    ).where(ranked.c.place <= top_values, ranked.c.name_rank <= top_names)


def options(dialect: str, matched: CTE) -> Select[Any]:
    """Return the top option values, casefolded as option.* compares them: products having each.

    Read from variant_option_values by product_id, each counted product's distinct (name,
    value) pairs in index order, so a product counts once for a value however many of its
    variants hold it. On PostgreSQL a LATERAL probe per product: a join would read the whole
    table once the counted products are a large share of the catalog.
    """
    option = VariantOptionValue
    if dialect == "postgresql":
        held: Any = (
            select(option.name.label("name"), option.value.label("value"))
            .where(option.product_id == matched.c.id)
            .distinct()
            .lateral("product_options")
        )
        pairs = select(held.c.name, held.c.value).select_from(matched).join(held, true())
    else:
        pairs = (
            select(option.product_id, option.name.label("name"), option.value.label("value"))
            .select_from(matched)
            .join(option, option.product_id == matched.c.id)
            .distinct()
        )
    each = pairs.subquery("product_options_held")
    grouped = (
        select(each.c.name, each.c.value, func.count().label("n"))
        .group_by(each.c.name, each.c.value)
        .subquery("option_counts")
    )
    return _top_of_each(dialect, "option", grouped, TOP_LABEL_VALUES, TOP_NAMES)


def attributes(dialect: str, matched: CTE) -> Select[Any]:
    """Return the top attribute values, exact as attr.* compares them: products having each."""
    if dialect == "postgresql":
        entry: Any = (
            func.jsonb_each_text(matched.c.attributes).table_valued("key", "value").lateral()
        )
    else:
        entry = func.json_each(matched.c.attributes).table_valued("key", "value")
    grouped = (
        select(entry.c.key.label("name"), entry.c.value.label("value"), func.count().label("n"))
        .select_from(matched)
        .join(entry, true())
        .group_by(entry.c.key, entry.c.value)
        .subquery("attribute_counts")
    )
    return _top_of_each(dialect, "attr", grouped, TOP_LABEL_VALUES, TOP_NAMES)
