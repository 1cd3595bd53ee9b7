"""Undo: POST /api/changes/{id}/revert on updates, stock changes, deletes and creates."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import create
from tests.test_variants import posted, tee


async def newest_change(client: httpx.AsyncClient, product_id: int) -> dict[str, Any]:
    """Return the product's most recent change."""
    response = await client.get(f"/api/products/{product_id}/history", params={"limit": 1})
    assert response.status_code == 200, response.text
    item: dict[str, Any] = response.json()["items"][0]
    return item


async def revert(client: httpx.AsyncClient, change_id: int, **params: Any) -> httpx.Response:
    """Ask for a revert."""
    return await client.post(f"/api/changes/{change_id}/revert", params=params)


async def test_revert_an_update_puts_back_the_fields_it_touched(client: httpx.AsyncClient) -> None:
    product = await create(client)
    pid = product["id"]
    await client.patch(f"/api/products/{pid}", json={"title": "Renamed", "tags": ["x"]})
    change = await newest_change(client, pid)
    await client.patch(f"/api/products/{pid}", json={"description": "Other words."})

    response = await revert(client, change["id"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["product"]["title"] == "Trail Runner Shoes"
    assert body["product"]["tags"] == ["running", "trail"]
    assert body["product"]["description"] == "Other words."
    assert body["change"]["action"] == "revert"
    assert body["change"]["reverts"] == change["id"]
    assert body["change"]["changes"]["title"] == ["Renamed", "Trail Runner Shoes"]
    current = (await client.get(f"/api/products/{pid}")).json()
    assert current["title"] == "Trail Runner Shoes"
    assert current["version"] == product["version"] + 3


async def test_revert_a_stock_change_of_one_variant(client: httpx.AsyncClient) -> None:
    product = await posted(client, tee())
    pid = product["id"]
    moved = await client.patch(
        f"/api/products/{pid}/variants/TEE-S-NAVY", json={"stock_quantity": 1}
    )
    assert moved.status_code == 200
    change = await newest_change(client, pid)
    assert change["action"] == "stock"
    other = await client.patch(
        f"/api/products/{pid}/variants/TEE-M-WHITE", json={"stock_quantity": 9}
    )
    assert other.status_code == 200

    response = await revert(client, change["id"])
    assert response.status_code == 200, response.text
    variants = {v["sku"]: v for v in response.json()["product"]["variants"]}
    assert variants["TEE-S-NAVY"]["stock_quantity"] == 12
    assert variants["TEE-M-WHITE"]["stock_quantity"] == 9
    assert response.json()["product"]["stock_quantity"] == 12 + 0 + 9


async def test_revert_a_delete_restores_the_product_with_its_id_and_variants(
    client: httpx.AsyncClient,
) -> None:
    product = await posted(client, tee())
    pid = product["id"]
    assert (await client.delete(f"/api/products/{pid}")).status_code == 204
    assert (await client.get(f"/api/products/{pid}")).status_code == 404
    deletion = await newest_change(client, pid)
    assert deletion["action"] == "delete"

    response = await revert(client, deletion["id"])
    assert response.status_code == 200, response.text
    restored = (await client.get(f"/api/products/{pid}")).json()
    for field in ("slug", "title", "brand", "options", "price_minor", "stock_quantity", "status"):
        assert restored[field] == product[field], field
    assert [(v["sku"], v["option_values"], v["stock_quantity"]) for v in restored["variants"]] == [
        (v["sku"], v["option_values"], v["stock_quantity"]) for v in product["variants"]
    ]
    filtered = await client.get("/api/products", params={"option.size": "m", "status": "any"})
    assert [p["id"] for p in filtered.json()["items"]] == [pid]
    assert (await revert(client, deletion["id"])).status_code == 409


async def test_a_later_change_to_the_same_field_is_a_409_unless_forced(
    client: httpx.AsyncClient,
) -> None:
    product = await create(client)
    pid = product["id"]
    await client.patch(f"/api/products/{pid}", json={"title": "First"})
    first = await newest_change(client, pid)
    await client.patch(f"/api/products/{pid}", json={"title": "Second"})
    second = await newest_change(client, pid)

    refused = await revert(client, first["id"])
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["type"].endswith("/revert-conflict")
    assert problem["conflicts"] == [
        {"change_id": second["id"], "actor": "anonymous", "fields": ["title"]}
    ]
    assert (await client.get(f"/api/products/{pid}")).json()["title"] == "Second"

    forced = await revert(client, first["id"], force="true")
    assert forced.status_code == 200
    assert forced.json()["product"]["title"] == "Trail Runner Shoes"


async def test_revert_a_create_deletes_and_reverting_that_brings_it_back(
    client: httpx.AsyncClient,
) -> None:
    product = await create(client)
    pid = product["id"]
    creation = await newest_change(client, pid)
    await client.patch(f"/api/products/{pid}", json={"stock_quantity": 2})
    assert (await revert(client, creation["id"])).status_code == 409

    undone = await revert(client, creation["id"], force="true")
    assert undone.status_code == 200
    assert undone.json()["product"] is None
    assert (await client.get(f"/api/products/{pid}")).status_code == 404

    again = await revert(client, undone.json()["change"]["id"])
    assert again.status_code == 200
    assert again.json()["product"]["id"] == pid
    assert again.json()["product"]["stock_quantity"] == 2


async def test_unknown_change_is_404(client: httpx.AsyncClient) -> None:
    response = await revert(client, 4242)
    assert response.status_code == 404
    assert response.json()["type"].endswith("/change-not-found")


async def test_revert_a_change_of_the_variant_set(client: httpx.AsyncClient) -> None:
    product = await posted(client, tee())
    pid = product["id"]
    new_variants = [
        {"sku": "TEE-S-NAVY", "option_values": {"size": "S", "colour": "Navy"},
         "price_minor": 2500, "stock_quantity": 12},
        {"sku": "TEE-M-WHITE", "option_values": {"size": "M", "colour": "white"},
         "price_minor": 2400, "stock_quantity": 4},
        {"sku": "TEE-S-WHITE", "option_values": {"size": "S", "colour": "white"},
         "price_minor": 2600, "stock_quantity": 1},
    ]  # fmt: skip
    patched = await client.patch(f"/api/products/{pid}", json={"variants": new_variants})
    assert patched.status_code == 200, patched.text
    change = await newest_change(client, pid)
    assert change["changes"]["variants.TEE-M-NAVY"][1] is None
    assert change["changes"]["variants.TEE-S-WHITE"][0] is None
    assert change["changes"]["variants.TEE-M-WHITE.price_minor"] == [2700, 2400]

    response = await revert(client, change["id"])
    assert response.status_code == 200, response.text
    restored = response.json()["product"]
    assert [(v["sku"], v["price_minor"], v["stock_quantity"]) for v in restored["variants"]] == [
        (v["sku"], v["price_minor"], v["stock_quantity"]) for v in product["variants"]
    ]
    assert restored["price_minor"] == product["price_minor"]
    white = next(v for v in restored["variants"] if v["sku"] == "TEE-M-WHITE")
    assert change["changes"]["variants.TEE-M-WHITE.compare_at_price_minor"] == [3200, None]
    assert white["compare_at_price_minor"] == 3200
    assert (await client.get("/api/variants/TEE-S-WHITE")).status_code == 404
    assert (await client.get("/api/variants/TEE-M-NAVY")).status_code == 200
    by_option = await client.get(
        "/api/products", params={"option.colour": "white", "option.size": "s"}
    )
    assert by_option.json()["items"] == []
