"""Query parameters shared by the list and search routes."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.exceptions import RequestValidationError

from catalog_api.config import MAX_PAGE_SIZE_LIMIT
from catalog_api.currencies import MINOR_UNITS
from catalog_api.deps import SettingsDep
from catalog_api.models import ProductStatus
from catalog_api.repositories import ProductFilters
from catalog_api.schemas import MAX_PRICE_MINOR, SortOrder, currency_pattern
from catalog_api.text import clean_line


class StatusFilter(StrEnum):
    """A status to filter by, or any."""

    DRAFT = "draft"
    ACTIVE = "active"
    ARCHIVED = "archived"
    ANY = "any"

    @property
    def product_status(self) -> ProductStatus | None:
        """Return the status filtered by, None for any."""
        return None if self is StatusFilter.ANY else ProductStatus(self.value)


async def product_filters(
    category: Annotated[
        str | None, Query(max_length=100, description="Only this category (case-insensitive).")
    ] = None,
    tag: Annotated[
        str | None, Query(max_length=50, description="Only products with this tag.")
    ] = None,
    status: Annotated[
        StatusFilter | None,
        Query(description="Only this status; any (or omitted) for every status."),
    ] = None,
    currency: Annotated[
        str | None,
        Query(
            min_length=3,
            max_length=3,
            pattern="^[A-Za-z]{3}$",
            # The schema names the known codes; product_filters says so in words when one is not.
            json_schema_extra={"pattern": currency_pattern()},
            description="Only prices in this ISO 4217 currency. Needed with min_price, max_price "
            "or sort=price when the matching products hold more than one currency.",
        ),
    ] = None,
    min_price: Annotated[
        int | None,
        Query(ge=0, le=MAX_PRICE_MINOR, description="Lowest price, in minor units, inclusive."),
    ] = None,
    max_price: Annotated[
        int | None,
        Query(ge=0, le=MAX_PRICE_MINOR, description="Highest price, in minor units, inclusive."),
    ] = None,
    in_stock: Annotated[
        bool | None,
        Query(description="true: stock above zero; false: out of stock."),
    ] = None,
) -> ProductFilters:
    """Collect and normalise the filters the way stored values are normalised."""
    if currency is not None and currency.upper() not in MINOR_UNITS:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "currency"),
                    "msg": "must be an ISO 4217 currency code such as USD, EUR or JPY",
                    "type": "value_error",
                }
            ]
        )
    if min_price is not None and max_price is not None and min_price > max_price:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "min_price"),
                    "msg": "min_price must not exceed max_price",
                    "type": "value_error",
                }
            ]
        )
    return ProductFilters(
        category=clean_line(category).casefold() if category is not None else None,
        tag=clean_line(tag).casefold() if tag is not None else None,
        status=None if status is None else status.product_status,
        currency=currency.upper() if currency is not None else None,
        min_price=min_price,
        max_price=max_price,
        in_stock=in_stock,
    )


FiltersDep = Annotated[ProductFilters, Depends(product_filters)]


async def page_limit(
    settings: SettingsDep,
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            # The cap no setting can raise; page_limit refuses what is above the configured one.
            json_schema_extra={"maximum": MAX_PAGE_SIZE_LIMIT},
            description=(
                "Page size: default 20, at most 100 (CATALOG_DEFAULT_PAGE_SIZE and "
                "CATALOG_MAX_PAGE_SIZE change them); a larger value is refused, not clamped."
            ),
        ),
    ] = None,
) -> int:
    """Validate the page size against the configured cap."""
    if limit is None:
        return min(settings.default_page_size, settings.max_page_size)
    if limit > settings.max_page_size:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "limit"),
                    "msg": f"Input should be less than or equal to {settings.max_page_size}",
                    "type": "less_than_equal",
                }
            ]
        )
    return limit


LimitDep = Annotated[int, Depends(page_limit)]


def document_page_size(openapi: dict[str, Any], max_page_size: int) -> dict[str, Any]:
    """Give every `limit` parameter of an OpenAPI document the configured cap as its maximum."""
    # Query() is fixed when the routes are built; the cap is a setting of each app.
    for path_item in openapi.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and parameter.get("name") == "limit":
                    parameter["schema"]["maximum"] = max_page_size
    return openapi


CursorParam = Annotated[
    str | None,
    Query(
        max_length=2000,
        description="Opaque cursor from the previous page's next_cursor; omit for the first page.",
    ),
]
OrderParam = Annotated[
    SortOrder | None,
    Query(description="asc or desc; default desc for created_at and relevance, asc otherwise."),
]
FacetsParam = Annotated[
    bool,
    Query(
        description="true: add `facets`, counts of all matching products by category, tag, "
        "status and price band (at most CATALOG_FACET_LIMIT products are counted).",
    ),
]
