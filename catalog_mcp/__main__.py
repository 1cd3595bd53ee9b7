"""Command line: catalog-mcp [--http [--host H] [--port P]]."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from catalog_api.preflight import (
    check_database,
    check_port,
    exit_code_of,
    installed_version,
    load_settings,
    port_number,
)
from catalog_mcp.config import McpSettings

logger = logging.getLogger("catalog_mcp")

EXIT_INTERRUPTED = 128 + signal.SIGINT

if TYPE_CHECKING:
    from catalog_api.config import Settings as ApiSettings


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line."""
    parser = argparse.ArgumentParser(
        prog="catalog-mcp",
        description="MCP server for the product catalog: stdio by default, or streamable HTTP.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {installed_version()}")
    parser.add_argument("--http", action="store_true", help="serve streamable HTTP at /mcp")
    parser.add_argument("--host", help="interface for --http (default CATALOG_MCP_HOST, 127.0.0.1)")
    parser.add_argument(
        "--port", type=port_number, help="port for --http (default CATALOG_MCP_PORT, 8001)"
    )
    return parser


def _preflight(args: argparse.Namespace, settings: McpSettings) -> ApiSettings | None:
    """Check the port and the embedded database; return the embedded API's settings."""
    if args.http:
        check_port(
            args.host or settings.mcp_host,
            settings.mcp_port if args.port is None else args.port,
            host_setting="--host" if args.host else "CATALOG_MCP_HOST",
            port_setting="--port" if args.port is not None else "CATALOG_MCP_PORT",
        )
    if not settings.embedded:
        return None
    from catalog_api.config import Settings

    api_settings = load_settings(Settings)
    check_database(api_settings)
    return api_settings


def main(argv: Sequence[str] | None = None) -> int:
    """Run the MCP server; a start-up failure is one or two lines on stderr and exit code 2."""
    return exit_code_of("catalog-mcp", lambda: _main(argv))


def _main(argv: Sequence[str] | None) -> int:
    """Run the MCP server; stdout carries only protocol messages."""
    args = build_parser().parse_args(argv)
    try:
        _run(args)
    except KeyboardInterrupt:
        # Ctrl-C in a terminal, also while starting up: stop without a traceback.
        _quiet_stragglers()
        logger.info("interrupted; stopped")
        return EXIT_INTERRUPTED
    return 0


def _quiet_stragglers() -> None:
    """Drop the error of a database thread that finishes after the interrupted loop closed."""
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if not (
            isinstance(args.exc_value, RuntimeError) and "loop is closed" in str(args.exc_value)
        ):
            previous(args)

    threading.excepthook = hook


def _run(args: argparse.Namespace) -> None:
    settings = load_settings(McpSettings)
    logging.basicConfig(
        level=settings.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # aiosqlite logs two DEBUG lines for every call it makes: noise that hides ours.
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
    api_settings = _preflight(args, settings)
    from catalog_api.collector import enable_freezing, freeze_long_lived
    from catalog_mcp.server import build_server

    agent_keys = None
    if args.http and settings.mcp_accept_api_keys:
        from catalog_mcp.agent_keys.door import AgentKeys

        agent_keys = AgentKeys(
            cache_seconds=settings.mcp_key_cache_seconds,
            wrong_per_minute=settings.mcp_failed_keys_per_minute,
        )
    server = build_server(settings, api_settings, agent_keys=agent_keys)
    # The SDK and its dependencies stay loaded for the whole session: keep them out of full
    # garbage collections, which otherwise stall a tool call every few seconds.
    enable_freezing()
    freeze_long_lived()
    if args.http:
        from catalog_mcp.http import serve_http

        serve_http(server, settings, host=args.host, port=args.port, agent_keys=agent_keys)
    else:
        server.run("stdio")


if __name__ == "__main__":
    raise SystemExit(main())
