"""List latency at N products on one warm worker: python -m bench.list_latency [--variants].

Builds or reuses the catalogs of bench.search_latency (same --workdir, --n, --seed and
--variants), serves each with one ``catalog-api serve``, and for every list request below
sends the first page once to warm up, then --repeat times, and the second page (its
next_cursor) as often. Prints p50/p99 per request and overall against issue 16's target:
list p99 under 100 ms at 1M products on PostgreSQL (SQLite is held to the same figure).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

from bench.generate import DEFAULT_SEED
from bench.latency_build import BuildSpec, Catalog, postgres_catalog, sqlite_catalog
from bench.search_latency import DEFAULT_DATABASE_URL, VARIANTS_DATABASE
from bench.util import (
    LOOPBACK,
    clean_env,
    command,
    free_port,
    median,
    percentile,
    serving,
    setup_logging,
)

log = logging.getLogger("bench")

TARGET_MS = 100.0
USD = {"currency": "USD"}
REQUESTS: list[dict[str, str]] = [
    {},
    {"status": "active"},
    {"status": "active", "in_stock": "true"},
    {"status": "active", "in_stock": "true", "sort": "title"},
    {"sort": "price", **USD},
    {"sort": "price", "min_price": "1000", **USD},
    {"sort": "price", "order": "desc", "max_price": "5000", **USD},
    {"in_stock": "false"},
    {"in_stock": "true", "sort": "price", **USD},
    {"in_stock": "true", "min_price": "90000", **USD},
]
VARIANT_REQUESTS: list[dict[str, str]] = [
    {"brand": "brand7"},
    {"option.size": "10"},
    {"option.size": "10", "option.colour": "c3", "in_stock": "true"},
    {"option.size": "10", "sort": "price", **USD},
    {"option.size": "10", "in_stock": "true", "sort": "price", **USD},
    {"option.size": "12", "max_price": "2000", **USD},
    {"option.size": "12", "sort": "price", **USD},
    {"attr.color": "blue"},
]


def _out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _name(params: dict[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items()) or "(no filter)"


def _time(client: httpx.Client, params: dict[str, str], repeat: int) -> tuple[list[float], str]:
    """Time the first page and the second; return the samples and a summary of the answer."""
    samples: list[float] = []
    first = client.get("/api/products", params={**params, "limit": "20"})
    first.raise_for_status()
    body = first.json()
    pages = [{**params, "limit": "20"}]
    if body["next_cursor"]:
        pages.append({**params, "limit": "20", "cursor": body["next_cursor"]})
    for page in pages:
        client.get("/api/products", params=page).raise_for_status()  # warm-up
        for _ in range(repeat):
            started = time.perf_counter()
            client.get("/api/products", params=page).raise_for_status()
            samples.append((time.perf_counter() - started) * 1000)
    exact = "" if body.get("total_is_exact", True) else "+"
    return samples, f"total {body['total']}{exact}, {len(pages)} pages timed"


def time_lists(
    client: httpx.Client,
    requests: list[dict[str, str]],
    repeat: int,
    report: Callable[[str], object] = log.info,
) -> list[float]:
    """Time every list request's first two pages repeat times each; return all samples (ms).

    report gets one line per request: its p50, p99 and answer.
    """
    everything: list[float] = []
    for params in requests:
        samples, summary = _time(client, params, repeat)
        everything += samples
        report(
            f"{_name(params):<58} p50 {median(samples):7.1f} ms  "
            f"p99 {percentile(samples, 99):7.1f} ms  {summary}"
        )
    return everything


def bench_catalog(catalog: Catalog, args: argparse.Namespace) -> bool:
    """Serve one catalog and time every list request; return whether p99 meets the target."""
    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    env = clean_env(args.workdir, CATALOG_DATABASE_URL=catalog.url)
    argv = [*command("catalog-api"), "serve", "--port", str(port)]
    logs = args.workdir / "logs" / f"serve-list-{catalog.engine}.log"
    requests = REQUESTS + (VARIANT_REQUESTS if args.variants else [])
    with (
        serving(argv, env, f"{url}/api/healthz", logs),
        httpx.Client(base_url=url, timeout=120) as client,
    ):
        everything = time_lists(
            client, requests, args.repeat, lambda line: _out(f"{catalog.engine} {line}")
        )
    p99 = percentile(everything, 99)
    passed = p99 < TARGET_MS
    _out(
        f"RESULT {catalog.engine} lists: {'PASS' if passed else 'FAIL'} (p50 "
        f"{median(everything):.1f} ms, p99 {p99:.1f} ms vs target < {TARGET_MS:.0f} ms, "
        f"{len(everything)} requests)"
    )
    return passed


def main(argv: Sequence[str] | None = None) -> int:
    """Build or reuse the catalogs and time the list requests; 1 when a target is missed."""
    parser = argparse.ArgumentParser(prog="python -m bench.list_latency", description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000, help="products (default 1000000)")
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "catalog-latency"
    )
    parser.add_argument("--repeat", type=int, default=10, help="timed requests per page")
    parser.add_argument("--database-url", help="PostgreSQL catalog (as bench.search_latency)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--variants", action="store_true", help="the catalog with variants")
    args = parser.parse_args(argv)
    setup_logging()
    args.workdir = args.workdir.resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    database_url = args.database_url or DEFAULT_DATABASE_URL
    if args.variants and args.database_url is None:
        database_url = DEFAULT_DATABASE_URL.replace("/latbench", f"/{VARIANTS_DATABASE}")
    spec = BuildSpec(args.n, args.seed, args.workdir, False, True, args.variants)
    _out(f"n: {args.n:,} products, variants: {args.variants}; load {os.getloadavg()}")
    passed = True
    for engine in ("sqlite", "postgresql"):
        if args.engine not in (engine, "both"):
            continue
        catalog = (
            sqlite_catalog(spec) if engine == "sqlite" else postgres_catalog(spec, database_url)
        )
        _out(f"{engine} catalog: {catalog.where} ({catalog.how})")
        passed = bench_catalog(catalog, args) and passed
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
