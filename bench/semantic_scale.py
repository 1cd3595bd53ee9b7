"""Semantic search at scale (issue 15): embedding time, vector sizes, index load, latency.

python -m bench.semantic_scale --database-url sqlite+aiosqlite:////path/catalog.db [--queries N]

On a catalog already filled (e.g. `catalog-api import` of bench.generate's 1M products):
embeds what is outdated as `catalog-api embed` does (timed), reports the stored vectors' bytes,
loads the API's vector index and builds and saves its graph (timed, with the process's memory
and the index's), starts again loading the saved graph (timed), then runs
the latency benchmark's queries through ProductService.search with mode=lexical, semantic and
hybrid (limit 20; one untimed pass, then two timed ones), and prints p50/p99 per mode.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bench.latency_queries import latency_queries
from bench.relevance_semantic import ready_vocabulary
from bench.util import median, percentile, setup_logging
from catalog_api.collector import enable_freezing, freeze_long_lived
from catalog_api.config import Settings
from catalog_api.db import create_engine, create_session_factory
from catalog_api.errors import InvalidInputError
from catalog_api.schemas import SearchMode
from catalog_api.search.vocabulary import VOCABULARIES
from catalog_api.semantic.availability import RUNTIMES
from catalog_api.semantic.cli import embed_all
from catalog_api.semantic.graph_file import GraphFile, graph_file_for
from catalog_api.semantic.runtime import SemanticRuntime
from catalog_api.services.products import ProductService, SearchQuery

log = logging.getLogger("bench")


def rss_mib() -> float:
    """Return this process's resident memory in MiB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _started(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine, graph_file: GraphFile | None
) -> tuple[SemanticRuntime, float]:
    """Start a runtime; return it once its index (and graph) is ready, and the seconds taken."""
    runtime = SemanticRuntime(sessions, graph_file=graph_file)
    RUNTIMES.register(engine, runtime)
    started = time.perf_counter()
    runtime.start()
    await runtime.settled()
    return runtime, time.perf_counter() - started


def _sizes(runtime: SemanticRuntime) -> str:
    rows = runtime.index.row_bytes()
    graph = runtime.index.graph_bytes()
    return f"index memory: rows {rows / 2**20:,.0f} MiB + graph {graph / 2**20:,.0f} MiB"


def _graph_files(graph_file: GraphFile) -> list[Path]:
    return list(graph_file.manifest.parent.glob(f"{graph_file.manifest.stem}-*.usearch"))


async def run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Measure; print the figures."""
    # As `catalog-api serve` does: what lives as long as the process is kept out of full
    # garbage collections, which would otherwise land in the timed searches.
    enable_freezing()
    settings = Settings(database_url=args.database_url)
    engine = create_engine(settings)
    sessions = create_session_factory(engine)
    lines: list[str] = []
    try:
        started = time.perf_counter()
        embedded, _ = await embed_all(sessions, 2_000)
        took = time.perf_counter() - started
        rate = embedded / took if embedded else 0.0
        lines.append(f"embedded {embedded:,} products in {took:.1f} s ({rate:,.0f}/s)")
        async with engine.connect() as connection:
            count, size = (
                await connection.execute(
                    text("SELECT count(*), sum(length(vector)) FROM product_embeddings")
                )
            ).one()
        lines.append(f"{count:,} vectors stored, {int(size or 0) / 2**20:,.0f} MiB of vector bytes")
        graph_file = graph_file_for(engine.url, args.graph_dir)
        before = rss_mib()
        runtime, seconds = await _started(sessions, engine, graph_file)
        lines.append(
            f"index of {len(runtime.index):,} loaded and its graph built "
            f"(graph: {runtime.index.uses_graph}) in {seconds:.1f} s; "
            f"process memory {before:,.0f} -> {rss_mib():,.0f} MiB; {_sizes(runtime)}"
        )
        if graph_file is not None:
            await runtime.stop()
            RUNTIMES.forget(engine)
            saved = sum(path.stat().st_size for path in _graph_files(graph_file))
            runtime, seconds = await _started(sessions, engine, graph_file)
            lines.append(
                f"restarted: index loaded and the saved graph ({saved / 2**20:,.0f} MiB file) "
                f"read in {seconds:.1f} s; process memory {rss_mib():,.0f} MiB"
            )
        await ready_vocabulary(engine)
        freeze_long_lived()
        queries = [q.text for q in latency_queries(args.products, 0)][: args.queries]
        for mode in SearchMode:
            ms: list[float] = []
            # Each pass runs every query once; the first pass warms the caches, as a
            # long-running API's are ("warm cache", as issue 11's targets are stated).
            for timed in [False] * args.warm_passes + [True] * args.passes:
                for query in queries:
                    began = time.perf_counter()
                    async with sessions() as session:
                        try:
                            await ProductService(session).search(SearchQuery(q=query, mode=mode))
                        except InvalidInputError:
                            continue
                    if timed:
                        ms.append((time.perf_counter() - began) * 1000)
            lines.append(
                f"{mode.value}: {len(ms)} searches ({args.warm_passes} warm-up pass(es) first), "
                f"limit 20, ms p50 {median(ms):.1f} "
                f"p99 {percentile(ms, 99):.1f} max {max(ms):.1f}"
            )
        await runtime.stop()
        RUNTIMES.forget(engine)
    finally:
        await VOCABULARIES.close(engine)
        await engine.dispose()
    lines.append("Command: " + shlex.join(["python", "-m", "bench.semantic_scale", *argv]))
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m bench.semantic_scale")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--products", type=int, default=1_000_000, help="for the query mix")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--warm-passes", type=int, default=1, help="untimed passes first")
    parser.add_argument("--passes", type=int, default=2, help="timed passes over the queries")
    parser.add_argument(
        "--graph-dir", type=Path, help="where the graph is saved (default: beside a SQLite file)"
    )
    args = parser.parse_args(argv)
    setup_logging()
    return asyncio.run(run(args, argv))


if __name__ == "__main__":
    sys.exit(main())
