"""MCP over stdio: tool-call latency against the same API call made directly, and cold start."""

from __future__ import annotations

import asyncio
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

from bench.util import command, median

CALL_TIMEOUT = 60.0


@dataclass
class Paired:
    """Latencies (ms) of the same request through MCP and directly, taken in pairs."""

    via_mcp: list[float] = field(default_factory=list)
    direct: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def added_ms(self) -> float:
        """Median of the per-pair differences (MCP minus direct)."""
        return median([m - d for m, d in zip(self.via_mcp, self.direct, strict=True)])


@asynccontextmanager
async def session(env: dict[str, str], errlog: Path) -> AsyncIterator[Client]:
    """Spawn catalog-mcp over stdio with env (its stderr to errlog) and connect (legacy)."""
    argv = command("catalog-mcp")
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
    via_mcp: Callable[[], Awaitable[Any]],
    direct: Callable[[], Awaitable[httpx.Response]],
) -> None:
    """Time both calls back to back, alternating which goes first."""
    order = (True, False) if index % 2 else (False, True)
    times: dict[bool, float] = {}
    for is_mcp in order:
        elapsed, result = await _timed(via_mcp if is_mcp else direct)
        times[is_mcp] = elapsed
        failed = result.is_error if is_mcp else result.status_code != 200
        paired.errors += int(bool(failed))
    paired.via_mcp.append(times[True])
    paired.direct.append(times[False])


async def tool_latency(
    api_url: str,
    env: dict[str, str],
    errlog: Path,
    queries: list[str],
    ids: list[int],
    warmup: int,
) -> tuple[Paired, Paired]:
    """Return (search_products, get_product) pairs over one MCP session and one httpx client."""
    search, get = Paired(), Paired()
    async with (
        httpx.AsyncClient(base_url=api_url, timeout=CALL_TIMEOUT) as http,
        session(env, errlog) as mcp,
    ):
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
                    "limit": 20,
                }
                await _pair(
                    search_target,
                    index,
                    partial(mcp.call_tool, "search_products", {"query": query, "limit": 20}),
                    partial(http.get, "/api/products/search", params=params),
                )
            for index, product_id in enumerate(id_list):
                await _pair(
                    get_target,
                    index,
                    partial(mcp.call_tool, "get_product", {"id": product_id}),
                    partial(http.get, f"/api/products/{product_id}"),
                )
    return search, get


async def cold_start(env: dict[str, str], errlog: Path) -> float:
    """Spawn catalog-mcp and return the seconds until tools/list has answered."""
    started = time.perf_counter()
    async with asyncio.timeout(CALL_TIMEOUT), session(env, errlog) as mcp:
        tools = await mcp.list_tools()
        elapsed = time.perf_counter() - started
        if not tools.tools:
            raise RuntimeError("tools/list answered no tools")
    return elapsed
