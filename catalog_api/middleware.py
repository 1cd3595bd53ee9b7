"""ASGI middleware: request ids and the last line of defence against unexpected errors."""

from __future__ import annotations

import json
import logging
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from catalog_api.errors import PROBLEM_JSON, internal_error_body

logger = logging.getLogger("catalog_api.errors")


def _request_id(scope: Scope) -> str:
    raw: bytes = dict(scope["headers"]).get(b"x-request-id", b"")
    incoming = raw.decode("latin-1")
    if incoming.isascii() and incoming.isprintable() and 0 < len(incoming) <= 64:
        return incoming
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Tag each request with an id (X-Request-ID) and turn unexpected errors into a 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request; log and answer a generic 500 if it raises before responding."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode())
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [h for h in message.get("headers", []) if h[0].lower() != header[0]]
                message["headers"] = [*headers, header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:  # the one deliberate catch-all: log it, reveal nothing
            logger.exception(
                "unhandled error on %s %s (request_id=%s)",
                scope.get("method"),
                scope.get("path"),
                request_id,
            )
            if started:
                raise
            body = json.dumps(internal_error_body(request_id, scope.get("path", ""))).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", PROBLEM_JSON.encode()),
                        (b"content-length", str(len(body)).encode()),
                        header,
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
