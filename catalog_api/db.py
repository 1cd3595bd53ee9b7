"""Async engine, session factory and SQLite transaction control."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import orjson
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, ExceptionContext, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.pool import ConnectionPoolEntry

from catalog_api.config import Settings
from catalog_api.errors import DatabaseBusyError, OverloadedError
from catalog_api.history.recording import install as record_history

WRITE_OPTION = "catalog_write"
WRITE_TURN = "catalog_write_turn"
_INTERRUPT = "catalog_interrupt"
_DEADLINE_TIMER = "catalog_deadline_timer"

# Seconds each statement may run, set for the requests that query_scope covers.
_STATEMENT_TIMEOUT: ContextVar[float | None] = ContextVar("catalog_statement_timeout", default=None)


class QuerySlots:
    """The searches and lists of one process that may run a statement at once."""

    def __init__(self, size: int, wait_seconds: float) -> None:
        self.size = size
        self.wait_seconds = wait_seconds
        # One semaphore per event loop, as an asyncio.Semaphore serves one loop.
        self._semaphores: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._semaphores = WeakKeyDictionary()

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores[loop] = asyncio.Semaphore(self.size)
        return semaphore

    async def acquire(self) -> None:
        """Take a slot within the wait, or refuse the request (503 overloaded)."""
        try:
            async with asyncio.timeout(self.wait_seconds):
                await self._semaphore().acquire()
        except TimeoutError:
            raise OverloadedError(
                f"The server is running as many searches and lists as it allows ({self.size}) "
                f"and none finished within {self.wait_seconds:g} s; nothing was done. Retry "
                "after the Retry-After delay."
            ) from None

    def release(self) -> None:
        """Give the slot back."""
        self._semaphore().release()


class _QueryTurn:
    """One request's claim on a query slot: taken at its first statement, kept to its end."""

    def __init__(self, slots: QuerySlots) -> None:
        self.slots = slots
        self.held = False

    async def take(self) -> None:
        """Take a slot unless this request holds one already."""
        if not self.held:
            await self.slots.acquire()
            self.held = True

    def give_back(self) -> None:
        """Release the slot if this request took one."""
        if self.held:
            self.held = False
            self.slots.release()


_QUERY_TURN: ContextVar[_QueryTurn | None] = ContextVar("catalog_query_turn", default=None)


@contextmanager
def query_scope(slots: QuerySlots, statement_timeout: float) -> Iterator[None]:
    """Run the block's statements in one query slot, each stopped after statement_timeout.

    The slot is taken at the first statement (not while the request is parsed) and kept until
    the block ends, so a request that has started never loses its turn between statements.
    """
    turn = _QueryTurn(slots)
    turn_token = _QUERY_TURN.set(turn)
    timeout_token = _STATEMENT_TIMEOUT.set(statement_timeout)
    try:
        yield
    finally:
        _STATEMENT_TIMEOUT.reset(timeout_token)
        _QUERY_TURN.reset(turn_token)
        turn.give_back()


@asynccontextmanager
async def one_read(session: AsyncSession) -> AsyncIterator[None]:
    """Run the block's statements in one transaction (a search's statements each end theirs).

    For statements that need what an earlier one set, e.g. SET LOCAL; in the request's query
    slot when there is one.
    """
    turn = _QUERY_TURN.get()
    if turn is not None:
        await turn.take()
    started = not session.in_transaction()
    await session.connection()
    try:
        yield
    except BaseException:
        if started:
            await session.rollback()
        raise
    if started:
        await session.commit()


class _WriteQueue:
    """The writers of one SQLite engine, served one at a time in arrival order."""

    def __init__(self, wait_seconds: float) -> None:
        self.wait_seconds = wait_seconds
        self._locks: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]
        self._locks = WeakKeyDictionary()

    def lock(self) -> asyncio.Lock:
        """Return the lock of the running event loop (an asyncio.Lock serves one loop)."""
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock


# SQLite's busy handler retries a locked BEGIN IMMEDIATE after sleeps of up to 100 ms, so a
# newcomer often beats a writer that has waited for seconds, and under load some writers
# wait past busy_timeout and fail with "database is locked" (a 500). Waiting holds a pooled
# connection too, which reads then lack. So a write transaction first queues here, in
# arrival order and without a connection, and asks SQLite for the lock only when no other
# write transaction of this process holds it; busy_timeout is left for other processes.
_WRITE_QUEUES: WeakKeyDictionary[Engine, _WriteQueue] = WeakKeyDictionary()


def json_dumps(value: Any) -> str:
    """Encode a JSON column's value: compact, non-ASCII kept (orjson; json past its limits)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # an integer past 64 bits, a key that is not a string
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def json_loads(text: str | bytes) -> Any:
    """Decode a JSON column's value (orjson; json for what orjson refuses, such as NaN)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def create_engine(settings: Settings) -> AsyncEngine:
    """Create the async engine for the configured database."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        return _create_sqlite_engine(settings)
    engine = create_async_engine(
        url,
        json_serializer=json_dumps,
        json_deserializer=json_loads,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_timeout=settings.db_pool_timeout,
        pool_pre_ping=True,
        connect_args={
            "server_settings": {
                "lock_timeout": str(int(settings.postgres_lock_timeout_ms)),
                # JIT compiles a statement estimated costly (10-50 ms for a bounded count
                # or facets at 1M) before running it for a few milliseconds.
                "jit": "off",
                # asyncpg prepares every statement; from its sixth run PostgreSQL may keep
                # a generic plan, costed without the values (price_minor >= $4 guessed at a
                # third of the rows): a filtered count went from 0.1 s to seconds that way.
                "plan_cache_mode": "force_custom_plan",
                # A page or bounded count stops after a few rows but is costed as a whole
                # walk, so PostgreSQL ran it in two workers: their start and the rows they
                # read ahead cost 7-50 ms of a page that takes 1-10 ms alone (1M products).
                "max_parallel_workers_per_gather": "0",
            }
        },
    )

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        seconds = _STATEMENT_TIMEOUT.get()
        if seconds is not None:
            # SET LOCAL ends with the transaction, so the pooled connection forgets it.
            milliseconds = max(1, round(seconds * 1000))
            connection.exec_driver_sql(f"SET LOCAL statement_timeout = {milliseconds}")

    return engine


def create_replica_engine(settings: Settings) -> AsyncEngine | None:
    """Create the engine of the read replica, or return None when none is configured."""
    replica_url = settings.database_replica_url
    if replica_url is None:
        return None
    return create_engine(settings.model_copy(update={"database_url": replica_url}))


def _create_sqlite_engine(settings: Settings) -> AsyncEngine:
    url = make_url(settings.database_url)
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url,
        json_serializer=json_dumps,
        json_deserializer=json_loads,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_timeout=settings.db_pool_timeout,
        connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000},
    )
    pragmas = (
        "PRAGMA journal_mode=WAL",
        f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}",
        "PRAGMA foreign_keys=ON",
        f"PRAGMA synchronous={settings.sqlite_synchronous}",
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        # SQLAlchemy, not the sqlite3 module, decides when a transaction begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()
        # sqlite3's interrupt() may be called from any thread and stops the running
        # statement. aiosqlite's own interrupt() queues behind that very statement, so the
        # deadline calls the sqlite3 connection's directly (aiosqlite keeps it as _conn).
        record.info[_INTERRUPT] = dbapi_connection.driver_connection._conn.interrupt

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _arm_deadline(connection: Connection, *_args: Any) -> None:
        seconds = _STATEMENT_TIMEOUT.get()
        interrupt = connection.info.get(_INTERRUPT)
        if seconds is not None and interrupt is not None:
            loop = asyncio.get_running_loop()
            connection.info[_DEADLINE_TIMER] = loop.call_later(seconds, interrupt)

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def _disarm_deadline(connection: Connection, *_args: Any) -> None:
        timer: asyncio.TimerHandle | None = connection.info.pop(_DEADLINE_TIMER, None)
        if timer is not None:
            timer.cancel()

    @event.listens_for(engine.sync_engine, "handle_error")
    def _disarm_on_error(context: ExceptionContext) -> None:
        if context.connection is not None:
            _disarm_deadline(context.connection)

    @event.listens_for(engine.sync_engine, "reset")
    def _on_reset(dbapi_connection: Any, record: ConnectionPoolEntry, _state: Any) -> None:
        # A COMMIT that SQLite refuses (a deferred constraint) leaves the transaction
        # open, yet SQLAlchemy counts it as ended and skips its rollback on check-in.
        driver = record.driver_connection
        if driver is not None and driver.in_transaction:
            dbapi_connection.rollback()

    _WRITE_QUEUES[engine.sync_engine] = _WriteQueue(settings.sqlite_busy_timeout_ms / 1000)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A deferred read-then-write transaction fails at once with "database is
        # locked" when another writer got there first; IMMEDIATE queues on busy_timeout.
        if connection.get_execution_options().get(WRITE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")

    return engine


class _Session(Session):
    """A session that gives up its turn to write when its outermost transaction ends."""


class _AsyncSession(AsyncSession):
    """A session whose statements inside query_scope take the request's slot and end their read."""

    # Ending each read transaction returns the connection to the pool at once, so requests
    # waiting for a slot hold no connection, and none is held while the response is built.
    async def execute(self, statement: Any, *args: Any, **kw: Any) -> Any:
        """Execute a statement, in the request's query slot when it is a search or list."""
        turn = _QUERY_TURN.get()
        if turn is None or self.in_transaction():
            return await super().execute(statement, *args, **kw)
        await turn.take()
        result = await super().execute(statement, *args, **kw)
        await self.commit()
        return result

    async def scalar(self, statement: Any, *args: Any, **kw: Any) -> Any:
        """Return a scalar, in the request's query slot when it is a search or list."""
        turn = _QUERY_TURN.get()
        if turn is None or self.in_transaction():
            return await super().scalar(statement, *args, **kw)
        await turn.take()
        value = await super().scalar(statement, *args, **kw)
        await self.commit()
        return value


@event.listens_for(_Session, "after_transaction_end")
def _end_write_turn(session: Session, transaction: SessionTransaction) -> None:
    # Fires after commit, rollback or close has returned the connection to the pool.
    if transaction.parent is None:
        turn: asyncio.Lock | None = session.info.pop(WRITE_TURN, None)
        if turn is not None:
            turn.release()


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Create the session factory used for every unit of work (its changes go in history)."""
    record_history(_Session)
    return async_sessionmaker(
        engine,
        class_=_AsyncSession,
        sync_session_class=_Session,
        expire_on_commit=False,
        autoflush=False,
    )


def _write_queue(session: AsyncSession) -> _WriteQueue | None:
    """Return the queue of the session's SQLite engine, or None (PostgreSQL, foreign sessions)."""
    if not isinstance(session.sync_session, _Session):
        return None
    bind = session.sync_session.get_bind()
    return _WRITE_QUEUES.get(bind) if isinstance(bind, Engine) else None


async def begin_write(session: AsyncSession) -> None:
    """Start the session's transaction as a write transaction (BEGIN IMMEDIATE on SQLite)."""
    if session.in_transaction():
        return
    queue = _write_queue(session)
    if queue is None:
        await session.connection(execution_options={WRITE_OPTION: True})
        return
    turn = queue.lock()
    try:
        # Bounded like SQLite's own wait: when another process holds the lock, the writers
        # queued here would otherwise fail one busy_timeout after another.
        async with asyncio.timeout(queue.wait_seconds):
            await turn.acquire()
    except TimeoutError:
        raise DatabaseBusyError(
            "Other writes kept the database busy for the whole lock wait; nothing was "
            "changed. Retry after the Retry-After delay."
        ) from None
    session.info[WRITE_TURN] = turn
    try:
        await session.connection(execution_options={WRITE_OPTION: True})
    except BaseException:
        # Had no transaction begun, no transaction end would give the turn back.
        if not session.in_transaction() and session.info.pop(WRITE_TURN, None) is turn:
            turn.release()
        raise
