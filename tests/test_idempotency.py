"""Idempotency-Key on creates: replays return the first response and create nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from catalog_api.config import Settings
from catalog_api.housekeeping import purge_expired_keys
from catalog_api.models import IdempotencyRecord
from tests.conftest import app_with, asgi_client, create, product_body


def keyed(key: str) -> dict[str, str]:
    """Return headers carrying an idempotency key."""
    return {"Idempotency-Key": key}


async def total(client: httpx.AsyncClient) -> int:
    """Return how many products the catalog holds."""
    count: int = (await client.get("/api/products")).json()["total"]
    return count


@asynccontextmanager
async def app_client(settings: Settings, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app on the test database with changed settings; yield a client of it."""
    async with app_with(settings, **overrides) as app, asgi_client(app) as client:
        yield client


async def test_a_replay_returns_the_first_response_and_creates_nothing(
    client: httpx.AsyncClient,
) -> None:
    key = keyed(str(uuid.uuid4()))
    first = await client.post("/api/products", json=product_body(), headers=key)
    assert first.status_code == 201
    assert "idempotent-replayed" not in first.headers
    again = await client.post("/api/products", json=product_body(), headers=key)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["etag"] == first.headers["etag"]
    assert await total(client) == 1


async def test_a_replay_after_an_update_still_returns_the_first_response(
    client: httpx.AsyncClient,
) -> None:
    key = keyed("retry-after-edit")
    first = (await client.post("/api/products", json=product_body(), headers=key)).json()
    await client.patch(f"/api/products/{first['id']}", json={"stock_quantity": 1})
    again = await client.post("/api/products", json=product_body(), headers=key)
    assert again.json() == first
    assert await total(client) == 1


async def test_the_same_key_with_another_body_is_refused(client: httpx.AsyncClient) -> None:
    key = keyed("k-1")
    assert (await client.post("/api/products", json=product_body(), headers=key)).status_code == 201
    other = await client.post("/api/products", json=product_body(title="Other"), headers=key)
    assert other.status_code == 422
    problem = other.json()
    assert problem["errors"][0]["field"] == "Idempotency-Key"
    assert "different request" in problem["detail"]
    assert await total(client) == 1


async def test_a_new_key_or_no_key_creates_again(client: httpx.AsyncClient) -> None:
    for headers in (keyed("a"), keyed("b"), {}, {}):
        assert (await client.post("/api/products", json=product_body(), headers=headers)).is_success
    assert await total(client) == 4


async def test_ten_concurrent_requests_with_one_key_execute_once(
    client: httpx.AsyncClient,
) -> None:
    key = keyed(str(uuid.uuid4()))
    responses = await asyncio.gather(
        *(client.post("/api/products", json=product_body(), headers=key) for _ in range(10))
    )
    assert [r.status_code for r in responses] == [201] * 10
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum("idempotent-replayed" in r.headers for r in responses) == 9
    assert await total(client) == 1


async def test_concurrent_different_bodies_with_one_key_create_one(
    client: httpx.AsyncClient,
) -> None:
    key = keyed("contested")
    responses = await asyncio.gather(
        *(
            client.post("/api/products", json=product_body(title=f"Lamp {n}"), headers=key)
            for n in range(6)
        )
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 422, 422, 422, 422, 422]
    assert await total(client) == 1


async def test_a_failed_create_does_not_use_up_the_key(client: httpx.AsyncClient) -> None:
    taken = await create(client, slug="lamp")
    key = keyed("after-conflict")
    body = product_body(title="Lamp", slug="lamp")
    assert (await client.post("/api/products", json=body, headers=key)).status_code == 409
    await client.delete(f"/api/products/{taken['id']}")
    retried = await client.post("/api/products", json=body, headers=key)
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers


@pytest.mark.parametrize(
    "bad", ["", "has space", "x" * 256, "naïve"], ids=["empty", "space", "long", "non-ascii"]
)
async def test_malformed_keys_are_refused(client: httpx.AsyncClient, bad: str) -> None:
    headers = [(b"Idempotency-Key", bad.encode("utf-8"))]
    response = await client.post("/api/products", json=product_body(), headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await total(client) == 0


async def test_keys_expire_after_the_ttl(settings: Settings) -> None:
    async with app_client(settings, idempotency_ttl_seconds=0.5) as client:
        key = keyed("short-lived")
        first = await client.post("/api/products", json=product_body(), headers=key)
        await asyncio.sleep(0.7)
        later = await client.post("/api/products", json=product_body(), headers=key)
        assert later.status_code == 201
        assert "idempotent-replayed" not in later.headers
        assert later.json()["id"] != first.json()["id"]
        assert await total(client) == 2


async def stored_keys(app: FastAPI) -> int:
    """Return how many idempotency records the app's database holds."""
    async with app.state.session_factory() as session:
        count: int = await session.scalar(select(func.count()).select_from(IdempotencyRecord))
        return count


async def test_live_keys_are_kept_and_expired_ones_purged_in_the_background(
    settings: Settings,
) -> None:
    async with app_with(settings) as app, asgi_client(app) as client:
        for n in range(2):
            await client.post("/api/products", json=product_body(), headers=keyed(f"live{n}"))
        assert await purge_expired_keys(app.state.session_factory) == 0
        assert await stored_keys(app) == 2
    async with app_with(settings, idempotency_ttl_seconds=0.2) as app, asgi_client(app) as client:
        for n in range(3):
            await client.post("/api/products", json=product_body(), headers=keyed(f"p{n}"))
        for _ in range(50):
            if await stored_keys(app) == 2:
                break
            await asyncio.sleep(0.1)
        assert await stored_keys(app) == 2


async def test_keys_belong_to_the_api_key_that_sent_them(settings: Settings) -> None:
    async with app_client(settings, api_key="s3cret") as client:
        headers = {**keyed("same"), "X-API-Key": "s3cret"}
        assert (await client.post("/api/products", json=product_body(), headers=headers)).is_success
    async with app_client(settings, api_key="other") as client:
        headers = {**keyed("same"), "X-API-Key": "other"}
        response = await client.post("/api/products", json=product_body(), headers=headers)
        assert response.status_code == 201
        assert "idempotent-replayed" not in response.headers
        assert await total(client) == 2
