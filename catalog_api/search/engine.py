"""Search: read the query, gather bounded candidate sets, rank them, and say how it was read."""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from catalog_api.search.analyzer import display, tokens
from catalog_api.search.query import Concept, ReadQuery, read_query
from catalog_api.search.ranking import Scored, rank
from catalog_api.search.repository import Filter, Request, SearchRepository
from catalog_api.search.schemas import Correction, QueryInterpretation
from catalog_api.search.vocabulary import VOCABULARIES, Vocabulary

logger = logging.getLogger(__name__)

# Products the all-words and the any-word index queries may return (the title-only ones
# half, the all-but-one ones a share); a search runs a fixed set of them, so its work is
# bounded whatever the catalog's size, and results beyond them are not reachable.
CANDIDATES = 500
# Queries of this many words also gather the products holding all words but one.
MOST_WORDS_FROM = 3
MOST_WORDS_UP_TO = 6
# The any-word query is ordered by the database's own rank (which reads every match) when few
# hold its words, as many as its measured cost per product allows in RANK_MILLISECONDS (a
# product's rank costs about 1 us when the index is in memory, 6 us at 1M products on disk).
RANK_MILLISECONDS = 15.0
RANK_BUDGET_RANGE = (2_000, 20_000)
# The any-word query leaves out the commonest words once the rarer ones promise this many.
ANY_WORD_BUDGET = 20_000


@dataclass(frozen=True)
class SearchOutcome:
    """Ranked matches (best first), whether the set is complete, and how the query was read."""

    ranked: list[Scored]
    complete: bool
    read: ReadQuery
    vocabulary: Vocabulary


def _selective(concepts: Sequence[Concept]) -> tuple[list[Concept], bool]:
    """Return the rarest concepts whose matches fit the budget (at least one), and if all fit."""
    chosen: list[Concept] = []
    total = 0
    for concept in sorted(concepts, key=lambda c: c.frequency):
        if chosen and total + concept.frequency > ANY_WORD_BUDGET:
            return chosen, False
        chosen.append(concept)
        total += concept.frequency
    return chosen, True


class RankCost:
    """The measured cost of ranking one match, per database, and the budget it allows."""

    def __init__(self) -> None:
        self._micros: weakref.WeakKeyDictionary[AsyncEngine, float] = weakref.WeakKeyDictionary()

    def budget(self, engine: AsyncEngine) -> int:
        """Return how many matches a search may have the database rank."""
        low, high = RANK_BUDGET_RANGE
        micros = self._micros.get(engine, 2.0)
        return int(min(high, max(low, RANK_MILLISECONDS * 1000 / micros)))

    def observe(self, engine: AsyncEngine, seconds: float, matches: int) -> None:
        """Fold in a search that ranked about matches products in seconds (all its queries)."""
        if matches < 500:
            return
        micros = seconds * 1e6 / matches
        previous = self._micros.get(engine, micros)
        self._micros[engine] = 0.8 * previous + 0.2 * micros


RANK_COSTS = RankCost()


def _requests(read: ReadQuery, *, known: bool, rank_budget: int) -> list[Request]:
    """Return the candidate queries of a read query: all words, most words, the rarer words.

    known: the word frequencies are known (the vocabulary is loaded); without them no query
    is ordered by rank, whose cost grows with the matches.
    """
    written = tuple(read.searched)
    requests: list[Request] = []
    if len(written) > 1:
        requests.append(Request(written, every=True, title_only=False, limit=CANDIDATES))
        requests.append(Request(written, every=True, title_only=True, limit=CANDIDATES // 2))
    if MOST_WORDS_FROM <= len(written) <= MOST_WORDS_UP_TO:
        # No product may hold every word: gather those missing just one of them.
        for left_out in written:
            rest = tuple(concept for concept in written if concept is not left_out)
            limit = CANDIDATES // len(written)
            requests.append(Request(rest, every=True, title_only=False, limit=limit))
    chosen, _ = _selective(read.concepts) if known else (read.concepts, False)
    matches = sum(concept.frequency for concept in chosen)
    best_first = known and matches <= rank_budget
    # With several words the all-words queries gather the best; the any-word ones gather less.
    limit = CANDIDATES if len(written) < MOST_WORDS_FROM else CANDIDATES // 2
    requests.append(
        Request(tuple(chosen), every=False, title_only=False, limit=limit, best_first=best_first)
    )
    requests.append(Request(tuple(chosen), every=False, title_only=True, limit=limit // 2))
    return requests


async def search(
    session: AsyncSession, words: str, filtered: Filter | None, sort: str | None = None
) -> SearchOutcome:
    """Find and rank the products for a query, within the candidate bounds.

    filtered adds the request's filters to a select over products; None when there are none.
    """
    engine = session.bind
    if not isinstance(engine, AsyncEngine):
        raise TypeError("search needs a session bound to an AsyncEngine")
    vocabulary = await VOCABULARIES.get(engine)
    repository = SearchRepository(session, filtered)
    read = await read_query(words, vocabulary, repository.holds)
    if not read.concepts:
        return SearchOutcome([], True, read, vocabulary)
    requests = _requests(read, known=vocabulary.loaded, rank_budget=RANK_COSTS.budget(engine))
    started = time.perf_counter()
    found = await repository.gather(requests)
    ranked_matches = sum(
        concept.frequency
        for request in requests
        if request.best_first
        for concept in request.concepts
    )
    RANK_COSTS.observe(engine, time.perf_counter() - started, ranked_matches)
    ids = list(dict.fromkeys(product_id for part in found for product_id in part))
    pool = await repository.documents(ids, sort)
    complete = all(len(part) < rq.limit for part, rq in zip(found, requests, strict=True)) and (
        _selective(read.concepts)[1] or not vocabulary.loaded
    )
    ranked = rank(pool, read.concepts, vocabulary)
    return SearchOutcome(ranked, complete, read, vocabulary)


def _surface(term: str, titles: Sequence[str]) -> str:
    """Return a word of the titles whose index term is term, else the term itself."""
    for title in titles:
        for token in tokens(title):
            if token.term == term:
                return token.surface
    return term


def interpretation(outcome: SearchOutcome, titles: Sequence[str]) -> QueryInterpretation:
    """Describe how the query was read; titles (of the first results) spell corrected words."""
    read = outcome.read
    corrected = [
        Correction(
            written=written,
            read_as=" ".join(_surface(term, titles) for term in read_as.split()),
        )
        for written, read_as in read.corrections
    ]
    spelled = {c.written: c.read_as for c in corrected}
    searched = [spelled.get(c.written, display(c.written)) for c in read.searched]
    missing: list[str] = []
    if outcome.ranked:
        best = outcome.ranked[0].matched
        missing = [
            spelled.get(c.written, display(c.written))
            for c in read.searched
            if c.written not in best
        ]
    return QueryInterpretation(
        searched_for=searched,
        corrected=corrected,
        unknown=[display(word) for word in read.unmatched],
        ignored=read.ignored,
        missing=missing,
    )


def changed() -> None:
    """Note a write, so the vocabulary is read again before long."""
    VOCABULARIES.changed()


__all__: list[Any] = ["SearchOutcome", "changed", "interpretation", "search"]
