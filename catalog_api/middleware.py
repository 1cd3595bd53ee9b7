"""ASGI middleware: request ids, admission of searches and lists, and the last line of
defence against unexpected errors."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from catalog_api.config import Settings
from catalog_api.db import QuerySlots, query_scope
from catalog_api.errors import PROBLEM_BASE, PROBLEM_JSON, internal_error_body

logger = logging.getLogger("catalog_api.errors")

# Reads whose cost grows with the catalog: each counts every match for its total.
QUERY_PATHS = frozenset({"/api/products", "/api/products/search"})


def _capped(receive: Receive, limit: int) -> Receive:
    """Count body bytes as they arrive; past the limit, fail the read with a 413."""
    received = 0

    async def capped_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLargeError(limit)
        return message

    return capped_receive


def _request_id(scope: Scope) -> str:
    raw: bytes = dict(scope["headers"]).get(b"x-request-id", b"")
    incoming = raw.decode("latin-1")
    if incoming.isascii() and incoming.isprintable() and 0 < len(incoming) <= 64:
        return incoming
    return uuid.uuid4().hex


class BodyTooLargeError(HTTPException):
    """The request body is over the configured cap."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body too large: the limit is {limit} bytes.")


async def _send_json(
    send: Send, status: int, body: dict[str, object], *headers: tuple[bytes, bytes]
) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class QueryAdmission:
    """Run searches and lists in a bounded number of query slots, under a statement deadline.

    Without a bound, enough concurrent expensive reads take every pooled connection and CPU,
    and cheap requests (reads by id, categories, writes) queue behind them until the pool
    wait ends in a 500. A statement that finds no slot within the queue wait is refused with
    503 and Retry-After (OverloadedError, raised in catalog_api.db).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._slots: QuerySlots | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Give a search or list its query slots and deadline; pass anything else through."""
        settings = _settings(scope)
        if (
            settings is None
            or scope["type"] != "http"
            or scope["method"] != "GET"
            or scope["path"] not in QUERY_PATHS
        ):
            await self.app(scope, receive, send)
            return
        if self._slots is None:
            self._slots = QuerySlots(settings.query_slots, settings.query_queue_seconds)
        with query_scope(self._slots, settings.query_timeout_seconds):
            await self.app(scope, receive, send)


def _settings(scope: Scope) -> Settings | None:
    """Return the settings of the app serving the scope, if it has any."""
    state: Any = getattr(scope.get("app"), "state", None)
    settings = getattr(state, "settings", None)
    return settings if isinstance(settings, Settings) else None


class RequestContextMiddleware:
    """Tag requests with an id, cap body sizes (413), admit searches and lists through
    QueryAdmission, and turn unexpected errors into a 500."""

    def __init__(self, app: ASGIApp, max_body: int | None = None) -> None:
        # Admission sits inside, so that its 503 carries the request id like any answer.
        self.app = QueryAdmission(app)
        self.max_body = max_body

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

        limit = self.max_body
        if limit is not None:
            declared = dict(scope["headers"]).get(b"content-length", b"")
            if declared.isdigit() and int(declared) > limit:
                error = BodyTooLargeError(limit)
                body = {
                    "type": PROBLEM_BASE + "http-413",
                    "title": "Payload too large",
                    "status": 413,
                    "detail": error.detail,
                    "instance": scope.get("path", ""),
                    "request_id": request_id,
                }
                await _send_json(send, 413, body, header)
                return
            receive = _capped(receive, limit)
        try:
            await self.app(scope, receive, send_with_id)
        except asyncio.CancelledError:
            # The server cancels what still runs when its shutdown grace period ends: answer
            # 503 with Retry-After (a retry goes to the next instance) instead of a bare 500.
            if not started:
                body = {
                    "type": PROBLEM_BASE + "shutting-down",
                    "title": "Shutting down",
                    "status": 503,
                    "detail": "The server stopped before this request finished; it may or may "
                    "not have taken effect. Retry it (a create with an Idempotency-Key is safe "
                    "to retry).",
                    "instance": scope.get("path", ""),
                    "request_id": request_id,
                }
                closing = (b"connection", b"close")
                await _send_json(send, 503, body, header, closing, (b"retry-after", b"1"))
            raise
        except Exception:  # the one deliberate catch-all: log it, reveal nothing
            logger.exception(
                "unhandled error on %s %s (request_id=%s)",
                scope.get("method"),
                scope.get("path"),
                request_id,
            )
            if started:
                raise
            await _send_json(
                send, 500, internal_error_body(request_id, scope.get("path", "")), header
            )
