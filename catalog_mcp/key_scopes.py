"""Offer only the tools the server's key may use: a read-only key lists no write tools."""

from __future__ import annotations

import logging

from mcp.server.mcpserver import MCPServer

from catalog_mcp.client import CatalogClient, CatalogError

logger = logging.getLogger(__name__)

# Seconds the start-up question may take: a slow API must not hold the server back.
ACCESS_DEADLINE = 3.0
# The scope each tool needs; the others need read.
TOOL_SCOPES = {
    "create_product": "write",
    "update_product": "write",
    "delete_product": "write",
    "set_variant_stock": "write",
    "describe_product": "describe",
    "undo_change": "write",
}


async def offer_tools_for_key(
    server: MCPServer, client: CatalogClient, *, remove: bool = True
) -> frozenset[str] | None:
    """Remove (unless told not to) the tools this server's key may not use; return its scopes."""
    try:
        access = await client.access(deadline=ACCESS_DEADLINE)
    except CatalogError as error:
        access = {"error": str(error)}
    scopes_given = access.get("scopes") if isinstance(access, dict) else None
    if not isinstance(scopes_given, list):
        logger.warning(
            "could not learn from the catalog API what this server's key may do (%s); offering "
            "every tool, and the API refuses what the key may not do",
            access.get("error", "no scopes in its answer") if isinstance(access, dict) else "",
        )
        return None
    scopes = frozenset(str(scope) for scope in scopes_given)
    who = f"key '{access['key']}'" if access.get("key") else "no key"
    if not remove:
        logger.info(
            "catalog API access with the server's %s: %s; agents may bring their own keys",
            who,
            ", ".join(sorted(scopes)) or "nothing",
        )
        return scopes
    removed = [
        tool.name
        for tool in server._tool_manager.list_tools()  # the SDK lists no tools publicly
        if TOOL_SCOPES.get(tool.name, "read") not in scopes
    ]
    for name in removed:
        server.remove_tool(name)
    logger.info(
        "catalog API access with %s: %s; %s",
        who,
        ", ".join(sorted(scopes)) or "nothing",
        f"tools left out: {', '.join(removed)}" if removed else "every tool offered",
    )
    return scopes
