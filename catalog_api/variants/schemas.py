"""Request and response models of options and variants."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from catalog_api.currencies import format_price
from catalog_api.schema_text import (
    VISIBLE,
    Documented,
    hoist_descriptions,
    non_empty_line,
    not_only_hidden,
    offer_no_null,
    within,
)
from catalog_api.variants.models import (
    OPTION_NAME_MAX,
    OPTION_VALUE_MAX,
    SKU_MAX_LENGTH,
    SKU_PATTERN,
)

MAX_OPTIONS = 3
MAX_OPTION_VALUES = 100
MAX_VARIANTS = 250
MAX_STOCK = 2**31 - 1
_MAX_AMOUNT = 2**53 - 1


def _option_values(value: dict[str, str]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for key, item in value.items():
        name = non_empty_line(key)
        if name.casefold() in (known.casefold() for known in cleaned):
            raise ValueError(f"two option names are both {name!r} once cleaned and compared")
        cleaned[name] = item
    return cleaned


Sku = Annotated[
    str,
    StringConstraints(min_length=1, max_length=SKU_MAX_LENGTH, pattern=SKU_PATTERN),
    Field(
        description=(
            "Stock keeping unit, unique across the catalog (case counts): printable ASCII "
            "without spaces and without / ? # % \\. Derived from the slug (and the option "
            "values) when omitted."
        ),
        examples=["TEE-CREW-M-BLUE"],
    ),
]
OptionName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=OPTION_NAME_MAX),
    VISIBLE,
    AfterValidator(non_empty_line),
    within(OPTION_NAME_MAX),
    Field(description="Option name, e.g. size or colour.", examples=["size"]),
]
OptionValue = Annotated[
    str,
    StringConstraints(min_length=1, max_length=OPTION_VALUE_MAX),
    VISIBLE,
    AfterValidator(non_empty_line),
    within(OPTION_VALUE_MAX),
]
OptionValues = Annotated[
    dict[Annotated[str, StringConstraints(min_length=1, max_length=OPTION_NAME_MAX)], OptionValue],
    Documented("not", not_only_hidden, of_keys=True),
    Field(
        max_length=MAX_OPTIONS,
        description="A value of every option of the product, and no other; {} without options.",
        examples=[{"size": "M", "colour": "blue"}],
    ),
    AfterValidator(_option_values),
]
VariantPrice = Annotated[
    int,
    Field(
        ge=0,
        le=_MAX_AMOUNT,
        description="Price in the product currency's minor unit (cents for USD).",
        examples=[2500],
    ),
]
VariantStock = Annotated[
    int,
    Field(ge=0, le=MAX_STOCK, description="Units of this variant in stock.", examples=[12]),
]
Barcode = Annotated[
    str,
    StringConstraints(pattern=r"^(?:[0-9]{8}|[0-9]{12,14})$"),
    Field(
        description="GTIN (EAN-8, UPC-A, EAN-13 or GTIN-14): digits only.",
        examples=["4006381333931"],
    ),
]
WeightGrams = Annotated[
    int, Field(ge=0, le=2**31 - 1, description="Shipping weight in grams.", examples=[180])
]


def _patch_schema(schema: dict[str, Any]) -> None:
    offer_no_null(schema)
    schema["examples"] = [{"stock_quantity": 7}]


class OptionIn(BaseModel):
    """A named option and its values, in display order."""

    model_config = ConfigDict(extra="forbid")

    name: OptionName
    values: list[OptionValue] = Field(
        min_length=1,
        max_length=MAX_OPTION_VALUES,
        description="The option's values in display order; each distinct ignoring case.",
        examples=[["S", "M", "L"]],
    )


class OptionOut(BaseModel):
    """A named option and its values, in display order."""

    model_config = ConfigDict(from_attributes=True)

    name: str = Field(description="Option name.", examples=["size"])
    values: list[str] = Field(description="Values in display order.", examples=[["S", "M", "L"]])


class VariantIn(BaseModel):
    """One variant of a product being created or replaced."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=hoist_descriptions)

    sku: Sku | None = None
    option_values: OptionValues = Field(default_factory=dict)
    price_minor: VariantPrice
    compare_at_price_minor: VariantPrice | None = Field(
        default=None, description="Former or list price shown struck through; minor units."
    )
    stock_quantity: VariantStock = 0
    barcode: Barcode | None = None
    weight_grams: WeightGrams | None = None


class VariantPatch(BaseModel):
    """A change to one variant's price or stock; omitted fields stay, null is not a value."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_patch_schema)

    price_minor: VariantPrice | None = None
    compare_at_price_minor: VariantPrice | None = None
    stock_quantity: VariantStock | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null; omit the field to leave it unchanged")
        return value


class VariantOut(BaseModel):
    """A stored variant."""

    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="Numeric id of the variant.", examples=[7])
    sku: str = Field(
        description="Stock keeping unit, unique in the catalog.", examples=["TEE-M-BLUE"]
    )
    position: int = Field(description="Order among the product's variants, from 0.", examples=[0])
    option_values: dict[str, str] = Field(
        description="Its value of each option.", examples=[{"size": "M", "colour": "blue"}]
    )
    price_minor: int = Field(
        description="Price in the product currency's minor unit.", examples=[2500]
    )
    compare_at_price_minor: int | None = Field(description="Former or list price, if any.")
    stock_quantity: int = Field(description="Units in stock.", examples=[12])
    barcode: str | None = Field(description="GTIN, if any.")
    weight_grams: int | None = Field(description="Shipping weight in grams, if any.")
    version: int = Field(description="1 at creation, incremented on every change.", examples=[1])
    updated_at: datetime = Field(description="When the variant last changed (UTC).")

    @property
    def etag(self) -> str:
        """Return the strong entity tag of this version of the variant."""
        return f'"v{self.id}.{self.version}"'


class VariantDetail(VariantOut):
    """A variant with the product it belongs to."""

    product_id: int = Field(description="Id of its product.", examples=[42])
    product_slug: str = Field(description="Slug of its product.", examples=["crew-tee"])
    product_title: str = Field(description="Title of its product.", examples=["Crew Tee"])
    currency: str = Field(description="ISO 4217 code of its price.", examples=["USD"])
    price: str = Field(description="Price in major units, e.g. '25.00'.", examples=["25.00"])
    in_stock: bool = Field(description="True when stock_quantity is above zero.")


def variant_detail(variant: Any, *, product: Any) -> VariantDetail:
    """Build a variant's standalone view from it and its product."""
    base = VariantOut.model_validate(variant).model_dump()
    return VariantDetail(
        **base,
        product_id=product.id,
        product_slug=product.slug,
        product_title=product.title,
        currency=product.currency,
        price=format_price(variant.price_minor, product.currency),
        in_stock=variant.stock_quantity > 0,
    )
