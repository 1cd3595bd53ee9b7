"""A re-sent row that already equals its stored product, told apart before it is validated.

First by digest: a row whose digest is the one kept for its product (the row it was last
written from, and nothing changed it since) is unchanged, whatever it holds. Then by value,
for a product with no digest kept: a feed sent again holds mostly rows exactly as they were
stored (stored values are already clean, and cleaning a clean value changes nothing). Such
a row is unchanged without being validated or loaded. Only plain rows qualify: a slug
given, no options, variants, SKU or major-unit price, every value of the JSON type the
stored one has. Anything else takes the careful path, which decides as before.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Mapping, Sequence
from typing import Any

from catalog_api.import_sources import Record
from catalog_api.repositories.stored_state import StoredProduct

# The fields a plain row may give, with the value an absent one takes.
_DEFAULTS: dict[str, Any] = {
    "description": "",
    "tags": [],
    "brand": None,
    "stock_quantity": 0,
    "status": "draft",
    "attributes": {},
    "image_urls": [],
    "seo_keywords": [],
}
_REQUIRED = ("slug", "title", "category", "currency", "price_minor")
_FIELDS = frozenset((*_REQUIRED, *_DEFAULTS))


def plain_slugs(records: Sequence[Record], skipped: Container[int] = ()) -> dict[int, str]:
    """Return the slug of each plain record (by position, but skipped) once in the batch.

    A slug given twice is left to the careful path: the second row compares with the first.
    """
    slugs: dict[int, str] = {}
    for index, record in enumerate(records):
        if index in skipped:
            continue
        fields = record.fields
        if fields is not None and fields.keys() <= _FIELDS and all(k in fields for k in _REQUIRED):
            slug = fields["slug"]
            if type(slug) is str:
                slugs[index] = slug
    return _once(slugs)


def digest_slugs(records: Sequence[Record]) -> dict[int, str]:
    """Return the slug of each record with a digest (by position), once in the batch."""
    slugs: dict[int, str] = {}
    for index, record in enumerate(records):
        fields = record.fields
        if record.digest is not None and fields is not None:
            slug = fields.get("slug")
            if type(slug) is str:
                slugs[index] = slug
    return _once(slugs)


def _once(slugs: dict[int, str]) -> dict[int, str]:
    repeated = Counter(slugs.values())
    return {index: slug for index, slug in slugs.items() if repeated[slug] == 1}


# The fields compared as JSON values, with the value an absent one takes.
_COMPARED = tuple(
    (name, _DEFAULTS.get(name))
    for name in sorted(_FIELDS)
    if name not in ("price_minor", "stock_quantity", "status")
)


def _same(value: Any, stored: Any) -> bool:
    """Tell whether a JSON value equals a stored one of the same JSON type (True is not 1)."""
    if stored is None:
        return value is None
    return type(value) is type(stored) and value == stored


def is_unchanged(fields: Mapping[str, Any], stored: StoredProduct) -> bool:
    """Tell whether a plain row gives exactly the stored product's values and single variant."""
    variant = stored.plain_variant()
    if variant is None:
        return False
    price, stock = variant
    if not (_same(fields["price_minor"], price) and _same(fields.get("stock_quantity", 0), stock)):
        return False
    columns = stored.columns
    if fields.get("status", "draft") != columns["status"].value:
        return False
    for name, default in _COMPARED:  # a loop, not all(_same(...)): this runs for every row
        value = fields.get(name, default)
        kept = columns[name]
        if kept is None:
            if value is not None:
                return False
        elif type(value) is not type(kept) or value != kept:
            return False
    return True
