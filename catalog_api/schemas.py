"""Request and response models of the catalog API."""

from __future__ import annotations

import functools
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    UrlConstraints,
    computed_field,
    field_validator,
)

from catalog_api.currencies import MINOR_UNITS, format_price
from catalog_api.facets.schemas import Facets
from catalog_api.models import ProductStatus
from catalog_api.schema_text import VISIBLE, hoist_descriptions, not_only_hidden, offer_no_null
from catalog_api.schema_text import Documented as _Documented
from catalog_api.schema_text import check_length as _check_length
from catalog_api.schema_text import clean_text_line as _clean_line
from catalog_api.schema_text import non_empty_line as _non_empty_line
from catalog_api.schema_text import within as _within
from catalog_api.search.schemas import QueryInterpretation
from catalog_api.text import SLUG_MAX_LENGTH, clean_block, clean_line, slugify
from catalog_api.variants.schemas import (
    MAX_OPTIONS,
    MAX_VARIANTS,
    OptionIn,
    OptionOut,
    Sku,
    VariantIn,
    VariantOut,
)

MAX_PRICE_MINOR = 2**53 - 1
ATTRIBUTE_KEY_MAX = 64
ATTRIBUTE_VALUE_MAX = 500


@functools.cache
def currency_pattern() -> str:
    """Return a JSON Schema pattern of the known currency codes, in any letter case."""

    def any_case(text: str) -> str:
        return "".join(f"[{letter}{letter.lower()}]" for letter in text)

    by_first: dict[str, list[str]] = {}
    for code in sorted(MINOR_UNITS):
        by_first.setdefault(code[0], []).append(code[1:])
    groups = (
        f"{any_case(first)}(?:{'|'.join(any_case(rest) for rest in rests)})"
        for first, rests in by_first.items()
    )
    return f"^(?:{'|'.join(groups)})$"


def _slug(value: str) -> str:
    slug = slugify(value)
    if not slug:
        raise ValueError("must contain at least one letter or digit")
    return slug


def _tag(value: str) -> str:
    tag = clean_line(value).casefold()
    if not tag:
        raise ValueError("must contain visible characters")
    return tag


def _dedupe(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _currency(value: str) -> str:
    # ASCII only: the dotless i upper-cases to 'I', and the long s to 'S'.
    code = value.upper() if value.isascii() else ""
    if code not in MINOR_UNITS:
        raise ValueError("must be an ISO 4217 currency code such as USD, EUR or JPY")
    return code


def _attributes(value: dict[str, str]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for key, item in value.items():
        name = clean_line(key)
        if not name:
            raise ValueError("attribute names must contain visible characters")
        if name in cleaned:
            raise ValueError(f"two attribute names are both {name!r} once invisible characters go")
        _check_length(name, ATTRIBUTE_KEY_MAX)
        cleaned[name] = clean_line(item)
        _check_length(cleaned[name], ATTRIBUTE_VALUE_MAX)
    return cleaned


Title = Annotated[
    str,
    StringConstraints(max_length=200),
    VISIBLE,
    AfterValidator(_non_empty_line),
    _within(200),
    Field(description="Product name shown to shoppers.", examples=["Trail Runner 2 Shoes"]),
]
Slug = Annotated[
    str,
    StringConstraints(min_length=1, max_length=SLUG_MAX_LENGTH),
    AfterValidator(_slug),
    Field(
        description=(
            "Unique URL name, with at least one letter or digit. Normalised to lowercase "
            "words joined by hyphens; derived from the title when omitted."
        ),
        examples=["trail-runner-2-shoes"],
    ),
]
Description = Annotated[
    str,
    StringConstraints(max_length=5000),
    AfterValidator(clean_block),
    _within(5000),
    Field(description="Long description; plain text, newlines kept."),
]
Category = Annotated[
    str,
    StringConstraints(max_length=100),
    VISIBLE,
    AfterValidator(_non_empty_line),
    AfterValidator(str.casefold),
    _within(100),
    Field(description="Category name, stored lowercase.", examples=["footwear"]),
]
Tag = Annotated[str, StringConstraints(max_length=50), VISIBLE, AfterValidator(_tag), _within(50)]
Tags = Annotated[
    list[Tag],
    Field(max_length=30, description="Lowercase tags, deduplicated.", examples=[["running"]]),
    AfterValidator(_dedupe),
]


def _not_boolean(value: Any) -> Any:
    """Refuse true/false where a number is meant (pydantic's lax mode reads false as 0)."""
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true or false")
    return value


PriceMinor = Annotated[
    int,
    Field(
        ge=0,
        le=MAX_PRICE_MINOR,
        description="Price in the currency's minor unit (cents for USD; yen for JPY).",
        examples=[8999],
    ),
    BeforeValidator(_not_boolean),
]
Currency = Annotated[
    str,
    StringConstraints(min_length=3, max_length=3),
    _Documented("pattern", currency_pattern),
    AfterValidator(_currency),
    Field(description="ISO 4217 currency code, in any letter case.", examples=["USD"]),
]
StockQuantity = Annotated[
    int,
    Field(ge=0, le=2**31 - 1, description="Units in stock.", examples=[25]),
    BeforeValidator(_not_boolean),
]
AttributeKey = Annotated[str, StringConstraints(min_length=1, max_length=ATTRIBUTE_KEY_MAX)]
AttributeValue = Annotated[str, StringConstraints(max_length=ATTRIBUTE_VALUE_MAX)]
Attributes = Annotated[
    dict[AttributeKey, AttributeValue],
    _Documented("not", not_only_hidden, of_keys=True),
    Field(max_length=50, description="Free-form string properties.", examples=[{"color": "red"}]),
    AfterValidator(_attributes),
]
ImageUrls = Annotated[
    # UrlConstraints limits what the client sent; Field(max_length) would limit the normalised
    # URL, which can be longer ('https://host' gains a '/') than the schema's maxLength.
    list[Annotated[HttpUrl, UrlConstraints(max_length=2000)]],
    Field(max_length=20, description="Absolute http(s) image URLs."),
]
Keyword = Annotated[
    str, StringConstraints(max_length=100), VISIBLE, AfterValidator(_tag), _within(100)
]
Keywords = Annotated[
    list[Keyword],
    Field(max_length=30, description="SEO keywords, lowercase, deduplicated."),
    AfterValidator(_dedupe),
]
Brand = Annotated[
    str,
    StringConstraints(max_length=100),
    AfterValidator(_clean_line),
    _within(100),
    Field(description="Brand or maker, as shoppers know it.", examples=["Northpeak"]),
]
Options = Annotated[
    list[OptionIn],
    Field(
        max_length=MAX_OPTIONS,
        description="Named options in display order, e.g. size and colour; [] for a product "
        "sold in one version. Each variant has one value of every option.",
        examples=[[{"name": "size", "values": ["S", "M", "L"]}]],
    ),
]
Variants = Annotated[
    list[VariantIn],
    Field(
        min_length=1,
        max_length=MAX_VARIANTS,
        description="Every sellable version with its SKU, option values, price and stock. Omit "
        "for a product without options and give price_minor and stock_quantity instead.",
    ),
]
StatusField = Annotated[
    ProductStatus,
    Field(description="draft (hidden), active (for sale) or archived (withdrawn)."),
]


def _create_schema(schema: dict[str, Any]) -> None:
    hoist_descriptions(schema)
    # The model also reads archived rows (imports); the API creates only drafts and actives.
    schema["properties"]["status"] = {
        "type": "string",
        "enum": [ProductStatus.DRAFT.value, ProductStatus.ACTIVE.value],
        "description": "draft (hidden) or active (for sale); products are archived later.",
        "default": ProductStatus.DRAFT.value,
    }
    schema["examples"] = [
        {
            "title": "Trail Runner 2 Shoes",
            "category": "footwear",
            "description": "Light trail shoes with a grippy sole.",
            "tags": ["running", "trail"],
            "price_minor": 8999,
            "currency": "USD",
            "stock_quantity": 25,
            "status": "active",
            "attributes": {"color": "blue", "size": "42"},
        },
        {
            "title": "Crew Neck Tee",
            "category": "apparel",
            "brand": "Northpeak",
            "currency": "USD",
            "status": "active",
            "options": [
                {"name": "size", "values": ["S", "M"]},
                {"name": "colour", "values": ["navy", "white"]},
            ],
            "variants": [
                {
                    "sku": "TEE-S-NAVY",
                    "option_values": {"size": "S", "colour": "navy"},
                    "price_minor": 2500,
                    "stock_quantity": 12,
                },
                {
                    "sku": "TEE-M-NAVY",
                    "option_values": {"size": "M", "colour": "navy"},
                    "price_minor": 2500,
                    "stock_quantity": 0,
                },
                {
                    "sku": "TEE-M-WHITE",
                    "option_values": {"size": "M", "colour": "white"},
                    "price_minor": 2700,
                    "compare_at_price_minor": 3200,
                    "stock_quantity": 4,
                    "barcode": "4006381333931",
                },
            ],
        },
    ]


def _update_schema(schema: dict[str, Any]) -> None:
    offer_no_null(schema)
    schema["examples"] = [{"price_minor": 7999, "stock_quantity": 40}]


# Request fields that describe the variants rather than columns of products.
VARIANT_FIELDS = {"price_minor", "stock_quantity", "sku", "options", "variants"}


class ProductCreate(BaseModel):
    """A new product. Unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_create_schema)

    title: Title
    category: Category
    slug: Slug | None = None
    description: Description = ""
    tags: Tags = Field(default_factory=list)
    brand: Brand | None = None
    price_minor: PriceMinor | None = Field(
        default=None,
        description="Price of a product without options, in the currency's minor unit (cents "
        "for USD); required unless variants are given.",
    )
    currency: Currency
    stock_quantity: StockQuantity | None = Field(
        default=None,
        description="Units in stock of a product without options (default 0); with variants, "
        "give each variant its stock.",
    )
    sku: Sku | None = None
    status: StatusField = ProductStatus.DRAFT
    attributes: Attributes = Field(default_factory=dict)
    image_urls: ImageUrls = Field(default_factory=list)
    seo_keywords: Keywords = Field(default_factory=list)
    options: Options = Field(default_factory=list)
    variants: Variants | None = None

    def to_values(self) -> dict[str, Any]:
        """Return the product's own column values; price, stock and options come from variants."""
        values = self.model_dump(mode="json", exclude=VARIANT_FIELDS)
        values["status"] = self.status
        values["brand"] = self.brand or None
        return values


class ProductReplace(ProductCreate):
    """A full replacement of a product; omitted fields take their defaults, slug excepted."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=hoist_descriptions)

    slug: Slug | None = Field(default=None, description="New slug; omitted keeps the current one.")


class ProductUpdate(BaseModel):
    """A partial update: only the given fields change; null is not a value."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=_update_schema,
    )

    title: Title | None = None
    category: Category | None = None
    slug: Slug | None = None
    description: Description | None = None
    tags: Tags | None = None
    brand: Brand | None = Field(default=None, description='Brand or maker; "" clears it.')
    price_minor: PriceMinor | None = Field(
        default=None, description="New price of a product with one variant (no options)."
    )
    currency: Currency | None = None
    stock_quantity: StockQuantity | None = Field(
        default=None, description="New stock of a product with one variant (no options)."
    )
    status: StatusField | None = None
    attributes: Attributes | None = None
    image_urls: ImageUrls | None = None
    seo_keywords: Keywords | None = None
    options: Options | None = None
    variants: Variants | None = Field(
        default=None,
        description="The full new list of variants: matched to the stored ones by SKU, then by "
        "option values; stored variants left out are deleted.",
    )

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null; omit the field to leave it unchanged")
        return value

    def to_values(self) -> dict[str, Any]:
        """Return the product's own column values that were set."""
        values = self.model_dump(mode="json", exclude_unset=True, exclude=VARIANT_FIELDS)
        if "status" in values:
            values["status"] = ProductStatus(values["status"])
        if "brand" in values:
            values["brand"] = values["brand"] or None
        return values


class ProductOut(BaseModel):
    """A stored product."""

    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="Numeric id.", examples=[42])
    slug: str = Field(description="Unique URL name.", examples=["trail-runner-2-shoes"])
    title: str = Field(description="Product name.", examples=["Trail Runner 2 Shoes"])
    description: str = Field(description="Long description, plain text.")
    category: str = Field(description="Category, lowercase.", examples=["footwear"])
    tags: list[str] = Field(description="Lowercase tags.", examples=[["running", "trail"]])
    brand: str | None = Field(default=None, description="Brand or maker, if known.")
    price_minor: int = Field(
        description="Lowest price of its variants, in the currency's minor unit (read-only).",
        examples=[8999],
    )
    currency: str = Field(description="ISO 4217 currency code.", examples=["USD"])
    stock_quantity: int = Field(
        description="Units in stock over all its variants (read-only; capped at 2147483647).",
        examples=[25],
    )
    status: ProductStatus = Field(description="draft, active or archived.")
    attributes: dict[str, str] = Field(description="Free-form string properties.")
    image_urls: list[str] = Field(description="Image URLs.")
    seo_keywords: list[str] = Field(description="SEO keywords.")
    created_at: datetime = Field(description="When the product was created (UTC).")
    updated_at: datetime = Field(description="When the product last changed (UTC).")
    version: int = Field(description="1 at creation, incremented on every change.", examples=[1])
    options: list[OptionOut] = Field(
        default_factory=list, description="Named options with their values; [] without options."
    )
    variants: list[VariantOut] = Field(
        default_factory=list, description="Its sellable versions, in order."
    )

    @property
    def etag(self) -> str:
        """Return the strong entity tag of this version of the product."""
        return f'"{self.id}.{self.version}"'

    @computed_field(description="Lowest price as a decimal string in major units, e.g. '89.99'.")
    def price(self) -> str:
        """Return the lowest price in major units."""
        return format_price(self.price_minor, self.currency)

    def _highest_price(self) -> int:
        return max((v.price_minor for v in self.variants), default=self.price_minor)

    @computed_field(description="Highest price of its variants, in minor units (read-only).")
    def price_max_minor(self) -> int:
        """Return the highest variant price (the price itself without variants)."""
        return self._highest_price()

    @computed_field(description="Highest price as a decimal string in major units.")
    def price_max(self) -> str:
        """Return the highest price in major units."""
        return format_price(self._highest_price(), self.currency)

    @computed_field(description="in_stock when any variant has stock, else out_of_stock.")
    def availability(self) -> Literal["in_stock", "out_of_stock"]:
        """Return whether any unit is in stock."""
        return "in_stock" if self.stock_quantity > 0 else "out_of_stock"

    @computed_field(description="True when a shopper can buy it now: active and in stock.")
    def available(self) -> bool:
        """Return whether the product is active with stock above zero."""
        return self.status == ProductStatus.ACTIVE and self.stock_quantity > 0


class SortField(StrEnum):
    """Fields a list can be sorted by."""

    CREATED_AT = "created_at"
    PRICE = "price"
    TITLE = "title"


class SearchSortField(StrEnum):
    """Orders of search results."""

    RELEVANCE = "relevance"
    CREATED_AT = "created_at"
    PRICE = "price"
    TITLE = "title"


class SearchMode(StrEnum):
    """How search finds products: by words, by meaning (vectors), or both fused."""

    LEXICAL = "lexical"
    SEMANTIC = "semantic"
    HYBRID = "hybrid"


class SortOrder(StrEnum):
    """Sort direction."""

    ASC = "asc"
    DESC = "desc"


ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    """One page of results with the total and the cursor of the next page."""

    items: list[ItemT] = Field(description="The products of this page.")
    total: int = Field(description="Number of matching products across all pages.")
    total_is_exact: bool = Field(
        default=True,
        description="False when counting stopped at its bound (CATALOG_COUNT_LIMIT, 10,000 by "
        "default): total is then that bound and more products match.",
    )
    limit: int = Field(description="Page size used.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )
    facets: Facets | None = Field(
        default=None,
        description="With facets=true: counts of all matching products (not only this page) by "
        "category, tag, status, price band, brand, option value and attribute value; null "
        "otherwise.",
    )


class SearchPage(Page[ProductOut]):
    """One page of search results, with how the query was read."""

    total_is_exact: bool = Field(
        default=True,
        description=(
            "False when the search stopped gathering matches at its bound: total then counts "
            "the matches ranked, and more products may match."
        ),
    )
    interpretation: QueryInterpretation = Field(
        description="How the query was read: words searched, corrections, words left out."
    )


class CategoryCount(BaseModel):
    """A category and how many products it has."""

    category: str = Field(description="Category name.", examples=["kitchen"])
    count: int = Field(description="Number of products in it.", examples=[42])


class CategoryList(BaseModel):
    """All categories with product counts."""

    items: list[CategoryCount] = Field(description="Categories by name.")


class CurrencyCount(BaseModel):
    """A currency and how many products are priced in it."""

    currency: str = Field(description="ISO 4217 code.", examples=["USD"])
    count: int | None = Field(
        description="Number of products priced in it; null when counts=false.", examples=[240]
    )
    minor_unit: int = Field(
        description="Decimal places of its minor unit: 2 for USD (1999 = 19.99), 0 for JPY.",
        examples=[2],
    )


class CurrencyList(BaseModel):
    """The currencies products are priced in, with counts."""

    items: list[CurrencyCount] = Field(description="Currencies by code.")


class SlugList(BaseModel):
    """Slugs that start with a prefix, in order."""

    items: list[str] = Field(description="Matching slugs, A-Z.", examples=[["copper-kettle"]])
    has_more: bool = Field(description="True when more slugs match than were returned.")


class FieldError(BaseModel):
    """One invalid input field."""

    field: str = Field(
        description="Dotted name of the field, e.g. tags.0.", examples=["price_minor"]
    )
    location: str = Field(description="body, query, path or header.", examples=["body"])
    message: str = Field(description="What is wrong.")
    type: str = Field(description="Machine-readable error kind.", examples=["greater_than_equal"])


class Problem(BaseModel):
    """An RFC 9457 problem detail (media type application/problem+json)."""

    type: str = Field(description="URI naming the kind of problem.")
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="HTTP status code.", examples=[404])
    detail: str = Field(description="What went wrong here and how to fix it.")
    instance: str = Field(description="Path of the request.")
    request_id: str | None = Field(default=None, description="Id to quote in a bug report.")
    errors: list[FieldError] | None = Field(
        default=None, description="For 422: each invalid field."
    )


class Health(BaseModel):
    """Liveness and database reachability."""

    status: str = Field(description="ok when the database answers.", examples=["ok"])
    database: str = Field(description="sqlite or postgresql.", examples=["sqlite"])
    version: str = Field(description="Version of the catalog API.")
    search: str = Field(
        default="ready",
        description=(
            "ready, or warming while the catalog's vocabulary is read after start (searches "
            "answer meanwhile, without spelling correction)."
        ),
    )


class DescribeRequest(BaseModel):
    """Facts of a product not yet created, for previewing AI copy."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Trail Runner 2 Shoes",
                    "category": "footwear",
                    "tags": ["running", "trail"],
                    "attributes": {"color": "blue"},
                }
            ]
        },
    )

    title: Title
    category: Category
    description: Description = ""
    tags: Tags = Field(default_factory=list)
    attributes: Attributes = Field(default_factory=dict)


class ProviderAttempt(BaseModel):
    """A provider that failed or was skipped."""

    provider: str = Field(description="Provider name.", examples=["gemini"])
    reason: str = Field(description="Short reason.", examples=["HTTP 429 (rate limited)"])


class DescribeResult(BaseModel):
    """AI product copy and where it came from."""

    description: str = Field(description="Generated description, plain text.")
    keywords: list[str] = Field(description="5-10 lowercase SEO keyword phrases.")
    provider: str = Field(description="The provider that wrote it.", examples=["offline"])
    failed: list[ProviderAttempt] = Field(description="Providers tried first that failed.")
    skipped: list[ProviderAttempt] = Field(
        description="Providers not tried (no credentials, or circuit open)."
    )
    template: bool = Field(
        description="True when the offline template wrote the copy from the product's own "
        "fields (no model was used): review and edit it before publishing."
    )
    saved: bool = Field(description="True when the copy was written to the product.")
    product_version: int | None = Field(
        default=None,
        description="Stored product: the version the copy was written from (after saving: the "
        "new version). Save a reviewed copy with PATCH and If-Match on this version.",
    )
    product: ProductOut | None = Field(default=None, description="The updated product when saved.")
