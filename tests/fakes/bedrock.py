"""A fake bedrock-runtime on 127.0.0.1 speaking the REST and event-stream wire formats."""

from __future__ import annotations

import base64
import json
import logging
import struct
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import unquote

logger = logging.getLogger(__name__)

Mode = Literal["ok", "500", "429", "hang", "malformed", "guardrail", "empty", "stream_error"]

HANG_SECONDS = 5.0
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


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass
class FakeBedrock:
    """State of the fake: what to answer and what was asked."""

    mode: Mode = "ok"
    parts: list[str] = field(default_factory=lambda: ["Hello", ", ", "world", "!"])
    requests: list[RecordedRequest] = field(default_factory=list)
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)

    def record(self, request: RecordedRequest) -> None:
        """Remember a request."""
        with self._lock:
            self.requests.append(request)

    def hang(self) -> None:
        """Wait a bounded time, cut short when the server stops."""
        self._stop.wait(HANG_SECONDS)

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Run the server on a free 127.0.0.1 port in a daemon thread; yield its base URL."""
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        thread = threading.Thread(
            target=server.serve_forever, args=(0.02,), name="fake-bedrock", daemon=True
        )
        thread.start()
        host, port = server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        try:
            yield self.url
        finally:
            self._stop.set()
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeBedrock

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log handler failures (e.g. a client that hung up) instead of printing them."""
        logger.debug("fake bedrock handler error from %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # HTTP/1.0: one request per connection, so no keep-alive socket outlives a test.
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Send the access log to logging, not stderr."""
        logger.debug(format, *args)

    def do_POST(self) -> None:
        """Serve InvokeModel and InvokeModelWithResponseStream."""
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        path = unquote(self.path)
        fake.record(
            RecordedRequest(method="POST", path=path, headers=dict(self.headers.items()), body=body)
        )
        segments = path.split("/")
        if len(segments) != 4 or segments[1] != "model":
            self._json(404, {"message": "no such route"}, "ResourceNotFoundException")
            return
        action = segments[3]
        try:
            if fake.mode == "hang":
                fake.hang()
                return  # close without answering
            if fake.mode == "500":
                self._json(500, {"message": "internal failure"}, "InternalServerException")
            elif fake.mode == "429":
                self._json(429, {"message": "Too many requests"}, "ThrottlingException")
            elif action == "invoke":
                self._invoke(fake)
            elif action == "invoke-with-response-stream":
                self._stream(fake)
            else:
                self._json(404, {"message": "no such route"}, "ResourceNotFoundException")
        except (BrokenPipeError, ConnectionResetError):
            logger.debug("fake bedrock: client went away")

    def _json(self, status: int, payload: dict[str, Any], error_type: str | None = None) -> None:
        """Answer a JSON body, with the error type header botocore reads for errors."""
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", "fake-request-id")
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type + _ERROR_TYPE_SUFFIX)
        self.end_headers()
        self.wfile.write(data)

    def _invoke(self, fake: FakeBedrock) -> None:
        """Answer InvokeModel with an Anthropic Messages body."""
        if fake.mode == "malformed":
            data = b'{"content": [{"type": "text", "text": "trunc'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
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
        self.send_response(200)
        self.send_header("Content-Type", EVENTSTREAM_TYPE)
        self.send_header("X-Amzn-Bedrock-Content-Type", "application/json")
        self.send_header("x-amzn-RequestId", "fake-request-id")
        self.send_header("Content-Length", str(sum(len(frame) for frame in frames)))
        self.end_headers()
        for frame in frames:
            self.wfile.write(frame)
            self.wfile.flush()
