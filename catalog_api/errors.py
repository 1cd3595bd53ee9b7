"""Domain errors raised by services and their RFC 9457 problem+json mapping."""

from __future__ import annotations

import logging
import math
import sqlite3
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://catalog-mcp.dev/problems/"
ALLOW_CANDIDATES = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class DomainError(Exception):
    """Base of the errors services raise; each maps to one HTTP status."""

    status = 400
    code = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions

    def headers(self) -> dict[str, str] | None:
        """Return extra response headers."""
        return None


class NotFoundError(DomainError):
    """The requested resource does not exist."""

    status = 404
    code = "not-found"
    title = "Not found"


class ProductNotFoundError(NotFoundError):
    """No product has the given id or slug."""

    code = "product-not-found"
    title = "Product not found"


class ConflictError(DomainError):
    """The request conflicts with the current state of the catalog."""

    status = 409
    code = "conflict"
    title = "Conflict"


class DuplicateSlugError(ConflictError):
    """Another product already has the slug."""

    code = "duplicate-slug"
    title = "Slug already in use"

    def __init__(self, slug: str) -> None:
        super().__init__(
            f"A product with slug '{slug}' already exists; choose another slug "
            f"(for example '{slug}-2') or update the existing product.",
            slug=slug,
        )


class VariantNotFoundError(NotFoundError):
    """No variant has the given SKU (in the given product)."""

    code = "variant-not-found"
    title = "Variant not found"


class DuplicateSkuError(ConflictError):
    """Another variant already has one of the SKUs."""

    code = "duplicate-sku"
    title = "SKU already in use"

    def __init__(self, skus: list[str]) -> None:
        named = ", ".join(f"'{sku}'" for sku in skus)
        super().__init__(
            f"SKU {named} already belongs to another variant; SKUs are unique across the "
            "catalog. Choose another SKU, or change the variant that has it.",
            skus=skus,
        )
        self.skus = skus


class InvalidStatusTransitionError(ConflictError):
    """The status change is not allowed from the current status."""

    code = "invalid-status-transition"
    title = "Status change not allowed"


class ConcurrentUpdateError(ConflictError):
    """Another request changed the product first."""

    code = "concurrent-update"
    title = "Product changed concurrently"


class PreconditionFailedError(DomainError):
    """If-Match named a version the product no longer has."""

    status = 412
    code = "precondition-failed"
    title = "Product changed since you read it"


class InvalidInputError(DomainError):
    """Input passed schema validation but breaks a business rule."""

    status = 422
    code = "invalid-input"
    title = "Invalid input"

    def __init__(self, detail: str, *, field: str, value: Any = None, **extensions: Any) -> None:
        super().__init__(detail, errors=[{"field": field, "message": detail}], **extensions)


class InvalidVariantsError(InvalidInputError):
    """Options, variants, price and stock of a request do not fit together."""

    code = "invalid-variants"
    title = "Options and variants do not fit together"


class AuthenticationError(DomainError):
    """A write came without a valid API key."""

    status = 401
    code = "unauthorized"
    title = "Missing or invalid API key"

    def headers(self) -> dict[str, str] | None:
        """Say which credentials to send."""
        return {"WWW-Authenticate": 'ApiKey header="X-API-Key"'}


class ForbiddenError(DomainError):
    """The caller's key does not hold the scope the request needs."""

    status = 403
    code = "forbidden"
    title = "The API key lacks a scope"


class UnknownApiKeyError(NotFoundError):
    """No active key has this name."""

    code = "api-key-not-found"
    title = "API key not found"


class DuplicateApiKeyError(ConflictError):
    """An active key already has this name."""

    code = "duplicate-api-key"
    title = "API key name in use"


class RateLimitedError(DomainError):
    """Too many requests from one client."""

    status = 429
    code = "rate-limited"
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: float) -> None:
        super().__init__(detail, retry_after=max(1, math.ceil(retry_after)))
        self.retry_after = max(1, math.ceil(retry_after))

    def headers(self) -> dict[str, str] | None:
        """Say when to come back."""
        return {"Retry-After": str(self.retry_after)}


class ServiceUnavailableError(DomainError):
    """A dependency of the request cannot serve it now."""

    status = 503
    code = "unavailable"
    title = "Service unavailable"


class RetryLaterError(ServiceUnavailableError):
    """The server refused the request before it took effect; the same request may come again."""

    code = "overloaded"
    title = "Too busy; retry later"

    def __init__(self, detail: str, retry_after: float = 1) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(detail, retry_after=self.retry_after)

    def headers(self) -> dict[str, str] | None:
        """Say when to come back."""
        return {"Retry-After": str(self.retry_after)}


class OverloadedError(RetryLaterError):
    """Every search and list slot stayed taken for the whole admission wait."""


class QueryTimeoutError(RetryLaterError):
    """A statement of a search or list ran past its deadline and was stopped."""

    code = "query-timeout"
    title = "Query took too long"


class DatabaseBusyError(RetryLaterError):
    """No database connection, write turn or lock came free in time."""

    code = "database-busy"
    title = "Database busy; retry later"


# SQLSTATEs that mean "not now" rather than "wrong": lock_not_available (lock_timeout),
# too_many_connections, cannot_connect_now (starting up or shutting down).
_PG_BUSY = frozenset({"55P03", "53300", "57P03"})
_PG_QUERY_CANCELED = "57014"


def database_refusal(error: Exception) -> RetryLaterError | None:
    """Return the 503 that a database error stands for, or None when it is a real failure."""
    if isinstance(error, SQLAlchemyTimeoutError):
        return DatabaseBusyError(
            "Every database connection stayed busy for the whole pool wait; nothing was "
            "changed. Retry after the Retry-After delay."
        )
    if not isinstance(error, DBAPIError):
        return None
    sqlstate = getattr(error.orig, "sqlstate", None)
    message = str(error.orig).lower()
    # SQLite reports an interrupt as "interrupted", or, when it lands while an FTS5 table is
    # being opened, as "vtable constructor failed: ..." with the same error code.
    interrupted = getattr(error.orig, "sqlite_errorcode", None) == sqlite3.SQLITE_INTERRUPT
    if sqlstate == _PG_QUERY_CANCELED or interrupted or message == "interrupted":
        return QueryTimeoutError(
            "The query ran past the server's statement deadline and was stopped; retry later "
            "or narrow it (more words, filters, a smaller limit).",
            retry_after=5,
        )
    if sqlstate in _PG_BUSY or "database is locked" in message:
        return DatabaseBusyError(
            "The database stayed locked by another writer for the whole lock wait; nothing "
            "was changed. Retry after the Retry-After delay."
        )
    return None


def problem_response(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    request: Request,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """Build an RFC 9457 problem+json response."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        # scope["path"], not request.url, which decodes a raw query that may not be UTF-8.
        "instance": request.scope.get("path", ""),
    }
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_name(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Turn pydantic errors into a list of field, location and message."""
    out = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        out.append(
            {
                "field": _field_name(loc),
                "location": str(loc[0]) if loc else "body",
                "message": error.get("msg", "invalid value"),
                "type": error.get("type", "value_error"),
            }
        )
    return out


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = exc.headers()
    return problem_response(
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        request=request,
        headers=headers,
        **exc.extensions,
    )


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    refusal = database_refusal(exc)
    if refusal is None:
        raise exc
    logger.warning(
        "%s %s refused with 503 %s: %s",
        request.method,
        request.scope.get("path", ""),
        refusal.code,
        str(exc).splitlines()[0][:300],
    )
    return await _domain_error(request, refusal)


async def _request_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc.errors())
    fields = ", ".join(sorted({e["field"] for e in errors}))
    return problem_response(
        status=422,
        code="validation-error",
        title="Invalid request",
        detail=f"Invalid value for: {fields}",
        request=request,
        errors=errors,
    )


def _allowed_methods(request: Request) -> str:
    """Return the methods some route serves on the request's path, for a 405's Allow."""
    # Starlette names only the methods of the first route on the path, but one path can be
    # served by several routes (GET and POST /api/products, the fast GET by id).
    allowed = []
    for method in ALLOW_CANDIDATES:
        scope = {
            "type": "http",
            "method": method,
            "path": request.scope["path"],
            "root_path": request.scope.get("root_path", ""),
            "headers": [],
            "query_string": b"",
        }
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
        # FastAPI answers a body that is not UTF-8 with a bare 400 but malformed JSON with
        # 422 json_invalid; JSON is UTF-8 (RFC 8259), so both are the same documented error.
        invalid = {"type": "json_invalid", "loc": ("body",), "msg": "JSON must be UTF-8 text"}
        return await _request_validation_error(request, RequestValidationError([invalid]))
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return problem_response(
        status=exc.status_code,
        code=f"http-{exc.status_code}",
        title=str(exc.detail) if exc.detail else "Error",
        detail=str(exc.detail),
        request=request,
        headers=headers or None,
    )


def internal_error_body(request_id: str, path: str) -> dict[str, Any]:
    """Return the generic problem body of an unexpected error; it names no internals."""
    return {
        "type": PROBLEM_BASE + "internal-error",
        "title": "Internal server error",
        "status": 500,
        "detail": f"The server failed to handle the request; quote request id {request_id}.",
        "instance": path,
        "request_id": request_id,
    }


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to problem+json in one place."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(SQLAlchemyTimeoutError, _database_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
