"""Typed client of the catalog API over one shared httpx.AsyncClient."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from catalog_mcp.agent_keys.forwarded import forwarded_key

logger = logging.getLogger(__name__)

JSON = dict[str, Any]

# Reads and keyed creates are resent after a dropped connection: a read changes nothing, and
# a create carries an Idempotency-Key, so the API answers a resend with the first result.
RETRY_ATTEMPTS = 3
RETRY_BACKOFF = 0.2
# 429 and 503 ask the client to come back later. Reads and keyed creates are resent after any
# of them; other writes only after a refusal the API guarantees came before any effect (a 429,
# or a 503 of one of these problem types), never after an ambiguous 503 such as
# "shutting-down" or one from a proxy. Every wait honours Retry-After, within the deadline.
RETRY_STATUSES = frozenset({429, 503})
REFUSED_BEFORE_EFFECT = frozenset({"overloaded", "query-timeout", "database-busy"})
REFUSAL_ATTEMPTS = 10
DEFAULT_RETRY_AFTER = 1.0


class CatalogError(Exception):
    """A catalog API call failed; the message is written for an agent to act on."""


class CatalogAPIError(CatalogError):
    """The API answered with an error status."""

    def __init__(self, status: int, problem: JSON) -> None:
        self.status = status
        self.problem = problem
        super().__init__(self._describe())

    def _describe(self) -> str:
        kind = str(self.problem.get("type", "")).rsplit("/", 1)[-1] or "error"
        detail = self.problem.get("detail") or self.problem.get("title") or "no detail given"
        lines = [f"Catalog API error HTTP {self.status} ({kind}): {detail}"]
        if self.status in RETRY_STATUSES and self.problem.get("retry_after") is not None:
            lines.append(f"The API asks to retry after {self.problem['retry_after']} s.")
        for error in self.problem.get("errors") or []:
            if isinstance(error, dict):
                lines.append(f"- {error.get('field', '?')}: {error.get('message', 'invalid')}")
        return "\n".join(lines)


class CatalogUnavailableError(CatalogError):
    """The API could not be reached, or did not answer in time."""


class CatalogClient:
    """Call the catalog API's endpoints; every method returns the decoded JSON body."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        total_timeout: float,
        display_url: str,
        describe_timeout: float | None = None,
    ) -> None:
        self.http = http
        self.total_timeout = total_timeout
        self.describe_timeout = describe_timeout or total_timeout
        self.display_url = display_url

    async def access(self, *, deadline: float | None = None, api_key: str | None = None) -> JSON:
        """Return what this client's key (or api_key, or no key) may do: its name and scopes."""
        headers = None if api_key is None else {"X-API-Key": api_key}
        return await self._request("GET", "/api/access", deadline=deadline, headers=headers)

    async def search_products(self, params: JSON) -> JSON:
        """Run a full-text search."""
        return await self._request("GET", "/api/products/search", params=params)

    async def similar_products(self, product_id: int, params: JSON) -> JSON:
        """Find the products nearest one in meaning."""
        return await self._request("GET", f"/api/products/{product_id}/similar", params=params)

    async def list_products(self, params: JSON) -> JSON:
        """Browse products."""
        return await self._request("GET", "/api/products", params=params)

    async def get_product(self, product_id: int) -> JSON:
        """Fetch one product by id."""
        return await self._request("GET", f"/api/products/{product_id}")

    async def get_product_by_slug(self, slug: str) -> JSON:
        """Fetch one product by slug."""
        return await self._request("GET", f"/api/products/by-slug/{_path_segment(slug)}")

    async def list_slugs(self, prefix: str, limit: int) -> JSON:
        """List slugs starting with prefix."""
        return await self._request(
            "GET", "/api/products/slugs", params={"prefix": prefix, "limit": limit}
        )

    async def list_categories(self, params: JSON) -> JSON:
        """List categories with counts."""
        return await self._request("GET", "/api/categories", params=params)

    async def list_currencies(self, params: JSON) -> JSON:
        """List the currencies of the products that pass the filters, with counts."""
        return await self._request("GET", "/api/currencies", params=params)

    async def create_product(self, body: JSON, *, idempotency_key: str | None = None) -> JSON:
        """Create a product once, even when a lost response makes this client send it again."""
        key = idempotency_key or str(uuid.uuid4())
        return await self._request(
            "POST", "/api/products", json=body, headers={"Idempotency-Key": key}, retry=True
        )

    async def update_product(
        self, product_id: int, body: JSON, *, if_version: int | None = None
    ) -> JSON:
        """Change some fields of a product, optionally only if it is still at if_version."""
        return await self._request(
            "PATCH",
            f"/api/products/{product_id}",
            json=body,
            headers=_if_match(product_id, if_version),
        )

    async def delete_product(self, product_id: int, *, if_version: int | None = None) -> None:
        """Delete a product, optionally only if it is still at if_version."""
        await self._request(
            "DELETE", f"/api/products/{product_id}", headers=_if_match(product_id, if_version)
        )

    async def get_variant(self, sku: str) -> JSON:
        """Fetch one variant by SKU, with its product's id and its own version."""
        return await self._request("GET", f"/api/variants/{_path_segment(sku)}")

    async def update_variant(
        self, product_id: int, sku: str, body: JSON, *, variant_id: int, version: int
    ) -> JSON:
        """Change one variant's price or stock, only if it is still at version."""
        return await self._request(
            "PATCH",
            f"/api/products/{product_id}/variants/{_path_segment(sku)}",
            json=body,
            headers={"If-Match": f'"v{variant_id}.{version}"'},
        )

    async def describe_product(self, product_id: int, *, save: bool) -> JSON:
        """Generate AI copy for a stored product, optionally saving it."""
        return await self._request(
            "POST",
            f"/api/products/{product_id}/describe",
            params={"save": save},
            deadline=self.describe_timeout,
        )

    async def preview_description(self, body: JSON) -> JSON:
        """Generate AI copy for a product that is not stored."""
        return await self._request(
            "POST", "/api/describe", json=body, deadline=self.describe_timeout
        )

    async def product_history(self, product_id: int, params: JSON) -> JSON:
        """List a product's recorded changes, newest first."""
        return await self._request("GET", f"/api/products/{product_id}/history", params=params)

    async def revert_change(self, change_id: int, *, force: bool) -> JSON:
        """Undo one recorded change (never resent: a lost answer is checked in the history)."""
        return await self._request(
            "POST", f"/api/changes/{change_id}/revert", params={"force": force}
        )

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: JSON | None = None,
        json: JSON | None = None,
        headers: dict[str, str] | None = None,
        deadline: float | None = None,
        retry: bool | None = None,
    ) -> JSON:
        """Send one call; a safe one is resent after a dropped connection or a refusal, within
        the deadline."""
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        agent = forwarded_key.get()
        if agent is not None:
            headers = {"X-API-Key": agent.token, **(headers or {})}
        limit = deadline or self.total_timeout
        safe_to_resend = method == "GET" if retry is None else retry
        attempts = RETRY_ATTEMPTS if safe_to_resend else 1
        give_up_at = time.monotonic() + limit
        try:
            async with asyncio.timeout(limit):
                failures = 0
                for _ in range(REFUSAL_ATTEMPTS):
                    try:
                        response = await self.http.request(
                            method,
                            path,
                            params=query,
                            json=json,
                            headers=headers,
                            timeout=_timeout_for(self.http, limit),
                        )
                    except (httpx.TimeoutException, httpx.UnsupportedProtocol):
                        raise
                    except httpx.TransportError as error:
                        failures += 1
                        if failures >= attempts:
                            raise
                        logger.warning(
                            "%s %s failed (%s); retrying, attempt %d of %d",
                            method, path, type(error).__name__, failures + 1, attempts,
                        )  # fmt: skip
                        await asyncio.sleep(RETRY_BACKOFF * failures)
                        continue
                    delay = _retry_delay(response, safe_to_resend, give_up_at - time.monotonic())
                    if delay is None:
                        break
                    logger.warning(
                        "%s %s answered %d; retrying in %.1f s",
                        method, path, response.status_code, delay,
                    )  # fmt: skip
                    await asyncio.sleep(delay)
        except TimeoutError as error:
            raise CatalogUnavailableError(
                f"The catalog API at {self.display_url} did not answer within "
                f"{limit:g} s; it may be overloaded. Try again later."
            ) from error
        except httpx.TimeoutException as error:
            raise CatalogUnavailableError(
                f"The catalog API at {self.display_url} timed out ({type(error).__name__})."
            ) from error
        except httpx.TransportError as error:
            raise CatalogUnavailableError(
                f"The catalog API at {self.display_url} is unreachable "
                f"({type(error).__name__}: {error}). Check that it is running."
            ) from error
        return _decode(response)


def _retry_delay(response: httpx.Response, safe_to_resend: bool, remaining: float) -> float | None:
    """Return how long to wait before resending, or None to keep this answer."""
    if response.status_code not in RETRY_STATUSES:
        return None
    if not safe_to_resend and response.status_code == 503:
        try:
            kind = str(response.json().get("type", "")).rsplit("/", 1)[-1]
        except (ValueError, AttributeError):
            return None
        if kind not in REFUSED_BEFORE_EFFECT:
            return None
    wait = _retry_after(response.headers.get("retry-after"))
    # A little jitter above the server's figure, so that refused clients do not return at once.
    delay = wait * random.uniform(1.0, 1.2)  # noqa: S311 - not for security
    # Keep time for the resend itself; a wait past the deadline would only end in a timeout.
    if delay + min(1.0, remaining / 4) > remaining:
        return None
    return delay


def _retry_after(value: str | None) -> float:
    """Parse Retry-After (seconds or an HTTP date); default to one second."""
    if value is None:
        return DEFAULT_RETRY_AFTER
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    return max(0.0, moment.timestamp() - time.time())


def _if_match(product_id: int, version: int | None) -> dict[str, str] | None:
    """Return the If-Match header naming one version of a product (the API's ETag form)."""
    return None if version is None else {"If-Match": f'"{product_id}.{version}"'}


def _decode(response: httpx.Response) -> JSON:
    if response.status_code == 204:
        return {}
    try:
        body = _json(response)
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if response.is_success:
        if not isinstance(body, dict):
            raise CatalogAPIError(
                502,
                {
                    "type": "bad-gateway",
                    "detail": "The catalog API sent a response that is not JSON.",
                },
            )
        return body
    if not isinstance(body, dict):
        body = {
            "detail": f"{response.reason_phrase or 'error'} (the body was not a problem document)"
        }
    retry_after = response.headers.get("retry-after")
    if retry_after is not None and response.status_code in RETRY_STATUSES:
        body.setdefault("retry_after", retry_after)
    raise CatalogAPIError(response.status_code, body)


def _json(response: httpx.Response) -> Any:
    """Decode a JSON body with orjson, or with httpx for what orjson refuses (other charsets)."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.json()


def _timeout_for(http: httpx.AsyncClient, total: float) -> httpx.Timeout:
    return httpx.Timeout(total, connect=http.timeout.connect)


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _path_segment(value: str) -> str:
    return quote(value, safe="")
