"""Plans and times of the variant filters on a generated catalog, SQLite and PostgreSQL.

python -m bench.variant_filters N --dir DIR [--postgres]: imports N generated products, gives
each one of 500 brands and six variants (three of ten sizes x two of eight colours, stock
0-2), then prints the plan of each filtered first page (the repository's own filter SQL) and
its median time of 5 runs.
--postgres uses a throwaway bench_wtvfilter_* database, dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import pg
from bench.generate import write_products
from catalog_api.config import Settings
from catalog_api.db import create_engine
from catalog_api.models import Product
from catalog_api.repositories import ProductFilters
from catalog_api.variants.filters import attribute_is, brand_is, variant_products

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
}


def _statement(dialect: str, filters: ProductFilters) -> Select[Any]:
    """Return the list route's first page (newest first, 20) with these filters."""
    stmt = select(Product.id)
    if filters.options:
        stmt = stmt.where(Product.id.in_(variant_products(filters.options, filters.in_stock)))
    if filters.max_price is not None:
        stmt = stmt.where(Product.price_minor <= filters.max_price)
    if filters.brand is not None:
        stmt = stmt.where(brand_is(filters.brand))
    for key, value in filters.attributes:
        stmt = stmt.where(attribute_is(dialect, key, value))
    return stmt.order_by(Product.created_at.desc(), Product.id.desc()).limit(20)


async def _run(url: str) -> None:
    engine = create_engine(Settings(database_url=url))
    try:
        await _measure(engine)
    finally:
        await engine.dispose()


async def _measure(engine: AsyncEngine) -> None:
    dialect = engine.dialect.name
    await add_variants(engine)
    explain = "EXPLAIN (ANALYZE, BUFFERS) " if dialect == "postgresql" else "EXPLAIN QUERY PLAN "
    for name, filters in CASES.items():
        stmt = _statement(dialect, filters)
        sql = str(stmt.compile(engine.sync_engine, compile_kwargs={"literal_binds": True}))
        async with engine.connect() as connection:
            plan = (await connection.execute(text(explain + sql))).all()
            times = []
            for _ in range(5):
                started = time.perf_counter()
                rows = (await connection.execute(stmt)).all()
                times.append(time.perf_counter() - started)
        logger.info(
            "== %s: %d rows, median %.2f ms", name, len(rows), 1000 * statistics.median(times)
        )
        for line in plan:
            logger.info("   %s", " ".join(str(part) for part in line))


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
    args = parser.parse_args(argv)
    with generated_catalog(args.n, args.dir, postgres=args.postgres) as url:
        asyncio.run(_run(url))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
