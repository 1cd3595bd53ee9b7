"""Facets on list and search: counts by category, tag, status and price band, and their cap."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import literal, select

from catalog_api.config import Settings
from catalog_api.facets import FacetService
from catalog_api.models import Product
from tests.conftest import app_with, asgi_client, create


async def _seed(client: httpx.AsyncClient) -> None:
    specs = [
        ("Alpha Kettle", "kitchen", ["tea"], 2500, "USD", 3, "active"),
        ("Beta Pan", "kitchen", ["cast-iron"], 4000, "USD", 0, "active"),
        ("Gamma Tent", "outdoor", ["camping", "tea"], 15000, "USD", 2, "draft"),
        ("Delta Stove", "outdoor", ["camping"], 4000, "USD", 7, "active"),
        ("Epsilon Mug", "kitchen", ["tea", "camping"], 900, "USD", 0, "draft"),
        ("Zeta Teapot", "kitchen", ["tea"], 3000, "EUR", 1, "active"),
        ("Eta Lantern", "outdoor", ["camping"], 1500, "JPY", 4, "active"),
    ]
    for title, category, tags, price, currency, stock, status in specs:
        await create(
            client,
            title=title,
            category=category,
            tags=tags,
            price_minor=price,
            currency=currency,
            stock_quantity=stock,
            status=status,
        )


async def _facets(client: httpx.AsyncClient, path: str = "", **params: Any) -> dict[str, Any]:
    response = await client.get(f"/api/products{path}", params={**params, "facets": "true"})
    assert response.status_code == 200, response.text
    facets: dict[str, Any] = response.json()["facets"]
    return facets


async def test_list_facets_count_every_match_with_the_filters_applied(
    client: httpx.AsyncClient,
) -> None:
    await _seed(client)
    facets = await _facets(client, in_stock="true")
    assert facets["category"] == {"outdoor": 3, "kitchen": 2}
    assert list(facets["category"]) == ["outdoor", "kitchen"]
    # Equal counts come A-Z.
    assert list(facets["tag"].items()) == [("camping", 3), ("tea", 3)]
    assert facets["status"] == {"active": 4, "draft": 1}
    assert (facets["counted"], facets["complete"]) == (5, True)
    kitchen = await _facets(client, category="kitchen", tag="tea")
    assert kitchen["category"] == {"kitchen": 3}
    assert kitchen["tag"] == {"tea": 3, "camping": 1}
    assert kitchen["status"] == {"active": 2, "draft": 1}
    assert kitchen["counted"] == 3


async def test_price_bands_keep_currencies_apart_and_work_as_filters(
    client: httpx.AsyncClient,
) -> None:
    await _seed(client)
    facets = await _facets(client)
    bands = facets["price"]
    # Commonest currency first (USD 5), then EUR and JPY (1 each) A-Z; cheapest band first.
    assert [band["currency"] for band in bands][-2:] == ["EUR", "JPY"]
    assert {band["currency"] for band in bands[:-2]} == {"USD"}
    assert bands[-2:] == [
        {"currency": "EUR", "min": 3000, "max": 3000, "count": 1},
        {"currency": "JPY", "min": 1500, "max": 1500, "count": 1},
    ]
    usd = bands[:-2]
    assert usd[0]["min"] == 900
    assert usd[-1]["max"] == 15000
    assert sum(band["count"] for band in usd) == 5
    assert all(a["max"] < b["min"] for a, b in pairwise(usd))
    for band in bands:
        response = await client.get(
            "/api/products",
            params={
                "currency": band["currency"],
                "min_price": band["min"],
                "max_price": band["max"],
            },
        )
        assert response.json()["total"] == band["count"], band


async def test_facets_are_absent_unless_asked(client: httpx.AsyncClient) -> None:
    await _seed(client)
    for path in ("", "/search"):
        page = (await client.get(f"/api/products{path}", params={"q": "tea"})).json()
        assert page["total"] > 0
        assert page["facets"] is None
        asked = {"q": "tea", "facets": "false"}
        page = (await client.get(f"/api/products{path}", params=asked)).json()
        assert page["facets"] is None


@pytest.mark.parametrize("path", ["", "/search"])
async def test_a_bad_facets_value_is_422(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(f"/api/products{path}", params={"q": "tea", "facets": "maybe"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "facets"


async def test_facets_of_an_empty_match_set(client: httpx.AsyncClient) -> None:
    await _seed(client)
    facets = await _facets(client, category="garden")
    assert facets == {
        "category": {},
        "tag": {},
        "status": {},
        "brand": {},
        "option": {},
        "attribute": {},
        "price": [],
        "counted": 0,
        "complete": True,
    }


async def test_search_facets_count_the_matches(client: httpx.AsyncClient) -> None:
    await _seed(client)
    facets = await _facets(client, "/search", q="tea")
    assert facets["category"] == {"kitchen": 3, "outdoor": 1}
    assert facets["tag"]["tea"] == 4
    assert facets["counted"] == 4
    filtered = await _facets(client, "/search", q="tea", status="active")
    assert filtered["category"] == {"kitchen": 2}
    assert filtered["status"] == {"active": 2}


async def test_the_cap_bounds_what_is_counted(settings: Settings) -> None:
    async with app_with(settings, facet_limit=3) as app, asgi_client(app) as client:
        await _seed(client)
        capped = await _facets(client)
        assert (capped["counted"], capped["complete"]) == (3, False)
        assert sum(capped["status"].values()) == 3
        assert sum(capped["category"].values()) == 3
        assert sum(band["count"] for band in capped["price"]) == 3
        exact = await _facets(client, category="outdoor")
        assert (exact["counted"], exact["complete"]) == (3, True)
        searched = await _facets(client, "/search", q="camping")
        assert (searched["counted"], searched["complete"]) == (3, False)


async def test_for_ids_counts_the_first_ids_given(app: FastAPI, client: httpx.AsyncClient) -> None:
    await _seed(client)
    page = (await client.get("/api/products", params={"sort": "title", "order": "desc"})).json()
    ids = [product["id"] for product in page["items"]]  # Zeta, Gamma, Eta, Epsilon, ...
    async with app.state.session_factory() as session:
        first = await FacetService(session, limit=3).for_ids(ids)
        every = await FacetService(session).for_ids(ids, more_matched=True)
        none = await FacetService(session).for_ids([])
    assert first.category == {"outdoor": 2, "kitchen": 1}
    assert first.tag == {"camping": 2, "tea": 2}
    assert (first.counted, first.complete) == (3, False)
    assert every.category == {"kitchen": 4, "outdoor": 3}
    assert (every.counted, every.complete) == (7, False)
    assert (none.counted, none.complete, none.price) == (0, True, [])


async def test_for_select_finds_out_whether_the_cap_was_hit(app: FastAPI) -> None:
    async with asgi_client(app) as client:
        await _seed(client)
    everything = select(Product.id)
    async with app.state.session_factory() as session:
        exact = await FacetService(session, limit=7).for_select(everything)
        over = await FacetService(session, limit=6).for_select(everything)
        with pytest.raises(ValueError, match="products table"):
            await FacetService(session).for_select(select(literal(1)))
    assert (exact.counted, exact.complete) == (7, True)
    assert (over.counted, over.complete) == (6, False)


async def test_the_top_tags_break_ties_by_code_point(client: httpx.AsyncClient) -> None:
    # A collation that skips hyphens would rank "zb" before "z-c" and keep it instead.
    await create(client, tags=[*(f"a{i:02}" for i in range(9)), "zb", "z-c"])
    facets = await _facets(client)
    assert list(facets["tag"]) == [*(f"a{i:02}" for i in range(9)), "z-c"]
