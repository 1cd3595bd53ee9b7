"""Variants in tool results: price ranges, availability, option names, one variant, a choice."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

SUMMARY_OPTION_NAME_CHARS = 20

Availability = Literal["in stock", "out of stock"]


def money(price: str, currency: str) -> str:
    """Return a price with its currency, e.g. '19.99 USD'."""
    return f"{price} {currency}"


def minor_unit(price: str) -> int:
    """Return the decimals of a currency from a price the API formatted in it ('19.99' -> 2)."""
    return len(price.partition(".")[2])


def major(amount_minor: int, decimals: int) -> str:
    """Render minor units as the API renders them: 1999 with 2 decimals -> '19.99'."""
    step = Decimal(1).scaleb(-decimals)
    return str(Decimal(amount_minor).scaleb(-decimals).quantize(step))


def price_text(product: dict[str, Any]) -> str:
    """Return the product's price, or its lowest-highest range, e.g. '25.00-27.00 USD'."""
    low, high = product["price"], product.get("price_max") or product["price"]
    shown = low if low == high else f"{low}-{high}"
    return money(shown, product["currency"])


def availability(product: dict[str, Any]) -> Availability:
    """Return 'in stock' when any variant has stock, whatever the status."""
    return "in stock" if int(product.get("stock_quantity", 0)) > 0 else "out of stock"


def option_names(product: dict[str, Any]) -> str | None:
    """Say which options a product has and how many values each, e.g. 'size (5), colour (2)'."""
    options = product.get("options") or []
    parts = []
    for option in options:
        name = str(option["name"])
        if len(name) > SUMMARY_OPTION_NAME_CHARS:
            name = name[: SUMMARY_OPTION_NAME_CHARS - 1].rstrip() + "…"
        parts.append(f"{name} ({len(option.get('values') or [])})")
    return ", ".join(parts) or None


def stock_counts(product: dict[str, Any]) -> str | None:
    """Say how many of several variants are in stock, when some but not all are."""
    variants = product.get("variants") or []
    stocked = sum(1 for v in variants if int(v.get("stock_quantity", 0)) > 0)
    if len(variants) < 2 or stocked in (0, len(variants)):
        return None
    return f"{stocked} of {len(variants)} variants in stock"


class Option(BaseModel):
    """A named option and its values, in display order."""

    name: str
    values: list[str]


class Variant(BaseModel):
    """A sellable version: SKU, option values, price, stock; version is set_variant_stock's
    if_version."""

    sku: str
    option_values: dict[str, str] | None = None
    price: str = Field(description="e.g. '25.00 USD'.")
    price_minor: int
    compare_at_price: str | None = None
    stock_quantity: int
    barcode: str | None = None
    weight_grams: int | None = None
    version: int

    @classmethod
    def from_api(cls, variant: dict[str, Any], *, currency: str, decimals: int) -> Variant:
        """Describe a variant of a product priced in currency."""
        compare_at = variant.get("compare_at_price_minor")
        return cls(
            sku=variant["sku"],
            option_values=variant.get("option_values") or None,
            price=money(major(variant["price_minor"], decimals), currency),
            price_minor=variant["price_minor"],
            compare_at_price=None
            if compare_at is None
            else money(major(compare_at, decimals), currency),
            stock_quantity=variant["stock_quantity"],
            barcode=variant.get("barcode"),
            weight_grams=variant.get("weight_grams"),
            version=variant["version"],
        )


class Selection(BaseModel):
    """How `selected` was met (exact, relaxed: see `relaxed`, or none in stock); note says it."""

    match: Literal["exact", "relaxed", "none in stock"] = Field(
        description="exact: the chosen variant is in stock; relaxed: the nearest in-stock "
        "variant; none in stock: no variant has stock."
    )
    selected: dict[str, str] = Field(description="The choices as the product spells them.")
    relaxed: list[str] | None = Field(
        default=None, description="Options whose choice the variant does not have."
    )
    note: str


class StockChange(BaseModel):
    """A variant's stock after set_variant_stock."""

    sku: str
    product_id: int
    product_title: str
    option_values: dict[str, str] | None = None
    stock_quantity: int
    previous_stock_quantity: int
    availability: Availability
    version: int = Field(description="The variant's version now.")
