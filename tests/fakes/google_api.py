"""A fake Gemini Developer API (REST generateContent) on 127.0.0.1, reached through the real SDK."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from tests.fakes.gemini import PATH_RE
from tests.fakes.server import Fake, FakeHandler, FakeServer, check_mode, serve

MODES = ("ok", "500", "429", "hang", "malformed")
DEFAULT_REPLY = json.dumps(
    {
        "description": "A sturdy oak desk from the Google fake.",
        "keywords": ["oak desk", "home office", "solid wood", "writing desk", "furniture"],
    }
)


@dataclass
class FakeGoogle(Fake):
    """A running fake: where it listens, how it answers, what it received."""

    reply: str = DEFAULT_REPLY


class _Handler(FakeHandler):
    server: FakeServer[FakeGoogle]

    def do_POST(self) -> None:  # noqa: N802 (the name http.server dispatches to)
        """Record the request, then answer per the fake's mode."""
        request = self.record_request()
        fake = self.server.fake
        route = PATH_RE.match(request.path.split("?", 1)[0])
        if route is None:
            self._error(404, "NOT_FOUND", "Unknown path")
        elif not request.headers.get("x-goog-api-key"):
            self._error(401, "UNAUTHENTICATED", "Missing x-goog-api-key header")
        elif fake.mode == "500":
            self._error(500, "INTERNAL", "Internal error encountered.")
        elif fake.mode == "429":
            self._error(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted.")
        elif fake.mode == "hang":
            fake.hang()
            self.send_json(200, _response(fake.reply, route["model"]))
        elif fake.mode == "malformed":
            self.send_json(200, {"candidates": [{"content": {"parts": "not-a-list"}}]})
        else:
            self.send_json(200, _response(fake.reply, route["model"]))

    def _error(self, status: int, kind: str, message: str) -> None:
        self.send_json(status, {"error": {"code": status, "message": message, "status": kind}})


def _response(reply: str, model: str) -> dict[str, Any]:
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


def fake_google(
    mode: str = "ok", *, reply: str = DEFAULT_REPLY
) -> AbstractContextManager[FakeGoogle]:
    """Serve the fake on a free loopback port; the SDK appends /v1/models/... to base_url."""
    check_mode(mode, MODES)
    return serve(FakeGoogle(mode=mode, reply=reply), _Handler)
