"""Import rows into products: prices in major units converted, the API's rules applied."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from catalog_api.currencies import MINOR_UNITS
from catalog_api.errors import InvalidVariantsError
from catalog_api.import_sources import Record
from catalog_api.schemas import ProductCreate
from catalog_api.variants.rules import plan_request


class RowError(ValueError):
    """A row that cannot become a product."""


def describe_validation_error(error: ValidationError) -> str:
    """Summarise a pydantic error as 'field: message; ...'."""
    parts = []
    for item in error.errors():
        name = ".".join(str(p) for p in item["loc"]) or "row"
        parts.append(f"{name}: {item['msg']}")
    return "; ".join(parts)


def _price_to_minor(row: dict[str, Any], currency: Any, name: str = "price") -> None:
    if name not in row:
        return
    price = row.pop(name)
    if f"{name}_minor" in row:
        raise RowError(f"give either {name} or {name}_minor, not both")
    currency = str(currency or "").upper()
    exponent = MINOR_UNITS.get(currency)
    if exponent is None:
        raise RowError("price needs a valid currency to convert to minor units")
    try:
        minor = Decimal(str(price)).scaleb(exponent)
    except InvalidOperation as error:
        raise RowError(f"price: not a number: {price!r}") from error
    if minor != minor.to_integral_value():
        raise RowError(f"{name}: {price} has more decimals than {currency} allows")
    row[f"{name}_minor"] = int(minor)


def _variant_prices(row: dict[str, Any]) -> None:
    """Convert each variant's price and compare_at_price in major units to minor units."""
    variants = row.get("variants")
    if not isinstance(variants, list):
        return
    converted = []
    for index, variant in enumerate(variants):
        if isinstance(variant, dict):
            variant = dict(variant)
            try:
                _price_to_minor(variant, row.get("currency"))
                _price_to_minor(variant, row.get("currency"), "compare_at_price")
            except RowError as error:
                raise RowError(f"variants.{index}.{error}") from error
        converted.append(variant)
    row["variants"] = converted


def validate_row(row: dict[str, Any]) -> ProductCreate:
    """Turn a parsed row into a product or raise RowError with the reason."""
    row = dict(row)
    _price_to_minor(row, row.get("currency"))
    _variant_prices(row)
    try:
        product = ProductCreate.model_validate(row)
    except ValidationError as error:
        raise RowError(describe_validation_error(error)) from error
    if product.variants is None and not product.options:
        if product.price_minor is None:
            raise RowError("price_minor: Field required")
        return product
    try:
        # The rules of POST /api/products, with its reasons.
        plan_request(
            product.options,
            product.variants,
            price_minor=product.price_minor,
            stock_quantity=product.stock_quantity,
            sku=product.sku,
        )
    except InvalidVariantsError as error:
        raise RowError(error.detail) from error
    return product


def check_all(records: list[Record]) -> list[ProductCreate | str]:
    """Return each record's product, or the reason it is rejected."""
    checked: list[ProductCreate | str] = []
    for record in records:
        try:
            if record.fields is None:
                raise RowError(record.error or "no fields")
            product = validate_row(record.fields)
        except RowError as error:
            checked.append(str(error))
            continue
        checked.append(product)
    return checked
