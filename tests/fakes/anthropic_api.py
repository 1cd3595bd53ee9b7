"""A fake Anthropic Messages API on 127.0.0.1, reached through the real SDK."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from tests.fakes.server import Fake, FakeHandler, FakeServer, check_mode, serve

MODES = ("ok", "500", "429", "hang", "malformed")
DEFAULT_REPLY = json.dumps(
    {
        "description": "A sturdy oak desk from the Anthropic fake.",
        "keywords": ["oak desk", "home office", "solid wood", "writing desk", "furniture"],
    }
)


@dataclass
class FakeAnthropic(Fake):
    """A running fake: where it listens, how it answers, what it received."""

    reply: str = DEFAULT_REPLY


class _Handler(FakeHandler):
    server: FakeServer[FakeAnthropic]

    def do_POST(self) -> None:  # noqa: N802 (the name http.server dispatches to)
        """Record the request, then answer per the fake's mode."""
        request = self.record_request()
        fake = self.server.fake
        if request.path.split("?", 1)[0] != "/v1/messages":
            self._error(404, "not_found_error", "Unknown path")
        elif not _api_key(request.headers):
            self._error(401, "authentication_error", "Missing API key")
        elif fake.mode == "500":
            self._error(500, "api_error", "Internal server error")
        elif fake.mode == "429":
            self._error(429, "rate_limit_error", "Number of requests has exceeded your rate limit")
        elif fake.mode == "hang":
            fake.hang()
            self.send_json(200, _message(fake.reply, request.body))
        elif fake.mode == "malformed":
            # content must be a list of blocks; a string there also makes pydantic warn.
            self.send_json(200, {"type": "message", "role": "assistant", "content": None})
        else:
            self.send_json(200, _message(fake.reply, request.body))

    def _error(self, status: int, kind: str, message: str) -> None:
        self.send_json(status, {"type": "error", "error": {"type": kind, "message": message}})


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


def fake_anthropic(
    mode: str = "ok", *, reply: str = DEFAULT_REPLY
) -> AbstractContextManager[FakeAnthropic]:
    """Serve the fake on a free loopback port; the SDK appends /v1/messages to base_url."""
    check_mode(mode, MODES)
    return serve(FakeAnthropic(mode=mode, reply=reply), _Handler)
