"""List, per request, only the tools the caller's key may use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerMiddleware, ServerRequestContext
from mcp_types import ListToolsResult

from catalog_mcp.agent_keys.forwarded import forwarded_key
from catalog_mcp.key_scopes import TOOL_SCOPES


class ToolsOfTheKey(ServerMiddleware[Any]):
    """Filter tools/list by the forwarded key's scopes, else by the server's own key's scopes."""

    def __init__(self, server_scopes: Callable[[], frozenset[str] | None]) -> None:
        self.server_scopes = server_scopes

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        """Pass the request on; trim the tool list of a tools/list answer."""
        result = await call_next(ctx)
        if ctx.method != "tools/list":
            return result
        key = forwarded_key.get()
        scopes = key.scopes if key is not None else self.server_scopes()
        if scopes is None:
            return result  # the API could not say; it refuses what the key may not do
        # Earlier middleware may already have turned the answer into its wire form.
        if isinstance(result, ListToolsResult):
            result = result.model_dump(by_alias=True, mode="json", exclude_none=True)
        if not isinstance(result, dict) or not isinstance(result.get("tools"), list):
            return result
        tools = [
            tool for tool in result["tools"] if TOOL_SCOPES.get(tool["name"], "read") in scopes
        ]
        return {**result, "tools": tools}
