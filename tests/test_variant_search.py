"""Search finds products by SKU (whole query, any case, first), brand and option values."""

from __future__ import annotations

from typing import Any

import httpx
from alembic import command
from sqlalchemy import text

from catalog_api.config import Settings
from catalog_api.db import create_engine
from tests.conftest import app_with, asgi_client, migrate_url_to, product_body
from tests.test_variants_migration import empty_url  # noqa: F401 - a fixture


def _with_variants(title: str, brand: str | None, variants: list[tuple[str, str, int]]) -> Any:
    """Return a create body of a product with (sku, colour, price) variants."""
    body = product_body(
        title=title,
        brand=brand,
        options=[{"name": "colour", "values": [colour for _, colour, _ in variants]}],
        variants=[
            {"sku": sku, "option_values": {"colour": colour}, "price_minor": price}
            for sku, colour, price in variants
        ],
    )
    del body["price_minor"], body["stock_quantity"]
    return body


async def _post(client: httpx.AsyncClient, body: dict[str, Any]) -> int:
    response = await client.post("/api/products", json=body)
    assert response.status_code == 201, response.text
    product_id: int = response.json()["id"]
    return product_id


async def _search(client: httpx.AsyncClient, q: str, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/products/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def _seed_skus(client: httpx.AsyncClient) -> int:
    """Create products whose titles hold the SKU's words, and the one that holds the SKU."""
    for n in range(4):
        await _post(client, product_body(title=f"TR 10 Blu Runner Edition {n}", price_minor=100))
    return await _post(
        client,
        _with_variants(
            "Trail Shoe", "Northpeak", [("TR-10-BLU", "Navy", 9000), ("TR-10-RED", "Red", 9500)]
        ),
    )


async def test_a_whole_sku_ranks_its_product_first_in_any_case(client: httpx.AsyncClient) -> None:
    product_id = await _seed_skus(client)
    for q in ("TR-10-BLU", "tr-10-blu", " Tr-10-Red "):
        page = await _search(client, q)
        assert page["items"][0]["id"] == product_id, q
        assert page["interpretation"]["missing"] == []
    # The words alone are no SKU: the titles holding them rank first.
    assert (await _search(client, "tr 10 blu"))["items"][0]["id"] != product_id


async def test_a_sku_product_respects_filters_and_field_sorts(client: httpx.AsyncClient) -> None:
    product_id = await _seed_skus(client)
    ids = [item["id"] for item in (await _search(client, "tr-10-blu", sort="price"))["items"]]
    assert product_id in ids  # kept as matching every word, in price order (the dearest)
    assert ids[-1] == product_id
    drafts = await _search(client, "tr-10-blu", status="draft")
    assert product_id not in [item["id"] for item in drafts["items"]]
    only = await _search(client, "tr-10-blu", brand="northpeak")
    assert [item["id"] for item in only["items"]] == [product_id]


async def test_skus_differing_in_case_put_the_exact_spelling_first(
    client: httpx.AsyncClient,
) -> None:
    lower = await _post(client, _with_variants("Lower Kettle", None, [("ab-1", "Grey", 100)]))
    upper = await _post(client, _with_variants("Upper Kettle", None, [("AB-1", "Grey", 100)]))
    assert [i["id"] for i in (await _search(client, "AB-1"))["items"][:2]] == [upper, lower]
    assert [i["id"] for i in (await _search(client, "ab-1"))["items"][:2]] == [lower, upper]


async def test_a_sku_of_no_known_word_is_found(client: httpx.AsyncClient) -> None:
    product_id = await _post(
        client, _with_variants("Kettle", None, [("ZXQ-7781", "Grey", 100), ("ZXQ-7782", "Red", 1)])
    )
    page = await _search(client, "zxq-7782")
    assert [item["id"] for item in page["items"]] == [product_id]


async def test_brand_and_option_values_are_search_words(client: httpx.AsyncClient) -> None:
    shoe = await _post(
        client,
        _with_variants("Trail Shoe", "Northpeak", [("S-1", "Teal", 9000), ("S-2", "Ochre", 100)]),
    )
    await _post(client, product_body(title="Plain Shoe", brand=None))
    for q in ("northpeak", "teal", "ochre shoe", "NORTHPEAK TEAL"):
        assert (await _search(client, q))["items"][0]["id"] == shoe, q
    # An option's name is not a word of the product.
    assert (await _search(client, "colour"))["items"] == []

    etag = (await client.get(f"/api/products/{shoe}")).headers["ETag"]
    changed = await client.patch(
        f"/api/products/{shoe}", json={"brand": "Southpaw"}, headers={"If-Match": etag}
    )
    assert changed.status_code == 200, changed.text
    assert (await _search(client, "southpaw"))["items"][0]["id"] == shoe
    assert (await _search(client, "northpeak"))["items"] == []


async def test_migration_0010_relabels_products_with_brands_or_options(
    empty_url: str,  # noqa: F811 - the fixture
) -> None:
    await migrate_url_to(empty_url, command.upgrade, "head")
    settings = Settings(database_url=empty_url, auto_migrate=False)
    async with app_with(settings) as app, asgi_client(app) as client:
        shoe = await _post(client, _with_variants("Trail Shoe", "Northpeak", [("S-1", "Teal", 1)]))
        plain = await _post(client, product_body(title="Plain Shoe"))
    await migrate_url_to(empty_url, command.downgrade, "0009")
    # What the labels held before: category, tags and attribute values only.
    await _execute(empty_url, "UPDATE products SET search_labels = 'footwear running trail blue'")

    await migrate_url_to(empty_url, command.upgrade, "head")

    labels = dict(await _execute(empty_url, "SELECT id, search_labels FROM products"))
    assert labels[shoe].split()[-2:] == ["northpeak", "teal"]
    assert labels[plain] == "footwear running trail blue"  # neither: not rewritten
    async with app_with(settings) as app, asgi_client(app) as client:
        assert [i["id"] for i in (await _search(client, "northpeak"))["items"]] == [shoe]
        assert [i["id"] for i in (await _search(client, "s-1"))["items"]][:1] == [shoe]


async def _execute(url: str, sql: str) -> list[Any]:
    """Run one statement on the database at url; return the rows it reads."""
    engine = create_engine(Settings(database_url=url))
    try:
        async with engine.begin() as connection:
            result = await connection.execute(text(sql))
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        await engine.dispose()


async def test_a_query_of_letters_alone_is_read_as_words_not_a_sku(
    client: httpx.AsyncClient,
) -> None:
    body = _with_variants("Kettle", None, [("GREYKETTLE", "Grey", 100)])
    kettle = await _post(client, body)
    grey = await _post(client, product_body(title="Greykettle Stand", price_minor=100))
    assert [i["id"] for i in (await _search(client, "greykettle"))["items"]] == [grey]
    assert kettle not in [i["id"] for i in (await _search(client, "GREYKETTLE-2"))["items"]]
    etag = (await client.get(f"/api/products/{kettle}")).headers["ETag"]
    body["variants"][0]["sku"] = "GREYKETTLE-2"
    changed = await client.put(f"/api/products/{kettle}", json=body, headers={"If-Match": etag})
    assert changed.status_code == 200, changed.text
    assert (await _search(client, "greykettle-2"))["items"][0]["id"] == kettle
