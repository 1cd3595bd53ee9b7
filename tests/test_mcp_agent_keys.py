"""Over streamable HTTP, each agent's bearer token is its own catalog API key, forwarded."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from catalog_api.access.scopes import Scope
from catalog_api.config import Settings
from catalog_mcp.agent_keys.door import AgentKeys
from catalog_mcp.config import McpSettings
from catalog_mcp.connection import open_catalog
from tests.mcp_results import ok, text
from tests.processes import clean_env, command, free_port, running
from tests.test_mcp_http import INITIALIZE, MCP_HEADERS, TOKEN, post
from tests.test_mcp_key_scopes import READ_TOOLS, WRITE_TOOLS, _token


async def _keys(settings: Settings) -> dict[str, str]:
    return {
        "writer-a": await _token(settings, "writer-a", [Scope.WRITE]),
        "writer-b": await _token(settings, "writer-b", [Scope.WRITE]),
        "reader": await _token(settings, "reader", [Scope.READ]),
    }


@pytest.fixture
def remote(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str, dict[str, str]]]:
    """A catalog-api process and a catalog-mcp --http process taking agents' keys."""
    keys = asyncio.run(_keys(Settings(database_url=database_url, auto_migrate=False)))
    api_port, mcp_port = free_port(), free_port()
    api = f"http://127.0.0.1:{api_port}"
    api_env = clean_env(tmp_path, CATALOG_DATABASE_URL=database_url)
    mcp_env = clean_env(
        tmp_path,
        CATALOG_API_URL=api,
        CATALOG_MCP_ACCEPT_API_KEYS="true",
        CATALOG_MCP_TOKEN=TOKEN,
    )
    base = f"http://127.0.0.1:{mcp_port}"
    with (
        running(
            [*command("catalog-api"), "serve", "--port", str(api_port)],
            api_env,
            f"{api}/api/healthz",
            tmp_path / "api.log",
        ),
        running(
            [*command("catalog-mcp"), "--http", "--port", str(mcp_port)],
            mcp_env,
            f"{base}/healthz",
            tmp_path / "mcp.log",
        ),
    ):
        yield api, f"{base}/mcp", keys


def _session(url: str, token: str) -> tuple[httpx2.AsyncClient, Client]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
    return http, Client(streamable_http_client(url, http_client=http), mode="legacy")


def _kite(title: str) -> dict[str, Any]:
    return {"title": title, "category": "toys", "price_minor": 1500, "currency": "USD"}


def _actors(api: str, token: str, product_id: int) -> list[tuple[str, str]]:
    history = httpx.get(
        f"{api}/api/products/{product_id}/history", headers={"X-API-Key": token}, timeout=10
    )
    assert history.status_code == 200, history.text
    return [(change["action"], change["actor"]) for change in history.json()["items"]]


async def test_each_agent_acts_under_its_own_key(remote: tuple[str, str, dict[str, str]]) -> None:
    api, url, keys = remote
    http, mcp = _session(url, keys["writer-a"])
    async with http, mcp:
        writer_tools = {tool.name for tool in (await mcp.list_tools()).tools}
        created = await ok(mcp, "create_product", **_kite("Writer Kite"))
    http, mcp = _session(url, keys["reader"])
    async with http, mcp:
        reader_tools = {tool.name for tool in (await mcp.list_tools()).tools}
        refused = await mcp.call_tool("create_product", _kite("Reader Kite"))
        found = await ok(mcp, "search_products", query="kite", status="draft")
    assert writer_tools == READ_TOOLS | WRITE_TOOLS
    assert reader_tools == READ_TOOLS
    assert _actors(api, keys["reader"], created["id"]) == [("create", "writer-a")]
    assert refused.is_error
    assert "HTTP 403" in text(refused)
    assert [item["title"] for item in found["items"]] == ["Writer Kite"]


async def test_the_shared_token_still_uses_the_servers_own_key(
    remote: tuple[str, str, dict[str, str]],
) -> None:
    _, url, _ = remote
    http, mcp = _session(url, TOKEN)
    async with http, mcp:
        tools = {tool.name for tool in (await mcp.list_tools()).tools}
        refused = await mcp.call_tool("create_product", _kite("Shared Kite"))
    # The server has no key of its own; on a catalog with keys that means reading only.
    assert tools == READ_TOOLS
    assert refused.is_error


def test_a_wrong_key_is_refused_at_the_door(remote: tuple[str, str, dict[str, str]]) -> None:
    _, url, keys = remote
    wrong = post(url, Authorization=f"Bearer {keys['reader'][:-2]}xx")
    missing = post(url)
    assert (wrong.status_code, missing.status_code) == (401, 401)
    assert wrong.headers["www-authenticate"] == 'Bearer realm="catalog-mcp", error="invalid_token"'
    assert missing.headers["www-authenticate"] == 'Bearer realm="catalog-mcp"'
    assert post(url, Authorization=f"Bearer {keys['reader']}").status_code == 200
    assert post(url, Authorization=keys["reader"]).status_code == 401
    assert MCP_HEADERS  # the same initialize request as the shared-token tests


async def test_a_guessing_client_is_stopped_at_the_door_not_the_other_agents(
    remote: tuple[str, str, dict[str, str]],
) -> None:
    _, url, keys = remote
    # More wrong keys than the API takes from one address (10 a minute): had they reached it,
    # it would refuse every agent's key, since to the API they all come from this server.
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    async with httpx.AsyncClient(transport=transport, timeout=10) as guesser:
        answers = [
            await guesser.post(
                url,
                json=INITIALIZE,
                headers={**MCP_HEADERS, "Authorization": f"Bearer cat_guess{n}"},
            )
            for n in range(12)
        ]
    assert [answer.status_code for answer in answers] == [401] * 5 + [429] * 7
    assert int(answers[-1].headers["retry-after"]) >= 1
    http, mcp = _session(url, keys["writer-b"])
    async with http, mcp:
        created = await ok(mcp, "create_product", **_kite("Unbothered Kite"))
    assert created["title"] == "Unbothered Kite"


async def test_concurrent_agents_never_mix_keys(remote: tuple[str, str, dict[str, str]]) -> None:
    api, url, keys = remote
    rounds = 8

    async def agent(name: str) -> list[Any]:
        http, mcp = _session(url, keys[name])
        async with http, mcp:
            return list(
                await asyncio.gather(
                    *(mcp.call_tool("create_product", _kite(f"{name} {n}")) for n in range(rounds))
                )
            )

    results = dict(
        zip(
            ["writer-a", "writer-b", "reader"],
            await asyncio.gather(agent("writer-a"), agent("writer-b"), agent("reader")),
            strict=True,
        )
    )
    assert all(result.is_error and "HTTP 403" in text(result) for result in results["reader"])
    for name in ("writer-a", "writer-b"):
        for n, result in enumerate(results[name]):
            assert not result.is_error, text(result)
            assert result.structured_content is not None
            assert result.structured_content["title"] == f"{name} {n}"
            assert _actors(api, keys["reader"], result.structured_content["id"]) == [
                ("create", name)
            ]


async def test_a_key_check_is_remembered_briefly_and_the_memory_is_bounded(
    settings: Settings,
) -> None:
    keys = await _keys(settings)
    agent_keys = AgentKeys(cache_seconds=60, wrong_per_minute=5, cache_size=2)
    async with open_catalog(McpSettings(), settings) as client:
        agent_keys.client = client
        first = await agent_keys.identify(keys["writer-a"])
        again = await agent_keys.identify(keys["writer-a"])
        wrong = await agent_keys.identify("cat_not-a-key")
        assert await agent_keys.identify("cat_not-a-key") is None
        checks_so_far = agent_keys.api_checks
        await agent_keys.identify(keys["reader"])  # a third key: the oldest is forgotten
        await agent_keys.identify(keys["writer-a"])
    assert first is not None
    assert again == first
    assert (first.name, first.scopes) == ("writer-a", frozenset({"read", "write"}))
    assert wrong is None
    assert checks_so_far == 2
    assert agent_keys.api_checks == 4
    assert keys["writer-a"] not in repr(first)
