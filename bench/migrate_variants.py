"""Time migration 0007 (one default variant per product) on N generated products.

python -m bench.migrate_variants N --dir DIR: writes N products, imports them with
`catalog-api import` into a SQLite file at the newest revision, downgrades it to 0006 (the
products stay, the variant tables go), then times the upgrade to 0007 alone. Pass --url to use
a PostgreSQL database you created instead of the SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from bench.generate import write_products
from catalog_api.config import Settings
from catalog_api.db import create_engine
from catalog_api.migrate import migrate_to

logger = logging.getLogger("bench.migrate_variants")


async def _alembic(url: str, action: Callable[[Config, str], None], revision: str) -> None:
    """Run one Alembic command (upgrade or downgrade to revision) on a database."""
    engine = create_engine(Settings(database_url=url))
    try:
        await migrate_to(engine, action, revision)
    finally:
        await engine.dispose()


async def _count(url: str, table: str) -> int:
    engine = create_engine(Settings(database_url=url))
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(text(f"SELECT count(*) FROM {table}")) or 0)  # noqa: S608
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    """Build the catalog, step it back to 0006 and time the upgrade to 0007."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    parser = argparse.ArgumentParser(prog="python -m bench.migrate_variants", description=__doc__)
    parser.add_argument("n", type=int, help="number of products")
    parser.add_argument("--dir", type=Path, required=True, help="where the files go")
    parser.add_argument("--url", help="database URL (default: a SQLite file in --dir)")
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    source = args.dir / f"products-{args.n}.jsonl"
    if not source.exists():
        write_products(source, args.n)
    url = args.url or f"sqlite+aiosqlite:///{args.dir / f'catalog-{args.n}.db'}"
    env = {**os.environ, "CATALOG_DATABASE_URL": url, "CATALOG_AUTO_MIGRATE": "true"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "catalog_api.cli", "migrate"], env=env, check=True)
    subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "catalog_api.cli", "import", str(source), "--on-conflict", "skip"],
        env=env,
        check=True,
    )
    logger.info("import of %d products: %.1f s", args.n, time.perf_counter() - started)
    asyncio.run(_alembic(url, command.downgrade, "0006"))
    started = time.perf_counter()
    asyncio.run(_alembic(url, command.upgrade, "0007"))
    seconds = time.perf_counter() - started
    variants = asyncio.run(_count(url, "product_variants"))
    logger.info("migration 0007: %.2f s for %d products (%d variants)", seconds, args.n, variants)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
