"""A misbehaving stand-in for the catalog API on 127.0.0.1, for faults the real one never makes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from tests.fakes.server import Fake, FakeHandler, RecordedRequest, serve

SLOW_SECONDS = 3.0


class _Handler(FakeHandler):
    """Answers by path: good JSON, garbage, a slow reply."""

    def do_GET(self) -> None:  # noqa: N802 (the name http.server dispatches to)
        """Record the request, then serve one canned answer."""
        path = self.record_request().path.split("?", 1)[0]
        if path == "/api/categories":
            self.send(200, json.dumps({"items": [{"category": "fake", "count": 1}]}).encode())
        elif path == "/api/products":
            self.send(200, b"<html>definitely not json</html>", "text/html")
        elif path == "/api/products/search":
            self.server.fake.hang(SLOW_SECONDS)
            self.send(200, json.dumps({"items": [], "total": 0, "next_cursor": None}).encode())
        elif path.startswith("/api/products/by-slug/"):
            self.send(500, b"Internal Server Error", "text/plain")
        else:
            self.send(200, json.dumps({"id": "not-a-number"}).encode())


@contextmanager
def fake_api(*, record: list[RecordedRequest] | None = None) -> Iterator[str]:
    """Serve the fake API on a loopback port and yield its URL; append requests to ``record``."""
    with serve(Fake(requests=[] if record is None else record), _Handler) as fake:
        yield fake.base_url
