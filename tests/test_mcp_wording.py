"""The pieces behind the agent-facing texts: major-unit prices, schema compaction, error words."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, ConfigDict, ValidationError

from catalog_mcp.client import CatalogAPIError
from catalog_mcp.errors import api_error_text, argument_error_text
from catalog_mcp.models import Product, ProductSummary, matched_fields, read_as
from catalog_mcp.money import to_minor
from catalog_mcp.selection import select_variant
from catalog_mcp.tool_schemas import compact_output
from catalog_mcp.variant_models import major, minor_unit


@pytest.mark.parametrize(
    ("amount", "currency", "unit", "minor"),
    [
        ("150", "USD", 2, 15000),
        ("149.99", "USD", 2, 14999),
        ("150.00", "EUR", 2, 15000),
        ("13380", "JPY", 0, 13380),
        ("1.234", "KWD", 3, 1234),
        ("0", "USD", 2, 0),
    ],
)
def test_major_units_become_minor_units(amount: str, currency: str, unit: int, minor: int) -> None:
    assert to_minor("max_price", Decimal(amount), currency, unit) == minor


@pytest.mark.parametrize(
    ("amount", "currency", "unit", "words"),
    [
        ("150.5", "JPY", 0, "JPY prices have no decimals"),
        ("9.999", "USD", 2, "USD prices have at most 2 decimals"),
    ],
)
def test_more_decimals_than_the_currency_has_are_refused(
    amount: str, currency: str, unit: int, words: str
) -> None:
    with pytest.raises(ToolError, match=words):
        to_minor("max_price", Decimal(amount), currency, unit)


def test_optional_fields_lose_their_null_branch_and_required_ones_keep_it() -> None:
    class Result(BaseModel):
        title: str
        maybe: str | None = None
        required_nullable: int | None

    compact = compact_output(Result.model_json_schema())
    properties = compact["properties"]
    assert properties["maybe"] == {"type": "string"}
    assert properties["title"] == {"type": "string"}  # a property named 'title' survives
    assert {"type": "null"} in properties["required_nullable"]["anyOf"]
    assert "title" not in compact
    assert compact["required"] == ["title", "required_nullable"]


def test_argument_errors_name_the_tool_parameters() -> None:
    class Arguments(BaseModel):
        model_config = ConfigDict(extra="forbid")
        id: int
        price_minor: int | None = None
        description: str | None = None

    parameters = ["id", "price_minor", "description"]
    with pytest.raises(ValidationError) as raised:
        Arguments.model_validate({"id": "x", "price": "22.99", "descripton": "a"})
    arguments: dict[str, Any] = {"id": "x", "price": "22.99", "descripton": "a"}
    message = argument_error_text("update_product", raised.value, parameters, arguments)
    assert "- price is not a parameter: use price_minor=2299" in message
    assert "- descripton is not a parameter of update_product; did you mean description?" in (
        message
    )
    assert "- id: Input should be a valid integer" in message
    assert "Parameters of update_product: id, price_minor, description." in message
    assert "https://" not in message
    with pytest.raises(ValidationError) as yen:
        Arguments.model_validate({"id": 1, "price": "1500"})
    assert "use price_minor=1500 (JPY has no minor unit)" in argument_error_text(
        "update_product", yen.value, parameters, {"price": "1500", "currency": "jpy"}
    )


def test_api_errors_use_the_tool_words() -> None:
    no_words = CatalogAPIError(
        422,
        {
            "type": "https://catalog-mcp.dev/problems/invalid-input",
            "detail": "The query has no searchable words; use letters or digits.",
            "errors": [{"field": "q", "message": "The query has no searchable words."}],
        },
    )
    message = api_error_text(no_words)
    assert message.startswith("Invalid input: The query has no searchable words")
    assert "- query: " in message
    key = CatalogAPIError(422, {"detail": "This Idempotency-Key was already used for a request."})
    assert "This idempotency_key was already used for a request" in api_error_text(key)
    stale = CatalogAPIError(
        412,
        {
            "detail": "The product is at version 5 ...",
            "current_version": 5,
            "updated_at": "2026-12-06T12:00:00Z",
            "current": {"price_minor": 2499, "title": "Kettle"},
        },
    )
    text = api_error_text(stale, if_version=3)
    assert text.startswith("if_version 3 is stale: the product is now at version 5 (2 change(s)")
    assert "which fields changed is not known" in text
    assert "price_minor=2499, title='Kettle'" in text
    assert text.endswith("retry with if_version=5.")


def test_matched_says_where_each_word_was_found() -> None:
    product = {
        "title": "Drift Cushioned Running Shoes",
        "category": "apparel",
        "tags": ["trail"],
        "attributes": {"color": "olive"},
        "description": "Light shoes. A thoughtful gift.",
    }
    assert matched_fields(product, ["runners", "gift", "olive"]) == (
        "title: runners; attributes: olive; description: gift"
    )
    assert matched_fields(product, ["kettle"]) is None
    # Words are runs of letters and digits: not split by '_' alone, not joined across spaces.
    assert matched_fields({"title": "snow_boot"}, ["snow_boot", "boot"]) == "title: boot"
    assert matched_fields({"title": "snow boot"}, ["snow boot"]) is None


def test_a_summary_cleans_every_text_it_shows() -> None:
    hidden = "\u202e\u200b"
    body = _product(
        title=f"Wool{hidden} Shirt", description=f"Warm{hidden} wool.", tags=[f"wi{hidden}nter"],
        attributes={f"fab{hidden}ric": f"me{hidden}rino"}, status="draft",
        options=[{"name": f"si{hidden}ze", "values": ["S", "M"]}], category=f"app{hidden}arel",
    )  # fmt: skip
    for detail in ("compact", "full"):
        summary = ProductSummary.from_api(body, detail=detail, searched=("winter", "merino"))
        shown = summary.model_dump_json()
        assert not any(ch in shown for ch in hidden), shown
        assert summary.title == "Wool Shirt"
        assert summary.matched == "tags: winter; attributes: merino"


def _product(**overrides: Any) -> dict[str, Any]:
    """An API product with three options and two variants in stock."""
    body: dict[str, Any] = {
        "id": 1, "slug": "shirt", "title": "Shirt", "description": "", "category": "apparel",
        "tags": [], "price": "2500", "price_max": "2700", "price_minor": 2500, "currency": "JPY",
        "stock_quantity": 5, "status": "active", "attributes": {}, "image_urls": [],
        "seo_keywords": [], "created_at": "t", "updated_at": "t", "version": 1,
        "options": [
            {"name": "size", "values": ["S", "M", "L"]},
            {"name": "colour", "values": ["red", "blue"]},
            {"name": "fit", "values": ["slim", "regular"]},
        ],
        "variants": [
            {"sku": "A", "option_values": {"size": "M", "colour": "blue", "fit": "regular"},
             "price_minor": 2500, "stock_quantity": 2, "version": 1},
            {"sku": "B", "option_values": {"size": "L", "colour": "red", "fit": "slim"},
             "price_minor": 2700, "stock_quantity": 3, "version": 1},
        ],
        **overrides,
    }  # fmt: skip
    return body


def test_selection_keeps_the_earlier_choices_over_more_choices() -> None:
    product = Product.from_api(_product())
    assert product.price == "2500-2700 JPY"
    assert product.variants[1].price == "2700 JPY"
    chosen = select_variant(product, {"size": "m", "colour": "red", "fit": "slim"})
    assert chosen.selected_variant is not None
    # B keeps two choices, A only the first: the first choice matters most, as in UCP.
    assert chosen.selected_variant.sku == "A"
    assert chosen.selection is not None
    assert chosen.selection.relaxed == ["colour", "fit"]
    assert chosen.selection.selected == {"size": "M", "colour": "red", "fit": "slim"}


@pytest.mark.parametrize(
    ("amount", "decimals", "text"),
    [(1999, 2, "19.99"), (13380, 0, "13380"), (1234, 3, "1.234"), (5, 2, "0.05")],
)
def test_variant_prices_are_written_as_the_api_writes_product_prices(
    amount: int, decimals: int, text: str
) -> None:
    assert major(amount, decimals) == text
    assert minor_unit(text) == decimals


def test_a_relaxed_reading_says_the_filters_were_not_applied() -> None:
    boots_under_30 = {
        "label": "under 30.00 USD",
        "parameter": "max_price",
        "value": "2999",
        "written": "under 30 dollars",
    }
    interpretation = {
        "searched_for": ["boots"],
        "reading": {"words": "boots", "filters": [boots_under_30], "relaxed": True},
    }
    said = read_as(interpretation, found=True, exact=True)
    assert said is not None
    assert "nothing matched the filters read (under 30.00 USD (max_price=2999))" in said
    assert "filters read from the words" not in said
    interpretation["reading"]["relaxed"] = False  # type: ignore[index]
    assert "filters read from the words: under 30.00 USD" in (
        read_as(interpretation, found=True, exact=True) or ""
    )
