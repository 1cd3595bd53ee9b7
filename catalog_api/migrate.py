"""Schema migrations run programmatically on an async engine."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.resources import files

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from catalog_api.db import WRITE_OPTION

# Importing alembic logs each of its seven built-in plugins at INFO; nobody needs those.
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from alembic.runtime.migration import MigrationContext  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402

logger = logging.getLogger(__name__)


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
    config = Config()
    config.set_main_option("script_location", str(files("catalog_api") / "migrations"))
    return config


def head_revision() -> str | None:
    """Return the newest migration revision."""
    with _quiet_alembic():
        return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade(engine: AsyncEngine) -> None:
    """Upgrade the database schema to the newest revision."""
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

    def read(connection: Connection) -> str | None:
        with _quiet_alembic():
            return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(read)


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
