"""SQLite's per-request choice of filter plan, and the attribute index that serves it.

Every query is asked under each plan (COMMON_ROWS at 0: every filter probed per product;
huge: the rarest filter starts from its index range; the default) and must give the same
products; on PostgreSQL (no plan there) the same queries give the same answers.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Engine

from catalog_api.config import Settings
from catalog_api.db import create_engine
from catalog_api.models import Product
from catalog_api.repositories import ProductFilters, ProductRepository
from catalog_api.repositories import products as product_repository
from catalog_api.variants import plans
from catalog_api.variants.filters import variant_probe, variant_products
from tests.conftest import create, migrate_url_to
from tests.test_variant_filters import _seed, _shoe, _titles, _variant
from tests.test_variant_search import _execute
from tests.test_variants_migration import empty_url  # noqa: F401 - a fixture

PLANS = {"probe": 0, "range": 10**9, "default": plans.COMMON_ROWS}
QUERIES = [
    ("option.size=10", {"Red Ten Runner", "Blue Ten Runner", "Sold Out Ten"}),
    ("option.size=10&option.colour=blue", {"Blue Ten Runner", "Sold Out Ten"}),
    ("option.size=10&option.colour=blue&in_stock=true", {"Blue Ten Runner"}),
    ("option.size=9&option.colour=red&in_stock=false", {"Blue Ten Runner"}),
    ("option.size=10&option.size=9", set()),
    ("option.size=11", set()),
    ("attr.material=mesh", {"Red Ten Runner", "Plain Runner"}),
    ("attr.material=mesh&attr.fit=wide", {"Red Ten Runner"}),
    ("attr.material=mesh&option.colour=blue", {"Red Ten Runner"}),
    ("attr.material=leather&option.size=10&in_stock=true", {"Blue Ten Runner"}),
    ("option.colour=blue&max_price=9500&currency=USD", {"Red Ten Runner", "Sold Out Ten"}),
    ("option.colour=blue&min_price=10500&currency=USD", {"Blue Ten Runner"}),
    ("in_stock=true&min_price=10500&currency=USD", {"Blue Ten Runner"}),
    ("in_stock=true&min_price=9000&max_price=10000&currency=USD", {"Red Ten Runner"}),
    ("in_stock=true&min_price=9000&attr.material=mesh&currency=USD", {"Red Ten Runner"}),
    ("option.size=10&sort=title&order=asc", {"Red Ten Runner", "Blue Ten Runner", "Sold Out Ten"}),
    # Under "probe" the product price bounds lose their index (price_index=False).
    ("attr.material=mesh&max_price=9000&currency=USD", {"Red Ten Runner", "Plain Runner"}),
    ("attr.material=mesh&min_price=8999&max_price=8999&currency=USD", {"Plain Runner"}),
    ("option.size=9&max_price=8000&currency=USD", {"Sold Out Ten"}),
]  # fmt: skip
ATTRIBUTE_ROWS = (
    "SELECT p.slug, a.key, a.value FROM product_attribute_values a "
    "JOIN products p ON p.id = a.product_id ORDER BY 1, 2, 3"
)
JSON_ROWS = (
    "SELECT p.slug, e.key, e.value FROM products p, json_each(p.attributes) e ORDER BY 1, 2, 3"
)


async def _import(database_url: str, source: Path, *args: str) -> int | None:
    """Run the importer's command line on the database, in its own process (it runs a loop)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "catalog_api.cli",
        "import",
        str(source),
        *args,
        env={**os.environ, "CATALOG_DATABASE_URL": database_url},
    )
    return await process.wait()


@pytest.mark.parametrize("plan", PLANS)
@pytest.mark.parametrize(("query", "expected"), QUERIES)
async def test_every_plan_finds_the_same_products(
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    plan: str,
    query: str,
    expected: set[str],
) -> None:
    monkeypatch.setattr(plans, "COMMON_ROWS", PLANS[plan])
    await _seed(client)
    assert await _titles(client, "/api/products", query) == expected


@pytest.mark.parametrize("plan", PLANS)
async def test_every_plan_pages_the_same(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, plan: str
) -> None:
    monkeypatch.setattr(plans, "COMMON_ROWS", PLANS[plan])
    for n in range(7):
        variants = [_variant(f"Q{n}-10", "10", "Blue", 5000 + n, n % 2)]
        variants.append(_variant(f"Q{n}-9", "9", "Red", 4000, 1))
        body = _shoe(f"Pager {n}", "Pagerco", variants, attributes={"fit": "wide" if n else "x"})
        assert (await client.post("/api/products", json=body)).status_code == 201
    seen: list[str] = []
    cursor = None
    params: dict[str, Any] = {"option.size": "10", "attr.fit": "wide", "limit": 2}
    while True:
        extra: dict[str, str] = {"cursor": cursor} if cursor else {}
        page = (await client.get("/api/products", params={**params, **extra})).json()
        seen.extend(item["title"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"Pager {n}" for n in range(6, 0, -1)]
    assert page["total"] == 6


async def test_attribute_filters_follow_every_write(
    client: httpx.AsyncClient, database_url: str, tmp_path: Path
) -> None:
    a = await create(client, title="Alpha", attributes={"material": "wool", "fit": "slim"})
    b = await create(client, title="Beta", attributes={"material": "wool"})
    response = await client.patch(
        f"/api/products/{a['id']}", json={"attributes": {"material": "silk"}}
    )
    assert response.status_code == 200, response.text
    body = {k: v for k, v in b.items() if k in ("title", "category", "currency", "status")}
    replaced = await client.put(
        f"/api/products/{b['id']}",
        json={**body, "price_minor": 100, "stock_quantity": 1, "attributes": {"fit": "slim"}},
    )
    assert replaced.status_code == 200, replaced.text
    c = await create(client, title="Gamma", attributes={"material": "wool"})
    assert (await client.delete(f"/api/products/{c['id']}")).status_code == 204
    source = tmp_path / "more.jsonl"
    line = {"title": "Delta", "category": "apparel", "currency": "USD", "price_minor": 100}
    source.write_text(json.dumps({**line, "attributes": {"material": "felt"}}) + "\n")
    assert await _import(database_url, source) == 0
    source.write_text(json.dumps({**line, "attributes": {"material": "wool"}}) + "\n")
    assert await _import(database_url, source, "--on-conflict", "update") == 0
    for query, expected in [
        ("attr.material=wool", {"Delta"}),
        ("attr.material=silk", {"Alpha"}),
        ("attr.fit=slim", {"Beta"}),
    ]:
        assert await _titles(client, "/api/products", query) == expected
    if database_url.startswith("sqlite"):
        path = database_url.removeprefix("sqlite+aiosqlite:///")
        with closing(sqlite3.connect(path)) as connection:
            indexed = connection.execute(ATTRIBUTE_ROWS).fetchall()
            assert indexed == connection.execute(JSON_ROWS).fetchall()
            assert len(indexed) == 3


STATS_1M = [
    ("ix_products_currency_price_minor_id", "1000000 250000 71 1"),
    ("ix_products_created_at_id", "1000000 1000 1"),
    ("ix_products_price_minor_id", "1000000 134 1"),
    ("ix_products_status", "1000000 333334"),
    ("ix_products_category", "1000000 83334"),
]


async def test_a_cut_count_walks_the_ids_below_the_cut_on_sqlite(
    client: httpx.AsyncClient, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A count of common filters cut at the COUNT_WALK_ROWS-th product reads the ids below it.

    Unordered, SQLite read the currency's whole index range to keep id < cut (250,000
    entries for USD at 1M products, for every list in one currency with option values).
    """
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's plan")
    monkeypatch.setattr(plans, "COMMON_ROWS", 0)
    monkeypatch.setattr(product_repository, "COUNT_RANGE_ROWS", 0)
    monkeypatch.setattr(product_repository, "COUNT_WALK_ROWS", 1)
    await _seed(client)
    statements: list[tuple[str, tuple[Any, ...]]] = []

    def seen(*args: Any) -> None:
        """Record (statement, parameters) of one cursor execution."""
        statements.append((args[2], tuple(args[3] or ())))

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        page = await client.get("/api/products", params={"option.size": "10", "currency": "USD"})
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert page.json()["total_is_exact"] is False
    sql, params = next((s, p) for s, p in statements if "products.id < ?" in s)
    path = database_url.removeprefix("sqlite+aiosqlite:///")
    with closing(sqlite3.connect(path)) as connection:
        # The statistics ANALYZE wrote for the generated 1M catalog (four currencies).
        connection.execute("ANALYZE products")
        connection.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'products'")
        connection.executemany("INSERT INTO sqlite_stat1 VALUES ('products', ?, ?)", STATS_1M)
        connection.commit()
    with closing(sqlite3.connect(path)) as connection:
        plan = " ".join(row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", params))
    assert "INTEGER PRIMARY KEY (rowid<?)" in plan, plan
    assert "ix_products_currency" not in plan, plan


FENCE_CASES = [
    ((("size", "10"),), None),
    ((("colour", "blue"), ("size", "10")), None),
    ((("colour", "blue"), ("size", "10")), True),
    ((("colour", "red"), ("size", "9")), False),
    ((("size", "10"), ("size", "9")), None),
    ((("size", "11"),), True),
]


@pytest.mark.parametrize(("options", "in_stock"), FENCE_CASES)
async def test_a_fenced_variant_probe_keeps_the_same_products(
    client: httpx.AsyncClient, app: Any, options: tuple[tuple[str, str], ...], in_stock: Any
) -> None:
    """PostgreSQL's probes (behind OFFSET 0, or bounded below an id) match the ranges."""
    await _seed(client)
    async with app.state.session_factory() as session:
        ids = list(await session.scalars(select(Product.id).order_by(Product.id)))
        for below in (ids[-1] + 1, ids[2], ids[1]):
            found = []
            for condition in (
                variant_probe(options, in_stock, fenced=True),
                variant_probe(options, in_stock),
                Product.id.in_(variant_products(options, in_stock)),
                # A bounded count's probe (PostgreSQL): each value's rows below that id.
                variant_probe(options, in_stock, fenced=True, below=below),
            ):
                stmt = select(Product.id).where(condition, Product.id < below)
                found.append(list(await session.scalars(stmt.order_by(Product.id))))
            assert found[0] == found[1] == found[2] == found[3]


async def test_in_stock_variants_by_price_have_their_index_on_both_engines(
    empty_url: str,  # noqa: F811 - the fixture
) -> None:
    await migrate_url_to(empty_url, command.upgrade, "head")
    postgres = empty_url.startswith("postgresql")
    listed = (
        "SELECT indexname FROM pg_indexes WHERE tablename = 'product_variants'"
        if postgres
        else "SELECT name FROM sqlite_master WHERE type = 'index'"
    )
    assert ("ix_product_variants_in_stock_price",) in await _execute(empty_url, listed)
    if postgres:
        # The count's own range (stocked_priced) must be one PostgreSQL can read from it.
        counted = select(func.count()).select_from(plans.stocked_priced(90_000, None).subquery())
        engine = create_engine(Settings(database_url=empty_url))
        sql = str(counted.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
        try:
            async with engine.begin() as connection:
                await connection.execute(text("SET LOCAL enable_seqscan = off"))
                plan = (await connection.execute(text("EXPLAIN " + sql))).scalars().all()
        finally:
            await engine.dispose()
        assert "ix_product_variants_in_stock_price" in " ".join(plan)
    await migrate_url_to(empty_url, command.downgrade, "0015")
    held = ("ix_product_variants_in_stock_price",) in await _execute(empty_url, listed)
    assert held is not postgres  # SQLite has had it since 0012
    await migrate_url_to(empty_url, command.upgrade, "head")
    assert ("ix_product_variants_in_stock_price",) in await _execute(empty_url, listed)


async def test_postgresql_connections_run_statements_without_parallel_workers(app: Any) -> None:
    """A page's walk costed as a whole ran in two workers; their start cost more than it."""
    async with app.state.session_factory() as session:
        if session.bind.dialect.name != "postgresql":
            return
        repository = ProductRepository(session)
        filters = ProductFilters(options=(("size", "10"),))
        await repository.list_page(filters, sort="price", descending=False, after=None, limit=2)
        assert await session.scalar(text("SHOW max_parallel_workers_per_gather")) == "0"
