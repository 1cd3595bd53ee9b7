"""MCP over stdio: tool-call latency against the same API call made directly, and cold start."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from bench.mcp_minimal import call_key
from bench.util import command, median

CALL_TIMEOUT = 60.0
# The target is stated for a 10-item search.
SEARCH_ITEMS = 10


@dataclass
class Paired:
    """Latencies (ms) of the same request through MCP and directly, taken in pairs."""

    via_mcp: list[float] = field(default_factory=list)
    direct: list[float] = field(default_factory=list)
    errors: int = 0
    # The MCP calls made, in order, as (tool, arguments), and the same calls replayed by the
    # SDK alone (bench.mcp_minimal): ms each.
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    sdk_alone: list[float] = field(default_factory=list)

    @property
    def added_ms(self) -> float:
        """Median of the per-pair differences (MCP minus direct)."""
        return median([m - d for m, d in zip(self.via_mcp, self.direct, strict=True)])


@asynccontextmanager
async def session(
    env: dict[str, str], errlog: Path, argv: list[str] | None = None
) -> AsyncIterator[Client]:
    """Spawn catalog-mcp (or argv) over stdio with env (its stderr to errlog) and connect."""
    argv = argv or command("catalog-mcp")
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=env)
    with errlog.open("a", encoding="utf-8") as log:
        async with Client(stdio_client(params, errlog=log), mode="legacy", cache=None) as client:
            yield client


async def _timed(call: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    """Await call once; return (elapsed ms, result)."""
    started = time.perf_counter()
    async with asyncio.timeout(CALL_TIMEOUT):
        result = await call()
    return (time.perf_counter() - started) * 1000, result


async def _pair(
    paired: Paired,
    index: int,
    mcp: Client,
    tool_call: tuple[str, dict[str, Any]],
    direct: Callable[[], Awaitable[httpx.Response]],
    recording: dict[str, Any],
) -> None:
    """Time the tool call and the direct request back to back, alternating which goes first."""
    order = (True, False) if index % 2 else (False, True)
    times: dict[bool, float] = {}
    for is_mcp in order:
        elapsed, result = await _timed(partial(mcp.call_tool, *tool_call) if is_mcp else direct)
        times[is_mcp] = elapsed
        failed = result.is_error if is_mcp else result.status_code != 200
        paired.errors += int(bool(failed))
        if is_mcp:
            recording[call_key(*tool_call)] = result.model_dump(
                mode="json", by_alias=True, exclude_none=True
            )
    paired.via_mcp.append(times[True])
    paired.direct.append(times[False])
    paired.calls.append(tool_call)


async def tool_latency(
    api_url: str,
    env: dict[str, str],
    errlog: Path,
    queries: list[str],
    ids: list[int],
    warmup: int,
) -> tuple[Paired, Paired]:
    """Return (search_products, get_product) pairs over one MCP session and one httpx client.

    Then the same calls are replayed, answers and tool list as recorded, by a server with the
    SDK alone (bench.mcp_minimal): each Paired's sdk_alone.
    """
    search, get = Paired(), Paired()
    calls: dict[str, Any] = {}
    async with (
        httpx.AsyncClient(base_url=api_url, timeout=CALL_TIMEOUT) as http,
        session(env, errlog) as mcp,
    ):
        tools = [
            tool.model_dump(mode="json", by_alias=True, exclude_none=True)
            for tool in (await mcp.list_tools()).tools
        ]
        for phase in ("warmup", "measure"):
            search_target = Paired() if phase == "warmup" else search
            get_target = Paired() if phase == "warmup" else get
            search_list = queries[:warmup] if phase == "warmup" else queries
            id_list = ids[:warmup] if phase == "warmup" else ids
            for index, query in enumerate(search_list):
                # The request search_products sends: its default keeps to active products.
                params: dict[str, str | int] = {
                    "status": "active",
                    "q": query,
                    "sort": "relevance",
                    "limit": SEARCH_ITEMS,
                }
                await _pair(
                    search_target,
                    index,
                    mcp,
                    ("search_products", {"query": query, "limit": SEARCH_ITEMS}),
                    partial(http.get, "/api/products/search", params=params),
                    calls,
                )
            for index, product_id in enumerate(id_list):
                await _pair(
                    get_target,
                    index,
                    mcp,
                    ("get_product", {"id": product_id}),
                    partial(http.get, f"/api/products/{product_id}"),
                    calls,
                )
    recording = errlog.with_name("mcp-recording.json")
    recording.write_text(json.dumps({"tools": tools, "calls": calls}), encoding="utf-8")
    await replay(recording, env, errlog, [search, get], warmup)
    return search, get


def replay_command(recording: Path) -> list[str]:
    """Return the argv of the SDK-alone server answering from recording."""
    return [sys.executable, "-m", "bench.mcp_minimal", str(recording)]


async def replay(
    recording: Path, env: dict[str, str], errlog: Path, targets: list[Paired], warmup: int
) -> None:
    """Time each target's calls again against the SDK-alone server, warm-up calls first."""
    async with session(env, errlog, replay_command(recording)) as mcp:
        for target in targets:
            for tool_call in target.calls[:warmup]:
                await mcp.call_tool(*tool_call)
            for tool_call in target.calls:
                elapsed, result = await _timed(partial(mcp.call_tool, *tool_call))
                target.errors += int(bool(result.is_error))
                target.sdk_alone.append(elapsed)


async def cold_start(env: dict[str, str], errlog: Path, argv: list[str] | None = None) -> float:
    """Spawn catalog-mcp (or argv) and return the seconds until tools/list has answered."""
    started = time.perf_counter()
    async with asyncio.timeout(CALL_TIMEOUT), session(env, errlog, argv) as mcp:
        tools = await mcp.list_tools()
        elapsed = time.perf_counter() - started
        if not tools.tools:
            raise RuntimeError("tools/list answered no tools")
    return elapsed
