"""Search with interpret=true: read the query, merge with the explicit filters, search."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from catalog_api.config import Settings
from catalog_api.llm.chain import CopyChain
from catalog_api.query_reading.model import ModelReader
from catalog_api.query_reading.offline import Context, read_offline
from catalog_api.query_reading.reading import Reading
from catalog_api.query_reading.terms import TERMS
from catalog_api.repositories import ProductFilters
from catalog_api.schemas import SearchPage, SearchSortField, SortField, SortOrder
from catalog_api.search.analyzer import tokens
from catalog_api.search.schemas import QueryInterpretation, QueryReading, ReadFilterOut
from catalog_api.search.vocabulary import VOCABULARIES
from catalog_api.services import ListQuery, ProductService, SearchQuery


class QueryReader:
    """Reads queries for one app: offline always, first through a model when enabled."""

    def __init__(self, settings: Settings, chain: CopyChain | None) -> None:
        self.model = (
            ModelReader(chain, deadline=settings.interpret_model_timeout)
            if settings.interpret_model and chain is not None
            else None
        )

    async def read(
        self, session: AsyncSession, query: str, explicit: frozenset[str], currency: str | None
    ) -> Reading:
        """Read the query against the catalog's values; explicit parameters are not read."""
        engine = session.bind
        if not isinstance(engine, AsyncEngine):
            raise TypeError("reading needs a session bound to an AsyncEngine")
        terms = await TERMS.get(engine)
        vocabulary = await VOCABULARIES.get(engine)
        context = Context(terms, vocabulary.frequency, vocabulary.loaded, currency, explicit)
        if self.model is not None:
            reading = await self.model.read(query, context)
            if reading is not None:
                return reading
        return read_offline(query, context)


def merged_filters(filters: ProductFilters, reading: Reading) -> ProductFilters:
    """Return the explicit filters with what was read added (the reader skips explicit ones)."""
    changes: dict[str, object] = {}
    for name in ("category", "min_price", "max_price", "currency", "in_stock", "brand"):
        value = reading.value(name)
        if value is None:
            continue
        if name in {"min_price", "max_price"}:
            changes[name] = int(value)
        elif name == "in_stock":
            changes[name] = value == "true"
        else:
            changes[name] = value.casefold() if name == "category" else value
    options = dict(filters.options)
    for name, value in reading.options():
        options.setdefault(name.casefold(), value.casefold())
    changes["options"] = tuple(sorted(options.items()))
    return replace(filters, **changes)  # type: ignore[arg-type]


def reading_out(reading: Reading, *, relaxed: bool = False) -> QueryReading:
    """Describe a reading for the search response."""
    return QueryReading(
        words=reading.words,
        filters=[
            ReadFilterOut(parameter=f.parameter, value=f.value, written=f.written, label=f.label)
            for f in reading.filters
        ],
        source=reading.source,
        relaxed=relaxed,
    )


async def search_interpreted(
    products: ProductService, reading: Reading, query: SearchQuery
) -> SearchPage:
    """Search as read; when nothing matches the filters read, search as written instead.

    An empty page would tell an agent the store has nothing, where it has only nothing that
    matches every constraint read (all of a catalog's products out of stock, say).
    """
    page = await _search_as_read(products, reading, query)
    if page.total or query.cursor is not None or not reading.filters:
        return page
    page = await products.search(query)
    page.interpretation.reading = reading_out(reading, relaxed=True)
    return page


async def _search_as_read(
    products: ProductService, reading: Reading, query: SearchQuery
) -> SearchPage:
    """Search the words left with the filters read; no words left lists the filtered products."""
    filters = merged_filters(query.filters, reading)
    sort, order = query.sort, query.order
    read_sort, read_order = reading.value("sort"), reading.value("order")
    if read_sort is not None:
        sort = SearchSortField(read_sort)
        order = SortOrder(read_order) if read_order is not None else order
    if tokens(reading.words) or not tokens(query.q):  # no words at all: refused as without
        page = await products.search(
            replace(query, q=reading.words, filters=filters, sort=sort, order=order)
        )
        page.interpretation.reading = reading_out(reading)
        return page
    listed = await products.browse(
        ListQuery(
            filters=filters,
            sort=SortField.CREATED_AT if sort is SearchSortField.RELEVANCE else SortField(sort),
            order=order,
            limit=query.limit,
            cursor=query.cursor,
            facets=query.facets,
        )
    )
    return SearchPage(
        items=listed.items,
        total=listed.total,
        limit=listed.limit,
        next_cursor=listed.next_cursor,
        facets=listed.facets,
        interpretation=QueryInterpretation(searched_for=[], reading=reading_out(reading)),
    )
