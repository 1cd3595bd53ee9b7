"""An import's products are indexed as a one-at-a-time create indexes them.

On SQLite the importer writes the full-text and attribute index rows once per batch while
the insert triggers stand aside (migration 0017); every other writer keeps the triggers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from sqlalchemy.exc import IntegrityError

from catalog_api.models import utcnow
from catalog_api.repositories.bulk_insert import insert_products
from catalog_api.repositories.products import is_slug_conflict
from tests.conftest import create, migrate_url_to
from tests.test_filter_plans import ATTRIBUTE_ROWS, JSON_ROWS, _import
from tests.test_variant_search import _execute
from tests.test_variants_migration import empty_url  # noqa: F401 - a fixture

FTS_CHECKS = (
    "INSERT INTO products_search(products_search) VALUES ('integrity-check')",
    "INSERT INTO products_title_search(products_title_search) VALUES ('integrity-check')",
)
TRIGGERS = (
    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_insert' "
    "AND tbl_name = 'products'"
)


def _line(n: int) -> dict[str, Any]:
    return {
        "title": f"Walnut Desk Lamp {n}",
        "description": f"A lamp with a linen shade, model {n}.",
        "category": "lighting",
        "currency": "USD",
        "price_minor": 1000 + n,
        "tags": ["lamp", "walnut"],
        "attributes": {"material": "walnut" if n % 2 else "oak", "bulbs": str(n % 3 + 1)},
    }


async def _titles(client: httpx.AsyncClient, path: str, query: str) -> set[str]:
    response = await client.get(f"{path}?{query}&status=any&limit=100")
    assert response.status_code == 200, response.text
    return {item["title"] for item in response.json()["items"]}


async def _assert_indexes_hold(database_url: str) -> None:
    """SQLite: both full-text indexes match their rows, and so does the attribute index."""
    if not database_url.startswith("sqlite"):
        return
    for check in FTS_CHECKS:
        await _execute(database_url, check)  # raises on a mismatch
    indexed = await _execute(database_url, ATTRIBUTE_ROWS)
    assert indexed == await _execute(database_url, JSON_ROWS)
    assert await _execute(database_url, "SELECT * FROM deferred_product_indexing") == []


async def test_imported_products_are_found_like_created_ones(
    client: httpx.AsyncClient,
    database_url: str,
    tmp_path: Path,
) -> None:
    await create(client, title="Brass Floor Lamp", attributes={"material": "brass"})
    source = tmp_path / "lamps.jsonl"
    lines = [json.dumps(_line(n)) for n in range(1, 26)]
    lines.insert(3, json.dumps({**_line(99), "price_minor": -5}))  # rejected
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert await _import(database_url, source, "--batch-size", "10") == 1  # one rejection
    await create(client, title="Walnut Side Table", attributes={"material": "walnut"})

    lamps = {f"Walnut Desk Lamp {n}" for n in range(1, 26)}
    assert await _titles(client, "/api/products/search", "q=linen") == lamps
    assert await _titles(client, "/api/products/search", "q=desk+lamp") >= lamps
    walnut = {f"Walnut Desk Lamp {n}" for n in range(1, 26, 2)} | {"Walnut Side Table"}
    assert await _titles(client, "/api/products", "attr.material=walnut") == walnut
    assert await _titles(client, "/api/products", "attr.material=brass") == {"Brass Floor Lamp"}
    await _assert_indexes_hold(database_url)


def _row(slug: str) -> dict[str, Any]:
    now = utcnow()
    return {
        **{k: v for k, v in _line(1).items() if k != "price_minor"},
        "slug": slug,
        "title": slug.replace("-", " ").title(),
        "status": "active",
        "price_minor": 100,
        "stock_quantity": 1,
        "image_urls": [],
        "seo_keywords": [],
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }


async def test_a_batch_that_fails_part_way_leaves_its_written_rows_indexed(
    app: Any, database_url: str
) -> None:
    """A slug taken mid-batch stops the executemany; the rows before it are still indexed."""
    async with app.state.session_factory() as session:
        connection = await session.connection()
        await insert_products(connection, [_row("first-lamp")])
        with pytest.raises(IntegrityError) as raised:
            await insert_products(connection, [_row("second-lamp"), _row("first-lamp")])
        assert is_slug_conflict(raised.value)  # PostgreSQL's COPY says so as an INSERT would
        if database_url.startswith("sqlite"):
            # SQLite keeps the rows written before the failing one; PostgreSQL aborts.
            await session.commit()
    await _assert_indexes_hold(database_url)


async def test_the_insert_triggers_stand_aside_only_for_a_marked_batch(
    empty_url: str,  # noqa: F811 - the fixture
) -> None:
    if not empty_url.startswith("sqlite"):
        pytest.skip("PostgreSQL has no insert triggers on products")
    await migrate_url_to(empty_url, command.upgrade, "head")
    conditional = await _execute(empty_url, TRIGGERS)
    assert len(conditional) == 3
    assert all("deferred_product_indexing" in sql for _, sql in conditional)
    await migrate_url_to(empty_url, command.downgrade, "0016")
    plain = await _execute(empty_url, TRIGGERS)
    assert sorted(name for name, _ in plain) == sorted(name for name, _ in conditional)
    assert not any("deferred_product_indexing" in sql for _, sql in plain)
    await migrate_url_to(empty_url, command.upgrade, "head")
    assert await _execute(empty_url, TRIGGERS) == conditional
