"""Background upkeep while the API runs: forgetting changes past the retention period."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_api.history.service import HistoryService

logger = logging.getLogger(__name__)

PURGE_INTERVAL = 3600.0


async def purge_history_forever(
    sessions: async_sessionmaker[AsyncSession], retention_days: float
) -> None:
    """Purge changes older than retention_days now and every hour until cancelled."""
    while True:
        try:
            async with sessions() as session:
                await HistoryService(session).purge(retention_days)
        except SQLAlchemyError:
            # A busy or briefly unreachable database only delays the purge to the next round.
            logger.warning("could not purge old changes", exc_info=True)
        await asyncio.sleep(PURGE_INTERVAL)
