"""SQLite planner statistics: a status filter walks the date index once the rows are counted."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from catalog_api.cli import main
from catalog_api.config import Settings
from catalog_api.db import create_engine
from catalog_api.demo_data import generate_products
from catalog_api.demo_variants import demo_lines
from catalog_api.planner import ASSUMED_ROWS, MIN_PRODUCTS, refresh_statistics
from tests.conftest import app_with, asgi_client

ACTIVE_NEWEST = (
    "SELECT id FROM products WHERE status = 'active' ORDER BY created_at DESC, id DESC LIMIT 21"
)
# The shape of a filtered search's candidate query (catalog_api/search/repository.py).
ACTIVE_MATCHES = (
    "SELECT products.id FROM products_search JOIN products ON products.id = "
    "products_search.rowid WHERE products_search MATCH 'lamp' AND products.status = 'active' "
    "LIMIT 250"
)


def _plan(path: Path, query: str = ACTIVE_NEWEST) -> str:
    with sqlite3.connect(path) as connection:
        rows = connection.execute(f"EXPLAIN QUERY PLAN {query}").fetchall()
    return " ".join(str(row[-1]) for row in rows)


def _counted(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        stat = connection.execute(
            "SELECT stat FROM sqlite_stat1 WHERE idx = 'ix_products_status'"
        ).fetchone()[0]
    return int(stat.split()[0])


def _analysed(path: Path) -> bool:
    with sqlite3.connect(path) as connection:
        found = connection.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if found.fetchone() is None:
            return False
        rows = connection.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'products'")
        return int(rows.fetchone()[0]) > 0


def _import(tmp_path: Path, name: str, count: int, seed: int) -> None:
    path = tmp_path / name
    with path.open("w", encoding="utf-8") as stream:
        for product in generate_products(count, seed):
            stream.write(json.dumps({**product, "slug": f"{product['slug']}-s{seed}"}) + "\n")
    assert main(["import", str(path)]) == 0


def test_an_import_counts_the_rows_so_a_status_filter_walks_the_date_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "catalog.db"
    url = f"sqlite+aiosqlite:///{database}"
    monkeypatch.setenv("CATALOG_DATABASE_URL", url)
    assert main(["seed", "--demo"]) == 0  # 301 products: a large catalog's statistics
    assert _counted(database) == ASSUMED_ROWS
    demo = len(list(demo_lines()))
    _import(tmp_path, "more.jsonl", MIN_PRODUCTS + 200, seed=1)
    assert _counted(database) == demo + MIN_PRODUCTS + 200
    assert "ix_products_created_at_id" in _plan(database)
    assert "TEMP B-TREE" not in _plan(database)

    assert not asyncio.run(_refresh(url))  # the counts still hold
    _import(tmp_path, "double.jsonl", 2 * MIN_PRODUCTS, seed=2)  # grew past twice: again
    with sqlite3.connect(database) as connection:
        stat = connection.execute(
            "SELECT stat FROM sqlite_stat1 WHERE idx = 'ix_products_status'"
        ).fetchone()[0]
    assert int(stat.split()[0]) > 3 * MIN_PRODUCTS


def test_a_small_catalog_plans_as_a_large_one_from_its_first_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "catalog.db"
    url = f"sqlite+aiosqlite:///{database}"
    monkeypatch.setenv("CATALOG_DATABASE_URL", url)
    assert main(["migrate"]) == 0
    # What SQLite picks without statistics: every active product, a full-text lookup each.
    assert "ix_products_status" in _plan(database, ACTIVE_MATCHES)

    async def start_and_add() -> None:
        async with app_with(Settings(database_url=url)) as app, asgi_client(app) as client:
            response = await client.post(
                "/api/products",
                json={
                    "title": "Desk lamp",
                    "category": "lighting",
                    "price_minor": 100,
                    "currency": "USD",
                    "status": "active",
                },
            )
            assert response.status_code == 201
            found = await client.get(
                "/api/products/search", params={"q": "lamp", "status": "active"}
            )
            assert [item["title"] for item in found.json()["items"]] == ["Desk lamp"]

    asyncio.run(start_and_add())
    assert _counted(database) == ASSUMED_ROWS
    assert _plan(database, ACTIVE_MATCHES).startswith("SCAN products_search")
    assert "ix_products_created_at_id" in _plan(database)
    assert not asyncio.run(_refresh(url))  # nothing changed: nothing written again


async def _refresh(url: str) -> bool:
    engine = create_engine(Settings(database_url=url))
    try:
        return await refresh_statistics(engine)
    finally:
        await engine.dispose()


def test_the_api_counts_the_rows_at_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "catalog.db"
    url = f"sqlite+aiosqlite:///{database}"
    monkeypatch.setenv("CATALOG_DATABASE_URL", url)
    assert main(["migrate"]) == 0
    with sqlite3.connect(database) as connection:
        connection.executemany(
            "INSERT INTO products (slug, title, description, category, tags, attributes, "
            "image_urls, seo_keywords, price_minor, currency, stock_quantity, status, "
            "created_at, updated_at, version, search_title, search_labels, search_body) "
            "VALUES (?, 't', '', 'misc', '[]', '{}', '[]', '[]', 100, 'USD', 1, 'active', "
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00', 1, 't', '', '')",
            [(f"p-{n}",) for n in range(MIN_PRODUCTS + 10)],
        )
    assert not _analysed(database)

    async def serve_briefly() -> None:
        async with app_with(Settings(database_url=url)):
            for _ in range(100):
                if _analysed(database):
                    return
                await asyncio.sleep(0.05)

    asyncio.run(serve_briefly())
    assert _analysed(database)
    assert "ix_products_created_at_id" in _plan(database)
