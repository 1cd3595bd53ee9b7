"""A misbehaving stand-in for the catalog API on 127.0.0.1, for faults the real one never makes."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar


class FakeAPIHandler(BaseHTTPRequestHandler):
    """Answers by path: good JSON, garbage, a slow reply; records request headers."""

    seen_headers: ClassVar[list[dict[str, str]]] = []
    slow_seconds: ClassVar[float] = 3.0

    def do_GET(self) -> None:
        """Serve one canned answer."""
        FakeAPIHandler.seen_headers.append({k.lower(): v for k, v in self.headers.items()})
        path = self.path.split("?", 1)[0]
        if path == "/api/categories":
            self._send(200, json.dumps({"items": [{"category": "fake", "count": 1}]}).encode())
        elif path == "/api/products":
            self._send(200, b"<html>definitely not json</html>", "text/html")
        elif path == "/api/products/search":
            time.sleep(self.slow_seconds)
            self._send(200, json.dumps({"items": [], "total": 0, "next_cursor": None}).encode())
        elif path.startswith("/api/products/by-slug/"):
            self._send(500, b"Internal Server Error", "text/plain")
        else:
            self._send(200, json.dumps({"id": "not-a-number"}).encode())

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet."""


@contextmanager
def fake_api() -> Iterator[str]:
    """Serve the fake API on a free loopback port in a thread; yield its URL."""
    FakeAPIHandler.seen_headers = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAPIHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
