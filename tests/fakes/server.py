"""What every fake server shares: recorded requests, a loopback HTTP server and its lifetime."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, TypeVar

logger = logging.getLogger(__name__)

HANG_SECONDS = 5.0


@dataclass(frozen=True)
class RecordedRequest:
    """One request as a fake saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any

    def json(self) -> Any:
        """The body parsed as JSON, for fakes that record it raw."""
        return json.loads(self.body)


@dataclass
class Fake:
    """A fake's state: how it answers, what it received, where it listens."""

    mode: str = "ok"
    requests: list[RecordedRequest] = field(default_factory=list)
    base_url: str = ""
    stopping: threading.Event = field(default_factory=threading.Event, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, request: RecordedRequest) -> None:
        """Remember a request."""
        with self._lock:
            self.requests.append(request)

    def hang(self, seconds: float = HANG_SECONDS) -> None:
        """Wait a bounded time, cut short when the server stops, so no test waits on it."""
        self.stopping.wait(seconds)


F = TypeVar("F", bound=Fake)


def check_mode(mode: str, modes: Collection[str]) -> None:
    """Refuse a mode the fake does not know."""
    if mode not in modes:
        raise ValueError(f"unknown mode {mode!r}; expected one of {tuple(modes)}")


class FakeServer(ThreadingHTTPServer, Generic[F]):
    """A threaded HTTP server on a free 127.0.0.1 port whose handlers share ``fake``."""

    daemon_threads = True

    def __init__(self, fake: F, handler: type[BaseHTTPRequestHandler]) -> None:
        """Bind to a free port on the loopback interface."""
        super().__init__(("127.0.0.1", 0), handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log handler failures (e.g. a client that hung up) instead of printing them."""
        logger.debug("fake server handler error from %s", client_address, exc_info=True)


class FakeHandler(BaseHTTPRequestHandler):
    """Reads and records requests, sends replies, and keeps quiet."""

    server: FakeServer[Any]
    # HTTP/1.0: one request per connection, so no keep-alive socket outlives a test.
    protocol_version = "HTTP/1.0"

    def read_body(self) -> bytes:
        """The raw request body."""
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def record_request(self) -> RecordedRequest:
        """Record the request with lower-cased header names and its body as JSON, else text."""
        raw = self.read_body()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw.decode(errors="replace")
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = RecordedRequest(self.command, self.path, headers, body)
        self.server.fake.record(request)
        return request

    def send(
        self,
        status: int,
        data: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        """Send a reply, tolerating a client that already hung up."""
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            logger.debug("%s: client went away before the reply", type(self).__module__)

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        """Send a JSON reply."""
        self.send(status, json.dumps(payload).encode(), headers=headers)

    def log_message(self, format: str, *args: Any) -> None:
        """Send the access log to logging, not stderr."""
        logger.debug(format, *args)


@contextmanager
def serve(fake: F, handler: type[FakeHandler], path: str = "") -> Iterator[F]:
    """Serve ``fake`` in a daemon thread; its base_url is the server's URL plus ``path``."""
    server = FakeServer(fake, handler)
    host, port = server.server_address[:2]
    fake.base_url = f"http://{host!s}:{port}{path}"
    # A short poll interval makes shutdown() quick, so each test stops its fake at once.
    name = "fake-" + handler.__module__.rsplit(".", 1)[-1]
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), name=name, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
