"""POST /api/products/{id}/describe and POST /api/describe on the offline provider."""

from __future__ import annotations

import httpx

from catalog_api.app import create_app
from catalog_api.config import Settings
from tests.conftest import create

PREVIEW = {
    "title": "Trail Lamp",
    "category": "outdoor",
    "tags": ["camping"],
    "attributes": {"lumens": "300"},
}


async def test_describe_a_stored_product_without_saving(client: httpx.AsyncClient) -> None:
    product = await create(client)
    response = await client.post(f"/api/products/{product['id']}/describe")
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["provider"] == "offline"
    assert result["saved"] is False
    assert result["product"] is None
    assert "Trail Runner Shoes" in result["description"]
    assert 5 <= len(result["keywords"]) <= 10
    unchanged = (await client.get(f"/api/products/{product['id']}")).json()
    assert unchanged["version"] == 1
    assert unchanged["description"] == product["description"]


async def test_describe_and_save_bumps_the_version(client: httpx.AsyncClient) -> None:
    product = await create(client)
    response = await client.post(f"/api/products/{product['id']}/describe", params={"save": "true"})
    assert response.status_code == 200
    result = response.json()
    assert result["saved"] is True
    stored = (await client.get(f"/api/products/{product['id']}")).json()
    assert stored["version"] == 2
    assert stored["description"] == result["description"]
    assert stored["seo_keywords"] == result["keywords"]
    assert result["product"] == stored


async def test_describe_unknown_product_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/products/4242/describe")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_preview_for_a_product_not_yet_created(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/describe", json=PREVIEW)
    assert response.status_code == 200
    assert "Trail Lamp" in response.json()["description"]
    assert (await client.post("/api/describe", json={"title": "x"})).status_code == 422
    assert (await client.get("/api/products")).json()["total"] == 0


async def test_describe_needs_the_key_and_is_rate_limited(settings: Settings) -> None:
    limited = Settings(
        database_url=settings.database_url, api_key="k3y", describe_rate_per_minute=2
    )
    app = create_app(limited)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.post("/api/describe", json=PREVIEW)).status_code == 401
            key = {"X-API-Key": "k3y"}
            for _ in range(2):
                ok = await client.post("/api/describe", json=PREVIEW, headers=key)
                assert ok.status_code == 200
            refused = await client.post("/api/describe", json=PREVIEW, headers=key)
            assert refused.status_code == 429
            assert int(refused.headers["retry-after"]) >= 1
            assert refused.json()["type"].endswith("/rate-limited")
