"""Facets by brand, option value and attribute value, on list and search."""

from __future__ import annotations

from typing import Any

import httpx

from catalog_api.config import Settings
from tests.conftest import app_with, asgi_client, product_body


def _runner(
    title: str, brand: str, variants: list[tuple[str, str]], attributes: dict[str, str]
) -> dict[str, Any]:
    """Return a create body of a product with (size, colour) variants."""
    sizes = list(dict.fromkeys(size for size, _ in variants))
    colours = list(dict.fromkeys(colour for _, colour in variants))
    body = product_body(
        title=title,
        brand=brand,
        attributes=attributes,
        options=[{"name": "Size", "values": sizes}, {"name": "Colour", "values": colours}],
        variants=[
            {
                "sku": f"{title.split()[0]}-{size}-{colour}",
                "option_values": {"Size": size, "Colour": colour},
                "price_minor": 5000,
            }
            for size, colour in variants
        ],
    )
    del body["price_minor"], body["stock_quantity"]
    return body


async def _seed(client: httpx.AsyncClient) -> None:
    bodies = [
        # Size 10 on two variants: the product counts once for it.
        _runner(
            "Alpha Runner",
            "Northpeak",
            [("10", "Blue"), ("9", "Red"), ("10", "Red")],
            {"material": "mesh", "fit": "wide"},
        ),
        _runner("Bravo Runner", "NORTHPEAK", [("10", "blue")], {"material": "leather"}),
        _runner("Charlie Runner", "Trailco", [("S", "BLUE"), ("M", "BLUE")], {"material": "mesh"}),
        product_body(title="Delta Runner", brand=None, attributes={"material": "mesh"}),
        product_body(title="Kettle", brand="Kettleco", category="kitchen", attributes={}),
    ]
    for body in bodies:
        response = await client.post("/api/products", json=body)
        assert response.status_code == 201, response.text


async def _facets(client: httpx.AsyncClient, path: str = "", **params: Any) -> dict[str, Any]:
    response = await client.get(f"/api/products{path}", params={**params, "facets": "true"})
    assert response.status_code == 200, response.text
    facets: dict[str, Any] = response.json()["facets"]
    return facets


def _ordered(facet: dict[str, dict[str, int]]) -> list[tuple[str, list[tuple[str, int]]]]:
    return [(name, list(values.items())) for name, values in facet.items()]


async def test_list_facets_count_brands_options_and_attributes(client: httpx.AsyncClient) -> None:
    await _seed(client)
    facets = await _facets(client)
    # Case ignored as brand= ignores it; the spelling first by code point; ties A-Z.
    assert list(facets["brand"].items()) == [("NORTHPEAK", 2), ("Kettleco", 1), ("Trailco", 1)]
    # size: 5 (product, value) pairs, colour: 4; values casefolded, most products first.
    assert _ordered(facets["option"]) == [
        ("size", [("10", 2), ("9", 1), ("m", 1), ("s", 1)]),
        ("colour", [("blue", 3), ("red", 1)]),
    ]
    assert _ordered(facets["attribute"]) == [
        ("material", [("mesh", 3), ("leather", 1)]),
        ("fit", [("wide", 1)]),
    ]
    assert (facets["counted"], facets["complete"]) == (5, True)


async def test_facets_follow_the_filters_and_work_as_filters(client: httpx.AsyncClient) -> None:
    await _seed(client)
    blue = await _facets(client, **{"option.colour": "blue"})
    assert blue["brand"] == {"NORTHPEAK": 2, "Trailco": 1}
    assert blue["option"]["colour"] == {"blue": 3, "red": 1}
    assert blue["attribute"] == {"material": {"mesh": 2, "leather": 1}, "fit": {"wide": 1}}
    # Each value, passed back as a filter, keeps as many products as it counted.
    everything = await _facets(client)
    for brand, n in everything["brand"].items():
        assert (await client.get("/api/products", params={"brand": brand})).json()["total"] == n
    for name, values in everything["option"].items():
        for value, n in values.items():
            page = await client.get("/api/products", params={f"option.{name}": value})
            assert page.json()["total"] == n, (name, value)
    for key, values in everything["attribute"].items():
        for value, n in values.items():
            page = await client.get("/api/products", params={f"attr.{key}": value})
            assert page.json()["total"] == n, (key, value)


async def test_search_facets_count_brands_options_and_attributes(
    client: httpx.AsyncClient,
) -> None:
    await _seed(client)
    facets = await _facets(client, "/search", q="runner")
    assert facets["brand"] == {"NORTHPEAK": 2, "Trailco": 1}
    assert facets["option"]["size"] == {"10": 2, "9": 1, "m": 1, "s": 1}
    assert facets["attribute"]["material"] == {"mesh": 3, "leather": 1}
    assert facets["counted"] == 4
    kettles = await _facets(client, "/search", q="kettle")
    assert (kettles["brand"], kettles["option"], kettles["attribute"]) == (
        {"Kettleco": 1},
        {},
        {},
    )


async def test_the_top_values_of_the_top_names_are_kept(client: httpx.AsyncClient) -> None:
    for i in range(12):
        # shade: 12 products, s00 twice; k0 in 10 products ... k5 in 5.
        attributes = {"shade": f"s{i % 11:02}", **{f"k{j}": "x" for j in range(6) if i < 10 - j}}
        body = product_body(title=f"Lamp {i}", attributes=attributes)
        assert (await client.post("/api/products", json=body)).status_code == 201
    facets = await _facets(client)
    assert list(facets["attribute"]) == ["shade", "k0", "k1", "k2", "k3"]
    assert list(facets["attribute"]["shade"].items()) == [
        ("s00", 2),
        *((f"s{i:02}", 1) for i in range(1, 10)),
    ]
    assert facets["attribute"]["k3"] == {"x": 7}


async def test_the_cap_bounds_the_new_facets_too(settings: Settings) -> None:
    async with app_with(settings, facet_limit=2) as app, asgi_client(app) as client:
        await _seed(client)
        capped = await _facets(client)
        assert (capped["counted"], capped["complete"]) == (2, False)
        assert sum(capped["brand"].values()) <= 2
        assert all(n <= 2 for values in capped["option"].values() for n in values.values())
        assert sum(capped["attribute"]["material"].values()) <= 2


async def test_openapi_documents_the_new_facets(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()["components"]["schemas"]["Facets"]
    for name in ("brand", "option", "attribute"):
        assert schema["properties"][name]["description"], name
    assert schema["properties"]["option"]["additionalProperties"]["additionalProperties"] == {
        "type": "integer"
    }
