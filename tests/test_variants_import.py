"""Imports of simple products: each gets its one variant, in the same transaction."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from catalog_api.cli import main
from tests.conftest import fetch_rows


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


VARIANTS = (
    "SELECT p.slug, v.sku, v.price_minor, v.stock_quantity, p.price_minor, p.stock_quantity "
    "FROM products p JOIN product_variants v ON v.product_id = p.id ORDER BY p.slug"
)


def test_each_imported_product_gets_one_variant(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CATALOG_DATABASE_URL", database_url)
    base = {"category": "home", "currency": "USD"}
    first = [
        {**base, "title": "Lamp", "price_minor": 1000, "stock_quantity": 3},
        {**base, "title": "Rug", "price_minor": 5000, "sku": "RUG-1"},
        {**base, "title": "Vase", "price_minor": 700, "sku": "RUG-1"},  # taken a line earlier
        {**base, "title": "Mat", "price_minor": 100, "sku": "lamp"},  # the lamp's slug SKU
        {**base, "title": "Tee", "price_minor": 1, "options": [{"name": "s", "values": ["a"]}]},
        {**base, "title": "Cap", "price_minor": 1, "variants": [{"price_minor": 1}]},
    ]
    assert main(["import", str(_write(tmp_path / "a.jsonl", first))]) == 1
    report = capsys.readouterr().err
    assert "a.jsonl:3: rejected: SKU 'RUG-1' already belongs to another variant" in report
    assert "a.jsonl:4: rejected: SKU 'lamp' already belongs to another variant" in report
    assert "a.jsonl:5: rejected: A product with options needs its variants" in report
    assert "a.jsonl:6: rejected: price_minor belongs to each variant" in report
    assert "slug that is already taken" not in report
    assert fetch_rows(database_url, VARIANTS) == [
        ("lamp", "lamp", 1000, 3, 1000, 3),
        ("rug", "RUG-1", 5000, 0, 5000, 0),
    ]
    again = [{**base, "title": "Lamp", "price_minor": 1200, "stock_quantity": 9}]
    path = _write(tmp_path / "b.jsonl", again)
    assert main(["import", str(path), "--on-conflict", "update"]) == 0
    assert fetch_rows(database_url, VARIANTS)[0] == ("lamp", "lamp", 1200, 9, 1200, 9)
