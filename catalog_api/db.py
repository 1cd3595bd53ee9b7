"""Async engine, session factory and SQLite transaction control."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from catalog_api.config import Settings

WRITE_OPTION = "catalog_write"


def _json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def create_engine(settings: Settings) -> AsyncEngine:
    """Create the async engine for the configured database."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        return _create_sqlite_engine(settings)
    return create_async_engine(
        url,
        json_serializer=_json_dumps,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
    )


def _create_sqlite_engine(settings: Settings) -> AsyncEngine:
    url = make_url(settings.database_url)
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url,
        json_serializer=_json_dumps,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000},
    )
    pragmas = (
        "PRAGMA journal_mode=WAL",
        f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}",
        "PRAGMA foreign_keys=ON",
        f"PRAGMA synchronous={settings.sqlite_synchronous}",
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # SQLAlchemy, not the sqlite3 module, decides when a transaction begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "reset")
    def _on_reset(dbapi_connection: Any, record: ConnectionPoolEntry, _state: Any) -> None:
        # A COMMIT that SQLite refuses (a deferred constraint) leaves the transaction
        # open, yet SQLAlchemy counts it as ended and skips its rollback on check-in.
        driver = record.driver_connection
        if driver is not None and driver.in_transaction:
            dbapi_connection.rollback()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A deferred read-then-write transaction fails at once with "database is
        # locked" when another writer got there first; IMMEDIATE queues on busy_timeout.
        if connection.get_execution_options().get(WRITE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")

    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Create the session factory used for every unit of work."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def begin_write(session: AsyncSession) -> None:
    """Start the session's transaction as a write transaction (BEGIN IMMEDIATE on SQLite)."""
    if not session.in_transaction():
        await session.connection(execution_options={WRITE_OPTION: True})
