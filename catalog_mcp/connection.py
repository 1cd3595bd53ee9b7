"""The shared catalog client: to a running API, or to one embedded in this process."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import httpx

from catalog_mcp import __version__
from catalog_mcp.client import CatalogClient
from catalog_mcp.config import McpSettings

if TYPE_CHECKING:
    from catalog_api.config import Settings as ApiSettings

logger = logging.getLogger(__name__)

EMBEDDED_BASE_URL = "http://catalog.embedded"


def _http_client(settings: McpSettings, **transport: Any) -> httpx.AsyncClient:
    headers = {"User-Agent": f"catalog-mcp/{__version__}", "Accept": "application/json"}
    if settings.api_key is not None:
        headers["X-API-Key"] = settings.api_key.get_secret_value()
    return httpx.AsyncClient(
        headers=headers,
        timeout=httpx.Timeout(settings.api_timeout, connect=settings.api_connect_timeout),
        follow_redirects=False,
        **transport,
    )


@asynccontextmanager
async def open_catalog(
    settings: McpSettings, api_settings: ApiSettings | None = None
) -> AsyncIterator[CatalogClient]:
    """Yield the one CatalogClient this server uses for its whole life."""
    if settings.api_url:
        async with _http_client(
            settings,
            base_url=settings.api_url,
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
        ) as http:
            logger.info("using the catalog API at %s", settings.api_url)
            yield CatalogClient(
                http,
                total_timeout=settings.api_timeout,
                describe_timeout=settings.describe_timeout,
                display_url=settings.api_url,
            )
        return

    from catalog_api.app import create_app
    from catalog_api.config import Settings as ApiSettingsModel

    app = create_app(api_settings or ApiSettingsModel())
    async with app.router.lifespan_context(app):
        database = app.state.engine.url.render_as_string(hide_password=True)
        logger.info("running the catalog API embedded, on %s", database)
        async with _http_client(
            settings, transport=httpx.ASGITransport(app=app), base_url=EMBEDDED_BASE_URL
        ) as http:
            yield CatalogClient(
                http,
                total_timeout=settings.api_timeout,
                describe_timeout=settings.describe_timeout,
                display_url=f"the embedded catalog API ({database})",
            )
