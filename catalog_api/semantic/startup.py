"""Turning semantic search on at start-up: the setting, the extra, the stored vectors."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from catalog_api.semantic import hooks as _hooks  # noqa: F401 - registers the commit hooks
from catalog_api.semantic.availability import EMBED, INSTALL, RUNTIMES, installed
from catalog_api.semantic.pgvector import PgVector, available_version, detect_engine
from catalog_api.semantic.repository import EmbeddingRepository

if TYPE_CHECKING:
    from catalog_api.semantic.runtime import SemanticRuntime

logger = logging.getLogger(__name__)


async def pgvector_version(engine: AsyncEngine) -> str | None:
    """Return the pgvector version this PostgreSQL offers, None when it has none (or SQLite)."""
    if engine.dialect.name != "postgresql":
        return None
    async with engine.connect() as connection:
        return await available_version(connection)


async def vector_path(engine: AsyncEngine) -> PgVector | None:
    """Return the pgvector set-up to search in, or None; log which path is used and why."""
    if engine.dialect.name != "postgresql":
        logger.info("vectors are searched in this process's index (SQLite)")
        return None
    setup = await detect_engine(engine)
    if setup is not None:
        logger.info(
            "%s: vectors are searched in PostgreSQL; this process holds no vector index",
            setup.describe(),
        )
        if not setup.indexed:
            logger.warning(
                "the HNSW index of product_embeddings is missing (an interrupted `%s`?): "
                "every semantic search scans all vectors until `%s` builds it",
                EMBED,
                EMBED,
            )
        return setup
    version = await pgvector_version(engine)
    if version is None:
        logger.info(
            "pgvector is not installed on this PostgreSQL: vectors are searched in this "
            "process's index. To search them in PostgreSQL, install pgvector on the server "
            "(e.g. the postgresql-NN-pgvector package), run `%s` and restart the API",
            EMBED,
        )
    else:
        logger.info(
            "pgvector %s is available on this PostgreSQL but not set up in this database: "
            "vectors are searched in this process's index. `%s` sets it up (CREATE EXTENSION "
            "needs a superuser, or a trusted extension); restart the API after it",
            version,
            EMBED,
        )
    return None


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
    setup = await vector_path(engines[0])
    from catalog_api.semantic.graph_file import graph_file_for
    from catalog_api.semantic.runtime import SemanticRuntime

    graph_file = None if setup is not None else graph_file_for(engines[0].url, graph_dir)
    runtime = SemanticRuntime(sessions, graph_file=graph_file, pgvector=setup)
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
