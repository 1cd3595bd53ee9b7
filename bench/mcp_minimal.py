"""The SDK alone: an MCP server with no catalog code that replays catalog-mcp's recorded answers.

`python -m bench.mcp_minimal RECORDING.json` serves over stdio, with the SDK's low-level
`Server`, the tools catalog-mcp listed and, for each (tool, arguments) pair, the result
catalog-mcp gave. Timing the same calls against it in the same run measures what the SDK and
the stdio transport cost for exactly these payloads; the rest of a catalog-mcp call is the
API request and our own code. Spawned by bench.mcp_bench, not run by hand.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import anyio
from mcp.server import Server, ServerRequestContext
from mcp.server.stdio import stdio_server
from mcp_types import CallToolRequestParams, CallToolResult, ListToolsResult, Tool

Recording = dict[str, Any]


def call_key(name: str, arguments: dict[str, Any] | None) -> str:
    """Return the key a call's result is recorded under."""
    return json.dumps([name, arguments or {}], sort_keys=True)


def build_server(recording: Recording) -> Server[Any]:
    """Return a low-level server answering from the recording."""
    tools = ListToolsResult(tools=[Tool.model_validate(tool) for tool in recording["tools"]])
    results = {
        key: CallToolResult.model_validate(result) for key, result in recording["calls"].items()
    }

    async def list_tools(_ctx: ServerRequestContext[Any], _params: object) -> ListToolsResult:
        return tools

    async def call_tool(
        _ctx: ServerRequestContext[Any], params: CallToolRequestParams
    ) -> CallToolResult:
        return results[call_key(params.name, params.arguments)]

    return Server("catalog-replay", on_list_tools=list_tools, on_call_tool=call_tool)


async def _serve(recording: Recording) -> None:
    server = build_server(recording)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def main() -> None:
    """Serve the recording named on the command line over stdio."""
    recording = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    anyio.run(_serve, recording)


if __name__ == "__main__":
    main()
