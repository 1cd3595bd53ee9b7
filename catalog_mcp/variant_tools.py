"""The variant tool: set one variant's stock by SKU, as a stock feed does."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, ToolAnnotations

from catalog_mcp.client import CatalogAPIError
from catalog_mcp.errors import tool_errors
from catalog_mcp.params import Stock
from catalog_mcp.read_tools import ClientSource
from catalog_mcp.untrusted import clean_data, data_result
from catalog_mcp.variant_models import StockChange
from catalog_mcp.variant_params import Sku, VariantVersion

# Without if_version, a change landing between the read and the write is read again this often.
UNGUARDED_ATTEMPTS = 3
STOCK_WRITE = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)


def stale_variant_text(sku: str, sent: int, problem: dict[str, Any]) -> str:
    """Say that if_version is stale for the variant, and what it holds now."""
    current = problem.get("current_version")
    stock = (problem.get("current") or {}).get("stock_quantity")
    now = f" (stock_quantity={stock})" if stock is not None else ""
    return (
        f"if_version {sent} is stale: variant {sku} is now at version {current}{now}. Check "
        f"it (get_product shows every variant), then retry with if_version={current}."
    )


def register_variant_tools(server: MCPServer, state: ClientSource) -> None:
    """Add set_variant_stock."""

    @server.tool(
        name="set_variant_stock",
        title="Set a variant's stock",
        description=(
            "Set the units in stock of one variant, by SKU (get_product lists them); the "
            "product's total stock follows, its other fields stay. Pass if_version (the "
            "variant's version) so a change made meanwhile is not overwritten. Returns the "
            "stock before and after."
        ),
        annotations=STOCK_WRITE,
    )
    async def set_variant_stock(
        sku: Sku, stock_quantity: Stock, if_version: VariantVersion = None
    ) -> Annotated[CallToolResult, StockChange]:
        client = state.client
        for _ in range(UNGUARDED_ATTEMPTS):
            with tool_errors():
                current = await client.get_variant(sku)
                try:
                    changed = await client.update_variant(
                        int(current["product_id"]), sku, {"stock_quantity": stock_quantity},
                        variant_id=int(current["id"]), version=if_version or current["version"],
                    )  # fmt: skip
                except CatalogAPIError as error:
                    if error.status != 412:
                        raise
                    if if_version is not None:
                        raise ToolError(
                            stale_variant_text(sku, if_version, error.problem)
                        ) from error
                    continue  # changed between the read and the write: read it again
                return data_result(_stock_change(current, changed))
        raise ToolError(
            f"Variant {sku} kept changing while its stock was being set; try again, or pass "
            "if_version."
        )


def _stock_change(before: dict[str, Any], after: dict[str, Any]) -> StockChange:
    data = clean_data(after)
    return StockChange(
        sku=data["sku"],
        product_id=data["product_id"],
        product_title=data["product_title"],
        option_values=data.get("option_values") or None,
        stock_quantity=data["stock_quantity"],
        previous_stock_quantity=int(before["stock_quantity"]),
        availability="in stock" if data["stock_quantity"] > 0 else "out of stock",
        version=data["version"],
    )
