"""Values read from each database in the background, and read again when writes made them stale.

The search vocabulary and the query reader's filter values are both whole-catalog reads (a
second or more at 1M products): a request never waits for one longer than
FIRST_LOAD_WAIT_SECONDS, except on a small catalog, which is read again at once after a write.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

logger = logging.getLogger(__name__)

# A first read that takes longer than this finishes in the background; requests meanwhile
# go on without it.
FIRST_LOAD_WAIT_SECONDS = 2.0
# Read again when this process wrote since the last read (at least 20 read durations apart, so
# a big catalog is not read over and over), and every RELOAD_SECONDS whatever happened (other
# processes write too). A catalog this small is read again at once, the request waiting.
RELOAD_SECONDS = 300.0
INLINE_LOAD_PRODUCTS = 2_000
# How long closing waits for a read still running before cancelling it.
CLOSE_GRACE_SECONDS = 10.0

T = TypeVar("T")


async def finish_or_cancel(task: asyncio.Task[None], grace: float) -> None:
    """Wait up to grace seconds for a one-off database task to end, then cancel it.

    Cancelling does not stop a statement aiosqlite's thread is running: it would hand its
    result to an event loop closed meanwhile (a shutdown right after start-up) and die there.
    """
    await asyncio.wait({task}, timeout=grace)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@dataclass
class _Entry(Generic[T]):
    value: T | None = None
    loaded_at: float = 0.0
    load_seconds: float = 0.0
    generation: int = -1
    task: asyncio.Task[None] | None = None


class ReloadingCache(Generic[T]):
    """One value per database, read in the background and again when writes made it stale."""

    def __init__(
        self,
        name: str,
        load: Callable[[AsyncConnection], Awaitable[T]],
        empty: Callable[[], T],
        products: Callable[[T], int],
        loaded: Callable[[T, float], None] | None = None,
    ) -> None:
        self.name = name
        self._load_value = load
        self._empty = empty
        self._products = products  # how many products the value was read from
        self._loaded = loaded  # called with each value read and the seconds it took
        self._entries: weakref.WeakKeyDictionary[AsyncEngine, _Entry[T]] = (
            weakref.WeakKeyDictionary()
        )
        self._generation = 0

    def changed(self) -> None:
        """Note that products were written, so the value should be read again."""
        self._generation += 1

    def warm(self, engine: AsyncEngine) -> None:
        """Start reading the database's value now (at start-up), not at the first request."""
        entry = self._entries.setdefault(engine, _Entry())
        if entry.task is None and entry.value is None:
            self._start(engine, entry)

    async def close(self, engine: AsyncEngine) -> None:
        """Let a read still running for the database end (or stop it), and forget its value."""
        entry = self._entries.pop(engine, None)
        if entry is not None and entry.task is not None:
            await finish_or_cancel(entry.task, CLOSE_GRACE_SECONDS)

    def ready(self, engine: AsyncEngine) -> bool:
        """Tell whether the database's value has been read."""
        entry = self._entries.get(engine)
        return entry is not None and entry.value is not None

    async def get(self, engine: AsyncEngine) -> T:
        """Return the database's value, reading it first or refreshing it behind the scenes."""
        entry = self._entries.setdefault(engine, _Entry())
        # Twice: a read that began before a write may end stale, and a cheap one is redone.
        for _ in range(2):
            if entry.task is None and self._stale(entry):
                self._start(engine, entry)
            if entry.task is None:
                break
            if entry.value is None:
                try:
                    await asyncio.wait_for(asyncio.shield(entry.task), FIRST_LOAD_WAIT_SECONDS)
                except TimeoutError:
                    logger.info("%s still loading; going on without it meanwhile", self.name)
                    break
            elif self._products(entry.value) <= INLINE_LOAD_PRODUCTS:
                await asyncio.shield(entry.task)
            else:
                break
        return self._empty() if entry.value is None else entry.value

    def _start(self, engine: AsyncEngine, entry: _Entry[T]) -> None:
        # A fresh context: the read must not run under a request's deadline and query slot.
        entry.task = asyncio.create_task(self._load(engine, entry), context=contextvars.Context())

    def _stale(self, entry: _Entry[T]) -> bool:
        if entry.value is None:
            return True
        age = time.monotonic() - entry.loaded_at
        if age > RELOAD_SECONDS:
            return True
        cheap = self._products(entry.value) <= INLINE_LOAD_PRODUCTS
        return entry.generation != self._generation and (cheap or age > 20 * entry.load_seconds)

    async def _load(self, engine: AsyncEngine, entry: _Entry[T]) -> None:
        generation = self._generation
        started = time.monotonic()
        try:
            async with engine.connect() as connection:
                value = await self._load_value(connection)
        except Exception:
            logger.exception("could not read the %s", self.name)
            entry.loaded_at = time.monotonic()  # retried after the reload interval
        else:
            entry.value = value
            entry.loaded_at = time.monotonic()
            entry.load_seconds = entry.loaded_at - started
            entry.generation = generation
            if self._loaded is not None:
                self._loaded(value, entry.load_seconds)
        finally:
            entry.task = None
