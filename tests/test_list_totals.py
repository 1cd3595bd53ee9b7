"""A list's total stops counting at CATALOG_COUNT_LIMIT and says so."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from catalog_api.config import Settings
from catalog_api.repositories import products as products_repository
from catalog_api.variants import plans
from catalog_mcp.models import ProductPage
from tests.conftest import app_with, asgi_client, product_body


def _shoe(i: int, sizes: list[str]) -> dict[str, Any]:
    body = product_body(
        title=f"Runner {i}",
        category="shoes" if i < 5 else "boots",
        options=[{"name": "size", "values": sizes}],
        variants=[
            {"sku": f"RUN-{i}-{size}", "option_values": {"size": size}, "price_minor": 5000}
            for size in sizes
        ],
    )
    del body["price_minor"], body["stock_quantity"]
    return body


async def _page(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/products", params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


# COMMON_ROWS 1: every option value is common on SQLite, so the count probes each product.
@pytest.mark.parametrize("common_rows", [1, plans.COMMON_ROWS])
async def test_a_total_past_the_limit_is_the_limit_and_says_it_is_not_exact(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, common_rows: int
) -> None:
    monkeypatch.setattr(plans, "COMMON_ROWS", common_rows)
    async with app_with(settings, count_limit=3) as app, asgi_client(app) as client:
        for i in range(7):
            sizes = ["10", "11"] if i % 3 else ["9"]
            assert (await client.post("/api/products", json=_shoe(i, sizes))).status_code == 201
        cases = {
            (): (3, False),  # 7 products
            (("category", "shoes"),): (3, False),  # 5
            (("category", "boots"),): (2, True),
            (("option.size", "10"),): (3, False),  # 4: products 1, 2, 4, 5
            (("option.size", "9"),): (3, True),  # exactly the limit: 0, 3, 6
            (("option.size", "10"), ("category", "boots")): (1, True),  # 5
            (("option.size", "12"),): (0, True),
        }
        for params, (total, exact) in cases.items():
            page = await _page(client, **dict(params))
            assert (page["total"], page["total_is_exact"]) == (total, exact), params

        # Paging is not cut by the bound: every match is reachable.
        seen: list[int] = []
        cursor = None
        for _ in range(10):
            page = await _page(client, limit=2, **({"cursor": cursor} if cursor else {}))
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == 7

        # Facets count the match set themselves, up to their own cap.
        facets = (await _page(client, facets="true"))["facets"]
        assert (facets["counted"], facets["complete"]) == (7, True)


async def test_totals_under_the_default_limit_are_exact(client: httpx.AsyncClient) -> None:
    for i in range(3):
        assert (await client.post("/api/products", json=_shoe(i, ["10"]))).status_code == 201
    page = await _page(client, **{"option.size": "10"})
    assert (page["total"], page["total_is_exact"]) == (3, True)


def test_the_mcp_page_says_a_list_total_is_a_lower_bound() -> None:
    capped = ProductPage.from_api({"items": [], "total": 10_000, "total_is_exact": False})
    assert capped.total == 10_000
    assert capped.note == "at least 10000 match; counting stopped"
    exact = ProductPage.from_api({"items": [], "total": 1, "total_is_exact": True})
    assert exact.note is None


async def test_a_count_of_common_values_stops_walking_and_says_so(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every value counts as common and the walk stops after the first 3 products (by id).
    monkeypatch.setattr(products_repository, "COUNT_RANGE_ROWS", 1)
    monkeypatch.setattr(products_repository, "COUNT_WALK_ROWS", 3)
    async with app_with(settings, count_limit=100) as app, asgi_client(app) as client:
        for i in range(7):
            sizes = ["10", "11"] if i % 3 else ["9"]
            assert (await client.post("/api/products", json=_shoe(i, sizes))).status_code == 201
        page = await _page(client, **{"option.size": "10"})
        # Runners 1 and 2 of the first three hold size 10; 4 and 5 were not walked.
        assert (page["total"], page["total_is_exact"]) == (2, False)
        assert len(page["items"]) == 4  # the page itself is not cut
        # A product filter without option or attribute values is not walked: exact.
        page = await _page(client, category="shoes")
        assert (page["total"], page["total_is_exact"]) == (5, True)


def _runner(i: int) -> dict[str, Any]:
    """Return runner i: size 10 in red (odd i) or blue with stock i % 3, and size 9 red in stock."""
    colour = "red" if i % 2 else "blue"
    body = product_body(
        title=f"Runner {i}",
        category="shoes" if i < 5 else "boots",
        options=[
            {"name": "size", "values": ["10", "9"]},
            {"name": "colour", "values": ["blue", "red"]},
        ],
        variants=[
            {
                "sku": f"RUN-{i}-10",
                "option_values": {"size": "10", "colour": colour},
                "price_minor": 5000 + i,
                "stock_quantity": i % 3,
            },
            {
                "sku": f"RUN-{i}-9",
                "option_values": {"size": "9", "colour": "red"},
                "price_minor": 4000,
                "stock_quantity": 1,
            },
        ],
    )
    del body["price_minor"], body["stock_quantity"]
    return body


async def test_a_walked_count_of_several_variant_filters_counts_the_walked_products(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The walk stops after runners 0-4; on PostgreSQL each value's rows are bounded to them.
    monkeypatch.setattr(products_repository, "COUNT_RANGE_ROWS", 1)
    monkeypatch.setattr(products_repository, "COUNT_WALK_ROWS", 5)
    async with app_with(settings, count_limit=100) as app, asgi_client(app) as client:
        for i in range(8):
            assert (await client.post("/api/products", json=_runner(i))).status_code == 201
        cases = {
            "option.size=10&option.colour=red": 2,  # 1, 3
            "option.size=10&option.colour=red&in_stock=true": 1,  # 1 (3 is sold out)
            "option.colour=blue&in_stock=true": 2,  # 2, 4
            "option.size=10&option.colour=blue&in_stock=true&max_price=5003": 1,  # 2
            "option.size=9&option.colour=red&in_stock=true&category=boots": 0,
        }
        for query, total in cases.items():
            page = await _page(client, **dict(httpx.QueryParams(query)))
            assert (page["total"], page["total_is_exact"]) == (total, False), query
