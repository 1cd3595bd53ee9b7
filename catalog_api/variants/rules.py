"""The rules that tie a product's options and variants together, checked before any write."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from catalog_api.errors import InvalidVariantsError
from catalog_api.variants.schemas import OptionIn, VariantIn


@dataclass(frozen=True, kw_only=True)
class VariantSpec:
    """A variant as a request wants it; sku None means keep or derive one."""

    sku: str | None
    option_values: dict[str, str]
    price_minor: int
    compare_at_price_minor: int | None = None
    stock_quantity: int = 0
    barcode: str | None = None
    weight_grams: int | None = None

    def combination(self) -> tuple[tuple[str, str], ...]:
        """Return the option values as a casefolded, order-free key."""
        return option_key(self.option_values)


@dataclass(frozen=True, kw_only=True)
class VariantPlan:
    """Options to store and the variants to hold, checked together."""

    options: list[dict[str, Any]]
    variants: list[VariantSpec]


def option_key(values: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """Return option values as a casefolded, order-free key."""
    return tuple(sorted((name.casefold(), value.casefold()) for name, value in values.items()))


def simple_plan(*, price_minor: int, stock_quantity: int, sku: str | None) -> VariantPlan:
    """Return the plan of a product without options: one default variant."""
    spec = VariantSpec(
        sku=sku, option_values={}, price_minor=price_minor, stock_quantity=stock_quantity
    )
    return VariantPlan(options=[], variants=[spec])


def _checked_options(options: Sequence[OptionIn]) -> list[dict[str, Any]]:
    seen: dict[str, int] = {}
    stored = []
    for index, option in enumerate(options):
        folded = option.name.casefold()
        if folded in seen:
            raise InvalidVariantsError(
                f"Two options are both named '{option.name}' (names are compared ignoring case).",
                field=f"options.{index}.name",
            )
        seen[folded] = index
        values: dict[str, int] = {}
        for position, value in enumerate(option.values):
            if value.casefold() in values:
                raise InvalidVariantsError(
                    f"Option '{option.name}' lists '{value}' twice (values are compared "
                    "ignoring case).",
                    field=f"options.{index}.values.{position}",
                )
            values[value.casefold()] = position
        stored.append({"name": option.name, "values": list(option.values)})
    return stored


def _resolved_values(
    index: int, given: dict[str, str], options: list[dict[str, Any]]
) -> dict[str, str]:
    """Return a variant's option values spelt as the options declare them."""
    field = f"variants.{index}.option_values"
    by_name = {option["name"].casefold(): option for option in options}
    folded = {name.casefold(): (name, value) for name, value in given.items()}
    for name, _ in folded.values():
        if name.casefold() not in by_name:
            known = ", ".join(option["name"] for option in options) or "none"
            raise InvalidVariantsError(
                f"Variant {index} has a value for '{name}', which is not an option of the "
                f"product (options: {known}).",
                field=field,
            )
    resolved = {}
    for option in options:
        name = option["name"]
        if name.casefold() not in folded:
            raise InvalidVariantsError(
                f"Variant {index} has no value for option '{name}'; every variant needs one "
                "value of each option.",
                field=field,
            )
        value = folded[name.casefold()][1]
        spelt = {v.casefold(): v for v in option["values"]}.get(value.casefold())
        if spelt is None:
            raise InvalidVariantsError(
                f"Variant {index} has '{value}' for option '{name}', which is not one of its "
                f"values ({', '.join(option['values'])}).",
                field=field,
            )
        resolved[name] = spelt
    return resolved


def plan(options: Sequence[OptionIn], variants: Sequence[VariantIn]) -> VariantPlan:
    """Check options and variants together and return what to store.

    Every variant has a value of every option and no other; no two variants have the same
    values; no SKU is given twice. A product without options has exactly one variant.
    """
    stored = _checked_options(options)
    if not stored and len(variants) != 1:
        raise InvalidVariantsError(
            f"A product without options has exactly one variant; this request has "
            f"{len(variants)}. Declare options (e.g. size) to sell several variants.",
            field="variants",
        )
    combinations: dict[tuple[tuple[str, str], ...], int] = {}
    skus: dict[str, int] = {}
    specs = []
    for index, variant in enumerate(variants):
        values = _resolved_values(index, variant.option_values, stored)
        spec = VariantSpec(
            sku=variant.sku,
            option_values=values,
            price_minor=variant.price_minor,
            compare_at_price_minor=variant.compare_at_price_minor,
            stock_quantity=variant.stock_quantity,
            barcode=variant.barcode,
            weight_grams=variant.weight_grams,
        )
        key = spec.combination()
        if key in combinations:
            raise InvalidVariantsError(
                f"Variants {combinations[key]} and {index} have the same option values "
                f"({_describe(values)}); each variant needs its own combination.",
                field=f"variants.{index}.option_values",
            )
        combinations[key] = index
        if variant.sku is not None:
            if variant.sku in skus:
                raise InvalidVariantsError(
                    f"Variants {skus[variant.sku]} and {index} both have SKU '{variant.sku}'; "
                    "SKUs are unique across the catalog.",
                    field=f"variants.{index}.sku",
                    sku=variant.sku,
                )
            skus[variant.sku] = index
        specs.append(spec)
    return VariantPlan(options=stored, variants=specs)


def _describe(values: dict[str, str]) -> str:
    return ", ".join(f"{name}: {value}" for name, value in values.items()) or "none"


def plan_request(
    options: Sequence[OptionIn],
    variants: Sequence[VariantIn] | None,
    *,
    price_minor: int | None,
    stock_quantity: int | None,
    sku: str | None,
) -> VariantPlan:
    """Return the plan of a create or replace: its variants, or one made of price and stock."""
    if variants is None:
        if options:
            raise InvalidVariantsError(
                "A product with options needs its variants: give variants, each with a value "
                "of every option, its price_minor and stock_quantity.",
                field="variants",
            )
        if price_minor is None:
            raise InvalidVariantsError(
                "Give price_minor (and stock_quantity) for a product without options, or "
                "variants with their own prices.",
                field="price_minor",
            )
        return simple_plan(price_minor=price_minor, stock_quantity=stock_quantity or 0, sku=sku)
    given = {"price_minor": price_minor, "stock_quantity": stock_quantity, "sku": sku}
    for name, value in given.items():
        if value is not None:
            raise InvalidVariantsError(
                f"{name} belongs to each variant when variants are given; set it in variants "
                "and leave it out of the product.",
                field=name,
            )
    return plan(options, variants)


def stored_options(options: list[dict[str, Any]]) -> list[OptionIn]:
    """Return a product's stored options as input, to check new variants against them."""
    return [OptionIn.model_validate(option) for option in options]


def single_variant_plan(
    product: Any, *, price_minor: int | None, stock_quantity: int | None
) -> VariantPlan:
    """Return the plan that changes the price or stock of a product with one variant."""
    variants = product.variants
    if len(variants) > 1 or (variants and variants[0].option_values):
        field = "price_minor" if price_minor is not None else "stock_quantity"
        raise InvalidVariantsError(
            f"This product has {len(variants)} variants with options: set {field} on each "
            "variant (in variants, or PATCH /api/products/{id}/variants/{sku}).",
            field=field,
        )
    current = variants[0] if variants else None
    # A product written without variants (raw SQL) falls back to its own columns.
    source = current if current is not None else product
    price = price_minor if price_minor is not None else source.price_minor
    stock = stock_quantity if stock_quantity is not None else source.stock_quantity
    spec = VariantSpec(
        sku=None,
        option_values={},
        price_minor=price,
        compare_at_price_minor=getattr(current, "compare_at_price_minor", None),
        stock_quantity=stock,
        barcode=getattr(current, "barcode", None),
        weight_grams=getattr(current, "weight_grams", None),
    )
    return VariantPlan(options=[], variants=[spec])


def update_plan(
    product: Any,
    *,
    options: Sequence[OptionIn] | None,
    variants: Sequence[VariantIn] | None,
    price_minor: int | None,
    stock_quantity: int | None,
) -> VariantPlan | None:
    """Return the plan of a partial update, or None when it leaves the variants alone."""
    if variants is not None:
        given = {"price_minor": price_minor, "stock_quantity": stock_quantity}
        for name, value in given.items():
            if value is not None:
                raise InvalidVariantsError(
                    f"{name} belongs to each variant when variants are given; set it in "
                    "variants and leave it out of the product.",
                    field=name,
                )
        return plan(options if options is not None else stored_options(product.options), variants)
    if options is not None:
        raise InvalidVariantsError(
            "Changing options changes which variants exist: send variants too, each with a "
            "value of every option.",
            field="variants",
        )
    if price_minor is None and stock_quantity is None:
        return None
    return single_variant_plan(product, price_minor=price_minor, stock_quantity=stock_quantity)
