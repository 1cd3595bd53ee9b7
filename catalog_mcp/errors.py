"""Errors in the tools' own words: parameter names the agent used, the fix, the current state."""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import ValidationError

from catalog_mcp.client import CatalogAPIError, CatalogError

logger = logging.getLogger(__name__)

# The API's names for what a tool calls otherwise.
API_TO_TOOL = {"q": "query", "If-Match": "if_version", "Idempotency-Key": "idempotency_key"}
_API_NAMES = re.compile(r"If-Match|Idempotency-Key|(?<=['`])q(?=['`])")
# For a hint only; the API converts with the full ISO 4217 table.
ZERO_DECIMALS = frozenset({"JPY", "KRW", "VND", "CLP", "ISK"})
KIND = {
    400: "Bad request",
    401: "Not allowed",
    404: "Not found",
    409: "Conflict",
    412: "Stale if_version",
    422: "Invalid input",
    429: "Too many requests",
    503: "Catalog busy",
}


def _value(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def stale_version_text(error: CatalogAPIError, sent: int | None) -> str:
    """Say that if_version is stale, what the product is at now and what is known of the change."""
    problem = error.problem
    current = problem.get("current_version")
    if current is None:
        return f"if_version {sent} is stale: {problem.get('detail', '')}"
    lines = [f"if_version {sent} is stale: the product is now at version {current}"]
    if isinstance(sent, int) and isinstance(current, int) and current > sent:
        lines[0] += (
            f" ({current - sent} change(s) since, last at {problem.get('updated_at')}; the "
            "catalog keeps no history, so which fields changed is not known)."
        )
    else:
        lines[0] += "."
    values = problem.get("current") or {}
    if values:
        shown = ", ".join(f"{name}={_value(value)}" for name, value in values.items())
        lines.append(f"Current values of the fields you are changing: {shown}.")
    lines.append(f"Check them (get_product shows all), then retry with if_version={current}.")
    return "\n".join(lines)


def api_error_text(error: CatalogAPIError, *, if_version: int | None = None) -> str:
    """Reword an API error for the agent, naming the tool's parameters."""
    if error.status == 412:
        return stale_version_text(error, if_version)
    problem = error.problem
    detail = str(problem.get("detail") or problem.get("title") or "no detail given")
    detail = _API_NAMES.sub(lambda match: API_TO_TOOL[match.group(0)], detail)
    lines = [f"{KIND.get(error.status, f'Catalog API error (HTTP {error.status})')}: {detail}"]
    if error.status in {429, 503} and problem.get("retry_after") is not None:
        lines.append(f"Retry after {problem['retry_after']} s.")
    for item in problem.get("errors") or []:
        if isinstance(item, dict):
            field = str(item.get("field", "?"))
            field = API_TO_TOOL.get(field, field)
            message = _API_NAMES.sub(
                lambda match: API_TO_TOOL[match.group(0)], str(item.get("message", "invalid"))
            )
            lines.append(f"- {field}" if message == detail else f"- {field}: {message}")
    return "\n".join(lines)


@contextmanager
def tool_errors(*, if_version: int | None = None) -> Iterator[None]:
    """Turn API failures into tool errors whose text an agent can act on."""
    try:
        yield
    except CatalogAPIError as error:
        raise ToolError(api_error_text(error, if_version=if_version)) from error
    except CatalogError as error:
        raise ToolError(str(error)) from error
    except (ValidationError, KeyError, TypeError) as error:
        logger.warning("unexpected API response: %r", error)
        raise ToolError(
            "The catalog API sent a response this server does not understand; "
            "check that CATALOG_API_URL points at a catalog API of the same version."
        ) from error


def _price_hint(value: Any, arguments: dict[str, Any]) -> str:
    """Suggest price_minor for a price given in major units."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return "give price_minor, an integer in minor units (1999 with USD is 19.99)"
    currency = arguments.get("currency")
    if isinstance(currency, str) and currency.upper() in ZERO_DECIMALS:
        places, unit = 0, f"{currency.upper()} has no minor unit"
    else:
        places, unit = 2, "minor units of a 2-decimal currency such as USD or EUR"
    minor = amount.scaleb(places)
    if minor == minor.to_integral_value():
        return f"use price_minor={int(minor)} ({unit})"
    return "give price_minor, an integer in minor units (1999 with USD is 19.99)"


def argument_error_text(
    tool: str, error: ValidationError, parameters: list[str], arguments: dict[str, Any]
) -> str:
    """Say what is wrong with a tool call's arguments, in the tool's parameter names."""
    lines = [f"{tool}: invalid arguments."]
    for item in error.errors(include_url=False):
        name = ".".join(str(part) for part in item["loc"]) or "arguments"
        top = str(item["loc"][0]) if item["loc"] else name
        value = item.get("input")
        if item["type"] == "extra_forbidden":
            if top in {"price", "price_major"} and "price_minor" in parameters:
                lines.append(f"- {top} is not a parameter: {_price_hint(value, arguments)}.")
                continue
            close = difflib.get_close_matches(top, parameters, n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            lines.append(f"- {top} is not a parameter of {tool}{hint}")
            continue
        message = str(item["msg"])
        if top == "price_minor" and item["type"].startswith("int"):
            message += f"; {_price_hint(value, arguments)}"
        lines.append(f"- {name}: {message} (got {_value(value)})")
    lines.append(f"Parameters of {tool}: {', '.join(parameters)}.")
    return "\n".join(lines)


def word_argument_errors(server: MCPServer) -> None:
    """Check a call's arguments before the SDK does, to word what is wrong in tool terms."""
    # The SDK's own message is pydantic's, with its error URLs and input types (mcp 2.3).
    call_tool: Callable[..., Awaitable[Any]] = server.call_tool

    async def checked_call_tool(name: str, arguments: dict[str, Any], *rest: Any) -> Any:
        tool = server._tool_manager.get_tool(name)
        if tool is not None:
            try:
                tool.fn_metadata.validate_arguments(arguments)
            except ValidationError as error:
                parameters = list(tool.parameters.get("properties", {}))
                text = argument_error_text(name, error, parameters, arguments)
                raise ToolError(text) from error
        return await call_tool(name, arguments, *rest)

    setattr(server, "call_tool", checked_call_tool)  # noqa: B010 - an instance override
