"""A fake Anthropic Messages API on 127.0.0.1, reached through the real SDK."""

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
        "description": "A sturdy oak desk from the Anthropic fake.",
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
class FakeAnthropic:
    """A running fake: where it listens, how it answers, what it received."""

    base_url: str
    mode: str = "ok"
    reply: str = DEFAULT_REPLY
    requests: list[RecordedRequest] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeAnthropic


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

        if self.path.split("?", 1)[0] != "/v1/messages":
            self._error(404, "not_found_error", "Unknown path")
        elif not _api_key(headers):
            self._error(401, "authentication_error", "Missing API key")
        elif fake.mode == "500":
            self._error(500, "api_error", "Internal server error")
        elif fake.mode == "429":
            self._error(429, "rate_limit_error", "Number of requests has exceeded your rate limit")
        elif fake.mode == "hang":
            # Bounded: the context manager's exit cuts it short, so no test waits on it.
            fake.stopping.wait(HANG_SECONDS)
            self._send(200, _message(fake.reply, body))
        elif fake.mode == "malformed":
            # content must be a list of blocks; a string there also makes pydantic warn.
            self._send(200, {"type": "message", "role": "assistant", "content": None})
        else:
            self._send(200, _message(fake.reply, body))

    def _error(self, status: int, kind: str, message: str) -> None:
        self._send(status, {"type": "error", "error": {"type": kind, "message": message}})

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


def _api_key(headers: dict[str, str]) -> str:
    """Return the key: x-api-key, or the Bearer token that anthropic>=2 sends instead."""
    return headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ")


def _message(reply: str, request: Any) -> dict[str, Any]:
    model = request.get("model", "claude-fake") if isinstance(request, dict) else "claude-fake"
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": reply}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 34},
    }


@contextmanager
def fake_anthropic(mode: str = "ok", *, reply: str = DEFAULT_REPLY) -> Iterator[FakeAnthropic]:
    """Serve the fake on a free loopback port; the SDK appends /v1/messages to base_url."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")
    server = _Server(("127.0.0.1", 0), _Handler)
    fake = FakeAnthropic(base_url=f"http://127.0.0.1:{server.server_address[1]}")
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
