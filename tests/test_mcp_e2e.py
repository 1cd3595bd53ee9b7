"""End to end: the API as a real uvicorn process, the MCP server as a real stdio subprocess."""

from __future__ import annotations

import json
import select
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from tests.mcp_results import text
from tests.processes import clean_env, command, free_port, running

EXAMPLE = Path(__file__).resolve().parent.parent / "mcp.json.example"


def example_server(name: str) -> dict[str, Any]:
    """Return one server entry of mcp.json.example."""
    entry: dict[str, Any] = json.loads(EXAMPLE.read_text())["mcpServers"][name]
    return entry


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The catalog API served by uvicorn on a SQLite file, the example's key its admin key."""
    port = free_port()
    key = example_server("catalog-remote")["env"]["CATALOG_MCP_API_KEY"]
    env = clean_env(
        tmp_path,
        CATALOG_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'api.db'}",
        CATALOG_API_KEY=key,
    )
    url = f"http://127.0.0.1:{port}"
    argv = [*command("catalog-api"), "serve", "--port", str(port)]
    with running(argv, env, f"{url}/api/healthz", tmp_path / "api.log") as process:
        yield url, process


@asynccontextmanager
async def stdio_session(
    entry: dict[str, Any], env: dict[str, str], errlog: Path
) -> AsyncIterator[Client]:
    """Start the example's command over stdio; connect with the 2025-11-25 handshake."""
    params = StdioServerParameters(command=entry["command"], args=entry["args"], env=env)
    with errlog.open("w") as log:
        async with Client(stdio_client(params, errlog=log), mode="legacy") as client:
            yield client


async def test_stdio_server_against_a_running_api(
    api: tuple[str, subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    url, api_process = api
    entry = example_server("catalog-remote")
    env = clean_env(
        tmp_path, **{**entry["env"], "CATALOG_API_URL": url, "CATALOG_API_TIMEOUT": "5"}
    )
    async with stdio_session(entry, env, tmp_path / "mcp.log") as mcp:
        assert mcp.protocol_version == "2025-11-25"
        names = {tool.name for tool in (await mcp.list_tools()).tools}
        assert {"search_products", "create_product", "delete_product"} <= names

        created = await mcp.call_tool(
            "create_product",
            {"title": "Stdio Lantern", "category": "outdoor", "price_minor": 2500,
             "currency": "EUR", "description": "A lantern for the tent.", "status": "active"},
        )  # fmt: skip
        assert not created.is_error, text(created)
        product = created.structured_content
        assert product is not None

        found = await mcp.call_tool("search_products", {"query": "lantern"})
        assert found.structured_content is not None
        assert [p["id"] for p in found.structured_content["items"]] == [product["id"]]

        got = await mcp.call_tool("get_product", {"slug": "stdio-lantern"})
        assert got.structured_content == product

        updated = await mcp.call_tool("update_product", {"id": product["id"], "stock_quantity": 9})
        assert updated.structured_content is not None
        assert updated.structured_content["stock_quantity"] == 9

        duplicate = await mcp.call_tool(
            "create_product",
            {"title": "Other", "slug": "stdio-lantern", "category": "outdoor",
             "price_minor": 1, "currency": "EUR"},
        )  # fmt: skip
        assert duplicate.is_error
        assert "Conflict: " in text(duplicate)
        assert "stdio-lantern" in text(duplicate)

        invalid = await mcp.call_tool(
            "create_product",
            {"title": "Bad", "category": "outdoor", "price_minor": 1, "currency": "ZZZ"},
        )
        assert invalid.is_error
        assert "Invalid input: " in text(invalid)
        assert "currency" in text(invalid)

        described = await mcp.call_tool("describe_product", {"id": product["id"], "save": True})
        assert not described.is_error, text(described)
        assert described.structured_content is not None
        assert described.structured_content["provider"] == "offline"
        assert described.structured_content["saved"] is True
        assert 5 <= len(described.structured_content["keywords"]) <= 10

        deleted = await mcp.call_tool("delete_product", {"id": product["id"]})
        assert not deleted.is_error
        gone = await mcp.call_tool("get_product", {"id": product["id"]})
        assert "Not found: " in text(gone)

        api_process.terminate()
        api_process.wait(timeout=15)
        started = time.monotonic()
        stopped = await mcp.call_tool("search_products", {"query": "lantern"})
        assert stopped.is_error
        assert "unreachable" in text(stopped)
        assert url in text(stopped)
        assert time.monotonic() - started < 10
        again = await mcp.call_tool("list_categories", {})
        assert again.is_error
        assert len((await mcp.list_tools()).tools) == 12


@pytest.fixture
def demo_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose default database holds the demo catalog."""
    env = clean_env(tmp_path)
    seeded = subprocess.run(
        [*command("catalog-api"), "seed", "--demo"], env=env, capture_output=True, timeout=120
    )
    assert seeded.returncode == 0, seeded.stderr
    return env


async def test_stdio_server_embedded_needs_nothing_else(
    demo_env: dict[str, str], tmp_path: Path
) -> None:
    env = demo_env
    entry = example_server("catalog")
    async with stdio_session(entry, {**env, **entry["env"]}, tmp_path / "mcp.log") as mcp:
        found = await mcp.call_tool("search_products", {"query": "headphones", "limit": 5})
        assert not found.is_error, text(found)
        assert found.structured_content is not None
        assert found.structured_content["total"] >= 1
        assert "headphones" in found.structured_content["items"][0]["title"].lower()
        page = await mcp.call_tool("list_products", {"limit": 20})
        assert len(text(page)) / 4 < 7_000


def _read_answers(process: subprocess.Popen[bytes], ids: set[int]) -> dict[int, dict[str, Any]]:
    """Read stdout lines until every id has its answer; every line must be JSON-RPC."""
    assert process.stdout is not None
    answers: dict[int, dict[str, Any]] = {}
    deadline = time.monotonic() + 90
    while set(answers) != ids:
        ready, _, _ = select.select([process.stdout], [], [], max(0, deadline - time.monotonic()))
        assert ready, f"no answer on stdout for {ids - set(answers)}"
        message: dict[str, Any] = json.loads(process.stdout.readline())
        assert message["jsonrpc"] == "2.0"
        if "id" in message:
            answers[message["id"]] = message
    return answers


def test_stdout_carries_only_protocol_messages(tmp_path: Path) -> None:
    entry = example_server("catalog")
    env = clean_env(tmp_path, CATALOG_LOG_LEVEL="DEBUG")
    process = subprocess.Popen(
        [*command(entry["command"]), *entry["args"]],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # Unbuffered: a buffered readline can pull two answers in at once, and select() then
        # waits on the pipe for the second one, which already sits in the buffer.
        bufsize=0,
    )
    assert process.stdin is not None
    assert process.stderr is not None
    # Drained as it comes: a DEBUG log larger than the pipe buffer would block the server.
    stderr_chunks: list[bytes] = []
    stderr_pipe = process.stderr
    drain = threading.Thread(target=lambda: stderr_chunks.extend(iter(stderr_pipe.readline, b"")))
    drain.start()
    try:
        requests = [
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {},
                "clientInfo": {"name": "raw-test", "version": "1"}}},
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
            {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
             "params": {"name": "search_products", "arguments": {"query": "\" * % _"}}},
            {"jsonrpc": "2.0", "id": 4, "method": "no/such/method"},
        ]  # fmt: skip
        for request in requests:
            process.stdin.write(json.dumps(request).encode() + b"\n")
        process.stdin.flush()
        by_id = _read_answers(process, {1, 2, 3, 4})
        answers = [by_id[i] for i in (1, 2, 3, 4)]
        assert answers[0]["result"]["protocolVersion"] == "2025-11-25"
        assert len(answers[1]["result"]["tools"]) == 12
        assert answers[2]["result"]["isError"] is True
        assert "Invalid input: " in answers[2]["result"]["content"][0]["text"]
        assert answers[3]["error"]["code"] == -32601
    finally:
        process.stdin.close()
        process.wait(timeout=15)
        drain.join(timeout=15)
        stderr = b"".join(stderr_chunks).decode()
        process.stderr.close()
        assert process.stdout is not None
        assert process.stdout.read() == b""
        process.stdout.close()
    assert "running the catalog API embedded" in stderr
