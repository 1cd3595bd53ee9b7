"""Idempotency records: the first response to each (scope, key)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_api.models import IdempotencyRecord


class IdempotencyRepository:
    """Read, add and expire idempotency records inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        """Return the record of this key, expired or not."""
        return await self.session.get(IdempotencyRecord, (scope, key))

    async def add(self, record: IdempotencyRecord) -> None:
        """Add a record and flush it, so a concurrent holder of the key blocks or fails here."""
        self.session.add(record)
        await self.session.flush()

    async def remove(self, record: IdempotencyRecord) -> None:
        """Delete one record."""
        await self.session.delete(record)
        await self.session.flush()

    async def purge_expired(self, now: datetime) -> int:
        """Delete every record expired before now; return how many."""
        result = await self.session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.expires_at < now)
        )
        return int(getattr(result, "rowcount", 0) or 0)
