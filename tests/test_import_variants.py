"""Imports of products with options and variants: nested JSON Lines and grouped CSV rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from catalog_api.cli import main
from tests.conftest import fetch_rows

VARIANTS = (
    "SELECT p.slug, v.sku, v.price_minor, v.compare_at_price_minor, v.stock_quantity, "
    "v.barcode, v.weight_grams FROM products p JOIN product_variants v ON v.product_id = p.id "
    "ORDER BY p.slug, v.position"
)
PRODUCTS = "SELECT slug, price_minor, stock_quantity, brand FROM products ORDER BY slug"
OPTION_ROWS = "SELECT count(*) FROM variant_option_values"

TEE = {
    "title": "Tee",
    "category": "apparel",
    "currency": "USD",
    "brand": "Acme",
    "options": [{"name": "Size", "values": ["S", "M"]}, {"name": "Colour", "values": ["Navy"]}],
    "variants": [
        {
            "sku": "TEE-S",
            "option_values": {"Size": "S", "Colour": "Navy"},
            "price_minor": 1500,
            "compare_at_price_minor": 2000,
            "stock_quantity": 0,
            "barcode": "00012345",
            "weight_grams": 180,
        },
        {"sku": "TEE-M", "option_values": {"size": "m", "colour": "navy"}, "price": "17.50"},
    ],
}


@pytest.fixture
def env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CATALOG_DATABASE_URL", database_url)
    return database_url


def test_nested_jsonl_variants_are_stored_exactly(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lamp = {"title": "Lamp", "category": "home", "currency": "USD", "price_minor": 900}
    bad = {**TEE, "title": "Twin", "variants": [TEE["variants"][0], TEE["variants"][0]]}
    taken = {**TEE, "title": "Other", "variants": [{**TEE["variants"][1], "sku": "lamp"}]}
    taken["options"] = [{"name": "Size", "values": ["M"]}, {"name": "Colour", "values": ["Navy"]}]
    lines = [lamp, TEE, bad, taken]
    path = tmp_path / "v.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert main(["import", str(path)]) == 1
    report = capsys.readouterr().err
    assert "v.jsonl:3: rejected: Variants 0 and 1 have the same option values" in report
    assert "v.jsonl:4: rejected: SKU 'lamp' already belongs to another variant" in report
    assert "read 4 lines: 2 imported, 2 rejected" in report
    assert fetch_rows(env, VARIANTS) == [
        ("lamp", "lamp", 900, None, 0, None, None),
        ("tee", "TEE-S", 1500, 2000, 0, "00012345", 180),
        ("tee", "TEE-M", 1750, None, 0, None, None),
    ]
    assert fetch_rows(env, PRODUCTS) == [("lamp", 900, 0, None), ("tee", 1500, 0, "Acme")]
    assert fetch_rows(env, OPTION_ROWS) == [(4,)]
    # Updating replaces the variants, matched by SKU.
    again = {**TEE, "variants": [{**TEE["variants"][1], "stock_quantity": 4}]}
    again["options"] = taken["options"]
    path.write_text(json.dumps(again) + "\n", encoding="utf-8")
    assert main(["import", str(path), "--on-conflict", "update"]) == 0
    assert fetch_rows(env, VARIANTS)[1:] == [("tee", "TEE-M", 1750, None, 4, None, None)]
    assert fetch_rows(env, PRODUCTS)[1] == ("tee", 1750, 4, "Acme")


CSV_HEADER = (
    "handle,title,category,currency,option1_name,option1_value,option2_name,option2_value,"
    "sku,price,stock_quantity\n"
)


def test_grouped_csv_rows_become_variants(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = (
        "shoe,Shoe,shoes,USD,Size,8,Colour,Blue,SHOE-8-B,99.00,3\n"
        "shoe,,,,,8,,Red,SHOE-8-R,99.00,0\n"
        "\n"
        "shoe,Shoe,shoes,USD,,9,,Blue,,109.00,5\n"
        "mug,Mug,home,USD,,,,,MUG-1,5.00,7\n"
        "dup,Dup,home,USD,Size,S,,,DUP-1,1.00,1\n"
        "dup,,,,,s,,,DUP-2,1.00,1\n"
        "shoe,,,,,10,,Blue,SHOE-10-B,99.00,1\n"
        "hat,Hat,home,USD,Size,S,,,MUG-1,1.00,1\n"
    )
    path = tmp_path / "v.csv"
    path.write_text(CSV_HEADER + body, encoding="utf-8")
    assert main(["import", str(path)]) == 1
    report = capsys.readouterr().err
    assert "v.csv:7-8: rejected: Variants 0 and 1 have the same option values" in report
    assert "v.csv:9: rejected: the rows of 'shoe' must be consecutive" in report
    assert "v.csv:10: rejected: SKU 'MUG-1' already belongs to another variant" in report
    assert "read 10 lines: 1 header, 1 blank, 4 imported (2 rows), 4 rejected (3 rows)" in report
    assert fetch_rows(env, VARIANTS) == [
        ("mug", "MUG-1", 500, None, 7, None, None),
        ("shoe", "SHOE-8-B", 9900, None, 3, None, None),
        ("shoe", "SHOE-8-R", 9900, None, 0, None, None),
        ("shoe", "shoe-9-blue", 10900, None, 5, None, None),
    ]
    assert fetch_rows(env, PRODUCTS) == [("mug", 500, 7, None), ("shoe", 9900, 8, None)]
    options = fetch_rows(env, "SELECT options FROM products WHERE slug = 'shoe'")[0][0]
    if isinstance(options, str):
        options = json.loads(options)
    assert options == [
        {"name": "Size", "values": ["8", "9"]},
        {"name": "Colour", "values": ["Blue", "Red"]},
    ]


def test_shipped_demo_file_is_the_generator_with_variants() -> None:
    from importlib.resources import files

    from catalog_api.demo_variants import demo_lines

    shipped = (files("catalog_api") / "data" / "demo_products.jsonl").read_text(encoding="utf-8")
    assert shipped == "".join(demo_lines())


def test_demo_seeds_its_variants(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["seed", "--demo"]) == 0
    assert "301 products added" in capsys.readouterr().err
    tablet = [row for row in fetch_rows(env, VARIANTS) if row[0] == "helio-tab-11-tablet"]
    assert [(sku, price, stock > 0) for _, sku, price, _, stock, _, _ in tablet] == [
        ("HELIO-TAB11-128GB", 44900, True),
        ("HELIO-TAB11-256GB", 52900, True),
        ("HELIO-TAB11-512GB", 64900, False),
    ]
    products = {slug: (price, stock) for slug, price, stock, _ in fetch_rows(env, PRODUCTS)}
    assert products["helio-tab-11-tablet"] == (44900, sum(row[4] for row in tablet))
    shoes = [
        row for row in fetch_rows(env, VARIANTS) if row[0] == "wren-wool-lightweight-running-shoes"
    ]
    assert len(shoes) == 10
    assert [row[1] for row in shoes if row[4] == 0] == [
        "WREN-RUN-8-SLATE",
        "WREN-RUN-12-NAVY",
        "WREN-RUN-12-SLATE",
    ]
    counts = fetch_rows(env, "SELECT count(*), count(DISTINCT product_id) FROM product_variants")
    assert counts == [(301 - 5 + 10 + 5 + 8 + 4 + 3, 301)]


def test_a_group_being_read_is_not_counted_as_read(tmp_path: Path) -> None:
    from catalog_api.import_sources import ImportSource

    path = tmp_path / "v.csv"
    rows = "a,A,x,USD,size,S,,,A-S,1,1\na,,,,,M,,,A-M,1,1\nb,B,x,USD,size,S,,,B-S,1,1\n"
    path.write_text(CSV_HEADER + rows, encoding="utf-8")
    source = ImportSource(path)
    with path.open("rb") as stream:
        records = source.records(stream)
        first = next(records)
        # Line 4 was read to see that group 'a' ended; it is not handed out yet.
        assert (first.first_line, first.last_line, source.lines_read) == (2, 3, 3)
        second = next(records)
        assert (second.first_line, source.lines_read) == (4, 4)
