"""History tools: what changed in a product (product_history), and undo one change."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp_types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field

from catalog_mcp.errors import tool_errors
from catalog_mcp.params import ProductId
from catalog_mcp.read_tools import READ_ONLY, UNTRUSTED, ClientSource
from catalog_mcp.untrusted import clean_data, data_result

MAX_HISTORY_PAGE = 50
ChangeId = Annotated[int, Field(ge=1, le=2**31 - 1, description="From product_history.")]


class Change(BaseModel):
    """One recorded change to a product."""

    id: int
    action: str
    actor: str
    at: str
    changes: dict[str, list[Any]] = Field(description="field: [old, new]")
    reverts: int | None = None


class ChangeHistory(BaseModel):
    """A page of a product's changes, newest first."""

    product_id: int
    items: list[Change]
    next_cursor: str | None = None


class Undone(BaseModel):
    """The outcome of an undo."""

    change_id: int = Field(description="The new change (action revert) recording the undo.")
    product_id: int
    deleted: bool = Field(description="Whether the undo deleted the product.")
    version: int | None = Field(default=None, description="The product's version now.")


def _change(item: dict[str, Any]) -> Change:
    return Change(**{k: v for k, v in clean_data(item).items() if k in Change.model_fields})


def register_history_tools(server: MCPServer, state: ClientSource) -> None:
    """Add product_history and undo_change."""

    @server.tool(
        name="product_history",
        title="Show a product's change history",
        description=(
            "List a product's changes, newest first: id, action, actor (API key name), time, "
            "and each field as [old, new] (a variant's as variants.<sku>.<field>); kept after "
            "a delete. undo_change takes a change's id. " + UNTRUSTED
        ),
        annotations=READ_ONLY,
    )
    async def product_history(
        id: ProductId,
        limit: Annotated[
            int, Field(ge=1, le=MAX_HISTORY_PAGE, description="Changes per page, 1-50.")
        ] = 10,
        cursor: Annotated[
            str | None, Field(max_length=200, description="The previous page's next_cursor.")
        ] = None,
    ) -> Annotated[CallToolResult, ChangeHistory]:
        params = {"limit": limit, "cursor": cursor}
        with tool_errors():
            page = await state.client.product_history(id, params)
            history = ChangeHistory(
                product_id=id,
                items=[_change(item) for item in page.get("items", [])],
                next_cursor=page.get("next_cursor"),
            )
        return data_result(history, framed=bool(history.items))

    @server.tool(
        name="undo_change",
        title="Undo a change",
        description=(
            "Undo a change from product_history as a new change: its fields get their old "
            "values back; undoing a create deletes, undoing a delete restores the product. "
            "Refused if a later change touched the same fields, unless force=true."
        ),
        annotations=ToolAnnotations(
            read_only_hint=False,
            destructive_hint=True,
            idempotent_hint=False,
            open_world_hint=False,
        ),
    )
    async def undo_change(
        change_id: ChangeId,
        force: Annotated[bool, Field(description="Undo over later changes.")] = False,
    ) -> Annotated[CallToolResult, Undone]:
        with tool_errors():
            body = await state.client.revert_change(change_id, force=force)
            product = body.get("product")
            undone = Undone(
                change_id=body["change"]["id"],
                product_id=body["change"]["product_id"],
                deleted=product is None,
                version=None if product is None else product["version"],
            )
        return data_result(undone, framed=False)
