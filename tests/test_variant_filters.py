"""Brand, option.*, attr.* and variant-level in_stock filters on list and search."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import product_body

PROBLEM = "https://catalog-mcp.dev/problems/"


def _variant(sku: str, size: str, colour: str, price: int, stock: int) -> dict[str, Any]:
    return {
        "sku": sku,
        "option_values": {"Size": size, "Colour": colour},
        "price_minor": price,
        "stock_quantity": stock,
    }


def _shoe(title: str, brand: str, variants: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    sizes = sorted({v["option_values"]["Size"].casefold() for v in variants})
    colours = sorted({v["option_values"]["Colour"].casefold() for v in variants})
    body = product_body(
        title=title,
        brand=brand,
        options=[{"name": "Size", "values": sizes}, {"name": "Colour", "values": colours}],
        variants=variants,
        **extra,
    )
    del body["price_minor"], body["stock_quantity"]
    return body


async def _seed(client: httpx.AsyncClient) -> None:
    bodies = [
        # The classic trap: size 10 and blue exist, but never on one variant.
        _shoe(
            "Red Ten Runner",
            "Northpeak",
            [_variant("RT-10-RED", "10", "Red", 9000, 3),
             _variant("RT-9-BLUE", "9", "Blue", 9000, 2)],
            attributes={"material": "mesh", "fit": "wide"},
        ),
        _shoe(
            "Blue Ten Runner",
            "NORTHPEAK",
            [_variant("BT-10-BLUE", "10", "Blue", 11000, 1),
             _variant("BT-9-RED", "9", "Red", 10000, 0)],
            attributes={"material": "leather"},
        ),
        # Size 10 blue exists but is sold out; another variant is in stock.
        _shoe(
            "Sold Out Ten",
            "Trailco",
            [_variant("SO-10-BLUE", "10", "Blue", 8000, 0),
             _variant("SO-9-BLUE", "9", "BLUE", 8000, 5)],
            attributes={"material": "Mesh"},
        ),
    ]  # fmt: skip
    for body in bodies:
        response = await client.post("/api/products", json=body)
        assert response.status_code == 201, response.text
    plain = product_body(title="Plain Runner", brand=None, attributes={"material": "mesh"})
    assert (await client.post("/api/products", json=plain)).status_code == 201


async def _titles(client: httpx.AsyncClient, path: str, query: str) -> set[str]:
    words = "&q=runner+ten" if path.endswith("search") else ""
    response = await client.get(f"{path}?{query}{words}&limit=100")
    assert response.status_code == 200, response.text
    page = response.json()
    return {item["title"] for item in page["items"]}


PATHS = ["/api/products", "/api/products/search"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("option.size=10", {"Red Ten Runner", "Blue Ten Runner", "Sold Out Ten"}),
        ("option.Colour=BLUE", {"Red Ten Runner", "Blue Ten Runner", "Sold Out Ten"}),
        ("option.size=10&option.colour=blue", {"Blue Ten Runner", "Sold Out Ten"}),
        ("option.size=10&option.colour=blue&in_stock=true", {"Blue Ten Runner"}),
        ("option.size=10&option.colour=red&in_stock=true", {"Red Ten Runner"}),
        ("option.size=9&option.colour=red&in_stock=false", {"Blue Ten Runner"}),
        ("option.size=10&option.size=9", set()),
        ("option.width=wide", set()),
        ("option.size=11", set()),
        ("in_stock=true", {"Red Ten Runner", "Blue Ten Runner", "Sold Out Ten", "Plain Runner"}),
        ("brand=northpeak", {"Red Ten Runner", "Blue Ten Runner"}),
        ("brand=TRAILCO", {"Sold Out Ten"}),
        ("brand=North", set()),
        ("attr.material=mesh", {"Red Ten Runner", "Plain Runner"}),
        ("attr.material=mesh&attr.fit=wide", {"Red Ten Runner"}),
        ("attr.Material=mesh", set()),
        ("attr.material=mesh&option.colour=blue", {"Red Ten Runner"}),
        ("option.colour=blue&max_price=9500&currency=USD", {"Red Ten Runner", "Sold Out Ten"}),
    ],
)  # fmt: skip
async def test_filters_keep_exactly_the_matching_products(
    client: httpx.AsyncClient, path: str, query: str, expected: set[str]
) -> None:
    await _seed(client)
    assert await _titles(client, path, query) == expected


@pytest.mark.parametrize("path", PATHS)
async def test_option_filters_page_without_repeats(client: httpx.AsyncClient, path: str) -> None:
    for n in range(5):
        body = _shoe(
            f"Runner Ten {n}",
            "Pagerco",
            [
                _variant(f"P{n}-10-BLUE", "10", "Blue", 5000 + n, 1),
                _variant(f"P{n}-10-RED", "10", "Red", 5000 + n, 1),
                _variant(f"P{n}-9-BLUE", "9", "Blue", 5000 + n, 1),
            ],
        )
        assert (await client.post("/api/products", json=body)).status_code == 201
    await _seed(client)
    params: dict[str, Any] = {"option.size": "10", "brand": "pagerco", "limit": 2}
    if path.endswith("search"):
        params["q"] = "runner"
    seen: list[str] = []
    cursor = None
    while True:
        response = await client.get(
            path, params={**params, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen.extend(item["title"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == [f"Runner Ten {n}" for n in range(5)]
    if path == "/api/products":
        assert page["total"] == 5


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("option.", "10"),
        ("option.size", ""),
        ("option." + "n" * 51, "10"),
        ("option.size", "v" * 101),
        ("attr.material", ""),
        ("attr." + "k" * 65, "x"),
        ("brand", " "),
        ("brand", "b" * 101),
    ],
)
async def test_malformed_dynamic_filters_are_a_problem_naming_the_parameter(
    client: httpx.AsyncClient, parameter: str, value: str
) -> None:
    response = await client.get("/api/products", params={parameter: value})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert parameter in response.text


async def test_too_many_option_filters_are_refused(client: httpx.AsyncClient) -> None:
    params = [(f"option.o{n}", "x") for n in range(9)]
    response = await client.get("/api/products/search", params=[*params, ("q", "shoe")])
    assert response.status_code == 422, response.text
    assert "option.o8" in response.text


async def test_openapi_describes_the_filters(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    for path in PATHS:
        operation = document["paths"][path]["get"]
        assert "option.<name>=<value>" in operation["description"]
        assert "attr.<key>=<value>" in operation["description"]
        assert "`brand=<brand>`" in operation["description"]
