"""Search relevance on the Home Depot judgments: the catalog's own search against BM25.

python -m bench.relevance [--half tune|check|all] [--data PATH] [--database-url URL]
    [--queries N] [--per-query FILE] [--workdir DIR] [--rebuild] [--show-worst] [--interpret]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import shlex
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.relevance_bm25 import reference_results
from bench.relevance_catalog import CatalogAnswer, open_catalog
from bench.relevance_data import Half, Judgments, MissingDataError, data_path, half_of
from bench.relevance_data import load_judgments as read_judgments
from bench.util import median, percentile, setup_logging

log = logging.getLogger("bench")

CUTOFF = 10
HALVES: tuple[Half, ...] = ("tune", "check")
HALF_TITLES = {
    "tune": "Tuning half (crc32(query) even): tune on these",
    "check": "Check half (crc32(query) odd): never tune on these",
}
TARGET_RATIO = 1.10
TARGET_ZERO_RATE = 0.01
WORST_SHOWN = 15


def ndcg_at_10(ranked: Sequence[int], judged: Mapping[int, float]) -> float | None:
    """Return nDCG@10 of the condensed list (unjudged results dropped), gain = relevance - 1.

    None when no judged product has a gain, so the query cannot be scored.
    """
    ideal_dcg = ideal_dcg_at_10(judged)
    if ideal_dcg == 0:
        return None
    gains = [judged[product] - 1 for product in ranked if product in judged][:CUTOFF]
    return _dcg(gains) / ideal_dcg


def ideal_dcg_at_10(judged: Mapping[int, float]) -> float:
    """Return the DCG@10 of a query's judged products in the best order."""
    return _dcg(sorted((relevance - 1 for relevance in judged.values()), reverse=True)[:CUTOFF])


def _dcg(gains: Sequence[float]) -> float:
    return sum(gain / math.log2(rank + 2) for rank, gain in enumerate(gains))


def has_word(query: str) -> bool:
    """Tell whether a query has a letter or digit, i.e. counts for the zero-result rate."""
    return any(ch.isalnum() for ch in query)


@dataclass
class SystemScore:
    """One system's figures over one half."""

    name: str
    ndcg: list[float] = field(default_factory=list)
    worded: int = 0
    zero: int = 0

    def add(self, query: str, ranked: Sequence[int], judged: Mapping[int, float]) -> None:
        """Count one query's answer."""
        score = ndcg_at_10(ranked, judged)
        if score is not None:
            self.ndcg.append(score)
        if has_word(query):
            self.worded += 1
            self.zero += not ranked

    @property
    def mean_ndcg(self) -> float:
        """Return the mean nDCG@10 over the scored queries (0 when none)."""
        return sum(self.ndcg) / len(self.ndcg) if self.ndcg else 0.0

    @property
    def zero_rate(self) -> float:
        """Return the share of worded queries that found nothing."""
        return self.zero / self.worded if self.worded else 0.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.relevance",
        description="nDCG@10 and zero-result rate of the catalog search on the Home Depot "
        "relevance judgments, next to bm25s references over the same titles.",
    )
    parser.add_argument("--half", choices=("tune", "check", "all"), default="all")
    parser.add_argument(
        "--data",
        help="train.csv.zip or train.csv (default: $CATALOG_RELEVANCE_DATA, else "
        "bench/data/train.csv.zip)",
    )
    parser.add_argument(
        "--database-url",
        help="catalog database URL, SQLite or PostgreSQL (default: a SQLite file kept in "
        "the workdir); it gets the migrations and the products",
    )
    parser.add_argument("--queries", type=int, help="only the first N queries of each half run")
    parser.add_argument("--per-query", type=Path, help="write one JSON line per query here")
    parser.add_argument(
        "--workdir",
        type=Path,
        help="where the SQLite catalog is kept (default: <tmp>/catalog-relevance)",
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="build the catalog and the references again"
    )
    parser.add_argument(
        "--interpret",
        action="store_true",
        help="search as with interpret=true: filters read from the words (offline reader)",
    )
    parser.add_argument(
        "--show-worst",
        action="store_true",
        help=f"list the {WORST_SHOWN} worst tuning-half queries",
    )
    args = parser.parse_args(argv)
    if args.queries is not None and args.queries < 1:
        parser.error("--queries must be at least 1")
    return args


def chosen_queries(judgments: Judgments, half: str, limit: int | None) -> dict[Half, list[str]]:
    """Return the queries of each half run, in file order, the first `limit` of each."""
    halves = [name for name in HALVES if half in (name, "all")]
    chosen: dict[Half, list[str]] = {name: [] for name in halves}
    for query in judgments.queries:
        picked = chosen.get(half_of(query))
        if picked is not None and (limit is None or len(picked) < limit):
            picked.append(query)
    return chosen


async def run(args: argparse.Namespace, judgments: Judgments, argv: Sequence[str]) -> int:
    """Search every chosen query with the catalog and the references; print the tables."""
    started = time.perf_counter()
    chosen = chosen_queries(judgments, args.half, args.queries)
    queries = [query for picked in chosen.values() for query in picked]
    workdir = args.workdir or Path(tempfile.gettempdir()) / "catalog-relevance"
    workdir.mkdir(parents=True, exist_ok=True)
    catalog = await open_catalog(args.database_url, workdir, judgments, rebuild=args.rebuild)
    try:
        log.info("searching %d queries in the catalog (%s)", len(queries), catalog.dialect)
        search_started = time.perf_counter()
        answers: dict[str, CatalogAnswer] = {}
        for done, query in enumerate(queries, 1):
            answers[query] = await catalog.search(query, interpret=args.interpret)
            if done % 2000 == 0:
                log.info("%d of %d queries searched", done, len(queries))
        search_seconds = time.perf_counter() - search_started
    finally:
        await catalog.close()
    reference_started = time.perf_counter()
    references = reference_results(workdir, judgments, queries, rebuild=args.rebuild)
    reference_seconds = time.perf_counter() - reference_started

    catalog_name = f"catalog search on {catalog.dialect}"
    if args.interpret:
        catalog_name += ", interpret=true"
    lines: list[str] = []
    for half, picked in chosen.items():
        scores = [SystemScore(catalog_name)] + [SystemScore(name) for name in references]
        for query in picked:
            judged = judgments.relevance[query]
            scores[0].add(query, answers[query].ids, judged)
            for score in scores[1:]:
                score.add(query, references[score.name][query], judged)
        lines += half_table(half, picked, scores, judgments)
    if args.interpret:
        lines += interpreted_lines(answers)
    if args.show_worst and "tune" in chosen:
        lines += worst_queries(chosen["tune"], answers, judgments)
    if args.per_query:
        write_per_query(args.per_query, chosen, answers, references["bm25s stemmed"], judgments)
        lines.append(f"Per-query lines: {args.per_query}")
    lines += timing_lines(
        answers, catalog.build_seconds, search_seconds, reference_seconds, started
    )
    lines.append("Command: " + shlex.join(["python", "-m", "bench.relevance", *argv]))
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    return 0


def interpreted_lines(answers: Mapping[str, CatalogAnswer]) -> list[str]:
    """Say how many queries had filters read, and show a few."""
    read = {
        query: reading["filters"]
        for query, answer in answers.items()
        if (reading := (answer.extra.get("interpretation") or {}).get("reading"))
        and reading["filters"]
    }
    lines = ["", f"interpret=true: filters read from {len(read)} of {len(answers)} queries"]
    for query, filters in list(read.items())[:WORST_SHOWN]:
        shown = ", ".join(f"{f['parameter']}={f['value']} ({f['written']})" for f in filters)
        lines.append(f"- `{query}`: {shown}")
    return lines


def half_table(
    half: Half, picked: Sequence[str], scores: Sequence[SystemScore], judgments: Judgments
) -> list[str]:
    """Return the markdown table of one half."""
    unscored = sum(1 for query in picked if ideal_dcg_at_10(judgments.relevance[query]) == 0)
    reference = next(score for score in scores if score.name == "bm25s stemmed")
    lines = [
        "",
        f"## {HALF_TITLES[half]}",
        "",
        f"{len(picked):,} queries; {unscored:,} left out of nDCG (no judged product above "
        "relevance 1, so the ideal DCG is 0).",
        "",
        "| system | queries scored | nDCG@10 | zero-result rate | nDCG / stemmed BM25 |",
        "|---|---|---|---|---|",
    ]
    for score in scores:
        ratio = score.mean_ndcg / reference.mean_ndcg if reference.mean_ndcg else 0.0
        lines.append(
            f"| {score.name} | {len(score.ndcg):,} | {score.mean_ndcg:.3f} | "
            f"{score.zero_rate:.1%} ({score.zero:,} of {score.worded:,}) | {ratio:.2f}x |"
        )
    if half == "tune":
        catalog = scores[0]
        ratio = catalog.mean_ndcg / reference.mean_ndcg if reference.mean_ndcg else 0.0
        met = ratio >= TARGET_RATIO and catalog.zero_rate < TARGET_ZERO_RATE
        lines += [
            "",
            f"Target (issue 11): nDCG >= {TARGET_RATIO:.2f}x stemmed BM25 and zero-result rate "
            f"< {TARGET_ZERO_RATE:.0%}: {'met' if met else 'not met'} ({ratio:.2f}x, "
            f"{catalog.zero_rate:.1%}).",
        ]
    return lines


def worst_queries(
    picked: Sequence[str], answers: Mapping[str, CatalogAnswer], judgments: Judgments
) -> list[str]:
    """Return the tuning-half queries scoring 0 that lose most, with what they found."""
    losers = []
    for query in picked:
        judged = judgments.relevance[query]
        if ndcg_at_10(answers[query].ids, judged) == 0:
            losers.append((-ideal_dcg_at_10(judged), query))
    lines = [
        "",
        f"## Worst tuning-half queries ({len(losers):,} score 0; the {WORST_SHOWN} with most "
        "to gain)",
        "",
        "| query | results (total) | best judged title (relevance) | first result |",
        "|---|---|---|---|",
    ]
    for _, query in sorted(losers)[:WORST_SHOWN]:
        answer = answers[query]
        best = max(judgments.relevance[query].items(), key=lambda item: item[1])
        first = judgments.titles.get(answer.ids[0], "?") if answer.ids else "-"
        lines.append(
            f"| {query} | {len(answer.ids)} ({answer.total:,}) | "
            f"{judgments.titles[best[0]]} ({best[1]:g}) | {first} |"
        )
    return lines


def write_per_query(
    path: Path,
    chosen: Mapping[Half, Sequence[str]],
    answers: Mapping[str, CatalogAnswer],
    reference: Mapping[str, Sequence[int]],
    judgments: Judgments,
) -> None:
    """Write one JSON line per query: its score, results and the search's extra fields."""
    with path.open("w", encoding="utf-8") as out:
        for half, picked in chosen.items():
            for query in picked:
                judged = judgments.relevance[query]
                answer = answers[query]
                record: dict[str, Any] = {
                    "query": query,
                    "half": half,
                    "ndcg": ndcg_at_10(answer.ids, judged),
                    "bm25_stemmed_ndcg": ndcg_at_10(reference[query], judged),
                    "results": len(answer.ids),
                    "total": answer.total,
                    "judged": len(judged),
                    "found": [
                        [place, pid, judged[pid]]
                        for place, pid in enumerate(answer.ids, 1)
                        if pid in judged
                    ],
                    "top10": [
                        {"id": pid, "relevance": judged.get(pid), "title": judgments.titles[pid]}
                        for pid in answer.ids[:CUTOFF]
                    ],
                    "extra": answer.extra,
                }
                if answer.no_words:
                    record["no_words"] = True
                if answer.refused:
                    record["refused"] = answer.refused
                out.write(json.dumps(record, ensure_ascii=False) + "\n")


def timing_lines(
    answers: Mapping[str, CatalogAnswer],
    build_seconds: float | None,
    search_seconds: float,
    reference_seconds: float,
    started: float,
) -> list[str]:
    """Return the run time, split into its stages, and the search latency."""
    latencies = [answer.seconds * 1000 for answer in answers.values()] or [0.0]
    refused = sum(1 for answer in answers.values() if answer.refused)
    build = "kept" if build_seconds is None else f"built in {build_seconds:.1f} s"
    lines = [
        "",
        f"Run time: {time.perf_counter() - started:.1f} s (catalog {build}; catalog search "
        f"{search_seconds:.1f} s for {len(answers):,} queries, p50 {median(latencies):.1f} ms, "
        f"p99 {percentile(latencies, 99):.1f} ms per query; bm25s references "
        f"{reference_seconds:.1f} s, their results kept in the workdir).",
    ]
    if refused:
        lines.append(f"{refused} searches were refused (statement deadline) and count as empty.")
    return lines


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
    log.info("reading %s", path)
    judgments = read_judgments(path)
    return asyncio.run(run(args, judgments, argv))


if __name__ == "__main__":
    sys.exit(main())
