"""MCP: search_products with mode, and similar_products (embedded API, real database)."""

from __future__ import annotations

import asyncio

import pytest
from mcp import Client

from catalog_api.cli import main
from catalog_api.config import Settings
from catalog_mcp.config import McpSettings
from catalog_mcp.server import build_server
from tests.conftest import app_with, asgi_client, create
from tests.mcp_results import ok as call
from tests.mcp_results import text

pytest.importorskip("wordllama", reason="the semantic extra is not installed")


async def _embedded_shop(settings: Settings) -> dict[str, int]:
    ids = {}
    async with app_with(settings) as app, asgi_client(app) as client:
        for title, category in [
            ("Trail Runner Shoes", "outdoor"),
            ("Desk Lamp", "office"),
            ("LED Reading Light", "office"),
            ("Garden Hose", "outdoor"),
        ]:
            ids[title] = (await create(client, title=title, category=category, tags=[]))["id"]

    def embed() -> None:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("CATALOG_DATABASE_URL", settings.database_url)
            assert main(["embed"]) == 0

    await asyncio.to_thread(embed)
    return ids


async def test_mcp_modes_and_similar_products(settings: Settings) -> None:
    ids = await _embedded_shop(settings)
    server = build_server(McpSettings(), api_settings=settings)
    async with Client(server, mode="legacy") as mcp:
        words = await call(mcp, "search_products", query="hiking footwear")
        assert words["total"] == 0
        meaning = await call(mcp, "search_products", query="hiking footwear", mode="semantic")
        assert meaning["items"][0]["title"] == "Trail Runner Shoes"
        hybrid = await call(mcp, "search_products", query="lamp", mode="hybrid", limit=2)
        assert hybrid["items"][0]["title"] == "Desk Lamp"
        similar = await call(mcp, "similar_products", id=ids["Desk Lamp"])
        titles = [item["title"] for item in similar["items"]]
        assert titles[0] == "LED Reading Light"
        assert "Desk Lamp" not in titles
        office = await call(mcp, "similar_products", id=ids["Desk Lamp"], category="outdoor")
        assert {item["title"] for item in office["items"]} == {"Trail Runner Shoes", "Garden Hose"}


async def test_mcp_semantic_mode_off_says_how_to_enable(settings: Settings) -> None:
    async with app_with(settings) as app, asgi_client(app) as client:
        await create(client, title="Desk Lamp")
    server = build_server(McpSettings(), api_settings=settings)
    async with Client(server, mode="legacy") as mcp:
        result = await mcp.call_tool("search_products", {"query": "lamp", "mode": "hybrid"})
        assert result.is_error
        assert "catalog-api embed" in text(result)
        result = await mcp.call_tool("similar_products", {"id": 1})
        assert result.is_error
        assert "catalog-api embed" in text(result)
