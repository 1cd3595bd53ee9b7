"""The demo catalog's variants: sizes, colours and storage, added to a few generated products.

A separate, deterministic step over demo_data.generate_products, so the benchmarks' generated
data stays as it is. `python -m catalog_api.demo_variants` rewrites the shipped demo file.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

from catalog_api.demo_data import generate_products

logger = logging.getLogger(__name__)

DEMO_SIZE = 300
SHOE_SIZES = ("8", "9", "10", "11", "12")
APPAREL_SIZES = ("S", "M", "L", "XL")


def _stock(index: int, sold_out: Iterable[int]) -> int:
    """Return a fixed, varied stock; the listed positions are sold out."""
    return 0 if index in set(sold_out) else 3 + (index * 7) % 19


def _sized(
    prefix: str,
    price_minor: int,
    options: list[tuple[str, Sequence[str]]],
    *,
    sold_out: Iterable[int] = (),
    step_minor: int = 0,
) -> dict[str, Any]:
    """Return options and one variant per combination, the first option varying slowest."""
    combos: list[dict[str, str]] = [{}]
    for name, values in options:
        combos = [{**combo, name: value} for combo in combos for value in values]
    sold = set(sold_out)
    variants = []
    for index, combo in enumerate(combos):
        suffix = "-".join(value.upper().replace(" ", "") for value in combo.values())
        first_value = combo[options[0][0]]
        variants.append(
            {
                "sku": f"{prefix}-{suffix}",
                "option_values": combo,
                "price_minor": price_minor + step_minor * options[0][1].index(first_value),
                "stock_quantity": _stock(index, sold),
            }
        )
    return {
        "options": [{"name": name, "values": list(values)} for name, values in options],
        "variants": variants,
    }


# slug -> (attributes the options replace, options and variants)
_VARIANTS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "wren-wool-lightweight-running-shoes": (
        ("color",),
        _sized(
            "WREN-RUN",
            15699,
            [("size", SHOE_SIZES), ("color", ("navy", "slate"))],
            sold_out=(1, 8, 9),
        ),
    ),
    "atelier-noe-stability-running-shoes": (
        ("size",),
        _sized("NOE-STAB", 11295, [("size", SHOE_SIZES)], sold_out=(4,)),
    ),
    "norrland-pocket-t-shirt": (
        ("color", "size"),
        _sized(
            "NORR-TEE",
            1899,
            [("size", APPAREL_SIZES), ("color", ("oatmeal", "white"))],
            sold_out=(0, 7),
        ),
    ),
    "cotton-field-merino-crewneck-sweater": (
        ("size",),
        _sized("CFM-CREW", 11249, [("size", APPAREL_SIZES)], sold_out=(3,)),
    ),
}

# A device sold in storage sizes, each at its own price.
TABLET: dict[str, Any] = {
    "slug": "helio-tab-11-tablet",
    "title": "Helio Tab 11 Tablet",
    "description": "The Helio Tab 11 Tablet pairs an 11-inch 120 Hz display with an all-day "
    "battery. Choose the storage that fits your library of apps, films and photos.",
    "category": "electronics",
    "brand": "Helio",
    "tags": ["tablet", "electronics", "graphite"],
    "currency": "USD",
    "status": "active",
    "attributes": {"color": "graphite", "screen size": "11 inch", "weight": "480 g"},
    "image_urls": ["https://images.example.com/products/helio-tab-11-tablet-1.jpg"],
    "seo_keywords": ["tablet", "11 inch tablet", "helio tablet"],
    **_sized("HELIO-TAB11", 44900, [("storage", ("128 GB", "256 GB", "512 GB"))], sold_out=(2,)),
}
TABLET["variants"][1]["price_minor"] = 52900
TABLET["variants"][2]["price_minor"] = 64900


def with_variants(products: Iterable[dict[str, object]]) -> Iterator[dict[str, object]]:
    """Yield the products, a few with options and variants, then the tablet."""
    for product in products:
        change = _VARIANTS.get(str(product["slug"]))
        if change is None:
            yield product
            continue
        replaced, extra = change
        product = {k: v for k, v in product.items() if k not in {"price_minor", "stock_quantity"}}
        attributes = product.get("attributes")
        if isinstance(attributes, dict):
            product["attributes"] = {k: v for k, v in attributes.items() if k not in replaced}
        yield {**product, **extra}
    yield TABLET


def demo_lines() -> Iterator[str]:
    """Yield the lines of the shipped demo file."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for product in with_variants(generate_products(DEMO_SIZE)):
        yield encode(product) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write the demo catalog with its variants to --out (default: the shipped file)."""
    parser = argparse.ArgumentParser(prog="python -m catalog_api.demo_variants")
    parser.add_argument("--out", type=Path, help="output file (default: the shipped demo file)")
    args = parser.parse_args(argv)
    out: Path = args.out or Path(str(files("catalog_api") / "data" / "demo_products.jsonl"))
    with out.open("w", encoding="utf-8", newline="\n") as stream:
        stream.writelines(demo_lines())
    logging.basicConfig(level=logging.INFO)
    logger.info("wrote %s", out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
