"""The import's fast paths give what the careful ones give, row for row.

New rows: a bulk import stores each row as POST /api/products stores the same body, and
refuses what the API refuses. Re-imports: the checks that set unchanged rows aside (before
validation, and without loading products) give the same outcomes, rows, versions and
history as the full comparison, and a feed of the stored rows is unchanged on both paths.
"""

from __future__ import annotations

import io
import json
from importlib.resources import files
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from catalog_api import importer as importer_module
from catalog_api.import_unchanged import is_unchanged
from catalog_api.importer import Importer, ImportReport, parse_jsonl
from catalog_api.repositories.stored_state import stored_products
from catalog_api.schemas import ProductCreate
from catalog_api.services import imports as imports_module
from catalog_api.services.imports import ImportService, OnConflict
from tests.test_variant_search import _execute

# Columns compared between two products (not the id, slug, times or search fields' names).
PRODUCT_COLUMNS = (
    "title, description, category, tags, brand, price_minor, currency, stock_quantity, "
    "status, attributes, image_urls, seo_keywords, options, version, "
    "search_title, search_labels, search_body"
)
VARIANT_COLUMNS = (
    "v.position, v.option_values, v.price_minor, v.compare_at_price_minor, "
    "v.stock_quantity, v.barcode, v.weight_grams, v.version"
)


def _rows(prefix: str) -> list[dict[str, Any]]:
    """Return import rows (some refused) whose slugs start with prefix."""
    lamp = {"category": "lighting", "currency": "USD", "price_minor": 4500}
    return [
        {**lamp, "slug": f"{prefix}-desk", "title": "  Walnut   Desk Lamp\t", "stock_quantity": 3},
        {
            **lamp,
            "slug": f"{prefix}-floor",
            "title": "Café Floor Lamp",
            "description": 'Linen shade.\r\nBrass stem, 1/2" thick.',
            "tags": ["Lamp", "lamp ", "floor"],
            "brand": "Lumo",
            "attributes": {"material": "brass", "finish": "matte"},
            "image_urls": ["https://example.com/floor.jpg"],
            "status": "active",
        },
        {**lamp, "slug": f"{prefix}-bad-price", "title": "Bad Price", "price_minor": -1},
        {**lamp, "slug": f"{prefix}-bad-currency", "title": "Bad Currency", "currency": "XXQ"},
        {**lamp, "slug": f"{prefix}-no-price", "title": "No Price", "price_minor": None},
        {
            "slug": f"{prefix}-shirt",
            "title": "Linen Shirt",
            "category": "apparel",
            "currency": "EUR",
            "options": [{"name": "size", "values": ["S", "M"]}],
            "variants": [
                {"option_values": {"size": "S"}, "price_minor": 3900, "stock_quantity": 2},
                {"option_values": {"size": "M"}, "price_minor": 4100},
            ],
        },
        {**lamp, "slug": f"{prefix}-archived", "title": "Old Lamp", "status": "archived"},
        {**lamp, "slug": f"{prefix}-plain", "title": "Plain Lamp", "sku": f"{prefix.upper()}-P1"},
        {
            **lamp,
            "slug": f"{prefix}-steady",
            "title": "Steady Lamp",
            "tags": ["lamp"],
            "attributes": {"material": "oak"},
            "status": "active",
            "stock_quantity": 7,
        },
    ]


def _jsonl(rows: list[dict[str, Any]]) -> str:
    return "\n".join(json.dumps({k: v for k, v in row.items() if v is not None}) for row in rows)


async def _import(app: FastAPI, text: str, on_conflict: OnConflict) -> ImportReport:
    importer = Importer(app.state.session_factory, 3, on_conflict=on_conflict)
    return await importer.run(parse_jsonl(io.StringIO(text)))


async def _product(url: str, slug: str) -> tuple[Any, ...]:
    found = await _execute(url, f"SELECT {PRODUCT_COLUMNS} FROM products WHERE slug = '{slug}'")
    assert len(found) == 1, slug
    variants = await _execute(
        url,
        f"SELECT {VARIANT_COLUMNS} FROM product_variants v JOIN products p ON p.id = v.product_id "
        f"WHERE p.slug = '{slug}' ORDER BY v.position",
    )
    return (found[0], variants)


def _reasons(report: ImportReport, prefix: str) -> list[tuple[int, str]]:
    return [(r.first_line, r.reason.replace(prefix, "*")) for r in report.rejected]


async def test_an_import_stores_rows_as_the_api_creates_them(
    app: FastAPI, client: httpx.AsyncClient, database_url: str
) -> None:
    # An import may carry archived products (a store's export); the API creates none.
    rows = [row for row in _rows("imp") if row.get("status") != "archived"]
    report = await _import(app, _jsonl(rows), OnConflict.FAIL)
    refused = {}
    api_rows = [row for row in _rows("api") if row.get("status") != "archived"]
    for number, row in enumerate(api_rows, start=1):
        body = {k: v for k, v in row.items() if v is not None}
        response = await client.post("/api/products", json=body)
        if response.status_code != 201:
            assert response.status_code == 422, response.text
            refused[number] = row["slug"].removeprefix("api-")
    assert {line for line, _ in _reasons(report, "imp")} == set(refused)
    assert report.imported == len(rows) - len(refused)
    for row in rows:
        name = row["slug"].removeprefix("imp-")
        if name not in refused.values():
            imported = await _product(database_url, f"imp-{name}")
            assert imported == await _product(database_url, f"api-{name}"), name
    # Given SKUs and derived ones are the same kind of thing on both paths.
    skus = await _execute(database_url, "SELECT sku FROM product_variants ORDER BY sku")
    assert {sku for (sku,) in skus} >= {"IMP-P1", "API-P1", "imp-desk", "api-desk"}


def _changed(prefix: str) -> list[dict[str, Any]]:
    """Return the rows again: some as they were, some changed, some that cannot apply."""
    rows = [row for row in _rows(prefix) if row["title"] not in {"Bad Price", "Bad Currency"}]
    rows = [row for row in rows if row["title"] != "No Price"]
    by_slug = {row["slug"].removeprefix(f"{prefix}-"): row for row in rows}
    by_slug["desk"] = {**by_slug["desk"], "stock_quantity": 4}  # a stock change
    by_slug["floor"] = {**by_slug["floor"], "tags": ["floor", "lamp"]}  # the same, reordered
    by_slug["archived"] = {**by_slug["archived"], "status": "draft"}  # a status change
    by_slug["shirt-simple"] = {  # a product with options, sent without them
        "slug": f"{prefix}-shirt",
        "title": "Linen Shirt",
        "category": "apparel",
        "currency": "EUR",
        "price_minor": 3900,
    }
    by_slug["new"] = {**by_slug["plain"], "slug": f"{prefix}-new", "title": "New Lamp"}
    by_slug["new"].pop("sku")
    return list(by_slug.values())


async def test_a_re_import_sets_aside_unchanged_rows_as_the_full_comparison_does(
    app: FastAPI,
    client: httpx.AsyncClient,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for prefix in ("fast", "full"):
        await _import(app, _jsonl(_rows(prefix)), OnConflict.FAIL)
        # A change made through the API since: the re-import must put the feed's value back.
        found = await client.get(f"/api/products/by-slug/{prefix}-plain")
        assert found.status_code == 200, found.text
        product = found.json()
        response = await client.patch(
            f"/api/products/{product['id']}",
            json={"stock_quantity": 99},
            headers={"If-Match": found.headers["etag"]},
        )
        assert response.status_code == 200, response.text
    fast = await _import(app, _jsonl(_changed("fast")), OnConflict.UPDATE)

    async def every_row(self: ImportService, updates: list[Any]) -> list[Any]:
        return updates

    async def every_record(self: Importer, read: list[Any], progress: Any, **_: Any) -> list[Any]:
        return read

    monkeypatch.setattr(ImportService, "_drop_unchanged", every_row)
    monkeypatch.setattr(Importer, "_set_aside_unchanged", every_record)
    full = await _import(app, _jsonl(_changed("full")), OnConflict.UPDATE)

    counts = [(r.imported, r.updated, r.unchanged, r.skipped) for r in (fast, full)]
    assert counts[0] == counts[1]
    # desk, floor, archived and plain (its stock back to the feed's) change; shirt and
    # steady (a row exactly as stored, set aside before validation) do not.
    assert (fast.imported, fast.updated, fast.unchanged) == (1, 4, 2)
    assert _reasons(fast, "fast") == _reasons(full, "full")
    assert len(fast.rejected) == 1  # the shirt sent without its options
    for row in _changed("fast"):
        name = row["slug"].removeprefix("fast-")
        assert await _product(database_url, f"fast-{name}") == await _product(
            database_url, f"full-{name}"
        ), name
    history = (
        "SELECT substr(p.slug, 1, 4), count(*) FROM product_changes c "
        "JOIN products p ON p.id = c.product_id GROUP BY 1 ORDER BY 1"
    )
    recorded = dict(await _execute(database_url, history))
    assert recorded["fast"] == recorded["full"]


async def test_a_feed_of_the_stored_products_is_unchanged_on_both_paths(
    app: FastAPI, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stored values are clean: validating them again changes nothing (the set-aside's premise)."""
    shipped = (files("catalog_api") / "data" / "demo_products.jsonl").read_text(encoding="utf-8")
    simple = [line for line in shipped.splitlines() if line and '"variants"' not in line]
    report = await _import(app, "\n".join(simple), OnConflict.FAIL)
    assert report.imported == len(simple) > 100, report.rejected
    stored = await _execute(
        database_url,
        "SELECT p.slug, p.title, p.description, p.category, p.tags, p.brand, p.currency, "
        "p.status, p.attributes, p.image_urls, p.seo_keywords, v.price_minor, "
        "v.stock_quantity FROM products p JOIN product_variants v ON v.product_id = p.id",
    )
    names = [
        "slug", "title", "description", "category", "tags", "brand", "currency", "status",
        "attributes", "image_urls", "seo_keywords", "price_minor", "stock_quantity",
    ]  # fmt: skip
    feed = []
    for values in stored:
        row = dict(zip(names, values, strict=True))
        for name in ("tags", "attributes", "image_urls", "seo_keywords"):
            if isinstance(row[name], str):  # SQLite hands JSON back as text
                row[name] = json.loads(row[name])
        feed.append({k: v for k, v in row.items() if v is not None})
    set_aside = []

    def counted(fields: Any, stored: Any) -> bool:
        set_aside.append(is_unchanged(fields, stored))
        return set_aside[-1]

    monkeypatch.setattr(importer_module, "is_unchanged", counted)
    fast = await _import(app, _jsonl(feed), OnConflict.UPDATE)
    assert (fast.unchanged, fast.updated, len(fast.rejected)) == (len(feed), 0, 0)
    assert set_aside.count(True) == len(feed)  # none of them validated or loaded

    async def every_record(self: Importer, read: list[Any], progress: Any, **_: Any) -> list[Any]:
        return read

    monkeypatch.setattr(Importer, "_set_aside_unchanged", every_record)
    careful = await _import(app, _jsonl(feed), OnConflict.UPDATE)
    assert (careful.unchanged, careful.updated, len(careful.rejected)) == (len(feed), 0, 0)


async def test_changed_rows_of_a_re_import_gather_and_keep_the_file_order(
    app: FastAPI, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Changed rows wait for a full write; a later row with a waiting slug goes after it."""

    def feed(prefix: str) -> list[dict[str, Any]]:
        lamp = {"category": "lighting", "currency": "USD", "price_minor": 4500}
        return [{**lamp, "slug": f"{prefix}-{n}", "title": f"Lamp {n}"} for n in range(9)]

    def resent(prefix: str) -> list[dict[str, Any]]:
        rows = feed(prefix)
        first = rows[0]
        # Batches of three: lamp 0 changes, then comes back as stored; then, in one batch,
        # it changes and comes back again.
        rows[1] = {**first, "price_minor": 4600}
        rows[4] = dict(first)
        rows[5] = {**rows[5], "stock_quantity": 2}
        rows[6] = {**first, "title": "Lamp Zero"}
        rows[7] = dict(first)
        return rows

    writes = 0
    write_once = Importer._write_once

    async def counted(self: Importer, products: list[Any], *rest: Any) -> Any:
        nonlocal writes
        writes += 1
        return await write_once(self, products, *rest)

    for prefix in ("fast", "full", "apart"):
        await _import(app, _jsonl(feed(prefix)), OnConflict.FAIL)
    monkeypatch.setattr(Importer, "_write_once", counted)
    apart = feed("apart")
    for n in (1, 4, 7):
        apart[n]["price_minor"] = 4700
    report = await _import(app, _jsonl(apart), OnConflict.UPDATE)
    assert (report.updated, report.unchanged, writes) == (3, 6, 1)  # one write for 3 batches
    writes = 0
    fast = await _import(app, _jsonl(resent("fast")), OnConflict.UPDATE)
    # [lamp 0 twice], then [lamp 0, lamp 5], then [lamp 0 twice]: a waiting product's
    # later row never joins its write.
    assert writes == 3

    async def every_record(self: Importer, read: list[Any], progress: Any, **_: Any) -> list[Any]:
        return read

    monkeypatch.setattr(Importer, "_set_aside_unchanged", every_record)
    full = await _import(app, _jsonl(resent("full")), OnConflict.UPDATE)
    assert (fast.updated, fast.unchanged, full.updated, full.unchanged) == (5, 4, 5, 4)
    for n in range(9):
        assert await _product(database_url, f"fast-{n}") == await _product(
            database_url, f"full-{n}"
        ), n
    title, price = (
        await _execute(
            database_url, "SELECT title, price_minor FROM products WHERE slug = 'fast-0'"
        )
    )[0]
    assert (title, price) == ("Lamp 0", 4500)


async def test_the_stored_look_up_takes_more_slugs_than_one_statement_may_bind(
    app: FastAPI,
) -> None:
    """A re-import with a huge --batch-size looks up its slugs in statements of bounded size."""
    await _import(app, _jsonl(_rows("many")), OnConflict.FAIL)
    slugs = [f"absent-{n}" for n in range(40_000)] + ["many-desk", "many-floor"]
    async with app.state.session_factory() as session:
        found = await stored_products(session, slugs, ["title", "status", "tags"])
    assert sorted(found) == ["many-desk", "many-floor"]
    assert found["many-floor"].columns["tags"] == ["lamp", "floor"]
    assert found["many-desk"].variants == [(0, {}, 4500, 3)]


async def _history(url: str, slug: str, prefix: str) -> list[tuple[str, dict[str, Any]]]:
    """Return a product's change records, their times dropped and its slug's prefix as '*'."""
    found = await _execute(
        url,
        "SELECT c.action, c.changes FROM product_changes c JOIN products p ON p.id = c.product_id "
        f"WHERE p.slug = '{slug}' ORDER BY c.id",
    )
    records = []
    for action, changes in found:
        text = changes if isinstance(changes, str) else json.dumps(changes)
        loaded = json.loads(text.replace(f"{prefix}-", "*-").replace(prefix.upper(), "*"))
        records.append((action, {k: v for k, v in loaded.items() if not k.endswith("_at")}))
    return records


async def test_rows_made_during_the_pause_are_stored_as_rows_made_holding_the_lock(
    app: FastAPI, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One row a transaction (its clock has always run out), so a batch pauses between rows.
    monkeypatch.setattr(imports_module, "STEP_ROWS", 1)
    taken: list[str] = []
    new_values = ImportService._new_values

    def counted(service: ImportService, row: ProductCreate) -> dict[str, Any]:
        if id(row) in service.prepared:
            taken.append(row.slug or "")
        return new_values(service, row)

    monkeypatch.setattr(ImportService, "_new_values", counted)
    reports = {}
    for prefix, pause in (("lock", 0.0), ("gap", 0.05)):
        importer = Importer(
            app.state.session_factory, 20, max_transaction_seconds=0.0, pause_seconds=pause
        )
        reports[prefix] = await importer.run(parse_jsonl(io.StringIO(_jsonl(_rows(prefix)))))
        assert not importer._prepared  # nothing made is left for another batch's rows
    # The first row goes before any pause; the shirt has variants and takes the careful path.
    assert taken == ["gap-floor", "gap-archived", "gap-plain", "gap-steady"]
    assert _reasons(reports["gap"], "gap") == _reasons(reports["lock"], "lock")
    assert reports["gap"].imported == reports["lock"].imported == 6
    for name in ("desk", "floor", "shirt", "archived", "plain", "steady"):
        gap, lock = f"gap-{name}", f"lock-{name}"
        assert await _product(database_url, gap) == await _product(database_url, lock), name
        assert await _history(database_url, gap, "gap") == await _history(
            database_url, lock, "lock"
        ), name
