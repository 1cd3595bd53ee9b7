"""A fake bedrock-runtime on 127.0.0.1 speaking the REST and event-stream wire formats."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote

from tests.fakes.server import Fake, FakeHandler, FakeServer, RecordedRequest, serve

Mode = Literal["ok", "500", "429", "hang", "malformed", "guardrail", "empty", "stream_error"]

EVENTSTREAM_TYPE = "application/vnd.amazon.eventstream"
# The shape of x-amzn-ErrorType that Bedrock sends; botocore keeps what precedes the colon.
_ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.bedrock/"


def _crc(data: bytes, value: int = 0) -> int:
    """CRC32 as an unsigned 32-bit integer."""
    return zlib.crc32(data, value) & 0xFFFFFFFF


def encode_headers(headers: dict[str, str]) -> bytes:
    """Encode event-stream headers, all of the string type (7)."""
    out = b""
    for name, value in headers.items():
        raw_name, raw_value = name.encode(), value.encode()
        out += struct.pack("!B", len(raw_name)) + raw_name
        out += struct.pack("!BH", 7, len(raw_value)) + raw_value
    return out


def encode_message(headers: dict[str, str], payload: bytes) -> bytes:
    """Encode one AWS event-stream message: prelude, prelude CRC, headers, payload, CRC."""
    raw_headers = encode_headers(headers)
    total = 12 + len(raw_headers) + len(payload) + 4
    prelude = struct.pack("!II", total, len(raw_headers))
    message = prelude + struct.pack("!I", _crc(prelude)) + raw_headers + payload
    return message + struct.pack("!I", _crc(message))


def chunk_event(event: dict[str, Any]) -> bytes:
    """Encode one Bedrock 'chunk' event carrying a model event as base64 JSON."""
    inner = base64.b64encode(json.dumps(event).encode()).decode()
    headers = {
        ":event-type": "chunk",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    return encode_message(headers, json.dumps({"bytes": inner}).encode())


def exception_event(exception_type: str, message: str) -> bytes:
    """Encode an in-stream exception message such as throttlingException."""
    headers = {
        ":exception-type": exception_type,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return encode_message(headers, json.dumps({"message": message}).encode())


def anthropic_stream_events(parts: list[str]) -> list[dict[str, Any]]:
    """The Anthropic Messages streaming events for a reply made of these text parts."""
    events: list[dict[str, Any]] = [
        {
            "type": "message_start",
            "message": {"id": "msg_fake", "type": "message", "role": "assistant", "content": []},
        },
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    ]
    events += [
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": part}}
        for part in parts
    ]
    events += [
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {}},
        {"type": "message_stop", "amazon-bedrock-invocationMetrics": {"inputTokenCount": 1}},
    ]
    return events


@dataclass
class FakeBedrock(Fake):
    """State of the fake: what to answer and what was asked."""

    mode: Mode = "ok"
    parts: list[str] = field(default_factory=lambda: ["Hello", ", ", "world", "!"])

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Run the server on a free 127.0.0.1 port in a daemon thread; yield its base URL."""
        with serve(self, _Handler):
            yield self.base_url


class _Handler(FakeHandler):
    server: FakeServer[FakeBedrock]

    def do_POST(self) -> None:  # noqa: N802 (the name http.server dispatches to)
        """Serve InvokeModel and InvokeModelWithResponseStream."""
        fake = self.server.fake
        body = self.read_body()
        path = unquote(self.path)
        fake.record(RecordedRequest("POST", path, dict(self.headers.items()), body))
        segments = path.split("/")
        if len(segments) != 4 or segments[1] != "model":
            self._json(404, {"message": "no such route"}, "ResourceNotFoundException")
        elif fake.mode == "hang":
            fake.hang()  # then close without answering
        elif fake.mode == "500":
            self._json(500, {"message": "internal failure"}, "InternalServerException")
        elif fake.mode == "429":
            self._json(429, {"message": "Too many requests"}, "ThrottlingException")
        elif segments[3] == "invoke":
            self._invoke(fake)
        elif segments[3] == "invoke-with-response-stream":
            self._stream(fake)
        else:
            self._json(404, {"message": "no such route"}, "ResourceNotFoundException")

    def _json(self, status: int, payload: dict[str, Any], error_type: str | None = None) -> None:
        """Answer a JSON body, with the error type header botocore reads for errors."""
        headers = {"x-amzn-RequestId": "fake-request-id"}
        if error_type:
            headers["x-amzn-ErrorType"] = error_type + _ERROR_TYPE_SUFFIX
        self.send_json(status, payload, headers)

    def _invoke(self, fake: FakeBedrock) -> None:
        """Answer InvokeModel with an Anthropic Messages body."""
        if fake.mode == "malformed":
            self.send(200, b'{"content": [{"type": "text", "text": "trunc')
            return
        guarded = "X-Amzn-Bedrock-GuardrailIdentifier" in self.headers
        if fake.mode == "guardrail":
            text, action, stop = "Sorry, the model cannot answer this.", "INTERVENED", "end_turn"
        elif fake.mode == "empty":
            text, action, stop = "", "NONE", "end_turn"
        else:
            text, action, stop = "".join(fake.parts), "NONE", "end_turn"
        reply: dict[str, Any] = {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": "claude-fake",
            "content": [{"type": "text", "text": text}],
            "stop_reason": stop,
            "usage": {"input_tokens": 1, "output_tokens": 1},
        }
        if guarded or fake.mode == "guardrail":
            reply["amazon-bedrock-guardrailAction"] = action
        self._json(200, reply)

    def _stream(self, fake: FakeBedrock) -> None:
        """Answer InvokeModelWithResponseStream with event-stream frames."""
        if fake.mode == "malformed":
            # A prelude whose CRC does not match: not a valid event stream.
            frames = [struct.pack("!III", 64, 0, 0xDEADBEEF) + b"x" * 52]
        elif fake.mode == "empty":
            frames = [chunk_event(event) for event in anthropic_stream_events([])]
        elif fake.mode == "guardrail":
            events = anthropic_stream_events(["blocked"])
            events[-1]["amazon-bedrock-guardrailAction"] = "INTERVENED"
            frames = [chunk_event(event) for event in events]
        elif fake.mode == "stream_error":
            events = anthropic_stream_events(fake.parts)[:3]
            frames = [chunk_event(event) for event in events]
            frames.append(exception_event("throttlingException", "Too many tokens"))
        else:
            frames = [chunk_event(event) for event in anthropic_stream_events(fake.parts)]
        headers = {
            "X-Amzn-Bedrock-Content-Type": "application/json",
            "x-amzn-RequestId": "fake-request-id",
        }
        self.send(200, b"".join(frames), EVENTSTREAM_TYPE, headers)
