"""ETags from the version, and If-Match against lost updates (412 on a stale tag)."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from tests.conftest import create


async def test_reads_and_writes_carry_the_etag(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/api/products",
        json={"title": "Tagged Lamp", "category": "home", "price_minor": 100, "currency": "USD"},
    )
    product = created.json()
    assert created.headers["etag"] == f'"{product["id"]}.1"'
    by_id = await client.get(f"/api/products/{product['id']}")
    by_slug = await client.get("/api/products/by-slug/tagged-lamp")
    assert by_id.headers["etag"] == by_slug.headers["etag"] == f'"{product["id"]}.1"'
    patched = await client.patch(f"/api/products/{product['id']}", json={"stock_quantity": 3})
    assert patched.headers["etag"] == f'"{product["id"]}.2"'


async def test_if_match_guards_patch_put_and_delete(client: httpx.AsyncClient) -> None:
    product = await create(client)
    url = f"/api/products/{product['id']}"
    first = (await client.get(url)).headers["etag"]
    ok = await client.patch(url, json={"price_minor": 500}, headers={"If-Match": first})
    assert ok.status_code == 200
    second = ok.headers["etag"]
    stale = await client.patch(url, json={"price_minor": 1}, headers={"If-Match": first})
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.json()["etag"] == second
    replace = {"title": "T", "category": "c", "price_minor": 1, "currency": "USD"}
    assert (await client.put(url, json=replace, headers={"If-Match": first})).status_code == 412
    assert (await client.delete(url, headers={"If-Match": first})).status_code == 412
    assert (
        await client.patch(url, json={"price_minor": 7}, headers={"If-Match": f"W/{second}"})
    ).status_code == 412
    unchanged = (await client.get(url)).json()
    assert (unchanged["price_minor"], unchanged["version"]) == (500, 2)
    listed = await client.patch(
        url, json={"price_minor": 8}, headers={"If-Match": f'"x", {second}'}
    )
    assert listed.status_code == 200
    assert (await client.delete(url, headers={"If-Match": "*"})).status_code == 204


async def test_two_writers_with_one_etag_cannot_both_win(client: httpx.AsyncClient) -> None:
    product = await create(client)
    url = f"/api/products/{product['id']}"
    etag = (await client.get(url)).headers["etag"]

    async def write(stock: int) -> int:
        response = await client.patch(
            url, json={"stock_quantity": stock}, headers={"If-Match": etag}
        )
        return response.status_code

    statuses = Counter(await asyncio.gather(*(write(100 + i) for i in range(10))))
    assert statuses[200] == 1
    assert set(statuses) <= {200, 409, 412}
    assert (await client.get(url)).json()["version"] == 2
