"""The MCP tools when the API is down, slow or answering garbage: clear errors, no crash."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from mcp import Client
from mcp_types import TextContent

from catalog_mcp.config import McpSettings
from catalog_mcp.server import build_server
from tests.fakes.catalog_api import fake_api
from tests.processes import free_port


@asynccontextmanager
async def remote(api_url: str, deadline: float = 1.0) -> AsyncIterator[Client]:
    """An in-memory client of a server in remote mode."""
    settings = McpSettings(api_url=api_url, api_timeout=deadline, api_connect_timeout=deadline)
    async with Client(build_server(settings), mode="legacy") as client:
        yield client


async def error_text(client: Client, tool: str, arguments: dict[str, object]) -> str:
    """Call a tool that must fail; return its message."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


async def test_api_down_is_a_clear_error_and_the_server_goes_on() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with remote(url) as mcp:
        for _ in range(2):
            message = await error_text(mcp, "list_categories", {})
            assert "unreachable" in message
            assert url in message
        assert len((await mcp.list_tools()).tools) == 12


async def test_slow_api_times_out_within_the_deadline() -> None:
    with fake_api() as url:
        async with remote(url, deadline=0.5) as mcp:
            started = time.monotonic()
            message = await error_text(mcp, "search_products", {"query": "slow"})
            elapsed = time.monotonic() - started
            assert "did not answer within 0.5 s" in message or "timed out" in message
            assert elapsed < 2.0
            ok = await mcp.call_tool("list_categories", {})
            assert not ok.is_error


async def test_garbage_answers_are_clear_errors() -> None:
    with fake_api() as url:
        async with remote(url) as mcp:
            not_json = await error_text(mcp, "list_products", {})
            assert "not JSON" in not_json
            wrong_shape = await error_text(mcp, "get_product", {"id": 1})
            assert "does not understand" in wrong_shape
            server_error = await error_text(mcp, "get_product", {"slug": "x"})
            assert "HTTP 500" in server_error
            ok = await mcp.call_tool("list_categories", {})
            assert ok.structured_content == {
                "counted": "active products only",
                "items": [{"category": "fake", "count": 1}],
            }
