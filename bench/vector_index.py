"""Vector index costs at scale: usearch HNSW against exact numpy, on clustered unit vectors.

python -m bench.vector_index --count 1000000 --dtype i8

The vectors are 256-d like wordllama's: random cluster centres with noise around them, made
unit length (pure random vectors are the worst case for a graph index; real title vectors
cluster). Reports the build time (2 threads), memory, saved size, one-thread k=100 query
latency and recall@100 against exact cosine.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger("bench")

DIMS = 256
K = 100


def clustered(count: int, clusters: int, seed: int) -> NDArray[np.float32]:
    """Return count unit vectors around `clusters` random centres."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, DIMS), dtype=np.float32)
    out = np.empty((count, DIMS), dtype=np.float32)
    step = 100_000
    for start in range(0, count, step):
        end = min(count, start + step)
        picks = rng.integers(0, clusters, end - start)
        noise = rng.standard_normal((end - start, DIMS), dtype=np.float32)
        block = centres[picks] + 0.8 * noise
        out[start:end] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def home_depot(path: str, queries: int) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Return wordllama vectors of the distinct titles and of the first distinct queries."""
    import csv
    import io
    import zipfile

    from catalog_api.semantic.embedder import embedder

    titles: dict[str, None] = {}
    terms: dict[str, None] = {}
    with zipfile.ZipFile(path) as archive, archive.open("train.csv") as raw:
        for row in csv.DictReader(io.TextIOWrapper(raw, encoding="latin-1")):
            titles[row["product_title"]] = None
            terms[row["search_term"]] = None
    model = embedder()
    started = time.perf_counter()
    vectors = model.embed(list(titles))
    took = time.perf_counter() - started
    log.info(f"embedded {len(titles):,} titles in {took:.1f} s ({len(titles) / took:,.0f}/s)")
    return vectors, model.embed(list(terms)[:queries])


def percentile(values: Sequence[float], share: float) -> float:
    """Return the nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: Sequence[str] | None = None) -> int:
    """Build the index and measure it."""
    parser = argparse.ArgumentParser(prog="python -m bench.vector_index")
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--dtype", default="i8", help="usearch dtype: f32, f16, i8")
    parser.add_argument("--connectivity", type=int, default=16)
    parser.add_argument("--expansion-add", type=int, default=64)
    parser.add_argument("--expansion-search", type=int, default=128)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--titles", help="train.csv.zip: real title and query vectors instead")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from usearch.index import Index

    started = time.perf_counter()
    if args.titles:
        vectors, queries = home_depot(args.titles, args.queries)
        args.count = len(vectors)
    else:
        vectors = clustered(args.count, max(10, args.count // 200), seed=1)
        queries = clustered(args.queries, max(10, args.count // 200), seed=2)
    log.info(f"made {args.count:,} vectors in {time.perf_counter() - started:.1f} s")
    index = Index(
        ndim=DIMS,
        metric="cos",
        dtype=args.dtype,
        connectivity=args.connectivity,
        expansion_add=args.expansion_add,
        expansion_search=args.expansion_search,
    )
    started = time.perf_counter()
    index.add(np.arange(args.count, dtype=np.uint64), vectors, threads=args.threads)
    build = time.perf_counter() - started
    log.info(f"usearch {args.dtype} build: {build:.1f} s ({args.count / build:,.0f} vectors/s)")
    log.info(f"usearch memory: {index.memory_usage / 2**20:,.0f} MiB")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "index.usearch")
        index.save(path)
        log.info(f"usearch saved: {os.path.getsize(path) / 2**20:,.0f} MiB")
    latencies = []
    found = []
    for query in queries:
        began = time.perf_counter()
        matches = index.search(query, K, threads=1)
        latencies.append((time.perf_counter() - began) * 1000)
        found.append({int(key) for key in matches.keys})
    log.info(
        f"usearch k={K} query ms p50 {percentile(latencies, 0.5):.2f} "
        f"p99 {percentile(latencies, 0.99):.2f} max {max(latencies):.2f}"
    )
    exact_ms = []
    recalls = []
    for query, got in list(zip(queries, found, strict=True))[:100]:
        began = time.perf_counter()
        scores = vectors @ query
        best = np.argpartition(-scores, K)[:K]
        exact_ms.append((time.perf_counter() - began) * 1000)
        recalls.append(len(got & {int(i) for i in best}) / K)
    log.info(
        f"numpy exact k={K} ms p50 {percentile(exact_ms, 0.5):.1f} "
        f"p99 {percentile(exact_ms, 0.99):.1f}; usearch recall@{K} "
        f"mean {float(np.mean(recalls)):.3f} min {min(recalls):.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
