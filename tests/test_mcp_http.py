"""Streamable HTTP: bearer token, Host and Origin checks, and the token never reaching the API."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.fakes.catalog_api import fake_api
from tests.fakes.server import RecordedRequest
from tests.processes import clean_env, command, free_port, running

TOKEN = "test-token-5f2a"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "raw-http-test", "version": "1"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture
def mcp_http(tmp_path: Path) -> Iterator[str]:
    """catalog-mcp --http bound to 0.0.0.0 with a token, embedded API on a SQLite file."""
    port = free_port()
    env = clean_env(
        tmp_path,
        CATALOG_MCP_TOKEN=TOKEN,
        CATALOG_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}",
    )
    argv = [*command("catalog-mcp"), "--http", "--host", "0.0.0.0", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with running(argv, env, f"{base}/healthz", tmp_path / "mcp-http.log"):
        yield f"{base}/mcp"


def post(url: str, **headers: str) -> httpx.Response:
    """Send an initialize request with extra headers."""
    return httpx.post(url, json=INITIALIZE, headers={**MCP_HEADERS, **headers}, timeout=10)


def test_requests_without_the_token_get_401(mcp_http: str) -> None:
    missing = post(mcp_http)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert post(mcp_http, Authorization="Bearer wrong").status_code == 401
    assert post(mcp_http, Authorization=TOKEN).status_code == 401
    assert post(mcp_http, Authorization=f"Bearer {TOKEN}").status_code == 200


def test_foreign_origin_and_host_are_refused_even_on_0_0_0_0(mcp_http: str) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert post(mcp_http, Origin="https://evil.example", **auth).status_code == 403
    assert post(mcp_http, Host="evil.example:8001", **auth).status_code == 421
    port = mcp_http.split(":")[2].split("/")[0]
    assert post(mcp_http, Origin=f"http://127.0.0.1:{port}", **auth).status_code == 200
    assert post(mcp_http, Origin=f"http://localhost:{port}", **auth).status_code == 200


async def _call_tools(url: str, token: str | None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        Client(streamable_http_client(url, http_client=http), mode="legacy") as mcp,
    ):
        created = await mcp.call_tool(
            "create_product",
            {"title": "HTTP Kite", "category": "toys", "price_minor": 1500, "currency": "USD"},
        )
        assert not created.is_error, created
        found = await mcp.call_tool("search_products", {"query": "kite", "status": "draft"})
        assert found.structured_content is not None
        return found.structured_content


async def test_tools_over_streamable_http_with_the_token(mcp_http: str) -> None:
    found = await _call_tools(mcp_http, TOKEN)
    assert found["total"] == 1
    assert found["items"][0]["title"] == "HTTP Kite"
    assert found["items"][0]["status"] == "draft"


async def test_tools_over_streamable_http_without_the_token_fail(mcp_http: str) -> None:
    with pytest.raises(BaseException) as raised:  # noqa: PT011
        await _call_tools(mcp_http, None)
    assert "Server returned an error response" in _messages(raised.value)


def _messages(error: BaseException) -> str:
    """Join the messages of an exception and everything grouped or chained under it."""
    parts = [repr(error)]
    if isinstance(error, BaseExceptionGroup):
        parts += [_messages(inner) for inner in error.exceptions]
    if error.__cause__ is not None:
        parts.append(_messages(error.__cause__))
    return " ".join(parts)


async def test_the_inbound_token_is_not_forwarded_to_the_api(tmp_path: Path) -> None:
    port = free_port()
    requests: list[RecordedRequest] = []
    with fake_api(record=requests) as api_url:
        env = clean_env(
            tmp_path, CATALOG_MCP_TOKEN=TOKEN, CATALOG_API_URL=api_url, CATALOG_API_KEY="api-key-1"
        )
        argv = [*command("catalog-mcp"), "--http", "--port", str(port)]
        base = f"http://127.0.0.1:{port}"
        with running(argv, env, f"{base}/healthz", tmp_path / "mcp-http.log"):
            async with (
                httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http,
                Client(
                    streamable_http_client(f"{base}/mcp", http_client=http), mode="legacy"
                ) as mcp,
            ):
                result = await mcp.call_tool("list_categories", {})
                assert not result.is_error
    assert requests, "the API was never called"
    for headers in (request.headers for request in requests):
        assert "authorization" not in headers
        assert TOKEN not in str(headers)
        assert headers["x-api-key"] == "api-key-1"


def test_whitespace_around_a_routing_header_value_is_not_part_of_it(mcp_http: str) -> None:
    """RFC 9110 5.5: `Mcp-Name:  search_products ` names search_products (SEP-2243 headers)."""
    version = "2026-07-28"
    body = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {
            "name": "search_products",
            "arguments": {"query": "lamp"},
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": version,
                "io.modelcontextprotocol/clientInfo": {"name": "raw-http-test", "version": "1"},
                "io.modelcontextprotocol/clientCapabilities": {},
            },
        },
    }
    url = httpx.URL(mcp_http)
    connection = http.client.HTTPConnection(url.host, url.port, timeout=10)
    try:
        replies = {}
        for name in ("  search_products  ", "search_products", " list_products "):
            connection.request(
                "POST",
                url.path,
                body=json.dumps(body),
                headers={
                    **MCP_HEADERS,
                    "Authorization": f"Bearer {TOKEN}",
                    "MCP-Protocol-Version": version,
                    "Mcp-Method": "tools/call",
                    "Mcp-Name": name,
                },
            )
            response = connection.getresponse()
            replies[name] = (response.status, json.loads(response.read()))
    finally:
        connection.close()
    status, reply = replies["  search_products  "]
    assert (status, reply.get("error")) == (200, None), reply
    assert replies["search_products"][0] == 200
    status, reply = replies[" list_products "]
    assert status == 400  # a name that still differs once trimmed is refused
    assert reply["error"]["code"] == -32020
