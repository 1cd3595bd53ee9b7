"""Hybrid search through the real engine (issue 15): nDCG@10 against lexical, and latency.

python -m bench.relevance_hybrid [--half tune|check|all] [--queries N] [--workdir DIR]
    [--database-url URL] [--index auto|process]

Builds (or reuses) the relevance catalog in a SQLite file of its own (or the database given),
embeds its products as `catalog-api embed` does, starts the API's semantic runtime on it
(vector index and worker) and runs every query as GET /api/products/search with
mode=lexical, semantic and hybrid. --index process keeps the vectors in the process's index
where pgvector is set up (auto: in PostgreSQL, as the API does).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.relevance import chosen_queries
from bench.relevance_bm25 import reference_results
from bench.relevance_catalog import open_catalog
from bench.relevance_data import MissingDataError, data_path, load_judgments
from bench.relevance_semantic import REFERENCE, half_lines, ready_vocabulary
from bench.util import median, percentile, setup_logging
from catalog_api.schemas import SearchMode
from catalog_api.semantic.availability import RUNTIMES
from catalog_api.semantic.cli import embed_all
from catalog_api.semantic.pgvector import detect_engine
from catalog_api.semantic.runtime import SemanticRuntime

log = logging.getLogger("bench")


async def run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Measure the three modes on the chosen queries; print the tables."""
    judgments = load_judgments(data_path(args.data))
    chosen = chosen_queries(judgments, args.half, args.queries)
    queries = [query for picked in chosen.values() for query in picked]
    workdir = args.workdir or Path(tempfile.gettempdir()) / "catalog-hybrid"
    workdir.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'hybrid.db'}"
    catalog = await open_catalog(url, workdir, judgments, rebuild=False)
    lines: list[str] = []
    try:
        started = time.perf_counter()
        embedded, stored = await embed_all(catalog.sessions, 2_000)
        took = time.perf_counter() - started
        lines.append(f"Embedded {embedded:,} products in {took:.1f} s; {stored:,} have vectors.")
        setup = None if args.index == "process" else await detect_engine(catalog.engine)
        runtime = SemanticRuntime(catalog.sessions, pgvector=setup)
        RUNTIMES.register(catalog.engine, runtime)
        started = time.perf_counter()
        runtime.start()
        await runtime.settled()
        where = setup.describe() if setup else f"in process (graph: {runtime.index.uses_graph})"
        lines.append(f"Vectors searched {where}; ready in {time.perf_counter() - started:.1f} s.")
        await ready_vocabulary(catalog.engine)
        results: dict[SearchMode, dict[str, list[int]]] = {}
        for mode in SearchMode:
            kept: dict[str, list[int]] = {}
            ms = []
            for query in queries:
                answer = await catalog.search(query, mode=mode)
                kept[query] = answer.ids
                ms.append(answer.seconds * 1000)
            results[mode] = kept
            lines.append(
                f"{mode.value}: {len(queries):,} queries, 100 results each, ms per query "
                f"median {median(ms):.1f}, p99 {percentile(ms, 99):.1f}"
            )
        await runtime.stop()
        RUNTIMES.forget(catalog.engine)
    finally:
        await catalog.close()
    references = reference_results(workdir, judgments, queries, rebuild=False)
    systems = [
        ("catalog search, mode=lexical", results[SearchMode.LEXICAL]),
        (REFERENCE, references[REFERENCE]),
        ("catalog search, mode=semantic", results[SearchMode.SEMANTIC]),
        ("catalog search, mode=hybrid", results[SearchMode.HYBRID]),
    ]
    for half, picked in chosen.items():
        lines += half_lines(half, picked, systems, judgments)
    lines.append("Command: " + shlex.join(["python", "-m", "bench.relevance_hybrid", *argv]))
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; exit 2 when the data is missing."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m bench.relevance_hybrid")
    parser.add_argument("--half", choices=("tune", "check", "all"), default="tune")
    parser.add_argument("--data", help="train.csv.zip (default as bench.relevance)")
    parser.add_argument("--workdir", type=Path, help="default: <tmp>/catalog-hybrid")
    parser.add_argument("--queries", type=int, help="only the first N queries of each half")
    parser.add_argument("--database-url", help="default: a SQLite file in the workdir")
    parser.add_argument(
        "--index", choices=("auto", "process"), default="auto", help="where vectors are searched"
    )
    args = parser.parse_args(argv)
    setup_logging()
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    try:
        data_path(args.data)
    except MissingDataError as error:
        sys.stderr.write(f"{error}\n")
        return 2
    return asyncio.run(run(args, argv))


if __name__ == "__main__":
    sys.exit(main())
