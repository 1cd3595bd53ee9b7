"""Migration 0007: every existing product becomes a product with one default variant."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import MetaData, Table, insert, text
from sqlalchemy.engine import make_url

from catalog_api.config import Settings
from catalog_api.db import create_engine
from catalog_api.models import Product, ProductStatus, utcnow
from tests.conftest import PG_ENV, admin_execute, asgi_client, migrate_url_to
from tests.conftest import app_with as running_app

# products as migration 0006 left it: without brand and options.
_PRODUCTS_AT_0006 = Table(
    "products",
    MetaData(),
    *(c._copy() for c in Product.__table__.columns if c.name not in {"brand", "options"}),
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a new SQLite file, or a new PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'legacy.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set; PostgreSQL tests skipped")
    name = f"catalog_wt_variants_{uuid.uuid4().hex[:10]}"
    admin_execute(base, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        admin_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _legacy(n: int) -> dict[str, Any]:
    now = utcnow()
    return {
        "slug": f"legacy-item-{n}",
        "title": f"Legacy Item {n}",
        "description": "Made before variants.",
        "category": "legacy",
        "tags": ["old"],
        "price_minor": 1000 + n,
        "currency": "EUR",
        "stock_quantity": 3 * n,
        "status": ProductStatus.ACTIVE,
        "attributes": {"n": str(n)},
        "image_urls": [],
        "seo_keywords": [],
        "created_at": now,
        "updated_at": now,
        "version": n,
    }


async def _fetch(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(Settings(database_url=url))
    try:
        async with engine.connect() as connection:
            return [tuple(row) for row in await connection.execute(text(sql))]
    finally:
        await engine.dispose()


async def test_each_product_becomes_one_default_variant_and_back(empty_url: str) -> None:
    await migrate_url_to(empty_url, command.upgrade, "0006")
    engine = create_engine(Settings(database_url=empty_url))
    try:
        async with engine.begin() as connection:
            for n in range(1, 6):
                await connection.execute(insert(_PRODUCTS_AT_0006).values(_legacy(n)))
            await connection.execute(text("DELETE FROM products WHERE id = 2"))
    finally:
        await engine.dispose()
    before = await _fetch(
        empty_url, "SELECT id, slug, price_minor, stock_quantity, version FROM products ORDER BY id"
    )

    await migrate_url_to(empty_url, command.upgrade, "head")

    variants = await _fetch(
        empty_url,
        "SELECT product_id, sku, price_minor, stock_quantity, position, version, "
        "compare_at_price_minor, barcode, weight_grams FROM product_variants ORDER BY product_id",
    )
    assert variants == [
        (pid, slug, price, stock, 0, 1, None, None, None) for pid, slug, price, stock, _ in before
    ]
    assert await _fetch(empty_url, "SELECT DISTINCT brand FROM products") == [(None,)]
    after = await _fetch(
        empty_url, "SELECT id, slug, price_minor, stock_quantity, version FROM products ORDER BY id"
    )
    assert after == before

    settings = Settings(database_url=empty_url, auto_migrate=False)
    async with running_app(settings) as app, asgi_client(app) as client:
        product = (await client.get("/api/products/3")).json()
        assert product["options"] == []
        assert [(v["sku"], v["option_values"]) for v in product["variants"]] == [
            ("legacy-item-3", {})
        ]
        assert (product["price_minor"], product["stock_quantity"]) == (1003, 9)
        changed = await client.patch(
            "/api/products/3/variants/legacy-item-3",
            json={"stock_quantity": 1},
            headers={"If-Match": f'"v{product["variants"][0]["id"]}.1"'},
        )
        assert changed.status_code == 200, changed.text
        assert (await client.get("/api/products/3")).json()["stock_quantity"] == 1
        new = await client.post(
            "/api/products",
            json={"title": "New", "category": "x", "price_minor": 1, "currency": "EUR"},
        )
        assert new.json()["id"] == 6
        assert new.json()["variants"][0]["id"] == 5  # after the four copied variants

    await migrate_url_to(empty_url, command.downgrade, "0006")
    kept = await _fetch(
        empty_url, "SELECT id, slug, price_minor, stock_quantity FROM products ORDER BY id"
    )
    assert [row[:2] for row in kept] == [
        (1, "legacy-item-1"),
        (3, "legacy-item-3"),
        (4, "legacy-item-4"),
        (5, "legacy-item-5"),
        (6, "new"),
    ]
    assert kept[1][3] == 1  # the derived stock stays
    await migrate_url_to(empty_url, command.upgrade, "0007")
    assert len(await _fetch(empty_url, "SELECT id FROM product_variants")) == 5
