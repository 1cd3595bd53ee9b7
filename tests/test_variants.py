"""Variants and options: model rules, derived product fields, SKUs and variant updates."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
from sqlalchemy import text

from catalog_api.config import Settings
from catalog_api.db import create_engine
from tests.conftest import create, product_body

PROBLEM = "https://catalog-mcp.dev/problems/"


def tee(**overrides: Any) -> dict[str, Any]:
    """Return a create body of a T-shirt in two sizes and two colours (three variants)."""
    body: dict[str, Any] = {
        "title": "Crew Neck Tee",
        "category": "apparel",
        "brand": "Northpeak",
        "currency": "USD",
        "status": "active",
        "options": [
            {"name": "Size", "values": ["S", "M"]},
            {"name": "colour", "values": ["Navy", "white"]},
        ],
        "variants": [
            {"sku": "TEE-S-NAVY", "option_values": {"size": "s", "colour": "navy"},
             "price_minor": 2500, "stock_quantity": 12},
            {"sku": "TEE-M-NAVY", "option_values": {"Size": "M", "colour": "Navy"},
             "price_minor": 2500, "stock_quantity": 0},
            {"sku": "TEE-M-WHITE", "option_values": {"Size": "M", "colour": "white"},
             "price_minor": 2700, "compare_at_price_minor": 3200, "stock_quantity": 4,
             "barcode": "4006381333931", "weight_grams": 180},
        ],
    }  # fmt: skip
    body.update(overrides)
    return body


async def posted(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    """Create a product from exactly this body and return it, asserting a 201."""
    response = await client.post("/api/products", json=body)
    assert response.status_code == 201, response.text
    product: dict[str, Any] = response.json()
    return product


async def option_rows(settings: Settings, product_id: int) -> list[tuple[str, str, str]]:
    """Return (sku, name, value) of the filterable option rows of a product, sorted."""
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT v.sku, o.name, o.value FROM variant_option_values o "
                    "JOIN product_variants v ON v.id = o.variant_id "
                    "WHERE o.product_id = :id ORDER BY v.sku, o.name"
                ),
                {"id": product_id},
            )
            return [tuple(row) for row in rows]
    finally:
        await engine.dispose()


async def test_a_simple_product_has_one_default_variant_named_by_its_slug(
    client: httpx.AsyncClient,
) -> None:
    product = await create(client, price_minor=1999, stock_quantity=7)
    assert product["options"] == []
    [variant] = product["variants"]
    assert variant["sku"] == product["slug"] == "trail-runner-shoes"
    assert variant["option_values"] == {}
    assert (variant["price_minor"], variant["stock_quantity"]) == (1999, 7)
    assert (product["price_minor"], product["price_max_minor"], product["stock_quantity"]) == (
        1999,
        1999,
        7,
    )
    assert product["availability"] == "in_stock"
    # The fast read path builds the same product.
    fetched = (await client.get(f"/api/products/{product['id']}")).json()
    assert fetched == product


async def test_options_and_variants_are_stored_with_derived_product_fields(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    product = await posted(client, tee())
    assert product["brand"] == "Northpeak"
    assert product["options"] == [
        {"name": "Size", "values": ["S", "M"]},
        {"name": "colour", "values": ["Navy", "white"]},
    ]
    # Option values are spelt as the options declare them, in the options' order.
    assert [v["option_values"] for v in product["variants"]] == [
        {"Size": "S", "colour": "Navy"},
        {"Size": "M", "colour": "Navy"},
        {"Size": "M", "colour": "white"},
    ]
    assert [v["position"] for v in product["variants"]] == [0, 1, 2]
    assert product["price_minor"] == 2500
    assert product["price_max_minor"] == 2700
    assert (product["price"], product["price_max"]) == ("25.00", "27.00")
    assert product["stock_quantity"] == 16
    white = product["variants"][2]
    assert (white["compare_at_price_minor"], white["barcode"], white["weight_grams"]) == (
        3200,
        "4006381333931",
        180,
    )
    assert (await client.get(f"/api/products/{product['id']}")).json() == product
    assert (await client.get(f"/api/products/by-slug/{product['slug']}")).json() == product
    assert await option_rows(settings, product["id"]) == [
        ("TEE-M-NAVY", "colour", "navy"),
        ("TEE-M-NAVY", "size", "m"),
        ("TEE-M-WHITE", "colour", "white"),
        ("TEE-M-WHITE", "size", "m"),
        ("TEE-S-NAVY", "colour", "navy"),
        ("TEE-S-NAVY", "size", "s"),
    ]
    listed = (await client.get("/api/products", params={"sort": "price"})).json()
    assert listed["items"][0]["variants"] == product["variants"]


async def test_variants_without_skus_get_skus_from_slug_and_option_values(
    client: httpx.AsyncClient,
) -> None:
    await create(client, title="Other", slug="other", sku="mug-10oz")
    body = tee(title="Mug", slug="mug", category="kitchen")
    body["options"] = [{"name": "size", "values": ["10oz", "12 oz"]}]
    body["variants"] = [
        {"option_values": {"size": "10oz"}, "price_minor": 900},
        {"option_values": {"size": "12 oz"}, "price_minor": 1100},
    ]
    product = await posted(client, body)
    assert [v["sku"] for v in product["variants"]] == ["mug-10oz-2", "mug-12-oz"]


def _errors(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    return [error["field"] for error in response.json()["errors"]]


async def test_options_and_variants_are_validated_together(client: httpx.AsyncClient) -> None:
    async def refused(body: dict[str, Any]) -> tuple[list[str], str]:
        response = await client.post("/api/products", json=body)
        return _errors(response), response.json()["detail"]

    missing = tee()
    missing["variants"][0]["option_values"] = {"size": "S"}
    fields, detail = await refused(missing)
    assert fields == ["variants.0.option_values"]
    assert "no value for option 'colour'" in detail

    extra = tee()
    extra["variants"][1]["option_values"]["fit"] = "slim"
    fields, detail = await refused(extra)
    assert fields == ["variants.1.option_values"]
    assert "'fit'" in detail

    unknown = tee()
    unknown["variants"][2]["option_values"]["Size"] = "XL"
    fields, detail = await refused(unknown)
    assert "'XL'" in detail
    assert "S, M" in detail

    twins = tee()
    twins["variants"][1]["option_values"] = {"size": "S", "colour": "NAVY"}
    fields, detail = await refused(twins)
    assert fields == ["variants.1.option_values"]
    assert "Variants 0 and 1 have the same option values" in detail

    clash = tee()
    clash["variants"][2]["option_values"]["SIZE"] = "S"
    response = await client.post("/api/products", json=clash)
    assert _errors(response) == ["variants.2.option_values"]
    assert "both 'SIZE'" in response.json()["errors"][0]["message"]

    same_sku = tee()
    same_sku["variants"][2]["sku"] = "TEE-S-NAVY"
    fields, _ = await refused(same_sku)
    assert fields == ["variants.2.sku"]

    repeated_option = tee(
        options=[{"name": "size", "values": ["S"]}, {"name": "SIZE", "values": ["M"]}]
    )
    fields, _ = await refused(repeated_option)
    assert fields == ["options.1.name"]

    repeated_value = tee(options=[{"name": "size", "values": ["S", "s"]}])
    fields, _ = await refused(repeated_value)
    assert fields == ["options.0.values.1"]

    assert (await refused(tee(variants=None)))[0] == ["variants"]
    assert (await refused(tee(price_minor=100)))[0] == ["price_minor"]
    assert (await refused(tee(options=[])))[0] == ["variants"]
    assert (await refused(product_body(price_minor=None)))[0] == ["price_minor"]
    assert (await client.get("/api/products")).json()["total"] == 0


async def test_a_taken_sku_is_a_409_naming_it(client: httpx.AsyncClient) -> None:
    first = await posted(client, tee())
    body = tee(title="Crew Neck Tee 2")
    body["variants"][1]["sku"] = "TEE-X"
    response = await client.post("/api/products", json=body)
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"] == PROBLEM + "duplicate-sku"
    assert problem["skus"] == ["TEE-M-WHITE", "TEE-S-NAVY"]
    assert "'TEE-M-WHITE', 'TEE-S-NAVY'" in problem["detail"]
    # Nothing of the refused product was kept, and the first is unchanged.
    assert (await client.get("/api/products")).json()["total"] == 1
    assert (await client.get("/api/variants/TEE-X")).status_code == 404
    assert (await client.get(f"/api/products/{first['id']}")).json() == first
    # A simple product's explicit SKU is checked the same way.
    clash = await client.post("/api/products", json=product_body(sku="TEE-M-NAVY"))
    assert clash.status_code == 409
    assert clash.json()["skus"] == ["TEE-M-NAVY"]


async def test_concurrent_creates_of_one_sku_give_one_201(client: httpx.AsyncClient) -> None:
    async def attempt(i: int) -> httpx.Response:
        body = product_body(title=f"Racer {i}", slug=f"racer-{i}", sku="ONE-SKU")
        return await client.post("/api/products", json=body)

    responses = await asyncio.gather(*(attempt(i) for i in range(20)))
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 19}
    for response in responses:
        if response.status_code == 409:
            assert response.json()["skus"] == ["ONE-SKU"]
    page = (await client.get("/api/products")).json()
    assert page["total"] == 1
    assert page["items"][0]["variants"][0]["sku"] == "ONE-SKU"


async def test_get_a_variant_by_sku(client: httpx.AsyncClient) -> None:
    product = await posted(client, tee())
    response = await client.get("/api/variants/TEE-M-WHITE")
    assert response.status_code == 200
    variant = response.json()
    assert variant["product_id"] == product["id"]
    assert variant["product_slug"] == product["slug"]
    assert (variant["currency"], variant["price"], variant["in_stock"]) == ("USD", "27.00", True)
    assert response.headers["ETag"] == f'"v{variant["id"]}.1"'
    assert (await client.get("/api/variants/tee-m-white")).status_code == 404  # case counts
    missing = await client.get("/api/variants/NOPE")
    assert missing.json()["type"] == PROBLEM + "variant-not-found"


async def test_variant_stock_update_with_if_match(client: httpx.AsyncClient) -> None:
    product = await posted(client, tee())
    url = f"/api/products/{product['id']}/variants/TEE-M-NAVY"
    etag = (await client.get("/api/variants/TEE-M-NAVY")).headers["ETag"]

    changed = await client.patch(url, json={"stock_quantity": 5}, headers={"If-Match": etag})
    assert changed.status_code == 200, changed.text
    assert changed.json()["stock_quantity"] == 5
    assert changed.json()["version"] == 2
    assert changed.headers["ETag"] != etag

    stale = await client.patch(url, json={"stock_quantity": 9}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert stale.json()["etag"] == changed.headers["ETag"]
    assert stale.json()["current"] == {"stock_quantity": 5}

    # A product's ETag is not a variant's, even with the same digits.
    assert (
        await client.patch(url, json={"stock_quantity": 9}, headers={"If-Match": '"1.1"'})
    ).status_code == 412

    unconditional = await client.patch(url, json={"stock_quantity": 6, "price_minor": 2300})
    assert unconditional.status_code == 200
    assert unconditional.json()["version"] == 3

    after = (await client.get(f"/api/products/{product['id']}")).json()
    assert after["stock_quantity"] == 12 + 6 + 4
    assert (after["price_minor"], after["price_max_minor"]) == (2300, 2700)
    assert after["version"] == product["version"] + 2
    others = [v for v in after["variants"] if v["sku"] != "TEE-M-NAVY"]
    assert others == [v for v in product["variants"] if v["sku"] != "TEE-M-NAVY"]

    # An unchanged value changes nothing.
    same = await client.patch(url, json={"stock_quantity": 6})
    assert same.json()["version"] == 3
    assert (await client.get(f"/api/products/{product['id']}")).json()["version"] == after[
        "version"
    ]


async def test_variant_update_refusals(client: httpx.AsyncClient) -> None:
    product = await posted(client, tee())
    other = await create(client)
    wrong_product = await client.patch(
        f"/api/products/{other['id']}/variants/TEE-M-NAVY", json={"stock_quantity": 1}
    )
    assert wrong_product.status_code == 404
    assert wrong_product.json()["type"] == PROBLEM + "variant-not-found"
    assert (
        await client.patch("/api/products/999/variants/TEE-M-NAVY", json={"stock_quantity": 1})
    ).json()["type"] == PROBLEM + "product-not-found"
    url = f"/api/products/{product['id']}/variants/TEE-M-NAVY"
    assert _errors(await client.patch(url, json={"stock_quantity": -1})) == ["stock_quantity"]
    assert _errors(await client.patch(url, json={"stock_quantity": None})) == ["stock_quantity"]
    assert _errors(await client.patch(url, json={"sku": "X"})) == ["sku"]
    star = await client.patch(url, json={"stock_quantity": 2}, headers={"If-Match": "*"})
    assert star.status_code == 200


async def test_patch_with_variants_matches_by_sku_then_option_values(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    product = await posted(client, tee())
    before = {v["sku"]: v for v in product["variants"]}
    new_variants = [
        # Unchanged, matched by SKU.
        {"sku": "TEE-S-NAVY", "option_values": {"size": "S", "colour": "Navy"},
         "price_minor": 2500, "stock_quantity": 12},
        # Matched by option values: keeps SKU TEE-M-WHITE and its id, new price.
        {"option_values": {"size": "M", "colour": "white"}, "price_minor": 2400,
         "compare_at_price_minor": 3200, "stock_quantity": 4, "barcode": "4006381333931",
         "weight_grams": 180},
        # New.
        {"option_values": {"size": "S", "colour": "white"}, "price_minor": 2600,
         "stock_quantity": 1},
    ]  # fmt: skip
    response = await client.patch(
        f"/api/products/{product['id']}",
        json={"variants": new_variants},
        headers={"If-Match": f'"{product["id"]}.{product["version"]}"'},
    )
    assert response.status_code == 200, response.text
    after = response.json()
    assert [v["sku"] for v in after["variants"]] == [
        "TEE-S-NAVY",
        "TEE-M-WHITE",
        "crew-neck-tee-s-white",
    ]
    navy, white, _ = after["variants"]
    assert navy == before["TEE-S-NAVY"]
    assert (white["id"], white["version"], white["price_minor"], white["position"]) == (
        before["TEE-M-WHITE"]["id"],
        2,
        2400,
        1,
    )
    assert (after["price_minor"], after["stock_quantity"], after["version"]) == (2400, 17, 2)
    assert (await client.get("/api/variants/TEE-M-NAVY")).status_code == 404
    assert ("TEE-M-NAVY", "size", "m") not in await option_rows(settings, product["id"])
    assert ("crew-neck-tee-s-white", "colour", "white") in await option_rows(
        settings, product["id"]
    )
    # Options change only with their variants; price and stock of several variants are theirs.
    assert _errors(await client.patch(f"/api/products/{product['id']}", json={"options": []})) == [
        "variants"
    ]
    assert _errors(
        await client.patch(f"/api/products/{product['id']}", json={"price_minor": 1})
    ) == ["price_minor"]


async def test_a_simple_product_keeps_its_variant_on_patch_and_put(
    client: httpx.AsyncClient,
) -> None:
    product = await create(client, sku="SHOE-1")
    patched = await client.patch(
        f"/api/products/{product['id']}", json={"price_minor": 7999, "stock_quantity": 40}
    )
    [variant] = patched.json()["variants"]
    assert (variant["sku"], variant["id"], variant["price_minor"], variant["stock_quantity"]) == (
        "SHOE-1",
        product["variants"][0]["id"],
        7999,
        40,
    )
    assert (patched.json()["price_minor"], patched.json()["stock_quantity"]) == (7999, 40)
    put = await client.put(
        f"/api/products/{product['id']}", json=product_body(price_minor=5000, brand="Acme")
    )
    assert put.status_code == 200, put.text
    assert put.json()["variants"][0]["sku"] == "SHOE-1"
    assert (put.json()["price_minor"], put.json()["stock_quantity"], put.json()["brand"]) == (
        5000,
        5,
        "Acme",
    )
    cleared = await client.patch(f"/api/products/{product['id']}", json={"brand": ""})
    assert cleared.json()["brand"] is None
    # Becoming a product with options: the old single variant goes, and its SKU is free.
    body = tee(title="Trail Runner Shoes")
    body["variants"][0]["sku"] = "SHOE-1"
    grown = await client.put(f"/api/products/{product['id']}", json=body)
    assert grown.status_code == 200, grown.text
    assert grown.json()["variants"][0]["sku"] == "SHOE-1"
    assert grown.json()["variants"][0]["option_values"] == {"Size": "S", "colour": "Navy"}


async def test_deleting_a_product_deletes_its_variants(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    product = await posted(client, tee())
    assert (await client.delete(f"/api/products/{product['id']}")).status_code == 204
    assert (await client.get("/api/variants/TEE-S-NAVY")).status_code == 404
    assert await option_rows(settings, product["id"]) == []
    again = await client.post("/api/products", json=tee())
    assert again.status_code == 201


async def test_idempotent_create_of_a_product_with_variants(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "tee-once"}
    first = await client.post("/api/products", json=tee(), headers=headers)
    second = await client.post("/api/products", json=tee(), headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert (await client.get("/api/products")).json()["total"] == 1
    other = await client.post(
        "/api/products", json=tee(title="Another Tee"), headers={"Idempotency-Key": "tee-twice"}
    )
    assert other.status_code == 409  # same SKUs, new key: refused, and the key is not spent
    retry = await client.post(
        "/api/products", json=product_body(), headers={"Idempotency-Key": "tee-twice"}
    )
    assert retry.status_code == 201


async def test_concurrent_variant_updates_keep_the_totals_exact(client: httpx.AsyncClient) -> None:
    product = await posted(client, tee())
    skus = ["TEE-S-NAVY", "TEE-M-NAVY", "TEE-M-WHITE"]

    async def stock(i: int) -> int:
        sku = skus[i % 3]
        url = f"/api/products/{product['id']}/variants/{sku}"
        body = {"stock_quantity": 100 + i, "price_minor": 1000 + i}
        return (await client.patch(url, json=body)).status_code

    assert Counter(await asyncio.gather(*(stock(i) for i in range(24)))) == {200: 24}
    after = (await client.get(f"/api/products/{product['id']}")).json()
    variants = after["variants"]
    assert after["stock_quantity"] == sum(v["stock_quantity"] for v in variants)
    assert after["price_minor"] == min(v["price_minor"] for v in variants)
    assert after["price_max_minor"] == max(v["price_minor"] for v in variants)
    assert sum(v["version"] - 1 for v in variants) == 24
    assert after["version"] == 1 + 24


async def test_total_stock_is_capped_at_the_column_maximum(client: httpx.AsyncClient) -> None:
    body = tee()
    for variant in body["variants"]:
        variant["stock_quantity"] = 2**31 - 1
    product = await posted(client, body)
    assert product["stock_quantity"] == 2**31 - 1
    assert [v["stock_quantity"] for v in product["variants"]] == [2**31 - 1] * 3
