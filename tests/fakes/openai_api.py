"""A fake OpenAI Chat Completions API on 127.0.0.1, reached through the real SDK."""

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
        "description": "A sturdy oak desk from the OpenAI fake.",
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
class FakeOpenAI:
    """A running fake: where it listens, how it answers, what it received."""

    base_url: str
    mode: str = "ok"
    reply: str = DEFAULT_REPLY
    requests: list[RecordedRequest] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeOpenAI


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

        if not self.path.split("?", 1)[0].endswith("/chat/completions"):
            self._error(404, "Unknown path", "invalid_request_error")
        elif headers.get("authorization", "") in ("", "Bearer "):
            self._error(401, "Missing bearer token", "invalid_request_error")
        elif fake.mode == "500":
            self._error(500, "The server had an error", "server_error")
        elif fake.mode == "429":
            self._error(429, "Rate limit reached", "requests")
        elif fake.mode == "hang":
            # Bounded: the context manager's exit cuts it short, so no test waits on it.
            fake.stopping.wait(HANG_SECONDS)
            self._send(200, _completion(fake.reply, body))
        elif fake.mode == "malformed":
            self._send(200, {"object": "chat.completion", "choices": "not-a-list"})
        else:
            self._send(200, _completion(fake.reply, body))

    def _error(self, status: int, message: str, kind: str) -> None:
        self._send(status, {"error": {"message": message, "type": kind, "param": None}})

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


def _completion(reply: str, request: Any) -> dict[str, Any]:
    model = request.get("model", "gpt-fake") if isinstance(request, dict) else "gpt-fake"
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 34, "total_tokens": 46},
    }


@contextmanager
def fake_openai(mode: str = "ok", *, reply: str = DEFAULT_REPLY) -> Iterator[FakeOpenAI]:
    """Serve the fake on a free loopback port; its base_url ends in /v1 like the real one."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")
    server = _Server(("127.0.0.1", 0), _Handler)
    fake = FakeOpenAI(base_url=f"http://127.0.0.1:{server.server_address[1]}/v1")
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
