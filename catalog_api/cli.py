"""Command line: catalog-api serve | migrate | seed --demo | import FILE."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import TextIO, cast

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tqdm import tqdm

from catalog_api.config import Settings
from catalog_api.db import create_engine, create_session_factory
from catalog_api.importer import Importer, ImportReport, parse_jsonl, parser_for
from catalog_api.migrate import SchemaOutOfDateError, current_revision, prepare_schema, upgrade

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
    finally:
        await engine.dispose()


async def _migrate(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        await upgrade(engine)
        _echo(f"database at revision {await current_revision(engine)}")
    finally:
        await engine.dispose()


async def _import(settings: Settings, path: Path, batch_size: int) -> ImportReport:
    parse = parser_for(path)
    with (
        path.open(encoding="utf-8-sig", newline="") as stream,
        tqdm(desc=f"importing {path.name}", unit=" rows", file=sys.stderr, disable=None) as bar,
    ):
        async with _sessions(settings) as sessions:
            return await Importer(sessions, batch_size).run(parse(stream), progress=bar.update)


async def _seed_demo(settings: Settings) -> ImportReport:
    demo = files("catalog_api") / "data" / DEMO_FILE
    with demo.open(encoding="utf-8") as stream:
        async with _sessions(settings) as sessions:
            return await Importer(sessions).run(parse_jsonl(cast(TextIO, stream)))


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
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", help="interface to bind (default CATALOG_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default CATALOG_PORT or 8000)")
    commands.add_parser("migrate", help="upgrade the database schema to the newest version")
    seed = commands.add_parser("seed", help="load sample data")
    seed.add_argument("--demo", action="store_true", required=True, help="the demo catalog")
    importer = commands.add_parser("import", help="import products from .jsonl or .csv")
    importer.add_argument("file", type=Path)
    importer.add_argument("--batch-size", type=int, default=1000, help="rows per transaction")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line."""
    args = build_parser().parse_args(argv)
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper(), stream=sys.stderr)
    if args.command == "serve":
        _serve(settings, args.host, args.port)
    elif args.command == "migrate":
        asyncio.run(_migrate(settings))
    elif args.command == "seed":
        report = asyncio.run(_seed_demo(settings))
        present = len(report.rejected)
        _echo(f"demo catalog: {report.imported} products added, {present} already present")
    elif args.command == "import":
        if args.batch_size < 1:
            _echo("--batch-size must be at least 1")
            return 2
        try:
            report = asyncio.run(_import(settings, args.file, args.batch_size))
        except (OSError, ValueError) as error:
            _echo(f"cannot import {args.file}: {error}")
            return 2
        for line, reason in report.rejected:
            _echo(f"{args.file}:{line}: rejected: {reason}")
        _echo(f"imported {report.imported} products, rejected {len(report.rejected)} rows")
        return 1 if report.rejected else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
