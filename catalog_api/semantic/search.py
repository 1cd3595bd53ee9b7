"""Search by meaning: the vector side, and its fusion with the lexical ranking (hybrid).

Hybrid is reciprocal rank fusion, k=60, of the lexical first 100 with the vector ranks of
every product in both lists by its cosine to the query: the best of the fusions measured on
the relevance benchmark (bench/RESULTS.md, issue 15), which gains little over words alone;
so lexical stays the default.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from catalog_api.search import engine as lexical_engine
from catalog_api.search.engine import SearchOutcome
from catalog_api.search.exact import sku_of
from catalog_api.search.query import ReadQuery, read_query
from catalog_api.search.ranking import Scored, rank
from catalog_api.search.repository import Filter, SearchRepository
from catalog_api.search.vocabulary import VOCABULARIES
from catalog_api.semantic.availability import RUNTIMES, unavailable

if TYPE_CHECKING:
    from catalog_api.semantic.embedder import Vectors
    from catalog_api.semantic.runtime import SemanticRuntime

VECTOR_RESULTS = 100
FUSION_K = 60.0
# With filters, the nearest are read in growing numbers until enough pass; at most this many.
MAX_VECTOR_CANDIDATES = 20_000
# Past that, when at most this many products pass the filters, their cosines are computed.
MAX_FILTERED_EXACT = 50_000


def runtime_of(session: AsyncSession, field: str) -> SemanticRuntime:
    """Return the semantic runtime of the session's database, or raise a 422 saying why not."""
    engine = session.bind
    runtime = RUNTIMES.get(engine) if isinstance(engine, AsyncEngine) else None
    if runtime is None:
        raise unavailable(field)
    return runtime


async def nearest_passing(
    runtime: SemanticRuntime,
    repository: SearchRepository,
    query: Vectors,
    want: int,
    exclude: Collection[int] = (),
) -> list[tuple[int, float]]:
    """Return up to want (id, cosine) of the nearest products that pass the filters."""
    if runtime.pgvector is not None:
        from catalog_api.semantic import pgvector_search

        return await pgvector_search.nearest_passing(
            runtime.pgvector,
            repository,
            query,
            want,
            exclude,
            max_candidates=MAX_VECTOR_CANDIDATES,
            max_exact=MAX_FILTERED_EXACT,
        )
    k = want + len(exclude)
    while True:
        found = runtime.index.nearest(query, k)
        ids = [product_id for product_id, _ in found if product_id not in exclude]
        passing = await repository.passing(ids)
        kept = [(product_id, cosine) for product_id, cosine in found if product_id in passing]
        kept = [(product_id, cosine) for product_id, cosine in kept if product_id not in exclude]
        if len(kept) >= want or len(found) < k:
            return kept[:want]
        if k >= MAX_VECTOR_CANDIDATES:
            return await _nearest_among_passing(runtime, repository, query, want, exclude, kept)
        k = min(k * 8, MAX_VECTOR_CANDIDATES)


async def vector_cosines(
    runtime: SemanticRuntime, session: AsyncSession, query: Vectors, ids: Sequence[int]
) -> dict[int, float]:
    """Return the cosine to query of those products that have a vector."""
    if runtime.pgvector is not None:
        from catalog_api.semantic import pgvector_search

        return await pgvector_search.cosines(session, runtime.pgvector, query, ids)
    return runtime.index.cosines(query, ids)


async def _nearest_among_passing(
    runtime: SemanticRuntime,
    repository: SearchRepository,
    query: Vectors,
    want: int,
    exclude: Collection[int],
    kept: list[tuple[int, float]],
) -> list[tuple[int, float]]:
    """Return the nearest of the products passing selective filters, by their own cosines."""
    passing = await repository.all_passing(MAX_FILTERED_EXACT + 1)
    if len(passing) > MAX_FILTERED_EXACT:
        return kept[:want]  # filters this broad pass enough of the nearest, but for few
    cosines = runtime.index.cosines(query, [p for p in passing if p not in exclude])
    return sorted(cosines.items(), key=lambda pair: (-pair[1], pair[0]))[:want]


async def _scored(
    repository: SearchRepository,
    read: ReadQuery,
    engine: AsyncEngine,
    scores: Sequence[tuple[int, float]],
    sort_key: ColumnElement[Any] | None,
    coverage: float | None,
) -> list[Scored]:
    """Return the products with the given scores, with the query words each holds."""
    pool = await repository.documents([product_id for product_id, _ in scores], sort_key)
    vocabulary = await VOCABULARIES.get(engine)
    lexical = {
        item.candidate.id: item for item in rank(pool, read.concepts, vocabulary, named=read.named)
    }
    by_id = {candidate.id: candidate for candidate in pool}
    ranked = []
    for product_id, score in scores:
        if product_id not in by_id:
            continue  # deleted since it was embedded
        words = lexical.get(product_id)
        ranked.append(
            Scored(
                by_id[product_id],
                score,
                coverage if coverage is not None else (words.coverage if words else 0.0),
                words.matched if words else frozenset(),
            )
        )
    ranked.sort(key=lambda item: (-item.score, item.candidate.id))
    return ranked


async def search_by_meaning(
    session: AsyncSession,
    words: str,
    filtered: Filter | None,
    sort_key: ColumnElement[Any] | None,
    *,
    hybrid: bool,
) -> SearchOutcome:
    """Rank by cosine to the query (semantic), or fuse that with the lexical ranking (hybrid)."""
    runtime = runtime_of(session, "mode")
    if hybrid and sku_of(words) is not None:
        # A SKU names one product: words alone, that product first.
        return await lexical_engine.search(session, words, filtered, sort_key)
    engine = session.bind
    assert isinstance(engine, AsyncEngine)
    repository = SearchRepository(session, filtered)
    query = await runtime.query_vector(words)
    nearest = await nearest_passing(runtime, repository, query, VECTOR_RESULTS)
    if not hybrid:
        vocabulary = await VOCABULARIES.get(engine)
        read = await read_query(words, vocabulary, repository.holds)
        ranked = await _scored(repository, read, engine, nearest, sort_key, coverage=1.0)
        return SearchOutcome(ranked, len(nearest) < VECTOR_RESULTS, read)
    lexical = await lexical_engine.search(session, words, filtered, sort_key)
    head = lexical.ranked[:VECTOR_RESULTS]
    both = list(dict.fromkeys([*(item.candidate.id for item in head), *(p for p, _ in nearest)]))
    cosines = await vector_cosines(runtime, session, query, both)
    vector_rank = {
        product_id: place
        for place, product_id in enumerate(sorted(cosines, key=lambda p: (-cosines[p], p)), 1)
    }
    lexical_rank = {item.candidate.id: place for place, item in enumerate(head, 1)}
    fused = {
        product_id: (1 / (FUSION_K + lexical_rank[product_id]) if product_id in lexical_rank else 0)
        + (1 / (FUSION_K + vector_rank[product_id]) if product_id in vector_rank else 0)
        for product_id in both
    }
    by_lexical = {item.candidate.id: item for item in head}
    ranked = [replace(by_lexical[p], score=fused[p]) for p in both if p in by_lexical]
    only_vector = [(p, fused[p]) for p in both if p not in by_lexical]
    ranked += await _scored(repository, lexical.read, engine, only_vector, sort_key, None)
    ranked.sort(key=lambda item: (-item.score, item.candidate.id))
    # The lexical results past the fused ones keep their order, scored below them.
    tail = [item for item in lexical.ranked[VECTOR_RESULTS:] if item.candidate.id not in fused]
    floor = ranked[-1].score if ranked else 1.0
    ranked += [
        replace(item, score=floor * (1 - (place / (len(tail) + 1))))
        for place, item in enumerate(tail, 1)
    ]
    return SearchOutcome(ranked, lexical.complete, lexical.read)
