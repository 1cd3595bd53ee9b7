"""Full-text search: ranking, filters, paging, index upkeep and hostile queries."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import create


async def _search(client: httpx.AsyncClient, q: str, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/products/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def test_title_match_ranks_first(client: httpx.AsyncClient) -> None:
    await create(
        client,
        title="Camping Stove",
        description="Pairs well with any espresso maker on long trips.",
        tags=["camping"],
    )
    await create(client, title="Travel Mug", description="Keeps espresso hot.", category="kitchen")
    await create(
        client, title="Espresso Machine", description="Fifteen bar pump.", category="kitchen"
    )
    await create(client, title="Desk Lamp", description="Bright light.", category="office")
    page = await _search(client, "espresso")
    titles = [p["title"] for p in page["items"]]
    assert titles[0] == "Espresso Machine"
    assert set(titles) == {"Espresso Machine", "Travel Mug", "Camping Stove"}
    assert page["total"] == 3


async def test_search_covers_tags_category_and_all_words(client: httpx.AsyncClient) -> None:
    await create(client, title="Plain Thing", tags=["waterproof"], category="outdoor")
    await create(client, title="Other Thing", category="kitchen", tags=[])
    assert [p["title"] for p in (await _search(client, "waterproof"))["items"]] == ["Plain Thing"]
    assert [p["title"] for p in (await _search(client, "kitchen"))["items"]] == ["Other Thing"]
    assert (await _search(client, "thing"))["total"] == 2
    both = await _search(client, "thing outdoor")
    assert [p["title"] for p in both["items"]] == ["Plain Thing", "Other Thing"]
    assert both["interpretation"]["missing"] == []
    nowhere = await _search(client, "thing nowhere")
    assert nowhere["total"] == 2
    assert nowhere["interpretation"]["unknown"] == ["nowhere"]
    assert (await _search(client, "nowhere"))["total"] == 0


async def test_stemming_and_case(client: httpx.AsyncClient) -> None:
    await create(client, title="Running Shoes")
    assert (await _search(client, "RUN shoe"))["total"] == 1


async def test_search_filters(client: httpx.AsyncClient) -> None:
    await create(client, title="Tea Kettle", price_minor=3000, stock_quantity=0, tags=["steel"])
    await create(client, title="Tea Cups", price_minor=1000, stock_quantity=4, status="draft")
    page = await _search(client, "tea", in_stock="true")
    assert [p["title"] for p in page["items"]] == ["Tea Cups"]
    assert (await _search(client, "tea", max_price=2000))["total"] == 1
    assert (await _search(client, "tea", status="active"))["items"][0]["title"] == "Tea Kettle"
    assert (await _search(client, "tea", tag="steel"))["total"] == 1


async def test_search_pages_through_every_match_once(client: httpx.AsyncClient) -> None:
    ids = {
        (await create(client, title=f"Lamp model {i}", description="lamp " * (i % 4)))["id"]
        for i in range(17)
    }
    await create(client, title="Unrelated chair")
    seen: list[int] = []
    cursor = None
    for _ in range(20):
        params: dict[str, Any] = {"limit": 4}
        if cursor:
            params["cursor"] = cursor
        page = await _search(client, "lamp", **params)
        assert page["total"] == 17
        seen.extend(p["id"] for p in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids)


async def test_search_sorted_by_price(client: httpx.AsyncClient) -> None:
    for price in (500, 100, 300):
        await create(client, title=f"Candle {price}", price_minor=price)
    page = await _search(client, "candle", sort="price", limit=2)
    assert [p["price_minor"] for p in page["items"]] == [100, 300]
    rest = await _search(client, "candle", sort="price", limit=2, cursor=page["next_cursor"])
    assert [p["price_minor"] for p in rest["items"]] == [500]


async def test_index_follows_updates_and_deletes(client: httpx.AsyncClient) -> None:
    product = await create(client, title="Old Name")
    await client.patch(f"/api/products/{product['id']}", json={"title": "Fresh Name"})
    assert (await _search(client, "old"))["total"] == 0
    assert (await _search(client, "fresh"))["total"] == 1
    await client.delete(f"/api/products/{product['id']}")
    assert (await _search(client, "fresh"))["total"] == 0


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "*",
        "NEAR(",
        "%",
        "_",
        "a OR",
        "x" * 2000,
        "title:foo",
        "foo AND NOT bar",
        "(",
        "'",
        "NEAR(a b, 2)",
        "^start",
        "col : value",
        "\\",
        "\u202e\u200b",
        "-",
        "a\x00b",
        "🙂",
        "%_%",
    ],
)
async def test_hostile_queries_are_200_or_422(client: httpx.AsyncClient, query: str) -> None:
    await create(client, title="100% cotton shirt_size tee", description='quote " and * star')
    response = await client.get("/api/products/search", params={"q": query})
    assert response.status_code in {200, 422}, response.text
    if response.status_code == 422:
        assert response.json()["errors"][0]["field"] == "q"


async def test_percent_and_underscore_are_not_wildcards(client: httpx.AsyncClient) -> None:
    await create(client, title="Blue Shirt")
    for query in ("%", "_", "b%", "bl_e"):
        response = await client.get("/api/products/search", params={"q": query})
        if response.status_code == 200:
            assert response.json()["total"] == 0, query
    assert (await _search(client, "shirt"))["total"] == 1


async def test_operator_words_are_matched_literally(client: httpx.AsyncClient) -> None:
    await create(client, title="Cats and dogs bowl", description="near the door")
    await create(client, title="Cats bowl")
    not_dogs = await _search(client, "cats NOT dogs")
    assert not_dogs["items"][0]["title"] == "Cats and dogs bowl"
    assert not_dogs["interpretation"]["unknown"] == ["not"]
    assert (await _search(client, "near door"))["total"] == 1
    either = await _search(client, "dogs OR bowl")
    assert [p["title"] for p in either["items"]] == ["Cats and dogs bowl", "Cats bowl"]
    assert either["interpretation"]["ignored"] == ["or"]


async def test_search_with_filters_pages_through_every_match_once(
    client: httpx.AsyncClient,
) -> None:
    wanted = set()
    for i in range(15):
        product = await create(client, title=f"Vase {i}", category="home" if i % 3 else "garden")
        if i % 3:
            wanted.add(product["id"])
    seen: list[int] = []
    cursor = None
    for _ in range(20):
        params: dict[str, Any] = {"limit": 3, "category": "home"}
        if cursor:
            params["cursor"] = cursor
        page = await _search(client, "vase", **params)
        assert page["total"] == len(wanted)
        seen.extend(p["id"] for p in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(wanted)


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("Works with Amazon.com orders", "amazon"),
        ("Ask support@lampworks.io for spares", "lampworks"),
        ("Mounts on /garden/fence posts", "garden"),
        ("Manual at https://lampworks.example/guide_v2", "guide"),
        ("Tom &amp; Jerry edition", "jerry"),
        ("Cable <usb> adapter", "usb"),
    ],
)
async def test_words_inside_hosts_paths_emails_and_markup_are_found(
    client: httpx.AsyncClient, text: str, query: str
) -> None:
    product = await create(client, title="Plain lamp", description=text)
    response = await client.get("/api/products/search", params={"q": query})
    assert [p["id"] for p in response.json()["items"]] == [product["id"]]
