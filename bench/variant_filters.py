"""Plans and times of the variant filters on a generated catalog, SQLite and PostgreSQL.

python -m bench.variant_filters N --dir DIR [--postgres]: imports N generated products, gives
each one of 500 brands and six variants (three of ten sizes x two of eight colours, stock
0-2), then prints, for each filter, the first page (20, newest first) as ProductRepository
.list_page reads it (SQLite's plan choice included): its median time of 5 runs and the
slowest, and the count of all matches (the list's total) timed alike.
--postgres uses a throwaway bench_wtvfilter_* database, dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import pg
from bench.generate import write_products
from catalog_api.config import Settings
from catalog_api.db import create_engine, create_session_factory
from catalog_api.repositories import ProductFilters, ProductRepository
from catalog_api.variants import plans
from catalog_api.variants.plans import choose

logger = logging.getLogger("bench.variant_filters")

ADD_VARIANTS = """
INSERT INTO product_variants (product_id, sku, position, option_values, price_minor,
    stock_quantity, created_at, updated_at, version)
SELECT p.id, p.slug || '-v' || CAST(s.k * 2 + c.k + 1 AS VARCHAR), s.k * 2 + c.k + 1, '{}',
    p.price_minor, (p.id + s.k + c.k) % 3, p.created_at, p.updated_at, 1
FROM products p,
    (SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2) s,
    (SELECT 0 AS k UNION ALL SELECT 1) c
"""
ADD_OPTIONS = """
INSERT INTO variant_option_values (name, value, variant_id, product_id)
SELECT 'size', CAST(product_id % 8 + (position - 1) / 2 + 5 AS VARCHAR), id, product_id
FROM product_variants WHERE position > 0
UNION ALL
SELECT 'colour', 'c' || CAST((product_id % 4) * 2 + (position - 1) % 2 AS VARCHAR), id,
    product_id
FROM product_variants WHERE position > 0
"""
ADD_BRANDS = "UPDATE products SET brand = 'Brand' || CAST(id % 500 AS VARCHAR)"
CASES: dict[str, ProductFilters] = {
    "option.size=10": ProductFilters(options=(("size", "10"),)),
    "option.size=10&option.colour=c3": ProductFilters(options=(("colour", "c3"), ("size", "10"))),
    "option.size=10&option.colour=c3&in_stock=true": ProductFilters(
        options=(("colour", "c3"), ("size", "10")), in_stock=True
    ),
    "option.size=12 (rare)&max_price=2000": ProductFilters(
        options=(("size", "12"),), max_price=2000
    ),
    "brand=brand7 (1 in 500)": ProductFilters(brand="brand7"),
    "attr.color=blue": ProductFilters(attributes=(("color", "blue"),)),
    "attr.color=mauve (none)": ProductFilters(attributes=(("color", "mauve"),)),
    "option.size=10&attr.color=blue": ProductFilters(
        options=(("size", "10"),), attributes=(("color", "blue"),)
    ),
    "in_stock=true&min_price=90000": ProductFilters(currency="USD", in_stock=True, min_price=90000),
}

# Measured again sorted by price (ascending, in one currency: USD).
PRICE_SORTED = (
    "option.size=10",
    "option.size=10&option.colour=c3&in_stock=true",
    "option.size=12 (rare)&max_price=2000",
)
# A list's total counts at most this many matches (CATALOG_COUNT_LIMIT's default).
COUNT_LIMIT = 10_000


async def _timed(work: Callable[[], Awaitable[Any]]) -> tuple[float, float, Any]:
    """Return the median and slowest of 5 runs (after one to warm the caches), in ms."""
    result = await work()
    times = []
    for _ in range(5):
        started = time.perf_counter()
        result = await work()
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times), max(times), result


async def _run(url: str, *, build: bool = True) -> None:
    engine = create_engine(Settings(database_url=url, auto_migrate=False))
    try:
        await _measure(engine, build=build)
    finally:
        await engine.dispose()


async def _measure(engine: AsyncEngine, *, build: bool) -> None:
    dialect = engine.dialect.name
    factory = create_session_factory(engine)
    if build:
        await add_variants(engine)
    for name, filters in CASES.items():

        async def page(filters: ProductFilters = filters) -> Any:
            async with factory() as session:
                repository = ProductRepository(session)
                return await repository.list_page(
                    filters, sort="created_at", descending=True, after=None, limit=21
                )

        async def total(filters: ProductFilters = filters) -> Any:
            async with factory() as session:
                return await ProductRepository(session).count(filters)

        async def bounded(filters: ProductFilters = filters) -> Any:
            async with factory() as session:
                repository = ProductRepository(session)
                return await repository.count_up_to(filters, COUNT_LIMIT + 1)

        async def by_price(filters: ProductFilters = filters) -> Any:
            async with factory() as session:
                repository = ProductRepository(session)
                priced = dataclasses.replace(filters, currency="USD")
                return await repository.list_page(
                    priced, sort="price", descending=False, after=None, limit=21
                )

        plan = "-"
        stocked = filters.in_stock is True and not filters.options and filters.min_price
        if dialect == "sqlite" and (filters.options or filters.attributes or stocked):
            prices = (filters.min_price, filters.max_price) if stocked else None
            async with factory() as session:
                chosen = await choose(session, filters.options, filters.attributes, prices)
            plan = "probe per product" if chosen.start is None else f"range of {chosen.start}"
        median, slowest, rows = await _timed(page)
        count_median, _, count = await _timed(total)
        bounded_median, _, capped = await _timed(bounded)
        logger.info(
            "%s | %-45s | page %8.1f ms (max %8.1f) %2d rows | total %8.1f ms (%d) | "
            "total to %d %8.1f ms (%s) | %s",
            dialect,
            name,
            median,
            slowest,
            len(rows),
            count_median,
            count,
            COUNT_LIMIT,
            bounded_median,
            f"{min(capped[0], COUNT_LIMIT)}{'' if capped[1] else '+'}",
            plan,
        )
        if name in PRICE_SORTED:
            median, slowest, rows = await _timed(by_price)
            logger.info(
                "%s | %-45s | sort=price page %8.1f ms (max %8.1f) %2d rows",
                dialect,
                name,
                median,
                slowest,
                len(rows),
            )


@contextmanager
def generated_catalog(n: int, directory: Path, *, postgres: bool) -> Iterator[str]:
    """Migrate a throwaway database and import n generated products; yield its URL."""
    directory.mkdir(parents=True, exist_ok=True)
    source = directory / f"products-{n}.jsonl"
    if not source.exists():
        write_products(source, n)
    database = f"bench_wtvfilter_{secrets.token_hex(3)}"
    if postgres:
        pg.create_database(database)
        url = pg.async_url(database)
    else:
        path = directory / f"filters-{n}-{secrets.token_hex(3)}.db"
        url = f"sqlite+aiosqlite:///{path}"
    try:
        env = {**os.environ, "CATALOG_DATABASE_URL": url}
        for step in (["migrate"], ["import", str(source), "--on-conflict", "skip"]):
            subprocess.run([sys.executable, "-m", "catalog_api.cli", *step], env=env, check=True)  # noqa: S603
        yield url
    finally:
        if postgres:
            pg.drop_database(database)


async def add_variants_to(url: str) -> None:
    """Add the variants and brands to the catalog at url."""
    engine = create_engine(Settings(database_url=url, auto_migrate=False))
    try:
        await add_variants(engine)
    finally:
        await engine.dispose()


async def add_variants(engine: AsyncEngine) -> None:
    """Give every product six variants with option rows, and one of 500 brands."""
    async with engine.begin() as connection:
        await connection.execute(text(ADD_VARIANTS))
        await connection.execute(text(ADD_OPTIONS))
        await connection.execute(text(ADD_BRANDS))
        await connection.execute(text("ANALYZE"))
        count = await connection.scalar(text("SELECT count(*) FROM variant_option_values"))
    logger.info("%s: %s option rows", engine.dialect.name, count)


def main(argv: Sequence[str] | None = None) -> int:
    """Build the catalog and print each filter's plan and time."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    parser = argparse.ArgumentParser(prog="python -m bench.variant_filters", description=__doc__)
    parser.add_argument("n", type=int, help="number of products")
    parser.add_argument("--dir", type=Path, required=True, help="where the files go")
    parser.add_argument("--postgres", action="store_true", help="use PostgreSQL")
    parser.add_argument(
        "--common-rows",
        type=int,
        default=plans.COMMON_ROWS,
        help="SQLite: index entries from which a filter counts as common (10**9: always ranges)",
    )
    parser.add_argument("--reuse", help="measure this database URL, a catalog built before")
    args = parser.parse_args(argv)
    plans.COMMON_ROWS = args.common_rows
    if args.reuse:
        asyncio.run(_run(args.reuse, build=False))
        return 0
    with generated_catalog(args.n, args.dir, postgres=args.postgres) as url:
        asyncio.run(_run(url))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
