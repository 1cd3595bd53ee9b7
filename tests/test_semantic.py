"""Semantic search (issue 15): the three modes, filters on vector results, similar, upkeep."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from catalog_api.config import Settings
from catalog_api.models import Product
from catalog_api.semantic import runtime as semantic_runtime
from catalog_api.semantic import search as semantic_search
from catalog_api.semantic.availability import RUNTIMES
from catalog_api.semantic.runtime import SemanticRuntime
from tests.conftest import app_with, asgi_client, create

pytest.importorskip("wordllama", reason="the semantic extra is not installed")


@pytest.fixture
async def semantic_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app with semantic search on."""
    async with app_with(settings, semantic=True) as app:
        yield app


@pytest.fixture
async def semantic_client(semantic_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app with semantic search on."""
    async with asgi_client(semantic_app) as client:
        yield client


async def settled(app: FastAPI) -> SemanticRuntime:
    """Wait until the embedding worker has embedded every committed change; return it."""
    runtime = RUNTIMES.get(app.state.engine)
    assert runtime is not None
    async with asyncio.timeout(60):
        await runtime.settled()
    return runtime


async def search(client: httpx.AsyncClient, q: str, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/products/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def titles(page: dict[str, Any]) -> list[str]:
    return [item["title"] for item in page["items"]]


async def _shop(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    made = {}
    for title, category, tags in [
        ("Trail Runner Shoes", "outdoor", ["running"]),
        ("Insulated Travel Mug", "kitchen", ["stainless"]),
        ("Espresso Machine", "kitchen", ["barista"]),
        ("Desk Lamp", "office", ["led"]),
        ("Cordless Drill", "tools", ["battery"]),
        ("Garden Hose", "outdoor", ["water"]),
    ]:
        made[title] = await create(
            client, title=title, category=category, tags=tags, description="Sold here."
        )
    return made


async def test_three_modes(semantic_app: FastAPI, semantic_client: httpx.AsyncClient) -> None:
    await _shop(semantic_client)
    await settled(semantic_app)
    lexical = await search(semantic_client, "hiking footwear")
    assert lexical["total"] == 0
    assert lexical == await search(semantic_client, "hiking footwear", mode="lexical")
    meaning = await search(semantic_client, "hiking footwear", mode="semantic")
    assert titles(meaning)[0] == "Trail Runner Shoes"
    assert meaning["total"] == 6
    # The same reading of the words as lexical search: neither word is in the catalog.
    assert meaning["interpretation"] == lexical["interpretation"]
    assert meaning["interpretation"]["unknown"] == ["hiking", "footwear"]
    hybrid = await search(semantic_client, "lamp", mode="hybrid", limit=2)
    assert titles(hybrid)[0] == "Desk Lamp"
    # Hybrid adds the vector side's products to the lexical one's, paged alike.
    assert hybrid["total"] == 6
    seen = titles(hybrid)
    cursor = hybrid["next_cursor"]
    while cursor:
        page = await search(semantic_client, "lamp", mode="hybrid", limit=2, cursor=cursor)
        seen += titles(page)
        cursor = page["next_cursor"]
    assert sorted(seen) == sorted(titles(meaning))
    faceted = await search(semantic_client, "coffee", mode="hybrid", facets="true")
    assert faceted["facets"] is not None
    assert (await search(semantic_client, "coffee", mode="lexical"))["total"] == 0


async def test_filters_apply_to_vector_results(
    semantic_app: FastAPI, semantic_client: httpx.AsyncClient
) -> None:
    await _shop(semantic_client)
    await settled(semantic_app)
    for mode in ("semantic", "hybrid"):
        page = await search(semantic_client, "hiking footwear", mode=mode, category="kitchen")
        assert set(titles(page)) == {"Insulated Travel Mug", "Espresso Machine"}, mode
        page = await search(semantic_client, "keep coffee hot", mode=mode, tag="led")
        assert titles(page) == ["Desk Lamp"], mode


async def test_similar_products_follow_an_update(
    semantic_app: FastAPI, semantic_client: httpx.AsyncClient
) -> None:
    made = await _shop(semantic_client)
    await settled(semantic_app)
    lamp = made["Desk Lamp"]["id"]
    response = await semantic_client.get(f"/api/products/{lamp}/similar", params={"limit": 3})
    assert response.status_code == 200, response.text
    before = response.json()
    assert len(before["items"]) == 3
    assert lamp not in [item["id"] for item in before["items"]]
    hose = made["Garden Hose"]
    assert before["items"][0]["title"] != "Garden Hose"
    patched = await semantic_client.patch(
        f"/api/products/{hose['id']}", json={"title": "LED Desk Lamp Light", "tags": ["led"]}
    )
    assert patched.status_code == 200, patched.text
    await settled(semantic_app)
    after = (await semantic_client.get(f"/api/products/{lamp}/similar")).json()
    assert after["items"][0]["id"] == hose["id"]
    assert after["similarity"][0] > before["similarity"][0]
    filtered = await semantic_client.get(
        f"/api/products/{lamp}/similar", params={"category": "tools"}
    )
    assert [item["title"] for item in filtered.json()["items"]] == ["Cordless Drill"]
    missing = await semantic_client.get("/api/products/999999/similar")
    assert missing.status_code == 404


async def test_a_product_not_yet_embedded_is_found_by_words(
    semantic_app: FastAPI, semantic_client: httpx.AsyncClient
) -> None:
    runtime = RUNTIMES.get(semantic_app.state.engine)
    assert runtime is not None
    await create(semantic_client, title="Walnut Cutting Board", category="kitchen", tags=[])
    # Straight after the commit, before the worker may have run: words find it.
    assert titles(await search(semantic_client, "walnut", mode="hybrid")) == [
        "Walnut Cutting Board"
    ]
    await settled(semantic_app)
    assert "Walnut Cutting Board" in titles(
        await search(semantic_client, "chopping block", mode="semantic")
    )


async def test_deleted_products_leave_the_index(
    semantic_app: FastAPI, semantic_client: httpx.AsyncClient
) -> None:
    made = await _shop(semantic_client)
    await settled(semantic_app)
    gone = made["Desk Lamp"]["id"]
    assert (await semantic_client.delete(f"/api/products/{gone}")).status_code == 204
    await settled(semantic_app)
    runtime = RUNTIMES.get(semantic_app.state.engine)
    assert runtime is not None
    assert gone not in runtime.index
    page = await search(semantic_client, "desk light", mode="semantic")
    assert "Desk Lamp" not in titles(page)
    async with semantic_app.state.engine.connect() as connection:
        left = await connection.scalar(
            text("SELECT count(*) FROM product_embeddings WHERE product_id = :id"), {"id": gone}
        )
    assert left == 0


async def test_selective_filters_rank_the_passing_products_themselves(
    semantic_app: FastAPI, semantic_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = await _shop(semantic_client)
    await settled(semantic_app)
    lamp = made["Desk Lamp"]["id"]
    # As if the nearest allowed were too few to reach the one product the filter passes.
    monkeypatch.setattr(semantic_search, "MAX_VECTOR_CANDIDATES", 1)
    response = await semantic_client.get(
        f"/api/products/{lamp}/similar", params={"category": "tools", "limit": 1}
    )
    assert [item["title"] for item in response.json()["items"]] == ["Cordless Drill"]
    page = await search(semantic_client, "keep coffee hot", mode="semantic", tag="led")
    assert titles(page) == ["Desk Lamp"]


async def test_a_sku_query_in_hybrid_mode_is_answered_by_words(
    semantic_app: FastAPI, semantic_client: httpx.AsyncClient
) -> None:
    await _shop(semantic_client)
    await create(semantic_client, title="Brass Lamp Base", sku="LAMP-BASE-7", tags=[])
    await settled(semantic_app)
    lexical = await search(semantic_client, "LAMP-BASE-7")
    hybrid = await search(semantic_client, "LAMP-BASE-7", mode="hybrid")
    assert titles(hybrid)[0] == "Brass Lamp Base"
    assert titles(hybrid) == titles(lexical)


async def test_products_other_processes_write_are_embedded_at_the_next_sweep(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(semantic_runtime, "SWEEP_SECONDS", 0.2)
    async with app_with(settings, semantic=True) as app, asgi_client(app) as client:
        runtime = RUNTIMES.get(app.state.engine)
        assert runtime is not None
        await create(client, title="Desk Lamp", category="office", tags=[])
        await settled(app)
        # Another process's write: plain SQL, so no commit hook of this one sees it.
        other = create_async_engine(settings.database_url)
        try:
            async with other.begin() as connection:
                await connection.execute(
                    insert(Product).values(
                        slug="garden-hose", title="Garden Hose", category="outdoor",
                        price_minor=100, currency="USD", version=1, status="active",
                    )
                )  # fmt: skip
                new_id = await connection.scalar(
                    select(Product.id).where(Product.slug == "garden-hose")
                )
        finally:
            await other.dispose()
        async with asyncio.timeout(30):
            while new_id not in runtime.index:  # noqa: ASYNC110 - no event for it
                await asyncio.sleep(0.1)
        page = await search(client, "watering the lawn", mode="semantic", category="outdoor")
        assert titles(page) == ["Garden Hose"]
