"""Prices an agent gives in major units ('150', 150.00), checked against the catalog."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from catalog_mcp.client import CatalogClient


@dataclass(frozen=True)
class PriceRange:
    """Price filters in minor units of one currency (None: no bound, or no currency needed)."""

    currency: str | None
    min_minor: int | None
    max_minor: int | None


def to_minor(name: str, amount: Decimal, currency: str, minor_unit: int) -> int:
    """Convert a major-unit amount to minor units, refusing more decimals than the currency has."""
    try:
        scaled = amount.scaleb(minor_unit)
    except InvalidOperation as error:
        raise ToolError(f"{name} must be a number such as 150 or 149.99.") from error
    if scaled != scaled.to_integral_value():
        places = "no decimals" if minor_unit == 0 else f"at most {minor_unit} decimals"
        raise ToolError(f"{name}={amount} has too many decimals: {currency} prices have {places}.")
    return int(scaled)


def _listing(currencies: list[dict[str, Any]]) -> str:
    return ", ".join(str(c["currency"]) for c in currencies)


async def price_range(
    client: CatalogClient,
    filters: dict[str, Any],
    *,
    currency: str | None,
    min_price: Decimal | None,
    max_price: Decimal | None,
    price_sort: bool,
) -> PriceRange:
    """Resolve the currency prices are compared in and convert the bounds to its minor units.

    Without currency, one is implied only when every product matching the other filters has
    the same one; otherwise the agent is told which currencies there are.
    """
    code = currency.upper() if currency is not None else None
    if min_price is None and max_price is None and not price_sort:
        return PriceRange(code, None, None)
    if min_price is not None and max_price is not None and min_price > max_price:
        raise ToolError(f"min_price {min_price} is above max_price {max_price}.")
    # Codes only: counting them would read every matching product (seconds at 1M).
    present = (await client.list_currencies({**filters, "counts": "false"})).get("items", [])
    bounds = (("min_price", min_price), ("max_price", max_price))
    wanted = [name for name, value in bounds if value is not None]
    asked = [*wanted, *(["sort='price'"] if price_sort else [])]
    if code is None:
        if len(present) > 1:
            codes = [str(c["currency"]) for c in present]
            example = "USD" if "USD" in codes else codes[0]
            raise ToolError(
                f"{' and '.join(asked)} {'needs' if len(asked) == 1 else 'need'} currency: the "
                f"matching products are priced in {_listing(present)}, and amounts in different "
                f"currencies do not compare. Pass currency, e.g. currency='{example}', with "
                "prices in its major units (max_price=150 means 150.00)."
            )
        if not present:
            return PriceRange(None, None, None)
        code = str(present[0]["currency"])
    found = next((c for c in present if c["currency"] == code), None)
    if found is None:
        others = f"; they are priced in {_listing(present)}" if present else ""
        raise ToolError(f"No product matching these filters is priced in {code}{others}.")
    unit = int(found["minor_unit"])
    return PriceRange(
        code,
        None if min_price is None else to_minor("min_price", min_price, code, unit),
        None if max_price is None else to_minor("max_price", max_price, code, unit),
    )
