"""Costs of the variant-level price filters and sort, the new facets and the SKU lookup.

python -m bench.variant_api N --dir DIR [--postgres]: the catalog of bench.variant_filters
(N generated products, six variants each, 500 brands), then the median time of 5 runs of
each request through ProductService, as the routes call it: first pages (20) of the list
sorted by price with variant filters, facets with and without the brand, option and
attribute parts, and searches whose query is a SKU.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import false, literal, null, select, text

from bench.variant_filters import add_variants, generated_catalog
from catalog_api.config import Settings
from catalog_api.db import create_engine, create_session_factory
from catalog_api.facets import labels
from catalog_api.repositories import ProductFilters
from catalog_api.schemas import SearchSortField, SortField
from catalog_api.services import ListQuery, ProductService, SearchQuery

logger = logging.getLogger("bench.variant_api")

SIZE_10 = (("size", "10"),)
USD = "USD"  # price filters and sorts compare one currency
LISTS: dict[str, ListQuery] = {
    "sort=price": ListQuery(filters=ProductFilters(currency=USD), sort=SortField.PRICE),
    "option.size=10 (newest first)": ListQuery(filters=ProductFilters(options=SIZE_10)),
    "option.size=10&sort=price (1 in 3)": ListQuery(
        filters=ProductFilters(currency=USD, options=SIZE_10), sort=SortField.PRICE
    ),
    "option.size=10&option.colour=c3&sort=price": ListQuery(
        filters=ProductFilters(currency=USD, options=(("colour", "c3"), *SIZE_10)),
        sort=SortField.PRICE,
    ),
    "option.size=10&max_price=2000": ListQuery(
        filters=ProductFilters(currency=USD, options=SIZE_10, max_price=2000)
    ),
    "in_stock=true&sort=price": ListQuery(
        filters=ProductFilters(currency=USD, in_stock=True), sort=SortField.PRICE
    ),
    "in_stock=true&max_price=2000": ListQuery(
        filters=ProductFilters(currency=USD, in_stock=True, max_price=2000)
    ),
    "in_stock=true&min_price=90000": ListQuery(
        filters=ProductFilters(currency=USD, in_stock=True, min_price=90000)
    ),
    "facets, no filter": ListQuery(facets=True),
    "facets, option.size=10": ListQuery(
        filters=ProductFilters(currency=USD, options=SIZE_10), facets=True
    ),
}


def _none(*_: Any) -> Any:
    """Return a facet part that yields no row (to time the facets without it)."""
    return select(literal("none"), null(), null(), null(), literal(0)).where(false())


async def _median(work: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    await work()  # warm the caches
    times = []
    result = None
    for _ in range(5):
        started = time.perf_counter()
        result = await work()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times), result


async def _measure(url: str) -> None:
    engine = create_engine(Settings(database_url=url, auto_migrate=False))
    factory = create_session_factory(engine)
    try:
        await add_variants(engine)
        async with engine.connect() as connection:
            sku = await connection.scalar(
                text("SELECT sku FROM product_variants WHERE position = 3 ORDER BY id LIMIT 1")
            )
        for name, query in LISTS.items():

            async def page(query: ListQuery = query) -> Any:
                async with factory() as session:
                    return await ProductService(session).browse(query)

            ms, result = await _median(page)
            logger.info("list %-40s %8.1f ms  total %s", name, ms, result.total)
        parts = (labels.brands, labels.options, labels.attributes)
        for part in ("brands", "options", "attributes"):
            setattr(labels, part, _none)
        ms, _ = await _median(page)
        logger.info("list %-40s %8.1f ms", "facets, option.size=10, old parts only", ms)
        labels.brands, labels.options, labels.attributes = parts
        words = str(sku).replace("-", " ")
        for q in (str(sku), str(sku).upper(), words):

            async def found(q: str = q) -> Any:
                async with factory() as session:
                    query = SearchQuery(q=q, sort=SearchSortField.RELEVANCE)
                    return await ProductService(session).search(query)

            ms, result = await _median(found)
            first = result.items[0].slug if result.items else None
            logger.info("search %-38s %8.1f ms  first %s", repr(q), ms, first)
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    """Build the catalog and print each request's median time."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    parser = argparse.ArgumentParser(prog="python -m bench.variant_api", description=__doc__)
    parser.add_argument("n", type=int, help="number of products")
    parser.add_argument("--dir", type=Path, required=True, help="where the files go")
    parser.add_argument("--postgres", action="store_true", help="use PostgreSQL")
    args = parser.parse_args(argv)
    with generated_catalog(args.n, args.dir, postgres=args.postgres) as url:
        asyncio.run(_measure(url))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
