"""Health check of the service and its database."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from catalog_api import __version__
from catalog_api.schemas import Health
from catalog_api.search.vocabulary import VOCABULARIES


class HealthService:
    """Report liveness and database reachability."""

    def __init__(self, session: AsyncSession, search_engine: AsyncEngine | None = None) -> None:
        self.session = session
        # Searches read from a replica when one is configured; its vocabulary is the one used.
        self.search_engine = search_engine

    async def check(self) -> Health:
        """Run a trivial query and report the database in use."""
        await self.session.execute(text("SELECT 1"))
        bind = self.session.bind
        name = bind.dialect.name if bind is not None else "unknown"
        engine = self.search_engine or bind
        ready = isinstance(engine, AsyncEngine) and VOCABULARIES.ready(engine)
        return Health(
            status="ok", database=name, version=__version__, search="ready" if ready else "warming"
        )
