"""What an agent pays in characters: tools/list, search pages (one holding products with
variants), a 20-item page, an empty page and one product with variants, on the demo catalog
through the SDK client (embedded API, a fresh SQLite file).

Run: python -m bench.mcp_size
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

from mcp import Client
from mcp_types import TextContent

from catalog_api.cli import _seed_demo
from catalog_api.config import Settings
from catalog_mcp.config import McpSettings
from catalog_mcp.server import build_server


def tools_list_chars(tools: list[Any]) -> tuple[int, int]:
    """Return the characters of tools/list as JSON, and those of its output schemas."""
    dumped = [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools]
    outputs = sum(len(json.dumps(t.get("outputSchema", {}), separators=(",", ":"))) for t in dumped)
    return len(json.dumps({"tools": dumped}, separators=(",", ":"))), outputs


def result_chars(result: Any) -> int:
    """Return the characters of a tool result's text content."""
    return sum(len(block.text) for block in result.content if isinstance(block, TextContent))


async def measure(database: Path) -> dict[str, int]:
    """Seed the demo catalog and measure one session's sizes."""
    settings = Settings(database_url=f"sqlite+aiosqlite:///{database}")
    await _seed_demo(settings)
    server = build_server(McpSettings(), api_settings=settings)
    async with Client(server, mode="legacy") as client:
        total, outputs = tools_list_chars((await client.list_tools()).tools)
        page = await client.call_tool("search_products", {"query": "kitchen", "limit": 10})
        empty = await client.call_tool("search_products", {"query": "zzqxv"})
        shoes = await client.call_tool("search_products", {"query": "running shoes", "limit": 10})
        browse = await client.call_tool("list_products", {"limit": 20})
        variants = await client.call_tool(
            "get_product", {"slug": "wren-wool-lightweight-running-shoes"}
        )
    return {
        "tools_list_chars": total,
        "output_schema_chars": outputs,
        "search_page_10_chars": result_chars(page),
        "search_page_10_items": len((page.structured_content or {}).get("items", [])),
        "empty_page_chars": result_chars(empty),
        "running_shoes_page_10_chars": result_chars(shoes),
        "list_page_20_chars": result_chars(browse),
        "product_with_10_variants_chars": result_chars(variants),
    }


def main() -> None:
    """Print the figures as JSON."""
    with tempfile.TemporaryDirectory() as directory:
        figures = asyncio.run(measure(Path(directory) / "demo.db"))
    print(json.dumps(figures, indent=1))  # noqa: T201 - a bench prints its figures


if __name__ == "__main__":
    main()
