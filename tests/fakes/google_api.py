"""A fake Gemini Developer API (REST generateContent) on 127.0.0.1, reached through the real SDK."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODES = ("ok", "500", "429", "hang", "malformed")
HANG_SECONDS = 5.0
DEFAULT_REPLY = json.dumps(
    {
        "description": "A sturdy oak desk from the Google fake.",
        "keywords": ["oak desk", "home office", "solid wood", "writing desk", "furniture"],
    }
)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake saw it; header names are lower-cased."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeGoogle:
    """A running fake: where it listens, how it answers, what it received."""

    base_url: str
    mode: str = "ok"
    reply: str = DEFAULT_REPLY
    requests: list[RecordedRequest] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeGoogle


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        """Record the request, then answer per the fake's mode."""
        fake = self.server.fake
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw.decode(errors="replace")
        headers = {k.lower(): v for k, v in self.headers.items()}
        fake.requests.append(RecordedRequest("POST", self.path, headers, body))

        path = self.path.split("?", 1)[0]
        if not (path.startswith("/v1beta/models/") and path.endswith(":generateContent")):
            self._error(404, "NOT_FOUND", "Unknown path")
        elif not headers.get("x-goog-api-key"):
            self._error(401, "UNAUTHENTICATED", "Missing x-goog-api-key header")
        elif fake.mode == "500":
            self._error(500, "INTERNAL", "Internal error encountered.")
        elif fake.mode == "429":
            self._error(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted.")
        elif fake.mode == "hang":
            # Bounded: the context manager's exit cuts it short, so no test waits on it.
            fake.stopping.wait(HANG_SECONDS)
            self._send(200, _response(fake.reply, path))
        elif fake.mode == "malformed":
            self._send(200, {"candidates": [{"content": {"parts": "not-a-list"}}]})
        else:
            self._send(200, _response(fake.reply, path))

    def _error(self, status: int, kind: str, message: str) -> None:
        self._send(status, {"error": {"code": status, "message": message, "status": kind}})

    def _send(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        with suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet."""


def _response(reply: str, path: str) -> dict[str, Any]:
    model = path.removeprefix("/v1beta/models/").removesuffix(":generateContent")
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": reply}]},
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 12,
            "candidatesTokenCount": 34,
            "totalTokenCount": 46,
        },
        "modelVersion": model,
        "responseId": "fake-response",
    }


@contextmanager
def fake_google(mode: str = "ok", *, reply: str = DEFAULT_REPLY) -> Iterator[FakeGoogle]:
    """Serve the fake on a free loopback port; the SDK appends /v1beta/models/... to base_url."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")
    server = _Server(("127.0.0.1", 0), _Handler)
    fake = FakeGoogle(base_url=f"http://127.0.0.1:{server.server_address[1]}")
    fake.mode, fake.reply, server.fake = mode, reply, fake
    # A short poll interval makes shutdown() quick, so each test stops its fake at once.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
