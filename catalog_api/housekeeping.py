"""Background upkeep while the API runs: forgetting expired idempotency keys."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_api.services import ProductService

logger = logging.getLogger(__name__)

MAX_PURGE_INTERVAL = 600.0


async def purge_expired_keys(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Delete expired idempotency records once; return how many went."""
    async with sessions() as session:
        return await ProductService(session).purge_expired_keys()


async def purge_expired_keys_forever(
    sessions: async_sessionmaker[AsyncSession], ttl_seconds: float
) -> None:
    """Purge expired idempotency records every so often until cancelled."""
    interval = min(ttl_seconds, MAX_PURGE_INTERVAL)
    while True:
        await asyncio.sleep(interval)
        try:
            count = await purge_expired_keys(sessions)
        except SQLAlchemyError:
            # A busy or briefly unreachable database only delays the purge to the next round.
            logger.warning("could not purge expired idempotency keys", exc_info=True)
        else:
            if count:
                logger.info("forgot %d expired idempotency keys", count)
