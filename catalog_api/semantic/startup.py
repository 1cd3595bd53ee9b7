"""Turning semantic search on at start-up: the setting, the extra, the stored vectors."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from catalog_api.semantic import hooks as _hooks  # noqa: F401 - registers the commit hooks
from catalog_api.semantic.availability import EMBED, INSTALL, RUNTIMES, installed
from catalog_api.semantic.repository import EmbeddingRepository

if TYPE_CHECKING:
    from catalog_api.semantic.runtime import SemanticRuntime

logger = logging.getLogger(__name__)


async def pgvector_version(engine: AsyncEngine) -> str | None:
    """Return the pgvector version this PostgreSQL offers, None when it has none (or SQLite)."""
    if engine.dialect.name != "postgresql":
        return None
    async with engine.connect() as connection:
        found = await connection.scalar(
            text("SELECT default_version FROM pg_available_extensions WHERE name = 'vector'")
        )
    return None if found is None else str(found)


async def start_semantic(
    wanted: bool | None,
    engines: tuple[AsyncEngine, ...],
    sessions: async_sessionmaker[AsyncSession],
    *,
    graph_dir: Path | None = None,
) -> SemanticRuntime | None:
    """Start semantic search when wanted (None: when the extra is there and vectors are stored).

    engines: the primary first, then any read replica; they share one index.
    """
    if wanted is False:
        return None
    if not installed():
        if wanted:
            logger.warning(
                "CATALOG_SEMANTIC=true but the semantic extra is not installed (%s): "
                "lexical search only",
                INSTALL,
            )
        return None
    if wanted is None:
        async with sessions() as session:
            stored = await EmbeddingRepository(session).any_stored()
        if not stored:
            logger.info("semantic search off: no product embedded yet (`%s` turns it on)", EMBED)
            return None
    version = await pgvector_version(engines[0])
    if engines[0].dialect.name == "postgresql":
        logger.info(
            "pgvector %s; vectors are searched in this process's index either way "
            "(bench/RESULTS.md, issue 15)",
            f"{version} is available" if version else "is not available on this PostgreSQL",
        )
    from catalog_api.semantic.graph_file import graph_file_for
    from catalog_api.semantic.runtime import SemanticRuntime

    runtime = SemanticRuntime(sessions, graph_file=graph_file_for(engines[0].url, graph_dir))
    for engine in engines:
        RUNTIMES.register(engine, runtime)
    runtime.start()
    logger.info("semantic search on: embedding worker started")
    return runtime


async def stop_semantic(runtime: SemanticRuntime | None, engines: tuple[AsyncEngine, ...]) -> None:
    """Stop the worker and forget the index."""
    if runtime is None:
        return
    for engine in engines:
        RUNTIMES.forget(engine)
    await runtime.stop()
