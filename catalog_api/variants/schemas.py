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
from catalog_api.text import clean_line
from catalog_api.variants.models import OPTION_NAME_MAX, OPTION_VALUE_MAX, SKU_MAX_LENGTH

MAX_OPTIONS = 3
MAX_OPTION_VALUES = 100
MAX_VARIANTS = 250
MAX_STOCK = 2**31 - 1
_MAX_AMOUNT = 2**53 - 1


def _visible_line(value: str) -> str:
    value = clean_line(value)
    if not value:
        raise ValueError("must contain visible characters")
    return value


def _sku(value: str) -> str:
    if not value.isprintable():
        raise ValueError("must not contain control or invisible characters")
    return value


def _gtin(value: str) -> str:
    if not value.isascii() or not value.isdigit() or len(value) not in {8, 12, 13, 14}:
        raise ValueError("must be a GTIN: 8, 12, 13 or 14 digits")
    return value


Sku = Annotated[
    str,
    StringConstraints(min_length=1, max_length=SKU_MAX_LENGTH, pattern=r"^[^\s/?#%\\]+$"),
    AfterValidator(_sku),
    Field(
        description=(
            "Stock keeping unit, unique across the catalog (case counts): no spaces and none "
            "of / ? # % \\. Derived from the slug (and the option values) when omitted."
        ),
        examples=["TEE-CREW-M-BLUE"],
    ),
]
OptionName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=OPTION_NAME_MAX),
    AfterValidator(_visible_line),
    Field(description="Option name, e.g. size or colour.", examples=["size"]),
]
OptionValue = Annotated[
    str,
    StringConstraints(min_length=1, max_length=OPTION_VALUE_MAX),
    AfterValidator(_visible_line),
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
    StringConstraints(min_length=8, max_length=14, pattern=r"^[0-9]+$"),
    AfterValidator(_gtin),
    Field(
        description="GTIN (EAN-8, UPC-A, EAN-13 or GTIN-14): digits only.",
        examples=["4006381333931"],
    ),
]
WeightGrams = Annotated[
    int, Field(ge=0, le=2**31 - 1, description="Shipping weight in grams.", examples=[180])
]


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

    model_config = ConfigDict(extra="forbid")

    sku: Sku | None = None
    option_values: dict[OptionName, OptionValue] = Field(
        default_factory=dict,
        max_length=MAX_OPTIONS,
        description="A value for every option of the product, and no others; {} without options.",
        examples=[{"size": "M", "colour": "blue"}],
    )
    price_minor: VariantPrice
    compare_at_price_minor: VariantPrice | None = Field(
        default=None, description="Former or list price shown struck through; minor units."
    )
    stock_quantity: VariantStock = 0
    barcode: Barcode | None = None
    weight_grams: WeightGrams | None = None


class VariantPatch(BaseModel):
    """A change to one variant's price or stock; omitted fields stay, null is not a value."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"stock_quantity": 7}]}
    )

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
