"""The prompts: a shopper's need, and a listing for a new product."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS
from pydantic import Field, ValidationError

from catalog_mcp.errors import argument_error_text
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


def answer_prompt_errors(server: MCPServer) -> None:
    """Answer an unknown prompt or bad prompt arguments with invalid params (-32602)."""
    # The SDK answers both as an internal error (-32603) and logs a traceback (mcp 2.3);
    # the spec's error for them is -32602, and the client can correct its request.
    get_prompt: Callable[..., Awaitable[Any]] = server.get_prompt
    prompts = server._prompt_manager

    async def checked_get_prompt(
        name: str, arguments: dict[str, Any] | None = None, *rest: Any
    ) -> Any:
        prompt = prompts.get_prompt(name)
        if prompt is None:
            known = ", ".join(sorted(known.name for known in prompts.list_prompts()))
            raise MCPError(INVALID_PARAMS, f"Unknown prompt: {name}. The prompts are: {known}.")
        given = arguments or {}
        parameters = [argument.name for argument in prompt.arguments or []]
        missing = [
            argument.name
            for argument in prompt.arguments or []
            if argument.required and argument.name not in given
        ]
        if missing:
            raise MCPError(
                INVALID_PARAMS,
                f"{name}: missing arguments: {', '.join(missing)}. "
                f"Arguments of {name}: {', '.join(parameters)}.",
            )
        try:
            return await get_prompt(name, arguments, *rest)
        except ValueError as error:
            cause: BaseException | None = error
            while cause is not None and not isinstance(cause, ValidationError):
                cause = cause.__cause__
            if cause is None:
                raise
            text = argument_error_text(name, cause, parameters, given)
            raise MCPError(INVALID_PARAMS, text) from error

    setattr(server, "get_prompt", checked_get_prompt)  # noqa: B010 - an instance override
