"""FastAPI dependencies: settings, sessions, services and the API key check."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_api.config import Settings
from catalog_api.errors import AuthenticationError
from catalog_api.llm.chain import CopyChain
from catalog_api.ratelimit import RateLimiter
from catalog_api.services import ProductService
from catalog_api.services.describe import DescribeService
from catalog_api.services.health import HealthService
from catalog_api.services.idempotency import caller_scope
from catalog_api.services.queries import ProductQueries


async def get_settings(request: Request) -> Settings:
    """Return the app's settings."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Yield a session for one request; services commit, this only closes."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    async with factory() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_product_service(session: SessionDep, settings: SettingsDep) -> ProductService:
    """Return the product service bound to the request's session."""
    return ProductService(session, facet_limit=settings.facet_limit)


async def get_product_queries(request: Request) -> ProductQueries:
    """Return the app's read-side queries (they need no session)."""
    queries: ProductQueries = request.app.state.product_queries
    return queries


ProductQueriesDep = Annotated[ProductQueries, Depends(get_product_queries)]


ProductServiceDep = Annotated[ProductService, Depends(get_product_service)]


async def get_health_service(session: SessionDep) -> HealthService:
    """Return the health service bound to the request's session."""
    return HealthService(session)


HealthServiceDep = Annotated[HealthService, Depends(get_health_service)]


async def require_api_key(
    settings: SettingsDep,
    x_api_key: Annotated[
        str | None,
        Header(description="API key; required for writes when the server sets CATALOG_API_KEY."),
    ] = None,
) -> None:
    """Refuse a write without the configured API key."""
    expected = settings.api_key
    if expected is None:
        return
    if x_api_key is None:
        raise AuthenticationError("This write needs the API key in header X-API-Key.")
    if not hmac.compare_digest(x_api_key.encode(), expected.get_secret_value().encode()):
        raise AuthenticationError("The X-API-Key header does not match the server's API key.")


WriteAccess = Depends(require_api_key)


async def get_copy_chain(request: Request) -> CopyChain:
    """Return the app's copy provider chain (its breakers live as long as the app)."""
    chain: CopyChain = request.app.state.copy_chain
    return chain


async def get_describe_service(
    session: SessionDep, chain: Annotated[CopyChain, Depends(get_copy_chain)]
) -> DescribeService:
    """Return the describe service."""
    return DescribeService(session, chain)


DescribeServiceDep = Annotated[DescribeService, Depends(get_describe_service)]


def presented_api_key(request: Request) -> str | None:
    """Return the caller's X-API-Key when the server checks keys; otherwise it names nobody."""
    settings: Settings = request.app.state.settings
    if settings.api_key is None:
        return None
    return request.headers.get("x-api-key") or None


def client_key(request: Request) -> str:
    """Identify the caller for rate limiting: its API key when the server has one, else its IP."""
    key = presented_api_key(request)
    if key is not None:
        # Routes check the key before the limit, so only the real key reaches this line.
        return "key:" + caller_scope(key)
    return "ip:" + (request.client.host if request.client else "unknown")


async def describe_rate_limit(request: Request) -> None:
    """Refuse describe requests over the per-client rate (429 with Retry-After)."""
    limiter: RateLimiter = request.app.state.describe_limiter
    limiter.check(client_key(request), "describe")


async def write_rate_limit(request: Request) -> None:
    """Refuse product writes over the per-client rate (429 with Retry-After)."""
    limiter: RateLimiter = request.app.state.write_limiter
    limiter.check(client_key(request), "write")


WriteLimit = Depends(write_rate_limit)
