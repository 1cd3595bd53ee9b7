"""Search results as a whole: paging, facets, the candidate bound, writes, imports and MCP."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert

from catalog_api.cli import main
from catalog_api.config import Settings
from catalog_api.db import create_engine
from catalog_api.models import Product, ProductStatus, utcnow
from catalog_api.search.engine import CANDIDATES
from tests.conftest import app_with, asgi_client
from tests.test_mcp_tools import call, connect, kettle
from tests.test_search_reading import add_product, search_page, titles


async def _pages(client: httpx.AsyncClient, q: str, limit: int, **params: Any) -> list[int]:
    """Follow next_cursor from the first page to the last; return the ids in order."""
    seen: list[int] = []
    cursor = None
    for _ in range(50):
        extra: dict[str, str] = {"cursor": cursor} if cursor else {}
        page = await search_page(client, q, limit=limit, **params, **extra)
        seen.extend(product["id"] for product in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError(f"paging did not end: {seen}")


async def _garden_catalog(client: httpx.AsyncClient) -> dict[str, int]:
    specs = [
        ("Brass Hose Nozzle", "hose nozzle brass", 2500),
        ("Brass Hose Nozzle", "hose nozzle brass", 1500),  # the same text: a tie on score
        ("Pistol Hose Nozzle", "brass fittings", 900),
        ("Garden Hose 50 ft.", "rubber", 4000),
        ("Garden Hose 25 ft.", "rubber", 3000),
        ("Brass Tap Connector", "", 700),
        ("Nozzle Cleaning Kit", "", 300),
        ("Brass Bell", "", 1200),
        ("Hose Reel", "holds a hose", 5000),
    ]
    ids: dict[str, int] = {}
    for number, (title, description, price) in enumerate(specs):
        ids[f"{title} #{number}"] = await add_product(
            client, title, description=description, price_minor=price, category="garden"
        )
    return ids


async def test_relevance_pages_visit_every_result_once_in_the_one_page_order(
    client: httpx.AsyncClient,
) -> None:
    await _garden_catalog(client)
    whole = await search_page(client, "brass hose nozzle", limit=100)
    assert whole["total"] == 9
    assert whole["next_cursor"] is None
    in_one = [product["id"] for product in whole["items"]]
    assert await _pages(client, "brass hose nozzle", 2) == in_one
    assert await _pages(client, "brass hose nozzle", 1) == in_one
    ascending = await _pages(client, "brass hose nozzle", 2, order="asc")
    assert ascending == in_one[::-1]


async def test_price_pages_list_the_products_with_the_most_words(
    client: httpx.AsyncClient,
) -> None:
    ids = await _garden_catalog(client)
    every_word = [
        ids["Pistol Hose Nozzle #2"],
        ids["Brass Hose Nozzle #1"],
        ids["Brass Hose Nozzle #0"],
    ]
    paged = await _pages(client, "brass hose nozzle", 2, sort="price")
    assert paged == every_word
    first = await search_page(client, "brass hose nozzle", sort="price", limit=100)
    assert first["total"] == 3
    assert [product["price_minor"] for product in first["items"]] == [900, 1500, 2500]
    assert (
        await _pages(client, "brass hose nozzle", 2, sort="price", order="desc")
        == (every_word[::-1])
    )


async def test_search_facets_count_the_ranked_results(client: httpx.AsyncClient) -> None:
    await add_product(client, "Reading Lamp", category="lighting", tags=("desk",), price_minor=2000)
    await add_product(client, "Floor Lamp", category="lighting", tags=("floor",), price_minor=6000)
    await add_product(client, "Lamp Oil", category="fuel", price_minor=500)
    await add_product(
        client, "Reading Glasses", category="optics", tags=("desk",), price_minor=1500
    )
    await add_product(client, "Garden Chair", category="garden", price_minor=4000)
    page = await search_page(client, "reading lamp", facets="true")
    facets = page["facets"]
    assert page["total"] == 4
    assert facets["category"] == {"lighting": 2, "fuel": 1, "optics": 1}
    assert facets["tag"] == {"desk": 2, "floor": 1}
    assert facets["status"] == {"active": 4}
    assert facets["counted"] == page["total"]
    assert facets["complete"] is page["total_is_exact"] is True
    assert sum(band["count"] for band in facets["price"]) == 4
    narrowed = await search_page(client, "reading lamp", facets="true", category="lighting")
    assert narrowed["facets"]["category"] == {"lighting": 2}
    assert narrowed["total"] == 2
    assert (await search_page(client, "reading lamp"))["facets"] is None


async def test_a_search_past_its_bound_says_its_total_and_facets_are_not_exact(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "slug": f"lamp-{n}", "title": f"Lamp {n}", "description": "", "tags": [],
            "category": "lighting" if n % 2 else "garden", "price_minor": 100 + n,
            "currency": "USD", "stock_quantity": 1, "status": ProductStatus.ACTIVE,
            "attributes": {}, "image_urls": [], "seo_keywords": [],
            "created_at": now, "updated_at": now, "version": 1,
        }
        for n in range(CANDIDATES + 100)
    ]  # fmt: skip
    engine = create_engine(settings)
    try:
        async with engine.begin() as connection:
            await connection.execute(insert(Product), rows)
    finally:
        await engine.dispose()
    page = await search_page(client, "lamp", facets="true", limit=5)
    assert page["total_is_exact"] is False
    assert page["facets"]["complete"] is False
    assert page["facets"]["counted"] == page["total"] >= CANDIDATES
    assert sum(page["facets"]["category"].values()) == page["total"]
    assert page["interpretation"]["missing"] == []


async def test_writes_are_seen_by_the_next_search(client: httpx.AsyncClient) -> None:
    await add_product(client, "Hot Air Balloon", category="toys")
    await search_page(client, "balloon")  # the vocabulary is loaded before the writes below
    product_id = await add_product(client, "Zeppelin Kite", category="toys")
    assert [p["id"] for p in (await search_page(client, "zeppelin"))["items"]] == [product_id]
    response = await client.patch(f"/api/products/{product_id}", json={"title": "Blimp Kite"})
    assert response.status_code == 200, response.text
    assert (await search_page(client, "zeppelin"))["total"] == 0
    assert [p["id"] for p in (await search_page(client, "blimp"))["items"]] == [product_id]
    assert (await client.delete(f"/api/products/{product_id}")).status_code == 204
    assert (await search_page(client, "blimp"))["total"] == 0
    assert (await search_page(client, "kite"))["total"] == 0
    assert (await search_page(client, "balloon"))["total"] == 1


def test_imported_products_are_searchable(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CATALOG_DATABASE_URL", database_url)
    path = tmp_path / "products.csv"
    path.write_text(
        "title,category,price,currency,description\n"
        "Close-Coupled Toilet,bathroom,199.00,USD,Two-piece bowl\n"
        "Charlotte Pipe 1/2 in. x 10 ft. PVC Pipe,plumbing,4.50,USD,Schedule 40\n"
        "Deck Over Paint,paint,39.00,USD,Covers old boards\n",
        encoding="utf-8",
    )
    assert main(["import", str(path)]) == 0

    async def searched(q: str) -> dict[str, Any]:
        async with (
            app_with(Settings(database_url=database_url)) as app,
            asgi_client(app) as client,
        ):
            return await search_page(client, q)

    toilet = asyncio.run(searched("toliet"))
    assert titles(toilet) == ["Close-Coupled Toilet"]
    pipe = asyncio.run(searched('1/2" pvc'))
    assert titles(pipe) == ["Charlotte Pipe 1/2 in. x 10 ft. PVC Pipe"]
    deck = asyncio.run(searched("deckover"))
    assert titles(deck) == ["Deck Over Paint"]


async def test_mcp_search_says_how_it_read_the_query(settings: Settings) -> None:
    seat = kettle(title="Toilet Seat", category="bath", description="Soft close.", tags=[])
    async with connect(settings) as mcp:
        await call(mcp, "create_product", **seat)
        await call(mcp, "create_product", **kettle())
        misspelt = await call(mcp, "search_products", query="toliet seat")
        assert [p["title"] for p in misspelt["items"]] == ["Toilet Seat"]
        assert "toliet -> toilet" in misspelt["read_as"]
        plain = await call(mcp, "search_products", query="copper kettle")
        assert [p["title"] for p in plain["items"]] == ["Copper Kettle"]
        assert plain.get("read_as") is None
        partial = await call(mcp, "search_products", query="copper seat qzxvwk")
        assert "'qzxvwk'" in partial["read_as"]
        assert "lack" in partial["read_as"]
