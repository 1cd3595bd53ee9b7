"""A database's semantic search while the API runs: its vector index and embedding worker.

The worker loads the stored vectors, embeds what is outdated, then embeds the products this
process writes as their commits land (and every SWEEP_SECONDS whatever other processes
wrote). The model runs in a thread with no transaction open; each batch is written in a
short write transaction of its own.

Where pgvector is set up (PostgreSQL), the vectors are searched in SQL: this process holds
no index, and the worker only embeds (each write fills the pgvector column too).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from datetime import timedelta

import numpy as np
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_api.models import utcnow
from catalog_api.reloading import CLOSE_GRACE_SECONDS
from catalog_api.semantic.backfill import Written, backfill, embed_pending, pending_among
from catalog_api.semantic.embedder import (
    DIMENSIONS,
    MODEL_NAME,
    Embedder,
    Vectors,
    embedder,
    from_bytes,
)
from catalog_api.semantic.graph_file import GraphFile
from catalog_api.semantic.index import GRAPH_FROM, GRAPH_OPTIONS, VectorIndex, graph_available
from catalog_api.semantic.pgvector import PgVector, fill_column
from catalog_api.semantic.repository import EmbeddingRepository

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 300.0
_LOAD_CHUNK = 20_000
# Vectors other processes wrote are read back from this long before the last read.
_CLOCK_MARGIN = timedelta(seconds=30)
_RETRY_SECONDS = 5.0
# The graph is saved again after a sweep once this many changes (or 1% of it) were applied.
_SAVE_CHANGES = 1_000


class SemanticRuntime:
    """The vector index of one database and the worker keeping it in step."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        graph_from: int | None = None,
        graph_file: GraphFile | None = None,
        pgvector: PgVector | None = None,
    ) -> None:
        graph_from = GRAPH_FROM if graph_from is None else graph_from
        self.index = VectorIndex(graph_from=graph_from)
        self._graph_from = graph_from
        self._graph_file = graph_file
        self.pgvector = pgvector  # set: vectors are searched in PostgreSQL, index stays empty
        self._sessions = sessions
        self._model: Embedder | None = None
        self._changed: set[int] = set()
        self._deleted: set[int] = set()
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._read_since = utcnow()

    def start(self) -> None:
        """Start the worker."""
        # A fresh context: no request's deadline or query slot applies to it.
        self._task = asyncio.create_task(self._run(), context=contextvars.Context())

    async def stop(self) -> None:
        """Let the worker end its step (CLOSE_GRACE_SECONDS at most), then cancel it."""
        self._stopping = True
        self._wake.set()
        if self._task is None:
            return
        await asyncio.wait({self._task}, timeout=CLOSE_GRACE_SECONDS)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        if self.index.graph_changes:
            await self._save_graph()

    def changed(self, ids: set[int], deleted: set[int]) -> None:
        """Note products this process committed (written or deleted)."""
        self._changed |= ids - deleted
        self._deleted |= deleted
        self._idle.clear()
        self._wake.set()

    async def settled(self) -> None:
        """Wait until the worker has nothing left to do (wrap it in asyncio.timeout)."""
        await self._idle.wait()

    async def query_vector(self, text: str) -> Vectors:
        """Return a text's unit vector (the model is loaded at most once, off the loop)."""
        model = self._model
        if model is None:
            model = self._model = await asyncio.to_thread(embedder)
        vector: Vectors = model.embed([text])[0]
        return vector

    async def vector(self, session: AsyncSession, product_id: int) -> Vectors | None:
        """Return a product's vector, None when it has none yet."""
        if self.pgvector is not None:
            from catalog_api.semantic.pgvector_search import stored_vector

            return await stored_vector(session, product_id)
        return self.index.vector(product_id)

    async def _run(self) -> None:
        while not self._stopping:
            try:
                if self._model is None:
                    self._model = await asyncio.to_thread(embedder)
                await self._load()
                break
            except SQLAlchemyError:
                logger.warning("could not read the stored vectors; retrying", exc_info=True)
                await asyncio.sleep(_RETRY_SECONDS)
        swept: float | None = None
        while not self._stopping:
            try:
                if swept is None or time.monotonic() - swept >= SWEEP_SECONDS:
                    if swept is not None:  # the first follows the load: nothing to read back
                        await self._read_back()
                    await self._sweep()
                    swept = time.monotonic()
                    if self.index.graph_changes >= max(_SAVE_CHANGES, len(self.index) // 100):
                        await self._save_graph()
                await self._apply_changes()
            except SQLAlchemyError:
                logger.warning("embedding products failed; retrying", exc_info=True)
                await asyncio.sleep(_RETRY_SECONDS)
                continue
            except Exception:
                # Anything else is a bug; the worker must still keep later writes in step.
                logger.exception("embedding worker error; retrying")
                await asyncio.sleep(_RETRY_SECONDS)
                continue
            if not (self._changed or self._deleted):
                self._idle.set()
            self._wake.clear()
            if self._changed or self._deleted:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), SWEEP_SECONDS)

    async def _load(self) -> None:
        """Read every stored vector of the model into the index (pgvector: fill its column)."""
        started = time.monotonic()
        if self.pgvector is not None:
            await fill_column(self._sessions, self.pgvector)
            return
        self._read_since = utcnow()
        after = 0
        while not self._stopping:
            async with self._sessions() as session:
                rows = await EmbeddingRepository(session).vectors_after(
                    after, _LOAD_CHUNK, MODEL_NAME
                )
            if not rows:
                break
            self.index.upsert([pid for pid, _ in rows], from_bytes([blob for _, blob in rows]))
            after = rows[-1][0]
        logger.info(
            "vector index: %d products loaded in %.1f s",
            len(self.index),
            time.monotonic() - started,
        )
        await self._ready_graph()

    async def _ready_graph(self) -> None:
        """Load the saved graph and bring it up to date, or build and save one."""
        file = self._graph_file
        if file is not None and len(self.index) >= self._graph_from and graph_available():
            try:
                graph = await asyncio.to_thread(file.load, GRAPH_OPTIONS)
                if graph is not None and await asyncio.to_thread(self.index.adopt_graph, graph, 2):
                    return
            except Exception:
                # A saved graph is only a head start: whatever fails with it, build a new one.
                logger.exception(
                    "could not use the saved vector graph %s; building it again", file.manifest
                )
        if await asyncio.to_thread(self.index.build_graph, 2):
            await self._save_graph()

    async def _save_graph(self) -> None:
        """Save the graph for the next start, if this database's graph is saved."""
        file = self._graph_file
        if file is None:
            return
        started = time.monotonic()
        try:
            saved = await asyncio.to_thread(
                self.index.save_graph, lambda graph: file.save(graph, GRAPH_OPTIONS)
            )
        except (OSError, RuntimeError):
            logger.warning("could not save the vector graph to %s", file.manifest, exc_info=True)
            return
        if saved:
            logger.info(
                "vector graph saved to %s in %.1f s", file.manifest, time.monotonic() - started
            )

    async def _read_back(self) -> None:
        """Read the vectors other processes wrote since the last read."""
        if self.pgvector is not None:
            return  # they are in PostgreSQL's column already
        since = self._read_since - _CLOCK_MARGIN
        self._read_since = utcnow()
        after = 0
        while True:
            async with self._sessions() as session:
                rows = await EmbeddingRepository(session).vectors_after(
                    after, _LOAD_CHUNK, MODEL_NAME, since
                )
            if not rows:
                return
            after = rows[-1][0]
            # This process's own writes are held already: only other processes' are applied.
            fresh = [(pid, blob) for pid, blob in rows if not self.index.holds(pid, blob)]
            if fresh:
                vectors = from_bytes([blob for _, blob in fresh])
                await self._apply([pid for pid, _ in fresh], vectors, [])

    async def _sweep(self) -> None:
        """Embed every outdated product (all of them at first start)."""
        model = self._model
        if model is None:
            return
        pending: list[tuple[list[int], list[Vectors]]] = []

        def keep(written: Written) -> None:
            if written.ids and self.pgvector is None:
                pending.append((written.ids, written.vectors))

        await backfill(self._sessions, model, on_batch=keep, stopping=lambda: self._stopping)
        for ids, vectors in pending:
            await self._apply(ids, _stack(vectors), [])
        if self.pgvector is None and await asyncio.to_thread(self.index.build_graph, 1):
            await self._save_graph()

    async def _apply_changes(self) -> None:
        """Embed the products this process changed, and forget the deleted ones."""
        deleted, self._deleted = sorted(self._deleted), set()
        if deleted:
            await self._apply([], _stack([]), deleted)
        changed, self._changed = sorted(self._changed), set()
        model = self._model
        if not changed or model is None:
            return
        for start in range(0, len(changed), 1_000):
            batch = changed[start : start + 1_000]
            try:
                pending = await pending_among(self._sessions, batch)
                written = await embed_pending(self._sessions, model, pending)
            except BaseException:
                self._changed.update(changed[start:])  # tried again on the next round
                raise
            await self._apply(written.ids, _stack(written.vectors), [])

    async def _apply(self, ids: list[int], vectors: Vectors, removed: list[int]) -> None:
        if self.pgvector is not None:
            return
        self.index.remove(removed)
        if ids:
            self.index.upsert(ids, vectors)
        if self.index.uses_graph:
            await asyncio.to_thread(self.index.graph_update, ids, vectors, removed)


def _stack(vectors: list[Vectors]) -> Vectors:
    if not vectors:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return np.vstack(vectors).astype(np.float32)
