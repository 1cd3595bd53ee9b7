"""Concurrent writers: the unique constraint decides, nobody gets a 500."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from tests.conftest import product_body


async def test_fifty_creates_of_one_slug_give_one_201(client: httpx.AsyncClient) -> None:
    async def attempt(i: int) -> int:
        body = product_body(title=f"Racer {i}", slug="the-one-slug")
        return (await client.post("/api/products", json=body)).status_code

    statuses = Counter(await asyncio.gather(*(attempt(i) for i in range(50))))
    assert statuses == {201: 1, 409: 49}
    page = (await client.get("/api/products", params={"limit": 100})).json()
    assert page["total"] == 1
    assert page["items"][0]["slug"] == "the-one-slug"


async def test_hundred_creates_of_distinct_slugs_all_succeed(client: httpx.AsyncClient) -> None:
    async def attempt(i: int) -> int:
        body = product_body(title=f"Item {i}", slug=f"item-{i}")
        return (await client.post("/api/products", json=body)).status_code

    statuses = Counter(await asyncio.gather(*(attempt(i) for i in range(100))))
    assert statuses == {201: 100}
    assert (await client.get("/api/products")).json()["total"] == 100


async def test_concurrent_patches_keep_every_version(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/products", json=product_body())
    product_id = created.json()["id"]

    async def bump(i: int) -> int:
        response = await client.patch(
            f"/api/products/{product_id}", json={"stock_quantity": 100 + i}
        )
        return response.status_code

    statuses = Counter(await asyncio.gather(*(bump(i) for i in range(20))))
    assert statuses == {200: 20}  # without If-Match, writers take turns: none fails as stale
    final = (await client.get(f"/api/products/{product_id}")).json()
    assert final["version"] == 21
