"""completion/complete: category names for the prompts, slugs for the product template."""

from __future__ import annotations

from collections.abc import Callable

from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp_types import (
    INTERNAL_ERROR,
    Completion,
    CompletionArgument,
    CompletionContext,
    PromptReference,
    ResourceTemplateReference,
)

from catalog_mcp.client import CatalogClient, CatalogError
from catalog_mcp.models import Categories

MAX_VALUES = 100  # the spec's cap on the values of one completion
CATEGORY_PROMPTS = frozenset({"find_products", "write_listing"})
PRODUCT_TEMPLATE = "catalog://products/{slug}"
MAX_SLUG_PREFIX = 200  # the API refuses a longer prefix; no slug is that long


def ranked(matches: list[str]) -> Completion:
    """Return at most MAX_VALUES of the matches, saying how many there are."""
    return Completion(
        values=matches[:MAX_VALUES], total=len(matches), has_more=len(matches) > MAX_VALUES
    )


async def complete_category(client: CatalogClient, typed: str) -> Completion:
    """Return the categories starting with what was typed, most products first."""
    categories = Categories.from_api(await client.list_categories({})).items
    prefix = typed.strip().casefold()
    matches = sorted(
        (c for c in categories if c.category.casefold().startswith(prefix)),
        key=lambda c: (-c.count, c.category),
    )
    return ranked([c.category for c in matches])


async def complete_slug(client: CatalogClient, typed: str) -> Completion:
    """Return the slugs starting with what was typed, A-Z."""
    if len(typed) > MAX_SLUG_PREFIX:
        return Completion(values=[], total=0, has_more=False)
    body = await client.list_slugs(typed, MAX_VALUES)
    slugs = [str(slug) for slug in body.get("items", [])][:MAX_VALUES]
    return Completion(values=slugs, total=None, has_more=bool(body.get("has_more")))


def serve_completions(server: MCPServer, client: Callable[[], CatalogClient]) -> None:
    """Complete prompt and resource-template arguments from the catalog."""

    async def complete(
        ref: PromptReference | ResourceTemplateReference,
        argument: CompletionArgument,
        context: CompletionContext | None,
    ) -> Completion | None:
        try:
            if (
                isinstance(ref, PromptReference)
                and ref.name in CATEGORY_PROMPTS
                and argument.name == "category"
            ):
                return await complete_category(client(), argument.value)
            if (
                isinstance(ref, ResourceTemplateReference)
                and ref.uri == PRODUCT_TEMPLATE
                and argument.name == "slug"
            ):
                return await complete_slug(client(), argument.value)
        except CatalogError as error:
            raise MCPError(code=INTERNAL_ERROR, message=str(error)) from error
        return None  # no suggestions: the SDK answers with an empty list

    server.completion()(complete)  # type: ignore[no-untyped-call]  # mcp 2.3 leaves it untyped
