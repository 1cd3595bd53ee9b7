"""Reading a search query: price bounds, catalog values, stock and sort hints out of its words."""

from catalog_api.query_reading.offline import Context, read_offline
from catalog_api.query_reading.reading import ReadFilter, Reading
from catalog_api.query_reading.service import QueryReader, search_interpreted
from catalog_api.query_reading.terms import TERMS, CatalogTerms

__all__ = [
    "TERMS",
    "CatalogTerms",
    "Context",
    "QueryReader",
    "ReadFilter",
    "Reading",
    "read_offline",
    "search_interpreted",
]
