"""Health check of the service and its database."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_api import __version__
from catalog_api.schemas import Health


class HealthService:
    """Report liveness and database reachability."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def check(self) -> Health:
        """Run a trivial query and report the database in use."""
        await self.session.execute(text("SELECT 1"))
        name = self.session.bind.dialect.name if self.session.bind is not None else "unknown"
        return Health(status="ok", database=name, version=__version__)
