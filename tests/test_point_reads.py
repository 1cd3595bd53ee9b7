"""Reads of one product by id or slug: the fast paths answer exactly as the ORM path does."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text, update

from catalog_api.config import Settings
from catalog_api.db import create_engine, create_session_factory
from catalog_api.models import Product
from catalog_api.repositories import ProductRepository
from catalog_api.schemas import ProductOut
from catalog_api.variants.models import ProductVariant
from tests.conftest import admin_execute, app_with, asgi_client, product_body

FIXED_CREATED = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
FIXED_UPDATED = datetime(2026, 2, 3, 4, 5, 6, 7, tzinfo=UTC)


def catalog_bodies() -> list[dict[str, Any]]:
    """Return products that exercise every column: unicode, JSON, options, variants, nulls."""
    return [
        product_body(
            title="Café Crème Mug ☕ 北京 Ünïcødé",
            description='Line one\nline "two" \\ tab\tend; emoji 🧪 and \u00a0nbsp',
            tags=["küche", "mugs", "日本"],
            attributes={"colour": "crème", "material": "stoneware", "ñ": "ü", "zz": "a"},
            image_urls=["https://img.example/a.jpg", "https://img.example/ü.png"],
            seo_keywords=["mug", "café"],
            brand=None,
        ),
        {
            "title": "Crew Neck Tee",
            "category": "apparel",
            "brand": "Northpeak",
            "currency": "USD",
            "status": "active",
            "options": [
                {"name": "Size", "values": ["S", "M"]},
                {"name": "colour", "values": ["Navy", "wéiß"]},
            ],
            "variants": [
                {
                    "sku": "TEE-S-NAVY",
                    "option_values": {"size": "S", "colour": "Navy"},
                    "price_minor": 2500,
                    "stock_quantity": 12,
                },
                {
                    "sku": "TEE-M-NAVY",
                    "option_values": {"size": "M", "colour": "Navy"},
                    "price_minor": 2500,
                },
                {
                    "sku": "TEE-M-WEISS",
                    "option_values": {"size": "M", "colour": "wéiß"},
                    "price_minor": 2700,
                    "compare_at_price_minor": 3200,
                    "stock_quantity": 4,
                    "barcode": "4006381333931",
                    "weight_grams": 180,
                },
            ],
        },
        product_body(title="Plain Draft", status="draft", currency="JPY", price_minor=1200),
    ]


async def create_catalog(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    """Create the catalog's products through the API and return their JSON."""
    created = []
    for body in catalog_bodies():
        response = await client.post("/api/products", json=body)
        assert response.status_code == 201, response.text
        created.append(response.json())
    return created


async def orm_json(settings: Settings, product_id: int) -> bytes:
    """Return a product as the ORM path serialises it (session, mapped object, validation)."""
    engine = create_engine(settings)
    try:
        async with create_session_factory(engine)() as session:
            product = await ProductRepository(session).get(product_id)
            assert product is not None
            return ProductOut.model_validate(product).model_dump_json().encode()
    finally:
        await engine.dispose()


def reader_kind(app: FastAPI) -> str:
    """Name the path the app's point reads take."""
    reader = app.state.product_queries.reader
    if reader.connection is not None:
        return "sqlite3"
    return "asyncpg" if reader.pool is not None else "core"


async def test_fast_reads_answer_as_the_orm_path(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    expected = "sqlite3" if settings.is_sqlite else "asyncpg"
    assert reader_kind(app) == expected
    created = await create_catalog(client)
    listed = (await client.get("/api/products", params={"status": "any", "limit": 10})).json()
    by_id_in_list = {item["id"]: item for item in listed["items"]}
    for product in created:
        by_id = await client.get(f"/api/products/{product['id']}")
        by_slug = await client.get(f"/api/products/by-slug/{product['slug']}")
        assert by_id.status_code == by_slug.status_code == 200
        assert by_id.headers["etag"] == f'"{product["id"]}.{product["version"]}"'
        # Byte for byte: same keys, same order, same number and date formats.
        assert by_id.content == by_slug.content
        assert by_id.json() == product == by_id_in_list[product["id"]]
        assert by_id.content == await orm_json(settings, product["id"])
    tee = created[1]
    assert [v["sku"] for v in tee["variants"]] == ["TEE-S-NAVY", "TEE-M-NAVY", "TEE-M-WEISS"]
    assert (await client.get("/api/products/999999")).status_code == 404
    assert (await client.get("/api/products/by-slug/no-such-slug")).status_code == 404


async def _pin_timestamps(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                update(Product).values(created_at=FIXED_CREATED, updated_at=FIXED_UPDATED)
            )
            await connection.execute(update(ProductVariant).values(updated_at=FIXED_UPDATED))
    finally:
        await engine.dispose()


async def _answers(settings: Settings) -> list[bytes]:
    async with app_with(settings) as app, asgi_client(app) as client:
        assert reader_kind(app) == ("sqlite3" if settings.is_sqlite else "asyncpg")
        ids = [p["id"] for p in await create_catalog(client)]
        await _pin_timestamps(settings)
        answers = []
        for product_id in ids:
            response = await client.get(f"/api/products/{product_id}")
            assert response.status_code == 200
            answers.append(response.content)
        return answers


@pytest.fixture
def empty_postgres(postgres_url: str) -> str:
    """The session's PostgreSQL database, emptied, ids starting again at 1."""
    admin_execute(
        postgres_url, "TRUNCATE products, idempotency_keys, api_keys RESTART IDENTITY CASCADE"
    )
    return postgres_url


@pytest.mark.postgres
async def test_sqlite_and_postgres_fast_paths_answer_the_same_bytes(
    sqlite_template: Path, tmp_path: Path, empty_postgres: str
) -> None:
    path = tmp_path / "catalog.db"
    shutil.copyfile(sqlite_template, path)
    on_sqlite = await _answers(Settings(database_url=f"sqlite+aiosqlite:///{path}"))
    on_postgres = await _answers(Settings(database_url=empty_postgres, auto_migrate=False))
    assert len(on_sqlite) == 3
    # As JSON values: jsonb keeps an object's keys shortest first, SQLite as written.
    assert [json.loads(a) for a in on_sqlite] == [json.loads(a) for a in on_postgres]


@pytest.mark.postgres
async def test_postgres_point_read_survives_dropped_connections(empty_postgres: str) -> None:
    settings = Settings(database_url=empty_postgres, auto_migrate=False)
    async with app_with(settings) as app, asgi_client(app) as client:
        product = (await create_catalog(client))[0]
        assert (await client.get(f"/api/products/{product['id']}")).status_code == 200
        assert await _terminate_other_backends(settings) >= 1
        again = await client.get(f"/api/products/{product['id']}")
    assert again.status_code == 200, again.text
    assert again.json() == product


async def _terminate_other_backends(settings: Settings) -> int:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            killed = await connection.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
    finally:
        await engine.dispose()
    return int(killed)


@pytest.mark.postgres
async def test_postgres_point_reads_wait_for_a_pooled_connection_then_503(
    empty_postgres: str,
) -> None:
    settings = Settings(database_url=empty_postgres, auto_migrate=False)
    async with (
        app_with(settings, db_read_pool_size=1, db_pool_timeout=0.2) as app,
        asgi_client(app) as client,
    ):
        product = (await create_catalog(client))[0]
        async with app.state.product_queries.reader.pool.acquire():
            busy = await client.get(f"/api/products/{product['id']}")
        assert busy.status_code == 503
        assert busy.json()["type"].endswith("/database-busy")
        assert busy.headers["retry-after"] == "1"
        assert (await client.get(f"/api/products/{product['id']}")).status_code == 200
