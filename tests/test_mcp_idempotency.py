"""MCP writes that survive retries and races: idempotent creates, versioned updates."""

from __future__ import annotations

from pathlib import Path

import httpx
from mcp import Client

from catalog_api.config import Settings
from catalog_mcp.config import McpSettings
from catalog_mcp.server import build_server
from tests.fakes.dropping_proxy import dropping_proxy
from tests.processes import clean_env, command, free_port, running
from tests.test_mcp_tools import call, connect, fail, kettle


async def test_a_create_whose_answer_is_lost_is_retried_and_made_once(tmp_path: Path) -> None:
    port = free_port()
    env = clean_env(tmp_path, CATALOG_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'api.db'}")
    url = f"http://127.0.0.1:{port}"
    argv = [*command("catalog-api"), "serve", "--port", str(port)]
    with running(argv, env, f"{url}/api/healthz", tmp_path / "api.log"):
        async with dropping_proxy(port, drop_posts=2) as proxy:
            settings = McpSettings(api_url=f"http://127.0.0.1:{proxy.port}", api_timeout=10)
            async with Client(build_server(settings), mode="legacy") as mcp:
                created = await call(mcp, "create_product", **kettle())
        assert proxy.dropped == 2
        assert proxy.posts == 3
        async with httpx.AsyncClient(base_url=url) as api:
            listed = (await api.get("/api/products")).json()
    assert listed["total"] == 1
    assert listed["items"][0]["id"] == created["id"]


async def test_each_create_call_is_its_own_product(settings: Settings) -> None:
    async with connect(settings) as mcp:
        first = await call(mcp, "create_product", **kettle())
        second = await call(mcp, "create_product", **kettle())
        assert first["id"] != second["id"]
        assert second["slug"] == "copper-kettle-2"


async def test_an_agent_retry_with_its_own_key_is_not_a_duplicate(settings: Settings) -> None:
    async with connect(settings) as mcp:
        key = "agent-call-7f3a"
        first = await call(mcp, "create_product", **kettle(), idempotency_key=key)
        again = await call(mcp, "create_product", **kettle(), idempotency_key=key)
        assert again == first
        message = await fail(
            mcp, "create_product", **kettle(title="Tin Kettle"), idempotency_key=key
        )
        assert "Invalid input: " in message
        assert "idempotency_key was already used for a different request" in message
        assert "Idempotency-Key" not in message
        listed = await call(mcp, "list_products")
        assert listed["total"] == 1
        bad = await fail(mcp, "create_product", **kettle(), idempotency_key="has spaces")
        assert "idempotency_key" in bad


async def test_if_version_refuses_a_change_to_a_newer_product(settings: Settings) -> None:
    async with connect(settings) as mcp:
        product = await call(mcp, "create_product", **kettle())
        pid, version = product["id"], product["version"]
        updated = await call(mcp, "update_product", id=pid, stock_quantity=9, if_version=version)
        assert updated["version"] == version + 1
        stale = await fail(mcp, "update_product", id=pid, stock_quantity=1, if_version=version)
        assert f"if_version {version} is stale: the product is now at version {version + 1}" in (
            stale
        )
        assert "stock_quantity=9" in stale  # the current value of what the agent was changing
        assert f"retry with if_version={version + 1}" in stale
        assert "If-Match" not in stale
        assert (await call(mcp, "get_product", id=pid))["stock_quantity"] == 9
        refused = await fail(mcp, "delete_product", id=pid, if_version=version)
        assert f"is now at version {version + 1}" in refused
        deleted = await call(mcp, "delete_product", id=pid, if_version=version + 1)
        assert deleted["deleted"] is True
