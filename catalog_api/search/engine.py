"""Search: read the query, gather bounded candidate sets, rank them, and say how it was read."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from catalog_api.search.analyzer import display, tokens
from catalog_api.search.champions import CHAMPIONS
from catalog_api.search.exact import exact_first, sku_of
from catalog_api.search.feedback import with_feedback
from catalog_api.search.query import Concept, ReadQuery, read_query
from catalog_api.search.ranking import Scored, rank
from catalog_api.search.repository import Filter, Request, SearchRepository
from catalog_api.search.schemas import Correction, QueryInterpretation
from catalog_api.search.vocabulary import VOCABULARIES

logger = logging.getLogger(__name__)

# Products the all-words and the any-word index queries may return (the title-only ones
# half, the all-but-one ones a share); a search runs a fixed set of them, so its work is
# bounded whatever the catalog's size, and results beyond them are not reachable.
CANDIDATES = 500
# Queries of this many words also gather the products holding all words but one.
MOST_WORDS_FROM = 3
MOST_WORDS_UP_TO = 6
# The any-word query is ordered by the database's own rank when at most this many products
# hold its words (the ranking reads them all), else taken in index order.
RANK_BUDGET = 20_000
# Past this many matches an unfiltered rank-ordered query is answered from each word's best
# products (kept between queries, see champions.py) instead of ranking them all again; at
# most this many the database ranks them all, exactly, in a few milliseconds.
EXACT_RANK = 4_000
# With filters, this many of the words' best products are checked against them; when fewer
# than a request takes pass, the database ranks the filtered matches itself.
FILTERED_FROM_KEPT = 2_000
# The any-word query leaves out the commonest words once the rarer ones promise this many.
ANY_WORD_BUDGET = 20_000


@dataclass(frozen=True)
class SearchOutcome:
    """Ranked matches (best first), whether the set is complete, and how the query was read."""

    ranked: list[Scored]
    complete: bool
    read: ReadQuery


def _selective(concepts: Sequence[Concept]) -> tuple[list[Concept], bool]:
    """Return the rarest concepts whose matches fit the budget, and if all fit.

    At least one word as written is chosen: an alternative reading's frequency is its rarer
    half's, so 'off ice' looks rarer than 'office' while no product may hold the phrase.
    """
    chosen: list[Concept] = []
    total = 0
    for concept in sorted(concepts, key=lambda c: c.frequency):
        if any(c.written for c in chosen) and total + concept.frequency > ANY_WORD_BUDGET:
            return chosen, False
        chosen.append(concept)
        total += concept.frequency
    return chosen, True


def _requests(read: ReadQuery, *, known: bool) -> list[Request]:
    """Return the candidate queries of a read query: all words, most words, the rarer words.

    known: the word frequencies are known (the vocabulary is loaded); without them no query
    is ordered by rank, whose cost grows with the matches.
    """
    written = tuple(read.searched)
    chosen, _ = _selective(read.concepts) if known else (read.concepts, False)
    matches = sum(concept.frequency for concept in chosen)
    best_first = known and matches <= RANK_BUDGET
    requests: list[Request] = []
    if len(written) > 1:
        # Taken in index order, these are any products with every word; when the any-word
        # query is ordered by rank it brings the best of them, so fewer are taken here.
        every = CANDIDATES // 2 if best_first else CANDIDATES
        requests.append(Request(written, every=True, title_only=False, limit=every))
        requests.append(Request(written, every=True, title_only=True, limit=CANDIDATES // 2))
    if MOST_WORDS_FROM <= len(written) <= MOST_WORDS_UP_TO:
        # No product may hold every word: gather those missing just one of them.
        for left_out in written:
            rest = tuple(concept for concept in written if concept is not left_out)
            limit = CANDIDATES // len(written)
            requests.append(Request(rest, every=True, title_only=False, limit=limit))
    # With several words the all-words queries gather the best; the any-word ones gather less.
    limit = CANDIDATES if len(written) < MOST_WORDS_FROM else CANDIDATES // 2
    requests.append(
        Request(tuple(chosen), every=False, title_only=False, limit=limit, best_first=best_first)
    )
    requests.append(Request(tuple(chosen), every=False, title_only=True, limit=limit // 2))
    return requests


async def _gather(
    repository: SearchRepository, engine: AsyncEngine, requests: Sequence[Request]
) -> list[list[int]]:
    """Run the candidate requests; a large rank-ordered one reads its words' kept best."""
    from_kept: dict[int, list[int]] = {}
    for number, request in enumerate(requests):
        if request.best_first and sum(c.frequency for c in request.concepts) > EXACT_RANK:
            best = await _best_kept(repository, engine, request)
            if best is not None:
                from_kept[number] = best
    rest = [request for number, request in enumerate(requests) if number not in from_kept]
    found = iter(await repository.gather(rest) if rest else [])
    return [from_kept[n] if n in from_kept else next(found) for n in range(len(requests))]


async def _best_kept(
    repository: SearchRepository, engine: AsyncEngine, request: Request
) -> list[int] | None:
    """Return a rank-ordered request's products from the kept lists, or None to rank in SQL."""
    phrases = [concept.phrase for concept in request.concepts]
    apart = repository.best_apart(engine)
    if repository.filtered is None:
        return await CHAMPIONS.best(engine, phrases, request.limit, repository.best_of, apart)
    best = await CHAMPIONS.best(engine, phrases, FILTERED_FROM_KEPT, repository.best_of, apart)
    passing = await repository.passing(best)
    chosen = [product_id for product_id in best if product_id in passing][: request.limit]
    # Too few passed of a longer list: the filtered best may lie beyond it.
    return chosen if len(chosen) == request.limit or len(best) < FILTERED_FROM_KEPT else None


async def search(
    session: AsyncSession,
    words: str,
    filtered: Filter | None,
    sort_key: ColumnElement[Any] | None = None,
) -> SearchOutcome:
    """Find and rank the products for a query, within the candidate bounds.

    filtered adds the request's filters to a select over products; None when there are none.
    sort_key: what a sort other than relevance orders by, read for each candidate.
    """
    engine = session.bind
    if not isinstance(engine, AsyncEngine):
        raise TypeError("search needs a session bound to an AsyncEngine")
    vocabulary = await VOCABULARIES.get(engine)
    repository = SearchRepository(session, filtered)
    read = await read_query(words, vocabulary, repository.holds)
    sku = sku_of(words)
    by_sku = await repository.with_sku(sku) if sku is not None else []
    if not read.concepts and not by_sku:
        return SearchOutcome([], True, read)
    found: list[list[int]] = []
    complete = True
    if read.concepts:
        requests = _requests(read, known=vocabulary.loaded)
        found = await _gather(repository, engine, requests)
        complete = all(len(part) < rq.limit for part, rq in zip(found, requests, strict=True))
        complete = complete and (_selective(read.concepts)[1] or not vocabulary.loaded)
    ids = list(dict.fromkeys([*by_sku, *(product_id for part in found for product_id in part)]))
    pool = await repository.documents(ids, sort_key)
    ranked = rank(pool, read.concepts, vocabulary, named=read.named)
    ranked = with_feedback(ranked, read.concepts, vocabulary)
    scored = {item.candidate.id: item for item in ranked}
    exact = [scored[product_id] for product_id in by_sku if product_id in scored]
    return SearchOutcome(exact_first(ranked, exact, read), complete, read)


def _surface(term: str, titles: Sequence[str]) -> str:
    """Return a word of the titles whose index term is term, else the term itself."""
    for title in titles:
        for token in tokens(title):
            if token.term == term:
                return token.surface
    return term


def _reading(read: ReadQuery, written: str, chosen: str, held: set[str]) -> str:
    """Return how a corrected word was read: of its readings (the chosen suggestion first,
    then the close ones and other alternatives), the first whose terms the best result holds."""
    readings = [
        " ".join(concept.phrase)
        for concept in read.concepts
        if not concept.written and concept.covers == (written,)
    ]
    for reading in [chosen, *readings]:
        if all(term in held for term in reading.split()):
            return reading
    return chosen


def interpretation(outcome: SearchOutcome, titles: Sequence[str]) -> QueryInterpretation:
    """Describe how the query was read; titles (of the first results) spell corrected words."""
    read = outcome.read
    held: set[str] = set()
    if outcome.ranked and read.corrections:
        first = outcome.ranked[0].candidate
        held = {*first.title_terms.split(), *first.label_terms.split(), *first.body_terms.split()}
    corrected = [
        Correction(
            written=written,
            read_as=" ".join(
                _surface(term, titles) for term in _reading(read, written, read_as, held).split()
            ),
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
