"""What the API gives agents: availability, status=any, one currency per price comparison,
the state behind a stale If-Match, and honest describe results."""

from __future__ import annotations

import httpx

from tests.conftest import create


async def test_every_product_says_whether_it_can_be_bought_now(client: httpx.AsyncClient) -> None:
    in_stock = await create(client, title="Stocked")
    empty = await create(client, title="Empty", stock_quantity=0)
    draft = await create(client, title="Drafted", status="draft")
    assert (in_stock["available"], empty["available"], draft["available"]) == (True, False, False)
    listed = (await client.get("/api/products", params={"sort": "title"})).json()["items"]
    assert [(p["title"], p["available"]) for p in listed] == [
        ("Drafted", False),
        ("Empty", False),
        ("Stocked", True),
    ]
    by_id = (await client.get(f"/api/products/{in_stock['id']}")).json()
    assert by_id["available"] is True
    found = (await client.get("/api/products/search", params={"q": "drafted"})).json()
    assert [p["available"] for p in found["items"]] == [False]


async def test_status_any_reaches_every_status(client: httpx.AsyncClient) -> None:
    await create(client, title="Live Kettle")
    await create(client, title="Draft Kettle", status="draft")
    for path, extra in (("/api/products", {}), ("/api/products/search", {"q": "kettle"})):
        every = (await client.get(path, params={"status": "any", **extra})).json()
        omitted = (await client.get(path, params=extra)).json()
        active = (await client.get(path, params={"status": "active", **extra})).json()
        assert every["total"] == omitted["total"] == 2, path
        assert active["total"] == 1, path
    counts = (await client.get("/api/categories", params={"status": "any"})).json()
    assert counts["items"] == [{"category": "footwear", "count": 2}]
    refused = await client.get("/api/products", params={"status": "every"})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["status"]


async def test_price_filters_need_a_currency_when_the_matches_hold_several(
    client: httpx.AsyncClient,
) -> None:
    await create(client, title="Dollar Boots", price_minor=13949, currency="USD")
    await create(client, title="Euro Boots", price_minor=14299, currency="EUR")
    await create(client, title="Yen Boots", price_minor=13380, currency="JPY")
    for params in ({"max_price": 15000}, {"sort": "price"}, {"min_price": 1}):
        refused = await client.get("/api/products", params=params)
        assert refused.status_code == 422, params
        problem = refused.json()
        assert problem["currencies"] == ["EUR", "JPY", "USD"]
        assert problem["errors"][0]["field"] == "currency"
        assert "EUR, JPY, USD" in problem["detail"]
        searched = await client.get("/api/products/search", params={"q": "boots", **params})
        assert searched.status_code == 422, params
    cheap = await client.get(
        "/api/products", params={"max_price": 15000, "currency": "usd", "sort": "price"}
    )
    assert cheap.status_code == 200
    assert [p["title"] for p in cheap.json()["items"]] == ["Dollar Boots"]
    # Filters that leave one currency need none.
    await create(client, title="Kettle", category="kitchen", price_minor=2500)
    kitchen = await client.get("/api/products", params={"sort": "price", "category": "kitchen"})
    assert kitchen.status_code == 200
    assert [p["title"] for p in kitchen.json()["items"]] == ["Kettle"]
    unknown = await client.get("/api/products", params={"max_price": 1, "currency": "ZZZ"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "currency"
    assert "ISO 4217" in unknown.json()["errors"][0]["message"]
    one = await client.get("/api/products/search", params={"q": "boots", "currency": "EUR"})
    assert [p["title"] for p in one.json()["items"]] == ["Euro Boots"]


async def test_a_single_currency_catalog_implies_it(client: httpx.AsyncClient) -> None:
    await create(client, title="Cheap", price_minor=500)
    await create(client, title="Dear", price_minor=50000)
    page = await client.get("/api/products", params={"max_price": 1000, "sort": "price"})
    assert page.status_code == 200
    assert [p["title"] for p in page.json()["items"]] == ["Cheap"]


async def test_currencies_lists_what_the_filters_leave(client: httpx.AsyncClient) -> None:
    await create(client, title="A", currency="USD")
    await create(client, title="B", currency="USD", status="draft")
    await create(client, title="C", currency="JPY", price_minor=1200)
    every = (await client.get("/api/currencies")).json()
    assert every["items"] == [
        {"currency": "JPY", "count": 1, "minor_unit": 0},
        {"currency": "USD", "count": 2, "minor_unit": 2},
    ]
    drafts = (await client.get("/api/currencies", params={"status": "draft"})).json()
    assert drafts["items"] == [{"currency": "USD", "count": 1, "minor_unit": 2}]
    codes = await client.get("/api/currencies", params={"counts": "false", "status": "active"})
    assert codes.json()["items"] == [
        {"currency": "JPY", "count": None, "minor_unit": 0},
        {"currency": "USD", "count": None, "minor_unit": 2},
    ]
    none = await client.get("/api/currencies", params={"counts": "false", "category": "nothing"})
    assert none.json()["items"] == []


async def test_a_stale_if_match_says_the_current_version_and_values(
    client: httpx.AsyncClient,
) -> None:
    product = await create(client)
    path = f"/api/products/{product['id']}"
    changed = await client.patch(path, json={"price_minor": 7999, "stock_quantity": 3})
    assert changed.status_code == 200
    stale = await client.patch(
        path, json={"price_minor": 6999}, headers={"If-Match": f'"{product["id"]}.1"'}
    )
    assert stale.status_code == 412
    problem = stale.json()
    assert problem["current_version"] == 2
    assert problem["current"] == {"price_minor": 7999}
    assert problem["updated_at"] == changed.json()["updated_at"]
    gone = await client.delete(path, headers={"If-Match": f'"{product["id"]}.1"'})
    assert gone.json()["current_version"] == 2
    assert gone.json()["current"] == {}


async def test_describe_says_a_template_wrote_it_and_from_which_version(
    client: httpx.AsyncClient,
) -> None:
    product = await create(
        client, title="Bamboo Cutting Board", category="kitchen", tags=["kitchen", "bamboo"]
    )
    preview = (await client.post(f"/api/products/{product['id']}/describe")).json()
    assert preview["provider"] == "offline"
    assert preview["template"] is True
    assert preview["product_version"] == 1
    assert preview["saved"] is False
    saved = (await client.post(f"/api/products/{product['id']}/describe?save=true")).json()
    assert (saved["saved"], saved["product_version"], saved["product"]["version"]) == (True, 2, 2)
    fresh = (await client.post("/api/describe", json={"title": "Mug", "category": "home"})).json()
    assert fresh["template"] is True
    assert fresh["product_version"] is None
