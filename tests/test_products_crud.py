"""Create, read, update, replace and delete products."""

from __future__ import annotations

import httpx
import pytest

from catalog_api.app import create_app
from catalog_api.config import Settings
from tests.conftest import create, product_body

PROBLEM = "application/problem+json"


async def test_create_returns_201_location_and_normalised_fields(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/products",
        json=product_body(
            title="  Café  Crème\u200b Mug ",
            category="Kitchen",
            tags=["Mugs", "mugs", " Coffee "],
            currency="eur",
            price_minor=1250,
        ),
    )
    assert response.status_code == 201
    product = response.json()
    assert response.headers["location"].endswith(f"/api/products/{product['id']}")
    assert product["slug"] == "cafe-creme-mug"
    assert product["title"] == "Café Crème Mug"
    assert product["category"] == "kitchen"
    assert product["tags"] == ["mugs", "coffee"]
    assert product["currency"] == "EUR"
    assert product["price"] == "12.50"
    assert product["version"] == 1
    assert product["created_at"].endswith("Z") or "+00:00" in product["created_at"]
    fetched = (await client.get(response.headers["location"])).json()
    assert fetched == product


async def test_get_by_slug_and_unknown_product(client: httpx.AsyncClient) -> None:
    product = await create(client, slug="My Special Slug")
    assert product["slug"] == "my-special-slug"
    by_slug = await client.get("/api/products/by-slug/my-special-slug")
    assert by_slug.status_code == 200
    assert by_slug.json()["id"] == product["id"]
    for path in ("/api/products/999999", "/api/products/by-slug/nope"):
        missing = await client.get(path)
        assert missing.status_code == 404
        assert missing.headers["content-type"] == PROBLEM
        body = missing.json()
        assert body["status"] == 404
        assert body["type"].endswith("/product-not-found")
        assert body["instance"] == path


async def test_derived_slugs_get_a_free_suffix(client: httpx.AsyncClient) -> None:
    first = await create(client, title="Desk Lamp")
    second = await create(client, title="Desk Lamp")
    third = await create(client, title="desk lamp!")
    assert [first["slug"], second["slug"], third["slug"]] == [
        "desk-lamp",
        "desk-lamp-2",
        "desk-lamp-3",
    ]


async def test_explicit_duplicate_slug_is_409(client: httpx.AsyncClient) -> None:
    await create(client, slug="lamp")
    response = await client.post("/api/products", json=product_body(slug="LAMP"))
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"].endswith("/duplicate-slug")
    assert body["slug"] == "lamp"
    assert "lamp-2" in body["detail"]


async def test_validation_errors_name_each_field(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/products",
        json={"title": "", "category": "x", "price_minor": -1, "currency": "XXX", "colour": "red"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"title", "price_minor", "currency", "colour"} <= fields


@pytest.mark.parametrize(
    "body",
    [
        {"title": None},
        {"price_minor": "ten"},
        {"tags": ["x" * 51]},
        {"image_urls": ["not a url"]},
        {"slug": "---"},
        {"unknown": 1},
    ],
)
async def test_patch_refuses_invalid_values(
    client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    product = await create(client)
    response = await client.patch(f"/api/products/{product['id']}", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"].split(".")[0] == next(iter(body))


async def test_patch_changes_only_given_fields_and_bumps_version(client: httpx.AsyncClient) -> None:
    product = await create(client)
    response = await client.patch(
        f"/api/products/{product['id']}", json={"price_minor": 7999, "stock_quantity": 0}
    )
    assert response.status_code == 200
    updated = response.json()
    assert updated["price_minor"] == 7999
    assert updated["stock_quantity"] == 0
    assert updated["title"] == product["title"]
    assert updated["version"] == 2
    assert updated["updated_at"] > product["updated_at"]
    same = await client.patch(f"/api/products/{product['id']}", json={"price_minor": 7999})
    assert same.json()["version"] == 2


async def test_put_replaces_everything_but_an_omitted_slug(client: httpx.AsyncClient) -> None:
    product = await create(client, tags=["a"], attributes={"k": "v"})
    replacement = {"title": "New Title", "category": "misc", "price_minor": 1, "currency": "JPY"}
    response = await client.put(f"/api/products/{product['id']}", json=replacement)
    assert response.status_code == 200
    replaced = response.json()
    assert replaced["slug"] == product["slug"]
    assert replaced["tags"] == []
    assert replaced["attributes"] == {}
    assert replaced["status"] == "draft"
    assert replaced["price"] == "1"
    missing = await client.put("/api/products/424242", json=replacement)
    assert missing.status_code == 404


async def test_changing_slug_to_a_taken_one_is_409(client: httpx.AsyncClient) -> None:
    await create(client, slug="taken")
    other = await create(client, slug="other")
    response = await client.patch(f"/api/products/{other['id']}", json={"slug": "taken"})
    assert response.status_code == 409
    assert (await client.get(f"/api/products/{other['id']}")).json()["slug"] == "other"


async def test_status_rules(client: httpx.AsyncClient) -> None:
    archived_at_birth = await client.post("/api/products", json=product_body(status="archived"))
    assert archived_at_birth.status_code == 422
    assert archived_at_birth.json()["errors"][0]["field"] == "status"
    product = await create(client, status="active")
    url = f"/api/products/{product['id']}"
    assert (await client.patch(url, json={"status": "archived"})).status_code == 200
    refused = await client.patch(url, json={"status": "active"})
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/invalid-status-transition")
    assert (await client.patch(url, json={"status": "draft"})).status_code == 200


async def test_delete_then_gone(client: httpx.AsyncClient) -> None:
    product = await create(client)
    response = await client.delete(f"/api/products/{product['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get(f"/api/products/{product['id']}")).status_code == 404
    assert (await client.delete(f"/api/products/{product['id']}")).status_code == 404


async def test_api_key_guards_writes_but_not_reads(settings: Settings) -> None:
    app = create_app(Settings(database_url=settings.database_url, api_key="s3cret"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            no_key = await client.post("/api/products", json=product_body())
            assert no_key.status_code == 401
            assert no_key.headers["content-type"] == PROBLEM
            wrong = await client.post(
                "/api/products", json=product_body(), headers={"X-API-Key": "nope"}
            )
            assert wrong.status_code == 401
            ok = await client.post(
                "/api/products", json=product_body(), headers={"X-API-Key": "s3cret"}
            )
            assert ok.status_code == 201
            product_id = ok.json()["id"]
            assert (await client.get(f"/api/products/{product_id}")).status_code == 200
            assert (await client.get("/api/products")).status_code == 200
            for method in ("PATCH", "PUT", "DELETE"):
                response = await client.request(method, f"/api/products/{product_id}", json={})
                assert response.status_code == 401, method
            assert (await client.get(f"/api/products/{product_id}")).status_code == 200
