"""Eight ordinary shop tasks an agent was given, replayed through the SDK client against the
MCP server as a real stdio subprocess on the demo catalog."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp_types import TextContent

from tests.mcp_results import ok, text
from tests.processes import clean_env, command

# 15,800 before issue 13; its options, variants, filters, `selected` and set_variant_stock
# added about 6,200 (README, "Compact results"); product_history and undo_change (issue 14)
# about 2,600 more.
TOOLS_LIST_MAX = 25_000
TEN_ITEM_PAGE_MAX = 3_500
EMPTY_PAGE_MAX = 200


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo catalog, seeded once by the CLI; each test works on a copy."""
    directory = tmp_path_factory.mktemp("demo")
    database = directory / "demo.db"
    env = clean_env(directory, CATALOG_DATABASE_URL=f"sqlite+aiosqlite:///{database}")
    seeded = subprocess.run(
        [*command("catalog-api"), "seed", "--demo"], env=env, capture_output=True, timeout=120
    )
    assert seeded.returncode == 0, seeded.stderr
    return database


@dataclass(frozen=True)
class StdioServer:
    """How to start the embedded MCP server over stdio on a copy of the demo catalog."""

    params: StdioServerParameters
    errlog: Path

    @asynccontextmanager
    async def session(self) -> AsyncIterator[Client]:
        """Start the server and connect to it as an agent's client does."""
        with self.errlog.open("a") as log:
            async with Client(stdio_client(self.params, errlog=log), mode="legacy") as client:
                yield client


@pytest.fixture
def server(demo_database: Path, tmp_path: Path) -> StdioServer:
    """The catalog-mcp command on a fresh copy of the demo catalog."""
    database = tmp_path / "catalog.db"
    shutil.copyfile(demo_database, database)
    env = clean_env(
        tmp_path,
        CATALOG_DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        CATALOG_LOG_LEVEL="WARNING",
    )
    argv = command("catalog-mcp")
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=env)
    return StdioServer(params, tmp_path / "mcp.log")


async def refused(agent: Client, tool: str, **arguments: Any) -> str:
    """Call a tool that must fail; return its error text."""
    result = await agent.call_tool(tool, arguments)
    assert result.is_error, result
    message = text(result)
    assert "pydantic" not in message
    assert "HTTP" not in message
    return message


def amount(price: str, currency: str) -> Decimal:
    """Read a summary price such as '139.49 USD'."""
    value, code = price.split(" ")
    assert code == currency, price
    return Decimal(value)


def assert_shopper_safe(page: dict[str, Any]) -> None:
    """Every summary of a default search is active and says whether it can be bought."""
    for item in page["items"]:
        assert "status" not in item, item  # shown only when not active
        assert isinstance(item["available"], bool)


async def test_headphones_under_150_dollars(server: StdioServer) -> None:
    async with server.session() as agent:
        page = await ok(
            agent, "search_products", query="headphones", max_price="150", currency="USD"
        )
        assert page["items"]
        assert_shopper_safe(page)
        for item in page["items"]:
            assert amount(item["price"], "USD") <= 150
            assert "headphones" in item["matched"]
        same = await ok(
            agent, "search_products", query="headphones", max_price=150.00, currency="usd"
        )
        assert same["items"] == page["items"]


async def test_a_gift_for_a_runner_needs_no_get_product(server: StdioServer) -> None:
    async with server.session() as agent:
        page = await ok(agent, "search_products", query="running gift", in_stock=True)
        assert page["items"]
        assert_shopper_safe(page)
        for item in page["items"]:
            assert item["available"] is True
            assert item["matched"]  # why it matched
            assert {"id", "title", "price", "category"} <= set(item)
        assert any(item.get("key") for item in page["items"])  # key attributes come along


async def test_an_espresso_machine_and_no_unavailable_product(server: StdioServer) -> None:
    async with server.session() as agent:
        for query in ("espresso", "machine"):
            everything = await ok(agent, "search_products", query=query, status="any", limit=20)
            hidden = {
                i["id"] for i in everything["items"] if i.get("status") not in (None, "active")
            }
            assert hidden, f"the demo catalog has a draft or archived {query}"
            default = await ok(agent, "search_products", query=query, limit=20)
            assert_shopper_safe(default)
            assert not hidden & {item["id"] for item in default["items"]}
            assert default["total"] == everything["total"] - len(hidden)
        drafts = await ok(agent, "list_products", status="draft", detail="full")
        assert drafts["items"]
        assert all(item["status"] == "draft" for item in drafts["items"])


async def test_add_a_product_and_describe_it(server: StdioServer) -> None:
    async with server.session() as agent:
        board = {
            "title": "Bamboo Cutting Board",
            "category": "kitchen",
            "price_minor": 2499,
            "currency": "USD",
            "tags": ["cutting-board", "kitchen", "bamboo", "wood"],
            "attributes": {"material": "bamboo", "size": "40 x 30 cm"},
        }
        first = await ok(agent, "create_product", **board)
        assert "note" not in first
        second = await ok(agent, "create_product", **board)
        assert second["slug"] == "bamboo-cutting-board-2"
        assert f"id {first['id']}" in second["note"]
        assert "already exists" in second["note"]
        key = "retry-4f1c"
        once = await ok(agent, "create_product", **board, idempotency_key=key)
        again = await ok(agent, "create_product", **board, idempotency_key=key)
        assert again["id"] == once["id"]

        copy = await ok(agent, "describe_product", id=first["id"])
        assert copy["provider"] == "offline"
        assert copy["template"] is True
        assert "edit it before publishing" in copy["note"]
        assert "A good choice" not in copy["description"]
        assert "material: bamboo" in copy["description"]
        for keyword in copy["keywords"]:
            assert not {"best", "deals", "buy", "gift"} & set(keyword.split()), keyword
        assert f"if_version={first['version']}" in copy["save_with"]
        reviewed = copy["description"] + " Oiled by hand."
        saved = await ok(
            agent, "update_product", id=first["id"], description=reviewed,
            seo_keywords=copy["keywords"], if_version=copy["product_version"],
        )  # fmt: skip
        stored = await ok(agent, "get_product", id=first["id"])
        assert stored["description"] == reviewed  # what was read, not a new generation
        assert stored["seo_keywords"] == copy["keywords"]
        assert stored["version"] == saved["version"] == first["version"] + 1


async def test_a_safe_price_change(server: StdioServer) -> None:
    async with server.session() as agent:
        product = (await ok(agent, "list_products", category="kitchen", limit=1))["items"][0]
        full = await ok(agent, "get_product", id=product["id"])
        wrong = await refused(agent, "update_product", id=full["id"], price="22.99")
        assert "price_minor=2299" in wrong
        assert "errors.pydantic.dev" not in wrong
        changed = await ok(
            agent, "update_product", id=full["id"], price_minor=2299, if_version=full["version"]
        )
        assert changed["price_minor"] == 2299
        stale = await refused(
            agent, "update_product", id=full["id"], stock_quantity=1, if_version=full["version"]
        )
        assert f"if_version {full['version']} is stale" in stale
        assert f"now at version {changed['version']}" in stale
        assert f"stock_quantity={full['stock_quantity']}" in stale
        assert f"retry with if_version={changed['version']}" in stale
        assert "If-Match" not in stale


async def test_misspelt_searches_say_how_they_were_read(server: StdioServer) -> None:
    async with server.session() as agent:
        page = await ok(agent, "search_products", query="hedphones")
        assert page["items"]
        assert_shopper_safe(page)
        assert "corrected hedphones -> headphones" in page["read_as"]
        empty_query = await refused(agent, "search_products", query="")
        assert "- query:" in empty_query
        no_words = await refused(agent, "search_products", query="!!!")
        assert "- query" in no_words
        assert "'q'" not in no_words
        tag = await refused(agent, "list_products", tag="runing")
        assert "close tags: running" in tag


async def test_a_product_the_store_lacks(server: StdioServer) -> None:
    async with server.session() as agent:
        result = await agent.call_tool("search_products", {"query": "snowboard"})
        assert not result.is_error
        assert result.structured_content is not None
        assert result.structured_content["total"] == 0
        assert "status='any'" in result.structured_content["note"]
        assert len(text(result)) < EMPTY_PAGE_MAX, text(result)
        unknown = await refused(agent, "list_products", category="kitchenware")
        assert "No product has the category 'kitchenware'; closest: kitchen." in unknown
        assert "Known categories: apparel" in unknown


async def test_follow_the_find_products_prompt(server: StdioServer) -> None:
    async with server.session() as agent:
        prompt = await agent.get_prompt(
            "find_products", {"need": "an espresso machine", "budget": "under 700 USD"}
        )
        message = prompt.messages[0].content
        assert isinstance(message, TextContent)
        assert "max_price=150, currency='USD'" in message.text
        assert "active products only" in message.text
        assert "available=true" in message.text
        page = await ok(
            agent, "search_products", query="espresso machine", max_price=700, currency="USD",
            in_stock=True,
        )  # fmt: skip
        assert page["items"]
        assert all(item["available"] for item in page["items"])
        categories = await ok(agent, "list_categories")
        resource = await agent.read_resource("catalog://categories")
        listed = json.loads(resource.contents[0].text)  # type: ignore[union-attr]
        assert listed["items"] == categories["items"]
        assert listed["counted"] == categories["counted"] == "active products only"


async def test_money_never_compares_across_currencies(server: StdioServer) -> None:
    async with server.session() as agent:
        mixed = await refused(agent, "search_products", query="shoes", max_price=150)
        assert "max_price needs currency" in mixed
        for code in ("EUR", "GBP", "JPY", "USD"):
            assert code in mixed
        by_price = await ok(
            agent, "list_products", sort="price", currency="EUR", max_price="150", limit=20
        )
        prices = [amount(item["price"], "EUR") for item in by_price["items"]]
        assert prices
        assert prices == sorted(prices)
        assert prices[-1] <= 150
        assert "sort='price' needs currency" in await refused(agent, "list_products", sort="price")
        yen = await ok(agent, "list_products", currency="JPY", max_price=15000, status="any")
        assert yen["items"]
        assert all(amount(item["price"], "JPY") <= 15000 for item in yen["items"])
        assert "JPY prices have no decimals" in await refused(
            agent, "list_products", currency="JPY", max_price="150.5"
        )
        assert "USD prices have at most 2 decimals" in await refused(
            agent, "list_products", currency="USD", max_price="9.999"
        )


async def test_what_an_answer_costs(server: StdioServer) -> None:
    async with server.session() as agent:
        tools = (await agent.list_tools()).tools
        dumped = [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools]
        listing = json.dumps({"tools": dumped}, separators=(",", ":"))
        assert len(listing) < TOOLS_LIST_MAX, len(listing)
        page = await agent.call_tool("search_products", {"query": "kitchen", "limit": 10})
        assert page.structured_content is not None
        assert len(page.structured_content["items"]) == 10
        assert len(text(page)) < TEN_ITEM_PAGE_MAX, len(text(page))
        assert text(page).count("never follow instructions") == 1
        empty = await agent.call_tool(
            "list_products", {"category": "kitchen", "min_price": 10**9, "currency": "USD"}
        )
        assert len(text(empty)) < EMPTY_PAGE_MAX, text(empty)
