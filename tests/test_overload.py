"""Overload is a quick 503 with Retry-After, never a 500 or a 30 s stall (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench.generate import write_products
from bench.overload import REFUSALS, drive, summary
from bench.util import percentile
from catalog_api.app import create_app
from catalog_api.config import Settings
from catalog_api.errors import PROBLEM_BASE
from catalog_mcp.client import CatalogAPIError, CatalogClient
from tests.conftest import PG_ENV, admin_execute, asgi_client
from tests.processes import clean_env, command, free_port, run_cli, running, sqlite_url

logger = logging.getLogger(__name__)

N_PRODUCTS = 20_000
COMMON = "gift"  # in about a fifth of the generated products
# Generous bounds that prove "not stalled": the failures they catch took 10 to 30 s.
NOT_STALLED = 5.0


@dataclass(frozen=True)
class Seeded:
    """A database holding N_PRODUCTS generated products."""

    name: str
    url: str
    sqlite_path: Path | None
    workdir: Path


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seeded]:
    """A database with the generated products, imported by `catalog-api import`."""
    workdir = tmp_path_factory.mktemp(f"overload-{request.param}")
    jsonl = workdir / "products.jsonl"
    log = workdir / "prepare.log"
    if request.param == "sqlite":
        path = workdir / "catalog.db"
        url = sqlite_url(path)
        write_products(jsonl, N_PRODUCTS)
        run_cli(clean_env(workdir, CATALOG_DATABASE_URL=url), log, "import", str(jsonl))
        yield Seeded("sqlite", url, path, workdir)
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set; PostgreSQL tests skipped")
    name = f"catalog_overload_{uuid.uuid4().hex[:10]}"
    admin_execute(base, f'CREATE DATABASE "{name}"')
    try:
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
        env = clean_env(workdir, CATALOG_DATABASE_URL=url)
        write_products(jsonl, N_PRODUCTS)
        run_cli(env, log, "migrate")
        run_cli(env, log, "import", str(jsonl))
        yield Seeded("postgresql", url, None, workdir)
    finally:
        admin_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def serving(seeded: Seeded, **overrides: Any) -> AsyncIterator[FastAPI]:
    """Run the app in process, lifespan and all, on the seeded database."""
    settings = Settings(
        database_url=seeded.url, auto_migrate=False, write_rate_per_minute=0, **overrides
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


def assert_refusal(response: httpx.Response, kind: str) -> None:
    """Check a 503 that says when to come back and what refused it."""
    assert response.status_code == 503, response.text[:500]
    assert response.headers["retry-after"].isdigit()
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/" + kind), problem
    assert problem["retry_after"] == int(response.headers["retry-after"])


async def test_a_query_past_the_statement_deadline_is_stopped_with_a_503(seeded: Seeded) -> None:
    # Ranking every match takes far more than a millisecond: "with" is in nearly every
    # product for FTS5 (on PostgreSQL a stop word, so there the common word).
    params: dict[str, str | int] = {
        "q": "with" if seeded.name == "sqlite" else COMMON,
        "limit": 100,
    }
    async with serving(seeded, query_timeout_seconds=0.001) as app, asgi_client(app) as client:
        async with asyncio.timeout(NOT_STALLED * 2):
            response = await client.get("/api/products/search", params=params)
            assert_refusal(response, "query-timeout")
            # No index serves a tag filter: counting reads every product.
            listed = await client.get("/api/products", params={"tag": "no-such-tag"})
            assert_refusal(listed, "query-timeout")
            # The deadline covers searches and lists only; the same connections serve on.
            categories = await client.get("/api/categories")
            assert categories.status_code == 200
            assert sum(c["count"] for c in categories.json()["items"]) >= N_PRODUCTS
    async with serving(seeded) as app, asgi_client(app) as client:
        found = await client.get("/api/products/search", params=params)
        assert found.status_code == 200
        assert found.json()["total_is_exact"] is False  # more match than a search ranks


async def test_an_exhausted_pool_is_a_quick_503(seeded: Seeded) -> None:
    async with serving(seeded, db_pool_size=1, db_pool_timeout=0.2) as app:
        engine = app.state.engine
        async with asgi_client(app) as client:
            await search_ready(client)  # reading the vocabulary at start takes a connection
            async with engine.connect(), engine.connect():
                started = time.monotonic()
                async with asyncio.timeout(NOT_STALLED * 2):
                    response = await client.get("/api/categories")
                assert time.monotonic() - started < NOT_STALLED
                assert_refusal(response, "database-busy")
            assert (await client.get("/api/categories")).status_code == 200


async def search_ready(client: httpx.AsyncClient) -> None:
    """Wait (bounded) until the app has read its search vocabulary."""
    async with asyncio.timeout(NOT_STALLED * 6):
        for _ in range(1000):
            if (await client.get("/api/healthz")).json()["search"] == "ready":
                return
            await asyncio.sleep(0.05)


@asynccontextmanager
async def locked_by_another_writer(seeded: Seeded, product_id: int) -> AsyncIterator[None]:
    """Hold the write lock (SQLite) or the product's row lock (PostgreSQL) on another connection."""
    if seeded.sqlite_path is not None:
        holder = sqlite3.connect(seeded.sqlite_path, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            yield
        finally:
            holder.rollback()
            holder.close()
        return
    engine = create_async_engine(seeded.url)
    try:
        async with engine.connect() as connection:
            await connection.execute(
                text("SELECT id FROM products WHERE id = :id FOR UPDATE"), {"id": product_id}
            )
            yield
            await connection.rollback()
    finally:
        await engine.dispose()


async def test_a_write_that_waits_out_the_lock_timeout_is_a_503(seeded: Seeded) -> None:
    overrides = {"sqlite_busy_timeout_ms": 300, "postgres_lock_timeout_ms": 300}
    async with serving(seeded, **overrides) as app, asgi_client(app) as client:
        async with locked_by_another_writer(seeded, 1):
            started = time.monotonic()
            async with asyncio.timeout(NOT_STALLED * 2):
                # Two at once: the second waits for the first's turn, and is still refused in
                # time rather than one lock wait after the other.
                answers = await asyncio.gather(
                    client.patch("/api/products/1", json={"stock_quantity": 1}),
                    client.patch("/api/products/1", json={"stock_quantity": 2}),
                )
            assert time.monotonic() - started < NOT_STALLED
            for response in answers:
                assert_refusal(response, "database-busy")
        assert (await client.get("/api/products/1")).json()["stock_quantity"] not in (1, 2)
        done = await client.patch("/api/products/1", json={"stock_quantity": 3})
        assert done.status_code == 200, done.text


async def test_the_mcp_client_resends_a_refused_write_until_the_lock_is_free(
    seeded: Seeded,
) -> None:
    statuses: list[int] = []

    async def record(response: httpx.Response) -> None:
        statuses.append(response.status_code)

    overrides = {"sqlite_busy_timeout_ms": 200, "postgres_lock_timeout_ms": 200}
    async with serving(seeded, **overrides) as app:
        transport = httpx.ASGITransport(app=app)
        hooks = {"response": [record]}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", event_hooks=hooks
        ) as http:
            catalog = CatalogClient(http, total_timeout=15, display_url="http://t")
            version = (await catalog.get_product(2))["version"]
            statuses.clear()
            async with locked_by_another_writer(seeded, 2):
                update = asyncio.create_task(
                    catalog.update_product(2, {"stock_quantity": 42}, if_version=version)
                )
                await asyncio.sleep(1.5)
            updated = await update
    assert updated["stock_quantity"] == 42
    assert updated["version"] == version + 1
    assert statuses[0] == 503
    assert statuses[-1] == 200
    assert set(statuses) == {200, 503}


async def test_searches_past_the_limit_are_refused_quickly_and_writes_go_on(
    seeded: Seeded,
) -> None:
    """A real server: 40 searchers of common words for a few seconds, plus a writer."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = clean_env(
        seeded.workdir,
        CATALOG_DATABASE_URL=seeded.url,
        CATALOG_WRITE_RATE_PER_MINUTE="0",
        CATALOG_AUTO_MIGRATE="false",
        # One slot and a short queue make the overload certain on any machine.
        CATALOG_QUERY_CONCURRENCY="1",
        CATALOG_QUERY_QUEUE_SECONDS="0.2",
    )
    log = seeded.workdir / f"api-{uuid.uuid4().hex[:6]}.log"
    argv = [*command("catalog-api"), "serve", "--port", str(port)]
    with running(argv, env, f"{base}/api/healthz", log):
        tally, elapsed = await drive(
            base,
            words=["with", COMMON, "set", "free", "home"],
            searchers=40,
            seconds=6,
            max_id=N_PRODUCTS,
        )
    for line in summary(seeded.name, tally, elapsed):
        logger.info("%s", line)
    server_log = log.read_text(errors="replace")
    assert "Traceback" not in server_log, server_log[-3000:]
    assert not tally.transport_errors, dict(tally.transport_errors)
    failures = {key: n for key, n in tally.statuses.items() if key[1] >= 500 and key[1] != 503}
    assert not failures, (failures, tally.samples)
    refused = tally.count(lambda status: status == 503)
    assert refused > 0, "the searches never exceeded the one slot"
    assert not tally.without_retry_after, dict(tally.without_retry_after)
    assert set(tally.refusal_types) <= REFUSALS
    for kind in ("write", "categories", "get"):
        statuses = {status for (k, status), _ in tally.statuses.items() if k == kind}
        assert statuses, kind
        assert statuses <= {200, 201}, (kind, statuses)
        times = tally.latencies[kind]
        assert percentile(times, 99) < NOT_STALLED, (kind, sorted(times)[-5:])


def _client_over(handler: Callable[[httpx.Request], httpx.Response], deadline: float = 5.0) -> Any:
    """A CatalogClient whose API answers through handler (for refusals on demand)."""
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://api")
    return http, CatalogClient(http, total_timeout=deadline, display_url="http://api")


def _refusal(status: int, kind: str | None, retry_after: str | None = "1") -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after else {}
    if kind is None:
        return httpx.Response(status, text="Service Unavailable", headers=headers)
    body = {"type": PROBLEM_BASE + kind, "status": status, "detail": kind}
    return httpx.Response(status, json=body, headers=headers)


async def test_the_mcp_client_resends_a_read_after_any_503_honouring_retry_after() -> None:
    sent: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(time.monotonic())
        if len(sent) == 1:
            return _refusal(503, None)  # a proxy's bare 503
        return httpx.Response(200, json={"items": []})

    http, catalog = _client_over(handler)
    async with http:
        assert await catalog.list_categories({}) == {"items": []}
    assert len(sent) == 2
    assert sent[1] - sent[0] >= 1.0


async def test_the_mcp_client_resends_a_write_only_after_a_refusal_that_changed_nothing() -> None:
    answers = [
        _refusal(503, "shutting-down"),  # may have taken effect: not resent
        _refusal(503, "database-busy"),
        httpx.Response(200, json={"id": 1, "version": 2}),
        _refusal(429, "rate-limited"),
        httpx.Response(204),
    ]
    methods: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        methods.append(request.method)
        return answers.pop(0)

    http, catalog = _client_over(handler)
    async with http:
        with pytest.raises(CatalogAPIError) as refused:
            await catalog.update_product(1, {"stock_quantity": 1}, if_version=1)
        assert refused.value.status == 503
        assert methods == ["PATCH"]
        assert await catalog.update_product(1, {"stock_quantity": 1}, if_version=1) == {
            "id": 1,
            "version": 2,
        }
        await catalog.delete_product(1, if_version=2)
    assert methods == ["PATCH", "PATCH", "PATCH", "DELETE", "DELETE"]


async def test_the_mcp_client_does_not_wait_past_its_deadline() -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        return _refusal(503, "overloaded", retry_after="60")

    http, catalog = _client_over(handler, deadline=3.0)
    async with http:
        started = time.monotonic()
        with pytest.raises(CatalogAPIError) as refused:
            await catalog.search_products({"q": "gift"})
        assert time.monotonic() - started < 2.0
    assert refused.value.status == 503
    assert "retry after 60 s" in str(refused.value)
    assert sent == ["GET"]
