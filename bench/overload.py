"""Overload: many concurrent searches of the commonest words plus a writer and cheap reads.

python -m bench.overload --n 200000 [--seconds 30] [--searchers 50] [--skip-postgres]

Each database gets the N generated products (catalog-api import), then a real
`catalog-api serve` with its default settings. For --seconds, --searchers clients send
searches of the commonest words back to back (half ranked with the default page, half
`sort=created_at&limit=100`), one writer creates products one after another, and one cheap
reader alternates GET /api/categories and GET /api/products/{id}. Printed per database: the
statuses of each kind, whether every 503 carried Retry-After, and latency percentiles.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench import pg
from bench.generate import DEFAULT_SEED, write_products
from bench.queries import query_mix
from bench.util import (
    LOOPBACK,
    clean_env,
    command,
    free_port,
    percentile,
    run_logged,
    serving,
    setup_logging,
    sqlite_url,
)

log = logging.getLogger("bench")

BATCH_SIZE = 5000
# Stop words are indexed by FTS5 (on PostgreSQL they match nothing); the issue measured both.
STOP_WORDS = ("with", "a")
REFUSALS = frozenset({"overloaded", "query-timeout", "database-busy"})
WRITER_PAUSE = 0.05
CHEAP_PAUSE = 0.05
CLIENT_TIMEOUT = 120.0


@dataclass
class Tally:
    """What the clients saw, by kind of request (search, write, cheap)."""

    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    refusal_types: Counter[str] = field(default_factory=Counter)
    without_retry_after: Counter[str] = field(default_factory=Counter)
    transport_errors: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)

    def record(self, kind: str, response: httpx.Response, seconds: float) -> None:
        """Count one answer."""
        status = response.status_code
        self.statuses[kind, status] += 1
        self.latencies.setdefault(kind, []).append(seconds)
        if status == 503:
            kind_of_refusal = _problem_type(response)
            self.refusal_types[kind_of_refusal] += 1
            retry_after = response.headers.get("retry-after", "")
            if not retry_after.isdigit() or kind_of_refusal not in REFUSALS:
                self.without_retry_after[kind] += 1
        elif status >= 500 and len(self.samples) < 10:
            self.samples.append(f"{kind} {status} {response.text[:300]}")

    def merge(self, other: Tally) -> None:
        """Add another tally's counts and latencies to this one."""
        self.statuses.update(other.statuses)
        for kind, times in other.latencies.items():
            self.latencies.setdefault(kind, []).extend(times)
        self.refusal_types.update(other.refusal_types)
        self.without_retry_after.update(other.without_retry_after)
        self.transport_errors.update(other.transport_errors)
        self.samples.extend(other.samples)

    def count(self, predicate: Any) -> int:
        """Count answers whose status passes the predicate."""
        return sum(n for (_, status), n in self.statuses.items() if predicate(status))


def _problem_type(response: httpx.Response) -> str:
    try:
        return str(response.json().get("type", "")).rsplit("/", 1)[-1]
    except (ValueError, AttributeError):
        return "not-a-problem"


def search_params(words: Sequence[str]) -> list[dict[str, Any]]:
    """Return the searches to cycle through: each word ranked, and sorted with 100 rows."""
    params: list[dict[str, Any]] = []
    for word in words:
        params.append({"q": word})
        params.append({"q": word, "sort": "created_at", "limit": 100})
    return params


async def _timed(
    tally: Tally, kind: str, client: httpx.AsyncClient, method: str, url: str, **kw: Any
) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response = await client.request(method, url, **kw)
    except httpx.TransportError as error:
        tally.transport_errors[f"{kind} {type(error).__name__}"] += 1
        return None
    tally.record(kind, response, time.perf_counter() - started)
    return response


async def _searcher(
    client: httpx.AsyncClient, searches: list[dict[str, Any]], seed: int, tally: Tally, end: float
) -> None:
    rng = random.Random(seed)  # noqa: S311 - a load pattern, not a secret
    while time.monotonic() < end:
        params = rng.choice(searches)
        await _timed(tally, "search", client, "GET", "/api/products/search", params=params)


async def _writer(client: httpx.AsyncClient, tally: Tally, end: float) -> None:
    for n in range(10_000_000):
        if time.monotonic() >= end:
            return
        body = {
            "title": f"Overload writer product {n} {time.time_ns()}",
            "category": "overload",
            "price_minor": 1000 + n,
            "currency": "USD",
            "status": "active",
            "tags": ["overload"],
        }
        await _timed(tally, "write", client, "POST", "/api/products", json=body)
        await asyncio.sleep(WRITER_PAUSE)


async def _cheap_reader(client: httpx.AsyncClient, max_id: int, tally: Tally, end: float) -> None:
    rng = random.Random(1)  # noqa: S311 - a load pattern, not a secret
    while time.monotonic() < end:
        await _timed(tally, "categories", client, "GET", "/api/categories")
        await _timed(tally, "get", client, "GET", f"/api/products/{rng.randint(1, max_id)}")
        await asyncio.sleep(CHEAP_PAUSE)


def _client(base_url: str, connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(base_url=base_url, timeout=CLIENT_TIMEOUT, limits=limits)


async def _searchers(
    base_url: str, words: Sequence[str], searchers: int, end: float, tally: Tally
) -> None:
    searches = search_params(words)
    async with _client(base_url, searchers) as client:
        await asyncio.gather(
            *(_searcher(client, searches, seed, tally, end) for seed in range(searchers))
        )


def writer_and_reader(base_url: str, end: float, max_id: int) -> Tally:
    """Run the writer and the cheap reader until time.monotonic() reaches end; return the tally."""

    async def run() -> Tally:
        tally = Tally()
        async with _client(base_url, 4) as client:
            await asyncio.gather(
                _writer(client, tally, end), _cheap_reader(client, max_id, tally, end)
            )
        return tally

    return asyncio.run(run())


async def drive(
    base_url: str, *, words: Sequence[str], searchers: int, seconds: float, max_id: int
) -> tuple[Tally, float]:
    """Run the searchers, the writer and the cheap reader against base_url; return the tally.

    The writer and the cheap reader run in a process of their own, so that their latencies
    are the server's and not the wait for this process's busy event loop.
    """
    tally = Tally()
    context = multiprocessing.get_context("spawn")
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        # Start the child and import this module there before the clock starts.
        await loop.run_in_executor(pool, time.monotonic)
        await loop.run_in_executor(pool, Tally)
        started = time.monotonic()
        end = started + seconds  # CLOCK_MONOTONIC, the same in the child process
        cheap = loop.run_in_executor(pool, writer_and_reader, base_url, end, max_id)
        await _searchers(base_url, words, searchers, end, tally)
        tally.merge(await cheap)
    return tally, time.monotonic() - started


def summary(name: str, tally: Tally, elapsed: float) -> list[str]:
    """Return the lines that report one run."""
    lines = [f"== {name}: {elapsed:.1f} s"]
    for kind in ("search", "write", "categories", "get"):
        statuses = {s: n for (k, s), n in sorted(tally.statuses.items()) if k == kind}
        times = tally.latencies.get(kind, [])
        if not times:
            lines.append(f"{kind:<10} no answers")
            continue
        lines.append(
            f"{kind:<10} {len(times):6d} answers  statuses {statuses}  "
            f"p50 {percentile(times, 50) * 1000:.0f} ms  "
            f"p99 {percentile(times, 99) * 1000:.0f} ms  max {max(times) * 1000:.0f} ms"
        )
    refused = tally.count(lambda s: s == 503)
    lines.append(
        f"200/201: {tally.count(lambda s: s in (200, 201))}  503: {refused} "
        f"(types {dict(tally.refusal_types)}; without Retry-After or refusal type: "
        f"{sum(tally.without_retry_after.values())})  500: {tally.count(lambda s: s == 500)}  "
        f"other 5xx: {tally.count(lambda s: s >= 500 and s not in (500, 503))}  "
        f"transport errors: {dict(tally.transport_errors)}"
    )
    lines.extend(f"  sample: {sample}" for sample in tally.samples)
    return lines


def _server_log_problems(path: Path) -> str:
    text = path.read_text(errors="replace")
    tracebacks = text.count("Traceback (most recent call last)")
    locked = text.lower().count("database is locked")
    return f"server log: {tracebacks} tracebacks, {locked} 'database is locked' lines"


def _scenario(name: str, env: dict[str, str], workdir: Path, args: argparse.Namespace) -> None:
    env = {**env, **dict(setting.split("=", 1) for setting in args.set)}
    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    serve = [*command("catalog-api"), "serve", "--port", str(port)]
    server_log = workdir / f"api-{name}.log"
    words = [*STOP_WORDS, *args.words]
    with serving(serve, env, f"{url}/api/healthz", server_log):
        log.info("%s: %d searchers for %.0f s on %s", name, args.searchers, args.seconds, words)
        tally, elapsed = asyncio.run(
            drive(url, words=words, searchers=args.searchers, seconds=args.seconds, max_id=args.n)
        )
    settings = " ".join(args.set) or "default settings"
    lines = [*summary(f"{name}, {args.n:,} products, {settings}", tally, elapsed)]
    lines.append(_server_log_problems(server_log))
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


def _import(env: dict[str, str], jsonl: Path, log_path: Path, n: int) -> None:
    argv = [*command("catalog-api"), "import", str(jsonl), "--batch-size", str(BATCH_SIZE)]
    seconds = run_logged(argv, env, log_path, 300 + n / 100)
    log.info("imported %d products in %.0f s", n, seconds)


def main(argv: Sequence[str] | None = None) -> int:
    """Import N products into each database and run the overload scenario on each."""
    parser = argparse.ArgumentParser(prog="python -m bench.overload", description=__doc__)
    parser.add_argument("--n", type=int, default=200_000, help="products (default 200000)")
    parser.add_argument("--seconds", type=float, default=30, help="load duration (default 30)")
    parser.add_argument("--searchers", type=int, default=50, help="concurrent searchers (50)")
    parser.add_argument("--workdir", type=Path, help="work directory (default: new dir in /tmp)")
    parser.add_argument("--skip-sqlite", action="store_true", help="no SQLite run")
    parser.add_argument("--skip-postgres", action="store_true", help="no PostgreSQL run")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a server setting, e.g. CATALOG_QUERY_CONCURRENCY=1 (default: none, defaults)",
    )
    args = parser.parse_args(argv)
    setup_logging()
    workdir: Path = args.workdir or Path(tempfile.mkdtemp(prefix="catalog-overload-", dir="/tmp"))
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    args.words = [q.text for q in query_mix(DEFAULT_SEED) if q.kind == "common"]
    jsonl = workdir / f"products-{args.n}.jsonl"
    if not jsonl.exists():
        log.info("generating %d products", args.n)
        write_products(jsonl, args.n, DEFAULT_SEED)
    if not args.skip_sqlite:
        db = workdir / "overload.db"
        env = clean_env(workdir, CATALOG_DATABASE_URL=sqlite_url(db))
        if not db.exists():
            _import(env, jsonl, workdir / "import-sqlite.log", args.n)
        _scenario("sqlite", env, workdir, args)
    if not args.skip_postgres:
        name = pg.new_database_name()
        pg.create_database(name)
        try:
            env = clean_env(workdir, CATALOG_DATABASE_URL=pg.async_url(name))
            run_logged([*command("catalog-api"), "migrate"], env, workdir / "migrate.log", 120)
            _import(env, jsonl, workdir / "import-pg.log", args.n)
            pg.psql("ANALYZE products", name)
            _scenario("postgresql", env, workdir, args)
        finally:
            pg.drop_database(name)
    log.info("logs and data kept in %s", workdir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
