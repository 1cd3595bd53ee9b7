"""Reads and writes of api_keys."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_api.access.models import ApiKey
from catalog_api.models import utcnow


class ApiKeyRepository:
    """Keys by token digest and by name."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def active_by_digest(self, digest: str) -> ApiKey | None:
        """Return the unrevoked key whose token has this digest."""
        stmt = select(ApiKey).where(ApiKey.token_digest == digest, ApiKey.revoked_at.is_(None))
        return (await self.session.scalars(stmt)).first()

    async def any_active(self) -> bool:
        """Tell whether any key is in force."""
        stmt = select(ApiKey.id).where(ApiKey.revoked_at.is_(None)).limit(1)
        return (await self.session.scalar(stmt)) is not None

    async def all(self) -> Sequence[ApiKey]:
        """Return every key, revoked ones included, oldest first."""
        return (await self.session.scalars(select(ApiKey).order_by(ApiKey.id))).all()

    async def add(self, key: ApiKey) -> ApiKey:
        """Store a new key (the unique name index refuses a second active one)."""
        self.session.add(key)
        await self.session.flush()
        return key

    async def revoke(self, name: str) -> bool:
        """Revoke the active key with this name; tell whether there was one."""
        stmt = (
            update(ApiKey)
            .where(ApiKey.name == name, ApiKey.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        result = await self.session.execute(stmt)
        return bool(getattr(result, "rowcount", 0))
