"""Command line: catalog-mcp [--http [--host H] [--port P]]."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence

logger = logging.getLogger("catalog_mcp")

EXIT_INTERRUPTED = 128 + signal.SIGINT


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line."""
    parser = argparse.ArgumentParser(
        prog="catalog-mcp",
        description="MCP server for the product catalog: stdio by default, or streamable HTTP.",
    )
    parser.add_argument("--http", action="store_true", help="serve streamable HTTP at /mcp")
    parser.add_argument("--host", help="interface for --http (default CATALOG_MCP_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port for --http (default CATALOG_MCP_PORT, 8001)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
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
    # Imported here, not at the top, so a Ctrl-C while they load is caught too.
    from catalog_mcp.config import McpSettings

    settings = McpSettings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from catalog_mcp.server import build_server

    server = build_server(settings)
    if args.http:
        from catalog_mcp.http import serve_http

        serve_http(server, settings, host=args.host, port=args.port)
    else:
        server.run("stdio")


if __name__ == "__main__":
    raise SystemExit(main())
