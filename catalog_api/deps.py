"""FastAPI dependencies: settings, sessions, services, and who may do what."""

from __future__ import annotations

import contextlib
import math
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_api.access.scopes import Scope
from catalog_api.access.service import Caller, identify
from catalog_api.config import Settings
from catalog_api.errors import AuthenticationError, ForbiddenError, RateLimitedError
from catalog_api.history.context import serve_request
from catalog_api.llm.chain import CopyChain
from catalog_api.query_reading import QueryReader
from catalog_api.ratelimit import Limiter
from catalog_api.services import ProductService
from catalog_api.services.describe import DescribeService
from catalog_api.services.health import HealthService
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
        serve_request(session.sync_session, request)
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Yield a session on the read replica (the primary when none is configured).

    Only for reads that need not see the caller's own writes: never for a write or the
    response to one, which a lagging replica could answer with the old row.
    """
    factory: async_sessionmaker[AsyncSession] = request.app.state.read_session_factory
    async with factory() as session:
        yield session


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session)]


async def get_product_service(session: SessionDep, settings: SettingsDep) -> ProductService:
    """Return the product service bound to the request's session."""
    return ProductService(
        session, facet_limit=settings.facet_limit, count_limit=settings.count_limit
    )


async def get_read_product_service(
    session: ReadSessionDep, settings: SettingsDep
) -> ProductService:
    """Return the product service bound to a session on the read replica, for reads only."""
    return ProductService(
        session, facet_limit=settings.facet_limit, count_limit=settings.count_limit
    )


ReadProductServiceDep = Annotated[ProductService, Depends(get_read_product_service)]


async def get_product_queries(request: Request) -> ProductQueries:
    """Return the app's read-side queries (they need no session)."""
    queries: ProductQueries = request.app.state.product_queries
    return queries


ProductQueriesDep = Annotated[ProductQueries, Depends(get_product_queries)]


ProductServiceDep = Annotated[ProductService, Depends(get_product_service)]


async def get_health_service(session: SessionDep, request: Request) -> HealthService:
    """Return the health service bound to the request's session."""
    return HealthService(session, request.app.state.read_engine)


HealthServiceDep = Annotated[HealthService, Depends(get_health_service)]


FAILED_KEY = "failed key"


def presented_token(request: Request) -> str | None:
    """Return the key a request carries: header X-API-Key, else an Authorization bearer token."""
    key = request.headers.get("x-api-key")
    if key:
        return key
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def current_caller(request: Request) -> Caller:
    """Return who sent the request (once per request); a wrong key answers 401, often 429."""
    known: Caller | None = getattr(request.state, "caller", None)
    if known is not None:
        return known
    settings: Settings = request.app.state.settings
    failures: Limiter = request.app.state.failed_key_limiter
    token = presented_token(request)
    if token is not None:
        wait = await failures.wait(_address(request), FAILED_KEY)
        if wait is not None:
            raise RateLimitedError(
                f"Too many wrong API keys from this address; retry in {math.ceil(wait)} s.", wait
            )
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    async with factory() as session:
        try:
            caller = await identify(
                session,
                token,
                settings_key=settings.api_key,
                reads_need_key=settings.reads_need_key,
            )
        except AuthenticationError:
            with contextlib.suppress(RateLimitedError):  # this one is answered 401; the next 429
                await failures.take(_address(request), FAILED_KEY)
            raise
    request.state.caller = caller
    return caller


async def check_scope(request: Request, scope: Scope) -> Caller | None:
    """Refuse the request unless its caller holds scope (401 without a key, 403 with one)."""
    settings: Settings = request.app.state.settings
    if scope is Scope.READ and not settings.reads_need_key:
        return None  # open reads: no key is looked up
    caller = await current_caller(request)
    if scope in caller.scopes:
        return caller
    if caller.name is None:
        raise AuthenticationError(
            f"This request needs an API key with the '{scope}' scope, in header X-API-Key "
            "(or Authorization: Bearer)."
        )
    raise ForbiddenError(
        f"The key '{caller.name}' does not hold the '{scope}' scope this request needs; "
        f"create a key that does with `catalog-api keys create NAME --scope {scope}`.",
        scope=str(scope),
        key=caller.name,
    )


def require(scope: Scope) -> Any:
    """Return a route dependency that needs scope."""

    async def dependency(request: Request) -> None:
        await check_scope(request, scope)

    return Depends(dependency)


ReadAccess = require(Scope.READ)
WriteAccess = require(Scope.WRITE)
DescribeAccess = require(Scope.DESCRIBE)


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


async def get_query_reader(request: Request) -> QueryReader:
    """Return the app's query reader (its model cache lives as long as the app)."""
    reader: QueryReader = request.app.state.query_reader
    return reader


QueryReaderDep = Annotated[QueryReader, Depends(get_query_reader)]


def presented_api_key(request: Request) -> str | None:
    """Return the token of the request's key once checked; None for a caller without a key."""
    caller: Caller | None = getattr(request.state, "caller", None)
    return caller.token if caller is not None and caller.name is not None else None


def client_key(request: Request) -> str:
    """Identify the caller for rate limiting: its key's name when it sent one, else its IP."""
    caller: Caller | None = getattr(request.state, "caller", None)
    if caller is not None and caller.name is not None:
        return "key:" + caller.name
    return "ip:" + _address(request)


async def describe_rate_limit(request: Request) -> None:
    """Refuse describe requests over the per-client rate (429 with Retry-After)."""
    limiter: Limiter = request.app.state.describe_limiter
    await limiter.take(client_key(request), "describe")


async def write_rate_limit(request: Request) -> None:
    """Refuse product writes over the per-client rate (429 with Retry-After)."""
    limiter: Limiter = request.app.state.write_limiter
    await limiter.take(client_key(request), "write")


WriteLimit = Depends(write_rate_limit)
