"""Parameters about variants: options and variants of create/update, SKUs and stock."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

MAX_OPTIONS = 3
MAX_VARIANTS = 250
MAX_MINOR = 2**53 - 1
MAX_INT32 = 2**31 - 1


class OptionInput(BaseModel):
    """An option and its values in display order, e.g. size: S, M, L."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=50)
    values: list[str] = Field(min_length=1, max_length=100)


class VariantInput(BaseModel):
    """A sellable version: a value of every option; prices in minor units."""

    model_config = ConfigDict(extra="forbid")

    sku: str | None = Field(
        default=None, min_length=1, max_length=120, description="Unique; derived when omitted."
    )
    option_values: dict[str, str] = Field(
        default_factory=dict, max_length=MAX_OPTIONS, description="{'size': 'M'}."
    )
    price_minor: int = Field(ge=0, le=MAX_MINOR)
    compare_at_price_minor: int | None = Field(
        default=None, ge=0, le=MAX_MINOR, description="Former price."
    )
    stock_quantity: int = Field(default=0, ge=0, le=MAX_INT32)
    barcode: str | None = Field(default=None, description="GTIN, digits only.")
    weight_grams: int | None = Field(default=None, ge=0, le=MAX_INT32)


OptionalOptions = Annotated[
    list[OptionInput] | None,
    Field(
        max_length=MAX_OPTIONS,
        description="Named options with their values; give variants with them.",
    ),
]
OptionalVariants = Annotated[
    list[VariantInput] | None,
    Field(
        min_length=1,
        max_length=MAX_VARIANTS,
        description="Each sellable version, instead of price_minor and stock_quantity. Update: "
        "the full new list (matched by SKU, then option values).",
    ),
]
OptionalBrand = Annotated[
    str | None, Field(max_length=100, description="Brand or maker; '' clears it on update.")
]
OptionalSku = Annotated[
    str | None,
    Field(min_length=1, max_length=120, description="SKU of a product without options."),
]
Sku = Annotated[str, Field(min_length=1, max_length=120, description="The variant's SKU.")]
VariantVersion = Annotated[
    int | None,
    Field(
        ge=1,
        description="Optional. The variant's version from your last read (get_product's "
        "variants): the stock is only set if nobody changed the variant since.",
    ),
]


def variant_body(
    options: list[OptionInput] | None, variants: list[VariantInput] | None
) -> dict[str, Any]:
    """Return the API's options and variants fields of a create or update body."""
    body: dict[str, Any] = {}
    if options is not None:
        body["options"] = [option.model_dump() for option in options]
    if variants is not None:
        body["variants"] = [variant.model_dump(exclude_none=True) for variant in variants]
    return body
