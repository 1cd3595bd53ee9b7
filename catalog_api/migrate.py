"""Schema migrations run programmatically on an async engine."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from catalog_api.db import WRITE_OPTION


def alembic_config() -> Config:
    """Return the Alembic configuration of the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(files("catalog_api") / "migrations"))
    return config


def head_revision() -> str | None:
    """Return the newest migration revision."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade(engine: AsyncEngine) -> None:
    """Upgrade the database schema to the newest revision."""

    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.connect() as connection:
        connection = await connection.execution_options(**{WRITE_OPTION: True})
        await connection.run_sync(run)
        await connection.commit()


async def current_revision(engine: AsyncEngine) -> str | None:
    """Return the revision the database is at (None for an empty database)."""

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(read)


class SchemaOutOfDateError(RuntimeError):
    """The database schema is not at the newest migration."""


async def prepare_schema(engine: AsyncEngine, *, auto_migrate: bool) -> None:
    """Upgrade the schema, or check that someone did; raise SchemaOutOfDateError if not."""
    if auto_migrate:
        await upgrade(engine)
    elif await current_revision(engine) != head_revision():
        raise SchemaOutOfDateError(
            "The database schema is not up to date; run `catalog-api migrate` first."
        )
