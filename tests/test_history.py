"""Change history: what each write records, in its own transaction, on both databases."""

from __future__ import annotations

import io
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from catalog_api.access.scopes import Scope
from catalog_api.access.service import KeyService
from catalog_api.config import Settings
from catalog_api.db import begin_write, create_engine, create_session_factory
from catalog_api.history.context import acting_as
from catalog_api.history.models import ProductChange
from catalog_api.importer import Importer, parse_jsonl
from catalog_api.models import Product
from tests.conftest import app_with, asgi_client, create, product_body
from tests.test_history_feed import settled


async def history(client: httpx.AsyncClient, product_id: int, **params: Any) -> dict[str, Any]:
    """Return a page of a product's history, asserting a 200."""
    response = await client.get(f"/api/products/{product_id}/history", params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def count_changes(settings: Settings) -> int:
    """Count the rows of product_changes."""
    engine = create_engine(settings)
    try:
        async with create_session_factory(engine)() as session:
            return int(await session.scalar(select(func.count()).select_from(ProductChange)) or 0)
    finally:
        await engine.dispose()


async def test_create_update_stock_and_delete_are_each_recorded(
    client: httpx.AsyncClient,
) -> None:
    product = await create(client, sku="TR-1")
    pid = product["id"]
    patched = await client.patch(
        f"/api/products/{pid}", json={"title": "Trail Runner 2", "tags": ["trail"]}
    )
    assert patched.status_code == 200
    stock = await client.patch(f"/api/products/{pid}/variants/TR-1", json={"stock_quantity": 9})
    assert stock.status_code == 200
    assert (await client.delete(f"/api/products/{pid}")).status_code == 204

    page = await history(client, pid)
    actions = [item["action"] for item in page["items"]]
    assert actions == ["delete", "stock", "update", "create"]
    deleted, moved, updated, created = page["items"]
    assert updated["changes"] == {
        "title": ["Trail Runner Shoes", "Trail Runner 2"],
        "tags": [["running", "trail"], ["trail"]],
    }
    assert moved["changes"] == {"stock_quantity": [5, 9], "variants.TR-1.stock_quantity": [5, 9]}
    assert created["changes"]["title"] == [None, "Trail Runner Shoes"]
    assert created["changes"]["variants.TR-1"][1]["stock_quantity"] == 5
    assert deleted["changes"]["title"] == ["Trail Runner 2", None]
    assert deleted["changes"]["variants.TR-1"] == [
        {
            "position": 0,
            "option_values": {},
            "price_minor": 8999,
            "compare_at_price_minor": None,
            "stock_quantity": 9,
            "barcode": None,
            "weight_grams": None,
        },
        None,
    ]
    assert {item["actor"] for item in page["items"]} == {"anonymous"}
    assert updated["request_id"] == patched.headers["x-request-id"]


async def test_saved_copy_is_a_describe_change(client: httpx.AsyncClient) -> None:
    product = await create(client)
    saved = await client.post(f"/api/products/{product['id']}/describe", params={"save": 1})
    assert saved.status_code == 200
    newest = (await history(client, product["id"]))["items"][0]
    assert newest["action"] == "describe"
    assert set(newest["changes"]) == {"description", "seo_keywords"}


async def test_a_named_key_is_the_actor(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        async with create_session_factory(engine)() as session:
            token = (await KeyService(session).create("shop-agent", [Scope.WRITE])).token
    finally:
        await engine.dispose()
    async with app_with(settings) as app, asgi_client(app) as client:
        headers = {"X-API-Key": token}
        created = await client.post("/api/products", json=product_body(), headers=headers)
        assert created.status_code == 201
        item = (await history(client, created.json()["id"]))["items"][0]
    assert item["actor"] == "shop-agent"
    assert item["request_id"] == created.headers["x-request-id"]


async def test_history_pages_newest_first(client: httpx.AsyncClient) -> None:
    product = await create(client)
    for stock in range(1, 6):
        response = await client.patch(
            f"/api/products/{product['id']}", json={"stock_quantity": stock}
        )
        assert response.status_code == 200
    seen: list[int] = []
    cursor = None
    while True:
        page = await history(
            client, product["id"], limit=2, **({"cursor": cursor} if cursor else {})
        )
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 6
    assert seen == sorted(seen, reverse=True)


async def test_unknown_product_history_is_404_and_bad_cursor_422(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/api/products/4242/history")).status_code == 404
    product = await create(client)
    bad = await client.get(f"/api/products/{product['id']}/history", params={"cursor": "nope"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "cursor"


async def test_a_failed_change_leaves_no_history(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    first = await create(client, slug="first")
    await create(client, slug="second")
    before = await count_changes(settings)
    taken = await client.patch(f"/api/products/{first['id']}", json={"slug": "second"})
    assert taken.status_code == 409
    assert await count_changes(settings) == before

    # Changes flushed (and so gathered for history) but rolled back are not recorded later.
    engine = create_engine(settings)
    try:
        sessions = create_session_factory(engine)
        async with sessions() as session:
            await begin_write(session)
            product = await session.get(Product, first["id"])
            assert product is not None
            product.title = "Rolled back"
            await session.flush()
            await session.rollback()
        async with sessions() as session:
            await begin_write(session)
            product = await session.get(Product, first["id"])
            assert product is not None
            product.category = "boots"
            await session.commit()
    finally:
        await engine.dispose()
    newest = (await history(client, first["id"]))["items"][0]
    assert newest["changes"] == {"category": ["footwear", "boots"]}
    assert await count_changes(settings) == before + 1


async def test_imports_are_recorded_under_the_cli_command(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    lines = "\n".join(
        [
            '{"title": "Mug", "category": "home", "price_minor": 900, "currency": "EUR"}',
            '{"title": "Bowl", "category": "home", "currency": "EUR", '
            '"options": [{"name": "size", "values": ["S", "L"]}], "variants": ['
            '{"option_values": {"size": "S"}, "price_minor": 1200}, '
            '{"option_values": {"size": "L"}, "price_minor": 1500}]}',
        ]
    )
    with acting_as("cli:import"):
        report = await Importer(app.state.session_factory).run(parse_jsonl(io.StringIO(lines)))
    assert report.imported == 2, report.rejected
    feed = (await settled(client, 2))["items"]
    assert [(item["action"], item["actor"]) for item in feed] == [("import", "cli:import")] * 2
    mug = next(item for item in feed if item["changes"]["title"][1] == "Mug")
    assert mug["changes"]["variants.mug"][1]["price_minor"] == 900
    bowl = next(item for item in feed if item["changes"]["title"][1] == "Bowl")
    assert {key for key in bowl["changes"] if key.startswith("variants.")} == {
        "variants.bowl-s",
        "variants.bowl-l",
    }
