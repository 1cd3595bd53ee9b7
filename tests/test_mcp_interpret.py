"""search_products with interpret: the server reads the filters and the tool passes them on."""

from __future__ import annotations

from mcp import Client

from catalog_api.config import Settings
from tests.test_mcp_tools import call, connect, kettle


async def _seed(client: Client) -> None:
    await call(client, "create_product", **kettle(title="Copper Kettle", price_minor=4599))
    await call(client, "create_product", **kettle(title="Steel Kettle", price_minor=8999))
    await call(client, "create_product", **kettle(title="Glass Kettle", price_minor=2999))


async def test_interpret_applies_and_returns_what_was_read(settings: Settings) -> None:
    async with connect(settings) as client:
        await _seed(client)
        page = await call(
            client, "search_products", query="kettle under 50 dollars", interpret=True
        )
        plain = await call(client, "search_products", query="kettle under 50 dollars")
    assert sorted(item["title"] for item in page["items"]) == ["Copper Kettle", "Glass Kettle"]
    # One currency in the catalog: no currency filter is needed.
    assert page["read_as"] == (
        "searched for 'kettle'; filters read from the words: under 50 dollars (max_price=4999)"
    )
    assert "filters read" not in plain["read_as"]
    assert len(plain["items"]) == 3


async def test_a_sort_hint_counts_unless_a_sort_is_given(settings: Settings) -> None:
    async with connect(settings) as client:
        await _seed(client)
        hinted = await call(client, "search_products", query="cheapest kettle", interpret=True)
        given = await call(
            client, "search_products", query="cheapest kettle", interpret=True, sort="title"
        )
    assert [item["title"] for item in hinted["items"]] == [
        "Glass Kettle",
        "Copper Kettle",
        "Steel Kettle",
    ]
    assert [item["title"] for item in given["items"]] == [
        "Copper Kettle",
        "Glass Kettle",
        "Steel Kettle",
    ]
    assert "price" in hinted["read_as"]
    assert "filters read" not in given["read_as"]
