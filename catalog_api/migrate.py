"""Schema migrations run programmatically on an async engine."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.resources import files
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from catalog_api.db import WRITE_OPTION

if TYPE_CHECKING:
    from alembic.config import Config

# Importing alembic logs each of its seven built-in plugins at INFO; nobody needs those.
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

logger = logging.getLogger(__name__)

# Migration files are named after their revision (0009_variant_filters.py is revision 0009),
# one after another, so the head is the highest prefix; tests/test_app.py holds Alembic to it.
# Start-up compares revisions without importing Alembic (0.1-0.2 s of every cold start).
_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")


@contextmanager
def _quiet_alembic() -> Iterator[None]:
    """Hide alembic's INFO lines (plugins, context, each step) unless logging at DEBUG."""
    alembic_logger = logging.getLogger("alembic")
    if alembic_logger.isEnabledFor(logging.DEBUG):
        yield
        return
    previous = alembic_logger.level
    alembic_logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        alembic_logger.setLevel(previous)


def alembic_config() -> Config:
    """Return the Alembic configuration of the packaged migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("catalog_api") / "migrations"))
    return config


def head_revision() -> str | None:
    """Return the newest migration revision, from the packaged files' names."""
    versions = files("catalog_api") / "migrations" / "versions"
    found = [m.group(1) for e in versions.iterdir() if (m := _REVISION_FILE.match(e.name))]
    return max(found, default=None)


def alembic_head_revision() -> str | None:
    """Return the newest migration revision as Alembic reads it from the scripts."""
    from alembic.script import ScriptDirectory

    with _quiet_alembic():
        return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade(engine: AsyncEngine) -> None:
    """Upgrade the database schema to the newest revision."""
    from alembic import command

    await migrate_to(engine, command.upgrade, "head")


async def migrate_to(
    engine: AsyncEngine, action: Callable[[Config, str], None], revision: str
) -> None:
    """Run one Alembic command (command.upgrade or command.downgrade) to revision."""

    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        with _quiet_alembic():
            action(config, revision)

    async with engine.connect() as connection:
        connection = await connection.execution_options(**{WRITE_OPTION: True})
        await connection.run_sync(run)
        await connection.commit()


async def current_revision(engine: AsyncEngine) -> str | None:
    """Return the revision the database is at (None for an empty database)."""
    async with engine.connect() as connection:
        if not await connection.run_sync(lambda sync: inspect(sync).has_table("alembic_version")):
            return None
        rows = (await connection.execute(text("SELECT version_num FROM alembic_version"))).all()
    if len(rows) > 1:
        raise RuntimeError(f"alembic_version holds {len(rows)} revisions; expected one")
    return str(rows[0][0]) if rows else None


class SchemaOutOfDateError(RuntimeError):
    """The database schema is not at the newest migration."""

    def __init__(self, current: str | None, head: str | None) -> None:
        super().__init__(
            f"The database schema is at revision {current or 'none (empty)'}, this version "
            f"needs {head}; run `catalog-api migrate` first."
        )
        self.current = current
        self.head = head


async def prepare_schema(engine: AsyncEngine, *, auto_migrate: bool) -> None:
    """Upgrade the schema, or check that someone did; raise SchemaOutOfDateError if not."""
    current, head = await current_revision(engine), head_revision()
    if current == head:
        return
    if not auto_migrate:
        raise SchemaOutOfDateError(current, head)
    await upgrade(engine)
    logger.info("upgraded the database schema from %s to %s", current or "empty", head)
