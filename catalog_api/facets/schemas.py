"""Facet counts of a match set: what to filter on next, and how many products each choice keeps."""

from __future__ import annotations

from pydantic import BaseModel, Field

from catalog_api.facets.labels import TOP_LABEL_VALUES, TOP_NAMES

TOP_VALUES = 10
PRICE_BANDS = 5
PRICE_CURRENCIES = 3


class PriceBand(BaseModel):
    """How many matching products cost between min and max (inclusive) in one currency."""

    currency: str = Field(description="ISO 4217 code; a band never mixes currencies.")
    min: int = Field(
        description="Lowest price of the band in minor units, inclusive: pass it as min_price.",
        examples=[2000],
    )
    max: int = Field(
        description="Highest price of the band in minor units, inclusive: pass it as max_price.",
        examples=[4999],
    )
    count: int = Field(description="Matching products priced in the band.", examples=[7])


class Facets(BaseModel):
    """Counts over the whole match set, so that a broad request can be narrowed in one call."""

    category: dict[str, int] = Field(
        description=f"Up to {TOP_VALUES} categories, most products first (ties A-Z): "
        "category -> matching products.",
        examples=[{"kitchen": 12, "outdoor": 4}],
    )
    tag: dict[str, int] = Field(
        description=f"Up to {TOP_VALUES} tags, most products first (ties A-Z): tag -> matching "
        "products (a product counts once for each of its tags).",
        examples=[{"tea": 9, "camping": 5}],
    )
    status: dict[str, int] = Field(
        description="Status -> matching products.", examples=[{"active": 14, "draft": 2}]
    )
    brand: dict[str, int] = Field(
        default_factory=dict,
        description=f"Up to {TOP_VALUES} brands, most products first (ties A-Z): brand -> "
        "matching products. Case is ignored as the brand filter ignores it; the key is one "
        "spelling found (pass it as brand=). Products without a brand are not counted.",
        examples=[{"Northpeak": 9, "Trailco": 3}],
    )
    option: dict[str, dict[str, int]] = Field(
        default_factory=dict,
        description=f"Up to {TOP_NAMES} option names (those most used by the matching "
        f"products' variants first), each with up to {TOP_LABEL_VALUES} values, most products "
        "first (ties A-Z): name -> value -> matching products with a variant of that value. "
        "Names and values are casefolded, as option.<name>=<value> compares them.",
        examples=[{"size": {"10": 7, "9": 5}, "colour": {"blue": 8, "red": 2}}],
    )
    attribute: dict[str, dict[str, int]] = Field(
        default_factory=dict,
        description=f"Up to {TOP_NAMES} attribute keys (most products first), each with up to "
        f"{TOP_LABEL_VALUES} values, most products first (ties A-Z): key -> value -> matching "
        "products. Exact spelling, as attr.<key>=<value> compares them.",
        examples=[{"material": {"mesh": 6, "leather": 2}}],
    )
    price: list[PriceBand] = Field(
        description=f"Up to {PRICE_BANDS} price bands for each of the {PRICE_CURRENCIES} "
        "commonest currencies, cheapest first. Edges are round amounts near the quantiles of "
        "the matched prices, so each band holds a similar share of the products; the first "
        "band starts at the lowest matched price, the last ends at the highest."
    )
    counted: int = Field(
        description="Products the counts cover: the whole match set, or the first "
        "CATALOG_FACET_LIMIT of it when it is larger.",
        examples=[16],
    )
    complete: bool = Field(
        description="False when the match set was larger than CATALOG_FACET_LIMIT: the counts "
        "then cover only the first `counted` matches found, not all of them."
    )
