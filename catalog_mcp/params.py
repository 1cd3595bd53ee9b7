"""Parameters of the MCP tools: names, bounds and the descriptions a model reads."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field

from catalog_mcp.models import Detail, Status

MAX_PRODUCT_ID = 2**31 - 1  # the API's id range (a 32-bit column on PostgreSQL)
MAX_TOOL_PAGE = 20

Query = Annotated[
    str,
    Field(
        min_length=1,
        max_length=500,
        description="Words for what is wanted ('waterproof hiking boots'); no operators.",
    ),
]
ProductId = Annotated[int, Field(ge=1, le=MAX_PRODUCT_ID)]
CategoryFilter = Annotated[
    str | None, Field(max_length=100, description="Only this category (list_categories).")
]
TagFilter = Annotated[str | None, Field(max_length=50, description="Only products with this tag.")]
StatusFilter = Annotated[
    Literal["active", "draft", "archived", "any"],
    Field(description="active (default): what shoppers can find; draft, archived, or any (staff)."),
]
_MAJOR_UNITS = " in major units of currency ('150', 149.99), inclusive."
MinPrice = Annotated[Decimal | None, Field(ge=0, description="Lowest price" + _MAJOR_UNITS)]
MaxPrice = Annotated[Decimal | None, Field(ge=0, description="Highest price" + _MAJOR_UNITS)]
BrandFilter = Annotated[
    str | None, Field(min_length=1, max_length=100, description="Only this brand (any case).")
]
OptionFilter = Annotated[
    dict[str, str] | None,
    Field(
        max_length=8,
        description="Only products with ONE variant having all these option values (any "
        "case): {'size': '10'}; in_stock then asks that variant.",
    ),
]
AttributeFilter = Annotated[
    dict[str, str] | None,
    Field(max_length=8, description="Only products with exactly these attribute values."),
]
InStock = Annotated[
    bool | None, Field(description="true: only in stock; false: only out of stock.")
]
CurrencyFilter = Annotated[
    str | None,
    Field(
        min_length=3,
        max_length=3,
        description="ISO 4217 code: only prices in it; needed with a price filter or sort "
        "when the matches have several currencies.",
    ),
]
DetailLevel = Annotated[
    Detail,
    Field(
        description="compact: what a choice needs (see ProductSummary); full adds slug, stock, "
        "tags, description start, version."
    ),
]
Limit = Annotated[
    int, Field(ge=1, le=MAX_TOOL_PAGE, description=f"Products per page, 1-{MAX_TOOL_PAGE}.")
]
Cursor = Annotated[
    str | None,
    Field(max_length=2000, description="The previous page's next_cursor."),
]
FacetsFlag = Annotated[
    bool,
    Field(description="true: add counts of all matches by category, tag, status and price band."),
]
FACETS_HINT = "On a broad request, facets=true once shows which filter narrows it."
Order = Annotated[
    Literal["asc", "desc"] | None,
    Field(description="Default: best, newest or cheapest first, A-Z."),
]

_TITLE: dict[str, Any] = {"min_length": 1, "max_length": 200}
_CATEGORY: dict[str, Any] = {"min_length": 1, "max_length": 100}
_PRICE: dict[str, Any] = {
    "ge": 0,
    "le": 2**53 - 1,
    "description": "Integer in minor units: 1999 with USD is 19.99.",
}
_CURRENCY: dict[str, Any] = {"min_length": 3, "max_length": 3, "description": "ISO 4217 code."}
_DESCRIPTION: dict[str, Any] = {"max_length": 5000, "description": "Plain text."}
_SLUG: dict[str, Any] = {
    "min_length": 1,
    "max_length": 120,
    "description": "Unique URL name; from the title when omitted.",
}
_TAGS: dict[str, Any] = {"max_length": 30}
_STOCK: dict[str, Any] = {"ge": 0, "le": 2**31 - 1}
_ATTRIBUTES: dict[str, Any] = {
    "max_length": 50,
    "description": "e.g. {'color': 'red'}.",
}
_IMAGES: dict[str, Any] = {"max_length": 20, "description": "Absolute http(s) URLs."}
_KEYWORDS: dict[str, Any] = {"max_length": 30}
_STATUS: dict[str, Any] = {}

Title = Annotated[str, Field(**_TITLE)]
Category = Annotated[str, Field(**_CATEGORY)]
PriceMinor = Annotated[int, Field(**_PRICE)]
Currency = Annotated[str, Field(**_CURRENCY)]
Description = Annotated[str, Field(**_DESCRIPTION)]
OptionalTitle = Annotated[str | None, Field(**_TITLE)]
OptionalCategory = Annotated[str | None, Field(**_CATEGORY)]
OptionalPriceMinor = Annotated[int | None, Field(**_PRICE)]
OptionalCurrency = Annotated[str | None, Field(**_CURRENCY)]
OptionalDescription = Annotated[str | None, Field(**_DESCRIPTION)]
OptionalSlug = Annotated[str | None, Field(**_SLUG)]
IdempotencyKey = Annotated[
    str | None,
    Field(
        min_length=1,
        max_length=255,
        pattern=r"^[!-~]+$",
        description="Only to retry a create that failed or timed out: the same value (e.g. a "
        "UUID) both times, so it is not created twice.",
    ),
]
IfVersion = Annotated[
    int | None,
    Field(
        ge=1,
        description="Optional. The product's version from your last read: the change only "
        "happens if nobody changed it since (else an error gives the current version).",
    ),
]
OptionalTags = Annotated[list[str] | None, Field(**_TAGS)]
OptionalStock = Annotated[int | None, Field(**_STOCK)]
OptionalStatus = Annotated[Status | None, Field(**_STATUS)]
OptionalAttributes = Annotated[dict[str, str] | None, Field(**_ATTRIBUTES)]
OptionalImages = Annotated[list[str] | None, Field(**_IMAGES)]
OptionalKeywords = Annotated[list[str] | None, Field(**_KEYWORDS)]
Stock = Annotated[int, Field(**_STOCK)]
