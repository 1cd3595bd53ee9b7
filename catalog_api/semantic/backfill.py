"""Embedding outdated products in batches: read, embed outside any transaction, write briefly."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_api.db import begin_write
from catalog_api.semantic.embedder import (
    MODEL_NAME,
    Embedder,
    Vectors,
    embedded_text,
    text_hash,
    to_bytes,
)
from catalog_api.semantic.repository import Computed, EmbeddingRepository, Pending

logger = logging.getLogger(__name__)

BATCH = 1_000


@dataclass
class Written:
    """Vectors a batch stored, to apply to an in-memory index."""

    ids: list[int] = field(default_factory=list)
    vectors: list[Vectors] = field(default_factory=list)
    embedded: int = 0  # texts the model ran on
    unchanged: int = 0  # products whose text was as embedded: only the version moved on


async def embed_pending(
    sessions: async_sessionmaker[AsyncSession], model: Embedder, pending: Sequence[Pending]
) -> Written:
    """Embed these products (the model runs in a thread, no transaction open) and store them."""
    hashes = {}
    texts = {}
    for item in pending:
        text = embedded_text(item.title, item.brand, item.tags, item.options)
        hashes[item.id] = text_hash(text)
        if hashes[item.id] != item.stored_hash:
            texts[item.id] = text
    vectors = await asyncio.to_thread(model.embed, list(texts.values()))
    by_id = dict(zip(texts, vectors, strict=True))
    computed = [
        Computed(
            item.id,
            item.version,
            hashes[item.id],
            to_bytes(by_id[item.id]) if item.id in by_id else None,
        )
        for item in pending
    ]
    async with sessions() as session:
        await begin_write(session)
        stored = await EmbeddingRepository(session).store(computed, MODEL_NAME)
        await session.commit()
    return Written(
        ids=stored,
        vectors=[by_id[product_id] for product_id in stored],
        embedded=len(texts),
        unchanged=len(pending) - len(texts),
    )


async def pending_after(
    sessions: async_sessionmaker[AsyncSession], after: int, limit: int
) -> list[Pending]:
    """Return the next outdated products above an id (a short read of its own)."""
    async with sessions() as session:
        return await EmbeddingRepository(session).pending_after(after, limit, MODEL_NAME)


async def pending_among(
    sessions: async_sessionmaker[AsyncSession], ids: Sequence[int]
) -> list[Pending]:
    """Return which of these products are outdated (a short read of its own)."""
    async with sessions() as session:
        return await EmbeddingRepository(session).pending_among(ids, MODEL_NAME)


async def count_pending(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Return how many products are outdated."""
    async with sessions() as session:
        return await EmbeddingRepository(session).count_pending(MODEL_NAME)


async def backfill(
    sessions: async_sessionmaker[AsyncSession],
    model: Embedder,
    *,
    batch: int = BATCH,
    on_batch: Callable[[Written], None] | None = None,
    stopping: Callable[[], bool] = lambda: False,
) -> int:
    """Embed every outdated product, in id order; return how many texts were embedded.

    Each batch commits on its own, so an interrupted run goes on where it stopped.
    """
    total = await count_pending(sessions)
    if total:
        logger.info("%d products to embed or check", total)
    started = time.monotonic()
    after = 0
    done = 0
    embedded = 0
    reported = started
    while not stopping():
        pending = await pending_after(sessions, after, batch)
        if not pending:
            break
        written = await embed_pending(sessions, model, pending)
        if on_batch is not None:
            on_batch(written)
        after = pending[-1].id
        done += len(pending)
        embedded += written.embedded
        now = time.monotonic()
        if now - reported >= 5 or done >= total:
            rate = done / max(now - started, 1e-9)
            logger.info("embedded %d of %d products (%.0f/s)", done, total, rate)
            reported = now
    return embedded
