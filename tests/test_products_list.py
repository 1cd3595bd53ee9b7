"""Listing: filters, sorting, keyset paging and categories."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from tests.conftest import create


async def _seed(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    specs = [
        ("Alpha Kettle", "kitchen", ["tea"], 2500, 3, "active"),
        ("Beta Pan", "kitchen", ["cast-iron"], 4000, 0, "active"),
        ("Gamma Tent", "outdoor", ["camping", "tea"], 15000, 2, "draft"),
        ("Delta Stove", "outdoor", ["camping"], 4000, 7, "active"),
        ("Epsilon Mug", "kitchen", ["tea", "camping"], 900, 0, "draft"),
    ]
    return [
        await create(
            client, title=t, category=c, tags=tags, price_minor=p, stock_quantity=s, status=st
        )
        for t, c, tags, p, s, st in specs
    ]


async def _titles(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get("/api/products", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == len(page["items"])
    return [p["title"] for p in page["items"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"category": "Kitchen"}, {"Alpha Kettle", "Beta Pan", "Epsilon Mug"}),
        ({"tag": "TEA"}, {"Alpha Kettle", "Gamma Tent", "Epsilon Mug"}),
        ({"status": "draft"}, {"Gamma Tent", "Epsilon Mug"}),
        ({"min_price": 4000}, {"Beta Pan", "Gamma Tent", "Delta Stove"}),
        ({"max_price": 2500}, {"Alpha Kettle", "Epsilon Mug"}),
        ({"min_price": 2500, "max_price": 4000}, {"Alpha Kettle", "Beta Pan", "Delta Stove"}),
        ({"in_stock": "true"}, {"Alpha Kettle", "Gamma Tent", "Delta Stove"}),
        ({"in_stock": "false"}, {"Beta Pan", "Epsilon Mug"}),
        (
            {"currency": "usd"},
            {"Alpha Kettle", "Beta Pan", "Gamma Tent", "Delta Stove", "Epsilon Mug"},
        ),
        ({"currency": "EUR"}, set()),
        (
            {"category": "outdoor", "tag": "camping", "in_stock": "true", "status": "active"},
            {"Delta Stove"},
        ),
        ({"tag": "%"}, set()),
    ],
)
async def test_each_filter(
    client: httpx.AsyncClient, params: dict[str, Any], expected: set[str]
) -> None:
    await _seed(client)
    assert set(await _titles(client, **params)) == expected


@pytest.mark.parametrize(
    ("sort", "order", "expected"),
    [
        ("title", "asc", ["Alpha Kettle", "Beta Pan", "Delta Stove", "Epsilon Mug", "Gamma Tent"]),
        ("title", "desc", ["Gamma Tent", "Epsilon Mug", "Delta Stove", "Beta Pan", "Alpha Kettle"]),
        ("price", "asc", ["Epsilon Mug", "Alpha Kettle", "Beta Pan", "Delta Stove", "Gamma Tent"]),
        ("price", "desc", ["Gamma Tent", "Delta Stove", "Beta Pan", "Alpha Kettle", "Epsilon Mug"]),
        (
            "created_at",
            "asc",
            ["Alpha Kettle", "Beta Pan", "Gamma Tent", "Delta Stove", "Epsilon Mug"],
        ),
        (
            "created_at",
            "desc",
            ["Epsilon Mug", "Delta Stove", "Gamma Tent", "Beta Pan", "Alpha Kettle"],
        ),
    ],
)
async def test_sorting(
    client: httpx.AsyncClient, sort: str, order: str, expected: list[str]
) -> None:
    await _seed(client)
    assert await _titles(client, sort=sort, order=order) == expected


async def test_default_order_is_newest_first(client: httpx.AsyncClient) -> None:
    await _seed(client)
    titles = await _titles(client)
    assert titles[0] == "Epsilon Mug"
    assert titles[-1] == "Alpha Kettle"


async def _walk(
    client: httpx.AsyncClient, path: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        response = await client.get(
            path, params={**params, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.text
        page = response.json()
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("paging did not end")


@pytest.mark.parametrize("sort", ["created_at", "price", "title"])
@pytest.mark.parametrize("order", ["asc", "desc"])
async def test_cursor_visits_every_row_exactly_once(
    client: httpx.AsyncClient, sort: str, order: str
) -> None:
    ids = []
    for i in range(23):
        product = await create(client, title=f"Item {i % 4}", price_minor=100 * (i % 3))
        ids.append(product["id"])
    first = (await client.get("/api/products", params={"limit": 5})).json()
    assert first["total"] == 23
    seen = await _walk(client, "/api/products", {"limit": 5, "sort": sort, "order": order})
    assert sorted(p["id"] for p in seen) == sorted(ids)
    keys = [(p[{"price": "price_minor"}.get(sort, sort)], p["id"]) for p in seen]
    assert keys == sorted(keys, reverse=order == "desc")


async def test_filters_apply_across_pages(client: httpx.AsyncClient) -> None:
    for i in range(12):
        await create(client, title=f"Thing {i}", category="even" if i % 2 == 0 else "odd")
    seen = await _walk(client, "/api/products", {"limit": 4, "category": "even"})
    assert len(seen) == 6
    assert {p["category"] for p in seen} == {"even"}


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 101},
        {"limit": 0},
        {"cursor": "garbage!"},
        {"cursor": base64.urlsafe_b64encode(b'{"v": "x", "id": 1, "q": "zzz"}').decode()},
        {"min_price": 10, "max_price": 5},
        {"sort": "color"},
        {"status": "gone"},
        {"in_stock": "maybe"},
    ],
)
async def test_bad_list_parameters_are_422(
    client: httpx.AsyncClient, params: dict[str, Any]
) -> None:
    response = await client.get("/api/products", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_cursor_is_bound_to_its_query(client: httpx.AsyncClient) -> None:
    for i in range(3):
        await create(client, title=f"P{i}")
    page = (await client.get("/api/products", params={"limit": 1, "sort": "title"})).json()
    reused = await client.get(
        "/api/products", params={"limit": 1, "sort": "price", "cursor": page["next_cursor"]}
    )
    assert reused.status_code == 422
    assert reused.json()["errors"][0]["field"] == "cursor"


async def test_forged_cursor_value_type_is_422(client: httpx.AsyncClient) -> None:
    await create(client)
    page = (await client.get("/api/products", params={"limit": 1, "sort": "price"})).json()
    assert page["next_cursor"] is None
    for i in range(2):
        await create(client, title=f"More {i}")
    page = (await client.get("/api/products", params={"limit": 1, "sort": "price"})).json()
    raw = json.loads(base64.urlsafe_b64decode(page["next_cursor"] + "=="))
    for forged_value in ("abc", 2**70, None, True):
        raw["v"] = forged_value
        cursor = base64.urlsafe_b64encode(json.dumps(raw).encode()).decode()
        response = await client.get(
            "/api/products", params={"limit": 1, "sort": "price", "cursor": cursor}
        )
        assert response.status_code == 422, forged_value


async def test_categories_with_counts(client: httpx.AsyncClient) -> None:
    await _seed(client)
    response = await client.get("/api/categories")
    assert response.status_code == 200
    assert response.json() == {
        "items": [{"category": "kitchen", "count": 3}, {"category": "outdoor", "count": 2}]
    }
    active = (await client.get("/api/categories", params={"status": "active"})).json()
    assert active["items"] == [
        {"category": "kitchen", "count": 2},
        {"category": "outdoor", "count": 1},
    ]


async def test_empty_catalog(client: httpx.AsyncClient) -> None:
    page = (await client.get("/api/products")).json()
    assert page == {
        "items": [],
        "total": 0,
        "total_is_exact": True,
        "limit": 20,
        "next_cursor": None,
        "facets": None,
    }
    assert (await client.get("/api/categories")).json() == {"items": []}
