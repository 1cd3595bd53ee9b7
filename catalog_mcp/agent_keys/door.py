"""Check a remote agent's bearer token with the catalog API, and forward it for that request."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from cachetools import TTLCache
from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from mcp.server.mcpserver import MCPServer
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from catalog_mcp.agent_keys.forwarded import AgentKey, forwarded_key
from catalog_mcp.agent_keys.listing import ToolsOfTheKey
from catalog_mcp.client import CatalogAPIError, CatalogClient, CatalogUnavailableError
from catalog_mcp.key_scopes import offer_tools_for_key

logger = logging.getLogger(__name__)

# Seconds the door waits for GET /api/access before answering 503.
CHECK_DEADLINE = 3.0
# Keys remembered at once: enough for many agents; a flood of wrong keys only evicts old ones.
CACHE_SIZE = 1024
OPEN_PATHS = frozenset({"/healthz"})


class KeyCheckUnavailableError(Exception):
    """The catalog API could not say whether a key is valid."""


class AgentKeys:
    """Who a bearer token is, as the catalog API says, remembered for a few seconds."""

    def __init__(
        self, *, cache_seconds: float, wrong_per_minute: int, cache_size: int = CACHE_SIZE
    ) -> None:
        self.client: CatalogClient | None = None
        # The API counts wrong keys per address, and to it every agent has this server's
        # address: a guessing client is stopped here, before it locks the others out there.
        self._wrong = RateLimitItemPerMinute(wrong_per_minute)
        self._guesses = MovingWindowRateLimiter(MemoryStorage())
        self.server_scopes: frozenset[str] | None = None
        # Keyed by a digest, so the cache holds no token; a wrong key is remembered too.
        self._known: TTLCache[bytes, AgentKey | None] = TTLCache(cache_size, cache_seconds)
        self.api_checks = 0

    @asynccontextmanager
    async def serving(self, server: MCPServer, client: CatalogClient) -> AsyncIterator[None]:
        """Check keys with client while the server runs; learn its own key's scopes first."""
        self.server_scopes = await offer_tools_for_key(server, client, remove=False)
        self.client = client
        try:
            yield
        finally:
            self.client = None

    def list_tools_per_key(self, server: MCPServer) -> None:
        """Make each tools/list show only the tools the caller's key may use."""
        server.middleware.append(ToolsOfTheKey(lambda: self.server_scopes))

    async def guessing(self, address: str) -> float | None:
        """Return the seconds address must wait after too many wrong keys, else None."""
        if await self._guesses.test(self._wrong, address):
            return None
        reset_at, _ = await self._guesses.get_window_stats(self._wrong, address)
        return max(1.0, reset_at - time.time())

    async def note_wrong_key(self, address: str) -> None:
        """Count one wrong key sent from address."""
        await self._guesses.hit(self._wrong, address)

    async def identify(self, token: str) -> AgentKey | None:
        """Return the key token names, or None when the API does not know it."""
        digest = hashlib.sha256(token.encode()).digest()
        if digest in self._known:
            return self._known[digest]
        if self.client is None:
            raise KeyCheckUnavailableError("the catalog connection is not open")
        self.api_checks += 1
        try:
            access = await self.client.access(deadline=CHECK_DEADLINE, api_key=token)
        except CatalogAPIError as error:
            if error.status != 401:
                raise KeyCheckUnavailableError(str(error)) from error
            access = {}
        except CatalogUnavailableError as error:
            raise KeyCheckUnavailableError(str(error)) from error
        name, scopes = access.get("key"), access.get("scopes")
        key = (
            AgentKey(token, str(name), frozenset(str(scope) for scope in scopes))
            if name is not None and isinstance(scopes, list)
            else None
        )
        self._known[digest] = key
        return key


def _refusal(status: int, detail: str, headers: dict[str, str]) -> Response:
    error = {401: "unauthorized", 429: "too-many-wrong-keys"}.get(status, "unavailable")
    body = json.dumps({"error": error, "detail": detail}).encode()
    return Response(body, status_code=status, media_type="application/json", headers=headers)


class AgentKeyMiddleware:
    """Take a catalog API key (or the shared token) as bearer token, strip it, forward the key."""

    def __init__(self, app: ASGIApp, keys: AgentKeys, shared_token: str | None) -> None:
        self.app = app
        self.keys = keys
        self.shared_token = shared_token.encode() if shared_token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Identify the caller, then run the request under its key."""
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"authorization"]
        given = [v for k, v in scope["headers"] if k.lower() == b"authorization"]
        stripped = {**scope, "headers": headers}
        token = given[0][7:].strip() if len(given) == 1 and given[0][:7] == b"Bearer " else b""
        if self.shared_token is not None and hmac.compare_digest(token, self.shared_token):
            await self.app(stripped, receive, send)
            return
        key: AgentKey | None = None
        address = scope["client"][0] if scope.get("client") else "unknown"
        if token:
            wait = await self.keys.guessing(address)
            if wait is not None:
                detail = "Too many wrong keys from this address; retry later."
                retry = {"Retry-After": str(math.ceil(wait))}
                await _refusal(429, detail, retry)(scope, receive, send)
                return
            try:
                key = await self.keys.identify(token.decode("latin-1"))
            except KeyCheckUnavailableError as error:
                logger.warning("could not check an agent's key with the catalog API: %s", error)
                detail = "The catalog API could not check this key now; retry shortly."
                await _refusal(503, detail, {"Retry-After": "1"})(scope, receive, send)
                return
        if key is None:
            if token:
                await self.keys.note_wrong_key(address)
            detail = "Send Authorization: Bearer <a catalog API key> (catalog-api keys create)."
            challenge = 'Bearer realm="catalog-mcp"'
            if token:
                challenge += ', error="invalid_token"'
            await _refusal(401, detail, {"WWW-Authenticate": challenge})(scope, receive, send)
            return
        reset = forwarded_key.set(key)
        try:
            await self.app(stripped, receive, send)
        finally:
            forwarded_key.reset(reset)
