"""The exceptions of the HTTP libraries under the vendor SDKs, and a short reason for each.

The SDKs let these out unwrapped: google-genai 3.x sends with httpx2 by default (httpx when
GOOGLE_GENAI_HTTP_CLIENT=httpx), google-genai 2.x with httpx, both with aiohttp whenever
aiohttp is installed; openai>=3 and anthropic>=2 are built on httpx2. httpx2 is a fork whose
classes are not httpx's, so each library's classes are listed on their own.
"""

from __future__ import annotations

import functools
import importlib
import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)

ExceptionTypes = tuple[type[BaseException], ...]


@dataclass(frozen=True)
class HttpLibraryErrors:
    """The installed HTTP libraries' exception classes, grouped by what went wrong."""

    timeout: ExceptionTypes
    connection: ExceptionTypes
    status: ExceptionTypes
    any: ExceptionTypes


@functools.cache
def http_library_errors() -> HttpLibraryErrors:
    """Collect the classes of httpx, httpx2 and aiohttp, whichever are installed."""
    timeout: list[type[BaseException]] = []
    connection: list[type[BaseException]] = []
    status: list[type[BaseException]] = []
    any_error: list[type[BaseException]] = []
    for name in ("httpx", "httpx2"):
        try:
            library = importlib.import_module(name)
        except ImportError:
            logger.debug("%s is not installed", name)
            continue
        timeout.append(library.TimeoutException)
        connection.append(library.TransportError)
        status.append(library.HTTPStatusError)
        any_error.append(library.HTTPError)
    try:
        aiohttp = importlib.import_module("aiohttp")
    except ImportError:
        logger.debug("aiohttp is not installed")
    else:
        # aiohttp's timeouts subclass TimeoutError, which callers map already.
        connection.append(aiohttp.ClientConnectionError)
        any_error.append(aiohttp.ClientError)
    return HttpLibraryErrors(
        timeout=tuple(timeout),
        connection=tuple(connection),
        status=tuple(status),
        any=tuple(any_error),
    )


def http_failure_reason(exc: BaseException) -> str:
    """Name an HTTP library failure in fixed words; its message may echo URLs or bodies."""
    errors = http_library_errors()
    if isinstance(exc, (TimeoutError, *errors.timeout)):
        return "timeout"
    if isinstance(exc, errors.connection):
        return "connection failed"
    return f"network error: {type(exc).__name__}"
