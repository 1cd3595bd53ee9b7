"""A re-import knows a row it wrote before by its digest, and forgets it when the product changes.

Each product keeps the digest of the import row it was last written from (migration 0018).
A row sent again with that digest is unchanged without reading the stored product; any other
write to the product or its variants (the API, SQL, a delete) forgets the digest, so the row
takes the comparing path and puts the feed's values back.
"""

from __future__ import annotations

import asyncio
import copy
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from catalog_api import importer as importer_module
from catalog_api.cli import main
from catalog_api.importer import Importer, ImportReport, parse_jsonl
from catalog_api.repositories.source_digests import KeptDigest, keep_digests, stored_digests
from catalog_api.services.imports import OnConflict
from tests.test_import_variants import CSV_HEADER
from tests.test_variant_search import _execute

KEPT = "SELECT p.slug FROM product_source_digests d JOIN products p ON p.id = d.product_id"


def _feed() -> list[dict[str, Any]]:
    lamp = {"category": "lighting", "currency": "USD", "price_minor": 4500, "status": "active"}
    rows: list[dict[str, Any]] = [
        {**lamp, "slug": f"lamp-{n}", "title": f"Desk Lamp {n}", "stock_quantity": n}
        for n in range(6)
    ]
    rows.append(
        {
            "slug": "shirt",
            "title": "Linen Shirt",
            "category": "apparel",
            "currency": "EUR",
            "status": "active",
            "options": [{"name": "size", "values": ["S", "M"]}],
            "variants": [
                {"option_values": {"size": "S"}, "price_minor": 3900, "stock_quantity": 2},
                {"option_values": {"size": "M"}, "price_minor": 4100, "sku": "SHIRT-M"},
            ],
        }
    )
    return rows


def _jsonl(rows: list[dict[str, Any]]) -> str:
    return "\n".join(json.dumps(row) for row in rows)


async def _import(app: FastAPI, rows: list[dict[str, Any]], on_conflict: OnConflict) -> Any:
    importer = Importer(app.state.session_factory, 4, on_conflict=on_conflict)
    return await importer.run(parse_jsonl(io.StringIO(_jsonl(rows))))


def _compared(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the slugs whose stored products the importer reads to compare."""
    read: list[str] = []
    stored_products = importer_module.stored_products

    async def recording(session: Any, slugs: list[str], columns: Any) -> Any:
        read.extend(slugs)
        return await stored_products(session, slugs, columns)

    monkeypatch.setattr(importer_module, "stored_products", recording)
    return read


def _counts(report: ImportReport) -> tuple[int, int, int, int]:
    return (report.imported, report.updated, report.unchanged, len(report.rejected))


async def _kept(url: str) -> set[str]:
    return {slug for (slug,) in await _execute(url, KEPT)}


async def test_a_feed_sent_again_is_known_by_its_digests(
    app: FastAPI, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = _feed()
    assert _counts(await _import(app, feed, OnConflict.FAIL)) == (7, 0, 0, 0)
    slugs = {row["slug"] for row in feed}
    assert await _kept(database_url) == slugs
    compared = _compared(monkeypatch)
    assert _counts(await _import(app, feed, OnConflict.UPDATE)) == (0, 0, 7, 0)
    assert compared == []  # no stored product read, the shirt with variants included

    changed = copy.deepcopy(feed)
    changed[2]["title"] = "Desk Lamp Two"
    changed[6]["variants"][0]["stock_quantity"] = 5
    assert _counts(await _import(app, changed, OnConflict.UPDATE)) == (0, 2, 5, 0)
    assert compared == ["lamp-2"]  # its digest differs: compared, then written
    assert await _kept(database_url) == slugs  # the changed rows' new digests
    compared.clear()
    assert _counts(await _import(app, changed, OnConflict.UPDATE)) == (0, 0, 7, 0)
    assert compared == []
    assert _counts(await _import(app, feed, OnConflict.UPDATE)) == (0, 2, 5, 0)


async def test_any_other_write_forgets_the_digest_and_the_feed_is_put_back(
    app: FastAPI, client: httpx.AsyncClient, database_url: str
) -> None:
    feed = _feed()
    await _import(app, feed, OnConflict.FAIL)
    by_slug = {}
    for slug in ("lamp-0", "lamp-1", "lamp-2", "shirt"):
        found = await client.get(f"/api/products/by-slug/{slug}")
        by_slug[slug] = (found.json()["id"], found.headers["etag"])
    lamp_id, etag = by_slug["lamp-0"]
    patched = await client.patch(
        f"/api/products/{lamp_id}", json={"stock_quantity": 99}, headers={"If-Match": etag}
    )
    assert patched.status_code == 200, patched.text
    shirt_id, _ = by_slug["shirt"]
    stock = await client.patch(
        f"/api/products/{shirt_id}/variants/SHIRT-M", json={"stock_quantity": 9}
    )
    assert stock.status_code == 200, stock.text
    deleted = await client.delete(f"/api/products/{by_slug['lamp-1'][0]}")
    assert deleted.status_code == 204, deleted.text
    # Outside the app too: the triggers see every write.
    await _execute(database_url, "UPDATE products SET title = 'Renamed' WHERE slug = 'lamp-2'")
    await _execute(database_url, "UPDATE product_variants SET price_minor = 1 WHERE sku = 'lamp-3'")
    forgotten = {"lamp-0", "lamp-1", "lamp-2", "lamp-3", "shirt"}
    assert await _kept(database_url) == {row["slug"] for row in feed} - forgotten

    report = await _import(app, feed, OnConflict.UPDATE)
    # lamp-1 comes back; the others are put back as the feed has them.
    assert _counts(report) == (1, 4, 2, 0)
    rows = await _execute(
        database_url,
        "SELECT p.slug, p.title, p.stock_quantity, v.price_minor FROM products p "
        "JOIN product_variants v ON v.product_id = p.id AND v.position = 0 "
        "WHERE p.slug IN ('lamp-0', 'lamp-2', 'lamp-3') ORDER BY p.slug",
    )
    assert rows == [
        ("lamp-0", "Desk Lamp 0", 0, 4500),
        ("lamp-2", "Desk Lamp 2", 2, 4500),
        ("lamp-3", "Desk Lamp 3", 3, 4500),
    ]
    shirt = await client.get("/api/variants/SHIRT-M")
    assert shirt.json()["stock_quantity"] == 0
    assert await _kept(database_url) == {row["slug"] for row in feed}


async def test_a_catalog_without_digests_gets_them_from_its_first_re_import(
    app: FastAPI, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = _feed()
    await _import(app, feed, OnConflict.FAIL)
    await _execute(database_url, "DELETE FROM product_source_digests")  # as before 0018
    compared = _compared(monkeypatch)
    assert _counts(await _import(app, feed, OnConflict.UPDATE)) == (0, 0, 7, 0)
    assert len(compared) == 6  # the plain rows, compared by value; the shirt took the full path
    assert await _kept(database_url) == {row["slug"] for row in feed}
    compared.clear()
    assert _counts(await _import(app, feed, OnConflict.UPDATE)) == (0, 0, 7, 0)
    assert compared == []


async def test_a_digest_is_kept_only_for_the_version_it_was_found_at(
    app: FastAPI, database_url: str
) -> None:
    await _import(app, _feed()[:2], OnConflict.FAIL)
    await _execute(database_url, "DELETE FROM product_source_digests")
    async with app.state.session_factory() as session:
        # lamp-0 is at version 1; lamp-1 changed since it was compared (at version 1).
        await _execute(database_url, "UPDATE products SET version = 2 WHERE slug = 'lamp-1'")
        await keep_digests(
            session, {"lamp-0": KeptDigest(1, b"a" * 16), "lamp-1": KeptDigest(1, b"b" * 16)}
        )
        await session.commit()
        assert await stored_digests(session, ["lamp-0", "lamp-1", "nothing"]) == {
            "lamp-0": b"a" * 16
        }


async def test_the_same_row_spelt_differently_is_compared_not_trusted(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = _feed()[:3]
    await _import(app, feed, OnConflict.FAIL)
    compared = _compared(monkeypatch)
    respelt = [{key: row[key] for key in reversed(list(row))} for row in feed]
    assert _counts(await _import(app, respelt, OnConflict.UPDATE)) == (0, 0, 3, 0)
    assert len(compared) == 3


def test_grouped_csv_rows_are_known_by_their_product_digest(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CATALOG_DATABASE_URL", database_url)
    path = tmp_path / "v.csv"
    path.write_text(
        CSV_HEADER
        + "shoe,Shoe,shoes,USD,Size,8,Colour,Blue,SHOE-8-B,99.00,3\n"
        + "shoe,,,,,8,,Red,SHOE-8-R,99.00,0\n"
        + "mug,Mug,home,USD,,,,,MUG-1,5.00,7\n",
        encoding="utf-8",
    )
    assert main(["import", str(path)]) == 0
    assert asyncio.run(_kept(database_url)) == {"shoe", "mug"}
    validated: list[Any] = []
    check_all = importer_module._check_all

    def recording(records: list[Any]) -> Any:
        validated.extend(records)
        return check_all(records)

    monkeypatch.setattr(importer_module, "_check_all", recording)
    assert main(["import", str(path), "--on-conflict", "update"]) == 0
    assert validated == []  # both products known by their digests, neither validated
    assert asyncio.run(_kept(database_url)) == {"shoe", "mug"}
    path.write_text(path.read_text().replace("99.00,0", "99.00,4"), encoding="utf-8")
    assert main(["import", str(path), "--on-conflict", "update"]) == 0
    assert len(validated) == 1  # the shoe's record changed; the mug's did not
    stock = "SELECT stock_quantity FROM product_variants WHERE sku = 'SHOE-8-R'"
    assert asyncio.run(_execute(database_url, stock)) == [(4,)]
