"""Product ids, and with them ETags, are never reused; a key's deleted product is not replayed."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from sqlalchemy import MetaData, Table, insert, text, update

from catalog_api.config import Settings
from catalog_api.db import create_engine
from catalog_api.migrate import current_revision, head_revision
from catalog_api.models import IdempotencyRecord, Product, ProductStatus, utcnow
from catalog_api.schemas import ProductOut
from tests.conftest import app_with, asgi_client, migrate_url_to, product_body
from tests.test_mcp_tools import call, connect, fail, kettle

PREVIOUS_REVISION = "0003"
THIS_REVISION = "0004"


def body(title: str) -> dict[str, Any]:
    """Return a create body with its own slug."""
    return product_body(title=title, description=f"{title} for the id tests.")


async def test_a_stale_etag_of_a_deleted_product_never_matches_a_new_one(
    client: httpx.AsyncClient,
) -> None:
    alpha = await client.post("/api/products", json=body("Alpha"))
    alpha_url, alpha_etag = alpha.headers["location"], alpha.headers["etag"]
    assert (await client.delete(alpha_url)).status_code == 204
    beta = await client.post("/api/products", json=body("Beta"))
    assert beta.json()["id"] > alpha.json()["id"]
    assert beta.headers["etag"] != alpha_etag
    for method, payload in (
        ("PATCH", {"stock_quantity": 1}),
        ("PUT", body("Gamma")),
        ("DELETE", None),
    ):
        stale = await client.request(
            method, alpha_url, json=payload, headers={"If-Match": alpha_etag}
        )
        assert stale.status_code == 404, (method, stale.text)
    still = await client.get(beta.headers["location"])
    assert (still.status_code, still.json()["title"]) == (200, "Beta")


async def test_ids_stay_unused_across_a_restart(settings: Settings) -> None:
    async with app_with(settings) as app, asgi_client(app) as client:
        first = (await client.post("/api/products", json=body("First"))).json()
        newest = (await client.post("/api/products", json=body("Newest"))).json()
        assert (await client.delete(f"/api/products/{newest['id']}")).status_code == 204
    async with app_with(settings) as app, asgi_client(app) as client:
        after = (await client.post("/api/products", json=body("After Restart"))).json()
    assert after["id"] > newest["id"] > first["id"]


async def test_mcp_if_version_of_a_deleted_product_does_not_delete_its_successor(
    settings: Settings,
) -> None:
    async with connect(settings) as mcp:
        alpha = await call(mcp, "create_product", **kettle(title="Alpha Kettle"))
        await call(mcp, "delete_product", id=alpha["id"])
        beta = await call(mcp, "create_product", **kettle(title="Beta Kettle"))
        assert beta["id"] != alpha["id"]
        refused = await fail(mcp, "delete_product", id=alpha["id"], if_version=alpha["version"])
        assert "Not found: " in refused
        assert (await call(mcp, "get_product", id=beta["id"]))["title"] == "Beta Kettle"


async def test_replaying_a_key_whose_product_was_deleted_is_a_409(
    client: httpx.AsyncClient,
) -> None:
    key = {"Idempotency-Key": "made-then-deleted"}
    first = await client.post("/api/products", json=body("Ephemeral"), headers=key)
    assert first.status_code == 201
    assert (await client.delete(first.headers["location"])).status_code == 204
    again = await client.post("/api/products", json=body("Ephemeral"), headers=key)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    problem = again.json()
    assert problem["type"].endswith("/idempotent-product-deleted")
    assert problem["product_id"] == first.json()["id"]
    assert "deleted" in problem["detail"]
    assert "location" not in again.headers
    other = await client.post("/api/products", json=body("Other"), headers=key)
    assert other.status_code == 422
    assert (await client.get("/api/products")).json()["total"] == 0
    fresh = await client.post(
        "/api/products", json=body("Ephemeral"), headers={"Idempotency-Key": "a-new-key"}
    )
    assert fresh.status_code == 201
    assert fresh.json()["id"] != first.json()["id"]


async def test_a_key_whose_id_now_belongs_to_another_product_is_not_replayed(
    settings: Settings,
) -> None:
    async with app_with(settings) as app, asgi_client(app) as client:
        key = {"Idempotency-Key": "id-taken-over"}
        first = (await client.post("/api/products", json=body("Original"), headers=key)).json()
        # What an id reused before migration 0004 looks like: same id, another product.
        engine = create_engine(settings)
        try:
            async with engine.begin() as connection:
                await connection.execute(
                    update(Product)
                    .where(Product.id == first["id"])
                    .values(title="Successor", created_at=utcnow() + timedelta(seconds=1))
                )
        finally:
            await engine.dispose()
        again = await client.post("/api/products", json=body("Original"), headers=key)
    assert again.status_code == 409
    assert again.json()["product_id"] == first["id"]


async def test_mcp_create_with_a_key_whose_product_was_deleted_says_so(
    settings: Settings,
) -> None:
    async with connect(settings) as mcp:
        created = await call(mcp, "create_product", **kettle(), idempotency_key="agent-key-1")
        await call(mcp, "delete_product", id=created["id"])
        message = await fail(mcp, "create_product", **kettle(), idempotency_key="agent-key-1")
        assert "Conflict: " in message
        assert "deleted" in message
        assert (await call(mcp, "list_products"))["total"] == 0


# --- migration 0004 on a SQLite file populated at the previous revision -------------------


# products as migration 0004 left it: without the search term columns of 0005 (nor 0007's).
_BEFORE_SEARCH_TERMS = Table(
    "products",
    MetaData(),
    *(
        c._copy()
        for c in Product.__table__.columns
        if not c.name.startswith("search_") and c.name not in {"brand", "options"}
    ),
)


def _row(title: str, n: int) -> dict[str, Any]:
    now = utcnow()
    return {
        "slug": f"item-{n}",
        "title": title,
        "description": f"Item {n}, made before the migration.",
        "category": "legacy",
        "tags": ["old", f"t{n}"],
        "price_minor": 100 * n,
        "currency": "EUR",
        "stock_quantity": n,
        "status": ProductStatus.ACTIVE,
        "attributes": {"n": str(n)},
        "image_urls": [],
        "seo_keywords": [],
        "created_at": now,
        "updated_at": now,
        "version": n,
    }


async def _populate_at_previous_revision(url: str) -> None:
    """Five products, the two newest deleted, and a live key for a product deleted earlier."""
    await migrate_url_to(url, command.upgrade, PREVIOUS_REVISION)
    titles = ["Brass Lamp", "Oak Table", "Wool Rug", "Glass Vase", "Steel Kettle"]
    engine = create_engine(Settings(database_url=url))
    try:
        async with engine.begin() as connection:
            for n, title in enumerate(titles, start=1):
                await connection.execute(insert(_BEFORE_SEARCH_TERMS).values(_row(title, n)))
            await connection.execute(text("DELETE FROM products WHERE id IN (4, 5)"))
            forgotten = ProductOut.model_validate({**_row("Copper Pot", 7), "id": 7})
            now = utcnow()
            await connection.execute(
                insert(IdempotencyRecord).values(
                    scope="anonymous",
                    key="made-product-7",
                    fingerprint="f" * 64,
                    body=forgotten.model_dump_json(),
                    created_at=now,
                    expires_at=now + timedelta(hours=1),
                )
            )
    finally:
        await engine.dispose()


def _snapshot(path: Path) -> dict[str, Any]:
    """Return the rows, schema objects and FTS answers of a SQLite file."""
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO products_fts(products_fts) VALUES ('integrity-check')")
        return {
            "rows": db.execute("SELECT * FROM products ORDER BY id").fetchall(),
            "indexes": db.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = 'products' AND sql IS NOT NULL ORDER BY name"
            ).fetchall(),
            "triggers": db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
            ).fetchall(),
            "lamp": db.execute(
                "SELECT rowid FROM products_fts WHERE products_fts MATCH 'lamp'"
            ).fetchall(),
            "legacy": db.execute(
                "SELECT rowid FROM products_fts WHERE products_fts MATCH 'legacy' ORDER BY rowid"
            ).fetchall(),
        }


def _sequence(path: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT name, seq FROM sqlite_sequence").fetchall()


async def test_migration_0004_keeps_sqlite_data_and_search_and_never_reuses_ids(
    tmp_path: Path,
) -> None:
    path = tmp_path / "legacy.db"
    url = f"sqlite+aiosqlite:///{path}"
    await _populate_at_previous_revision(url)
    before = _snapshot(path)
    assert [row[0] for row in before["rows"]] == [1, 2, 3]
    assert before["lamp"] == [(1,)]

    await migrate_url_to(url, command.upgrade, THIS_REVISION)
    assert _snapshot(path) == before
    assert _sequence(path) == [("products", 7)]  # the key's deleted product 7 stays unused
    await migrate_url_to(url, command.upgrade, "head")
    engine = create_engine(Settings(database_url=url))
    try:
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()
    with sqlite3.connect(path) as db, pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE products SET price_minor = -1 WHERE id = 1")

    settings = Settings(database_url=url, auto_migrate=False)
    async with app_with(settings) as app, asgi_client(app) as client:
        created = (await client.post("/api/products", json=body("Paper Lamp"))).json()
        assert created["id"] == 8
        await client.delete(f"/api/products/{created['id']}")
        again = (await client.post("/api/products", json=body("Paper Lamp"))).json()
        assert again["id"] == 9
        found = await client.get("/api/products/search", params={"q": "lamp"})
        assert sorted(p["id"] for p in found.json()["items"]) == [1, 9]
        await client.patch("/api/products/1", json={"title": "Brass Sconce"})
        await client.delete("/api/products/2")
        assert (await client.get("/api/products/search", params={"q": "sconce"})).json()[
            "total"
        ] == 1
        legacy = await client.get("/api/products/search", params={"q": "legacy"})
        assert sorted(p["id"] for p in legacy.json()["items"]) == [1, 3]
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO products_search(products_search) VALUES ('integrity-check')")


async def test_migration_0004_downgrades_and_upgrades_again_keeping_rows(tmp_path: Path) -> None:
    path = tmp_path / "legacy.db"
    url = f"sqlite+aiosqlite:///{path}"
    await _populate_at_previous_revision(url)
    before = _snapshot(path)
    await migrate_url_to(url, command.upgrade, THIS_REVISION)
    await migrate_url_to(url, command.downgrade, PREVIOUS_REVISION)
    assert _snapshot(path) == before
    assert _sequence(path) == []
    with sqlite3.connect(path) as db:
        schema = db.execute("SELECT sql FROM sqlite_master WHERE name = 'products'").fetchone()
    assert "AUTOINCREMENT" not in schema[0]
    await migrate_url_to(url, command.upgrade, THIS_REVISION)
    assert _snapshot(path) == before
    assert _sequence(path) == [("products", 7)]


@pytest.mark.postgres
async def test_postgresql_ids_come_from_a_sequence_that_never_goes_back(
    postgres_url: str,
) -> None:
    engine = create_engine(Settings(database_url=postgres_url))
    try:
        async with engine.connect() as connection:
            default = await connection.scalar(
                text(
                    "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef JOIN pg_attribute "
                    "ON attrelid = adrelid AND attnum = adnum "
                    "WHERE adrelid = 'products'::regclass AND attname = 'id'"
                )
            )
    finally:
        await engine.dispose()
    assert default == "nextval('products_id_seq'::regclass)"
