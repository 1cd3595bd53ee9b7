"""catalog-api history purge [--older-than DAYS]."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_api.history.service import HistoryService


def _days(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be a number of days above 0")
    return value


def add_history_arguments(parser: argparse.ArgumentParser) -> None:
    """Describe the history subcommands."""
    actions = parser.add_subparsers(dest="action", required=True)
    purge = actions.add_parser("purge", help="forget recorded changes older than some days")
    purge.add_argument(
        "--older-than",
        type=_days,
        metavar="DAYS",
        help="age in days (default: CATALOG_HISTORY_RETENTION_DAYS)",
    )


async def run_history_command(
    args: argparse.Namespace, sessions: async_sessionmaker[AsyncSession], retention: float | None
) -> int:
    """Run one history subcommand; 1 when it cannot."""
    days = args.older_than if args.older_than is not None else retention
    if days is None:
        sys.stderr.write(
            "catalog-api history purge: give --older-than DAYS or set "
            "CATALOG_HISTORY_RETENTION_DAYS; nothing was purged.\n"
        )
        return 1
    async with sessions() as session:
        count = await HistoryService(session).purge(days)
    sys.stderr.write(f"purged {count} changes recorded more than {days:g} days ago\n")
    return 0
