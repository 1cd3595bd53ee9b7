"""Application factory and lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from catalog_api import __version__
from catalog_api.access import routes as access_routes
from catalog_api.collector import freeze_long_lived
from catalog_api.config import Settings
from catalog_api.db import create_engine, create_replica_engine, create_session_factory
from catalog_api.errors import install_error_handlers
from catalog_api.history import routes as history_routes
from catalog_api.history.retention import purge_history_forever
from catalog_api.housekeeping import purge_expired_keys_forever
from catalog_api.llm.factory import build_chain
from catalog_api.middleware import RequestContextMiddleware
from catalog_api.migrate import SchemaOutOfDateError, prepare_schema
from catalog_api.planner import assume_statistics_when_small, refresh_in_background
from catalog_api.query_reading import TERMS, QueryReader
from catalog_api.ratelimit import build_limiter
from catalog_api.reloading import CLOSE_GRACE_SECONDS, finish_or_cancel
from catalog_api.repositories.reader import ProductReader
from catalog_api.routes import catalog, describe, products
from catalog_api.routes.params import document_page_size
from catalog_api.search.champions import CHAMPIONS
from catalog_api.search.vocabulary import VOCABULARIES
from catalog_api.semantic import routes as semantic_routes
from catalog_api.semantic.startup import start_semantic, stop_semantic
from catalog_api.services.queries import ProductQueries
from catalog_api.serving import no_write_redirects
from catalog_api.variants import routes as variant_routes

logger = logging.getLogger(__name__)

__all__ = ["SchemaOutOfDateError", "create_app", "lifespan"]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Create the engine and session factory; upgrade or check the schema."""
    settings: Settings = app.state.settings
    # The schema and a small catalog's statistics are settled on connections of their own:
    # SQLite reads its planner statistics when a connection first reads the schema.
    setup = create_engine(settings)
    try:
        await prepare_schema(setup, auto_migrate=settings.should_auto_migrate)
        await assume_statistics_when_small(setup)
    finally:
        await setup.dispose()
    await _check_replica_schema(settings)
    engine = create_engine(settings)
    replica = create_replica_engine(settings)
    # Reads that need not see the caller's own writes go to the replica, when there is one.
    read_engine = replica or engine
    try:
        app.state.engine = engine
        app.state.read_engine = read_engine
        app.state.session_factory = create_session_factory(engine)
        app.state.read_session_factory = (
            create_session_factory(replica) if replica else app.state.session_factory
        )
        reader = await ProductReader.open(
            read_engine,
            pool_size=settings.db_read_pool_size,
            acquire_timeout=settings.db_pool_timeout,
        )
        app.state.product_queries = ProductQueries(reader)
        app.state.copy_chain = copy_chain = build_chain(settings)
        app.state.query_reader = QueryReader(settings, copy_chain)
        redis_url = settings.redis_url
        app.state.describe_limiter = build_limiter(
            redis_url, per_minute=settings.describe_rate_per_minute, burst=None, namespace="d"
        )
        app.state.write_limiter = build_limiter(
            redis_url,
            per_minute=settings.write_rate_per_minute,
            burst=settings.write_burst,
            namespace="w",
        )
        app.state.failed_key_limiter = build_limiter(
            redis_url, per_minute=settings.failed_keys_per_minute, burst=None, namespace="f"
        )
        VOCABULARIES.warm(read_engine)
        engines = (engine,) if replica is None else (engine, replica)
        semantic = await start_semantic(
            settings.semantic,
            engines,
            app.state.session_factory,
            graph_dir=settings.semantic_graph_dir,
        )
        statistics = asyncio.create_task(
            refresh_in_background(engine), context=contextvars.Context()
        )
        purge = asyncio.create_task(
            purge_expired_keys_forever(app.state.session_factory, settings.idempotency_ttl_seconds)
        )
        tasks = [purge]
        if settings.history_retention_days is not None:
            tasks.append(
                asyncio.create_task(
                    purge_history_forever(
                        app.state.session_factory, settings.history_retention_days
                    )
                )
            )
        freeze_long_lived()
        logger.info("catalog API ready on %s", engine.url.render_as_string(hide_password=True))
        if replica is not None:
            logger.info("reads from %s", replica.url.render_as_string(hide_password=True))
        try:
            yield
        finally:
            await finish_or_cancel(statistics, CLOSE_GRACE_SECONDS)
            await stop_semantic(semantic, engines)
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await reader.close()
            await copy_chain.aclose()
    finally:
        await VOCABULARIES.close(read_engine)
        await CHAMPIONS.close(read_engine)
        await TERMS.close(read_engine)
        await engine.dispose()
        if replica is not None:
            await replica.dispose()


async def _check_replica_schema(settings: Settings) -> None:
    """Refuse to start on a replica whose schema is not the head (raise SchemaOutOfDateError)."""
    replica = create_replica_engine(settings)
    if replica is None:
        return
    try:
        await prepare_schema(replica, auto_migrate=False)
    finally:
        await replica.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the catalog API application."""
    settings = settings or Settings()
    app = FastAPI(
        title="Catalog API",
        version=__version__,
        summary="A product catalog for people and AI agents.",
        description=(
            "Products with full-text search, filters and keyset pagination. Errors are "
            "RFC 9457 `application/problem+json`. Once the catalog has a key (`CATALOG_API_KEY`, "
            "or one made with `catalog-api keys create`), writes need one in `X-API-Key` or "
            "`Authorization: Bearer`, with the scope they need (`write`, `describe`); reads "
            "need one when `CATALOG_READS_NEED_KEY` is set."
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings

    def openapi() -> dict[str, Any]:
        return document_page_size(FastAPI.openapi(app), settings.max_page_size)

    app.openapi = openapi  # type: ignore[method-assign]
    app.include_router(products.router)
    app.include_router(variant_routes.router)
    app.include_router(semantic_routes.router)
    products.add_fast_routes(app)
    app.include_router(catalog.router)
    app.include_router(describe.router)
    app.include_router(access_routes.router)
    app.include_router(history_routes.router)
    no_write_redirects(app.router)
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, max_body=settings.max_body_bytes)
    return app
