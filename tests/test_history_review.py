"""Review: agents' products start as drafts, and the list filters by who created them."""

from __future__ import annotations

import pytest

from catalog_api.access.scopes import Scope
from catalog_api.access.service import KeyService
from catalog_api.config import Settings
from catalog_api.db import create_engine, create_session_factory
from tests.conftest import app_with, asgi_client, product_body


async def make_keys(settings: Settings) -> dict[str, str]:
    """Create an agent's write key and an owner's admin key; return their tokens."""
    engine = create_engine(settings)
    try:
        async with create_session_factory(engine)() as session:
            keys = KeyService(session)
            return {
                "agent": (await keys.create("agent", [Scope.WRITE])).token,
                "owner": (await keys.create("owner", [Scope.ADMIN])).token,
            }
    finally:
        await engine.dispose()


@pytest.mark.parametrize("drafts", [True, False], ids=["drafts", "no drafts"])
async def test_agent_products_wait_for_review_as_drafts(settings: Settings, drafts: bool) -> None:
    tokens = await make_keys(settings)
    async with (
        app_with(settings, agent_writes_as_draft=drafts) as app,
        asgi_client(app) as client,
    ):
        by_agent = await client.post(
            "/api/products",
            json=product_body(slug="agent-made", status="active"),
            headers={"X-API-Key": tokens["agent"]},
        )
        by_owner = await client.post(
            "/api/products",
            json=product_body(slug="owner-made", status="active"),
            headers={"X-API-Key": tokens["owner"]},
        )
        assert by_agent.status_code == by_owner.status_code == 201
        assert by_agent.json()["status"] == ("draft" if drafts else "active")
        assert by_owner.json()["status"] == "active"

        waiting = await client.get("/api/products", params={"status": "draft", "actor": "agent"})
        assert [p["slug"] for p in waiting.json()["items"]] == (["agent-made"] if drafts else [])
        by_name = await client.get("/api/products", params={"status": "any", "actor": "owner"})
        assert [p["slug"] for p in by_name.json()["items"]] == ["owner-made"]
        assert by_name.json()["total"] == 1
        nobody = await client.get("/api/products", params={"status": "any", "actor": "nobody"})
        assert nobody.json()["items"] == []
        too_long = await client.get("/api/products", params={"actor": "x" * 81})
        assert too_long.status_code == 422
        assert too_long.json()["errors"][0]["field"] == "actor"
