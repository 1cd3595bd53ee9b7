"""Request heads are bounded on both HTTP servers: 431 over the cap, a deadline for slow heads."""

from __future__ import annotations

import contextlib
import select
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.processes import clean_env, command, free_port, running, sqlite_url

HEADER_TIMEOUT = 1.5
# Generous for a shared two-core machine; without the deadline the connection stays open.
CLOSE_WITHIN = HEADER_TIMEOUT + 5.0
CHUNK = 64 * 1024
MIB = 1024 * 1024


@dataclass(frozen=True)
class Server:
    """A running server: its pid, port and a path that answers GET with 200."""

    name: str
    pid: int
    port: int
    health_path: str


@pytest.fixture(scope="module", params=["api", "mcp"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """Run catalog-api serve or catalog-mcp --http (token set) with a short head deadline."""
    name: str = request.param
    workdir = tmp_path_factory.mktemp(name)
    port = free_port()
    env = clean_env(workdir, CATALOG_HEADER_TIMEOUT_SECONDS=str(HEADER_TIMEOUT))
    if name == "api":
        env["CATALOG_DATABASE_URL"] = sqlite_url(workdir / "catalog.db")
        argv = [*command("catalog-api"), "serve", "--port", str(port)]
        health_path = "/api/healthz"
    else:
        # Nothing listens there: these requests never reach the API.
        env["CATALOG_API_URL"] = f"http://127.0.0.1:{free_port()}"
        env["CATALOG_MCP_TOKEN"] = "header-test-token"
        argv = [*command("catalog-mcp"), "--http", "--port", str(port)]
        health_path = "/healthz"
    health_url = f"http://127.0.0.1:{port}{health_path}"
    with running(argv, env, health_url, workdir / f"{name}.log") as process:
        yield Server(name, process.pid, port, health_path)


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


def _read_answer(sock: socket.socket, seconds: float) -> bytes:
    """Read until the server closes or seconds pass; a reset ends the read too."""
    sock.settimeout(seconds)
    received = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            data = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not data:
            break
        received += data
    return received


def _read_one_response(sock: socket.socket) -> bytes:
    """Read one response with a Content-Length from a keep-alive connection."""
    sock.settimeout(10)
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return received


def _status(answer: bytes) -> int | None:
    if not answer.startswith(b"HTTP/1.1 "):
        return None
    return int(answer.split(b" ", 2)[1])


def _send_big_header(server: Server, header_bytes: int, seconds: float = 30) -> tuple[bytes, int]:
    """Send one header of header_bytes, stopping once the server answers or closes."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=seconds) as sock:
        sock.sendall(f"GET {server.health_path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ".encode())
        sent = 0
        deadline = time.monotonic() + seconds
        while sent < header_bytes and time.monotonic() < deadline:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            chunk = b"a" * min(CHUNK, header_bytes - sent)
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                break
            sent += len(chunk)
        else:
            if sent >= header_bytes:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    sock.sendall(b"\r\n\r\n")
        return _read_answer(sock, max(1.0, deadline - time.monotonic())), sent


def test_a_100_kb_header_gets_431(server: Server) -> None:
    answer, _ = _send_big_header(server, 100 * 1024)
    assert _status(answer) == 431, answer[:200]
    assert b"connection: close" in answer.lower()


def test_headers_under_the_cap_are_served(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        filler = "".join(f"X-Fill-{i}: {'b' * 1000}\r\n" for i in range(50))
        sock.sendall(
            f"GET {server.health_path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{filler}"
            "Connection: close\r\n\r\n".encode()
        )
        assert _status(_read_answer(sock, 10)) == 200


def test_a_body_in_the_same_packet_as_the_head_is_not_counted_as_head(server: Server) -> None:
    body = b"{" + b" " * (300 * 1024) + b"}"
    path = "/api/products" if server.name == "api" else "/mcp"
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        status = _status(_read_answer(sock, 10))
    # Refused for its content (no key, no token, empty JSON), never for its head.
    assert status is not None
    assert status != 431


def test_50_mb_headers_are_refused_early_and_memory_stays_flat(server: Server) -> None:
    _send_big_header(server, 100 * 1024)  # warm the refusal path before the baseline
    before = _rss_mib(server.pid)
    for _ in range(3):
        started = time.monotonic()
        answer, sent = _send_big_header(server, 50 * MIB)
        assert _status(answer) == 431, (answer[:200], sent)
        assert time.monotonic() - started < 10
        assert sent < 50 * MIB
    grown = _rss_mib(server.pid) - before
    assert grown < 8, f"RSS grew {grown:.1f} MiB"


def test_a_head_sent_too_slowly_is_cut_off(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(f"GET {server.health_path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
        started = time.monotonic()
        closed_after = None
        while time.monotonic() - started < CLOSE_WITHIN:
            try:
                sock.sendall(b"X-Slow: a\r\n")
            except (BrokenPipeError, ConnectionResetError):
                closed_after = time.monotonic() - started
                break
            readable, _, _ = select.select([sock], [], [], 0.3)
            if readable:
                answer = _read_answer(sock, 2)
                assert _status(answer) in {None, 408}, answer[:200]
                closed_after = time.monotonic() - started
                break
        assert closed_after is not None, "the server kept a never-ending head open"
        assert closed_after >= HEADER_TIMEOUT - 0.5


def test_a_connection_that_sends_nothing_is_closed(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        started = time.monotonic()
        assert _read_answer(sock, CLOSE_WITHIN) == b""
        assert time.monotonic() - started < CLOSE_WITHIN - 0.5


def test_an_idle_keep_alive_connection_is_not_cut_by_the_head_deadline(server: Server) -> None:
    request = f"GET {server.health_path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        assert _status(_read_one_response(sock)) == 200
        # Longer than the head deadline, shorter than uvicorn's 5 s keep-alive.
        time.sleep(HEADER_TIMEOUT + 1.0)
        sock.sendall(request)
        assert _status(_read_one_response(sock)) == 200


def test_an_oversized_pipelined_head_never_takes_the_answer_of_the_request_before(
    server: Server,
) -> None:
    body = b'{"title": "Pipelined", "category": "x", "price_minor": 100, "currency": "USD"}'
    path = "/api/products" if server.name == "api" else "/mcp"
    first = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    second = (
        f"GET {server.health_path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {'a' * 100_000}"
        "\r\n\r\n".encode()
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(first + second)
        answer = _read_answer(sock, 10)
    # The first answer belongs to the POST; the oversized GET may get nothing after it.
    assert _status(answer) not in {None, 431}, answer[:200]
