"""Mixed load on a real uvicorn: 90 % reads, 10 % writes; no 5xx and no 'database is locked'."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import re
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from bench.util import percentile
from tests.conftest import admin_execute
from tests.processes import clean_env, command, free_port, run_cli, running, sqlite_url

logger = logging.getLogger(__name__)

DURATION = 30.0
WORKERS = 48
SQLITE_BUSY_TIMEOUT_MS = 2000
PG_ENV = "CATALOG_TEST_DATABASE_URL"
LOCKED = "database is locked"
SERVER_ERROR = re.compile(r'HTTP/1\.1" 5\d\d ')
REFUSAL_LINE = re.compile(r'"GET /api/products(/search)?\?[^"]*" 503 ')
WORDS = ("dog", "compact", "pocket", "book", "travel", "wireless", "desk", "garden", "camping")
CATEGORIES = ("pets", "books", "garden", "kitchen", "sports", "home", "electronics", "toys")
# Share of each operation; reads (get, list, search) add up to 90 %, writes to 10 %.
MIX = {"get": 0.45, "list": 0.225, "search": 0.225, "create": 0.05, "patch": 0.05}
EXPECTED = {"get": {200}, "list": {200}, "search": {200}, "create": {201}, "patch": {200}}
# Acceptable under races but counted and reported: a slug taken by a concurrent create, or
# a product changed by a concurrent PATCH between its read and its versioned update.
TOLERATED = {"create": {409}, "patch": {409}}
# Searches and lists past the server's admission limit are refused with 503 and Retry-After
# (tests/test_overload.py): a refusal, never a failure. On 2 shared CPUs this load is past
# that limit at times (the refusals are logged); some of each must still be served.
REFUSABLE = {"list", "search"}


@dataclass
class Tally:
    """What the clients saw."""

    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    transport_errors: Counter[str] = field(default_factory=Counter)
    locked: list[str] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)
    refused_without_retry_after: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Target:
    """A prepared, seeded database and the server environment to serve it."""

    name: str
    env: dict[str, str]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    """A fresh database with the demo catalog: a SQLite file, or a new PostgreSQL database."""
    extra = {"CATALOG_WRITE_RATE_PER_MINUTE": "0", "CATALOG_SHUTDOWN_GRACE_SECONDS": "5"}
    log = tmp_path / "prepare.log"
    if request.param == "sqlite":
        # The server's own writers queue in process and never wait on SQLite's busy handler,
        # so a busy timeout well below the default 10 s must not matter; before that queue,
        # writers starved there and a 30 s run at 48 clients already failed with it.
        env = clean_env(
            tmp_path,
            CATALOG_DATABASE_URL=sqlite_url(tmp_path / "load.db"),
            CATALOG_SQLITE_BUSY_TIMEOUT_MS=str(SQLITE_BUSY_TIMEOUT_MS),
            **extra,
        )
        run_cli(env, log, "seed", "--demo")
        yield Target("sqlite", env)
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set; PostgreSQL tests skipped")
    name = f"catalog_load_{uuid.uuid4().hex[:10]}"
    admin_execute(base, f'CREATE DATABASE "{name}"')
    try:
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
        env = clean_env(tmp_path, CATALOG_DATABASE_URL=url, **extra)
        run_cli(env, log, "migrate")
        run_cli(env, log, "seed", "--demo")
        yield Target("postgresql", env)
    finally:
        admin_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _product_ids(client: httpx.AsyncClient) -> list[int]:
    """Page through the whole catalog and return the ids of products without options.

    The load patches product-level stock and price, which a product with options refuses
    (each of its variants has its own).
    """
    ids: list[int] = []
    cursor: str | None = None
    for _ in range(100):
        params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/products", params=params)).json()
        ids += [item["id"] for item in page["items"] if not item["options"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    return ids


async def _send(
    client: httpx.AsyncClient, op: str, rng: random.Random, ids: list[int], label: str
) -> httpx.Response:
    """Send one request of the given kind."""
    if op == "get":
        return await client.get(f"/api/products/{rng.choice(ids)}")
    if op == "list":
        params: dict[str, Any] = rng.choice(
            [
                {"limit": 20},
                {"category": rng.choice(CATEGORIES), "limit": 10},
                {"sort": "price", "order": "asc", "status": "active", "currency": "USD"},
            ]
        )
        return await client.get("/api/products", params=params)
    if op == "search":
        return await client.get("/api/products/search", params={"q": rng.choice(WORDS)})
    if op == "create":
        body = {
            "title": f"Load {rng.choice(WORDS)} {label}",
            "category": rng.choice(CATEGORIES),
            "price_minor": rng.randrange(100, 100_000),
            "currency": "USD",
            "status": "active",
            "tags": ["load", rng.choice(WORDS)],
        }
        return await client.post("/api/products", json=body)
    change = rng.choice(
        [{"stock_quantity": rng.randrange(500)}, {"price_minor": rng.randrange(1, 9999)}]
    )
    return await client.patch(f"/api/products/{rng.choice(ids)}", json=change)


async def _worker(
    base: str, worker: int, seed: int, ids: list[int], tally: Tally, deadline: float
) -> None:
    """Send a random mix of requests until the deadline."""
    rng = random.Random(seed + worker)
    ops, weights = list(MIX), list(MIX.values())
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for n in range(10_000_000):
            if time.monotonic() >= deadline:
                return
            op = rng.choices(ops, weights)[0]
            started = time.perf_counter()
            try:
                response = await _send(client, op, rng, ids, f"{worker}-{n}")
            except httpx.TransportError as error:
                tally.transport_errors[f"{op} {type(error).__name__}"] += 1
                continue
            tally.latencies.setdefault(op, []).append(time.perf_counter() - started)
            status = response.status_code
            tally.statuses[op, status] += 1
            if status == 503 and op in REFUSABLE:
                tally.refused[op] += 1
                if not response.headers.get("retry-after", "").isdigit():
                    tally.refused_without_retry_after.append(f"{op} {response.text[:200]}")
                continue
            if LOCKED.encode() in response.content.lower():
                tally.locked.append(f"{op} {status} {response.text[:200]}")
            if status not in EXPECTED[op] and len(tally.unexpected) < 20:
                tally.unexpected.append(f"{op} {status} {response.text[:300]}")
            if op == "create" and status == 201:
                ids.append(response.json()["id"])


def _report(target: str, tally: Tally, seconds: float) -> None:
    """Log the throughput, and per operation the status histogram and latency percentiles."""
    total = sum(tally.statuses.values())
    logger.info(
        "load %s: %d requests in %.1f s = %.0f req/s from %d clients; transport errors %s",
        target,
        total,
        seconds,
        total / seconds,
        WORKERS,
        dict(tally.transport_errors),
    )
    for op, times in sorted(tally.latencies.items()):
        statuses = {status: n for (name, status), n in sorted(tally.statuses.items()) if name == op}
        logger.info(
            "load %s: %-6s %5d requests, statuses %s, mean %.0f ms, p50 %.0f ms, p99 %.0f ms, "
            "max %.0f ms",
            target,
            op,
            len(times),
            statuses,
            sum(times) / len(times) * 1000,
            percentile(times, 50) * 1000,
            percentile(times, 99) * 1000,
            max(times) * 1000,
        )


async def test_mixed_load_has_no_5xx_and_no_lock_errors(target: Target, tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [*command("catalog-api"), "serve", "--port", str(port)]
    log = tmp_path / "api.log"
    seed = random.randrange(2**32)
    tally = Tally()
    with running(argv, target.env, f"{base}/api/healthz", log):
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            ids = await _product_ids(client)
        assert len(ids) >= 290
        started = time.monotonic()
        deadline = started + DURATION
        await asyncio.gather(
            *(_worker(base, w, seed, ids, tally, deadline) for w in range(WORKERS))
        )
        elapsed = time.monotonic() - started
    logger.info("load %s: random seed %d", target.name, seed)
    _report(target.name, tally, elapsed)

    server_log = log.read_text(errors="replace").splitlines()
    locked_lines = [line for line in server_log if LOCKED in line.lower()]
    server_5xx_lines = [
        line for line in server_log if SERVER_ERROR.search(line) and not REFUSAL_LINE.search(line)
    ]
    tracebacks = [line for line in server_log if line.startswith("Traceback")]
    answered_5xx = {
        key: n
        for key, n in tally.statuses.items()
        if key[1] >= 500 and not (key[1] == 503 and key[0] in REFUSABLE)
    }
    if tally.refused:
        logger.warning("load %s: refused with 503 %s", target.name, dict(tally.refused))
    assert not tally.refused_without_retry_after, tally.refused_without_retry_after[:5]
    for op in REFUSABLE:
        assert tally.statuses[op, 200] > 0, (op, tally.refused[op])
    tolerated = {key: n for key, n in tally.statuses.items() if key[1] in TOLERATED.get(key[0], ())}
    if tolerated:
        logger.warning("load %s: tolerated conflicts %s", target.name, tolerated)
    assert not tally.locked, tally.locked[:5]
    assert not locked_lines, locked_lines[:5]
    assert not answered_5xx, f"5xx answers {answered_5xx}: {tally.unexpected[:5]}"
    assert not server_5xx_lines, server_5xx_lines[:5]
    assert not tracebacks, "\n".join(server_log[-60:])
    assert not tally.transport_errors, dict(tally.transport_errors)
    surprises = {
        key: n
        for key, n in tally.statuses.items()
        if key[1] not in EXPECTED[key[0]] | TOLERATED.get(key[0], set())
        and not (key[1] == 503 and key[0] in REFUSABLE)
    }
    assert not surprises, f"unexpected statuses {surprises}: {tally.unexpected[:5]}"
    assert sum(n for (op, _), n in tally.statuses.items() if op in {"create", "patch"}) > 0
