"""MCP over stdio: tool-call latency against the same API call made directly, and cold start."""

from __future__ import annotations

import asyncio
import itertools
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

ToolCall = tuple[str, dict[str, Any]]


@dataclass
class Paired:
    """Latencies (ms) of the same calls through MCP, directly and through the SDK alone.

    The three are timed back to back for each call (bench.mcp_minimal answers, for the SDK
    alone, what catalog-mcp answered to the same call), so that load on the machine drifts
    out of the differences.
    """

    via_mcp: list[float] = field(default_factory=list)
    direct: list[float] = field(default_factory=list)
    errors: int = 0
    # The MCP calls made, in order, as (tool, arguments).
    calls: list[ToolCall] = field(default_factory=list)
    sdk_alone: list[float] = field(default_factory=list)

    @property
    def added_ms(self) -> float:
        """Median of the per-call differences (MCP minus direct)."""
        return median([m - d for m, d in zip(self.via_mcp, self.direct, strict=True)])

    @property
    def ours_ms(self) -> float:
        """Median of the per-call differences MCP minus direct minus SDK alone."""
        triplets = zip(self.via_mcp, self.direct, self.sdk_alone, strict=True)
        return median([m - d - s for m, d, s in triplets])


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


def _failed(result: Any) -> bool:
    """Say whether a tool call or an HTTP request failed."""
    if isinstance(result, httpx.Response):
        return result.status_code != 200
    return bool(result.is_error)


# Every order of the three legs (MCP, direct, SDK alone), taken in turn: each leg goes before
# each other leg equally often. On a large catalog a request repeated at once is faster (its
# pages are in the database's cache), and a process that has just run answers sooner.
ORDERS = list(itertools.permutations(range(3)))


async def _triplet(paired: Paired, index: int, legs: list[Callable[[], Awaitable[Any]]]) -> None:
    """Time the MCP call, the direct request and the SDK-alone call back to back, in the
    index-th order."""
    times = [0.0] * len(legs)
    for leg in ORDERS[index % len(ORDERS)]:
        times[leg], result = await _timed(legs[leg])
        paired.errors += int(_failed(result))
    via_mcp, direct, sdk_alone = times
    paired.via_mcp.append(via_mcp)
    paired.direct.append(direct)
    paired.sdk_alone.append(sdk_alone)


def _direct_request(
    http: httpx.AsyncClient, tool_call: ToolCall
) -> Callable[[], Awaitable[httpx.Response]]:
    """Return the API request the tool sends for tool_call, made directly."""
    name, arguments = tool_call
    if name == "search_products":
        # search_products' default keeps to active products; its default sort is relevance.
        params: dict[str, str | int] = {
            "status": "active",
            "q": arguments["query"],
            "sort": "relevance",
            "limit": arguments["limit"],
        }
        return partial(http.get, "/api/products/search", params=params)
    return partial(http.get, f"/api/products/{arguments['id']}")


async def tool_latency(
    api_url: str,
    env: dict[str, str],
    errlog: Path,
    queries: list[str],
    ids: list[int],
    warmup: int,
) -> tuple[Paired, Paired]:
    """Return (search_products, get_product) timings over one MCP session and one httpx client.

    Every call is first made once through catalog-mcp, untimed: that records its answer for
    the SDK-alone server (bench.mcp_minimal) and warms the API's caches for it, so that the
    timed legs all find them warm. Then each call is timed three ways back to back: through
    catalog-mcp, directly, and through the SDK alone (see _triplet); warmup calls go first.
    """
    search, get = Paired(), Paired()
    search.calls = [("search_products", {"query": q, "limit": SEARCH_ITEMS}) for q in queries]
    get.calls = [("get_product", {"id": product_id}) for product_id in ids]
    recording = errlog.with_name("mcp-recording.json")
    async with (
        httpx.AsyncClient(base_url=api_url, timeout=CALL_TIMEOUT) as http,
        session(env, errlog) as mcp,
    ):
        tools = [
            tool.model_dump(mode="json", by_alias=True, exclude_none=True)
            for tool in (await mcp.list_tools()).tools
        ]
        calls: dict[str, Any] = {}
        for tool_call in [*search.calls, *get.calls]:
            result = await mcp.call_tool(*tool_call)
            calls[call_key(*tool_call)] = result.model_dump(
                mode="json", by_alias=True, exclude_none=True
            )
        recording.write_text(json.dumps({"tools": tools, "calls": calls}), encoding="utf-8")
        async with session(env, errlog, replay_command(recording)) as alone:
            for target in (search, get):
                for phase in ("warmup", "measure"):
                    into = Paired() if phase == "warmup" else target
                    todo = target.calls[:warmup] if phase == "warmup" else target.calls
                    for index, tool_call in enumerate(todo):
                        legs: list[Callable[[], Awaitable[Any]]] = [
                            partial(mcp.call_tool, *tool_call),
                            _direct_request(http, tool_call),
                            partial(alone.call_tool, *tool_call),
                        ]
                        await _triplet(into, index, legs)
    return search, get


def replay_command(recording: Path) -> list[str]:
    """Return the argv of the SDK-alone server answering from recording."""
    return [sys.executable, "-m", "bench.mcp_minimal", str(recording)]


async def cold_start(env: dict[str, str], errlog: Path, argv: list[str] | None = None) -> float:
    """Spawn catalog-mcp (or argv) and return the seconds until tools/list has answered."""
    started = time.perf_counter()
    async with asyncio.timeout(CALL_TIMEOUT), session(env, errlog, argv) as mcp:
        tools = await mcp.list_tools()
        elapsed = time.perf_counter() - started
        if not tools.tools:
            raise RuntimeError("tools/list answered no tools")
    return elapsed
