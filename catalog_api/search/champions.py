"""Each term's best products (by the index's own rank), kept per database and reused.

Ordering a word's matches by rank reads every match (20 ms for a word in 17,000 of 1M
products on SQLite, more on PostgreSQL); the same word's best products serve every query that
holds it, so they are read once and kept: a bounded number of terms, dropped when this process
writes a searchable field and after MAX_AGE_SECONDS (other processes write too).
"""

from __future__ import annotations

import heapq
import time
import weakref
from array import array
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

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
        self, engine: AsyncEngine, phrases: Sequence[Phrase], limit: int, read: Reader
    ) -> list[int]:
        """Return the limit products best for all phrases together (scores added), best first."""
        kept = self._terms.setdefault(engine, OrderedDict())
        totals: dict[int, float] = {}
        for phrase in dict.fromkeys(phrases):
            best = self._fresh(kept, phrase)
            if best is None:
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
            for product_id, score in zip(best.ids, best.scores, strict=True):
                totals[product_id] = totals.get(product_id, 0.0) + score
        return heapq.nsmallest(
            limit, totals, key=lambda product_id: (-totals[product_id], product_id)
        )

    def _fresh(self, kept: OrderedDict[Phrase, _Best], phrase: Phrase) -> _Best | None:
        best = kept.get(phrase)
        if best is None:
            return None
        if best.generation != self._generation or time.monotonic() - best.read_at > MAX_AGE_SECONDS:
            del kept[phrase]
            return None
        kept.move_to_end(phrase)
        return best


CHAMPIONS = ChampionCache()
