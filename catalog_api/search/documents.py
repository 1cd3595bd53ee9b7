"""What the search index holds for a product: analysed terms of its title, labels and text."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Mapper

from catalog_api.models import Product
from catalog_api.search.analyzer import terms
from catalog_api.search.vocabulary import VOCABULARIES

# Index columns of products, filled from the product's own fields on every insert and update.
SEARCH_COLUMNS = ("search_title", "search_labels", "search_body")


def _joined(parts: Iterable[str]) -> str:
    return " ".join(term for part in parts for term in terms(part))


def search_fields(
    *,
    title: str,
    category: str,
    tags: Iterable[str],
    description: str,
    attributes: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Return the index columns of a product: title, labels (category, tags, attributes), body."""
    labels = [category, *tags, *(attributes or {}).values()]
    return {
        "search_title": _joined([title]),
        "search_labels": _joined(labels),
        "search_body": _joined([description]),
    }


def search_part(part: str, row: Mapping[str, Any]) -> str:
    """Return one index column (title, labels or body) of a row given as a mapping."""
    if part == "title":
        return _joined([row.get("title") or ""])
    if part == "body":
        return _joined([row.get("description") or ""])
    labels = [
        row.get("category") or "",
        *(row.get("tags") or ()),
        *(row.get("attributes") or {}).values(),
    ]
    return _joined(labels)


def row_search_fields(row: Mapping[str, Any]) -> dict[str, str]:
    """Return the index columns for a product row given as a mapping of its columns."""
    return search_fields(
        title=row["title"],
        category=row["category"],
        tags=row.get("tags") or (),
        description=row.get("description") or "",
        attributes=row.get("attributes") or {},
    )


def _fill(_mapper: Mapper[Product], _connection: object, product: Product) -> None:
    VOCABULARIES.changed()
    fields = search_fields(
        title=product.title,
        category=product.category,
        tags=product.tags or (),
        description=product.description or "",
        attributes=product.attributes or {},
    )
    for name, value in fields.items():
        if getattr(product, name, None) != value:
            setattr(product, name, value)


event.listen(Product, "before_insert", _fill)
event.listen(Product, "before_update", _fill)
event.listen(Product, "after_delete", lambda *_: VOCABULARIES.changed())
