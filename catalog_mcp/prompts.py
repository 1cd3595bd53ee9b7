"""The prompts: a shopper's need, and a listing for a new product."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from catalog_mcp.read_tools import UNTRUSTED


def register_prompts(server: MCPServer) -> None:
    """Add the find_products and write_listing prompts."""

    @server.prompt(
        name="find_products",
        title="Find products for a shopper",
        description="Find catalog products that fit a shopper's need and budget.",
    )
    def find_products(
        need: Annotated[str, Field(max_length=2000, description="What the shopper wants.")],
        budget: Annotated[
            str | None, Field(max_length=100, description="Budget, e.g. 'under 50 USD'.")
        ] = None,
        category: Annotated[
            str | None, Field(max_length=100, description="Look only in this category.")
        ] = None,
    ) -> str:
        budget_line = f"\nTheir budget: {budget}." if budget else ""
        category_line = f"\nLook only in the category '{category}'." if category else ""
        return (
            "Help a shopper find products in our catalog.\n"
            f"What they need: {need}{budget_line}{category_line}\n\n"
            "Use search_products with a few key words (try synonyms if nothing matches; if the "
            "result has read_as, say what was searched instead). It shows active products "
            "only. Give a budget as max_price in major units with its currency (under 150 USD: "
            "max_price=150, currency='USD'); narrow with category (names from "
            "list_categories) and in_stock=true, and by a size or colour with option_values. "
            "Summaries carry price, availability, options, key attributes and why each "
            "matched; call get_product only for a detail they lack, with selected={option: "
            "value} to check the variant they want. "
            "Recommend up to three products with available=true, with their price and why "
            "each fits; say plainly if nothing fits. " + UNTRUSTED
        )

    @server.prompt(
        name="write_listing",
        title="Write a product listing",
        description="Turn rough product facts into a complete listing and create it as a draft.",
    )
    def write_listing(
        facts: Annotated[
            str, Field(max_length=5000, description="What is known about the new product.")
        ],
        category: Annotated[
            str | None, Field(max_length=100, description="Category to file the product under.")
        ] = None,
    ) -> str:
        category_step = (
            f"File it under the category '{category}'."
            if category
            else "Call list_categories and reuse an existing category when one fits."
        )
        return (
            "Write a catalog listing for a new product from these facts:\n"
            f"{facts}\n\n"
            f"{category_step} Write a clear "
            "title (under 80 characters), a factual 2-4 sentence description without invented "
            "claims, 3-8 lowercase tags and string attributes (color, material...). If it comes "
            "in several sizes, colours or capacities, give options and one variant per "
            "combination instead of price_minor. Ask for the price if it is missing. Then call "
            "create_product with status 'draft' and show the result."
        )
