"""Search with interpret=true on SQLite and PostgreSQL: read, merged, applied, shown."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import create, product_body

SEARCH = "/api/products/search"


def _boot(title: str, brand: str, sizes: dict[str, tuple[int, int]]) -> dict[str, Any]:
    body = product_body(
        title=title,
        brand=brand,
        category="footwear",
        description="Boots for wet trails.",
        options=[{"name": "Size", "values": list(sizes)}],
        variants=[
            {
                "sku": f"{brand}-{size}",
                "option_values": {"Size": size},
                "price_minor": price,
                "stock_quantity": stock,
            }
            for size, (price, stock) in sizes.items()
        ],
    )
    del body["price_minor"], body["stock_quantity"]
    return body


async def seed_catalog(client: httpx.AsyncClient) -> dict[str, int]:
    ids: dict[str, int] = {}
    for body in (
        _boot("Northpeak Waterproof Hiking Boots", "Northpeak", {"9": (8999, 2), "10": (8999, 4)}),
        _boot("Waterproof Rain Boots", "Trailco", {"10": (15000, 3), "11": (15000, 1)}),
    ):
        response = await client.post("/api/products", json=body)
        assert response.status_code == 201, response.text
        ids[body["title"]] = response.json()["id"]
    for title, extra in (
        ("Leather Work Boots", {"category": "footwear", "price_minor": 7000}),
        ("Chef Knife", {"category": "kitchen", "price_minor": 3000, "currency": "EUR"}),
        ("Stainless Kettle", {"category": "kitchen", "price_minor": 2500, "stock_quantity": 0}),
        ("Enamel Kettle", {"category": "kitchen", "price_minor": 4500}),
    ):
        ids[title] = (await create(client, title=title, **extra))["id"]
    return ids


async def _search(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get(SEARCH, params=params)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def _read(data: dict[str, Any]) -> dict[str, str]:
    return {f["parameter"]: f["value"] for f in data["interpretation"]["reading"]["filters"]}


async def test_price_and_size_are_read_and_the_rest_searched(client: httpx.AsyncClient) -> None:
    ids = await seed_catalog(client)
    data = await _search(client, q="waterproof boots under 100 dollars in size 10", interpret=True)
    assert [item["id"] for item in data["items"]] == [ids["Northpeak Waterproof Hiking Boots"]]
    reading = data["interpretation"]["reading"]
    assert reading["words"] == "waterproof boots"
    assert reading["source"] == "offline"
    assert _read(data) == {"max_price": "9999", "currency": "USD", "option.size": "10"}
    written = {f["parameter"]: f["written"] for f in reading["filters"]}
    assert written["option.size"] == "size 10"
    assert written["max_price"] == "under 100 dollars"
    assert data["interpretation"]["searched_for"] == ["waterproof", "boots"]


async def test_without_interpret_the_words_are_only_words(client: httpx.AsyncClient) -> None:
    ids = await seed_catalog(client)
    data = await _search(client, q="waterproof boots under 100 dollars in size 10")
    assert data["interpretation"]["reading"] is None
    assert ids["Waterproof Rain Boots"] in [item["id"] for item in data["items"]]


async def test_the_filters_read_replay_as_explicit_parameters(client: httpx.AsyncClient) -> None:
    await seed_catalog(client)
    read = await _search(client, q="waterproof boots under 100 dollars in size 10", interpret=True)
    reading = read["interpretation"]["reading"]
    replay = await _search(client, q=reading["words"], **_read(read))
    assert [i["id"] for i in replay["items"]] == [i["id"] for i in read["items"]]
    # Undoing the size: the same search without option.size finds the other boots too.
    rest = {k: v for k, v in _read(read).items() if k != "option.size"}
    undone = await _search(client, q=reading["words"], **rest)
    assert len(undone["items"]) > len(read["items"])


async def test_explicit_parameters_win_and_their_words_stay_words(
    client: httpx.AsyncClient,
) -> None:
    ids = await seed_catalog(client)
    data = await _search(
        client, q="boots under 100 dollars", max_price=20000, currency="USD", interpret=True
    )
    assert "max_price" not in _read(data)
    assert data["interpretation"]["reading"]["words"] == "boots under 100 dollars"
    assert ids["Waterproof Rain Boots"] in [item["id"] for item in data["items"]]


async def test_written_currency_and_named_brand(client: httpx.AsyncClient) -> None:
    ids = await seed_catalog(client)
    knife = await _search(client, q="knife under 40 euros", interpret=True)
    assert _read(knife) == {"max_price": "3999", "currency": "EUR"}
    assert [item["id"] for item in knife["items"]] == [ids["Chef Knife"]]
    for query in ("boots by trailco", "trailco boots"):
        boots = await _search(client, q=query, interpret=True)
        assert _read(boots) == {"brand": "Trailco"}
        assert [item["id"] for item in boots["items"]] == [ids["Waterproof Rain Boots"]]


async def test_stock_and_sort_hints(client: httpx.AsyncClient) -> None:
    ids = await seed_catalog(client)
    data = await _search(client, q="cheapest kettle in stock", interpret=True)
    assert _read(data) == {"sort": "price", "order": "asc", "currency": "USD", "in_stock": "true"}
    assert [item["id"] for item in data["items"]] == [ids["Enamel Kettle"]]
    sorted_data = await _search(client, q="cheapest boots", interpret=True)
    prices = [item["price_minor"] for item in sorted_data["items"]]
    assert prices == sorted(prices)
    assert len(prices) == 3


async def test_no_words_left_lists_the_filtered_products(client: httpx.AsyncClient) -> None:
    ids = await seed_catalog(client)
    data = await _search(client, q="under 50 dollars in stock", interpret=True)
    assert data["interpretation"]["reading"]["words"] == ""
    assert _read(data) == {"max_price": "4999", "currency": "USD", "in_stock": "true"}
    assert {item["id"] for item in data["items"]} == {ids["Enamel Kettle"]}


async def test_a_category_alone_is_searched_and_filtered(client: httpx.AsyncClient) -> None:
    ids = await seed_catalog(client)
    data = await _search(client, q="kitchen under 40", interpret=True)
    assert _read(data) == {"category": "kitchen", "max_price": "3999", "currency": "USD"}
    assert data["interpretation"]["reading"]["words"] == "kitchen"
    assert [item["id"] for item in data["items"]] == [ids["Stainless Kettle"]]


async def test_measures_and_unknown_values_stay_words(client: httpx.AsyncClient) -> None:
    await seed_catalog(client)
    for query in ("50 inch tv", "kettle under 20 pounds", "boots size 13", "boots by acme"):
        data = await _search(client, q=query, interpret=True)
        assert _read(data) == {}, query
        assert data["interpretation"]["reading"]["words"] == query


async def test_a_query_without_words_is_refused_as_without_interpret(
    client: httpx.AsyncClient,
) -> None:
    await seed_catalog(client)
    response = await client.get(SEARCH, params={"q": "$$ --", "interpret": True})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "q"


@pytest.mark.parametrize(
    "query",
    [
        "boots under $99999999999999999999999999",
        "boots between 1.2.3 and 4,5,6 euros",
        'boots "size 10" OR NEAR(kitchen) under 5e3',
        "\uff22\uff2f\uff2f\uff34\uff33 \uff55\uff4e\uff44\uff45\uff52 \uff04\uff15\uff10",
        "boots \u202eunder 50\u202c dollars size\u00a010",
        "size size size 10 10 under under",
        "$ - - € £ 0 to 0",
    ],
)
async def test_odd_queries_are_read_without_error(client: httpx.AsyncClient, query: str) -> None:
    await seed_catalog(client)
    response = await client.get(SEARCH, params={"q": query, "interpret": True})
    assert response.status_code in (200, 422), response.text
    if response.status_code == 200:
        reading = response.json()["interpretation"]["reading"]
        assert all(f["value"] for f in reading["filters"])


async def test_filters_read_that_nothing_matches_are_dropped_and_said(
    client: httpx.AsyncClient,
) -> None:
    ids = await seed_catalog(client)
    data = await _search(client, q="waterproof boots under 30 dollars", interpret=True)
    reading = data["interpretation"]["reading"]
    assert reading["relaxed"] is True
    assert _read(data)["max_price"] == "2999"  # read, shown, and not applied
    found = {item["id"] for item in data["items"]}
    assert ids["Northpeak Waterproof Hiking Boots"] in found
    assert ids["Waterproof Rain Boots"] in found
    assert data["interpretation"]["searched_for"][:2] == ["waterproof", "boots"]


async def test_filters_read_that_match_are_not_relaxed(client: httpx.AsyncClient) -> None:
    ids = await seed_catalog(client)
    data = await _search(client, q="waterproof boots under 100 dollars", interpret=True)
    assert data["interpretation"]["reading"]["relaxed"] is False
    found = {item["id"] for item in data["items"]}
    assert ids["Northpeak Waterproof Hiking Boots"] in found
    assert ids["Waterproof Rain Boots"] not in found  # 150.00: the bound applies
