"""Option selection for get_product: the chosen variant, or the nearest one in stock.

As in UCP's get_product, choices are relaxed from the last one backwards: a variant keeping
the earlier choices wins over one keeping the later ones. Among variants that relax the same
choices, the one whose value lies closest in the option's display order wins (size 11 before
size 8 when size 12 is sold out), then the product's own variant order.
"""

from __future__ import annotations

from mcp.server.mcpserver.exceptions import ToolError

from catalog_mcp.models import Product
from catalog_mcp.variant_models import Option, Selection, Variant

SHOWN_VALUES = 12


def _listing(option: Option) -> str:
    values = option.values[:SHOWN_VALUES]
    more = ", …" if len(option.values) > SHOWN_VALUES else ""
    return f"{option.name} ({', '.join(values)}{more})"


def _choices(options: list[Option], selected: dict[str, str]) -> list[tuple[Option, str]]:
    """Return each choice with its option, names matched ignoring case; refuse unknown names."""
    by_name = {option.name.casefold(): option for option in options}
    unknown = [name for name in selected if name.strip().casefold() not in by_name]
    if unknown:
        names = ", ".join(f"'{name}'" for name in unknown)
        raise ToolError(
            f"This product has no option {names}. Its options: "
            f"{'; '.join(_listing(option) for option in options)}."
        )
    choices: list[tuple[Option, str]] = []
    for name, value in selected.items():
        option = by_name[name.strip().casefold()]
        if any(chosen is option for chosen, _ in choices):
            raise ToolError(f"selected names the option '{option.name}' twice; give it once.")
        wanted = value.strip().casefold()
        spelled = next((v for v in option.values if v.casefold() == wanted), value.strip())
        choices.append((option, spelled))
    return choices


def _value_of(variant: Variant, option: Option) -> str:
    return (variant.option_values or {}).get(option.name, "")


def _rank(
    variant: Variant, position: int, choices: list[tuple[Option, str]]
) -> tuple[tuple[bool, ...], tuple[int, ...], int]:
    """Order variants: earlier choices kept first, then closeness of relaxed values, then order."""
    missed = tuple(_value_of(variant, o).casefold() != v.casefold() for o, v in choices)
    distance = []
    for option, value in choices:
        have = _value_of(variant, option)
        if value in option.values and have in option.values:
            distance.append(abs(option.values.index(have) - option.values.index(value)))
        else:
            distance.append(0)
    return missed, tuple(distance), position


def _described(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(f"{name} {value}" for name, value in pairs)


def _why_not(product: Product, choices: list[tuple[Option, str]]) -> str:
    """Say why the exact choice is not offered: a value no variant has, or a sold-out variant."""
    missing = [
        f"no variant has {option.name} {value} ({option.name}: {', '.join(option.values)})"
        for option, value in choices
        if value not in option.values
    ]
    if missing:
        return "; ".join(missing)
    wanted = _described([(o.name, v) for o, v in choices])
    exact = [v for v in product.variants if all(_value_of(v, o) == value for o, value in choices)]
    return f"{wanted} is out of stock" if exact else f"no variant is {wanted}"


def select_variant(product: Product, selected: dict[str, str]) -> Product:
    """Add the variant matching selected, or the nearest in-stock one, and how it was chosen."""
    if not product.options:
        raise ToolError(
            f"Product {product.id} has no options, so nothing to select; call get_product "
            "without selected (its one variant is in variants)."
        )
    choices = _choices(product.options, selected)
    ranked = sorted(enumerate(product.variants), key=lambda pair: _rank(pair[1], pair[0], choices))
    in_stock = [variant for _, variant in ranked if variant.stock_quantity > 0]
    variant = in_stock[0] if in_stock else ranked[0][1]
    relaxed = [o.name for o, v in choices if _value_of(variant, o).casefold() != v.casefold()]
    shown = _described([(o.name, _value_of(variant, o)) for o in product.options])
    if not in_stock:
        match = "none in stock"
        note = f"No variant of this product is in stock; closest to the choice: {shown}."
    elif not relaxed:
        match = "exact"
        note = f"{shown}: in stock ({variant.stock_quantity}), SKU {variant.sku}."
    else:
        match = "relaxed"
        note = (
            f"{_why_not(product, choices)}; nearest in stock: {shown} ({', '.join(relaxed)} "
            f"relaxed), SKU {variant.sku}."
        )
    product.selected_variant = variant
    product.selection = Selection(
        match=match,
        selected={option.name: value for option, value in choices},
        relaxed=relaxed or None,
        note=note,
    )
    return product
