"""An asyncpg pool beside the engine's, for point reads that need no SQLAlchemy."""

from __future__ import annotations

from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncEngine

InterfaceError = asyncpg.InterfaceError

# Options SQLAlchemy's asyncpg dialect reads from the URL that asyncpg itself does not take.
_DIALECT_ONLY = ("prepared_statement_cache_size", "prepared_statement_name_func", "async_fallback")

# A connection the server (restart, failover, pg_terminate_backend) or the network dropped.
# asyncpg reports a termination that arrived while the connection sat idle in the pool as
# an InternalClientError ("cannot switch to state ...") at its next statement.
CONNECTION_LOST = (
    asyncpg.AdminShutdownError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.ConnectionFailureError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
)


async def _keep_session(_connection: Any) -> None:
    """Leave the session as it is on release: its only statements are single reads."""
    # asyncpg's default reset (RESET ALL, UNLISTEN *, ...) costs a round trip per request;
    # the pool still rolls back any open transaction before calling this.


async def open_pool(engine: AsyncEngine, size: int) -> Any:
    """Open a pool of up to size connections to the engine's PostgreSQL database.

    asyncpg prepares each statement once per connection and reuses it (its statement
    cache), so a point read is one Bind/Execute round trip. Connections open on demand.
    """
    _, params = engine.dialect.create_connect_args(engine.url)
    for name in _DIALECT_ONLY:
        params.pop(name, None)
    return await asyncpg.create_pool(min_size=0, max_size=size, reset=_keep_session, **params)
