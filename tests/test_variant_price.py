"""Price filters and sort=price at variant level, when option.* or in_stock=true is given."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from catalog_api.variants import plans
from tests.conftest import product_body

PATHS = ["/api/products", "/api/products/search"]


def _shoe(title: str, variants: list[tuple[str, str, int, int]]) -> dict[str, Any]:
    """Return a create body of a runner with (size, colour, price, stock) variants."""
    sizes = sorted({size for size, _, _, _ in variants})
    colours = sorted({colour for _, colour, _, _ in variants})
    body = product_body(
        title=title,
        options=[{"name": "size", "values": sizes}, {"name": "colour", "values": colours}],
        variants=[
            {
                "sku": f"{title[:1]}-{size}-{colour}",
                "option_values": {"size": size, "colour": colour},
                "price_minor": price,
                "stock_quantity": stock,
            }
            for size, colour, price, stock in variants
        ],
    )
    del body["price_minor"], body["stock_quantity"]
    return body


async def _seed(client: httpx.AsyncClient) -> None:
    bodies = [
        # Product prices (lowest variant): A 4000 (sold out), B 5000, C 10000, D 7000.
        _shoe(
            "Alpha Runner",
            [("10", "blue", 12000, 1), ("9", "red", 6000, 3), ("8", "red", 4000, 0)],
        ),
        _shoe(
            "Bravo Runner",
            [("10", "blue", 9000, 0), ("10", "red", 15000, 2), ("9", "blue", 5000, 2)],
        ),
        _shoe("Charlie Runner", [("10", "blue", 10000, 4), ("9", "blue", 11000, 0)]),
        product_body(title="Delta Runner", price_minor=7000, stock_quantity=5),
    ]
    for body in bodies:
        response = await client.post("/api/products", json=body)
        assert response.status_code == 201, response.text


async def _titles(client: httpx.AsyncClient, path: str, query: str) -> list[str]:
    """Return the titles of every page of a request, in order, following the cursors."""
    params = list(httpx.QueryParams(query).multi_items())
    params.append(("limit", "1"))
    if path.endswith("search"):
        params.append(("q", "runner"))
    titles: list[str] = []
    cursor = None
    while True:
        extra = [("cursor", cursor)] if cursor else []
        response = await client.get(path, params=[*params, *extra])
        assert response.status_code == 200, response.text
        page = response.json()
        titles.extend(item["title"].split()[0] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return titles


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # The size-10 variant must be in range, not the product's lowest price.
        ("option.size=10&max_price=10000", {"Bravo", "Charlie"}),
        ("option.size=10&min_price=11000", {"Alpha", "Bravo"}),
        ("option.size=10&in_stock=true&max_price=10000", {"Charlie"}),
        ("option.size=10&option.colour=red&min_price=15000", {"Bravo"}),
        ("in_stock=true&max_price=5500", {"Bravo"}),
        ("in_stock=true&min_price=11500", {"Alpha", "Bravo"}),
        # No variant filter: the product's price (its lowest), as before.
        ("min_price=3000&max_price=6500", {"Alpha", "Bravo"}),
        ("in_stock=false&max_price=20000", set()),
    ],
)  # fmt: skip
async def test_prices_apply_to_the_matching_variant(
    client: httpx.AsyncClient, path: str, query: str, expected: set[str]
) -> None:
    await _seed(client)
    assert set(await _titles(client, path, query)) == expected


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Lowest size-10 price: A 12000, B 9000, C 10000 (product prices would give B, A, C).
        ("option.size=10&sort=price", ["Bravo", "Charlie", "Alpha"]),
        ("option.size=10&sort=price&order=desc", ["Alpha", "Charlie", "Bravo"]),
        # In stock in size 10: A 12000, B 15000 (red only), C 10000.
        ("option.size=10&in_stock=true&sort=price", ["Charlie", "Alpha", "Bravo"]),
        # Lowest in-stock price: A 6000 (its 4000 is sold out), B 5000, C 10000, D 7000.
        ("in_stock=true&sort=price", ["Bravo", "Alpha", "Delta", "Charlie"]),
        ("in_stock=true&sort=price&order=desc", ["Charlie", "Delta", "Alpha", "Bravo"]),
        ("in_stock=true&max_price=6000&sort=price", ["Bravo", "Alpha"]),
        ("in_stock=true&min_price=9000&sort=price", ["Charlie", "Alpha", "Bravo"]),
        ("option.colour=blue&min_price=10000&sort=price", ["Charlie", "Alpha"]),
        ("sort=price", ["Alpha", "Bravo", "Delta", "Charlie"]),
    ],
)  # fmt: skip
# COMMON_ROWS 1: every option value and in-stock price range is common, so a list walks
# the variants by price.
@pytest.mark.parametrize("common_rows", [1, plans.COMMON_ROWS])
async def test_sort_by_price_is_by_the_lowest_matching_variant(
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    query: str,
    expected: list[str],
    common_rows: int,
) -> None:
    monkeypatch.setattr(plans, "COMMON_ROWS", common_rows)
    await _seed(client)
    assert await _titles(client, path, query) == expected


@pytest.mark.parametrize("common_rows", [1, plans.COMMON_ROWS])
async def test_the_price_walk_lists_each_product_once_at_its_lowest_match(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, common_rows: int
) -> None:
    monkeypatch.setattr(plans, "COMMON_ROWS", common_rows)
    await _seed(client)
    # Echo: two size-10 variants at the same lowest price, one dearer; Foxtrot ties Bravo.
    echo = [("10", "blue", 9500, 1), ("10", "red", 9500, 1), ("10", "green", 20000, 1)]
    foxtrot = [("10", "blue", 9000, 1), ("11", "blue", 100, 1)]
    for body in (_shoe("Echo Runner", echo), _shoe("Foxtrot Runner", foxtrot)):
        assert (await client.post("/api/products", json=body)).status_code == 201
    query = "option.size=10&sort=price"
    order = ["Bravo", "Foxtrot", "Echo", "Charlie", "Alpha"]  # 9000 (by id), 9500, ...
    assert await _titles(client, "/api/products", query) == order
    assert await _titles(client, "/api/products", query + "&order=desc") == order[::-1]
    page = (await client.get("/api/products", params={"option.size": "10", "sort": "price"})).json()
    assert [item["price_minor"] for item in page["items"]][:2] == [5000, 100]  # product prices


async def test_list_total_counts_variant_level_price_matches(client: httpx.AsyncClient) -> None:
    await _seed(client)
    response = await client.get(
        "/api/products", params={"option.size": "10", "max_price": 10000, "facets": "true"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["total"] == 2
