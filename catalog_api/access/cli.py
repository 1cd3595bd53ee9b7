"""catalog-api keys create NAME --scope S | list | revoke NAME."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_api.access.scopes import Scope
from catalog_api.access.service import KeyService
from catalog_api.errors import DomainError


def add_key_arguments(parser: argparse.ArgumentParser) -> None:
    """Describe the keys subcommands."""
    actions = parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a key and print its token (shown once)")
    create.add_argument("name", help="who holds it, e.g. claude-desktop; history shows this name")
    create.add_argument(
        "--scope",
        action="append",
        choices=[scope.value for scope in Scope],
        required=True,
        help="what it may do (repeat for several): read, write (and read), describe (and "
        "read), admin (everything)",
    )
    actions.add_parser("list", help="list keys: name, scopes, start of token, created, revoked")
    revoke = actions.add_parser("revoke", help="revoke a key; it stops working at once")
    revoke.add_argument("name")


async def run_key_command(
    args: argparse.Namespace, sessions: async_sessionmaker[AsyncSession]
) -> int:
    """Run one keys subcommand; 1 when it was refused."""
    async with sessions() as session:
        service = KeyService(session)
        try:
            if args.action == "create":
                created = await service.create(args.name, [Scope(s) for s in args.scope])
                sys.stderr.write(
                    f"key '{created.key.name}' created with scopes {created.key.scopes}; "
                    "its token follows, shown this once:\n"
                )
                sys.stdout.write(created.token + "\n")
            elif args.action == "list":
                for key in await service.list():
                    revoked = key.revoked_at.isoformat() if key.revoked_at else "active"
                    sys.stdout.write(
                        f"{key.name}\t{key.scopes}\t{key.shown}…\t"
                        f"{key.created_at.isoformat()}\t{revoked}\n"
                    )
            else:
                await service.revoke(args.name)
                sys.stderr.write(f"key '{args.name}' revoked\n")
        except DomainError as error:
            sys.stderr.write(f"catalog-api keys: {error.detail}\n")
            return 1
    return 0
