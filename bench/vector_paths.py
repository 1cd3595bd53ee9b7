"""The vector side alone, pgvector's HNSW in SQL against the in-process index (issue 15).

python -m bench.vector_paths --database-url postgresql+asyncpg://... [--queries N]

On a PostgreSQL catalog whose vectors are stored with pgvector set up (e.g. after
`bench.relevance_hybrid --database-url ...`): embeds the relevance benchmark's queries, then
times the 100 nearest per query through the API's own functions: in SQL (unfiltered, and
with a status filter), and in the process's index (graph, as above 20,000 products); recall
at 100 of each against exact cosine. One query at a time; prints medians and p99s.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shlex
import sys
import time
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.relevance import chosen_queries
from bench.relevance_data import data_path, load_judgments
from bench.util import median, percentile, setup_logging
from catalog_api.config import Settings
from catalog_api.db import create_engine, create_session_factory
from catalog_api.models import ProductStatus
from catalog_api.repositories import ProductFilters, ProductRepository
from catalog_api.search.repository import Filter, SearchRepository
from catalog_api.semantic.embedder import MODEL_NAME, Vectors, embedder, from_bytes
from catalog_api.semantic.index import VectorIndex
from catalog_api.semantic.pgvector import PgVector, detect_engine
from catalog_api.semantic.pgvector_search import nearest_passing
from catalog_api.semantic.repository import EmbeddingRepository
from catalog_api.semantic.search import MAX_FILTERED_EXACT, MAX_VECTOR_CANDIDATES

log = logging.getLogger("bench")
K = 100
ACTIVE = ProductFilters(status=ProductStatus.ACTIVE)


async def _timed(
    queries: Sequence[Vectors], search: Callable[[Vectors], Awaitable[list[int]]]
) -> tuple[list[float], list[list[int]]]:
    ms, found = [], []
    for query in [queries[0], *queries]:
        began = time.perf_counter()
        found.append(await search(query))
        ms.append((time.perf_counter() - began) * 1000)
    return ms[1:], found[1:]  # the first warms up


def _recall(found: list[list[int]], exact: list[list[int]]) -> float:
    shares = [len(set(a) & set(b)) / len(b) for a, b in zip(found, exact, strict=True) if b]
    return sum(shares) / len(shares)


async def run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Measure; print the figures."""
    engine = create_engine(Settings(database_url=args.database_url))
    sessions = create_session_factory(engine)
    lines: list[str] = []
    try:
        setup = await detect_engine(engine)
        if setup is None:
            sys.stderr.write("pgvector is not set up in this database (`catalog-api embed`)\n")
            return 2
        judgments = load_judgments(data_path(args.data))
        texts = chosen_queries(judgments, "tune", args.queries)["tune"]
        model = embedder()
        queries = list(model.embed(texts))
        index = VectorIndex()
        after = 0
        while True:
            async with sessions() as session:
                rows = await EmbeddingRepository(session).vectors_after(after, 20_000, MODEL_NAME)
            if not rows:
                break
            index.upsert([pid for pid, _ in rows], from_bytes([blob for _, blob in rows]))
            after = rows[-1][0]
        began = time.perf_counter()
        index.build_graph(threads=2)
        lines.append(
            f"{len(index):,} vectors; in-process graph built in {time.perf_counter() - began:.1f} s"
        )
        exact = [[pid for pid, _ in index.nearest(q, K, exact=True)] for q in queries]

        def in_sql(filters: ProductFilters) -> Callable[[Vectors], Awaitable[list[int]]]:
            return lambda query: _sql(sessions, setup, filters, query)

        async def in_process(query: Vectors) -> list[int]:
            return [pid for pid, _ in index.nearest(query, K)]

        for name, search in [
            ("pgvector HNSW in SQL, no filter", in_sql(ProductFilters())),
            (
                "pgvector HNSW in SQL, status=active",
                in_sql(ProductFilters(status=ProductStatus.ACTIVE)),
            ),
            ("in-process usearch graph", in_process),
        ]:
            ms, found = await _timed(queries, search)
            lines.append(
                f"{name}: {len(ms)} queries, k={K}, ms p50 {median(ms):.2f} "
                f"p99 {percentile(ms, 99):.2f}; recall@{K} against exact "
                f"{_recall(found, exact):.3f}"
            )
    finally:
        await engine.dispose()
    lines.append(f"load average at the end: {os.getloadavg()[0]:.2f}")
    lines.append("Command: " + shlex.join(["python", "-m", "bench.vector_paths", *argv]))
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


async def _sql(
    sessions: async_sessionmaker[AsyncSession],
    setup: PgVector,
    filters: ProductFilters,
    query: Vectors,
) -> list[int]:
    """Return the 100 nearest through the API's SQL path, in a session of its own."""
    async with sessions() as session:
        products = ProductRepository(session)
        filtered: Filter | None = None
        if filters != ProductFilters():
            filtered = lambda stmt: products.filtered(stmt, filters)  # noqa: E731
        repository = SearchRepository(session, filtered)
        found = await nearest_passing(
            setup,
            repository,
            query,
            K,
            (),
            max_candidates=MAX_VECTOR_CANDIDATES,
            max_exact=MAX_FILTERED_EXACT,
        )
    return [pid for pid, _ in found]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m bench.vector_paths")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--data", help="train.csv.zip (default as bench.relevance)")
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args(argv)
    setup_logging()
    return asyncio.run(run(args, argv))


if __name__ == "__main__":
    sys.exit(main())
