"""Over MCP: a write shows up in history under the server's key, and undo_change reverts it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from catalog_api.access.scopes import Scope
from tests.test_mcp_key_scopes import stdio_with_key


def structured(result: Any) -> dict[str, Any]:
    """Return a successful tool result's structured content."""
    assert not result.is_error, result.content
    data: dict[str, Any] = result.structured_content or json.loads(result.content[0].text)
    return data


async def test_over_stdio_a_write_is_recorded_under_the_key_and_undone(tmp_path: Path) -> None:
    async with stdio_with_key(tmp_path, "claude-desktop", [Scope.WRITE]) as client:
        created = structured(
            await client.call_tool(
                "create_product",
                {
                    "title": "Copper Kettle",
                    "category": "kitchen",
                    "price_minor": 4500,
                    "currency": "EUR",
                    "status": "active",
                },
            )
        )
        pid = created["id"]
        structured(await client.call_tool("update_product", {"id": pid, "title": "Tin Kettle"}))
        history = structured(await client.call_tool("product_history", {"id": pid}))
        undone = structured(
            await client.call_tool("undo_change", {"change_id": history["items"][0]["id"]})
        )
        after = structured(await client.call_tool("product_history", {"id": pid}))
        refused = await client.call_tool("undo_change", {"change_id": 4242})
    assert [(c["action"], c["actor"]) for c in history["items"]] == [
        ("update", "claude-desktop"),
        ("create", "claude-desktop"),
    ]
    assert history["items"][0]["changes"]["title"] == ["Copper Kettle", "Tin Kettle"]
    assert (undone["product_id"], undone["deleted"], undone["version"]) == (pid, False, 3)
    assert after["items"][0]["action"] == "revert"
    assert after["items"][0]["actor"] == "claude-desktop"
    assert after["items"][0]["changes"]["title"] == ["Tin Kettle", "Copper Kettle"]
    assert refused.is_error
