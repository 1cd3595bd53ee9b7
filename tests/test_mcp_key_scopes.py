"""The MCP server offers the tools its key may use; the API refuses the rest anyway."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from catalog_api.access.scopes import Scope
from catalog_api.access.service import KeyService
from catalog_api.config import Settings
from catalog_api.db import create_engine, create_session_factory
from catalog_api.migrate import upgrade
from catalog_mcp.config import McpSettings
from catalog_mcp.server import build_server
from tests.processes import clean_env, command, sqlite_url

READ_TOOLS = {
    "search_products",
    "list_products",
    "get_product",
    "list_categories",
    "similar_products",
    "product_history",
}
WRITE_TOOLS = {
    "create_product",
    "update_product",
    "delete_product",
    "set_variant_stock",
    "undo_change",
}


async def _token(settings: Settings, name: str, scopes: list[Scope]) -> str:
    engine = create_engine(settings)
    try:
        async with create_session_factory(engine)() as session:
            return (await KeyService(session).create(name, scopes)).token
    finally:
        await engine.dispose()


async def _tools(settings: Settings, token: str | None) -> set[str]:
    server = build_server(McpSettings(api_key=token), api_settings=settings)
    async with Client(server, mode="legacy") as client:
        return {tool.name for tool in (await client.list_tools()).tools}


@pytest.mark.parametrize(
    ("scopes", "offered"),
    [
        ([Scope.READ], READ_TOOLS),
        ([Scope.WRITE], READ_TOOLS | WRITE_TOOLS),
        ([Scope.DESCRIBE], READ_TOOLS | {"describe_product"}),
        ([Scope.ADMIN], READ_TOOLS | WRITE_TOOLS | {"describe_product"}),
    ],
    ids=["read", "write", "describe", "admin"],
)
async def test_a_key_gets_the_tools_of_its_scopes(
    settings: Settings, scopes: list[Scope], offered: set[str]
) -> None:
    token = await _token(settings, "agent", scopes)
    assert await _tools(settings, token) == offered


async def test_without_a_key_a_keyed_catalog_offers_reading_only(settings: Settings) -> None:
    await _token(settings, "someone", [Scope.WRITE])
    assert await _tools(settings, None) == READ_TOOLS
    # A catalog with no key at all takes writes from anyone, as before keys existed.


async def test_a_catalog_without_keys_offers_every_tool(settings: Settings) -> None:
    assert await _tools(settings, None) == READ_TOOLS | WRITE_TOOLS | {"describe_product"}


@asynccontextmanager
async def stdio_with_key(tmp_path: Path, name: str, scopes: list[Scope]) -> AsyncIterator[Client]:
    """Run catalog-mcp over stdio on a new embedded catalog, with a new key of these scopes."""
    database = sqlite_url(tmp_path / "catalog.db")
    api_settings = Settings(database_url=database)
    engine = create_engine(api_settings)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    token = await _token(api_settings, name, scopes)
    env = clean_env(tmp_path, CATALOG_DATABASE_URL=database, CATALOG_MCP_API_KEY=token)
    argv = command("catalog-mcp")
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=env)
    with (tmp_path / "mcp.log").open("a") as log:
        async with Client(stdio_client(params, errlog=log), mode="legacy") as client:
            yield client


async def test_over_stdio_a_read_only_key_lists_no_write_tools(tmp_path: Path) -> None:
    async with stdio_with_key(tmp_path, "reader", [Scope.READ]) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        refused = await client.call_tool("create_product", {"title": "x"})
    assert names == READ_TOOLS
    assert refused.is_error
    assert "key 'reader': read; tools left out" in (tmp_path / "mcp.log").read_text()
