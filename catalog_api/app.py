"""Application factory and lifespan."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from catalog_api import __version__
from catalog_api.config import Settings
from catalog_api.db import create_engine, create_session_factory
from catalog_api.errors import install_error_handlers
from catalog_api.migrate import current_revision, head_revision, upgrade
from catalog_api.routes import catalog, products

logger = logging.getLogger(__name__)


class SchemaOutOfDateError(RuntimeError):
    """The database schema is not at the newest migration."""


class RequestIdMiddleware:
    """Give every request an id (X-Request-ID, taken from the client when sane)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Store the id in the request state and echo it in the response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if incoming.isascii() and 0 < len(incoming) <= 64 else ""
        request_id = request_id if request_id.isprintable() else ""
        request_id = request_id or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"x-request-id" for k, _ in headers):
                    headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Create the engine and session factory; upgrade or check the schema."""
    settings: Settings = app.state.settings
    engine = create_engine(settings)
    try:
        if settings.should_auto_migrate:
            await upgrade(engine)
        elif await current_revision(engine) != head_revision():
            raise SchemaOutOfDateError(
                "The database schema is not up to date; run `catalog-api migrate` first."
            )
        app.state.engine = engine
        app.state.session_factory = create_session_factory(engine)
        logger.info("catalog API ready on %s", engine.url.render_as_string(hide_password=True))
        yield
    finally:
        await engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the catalog API application."""
    app = FastAPI(
        title="Catalog API",
        version=__version__,
        summary="A product catalog for people and AI agents.",
        description=(
            "Products with full-text search, filters and keyset pagination. Errors are "
            "RFC 9457 `application/problem+json`. Writes need `X-API-Key` when the server "
            "sets `CATALOG_API_KEY`."
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings or Settings()
    app.include_router(products.router)
    app.include_router(catalog.router)
    install_error_handlers(app)
    app.add_middleware(RequestIdMiddleware)
    return app
