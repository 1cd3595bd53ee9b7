"""The per-client write rate limit: 429 with Retry-After, reads untouched."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from catalog_api.config import Settings
from tests.conftest import app_with, asgi_client, product_body


@asynccontextmanager
async def clients(
    settings: Settings, *addresses: str, **overrides: Any
) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Run the app with changed settings; yield one client per source address."""
    async with app_with(settings, **overrides) as app:
        opened = [asgi_client(app, address) for address in addresses]
        try:
            yield opened
        finally:
            for client in opened:
                await client.aclose()


async def test_writes_over_the_rate_get_429_with_retry_after(settings: Settings) -> None:
    async with clients(
        settings, "10.0.0.1", "10.0.0.2", write_rate_per_minute=6, write_burst=3
    ) as (
        first,
        second,
    ):
        created = [await first.post("/api/products", json=product_body()) for _ in range(3)]
        assert [r.status_code for r in created] == [201, 201, 201]
        product_id = created[0].json()["id"]
        for refused in (
            await first.post("/api/products", json=product_body()),
            await first.patch(f"/api/products/{product_id}", json={"stock_quantity": 1}),
            await first.delete(f"/api/products/{product_id}"),
        ):
            assert refused.status_code == 429
            assert refused.headers["content-type"] == "application/problem+json"
            assert 1 <= int(refused.headers["retry-after"]) <= 10
            assert "write" in refused.json()["detail"]
        assert (await first.get(f"/api/products/{product_id}")).status_code == 200
        assert (await first.get("/api/products")).json()["total"] == 3
        assert (await second.post("/api/products", json=product_body())).status_code == 201


async def test_made_up_api_keys_do_not_buy_fresh_buckets(settings: Settings) -> None:
    async with clients(settings, "10.0.0.3", write_rate_per_minute=6, write_burst=2) as (client,):
        codes = [
            (
                await client.post(
                    "/api/products", json=product_body(), headers={"X-API-Key": f"k{n}"}
                )
            ).status_code
            for n in range(4)
        ]
        assert codes == [201, 201, 429, 429]


async def test_zero_disables_the_write_limit(settings: Settings) -> None:
    async with clients(settings, "10.0.0.4", write_rate_per_minute=0, write_burst=1) as (client,):
        codes = {
            (await client.post("/api/products", json=product_body())).status_code for _ in range(5)
        }
        assert codes == {201}
