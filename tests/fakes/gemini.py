"""A local HTTP server speaking the Gemini REST generateContent wire format."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.fakes.server import Fake, FakeHandler, RecordedRequest, check_mode, serve

MODES = frozenset({"ok", "500", "429", "hang", "malformed", "blocked", "empty", "truncated"})
# The real service answers on v1 (google-genai 3.x's default) and v1beta (2.x's).
PATH_RE = re.compile(r"^/(?P<version>v1|v1beta)/models/(?P<model>[^/:]+):generateContent$")
ERROR_REPLIES = {"500": (500, "INTERNAL"), "429": (429, "RESOURCE_EXHAUSTED")}

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


class _Handler(FakeHandler):
    """Answers generateContent according to the fake's mode."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 (the name http.server dispatches to)
        """Record the request, then reply as the mode says."""
        request = self.record_request()
        if not PATH_RE.match(request.path.split("?", 1)[0]):
            self._send(404, {"error": {"code": 404, "message": "no route", "status": "NOT_FOUND"}})
            return
        key = request.headers.get("x-goog-api-key", "")
        fake = self.server.fake
        if not key:
            self._send(401, _error_body(401, "UNAUTHENTICATED", "<none>"))
        elif fake.mode in ERROR_REPLIES:
            code, status = ERROR_REPLIES[fake.mode]
            self._send(code, _error_body(code, status, key))
        elif fake.mode == "hang":
            fake.hang()
            self._send(200, _candidate_reply(COPY_TEXT, "STOP"))
        elif fake.mode == "malformed":
            self.send(200, b"<html>upstream proxy error</html>", "text/html")
        elif fake.mode == "blocked":
            self._send(200, {"promptFeedback": {"blockReason": "SAFETY"}})
        elif fake.mode == "empty":
            self._send(200, _candidate_reply("", "STOP"))
        elif fake.mode == "truncated":
            self._send(200, _candidate_reply(COPY_TEXT[:30], "MAX_TOKENS"))
        else:
            self._send(200, _candidate_reply(COPY_TEXT, "STOP"))

    def _send(self, code: int, payload: dict[str, Any]) -> None:
        """Send a JSON reply with the charset Google names."""
        self.send(code, json.dumps(payload).encode(), "application/json; charset=UTF-8")


@contextmanager
def fake_gemini(mode: str = "ok", *, record: list[RecordedRequest] | None = None) -> Iterator[str]:
    """Serve the fake on 127.0.0.1 and yield its base URL; append requests to ``record``."""
    check_mode(mode, MODES)
    with serve(Fake(mode, [] if record is None else record), _Handler) as fake:
        yield fake.base_url
