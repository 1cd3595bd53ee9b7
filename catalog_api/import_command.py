"""The `catalog-api import` command: progress, the line-by-line report, Ctrl-C and resuming."""

from __future__ import annotations

import argparse
import asyncio
import logging
import shlex
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from tqdm import tqdm

from catalog_api.collector import frozen_meanwhile
from catalog_api.config import Settings
from catalog_api.import_sources import ImportSource, SourceError
from catalog_api.importer import MAX_TRANSACTION_SECONDS, Importer, ImportReport
from catalog_api.services.imports import OnConflict

DEFAULT_BATCH_SIZE = 1000
EXIT_REJECTED = 1
EXIT_UNREADABLE = 2
EXIT_INTERRUPTED = 128 + signal.SIGINT

logger = logging.getLogger(__name__)


def _echo(message: str) -> None:
    sys.stderr.write(message + "\n")


def add_import_arguments(parser: argparse.ArgumentParser) -> None:
    """Describe the arguments of `import`."""
    parser.add_argument("file", type=Path)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        help="most rows per transaction (default %(default)s)",
    )
    parser.add_argument(
        "--on-conflict",
        choices=[choice.value for choice in OnConflict],
        default=OnConflict.FAIL.value,
        help=(
            "a row whose slug exists: fail (report it, exit 1), skip (count it quietly) or "
            "update (replace the product's fields, bumping its version); default fail"
        ),
    )
    parser.add_argument(
        "--skip-existing",
        action="store_const",
        const=OnConflict.SKIP.value,
        dest="on_conflict",
        help="the same as --on-conflict skip",
    )
    parser.add_argument(
        "--max-transaction-seconds",
        type=float,
        default=MAX_TRANSACTION_SECONDS,
        help=(
            "commit after this long even mid-batch, so other writers never wait long for the "
            "write lock (default %(default)s)"
        ),
    )


class _ImportRun:
    """One run of the command: its importer, and what Ctrl-C does to it."""

    def __init__(self, settings: Settings, args: argparse.Namespace, source: ImportSource) -> None:
        self.settings = settings
        self.args = args
        self.source = source
        self.importer: Importer | None = None
        self.stopping = False
        self.aborting = False

    def on_sigint(self, _signum: int, _frame: FrameType | None) -> None:
        """Stop after the rows read so far are committed; a second Ctrl-C aborts at once."""
        if self.importer is None or self.stopping:
            self.aborting = True
            raise KeyboardInterrupt
        self.stopping = True
        self.importer.request_stop()
        _echo("stopping: committing the rows read so far (Ctrl-C again to abort at once)")

    def on_loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """Log loop errors, except the cancelled import's rollback errors after an abort."""
        if self.aborting:
            # The interrupt can leave a connection mid-statement; its session's rollback
            # then fails as asyncio.run() cancels the task. _finish reports the abort.
            logger.debug(
                "after the abort: %s", context.get("message"), exc_info=context.get("exception")
            )
            return
        loop.default_exception_handler(context)

    async def run(self) -> None:
        """Import the file."""
        from catalog_api.cli import _sessions

        asyncio.get_running_loop().set_exception_handler(self.on_loop_error)
        args = self.args
        with (
            self.args.file.open("rb") as stream,
            tqdm(
                desc=f"importing {args.file.name}",
                unit=" lines",
                file=sys.stderr,
                disable=None,
            ) as bar,
            # Measured: full collections walking the libraries' objects cost a re-import
            # a fifth of its CPU (bench/RESULTS.md, "Bulk import").
            frozen_meanwhile(),
        ):
            async with _sessions(self.settings) as sessions:
                self.importer = Importer(
                    sessions,
                    args.batch_size,
                    on_conflict=OnConflict(args.on_conflict),
                    max_transaction_seconds=args.max_transaction_seconds,
                )
                await self.importer.run(self.source.records(stream), progress=bar.update)

    def report(self) -> ImportReport:
        """Return the report so far, with the file's own line counts."""
        report = self.importer.report if self.importer else ImportReport()
        report.lines_read = self.source.lines_read
        report.line_counts["header"] = self.source.header_lines
        report.line_counts["blank"] = self.source.blank_lines
        return report

    def resume_command(self) -> str:
        """Return the command that finishes this import."""
        args = self.args
        on_conflict = "update" if args.on_conflict == OnConflict.UPDATE.value else "skip"
        argv = ["catalog-api", "import", str(args.file), "--on-conflict", on_conflict]
        if args.batch_size != DEFAULT_BATCH_SIZE:
            argv += ["--batch-size", str(args.batch_size)]
        if args.max_transaction_seconds != MAX_TRANSACTION_SECONDS:
            argv += ["--max-transaction-seconds", str(args.max_transaction_seconds)]
        return shlex.join(argv)


def run_import(settings: Settings, args: argparse.Namespace) -> int:
    """Run `catalog-api import`; return the exit status."""
    if args.batch_size < 1:
        _echo("--batch-size must be at least 1")
        return EXIT_UNREADABLE
    if not args.max_transaction_seconds > 0:
        _echo("--max-transaction-seconds must be more than 0")
        return EXIT_UNREADABLE
    try:
        source = ImportSource(args.file)
    except SourceError as error:
        _echo(f"cannot import {args.file}: {error}")
        return EXIT_UNREADABLE
    run = _ImportRun(settings, args, source)
    aborted = False
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.SIG_IGN:  # started with Ctrl-C ignored (nohup, `&`): keep it so
        signal.signal(signal.SIGINT, run.on_sigint)
    try:
        asyncio.run(run.run())
    except KeyboardInterrupt:
        aborted = True
        _quiet_stragglers()
    except Exception as error:
        if run.aborting:
            # The abort stopped a statement midway, so the rollback after it failed in turn
            # (asyncpg: "another operation is in progress"); the transaction is rolled back.
            logger.debug("after the abort: %s", error, exc_info=error)
            aborted = True
            _quiet_stragglers()
        elif isinstance(error, OSError | SourceError):
            _echo(f"cannot import {args.file}: {error}")
            if not run.report().last_committed_line:
                return EXIT_UNREADABLE
            aborted = True
        else:
            raise
    finally:
        signal.signal(signal.SIGINT, previous)
    return _finish(run, aborted=aborted)


def _quiet_stragglers() -> None:
    """Drop the error of a database thread that finishes after the aborted loop closed."""
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        error = args.exc_value
        if not (isinstance(error, RuntimeError) and "loop is closed" in str(error)):
            previous(args)

    threading.excepthook = hook


def _finish(run: _ImportRun, *, aborted: bool) -> int:
    report = run.report()
    for rejection in report.rejected:
        _echo(f"{run.args.file}:{rejection.lines}: rejected: {rejection.reason}")
    _echo(report.summary())
    if report.conflicts:
        _echo(
            f"{report.conflicts:,} rows have a slug that is already taken; "
            "--on-conflict skip leaves them out quietly, --on-conflict update applies them"
        )
    if not (aborted or report.interrupted):
        return EXIT_REJECTED if report.rejected else 0
    committed = report.imported + report.updated
    through = report.last_committed_line
    _echo(
        f"interrupted: {committed:,} rows committed"
        + (f", the last from line {through:,}" if through else "")
        + f"; lines after {report.lines_read:,} were not read"
    )
    if aborted and report.uncommitted:
        _echo(
            f"the {report.uncommitted:,} rows being written when aborted may or may not have "
            "been committed; resuming sorts that out"
        )
    _echo(f"to resume: {run.resume_command()}")
    return EXIT_INTERRUPTED
