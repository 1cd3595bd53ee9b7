"""Each term's best products (by the index's own rank), kept per database and reused.

Ordering a word's matches by rank reads every match (20 ms for a word in 17,000 of 1M
products on SQLite, more on PostgreSQL); the same word's best products serve every query that
holds it, so they are read once and kept: a bounded number of terms, dropped when this process
writes a searchable field. After MAX_AGE_SECONDS (other processes write too) they are read
again off the request, which the kept ones serve meanwhile: at 1M products that read took
80-115 ms of a request that otherwise takes 20-30.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import logging
import time
import weakref
from array import array
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncEngine

from catalog_api.reloading import CLOSE_GRACE_SECONDS, finish_or_cancel

logger = logging.getLogger(__name__)

# Products kept per term: ten times what a request takes, so a product good for two of the
# query's words but best for neither still adds up (1,000 cost 0.003 nDCG on the Home Depot
# tuning half, 5,000 nothing). At most TERMS x PER_TERM x 16 bytes: 80 MB.
PER_TERM = 5_000
TERMS = 1_024
MAX_AGE_SECONDS = 30.0

Phrase = tuple[str, ...]
# Reads a phrase's best products with their scores (higher is better), best first.
Reader = Callable[[Phrase, int], Awaitable[list[tuple[int, float]]]]


@dataclass(frozen=True)
class _Best:
    ids: array[int]
    scores: array[float]
    generation: int
    read_at: float


class ChampionCache:
    """The best products of recently searched terms, per database."""

    def __init__(self) -> None:
        self._terms: weakref.WeakKeyDictionary[AsyncEngine, OrderedDict[Phrase, _Best]] = (
            weakref.WeakKeyDictionary()
        )
        self._generation = 0
        self._refreshing: set[asyncio.Task[None]] = set()

    @property
    def generation(self) -> int:
        """Return how many committed writes of searchable fields this process has seen."""
        return self._generation

    def kept_terms(self) -> int:
        """Return how many terms' best products are kept, over every database."""
        return sum(len(kept) for kept in self._terms.values())

    def changed(self) -> None:
        """Note that a searchable field was written (and committed) in this process."""
        self._generation += 1

    async def best(
        self,
        engine: AsyncEngine,
        phrases: Sequence[Phrase],
        limit: int,
        read: Reader,
        reread: Reader | None = None,
    ) -> list[int]:
        """Return the limit products best for all phrases together (scores added), best first.

        read runs in the request; reread, which must not need the request, reads an aged
        list again in the background (without it an aged list is read again by read).
        """
        kept = self._terms.setdefault(engine, OrderedDict())
        totals: dict[int, float] = {}
        for phrase in dict.fromkeys(phrases):
            best = self._kept(kept, phrase, reread)
            if best is None:
                best = await self._read(kept, phrase, read)
            for product_id, score in zip(best.ids, best.scores, strict=True):
                totals[product_id] = totals.get(product_id, 0.0) + score
        return heapq.nsmallest(
            limit, totals, key=lambda product_id: (-totals[product_id], product_id)
        )

    async def settled(self) -> None:
        """Wait for the background reads under way."""
        while self._refreshing:
            await asyncio.gather(*self._refreshing)

    async def close(self, engine: AsyncEngine) -> None:
        """Forget the database's lists; let the reads under way end (or stop them)."""
        self._terms.pop(engine, None)
        for task in list(self._refreshing):
            await finish_or_cancel(task, CLOSE_GRACE_SECONDS)

    def _kept(
        self, kept: OrderedDict[Phrase, _Best], phrase: Phrase, reread: Reader | None
    ) -> _Best | None:
        best = kept.get(phrase)
        if best is None:
            return None
        if best.generation != self._generation:
            del kept[phrase]
            return None
        if time.monotonic() - best.read_at > MAX_AGE_SECONDS:
            if reread is None:
                del kept[phrase]
                return None
            # Marked fresh at once, so one background read runs per aged list.
            kept[phrase] = best = replace(best, read_at=time.monotonic())
            self._read_later(kept, phrase, reread)
        kept.move_to_end(phrase)
        return best

    async def _read(self, kept: OrderedDict[Phrase, _Best], phrase: Phrase, read: Reader) -> _Best:
        generation = self._generation
        found = await read(phrase, PER_TERM)
        best = _Best(
            array("q", (product_id for product_id, _ in found)),
            array("d", (score for _, score in found)),
            generation,
            time.monotonic(),
        )
        kept[phrase] = best
        while len(kept) > TERMS:
            kept.popitem(last=False)
        return best

    def _read_later(self, kept: OrderedDict[Phrase, _Best], phrase: Phrase, read: Reader) -> None:
        async def read_again() -> None:
            try:
                await self._read(kept, phrase, read)
            except Exception:
                logger.warning("reading the best of %s again failed; the kept list stays", phrase)
                logger.debug("the failed read", exc_info=True)

        # An empty context: the request's statement deadline and query slot stay with it.
        task = asyncio.get_running_loop().create_task(read_again(), context=contextvars.Context())
        self._refreshing.add(task)
        task.add_done_callback(self._refreshing.discard)


CHAMPIONS = ChampionCache()
