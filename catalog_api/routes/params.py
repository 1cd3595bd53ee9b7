"""Query parameters shared by the list and search routes."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError

from catalog_api.config import MAX_PAGE_SIZE_LIMIT
from catalog_api.currencies import MINOR_UNITS
from catalog_api.deps import SettingsDep
from catalog_api.history.models import ACTOR_MAX, ACTOR_PATTERN
from catalog_api.models import ProductStatus
from catalog_api.repositories import ProductFilters
from catalog_api.schemas import (
    ATTRIBUTE_KEY_MAX,
    ATTRIBUTE_VALUE_MAX,
    MAX_PRICE_MINOR,
    SortOrder,
    currency_pattern,
)
from catalog_api.text import clean_line
from catalog_api.variants.filters import MAX_ATTRIBUTE_FILTERS, MAX_OPTION_FILTERS
from catalog_api.variants.models import OPTION_NAME_MAX, OPTION_VALUE_MAX

# FastAPI declares no query names with a variable part: these are read from the raw query
# and described in the list and search operations' descriptions.
OPTION_PREFIX = "option."
ATTRIBUTE_PREFIX = "attr."
BRAND_MAX = 100
DYNAMIC_FILTERS_DOC = (
    "\n\nBesides the declared parameters: `brand=<brand>` keeps one brand, ignoring case. "
    "`option.<name>=<value>` (repeatable, at most "
    f"{MAX_OPTION_FILTERS}) keeps products with ONE variant holding every given option value, "
    "ignoring case (`option.size=10&option.colour=blue`); `in_stock` then asks the same "
    "variant's stock, and an option no product has matches nothing. `attr.<key>=<value>` "
    f"(repeatable, at most {MAX_ATTRIBUTE_FILTERS}) keeps products whose attribute `key` is "
    "exactly `value`. With `option.*` or `in_stock=true`, `min_price`/`max_price` apply to "
    "the same variant, and `sort=price` orders by the lowest price among the matching "
    "variants: `option.size=10&in_stock=true&max_price=12000&sort=price` lists the "
    "products with a size 10 in stock at 120.00 or less, cheapest such variant first. "
    "`actor=<key name>` keeps products that key created (from their change "
    "history); with `status=draft` it lists an agent's products waiting for review."
)


def _invalid(name: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("query", name), "msg": message, "type": "value_error"}])


def _brand(request: Request) -> str | None:
    """Return the cleaned brand filter, None when absent."""
    # Read here rather than declared: a declared `brand` changed which calls schemathesis's
    # derandomised state machine (tests/test_fuzz.py) reaches, and it no longer read a product.
    raw = request.query_params.get("brand")
    if raw is None:
        return None
    brand = clean_line(raw)
    if not brand or len(brand) > BRAND_MAX:
        raise _invalid("brand", f"must be 1 to {BRAND_MAX} characters")
    return brand


def _actor(request: Request) -> str | None:
    """Return the actor filter (a key name, or cli:<command>), None when absent."""
    # Read like brand, for the same reason.
    raw = request.query_params.get("actor")
    if raw is None:
        return None
    if len(raw) > ACTOR_MAX or not re.match(ACTOR_PATTERN, raw):
        raise _invalid(
            "actor", f"must be a key name (or cli:<command>), 1 to {ACTOR_MAX} characters"
        )
    return raw


def _pairs(
    request: Request, prefix: str, most: int, name_max: int, value_max: int
) -> list[tuple[str, str]]:
    """Return the cleaned (name, value) pairs of the query parameters named prefix + name."""
    pairs: list[tuple[str, str]] = []
    for parameter, raw in request.query_params.multi_items():
        if not parameter.startswith(prefix):
            continue
        name, value = clean_line(parameter[len(prefix) :]), clean_line(raw)
        if not name or len(name) > name_max:
            raise _invalid(
                parameter, f"the name after {prefix!r} must be 1 to {name_max} characters"
            )
        if not value or len(value) > value_max:
            raise _invalid(parameter, f"the value must be 1 to {value_max} characters")
        pairs.append((name, value))
        if len(pairs) > most:
            raise _invalid(parameter, f"at most {most} {prefix}* parameters")
    return pairs


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
    request: Request,
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
        Query(
            ge=0,
            le=MAX_PRICE_MINOR,
            description="Lowest price, in minor units, inclusive: of the product's cheapest "
            "variant; with option.* or in_stock=true, of the variant that matches them.",
        ),
    ] = None,
    max_price: Annotated[
        int | None,
        Query(
            ge=0,
            le=MAX_PRICE_MINOR,
            description="Highest price, in minor units, inclusive: of the product's cheapest "
            "variant; with option.* or in_stock=true, of the variant that matches them.",
        ),
    ] = None,
    in_stock: Annotated[
        bool | None,
        Query(
            description="true: a variant in stock (min_price and max_price then ask that "
            "variant); false: out of stock. With option.* filters, of the variant that holds "
            "the options."
        ),
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
    options = _pairs(request, OPTION_PREFIX, MAX_OPTION_FILTERS, OPTION_NAME_MAX, OPTION_VALUE_MAX)
    attributes = _pairs(
        request, ATTRIBUTE_PREFIX, MAX_ATTRIBUTE_FILTERS, ATTRIBUTE_KEY_MAX, ATTRIBUTE_VALUE_MAX
    )
    return ProductFilters(
        brand=_brand(request),
        created_by=_actor(request),
        options=tuple(sorted({(n.casefold(), v.casefold()) for n, v in options})),
        attributes=tuple(sorted(set(attributes))),
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
        "status, price band, brand, option value and attribute value (at most "
        "CATALOG_FACET_LIMIT products are counted).",
    ),
]
InterpretParam = Annotated[
    bool,
    Query(
        description="true: read filters out of q's words and apply them: price bounds ('under "
        "$50', 'between 20 and 40 euros'), brands, categories and option values the catalog "
        "holds ('size 10'), 'in stock', sort hints ('cheapest', 'newest'); the rest is "
        "searched. Explicit parameters win. `interpretation.reading` lists what was read, "
        "each with its parameter and value, so it can be shown and undone.",
    ),
]


def explicit_parameters(request: Request) -> frozenset[str]:
    """Return the filter and sort parameters the request gives itself (option.* casefolded)."""
    names = set()
    for name in request.query_params:
        if name.startswith(OPTION_PREFIX):
            names.add(OPTION_PREFIX + clean_line(name[len(OPTION_PREFIX) :]).casefold())
        else:
            names.add(name)
    return frozenset(names)
