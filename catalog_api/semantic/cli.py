"""`catalog-api embed`: compute the missing or outdated product vectors, resumably."""

from __future__ import annotations

import argparse
import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_api.semantic.availability import INSTALL, installed
from catalog_api.semantic.pgvector import build_index, drop_index_for_bulk, set_up
from catalog_api.semantic.repository import EmbeddingRepository

logger = logging.getLogger(__name__)


def add_embed_arguments(parser: argparse.ArgumentParser) -> None:
    """Describe the embed command's options."""
    parser.add_argument(
        "--batch", type=int, default=1_000, help="products per transaction (default 1000)"
    )


async def embed_all(sessions: async_sessionmaker[AsyncSession], batch: int) -> tuple[int, int]:
    """Embed every outdated product; return (texts embedded now, products with a vector).

    On PostgreSQL with pgvector available, sets up its column and index (idempotent).
    """
    from catalog_api.semantic.backfill import backfill, count_pending
    from catalog_api.semantic.embedder import embedder

    setup = await set_up(sessions)
    engine = sessions.kw["bind"]
    if setup is not None:
        await drop_index_for_bulk(engine, await count_pending(sessions))
    model = await asyncio.to_thread(embedder)
    embedded = await backfill(sessions, model, batch=batch)
    if setup is not None:
        await build_index(engine, setup)
        logger.info("%s: vectors are searched in PostgreSQL", setup.describe())
    async with sessions() as session:
        stored = await EmbeddingRepository(session).count()
    return embedded, stored


async def embed_if_on(sessions: async_sessionmaker[AsyncSession], wanted: bool | None) -> None:
    """After an import: embed the new products when semantic search is in use here."""
    if wanted is False or not installed():
        return
    if wanted is None:
        async with sessions() as session:
            if not await EmbeddingRepository(session).any_stored():
                return
    embedded, stored = await embed_all(sessions, 1_000)
    logger.info("embedded %d products; %d have vectors", embedded, stored)


def missing_extra() -> str | None:
    """Return why embed cannot run here, None when it can."""
    if installed():
        return None
    return f"catalog-api embed needs the semantic extra: {INSTALL}"
