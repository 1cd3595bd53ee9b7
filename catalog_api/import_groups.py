"""CSV rows grouped into products with variants: one row per variant, grouped by slug or handle."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from catalog_api.import_sources import Record, fields_digest

OPTION_COLUMN = re.compile(r"^option([1-3])_(name|value)$")
VARIANT_COLUMNS = frozenset(
    {
        "sku",
        "price",
        "price_minor",
        "compare_at_price",
        "compare_at_price_minor",
        "stock_quantity",
        "barcode",
        "weight_grams",
    }
)
MAX_OPTIONS = 3


def is_grouped_header(header: Iterable[str]) -> bool:
    """Tell whether a CSV header has the option columns of the one-row-per-variant layout."""
    return any(OPTION_COLUMN.match(name) for name in header)


class GroupError(ValueError):
    """A group of rows that cannot become one product."""


class Grouper:
    """Turn consecutive rows with the same slug (or handle) into one product record."""

    def __init__(self) -> None:
        self.held_lines = 0
        self._seen: dict[str, str] = {}

    def group(self, records: Iterator[Record]) -> Iterator[Record]:
        """Yield one record per product, error records as they come."""
        pending: list[Record] = []
        key: str | None = None
        for record in records:
            fields = record.fields
            new_key = _key(fields) if fields is not None else None
            if pending and (new_key is None or new_key != key):
                self.held_lines = record.line_count
                yield self._emit(pending)
                pending = []
            if fields is None or new_key is None:
                self.held_lines = 0
                error = record.error or "each row needs a slug or handle value to group it by"
                yield Record(record.first_line, record.last_line, error=error)
                continue
            pending.append(record)
            key = new_key
            self.held_lines = sum(r.line_count for r in pending)
        self.held_lines = 0
        if pending:
            yield self._emit(pending)

    def _emit(self, rows: list[Record]) -> Record:
        first, last = rows[0].first_line, rows[-1].last_line
        count = sum(r.line_count for r in rows)
        key = _key(rows[0].fields or {})
        assert key is not None
        earlier = self._seen.get(key)
        lines = str(first) if first == last else f"{first}-{last}"
        if earlier is not None:
            error = f"the rows of '{key}' must be consecutive; it also has rows at line {earlier}"
            return Record(first, last, error=error, count=count)
        self._seen[key] = lines
        try:
            fields = product_fields([r.fields or {} for r in rows], [r.first_line for r in rows])
        except GroupError as error:
            return Record(first, last, error=str(error), count=count)
        return Record(first, last, fields=fields, count=count, digest=fields_digest(fields))


def _key(fields: dict[str, Any] | None) -> str | None:
    if not fields:
        return None
    value = fields.get("slug") or fields.get("handle")
    return str(value) if value else None


def product_fields(rows: list[dict[str, Any]], numbers: list[int]) -> dict[str, Any]:
    """Return the product of a group: the first row's product columns, options and variants."""
    product: dict[str, Any] = {}
    for row, number in zip(rows, numbers, strict=True):
        for name, value in row.items():
            if name in VARIANT_COLUMNS or OPTION_COLUMN.match(name):
                continue
            if name not in product:
                product[name] = value
            elif product[name] != value:
                raise GroupError(
                    f"line {number}: {name!r} differs from the product's earlier rows; leave "
                    "product columns empty or repeat them on a product's following rows"
                )
    if "slug" not in product:
        product["slug"] = product.pop("handle")
    else:
        product.pop("handle", None)
    names: dict[int, str] = {}
    for index in range(1, MAX_OPTIONS + 1):
        column = f"option{index}_name"
        option_name = next((row[column] for row in rows if column in row), None)
        if option_name is not None:
            names[index] = str(option_name)
    if not names and len(rows) == 1:
        # A product without options stays a simple row, for the fast path.
        return {**product, **{k: v for k, v in rows[0].items() if k in VARIANT_COLUMNS}}
    options: dict[int, list[str]] = {index: [] for index in names}
    variants = []
    for row, number in zip(rows, numbers, strict=True):
        values = {}
        for index in range(1, MAX_OPTIONS + 1):
            value = row.get(f"option{index}_value")
            if value is None:
                continue
            if index not in names:
                raise GroupError(
                    f"line {number}: option{index}_value without an option{index}_name"
                )
            values[names[index]] = str(value)
            if str(value).casefold() not in {v.casefold() for v in options[index]}:
                options[index].append(str(value))
        variant = {k: v for k, v in row.items() if k in VARIANT_COLUMNS}
        variant["option_values"] = values
        variants.append(variant)
    product["options"] = [{"name": names[i], "values": options[i]} for i in names]
    product["variants"] = variants
    return product
