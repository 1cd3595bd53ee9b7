"""A fake OpenAI Chat Completions API on 127.0.0.1, reached through the real SDK."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from tests.fakes.server import Fake, FakeHandler, FakeServer, check_mode, serve

MODES = ("ok", "500", "429", "hang", "malformed")
DEFAULT_REPLY = json.dumps(
    {
        "description": "A sturdy oak desk from the OpenAI fake.",
        "keywords": ["oak desk", "home office", "solid wood", "writing desk", "furniture"],
    }
)


@dataclass
class FakeOpenAI(Fake):
    """A running fake: where it listens, how it answers, what it received."""

    reply: str = DEFAULT_REPLY


class _Handler(FakeHandler):
    server: FakeServer[FakeOpenAI]

    def do_POST(self) -> None:  # noqa: N802 (the name http.server dispatches to)
        """Record the request, then answer per the fake's mode."""
        request = self.record_request()
        fake = self.server.fake
        if not request.path.split("?", 1)[0].endswith("/chat/completions"):
            self._error(404, "Unknown path", "invalid_request_error")
        elif request.headers.get("authorization", "") in ("", "Bearer "):
            self._error(401, "Missing bearer token", "invalid_request_error")
        elif fake.mode == "500":
            self._error(500, "The server had an error", "server_error")
        elif fake.mode == "429":
            self._error(429, "Rate limit reached", "requests")
        elif fake.mode == "hang":
            fake.hang()
            self.send_json(200, _completion(fake.reply, request.body))
        elif fake.mode == "malformed":
            self.send_json(200, {"object": "chat.completion", "choices": "not-a-list"})
        else:
            self.send_json(200, _completion(fake.reply, request.body))

    def _error(self, status: int, message: str, kind: str) -> None:
        self.send_json(status, {"error": {"message": message, "type": kind, "param": None}})


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


def fake_openai(
    mode: str = "ok", *, reply: str = DEFAULT_REPLY
) -> AbstractContextManager[FakeOpenAI]:
    """Serve the fake on a free loopback port; its base_url ends in /v1 like the real one."""
    check_mode(mode, MODES)
    return serve(FakeOpenAI(mode=mode, reply=reply), _Handler, path="/v1")
