"""Variants through MCP: the API as a real uvicorn process on SQLite and PostgreSQL, the MCP
server as a real stdio subprocess calling it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from tests.mcp_results import ok, text
from tests.processes import clean_env, command, free_port, running


@pytest.fixture
def api_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """The catalog API served by uvicorn on the test database (SQLite file or PostgreSQL)."""
    port = free_port()
    env = clean_env(tmp_path, CATALOG_DATABASE_URL=database_url)
    url = f"http://127.0.0.1:{port}"
    argv = [*command("catalog-api"), "serve", "--port", str(port)]
    with running(argv, env, f"{url}/api/healthz", tmp_path / "api.log"):
        yield url


@asynccontextmanager
async def mcp_session(api_url: str, tmp_path: Path) -> AsyncIterator[Client]:
    """Start catalog-mcp over stdio against the API; connect as an agent's client does."""
    argv = command("catalog-mcp")
    env = clean_env(tmp_path, CATALOG_API_URL=api_url, CATALOG_API_TIMEOUT="10")
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=env)
    with (tmp_path / "mcp.log").open("a") as log:
        async with Client(stdio_client(params, errlog=log), mode="legacy") as client:
            yield client


async def refused(agent: Client, tool: str, **arguments: Any) -> str:
    """Call a tool that must fail; return its error text."""
    result = await agent.call_tool(tool, arguments)
    assert result.is_error, result
    return text(result)


def variant(size: str, colour: str, price: int, stock: int) -> dict[str, Any]:
    """A variant of the trail runner."""
    return {
        "sku": f"TR-{size}-{colour.upper()}",
        "option_values": {"size": size, "colour": colour},
        "price_minor": price,
        "stock_quantity": stock,
    }


TRAIL_RUNNER: dict[str, Any] = {
    "title": "Trail Runner",
    "category": "footwear",
    "currency": "USD",
    "brand": "Northpeak",
    "status": "active",
    "attributes": {"material": "mesh"},
    "options": [
        {"name": "size", "values": ["9", "10", "11", "12"]},
        {"name": "Colour", "values": ["blue", "black"]},
    ],
    "variants": [
        variant("9", "blue", 11000, 2),
        variant("10", "blue", 11500, 0),
        variant("10", "black", 11500, 5),
        variant("11", "blue", 12000, 4),
        variant("12", "black", 12500, 0),
    ],
}


async def test_variants_are_created_summarised_filtered_and_selected(
    api_url: str, tmp_path: Path
) -> None:
    async with mcp_session(api_url, tmp_path) as agent:
        created = await ok(agent, "create_product", **TRAIL_RUNNER)
        assert created["price"] == "110.00-125.00 USD"
        assert (created["price_minor"], created["stock_quantity"]) == (11000, 11)
        assert created["brand"] == "Northpeak"
        assert created["availability"] == "in stock"
        assert [o["name"] for o in created["options"]] == ["size", "Colour"]
        assert [v["sku"] for v in created["variants"]] == [
            v["sku"] for v in TRAIL_RUNNER["variants"]
        ]
        assert created["variants"][1] == {
            "sku": "TR-10-BLUE",
            "option_values": {"size": "10", "Colour": "blue"},
            "price": "115.00 USD",
            "price_minor": 11500,
            "stock_quantity": 0,
            "version": 1,
        }
        plain = await ok(
            agent, "create_product", title="Trail Socks", category="footwear", currency="USD",
            price_minor=900, sku="SOCK-1", status="active",
        )  # fmt: skip
        assert plain["price"] == "9.00 USD"
        assert plain["availability"] == "out of stock"
        assert [v["sku"] for v in plain["variants"]] == ["SOCK-1"]
        assert "options" not in plain

        page = await ok(agent, "search_products", query="trail runner")
        summary = next(item for item in page["items"] if item["id"] == created["id"])
        assert summary["price"] == "110.00-125.00 USD"
        assert summary["availability"] == "in stock"
        assert summary["options"] == "size (4), Colour (2)"
        assert summary["stock"] == "3 of 5 variants in stock"
        socks = next(item for item in page["items"] if item["id"] == plain["id"])
        assert (socks["price"], socks["availability"]) == ("9.00 USD", "out of stock")
        assert "options" not in socks
        assert "stock" not in socks

        sized = await ok(agent, "list_products", option_values={"SIZE": "10", "colour": "Blue"})
        assert [p["id"] for p in sized["items"]] == [created["id"]]
        stocked = await ok(
            agent, "list_products", option_values={"size": "10", "colour": "blue"}, in_stock=True
        )
        assert stocked["total"] == 0  # the size 10 in blue is sold out
        assert (await ok(agent, "list_products", brand="northpeak"))["total"] == 1
        assert (await ok(agent, "list_products", brand="Southpeak"))["total"] == 0
        mesh = await ok(agent, "search_products", query="trail", attributes={"material": "mesh"})
        assert [p["id"] for p in mesh["items"]] == [created["id"]]
        cheap = await ok(agent, "list_products", max_price=112, currency="USD")
        assert {p["id"] for p in cheap["items"]} == {created["id"], plain["id"]}

        exact = await ok(
            agent, "get_product", id=created["id"], selected={"Size": "11", "COLOUR": "BLUE"}
        )
        assert exact["selected_variant"]["sku"] == "TR-11-BLUE"
        assert exact["selection"]["match"] == "exact"
        assert exact["selection"]["selected"] == {"size": "11", "Colour": "blue"}
        assert "relaxed" not in exact["selection"]
        assert exact["variants"] == created["variants"]

        # Size 10 in blue exists but is sold out: the colour (the last choice) is relaxed.
        sold_out = await ok(
            agent, "get_product", id=created["id"], selected={"size": "10", "colour": "blue"}
        )
        assert sold_out["selected_variant"]["sku"] == "TR-10-BLACK"
        assert sold_out["selection"]["match"] == "relaxed"
        assert sold_out["selection"]["relaxed"] == ["Colour"]
        assert "size 10, Colour blue is out of stock" in sold_out["selection"]["note"]
        assert "Colour relaxed" in sold_out["selection"]["note"]

        # Choices in the other order keep the colour and relax the size, to the nearest one.
        colour_first = await ok(
            agent, "get_product", slug=created["slug"], selected={"colour": "blue", "size": "10"}
        )
        assert colour_first["selected_variant"]["sku"] == "TR-9-BLUE"
        assert colour_first["selection"]["relaxed"] == ["size"]

        # No variant is size 12 in blue, and size 13 does not exist at all.
        missing = await ok(
            agent, "get_product", id=created["id"], selected={"size": "13", "colour": "black"}
        )
        assert missing["selected_variant"]["sku"] == "TR-10-BLACK"
        assert "no variant has size 13 (size: 9, 10, 11, 12)" in missing["selection"]["note"]
        combination = await ok(
            agent, "get_product", id=created["id"], selected={"size": "12", "colour": "blue"}
        )
        assert combination["selection"]["match"] == "relaxed"
        assert "no variant is size 12, Colour blue" in combination["selection"]["note"]

        unknown = await refused(
            agent, "get_product", id=created["id"], selected={"width": "wide", "size": "10"}
        )
        assert "This product has no option 'width'" in unknown
        assert "size (9, 10, 11, 12); Colour (blue, black)" in unknown
        twice = await refused(
            agent, "get_product", id=created["id"], selected={"colour": "blue", "COLOUR": "red"}
        )
        assert "selected names the option 'Colour' twice" in twice
        no_options = await refused(agent, "get_product", id=plain["id"], selected={"size": "1"})
        assert "has no options" in no_options

        taken = await refused(
            agent, "create_product", **{**TRAIL_RUNNER, "title": "Copy", "slug": "copy"}
        )
        assert "Conflict: " in taken
        assert "TR-9-BLUE" in taken
        mismatched = await refused(
            agent, "create_product", title="Odd", category="footwear", currency="USD",
            options=[{"name": "size", "values": ["9"]}],
            variants=[{"option_values": {"colour": "red"}, "price_minor": 100}],
        )  # fmt: skip
        assert "Invalid input: " in mismatched
        assert "variants" in mismatched


async def test_variant_stock_is_set_by_sku_with_if_version(api_url: str, tmp_path: Path) -> None:
    async with mcp_session(api_url, tmp_path) as agent:
        created = await ok(agent, "create_product", **TRAIL_RUNNER)
        tools = {tool.name: tool for tool in (await agent.list_tools()).tools}
        hints = tools["set_variant_stock"].annotations
        assert hints is not None
        assert (hints.read_only_hint, hints.destructive_hint) == (False, False)

        first = await ok(agent, "set_variant_stock", sku="TR-10-BLUE", stock_quantity=6)
        assert first["previous_stock_quantity"] == 0
        assert (first["stock_quantity"], first["availability"], first["version"]) == (
            6,
            "in stock",
            2,
        )
        assert first["product_id"] == created["id"]
        assert first["option_values"] == {"size": "10", "Colour": "blue"}
        product = await ok(agent, "get_product", id=created["id"])
        assert product["stock_quantity"] == 17
        assert product["version"] == created["version"] + 1
        assert product["price"] == created["price"]  # only the stock changed

        # A second agent read version 1 before the change above: its write is refused.
        stale = await refused(
            agent, "set_variant_stock", sku="TR-10-BLUE", stock_quantity=1, if_version=1
        )
        assert "if_version 1 is stale: variant TR-10-BLUE is now at version 2" in stale
        assert "stock_quantity=6" in stale
        assert "retry with if_version=2" in stale
        unchanged = await ok(agent, "get_product", id=created["id"], selected={"size": "10"})
        assert unchanged["variants"][1]["stock_quantity"] == 6

        guarded = await ok(
            agent, "set_variant_stock", sku="TR-10-BLUE", stock_quantity=0, if_version=2
        )
        assert (guarded["previous_stock_quantity"], guarded["stock_quantity"]) == (6, 0)
        assert guarded["availability"] == "out of stock"
        missing = await refused(agent, "set_variant_stock", sku="TR-99", stock_quantity=1)
        assert "Not found: " in missing
        assert "TR-99" in missing
        negative = await refused(agent, "set_variant_stock", sku="TR-9-BLUE", stock_quantity=-1)
        assert "stock_quantity" in negative

        # All sold out: the answer says so and still names the closest variant.
        for sku in ("TR-9-BLUE", "TR-10-BLACK", "TR-11-BLUE"):
            await ok(agent, "set_variant_stock", sku=sku, stock_quantity=0)
        gone = await ok(
            agent, "get_product", id=created["id"], selected={"size": "11", "colour": "blue"}
        )
        assert gone["availability"] == "out of stock"
        assert gone["selection"]["match"] == "none in stock"
        assert gone["selected_variant"]["sku"] == "TR-11-BLUE"


async def test_update_product_replaces_variants_and_clears_the_brand(
    api_url: str, tmp_path: Path
) -> None:
    async with mcp_session(api_url, tmp_path) as agent:
        created = await ok(agent, "create_product", **TRAIL_RUNNER)
        kept = [
            {**variant("9", "blue", 10500, 2), "compare_at_price_minor": 11000},
            variant("10", "black", 11500, 5),
        ]
        updated = await ok(
            agent, "update_product", id=created["id"], variants=kept, brand="",
            if_version=created["version"],
        )  # fmt: skip
        assert [v["sku"] for v in updated["variants"]] == ["TR-9-BLUE", "TR-10-BLACK"]
        assert updated["variants"][0]["compare_at_price"] == "110.00 USD"
        assert updated["price"] == "105.00-115.00 USD"
        assert updated["stock_quantity"] == 7
        assert "brand" not in updated
        gone = await refused(agent, "set_variant_stock", sku="TR-11-BLUE", stock_quantity=1)
        assert "Not found: " in gone
