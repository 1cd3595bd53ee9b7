"""What the search index holds for a product: analysed terms of its title, labels and text.

The labels are the category, tags, attribute values, brand and option values ('Trailco',
'10', 'Blue'): a word of any of them finds the product. SKUs are not words; search looks a
SKU up whole instead (catalog_api/search/exact.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapper, Session, object_session

from catalog_api.models import Product
from catalog_api.search.analyzer import terms
from catalog_api.search.champions import CHAMPIONS
from catalog_api.search.vocabulary import VOCABULARIES

# Each index column of products and the product fields it is analysed from.
SOURCES = {
    "search_title": ("title",),
    "search_labels": ("category", "tags", "attributes", "brand", "options"),
    "search_body": ("description",),
}
_PARTS = {"title": "search_title", "labels": "search_labels", "body": "search_body"}
_WRITTEN = "catalog_search_fields_written"  # a Session.info key


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return list(value.values())
    texts: list[str] = []
    for item in value or ():
        # An option ({"name": "size", "values": [...]}) is found by its values, not its name.
        texts.extend(item.get("values", ()) if isinstance(item, Mapping) else [item])
    return texts


@lru_cache(maxsize=100_000)
def _label_terms(text: str) -> str:
    # Categories, tags, attribute values and brands repeat across a catalog: a bulk import
    # analyses each once.
    return " ".join(terms(text))


def _analysed(column: str, row: Mapping[str, Any]) -> str:
    texts = (text for field in SOURCES[column] for text in _texts(row.get(field)))
    if column == "search_labels":
        return " ".join(part for text in texts if (part := _label_terms(text)))
    return " ".join(term for text in texts for term in terms(text))


def search_part(part: str, row: Mapping[str, Any]) -> str:
    """Return one index column (title, labels or body) of a row given as a mapping."""
    return _analysed(_PARTS[part], row)


def row_search_fields(row: Mapping[str, Any]) -> dict[str, str]:
    """Return the index columns for a product row given as a mapping of its columns."""
    return {column: _analysed(column, row) for column in SOURCES}


def missing_search_fields(row: Mapping[str, Any]) -> dict[str, str]:
    """Return the row's index columns unless it carries them already (made before its insert)."""
    return {} if "search_title" in row else row_search_fields(row)


def _fill(_mapper: Mapper[Product], _connection: object, product: Product) -> None:
    state = inspect(product)
    changed = [
        column
        for column, fields in SOURCES.items()
        if state.pending or any(state.attrs[field].history.has_changes() for field in fields)
    ]
    if not changed:
        return  # a stock or price change: nothing the index holds
    written(object_session(product))
    row = {field: getattr(product, field) for fields in SOURCES.values() for field in fields}
    for column in changed:
        setattr(product, column, _analysed(column, row))


def written(session: Session | None) -> None:
    """Note that the session wrote searchable fields: search caches are stale once it commits."""
    VOCABULARIES.changed()
    if session is not None:
        session.info[_WRITTEN] = True


def _committed(session: Session) -> None:
    # After the commit, not at the flush: a search between the two would cache the old rows.
    if session.info.pop(_WRITTEN, False):
        CHAMPIONS.changed()


event.listen(Product, "before_insert", _fill)
event.listen(Product, "before_update", _fill)
event.listen(Product, "after_delete", lambda _m, _c, product: written(object_session(product)))
event.listen(Session, "after_commit", _committed)
event.listen(Session, "after_soft_rollback", lambda session, _: session.info.pop(_WRITTEN, None))
