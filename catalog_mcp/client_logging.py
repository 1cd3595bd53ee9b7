"""Log notifications to the MCP client, at or above the level it set with logging/setLevel."""

from __future__ import annotations

import warnings
from typing import Any, get_args

from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.session import ServerSession
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp_types import EmptyResult, LoggingLevel, SetLevelRequestParams

LEVELS: tuple[LoggingLevel, ...] = get_args(LoggingLevel)  # RFC 5424 order, least severe first
LEVEL_KEY = "catalog_mcp.log_level"
LOGGER_NAME = "catalog"


def _connection_state(session: ServerSession) -> dict[str, Any]:
    # Connection.state is the SDK's per-connection scratch space; mcp 2.3 hands handlers only
    # the per-request session, which holds its connection privately.
    state: dict[str, Any] = session._connection.state
    return state


async def _set_level(
    ctx: ServerRequestContext[Any, Any], params: SetLevelRequestParams
) -> EmptyResult:
    _connection_state(ctx.session)[LEVEL_KEY] = params.level
    return EmptyResult()


def serve_set_level(server: MCPServer) -> None:
    """Answer logging/setLevel (handshake protocol versions) and so advertise `logging`."""
    # MCPServer has no decorator for it; the SDK points at the low-level add_request_handler.
    lowlevel = server._lowlevel_server
    lowlevel.add_request_handler("logging/setLevel", SetLevelRequestParams, _set_level)


def client_level(ctx: Context) -> LoggingLevel | None:
    """Return the level this connection asked for with logging/setLevel, if it did."""
    level: LoggingLevel | None = _connection_state(ctx.request_context.session).get(LEVEL_KEY)
    return level


async def log_to_client(ctx: Context, level: LoggingLevel, message: str, **details: Any) -> None:
    """Send one notifications/message unless the client's level is above `level`."""
    threshold = client_level(ctx)
    if threshold is not None and LEVELS.index(level) < LEVELS.index(threshold):
        return
    request = ctx.request_context
    # The SDK marks logging deprecated for the 2026-07-28 protocol (SEP-2577), where it still
    # delivers to clients that opt in per request; the warning fires when the call is made.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MCPDeprecationWarning)
        sending = request.session.send_log_message(
            level=level,
            data={"message": message, **details},
            logger=LOGGER_NAME,
            related_request_id=request.request_id,
        )
    await sending
