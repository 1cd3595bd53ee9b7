"""Serve an ASGI app with uvicorn behind bounded request heads and safe trailing-slash answers.

Shared by `catalog-api serve` and `catalog-mcp --http`; it imports nothing else from
catalog_api but the garbage collector switch, so the MCP server's cold start stays light.
"""

from __future__ import annotations

import asyncio
import json
import logging
from asyncio import TimerHandle
from typing import Any, ClassVar
from urllib.parse import quote

import uvicorn
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from catalog_api.collector import enable_freezing

logger = logging.getLogger(__name__)

__all__ = ["HeadLimitedProtocol", "HttpLimits", "no_write_redirects", "serve"]

SAFE_METHODS = frozenset({"GET", "HEAD"})
# After refusing a head, read and drop what the client still sends for this long before
# closing, so the answer is not lost to a reset (closing with unread data sends RST).
LINGER_SECONDS = 1.0


class HttpLimits(BaseSettings):
    """Limits on request heads, read from CATALOG_* variables by both HTTP servers."""

    model_config = SettingsConfigDict(env_prefix="CATALOG_", extra="ignore")

    max_header_bytes: int = Field(
        default=65_536,
        ge=1024,
        description="Largest request line plus headers accepted (431 above).",
    )
    header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How long a connection may take to send a request's headers (then closed).",
    )


def _plain_response(status: int, reason: bytes, detail: str) -> bytes:
    body = json.dumps({"title": reason.decode(), "status": status, "detail": detail}).encode()
    return b"".join(
        [
            b"HTTP/1.1 %d %s\r\n" % (status, reason),
            b"content-type: application/problem+json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
            body,
        ]
    )


class HeadLimitedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a cap on head size (431) and a deadline for heads.

    httptools buffers a header until it ends and uvicorn checks nothing, so one endless
    header used to grow the process without bound; a connection that never finished its
    head used to stay open forever.
    """

    max_header_bytes: ClassVar[int] = 65_536
    header_timeout_seconds: ClassVar[float] = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_open = True
        self._head_bytes = 0
        self._chunk_bytes = 0
        self._head_refused = False
        self._head_timer: TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the head deadline as soon as the client connects."""
        super().connection_made(transport)
        self._head_timer = self.loop.call_later(self.header_timeout_seconds, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        """Drop the head deadline with the connection."""
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Parse as uvicorn does, then count bytes of a head that is still incomplete."""
        if self._head_refused:
            return
        self._chunk_bytes = len(data)
        super().data_received(data)
        if not self._head_open or self.transport.is_closing():
            return
        # Counted after parsing, so a chunk holding a whole head and its body is never
        # mistaken for a big head; on_headers_complete measures that case exactly.
        self._head_bytes += len(data)
        if self._head_bytes > self.max_header_bytes:
            self._refuse_head()
        elif self._head_timer is None:
            self._head_timer = self.loop.call_later(
                self.header_timeout_seconds, self._head_timed_out
            )

    def on_message_begin(self) -> None:
        """Count a new request's head from zero."""
        super().on_message_begin()
        self._head_open = True
        self._head_bytes = 0

    def on_headers_complete(self) -> None:
        """Refuse a head over the cap that arrived in one chunk; otherwise hand it to uvicorn."""
        self._head_open = False
        if self._head_timer is not None:
            self._cancel_head_timer()
        if (
            self._head_bytes + self._chunk_bytes > self.max_header_bytes
            and self._measured_head() > self.max_header_bytes
        ):
            self._head_refused = True
            # The parser reports this as a callback error; send_400_response answers 431.
            raise ValueError("request head too large")
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        """Answer 431 instead when the parse stopped because the head was too large."""
        if self._head_refused:
            self._refuse_head()
            return
        super().send_400_response(msg)

    def _measured_head(self) -> int:
        return len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _refuse_head(self) -> None:
        self._head_refused = True
        self._cancel_head_timer()
        logger.warning(
            "refused a request head over %d bytes from %s", self.max_header_bytes, self.client
        )
        detail = f"Request headers are larger than {self.max_header_bytes} bytes."
        self._answer_and_close(
            _plain_response(431, b"Request Header Fields Too Large", detail), linger=True
        )

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self._head_open or self.transport.is_closing():
            return
        logger.info("closing a connection that sent no complete head in time: %s", self.client)
        if self._head_bytes == 0:
            # Nothing asked yet: close without an unsolicited answer.
            self.transport.close()
            return
        self._head_refused = True
        detail = f"The request headers did not arrive within {self.header_timeout_seconds} s."
        self._answer_and_close(_plain_response(408, b"Request Timeout", detail), linger=False)

    def _answer_and_close(self, response: bytes, *, linger: bool) -> None:
        if self.cycle is not None and not self.cycle.response_complete:
            # An earlier pipelined request is still answering: end after it, adding nothing.
            self.cycle.keep_alive = False
            self.flow.pause_reading()
            return
        self.transport.write(response)
        if linger and self.transport.can_write_eof():
            # Half-close, drop what still arrives, then close: the client reads the answer.
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
            return
        self.transport.close()


class _SlashAwareNotFound:
    """Stand in for a router's 404: GETs are redirected relatively, writes are not redirected."""

    def __init__(self, router: Router, fallback: ASGIApp) -> None:
        self.router = router
        self.fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a path that differs from a route only by its trailing slash."""
        if scope["type"] != "http" or scope["path"] in {"", "/"}:
            await self.fallback(scope, receive, send)
            return
        path: str = scope["path"]
        other = path.rstrip("/") if path.endswith("/") else path + "/"
        # One leading slash: '//host' would be a link to another site.
        other = "/" + other.lstrip("/")
        other_scope = {**scope, "path": other}
        if not any(route.matches(other_scope)[0] is not Match.NONE for route in self.router.routes):
            await self.fallback(scope, receive, send)
            return
        if scope["method"] not in SAFE_METHODS:
            # A redirected write would be resent, body and credentials, wherever Location
            # points; name the right path instead.
            raise HTTPException(
                404, f"Not found: the path is {other} (no trailing-slash redirect)."
            )
        location = quote(other, safe="/:@!$&'()*+,;=-._~%")
        query: bytes = scope.get("query_string", b"")
        if query:
            location += "?" + query.decode("latin-1")
        await RedirectResponse(location, status_code=307)(scope, receive, send)


def no_write_redirects(router: Router) -> None:
    """Keep the router from redirecting writes; GET/HEAD redirects use a relative Location."""
    # Starlette's own redirect builds an absolute URL from the client's Host header.
    router.redirect_slashes = False
    router.default = _SlashAwareNotFound(router, router.default)


def serve(
    app: ASGIApp,
    *,
    host: str,
    port: int,
    log_level: str,
    shutdown_grace_seconds: float,
    limits: HttpLimits | None = None,
) -> None:
    """Run app with uvicorn (httptools) until interrupted, heads bounded by limits."""
    bound = limits or HttpLimits()
    enable_freezing()

    class BoundProtocol(HeadLimitedProtocol):
        max_header_bytes = bound.max_header_bytes
        header_timeout_seconds = bound.header_timeout_seconds

    uvicorn.run(
        app,
        host=host,
        port=port,
        http=BoundProtocol,
        log_level=log_level.lower(),
        # uvicorn annotates int but hands the value to asyncio.wait_for, which takes float.
        timeout_graceful_shutdown=shutdown_grace_seconds,  # type: ignore[arg-type]
    )
