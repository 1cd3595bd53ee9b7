"""The conditions of product filters and the keyset page, for one dialect."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, exists, func, literal, literal_column, select, tuple_

from catalog_api.history.filters import created_by
from catalog_api.models import Product, ProductStatus
from catalog_api.variants.filters import (
    attribute_is,
    brand_is,
    lowest_matching_price,
    stocked_variant_priced,
    variant_probe,
    variant_products,
)
from catalog_api.variants.plans import (
    STOCKED,
    FilterPlan,
    attribute_probe,
    attribute_range,
    options_first,
    stocked_priced,
)

SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True, kw_only=True)
class ProductFilters:
    """Filters shared by list and search."""

    category: str | None = None
    tag: str | None = None
    status: ProductStatus | None = None
    currency: str | None = None
    min_price: int | None = None
    max_price: int | None = None
    in_stock: bool | None = None
    brand: str | None = None
    # Casefolded (name, value) pairs one variant must all hold, sorted; in_stock then
    # applies to that variant.
    options: tuple[tuple[str, str], ...] = ()
    # (key, value) pairs of the attributes map, exact, sorted.
    attributes: tuple[tuple[str, str], ...] = ()
    # Only products this key (or cli:<command>) created, as recorded in their history.
    created_by: str | None = None

    @property
    def by_variant(self) -> bool:
        """Tell whether one variant must match: option values given, or in_stock=true.

        The prices then apply to that variant, and sort=price is by the lowest such.
        in_stock=false alone stays the product's: sold out, every variant at zero.
        """
        return bool(self.options) or self.in_stock is True


@dataclass(frozen=True, kw_only=True)
class KeysetPosition:
    """Where a page starts: after the row with this sort value and id."""

    value: Any
    id: int


SORT_COLUMNS: dict[str, ColumnElement[Any]] = {
    "created_at": Product.created_at,  # type: ignore[dict-item]
    "price": Product.price_minor,  # type: ignore[dict-item]
    "title": Product.title,  # type: ignore[dict-item]
}


class ProductConditions:
    """Turn ProductFilters into conditions on a select over products, for self.dialect."""

    dialect: str

    def filtered(
        self,
        stmt: SelectT,
        filters: ProductFilters,
        *,
        variants_joined: bool = False,
        plan: FilterPlan | None = None,
    ) -> SelectT:
        """Add the filters' conditions to a select over products.

        variants_joined: stmt joins lowest_matching_prices or a price walk already, which
        apply the variant's option, stock and price conditions; they are not checked again.
        plan (SQLite, a page's query): which option or attribute filter starts from its index
        range, the others probed per product; None starts from each range.
        """
        conditions: list[ColumnElement[bool]] = []
        if filters.category is not None:
            conditions.append(Product.category == filters.category)
        if filters.status is not None:
            conditions.append(Product.status == filters.status)
        if filters.currency is not None:
            conditions.append(Product.currency == filters.currency)
        conditions.extend(self._stock_and_price(filters, variants_joined, plan))
        if filters.brand is not None:
            conditions.append(brand_is(filters.brand))
        conditions.extend(self._attributes(filters, plan))
        if filters.tag is not None:
            conditions.append(self._has_tag(filters.tag))
        if filters.created_by is not None:
            conditions.append(Product.id.in_(created_by(filters.created_by)))
        return stmt.where(*conditions) if conditions else stmt

    def _attributes(
        self, filters: ProductFilters, plan: FilterPlan | None
    ) -> list[ColumnElement[bool]]:
        """Return the attribute conditions: ranges, or the plan's start and probes.

        The attribute index table is SQLite's; PostgreSQL reads its GIN index either way.
        """
        if plan is None or self.dialect != "sqlite":
            return [attribute_is(self.dialect, key, value) for key, value in filters.attributes]
        return [
            attribute_range(key, value)
            if plan.start == ("attr", key, value)
            else attribute_probe(key, value)
            for key, value in filters.attributes
        ]

    def _stock_and_price(
        self, filters: ProductFilters, joined: bool, plan: FilterPlan | None = None
    ) -> list[ColumnElement[bool]]:
        """Return the stock and price conditions: of one variant, or of the product.

        in_stock=true&min_price without a plan (a count, facets: every match is read) starts
        from SQLite's in-stock price index rather than probe every in-stock product.
        """
        low, high = filters.min_price, filters.max_price
        conditions: list[ColumnElement[bool]] = []
        price: ColumnElement[int] = Product.price_minor  # type: ignore[assignment]
        if plan is not None and not plan.price_index:
            price = Product.price_minor + literal_column("0")  # no index: SQLite walks
        if filters.by_variant and high is not None:
            # Needed, not sufficient: the lowest price is at most the matching variant's.
            conditions.append(price <= high)
        if filters.options:
            first = filters.options if plan is None else options_first(filters.options, plan)
            if joined:
                pass
            elif first is None:
                probe = variant_probe(
                    filters.options,
                    filters.in_stock,
                    min_price=low,
                    max_price=high,
                    fenced=self.dialect == "postgresql",
                    below=None if plan is None else plan.below,
                )
                conditions.append(probe)
            else:
                matching = variant_products(first, filters.in_stock, min_price=low, max_price=high)
                conditions.append(Product.id.in_(matching))
        elif filters.in_stock is True:
            conditions.append(Product.stock_quantity > 0)
            ranged = plan is None and self.dialect == "sqlite" and low is not None
            if joined:
                pass
            elif ranged or (plan is not None and plan.start == STOCKED):
                conditions.append(Product.id.in_(stocked_priced(low, high)))
            elif low is not None or high is not None:
                conditions.append(stocked_variant_priced(low, high))
        else:
            if filters.in_stock is False:
                conditions.append(Product.stock_quantity == 0)
            if low is not None:
                conditions.append(price >= low)
            if high is not None:
                conditions.append(price <= high)
        return conditions

    @staticmethod
    def sort_key(sort: str, filters: ProductFilters) -> ColumnElement[Any]:
        """Return what a sort orders by, per product (for a bounded set of search candidates).

        price is the lowest matching variant's with option.* or in_stock=true (list_page walks
        or joins it instead).
        """
        if sort == "price" and filters.by_variant:
            return lowest_matching_price(
                filters.options, filters.in_stock, filters.min_price, filters.max_price
            ).label("sort_key")
        return SORT_COLUMNS[sort]

    def _has_tag(self, tag: str) -> ColumnElement[bool]:
        if self.dialect == "postgresql":
            return Product.tags.op("@>", is_comparison=True)(func.jsonb_build_array(tag))
        each = func.json_each(Product.tags).table_valued("value")
        return exists(select(literal(1)).select_from(each).where(each.c.value == tag))

    @staticmethod
    def _page(
        stmt: SelectT,
        key: ColumnElement[Any],
        *,
        descending: bool,
        after: KeysetPosition | None,
        limit: int,
        tiebreak: ColumnElement[int] | None = None,
    ) -> SelectT:
        last = Product.id if tiebreak is None else tiebreak
        if after is not None:
            position = tuple_(key, last)
            bound = tuple_(literal(after.value, key.type), literal(after.id))
            stmt = stmt.where(position < bound if descending else position > bound)
        order = (key.desc(), last.desc()) if descending else (key.asc(), last.asc())
        return stmt.order_by(*order).limit(limit)
