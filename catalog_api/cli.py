"""Command line: catalog-api serve | migrate | seed | import FILE | embed | keys | history."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import TextIO, cast

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_api.access.cli import add_key_arguments, run_key_command
from catalog_api.config import Settings
from catalog_api.db import create_engine, create_session_factory
from catalog_api.history.cli import add_history_arguments, run_history_command
from catalog_api.history.context import acting_as
from catalog_api.import_command import add_import_arguments, run_import
from catalog_api.importer import Importer, ImportReport, parse_jsonl
from catalog_api.migrate import SchemaOutOfDateError, current_revision, prepare_schema, upgrade
from catalog_api.planner import refresh_statistics
from catalog_api.preflight import (
    check_database,
    check_port,
    database_display,
    exit_code_of,
    installed_version,
    load_settings,
    port_number,
)
from catalog_api.semantic.cli import add_embed_arguments, embed_all, embed_if_on, missing_extra

logger = logging.getLogger("catalog_api.cli")

DEMO_FILE = "demo_products.jsonl"


def _echo(message: str) -> None:
    sys.stderr.write(message + "\n")


@asynccontextmanager
async def _sessions(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings)
    try:
        try:
            await prepare_schema(engine, auto_migrate=settings.should_auto_migrate)
        except SchemaOutOfDateError as error:
            raise SystemExit(str(error)) from error
        yield create_session_factory(engine)
        await refresh_statistics(engine)  # after an import or seed changed the row count
    finally:
        await engine.dispose()


async def _keys(settings: Settings, args: argparse.Namespace) -> int:
    async with _sessions(settings) as sessions:
        return await run_key_command(args, sessions)


async def _history(settings: Settings, args: argparse.Namespace) -> int:
    async with _sessions(settings) as sessions:
        return await run_history_command(args, sessions, settings.history_retention_days)


async def _migrate(settings: Settings) -> None:
    engine = create_engine(settings)
    where = database_display(settings.database_url)
    try:
        before = await current_revision(engine)
        await upgrade(engine)
        after = await current_revision(engine)
        change = "already up to date" if before == after else f"upgraded from {before or 'empty'}"
        _echo(f"{where}: database at revision {after}, {change}")
    finally:
        await engine.dispose()


async def _seed_demo(settings: Settings) -> ImportReport:
    demo = files("catalog_api") / "data" / DEMO_FILE
    with demo.open(encoding="utf-8") as stream:
        async with _sessions(settings) as sessions:
            return await Importer(sessions).run(parse_jsonl(cast(TextIO, stream)))


async def _embed(settings: Settings, batch: int) -> int:
    problem = missing_extra()
    if problem is not None:
        _echo(problem)
        return 2
    async with _sessions(settings) as sessions:
        embedded, stored = await embed_all(sessions, batch)
    where = database_display(settings.database_url)
    _echo(f"{where}: {embedded} products embedded now, {stored} have vectors")
    return 0


async def _embed_after_import(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        await embed_if_on(create_session_factory(engine), settings.semantic)
    finally:
        await engine.dispose()


def _serve(settings: Settings, host: str | None, port: int | None) -> None:
    from catalog_api.app import create_app
    from catalog_api.serving import serve

    serve(
        create_app(settings),
        host=host or settings.host,
        port=settings.port if port is None else port,
        log_level=settings.log_level,
        shutdown_grace_seconds=settings.shutdown_grace_seconds,
    )


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line."""
    parser = argparse.ArgumentParser(prog="catalog-api", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {installed_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", help="interface to bind (default CATALOG_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=port_number, help="port (default CATALOG_PORT or 8000)")
    commands.add_parser("migrate", help="upgrade the database schema to the newest version")
    seed = commands.add_parser("seed", help="load sample data")
    seed.add_argument("--demo", action="store_true", required=True, help="the demo catalog")
    add_import_arguments(commands.add_parser("import", help="import products from .jsonl or .csv"))
    add_embed_arguments(
        commands.add_parser("embed", help="compute product vectors for semantic search")
    )
    add_key_arguments(commands.add_parser("keys", help="create, list and revoke API keys"))
    add_history_arguments(commands.add_parser("history", help="purge old recorded changes"))
    return parser


def _preflight(args: argparse.Namespace, settings: Settings) -> None:
    """Check the port and the database before any real work; raise StartupError if unusable."""
    if args.command == "serve":
        check_port(
            args.host or settings.host,
            settings.port if args.port is None else args.port,
            host_setting="--host" if args.host else "CATALOG_HOST",
            port_setting="--port" if args.port is not None else "CATALOG_PORT",
        )
    check_database(settings, check_schema=args.command != "migrate")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; a start-up failure is one or two lines on stderr and exit code 2."""
    return exit_code_of("catalog-api", lambda: _main(argv))


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings(Settings)
    logging.basicConfig(level=settings.log_level, stream=sys.stderr)
    # aiosqlite logs two DEBUG lines for every call it makes: noise that hides ours.
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
    _preflight(args, settings)
    with acting_as(f"cli:{args.command}"):
        return _run(args, settings)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        _serve(settings, args.host, args.port)
    elif args.command == "migrate":
        asyncio.run(_migrate(settings))
    elif args.command == "seed":
        report = asyncio.run(_seed_demo(settings))
        present = len(report.rejected)
        added = f"{report.imported} products added, {present} already present"
        _echo(f"demo catalog in {database_display(settings.database_url)}: {added}")
    elif args.command == "import":
        code = run_import(settings, args)
        asyncio.run(_embed_after_import(settings))
        return code
    elif args.command == "embed":
        return asyncio.run(_embed(settings, args.batch))
    elif args.command == "keys":
        return asyncio.run(_keys(settings, args))
    elif args.command == "history":
        return asyncio.run(_history(settings, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
