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
from catalog_api.planner import MIN_PRODUCTS, refresh_statistics
from tests.conftest import app_with

ACTIVE_NEWEST = (
    "SELECT id FROM products WHERE status = 'active' ORDER BY created_at DESC, id DESC LIMIT 21"
)


def _plan(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        rows = connection.execute(f"EXPLAIN QUERY PLAN {ACTIVE_NEWEST}").fetchall()
    return " ".join(str(row[-1]) for row in rows)


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
    assert main(["seed", "--demo"]) == 0  # 300 products: too few to matter
    assert not _analysed(database)
    assert "ix_products_status" in _plan(database)  # what SQLite picks without statistics
    _import(tmp_path, "more.jsonl", MIN_PRODUCTS + 200, seed=1)
    assert _analysed(database)
    assert "ix_products_created_at_id" in _plan(database)
    assert "TEMP B-TREE" not in _plan(database)

    async def refreshed_again() -> bool:
        engine = create_engine(Settings(database_url=url))
        try:
            return await refresh_statistics(engine)
        finally:
            await engine.dispose()

    assert not asyncio.run(refreshed_again())  # the counts still hold
    _import(tmp_path, "double.jsonl", 2 * MIN_PRODUCTS, seed=2)  # grew past twice: again
    with sqlite3.connect(database) as connection:
        stat = connection.execute(
            "SELECT stat FROM sqlite_stat1 WHERE idx = 'ix_products_status'"
        ).fetchone()[0]
    assert int(stat.split()[0]) > 3 * MIN_PRODUCTS


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
