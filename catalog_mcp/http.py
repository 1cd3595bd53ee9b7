"""Streamable HTTP transport: stateless /mcp with bearer token and Host/Origin checks."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from catalog_api.serving import no_write_redirects, serve
from catalog_mcp.agent_keys.door import AgentKeyMiddleware, AgentKeys
from catalog_mcp.config import McpSettings

logger = logging.getLogger(__name__)

MCP_PATH = "/mcp"
OPEN_PATHS = frozenset({"/healthz"})
_WHITESPACE = (b" ", b"\t")


class BearerTokenMiddleware:
    """Refuse requests without 'Authorization: Bearer <token>' (401); the token goes no further."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the header, then strip it before the MCP app sees the request."""
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"authorization"]
        given = [v for k, v in scope["headers"] if k.lower() == b"authorization"]
        if len(given) != 1 or not hmac.compare_digest(given[0], self.expected):
            body = json.dumps(
                {
                    "error": "unauthorized",
                    "detail": "Send Authorization: Bearer <CATALOG_MCP_TOKEN>.",
                }
            ).encode()
            response = Response(
                body,
                status_code=401,
                media_type="application/json",
                headers={"WWW-Authenticate": 'Bearer realm="catalog-mcp"'},
            )
            await response(scope, receive, send)
            return
        await self.app({**scope, "headers": headers}, receive, send)


class TrimmedHeadersMiddleware:
    """Drop the whitespace around header values before the MCP app compares them with the body.

    RFC 9110 section 5.5 has recipients exclude it; the HTTP parser keeps trailing whitespace,
    so `Mcp-Name: search_products ` failed the SDK's header check (conformance SEP-2243).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, its header values trimmed when any needs it."""
        if scope["type"] == "http" and any(
            value[:1] in _WHITESPACE or value[-1:] in _WHITESPACE for _, value in scope["headers"]
        ):
            headers = [(name, value.strip(b" \t")) for name, value in scope["headers"]]
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


async def _healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


class ShutdownAnswerMiddleware:
    """Answer 503 to a request the server cancels at the end of its shutdown grace period."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request; if it is cancelled before answering, send 503 and Retry-After."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except asyncio.CancelledError:
            if not started:
                body = json.dumps(
                    {"error": "The server stopped before this request finished; retry it."}
                ).encode()
                headers = [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                    (b"retry-after", b"1"),
                ]
                await send({"type": "http.response.start", "status": 503, "headers": headers})
                await send({"type": "http.response.body", "body": body})
            raise


def build_http_app(
    server: MCPServer, settings: McpSettings, *, host: str, agent_keys: AgentKeys | None = None
) -> ASGIApp:
    """Build the ASGI app serving MCP at /mcp (stateless, so replicas can share a balancer)."""

    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=settings.allowed_hosts(),
        allowed_origins=settings.allowed_origins(),
    )
    app: Starlette = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=True,
        transport_security=security,
        host=host,
    )
    app.add_route("/healthz", _healthz, methods=["GET"])
    no_write_redirects(app.router)
    app.add_middleware(TrimmedHeadersMiddleware)
    token = settings.mcp_token.get_secret_value() if settings.mcp_token else None
    if agent_keys is not None:
        return ShutdownAnswerMiddleware(AgentKeyMiddleware(app, agent_keys, token))
    if token is None:
        if host not in {"127.0.0.1", "localhost", "::1"}:
            logger.warning(
                "serving MCP on %s without CATALOG_MCP_TOKEN: anyone who reaches it can write", host
            )
        return ShutdownAnswerMiddleware(app)
    return ShutdownAnswerMiddleware(BearerTokenMiddleware(app, token))


def serve_http(
    server: MCPServer,
    settings: McpSettings,
    *,
    host: str | None,
    port: int | None,
    agent_keys: AgentKeys | None = None,
) -> None:
    """Serve streamable HTTP with uvicorn until interrupted."""
    bind = host or settings.mcp_host
    bind_port = settings.mcp_port if port is None else port
    app = build_http_app(server, settings, host=bind, agent_keys=agent_keys)
    logger.info("serving MCP over streamable HTTP at http://%s:%s%s", bind, bind_port, MCP_PATH)
    serve(
        app,
        host=bind,
        port=bind_port,
        log_level=settings.log_level,
        shutdown_grace_seconds=settings.shutdown_grace_seconds,
    )
