"""SQLite planner statistics: without them a status filter picks the wrong index at any size.

SQLite assumes every index term is selective until ANALYZE has counted the rows: at 1M products
`status=active` sorted by date then reads 600,000 rows through the status index and sorts them
(1.1 s) instead of walking the date index (0.1 ms), and on a 300-product catalog a search with
`status=active` runs a full-text lookup per active product (21 ms) instead of reading the
index's matches (0.4 ms). Large catalogs are counted by ANALYZE; small ones get the statistics
of a large catalog written in by hand (as SQLite's query planner documentation allows), so
their plans are the ones measured at scale and do not change as the catalog grows.
PostgreSQL's autovacuum keeps its own.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from catalog_api.db import WRITE_OPTION

logger = logging.getLogger(__name__)

# Fewer products than this get assumed statistics; from this many ANALYZE counts them.
MIN_PRODUCTS = 1_000
# The assumed catalog: its size, and the products sharing one value of a column (else 1).
ASSUMED_ROWS = 1_000_000
ASSUMED_ROWS_PER_VALUE = {"status": 333_333, "currency": 500_000, "category": 1_000}
# Counted again when the table has grown or shrunk by this factor since.
STALE_FACTOR = 2.0


def _is_stale(counted_then: int, counted_now: int) -> bool:
    if counted_now < MIN_PRODUCTS:
        return False
    if counted_then == 0:
        return True
    ratio = counted_now / counted_then
    return ratio > STALE_FACTOR or ratio < 1 / STALE_FACTOR


async def _statistics(connection: AsyncConnection) -> dict[str, str]:
    """Return the products table's statistics by index (empty when never analysed)."""
    try:
        rows = await connection.execute(
            text("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'products' AND idx IS NOT NULL")
        )
    except OperationalError:  # no sqlite_stat1 table: never analysed
        return {}
    return {str(index): str(stat) for index, stat in rows}


async def _assumed_statistics(connection: AsyncConnection) -> dict[str, str]:
    """Return the statistics of a large catalog for each index of products."""
    assumed: dict[str, str] = {}
    for index in (await connection.execute(text("PRAGMA index_list(products)"))).all():
        name = str(index[1])
        columns = await connection.execute(text(f"PRAGMA index_info('{name}')"))
        per_value = [ASSUMED_ROWS]
        for column in columns.all():
            per_value.append(min(per_value[-1], ASSUMED_ROWS_PER_VALUE.get(str(column[2]), 1)))
        assumed[name] = " ".join(str(rows) for rows in per_value)
    return assumed


@asynccontextmanager
async def _writing(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """Open a connection whose transaction begins IMMEDIATE.

    A transaction that reads and then writes fails at once with "database is locked" when
    another process wrote in between (an API writing while an import ends); an IMMEDIATE one
    waits its turn on busy_timeout.
    """
    async with engine.connect() as connection:
        yield await connection.execution_options(**{WRITE_OPTION: True})


async def _write_statistics(connection: AsyncConnection, stats: dict[str, str]) -> None:
    await connection.execute(text("ANALYZE products"))  # creates sqlite_stat1 if missing
    await connection.execute(text("DELETE FROM sqlite_stat1 WHERE tbl = 'products'"))
    for index, stat in stats.items():
        await connection.execute(
            text("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('products', :idx, :stat)"),
            {"idx": index, "stat": stat},
        )


async def assume_statistics_when_small(engine: AsyncEngine) -> bool:
    """Give a small SQLite catalog a large one's statistics; say if they were written.

    Connections opened before keep the plans they had: the caller disposes of the pool.
    """
    if engine.dialect.name != "sqlite":
        return False
    async with engine.connect() as connection:
        counted = await connection.scalar(
            text("SELECT count(*) FROM (SELECT 1 FROM products LIMIT :most)"),
            {"most": MIN_PRODUCTS},
        )
        if int(counted or 0) >= MIN_PRODUCTS:
            return False
        assumed = await _assumed_statistics(connection)
        if await _statistics(connection) == assumed:
            return False
    async with _writing(engine) as connection:
        await _write_statistics(connection, assumed)
        await connection.commit()
    logger.info("planner statistics of a %d-product catalog assumed", ASSUMED_ROWS)
    return True


async def refresh_statistics(engine: AsyncEngine) -> bool:
    """Count a large SQLite catalog again when its statistics are missing or far off.

    A small one gets assumed statistics instead; say if anything was written.
    """
    if await assume_statistics_when_small(engine):
        return True
    if engine.dialect.name != "sqlite":
        return False
    async with engine.connect() as connection:
        counted_now = int(await connection.scalar(text("SELECT count(*) FROM products")) or 0)
        stat = next(iter((await _statistics(connection)).values()), "")
        counted_then = int(stat.split()[0]) if stat else 0
        if not _is_stale(counted_then, counted_now):
            return False
    async with _writing(engine) as connection:
        await connection.execute(text("ANALYZE products"))
        await connection.commit()
    logger.info("planner statistics of %d products refreshed", counted_now)
    return True


async def refresh_in_background(engine: AsyncEngine) -> None:
    """Refresh the statistics at start-up, logging (not raising) a failure."""
    try:
        await refresh_statistics(engine)
    except Exception:
        logger.exception("could not refresh the planner statistics")
