"""A local HTTP server speaking the Gemini REST generateContent wire format."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

logger = logging.getLogger(__name__)

MODES = frozenset({"ok", "500", "429", "hang", "malformed", "blocked", "empty", "truncated"})
HANG_SECONDS = 5.0
PATH_RE = re.compile(r"^/(?P<version>v1[a-z0-9]*)/models/(?P<model>[^/:]+):generateContent$")

COPY = {
    "description": "A sturdy steel water bottle that keeps drinks cold for a full day.",
    "keywords": [
        "steel water bottle",
        "insulated bottle",
        "reusable bottle",
        "cold drinks",
        "hiking gear",
    ],
}
COPY_TEXT = json.dumps(COPY)


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


def _candidate_reply(text: str | None, finish_reason: str) -> dict[str, Any]:
    """Build a generateContent response body with one candidate."""
    candidate: dict[str, Any] = {"finishReason": finish_reason, "index": 0}
    if text is not None:
        candidate["content"] = {"parts": [{"text": text}], "role": "model"}
    return {
        "candidates": [candidate],
        "usageMetadata": {
            "promptTokenCount": 42,
            "candidatesTokenCount": 17,
            "totalTokenCount": 59,
        },
        "modelVersion": "gemini-2.5-flash",
        "responseId": "fake-response-1",
    }


def _error_body(code: int, status: str, key: str) -> dict[str, Any]:
    """Build a Google API error body that (unlike Google) echoes the key, to catch leaks."""
    message = f"Request with key {key} failed."
    return {"error": {"code": code, "message": message, "status": status}}


class _Handler(BaseHTTPRequestHandler):
    """Answers generateContent according to the server's mode."""

    server: _FakeServer
    protocol_version = "HTTP/1.1"
    error_replies: ClassVar[dict[str, tuple[int, str]]] = {
        "500": (500, "INTERNAL"),
        "429": (429, "RESOURCE_EXHAUSTED"),
    }

    def do_POST(self) -> None:
        """Record the request, then reply as the mode says."""
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        headers = {name.lower(): value for name, value in self.headers.items()}
        with self.server.lock:
            self.server.record.append(RecordedRequest("POST", self.path, headers, body))
        if not PATH_RE.match(self.path.split("?", 1)[0]):
            self._send(404, {"error": {"code": 404, "message": "no route", "status": "NOT_FOUND"}})
            return
        key = headers.get("x-goog-api-key", "")
        mode = self.server.mode
        if not key:
            self._send(401, _error_body(401, "UNAUTHENTICATED", "<none>"))
        elif mode in self.error_replies:
            code, status = self.error_replies[mode]
            self._send(code, _error_body(code, status, key))
        elif mode == "hang":
            # Bounded: the wait ends early when the fake shuts down, so nothing lingers.
            self.server.stopping.wait(HANG_SECONDS)
            self._send(200, _candidate_reply(COPY_TEXT, "STOP"))
        elif mode == "malformed":
            self._send_raw(200, b"<html>upstream proxy error</html>", "text/html")
        elif mode == "blocked":
            self._send(200, {"promptFeedback": {"blockReason": "SAFETY"}})
        elif mode == "empty":
            self._send(200, _candidate_reply("", "STOP"))
        elif mode == "truncated":
            self._send(200, _candidate_reply(COPY_TEXT[:30], "MAX_TOKENS"))
        else:
            self._send(200, _candidate_reply(COPY_TEXT, "STOP"))

    def _send(self, code: int, payload: dict[str, Any]) -> None:
        """Send a JSON reply."""
        self._send_raw(code, json.dumps(payload).encode(), "application/json; charset=UTF-8")

    def _send_raw(self, code: int, data: bytes, content_type: str) -> None:
        """Send a reply, tolerating a client that already hung up."""
        try:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            logger.debug("fake gemini: client went away before the reply")

    def log_message(self, format: str, *args: Any) -> None:
        """Route access logs to logging instead of stderr."""
        logger.debug("fake gemini: " + format, *args)


class _FakeServer(ThreadingHTTPServer):
    """The HTTP server plus the state its handlers share."""

    daemon_threads = True

    def __init__(self, mode: str, record: list[RecordedRequest]) -> None:
        """Bind to a free port on the loopback interface."""
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = mode
        self.record = record
        self.lock = threading.Lock()
        self.stopping = threading.Event()


@contextmanager
def fake_gemini(mode: str = "ok", *, record: list[RecordedRequest] | None = None) -> Iterator[str]:
    """Serve the fake on 127.0.0.1 and yield its base URL; append requests to ``record``."""
    if mode not in MODES:
        raise ValueError(f"unknown fake gemini mode: {mode}")
    server = _FakeServer(mode, record if record is not None else [])
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-gemini", daemon=True
    )
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield f"http://{host!s}:{port}"
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
