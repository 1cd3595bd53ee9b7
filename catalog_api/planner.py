"""SQLite planner statistics: without them a status filter picks the wrong index at scale.

SQLite assumes every index term is selective until ANALYZE has counted the rows: at 1M products
`status=active` sorted by date then reads 600,000 rows through the status index and sorts them
(1.1 s) instead of walking the date index (0.1 ms). PostgreSQL's autovacuum keeps its own.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger(__name__)

# Fewer products than this plan well without statistics.
MIN_PRODUCTS = 1_000
# Counted again when the table has grown or shrunk by this factor since.
STALE_FACTOR = 2.0


def _is_stale(counted_then: int, counted_now: int) -> bool:
    if counted_now < MIN_PRODUCTS:
        return False
    if counted_then == 0:
        return True
    ratio = counted_now / counted_then
    return ratio > STALE_FACTOR or ratio < 1 / STALE_FACTOR


async def refresh_statistics(engine: AsyncEngine) -> bool:
    """Run ANALYZE on products when SQLite has no statistics or they are far off; say if it ran."""
    if engine.dialect.name != "sqlite":
        return False
    async with engine.connect() as connection:
        counted_now = int(await connection.scalar(text("SELECT count(*) FROM products")) or 0)
        try:
            stat = await connection.scalar(
                text("SELECT stat FROM sqlite_stat1 WHERE tbl = 'products' AND idx IS NOT NULL")
            )
        except OperationalError:  # no sqlite_stat1 table: never analysed
            stat = None
        counted_then = int(str(stat).split()[0]) if stat else 0
        if not _is_stale(counted_then, counted_now):
            return False
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
