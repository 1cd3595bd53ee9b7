"""pgvector on PostgreSQL: the vectors in a column with an HNSW index (cosine).

Migration 0015 sets it up where the extension can be created. Where pgvector is installed
later, `catalog-api embed` sets it up (set_up below) and the API uses it from its next start.
The float16 bytes of product_embeddings.vector stay the stored truth; the column is filled
from them (fill_column) and by every write of a vector (write_column).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.types import Text

from catalog_api.db import begin_write

# The model's dimensions (embedder.DIMENSIONS; that module needs numpy, this one must not).
DIMENSIONS = 256

logger = logging.getLogger(__name__)

COLUMN = "embedding"
INDEX = "ix_product_embeddings_embedding_hnsw"
_FILL_CHUNK = 2_000
# From this many vectors to write (and more than are written), the index is built after them.
BULK_FROM = 20_000
KINDS = ("halfvec", "vector")

_INDEXED = text("SELECT 1 FROM pg_indexes WHERE indexname = 'ix_product_embeddings_embedding_hnsw'")
_AVAILABLE = text("SELECT default_version FROM pg_available_extensions WHERE name = 'vector'")
_INSTALLED = text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
_COLUMN_TYPE = text(
    "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
    "WHERE a.attrelid = to_regclass('product_embeddings') AND a.attname = 'embedding' "
    "AND NOT a.attisdropped"
)


@dataclass(frozen=True)
class PgVector:
    """The pgvector set-up of a database: the extension's version and the column's type."""

    version: str
    kind: str  # halfvec (pgvector 0.7+) or vector
    indexed: bool = True  # False: searches scan every vector until `catalog-api embed`

    @property
    def iterative_scan(self) -> bool:
        """Tell whether HNSW scans can go on past ef_search until enough rows pass (0.8+)."""
        return version_tuple(self.version) >= (0, 8)

    def describe(self) -> str:
        """Return how the set-up reads in a log line."""
        return f"pgvector {self.version}, {self.kind}({DIMENSIONS}) with an HNSW index"


def version_tuple(version: str) -> tuple[int, ...]:
    """Return a version's leading numbers: '0.8.0' is (0, 8, 0)."""
    numbers = []
    for part in version.split("."):
        digits = "".join(c for c in part if c.isdigit())
        if not digits:
            break
        numbers.append(int(digits))
    return tuple(numbers)


def column_kind(version: str) -> str:
    """Return the column type for a pgvector version: halfvec from 0.7, else vector."""
    return "halfvec" if version_tuple(version) >= (0, 7) else "vector"


async def available_version(connection: AsyncConnection | AsyncSession) -> str | None:
    """Return the pgvector version this PostgreSQL could install, None when it has none."""
    found = await connection.scalar(_AVAILABLE)
    return None if found is None else str(found)


async def detect(connection: AsyncConnection | AsyncSession) -> PgVector | None:
    """Return the set-up when the extension is installed and the column exists, else None."""
    version = await connection.scalar(_INSTALLED)
    if version is None:
        return None
    column = await connection.scalar(_COLUMN_TYPE)
    if column is None:
        return None
    kind = str(column).split("(")[0]
    if kind not in KINDS:
        return None
    indexed = await connection.scalar(_INDEXED) is not None
    return PgVector(str(version), kind, indexed)


async def detect_engine(engine: AsyncEngine) -> PgVector | None:
    """Return the engine's set-up (None on SQLite)."""
    if engine.dialect.name != "postgresql":
        return None
    async with engine.connect() as connection:
        return await detect(connection)


def vector_text(vector: Any) -> str:
    """Return a vector (a numpy row) in pgvector's text form, '[0.1,-0.2,...]'."""
    return "[" + ",".join(f"{value:.5g}" for value in vector.tolist()) + "]"


async def write_column(
    session: AsyncSession, setup: PgVector, rows: Sequence[tuple[int, bytes]]
) -> None:
    """Set the column of these products from their stored bytes (inside the caller's write)."""
    if not rows:
        return
    from catalog_api.semantic.embedder import from_bytes

    vectors = from_bytes([blob for _, blob in rows])
    stmt = text(
        f"UPDATE product_embeddings AS e SET embedding = CAST(v.t AS {setup.kind}) "  # noqa: S608 - one of KINDS
        "FROM unnest(CAST(:ids AS integer[]), CAST(:texts AS text[])) AS v(id, t) "
        "WHERE e.product_id = v.id"
    ).bindparams(bindparam("ids", type_=ARRAY(Integer)), bindparam("texts", type_=ARRAY(Text)))
    await session.execute(
        stmt,
        {"ids": [product_id for product_id, _ in rows], "texts": [vector_text(v) for v in vectors]},
    )


async def fill_column(sessions: async_sessionmaker[AsyncSession], setup: PgVector) -> int:
    """Fill the column where it is empty from the stored bytes, in short transactions."""
    read = text(
        "SELECT product_id, vector FROM product_embeddings WHERE embedding IS NULL "
        "AND product_id > :after ORDER BY product_id LIMIT :limit"
    )
    after = 0
    filled = 0
    while True:
        async with sessions() as session:
            rows = [
                (int(pid), bytes(blob))
                for pid, blob in await session.execute(read, {"after": after, "limit": _FILL_CHUNK})
            ]
        if not rows:
            break
        async with sessions() as session:
            await begin_write(session)
            await write_column(session, setup, rows)
            await session.commit()
        after = rows[-1][0]
        filled += len(rows)
    if filled:
        logger.info("pgvector column filled for %d stored vectors", filled)
    return filled


async def set_up(sessions: async_sessionmaker[AsyncSession]) -> PgVector | None:
    """Create the extension (when this PostgreSQL has it) and the column, filled.

    Returns the set-up, or None with a log line saying why not. The index is build_index's:
    built after the vectors are in, one bulk build is much faster than row by row.
    """
    engine = sessions.kw.get("bind")
    if not isinstance(engine, AsyncEngine) or engine.dialect.name != "postgresql":
        return None
    async with engine.begin() as connection:
        if await available_version(connection) is None:
            return None
        try:
            async with connection.begin_nested():
                await connection.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
        except DBAPIError as error:
            logger.warning(
                "pgvector is available but CREATE EXTENSION vector failed (%s); a superuser "
                "can run it in this database, then `catalog-api embed` again",
                str(error.orig).splitlines()[0],
            )
            return None
        version = str(await connection.scalar(_INSTALLED))
        kind = column_kind(version)
        await connection.execute(
            text(
                f"ALTER TABLE product_embeddings ADD COLUMN IF NOT EXISTS {COLUMN} "
                f"{kind}({DIMENSIONS})"
            )
        )
        setup = await detect(connection)
    assert setup is not None
    await fill_column(sessions, setup)
    return setup


async def drop_index_for_bulk(engine: AsyncEngine, pending: int) -> bool:
    """Drop the HNSW index when most vectors are yet to be written (BULK_FROM or more).

    Inserting into the graph row by row ran at about 240 vectors/s (bench/RESULTS.md);
    written without it and indexed once, they go in many times faster. Searches meanwhile
    scan the few vectors there are.
    """
    if pending < BULK_FROM:
        return False
    async with engine.begin() as connection:
        filled = int(
            await connection.scalar(text("SELECT count(embedding) FROM product_embeddings")) or 0
        )
        if filled >= pending:
            return False
        await connection.execute(text(f"DROP INDEX IF EXISTS {INDEX}"))
    logger.info("%d vectors to write: the HNSW index is built after them", pending)
    return True


async def build_index(engine: AsyncEngine, setup: PgVector) -> None:
    """Build the HNSW index unless it exists (a bulk build over the filled column)."""
    started = time.monotonic()
    async with engine.begin() as connection:
        if await connection.scalar(_INDEXED):
            return
        await connection.execute(
            text(
                f"CREATE INDEX IF NOT EXISTS {INDEX} ON product_embeddings "
                f"USING hnsw ({COLUMN} {setup.kind}_cosine_ops)"
            )
        )
    logger.info("HNSW index built in %.1f s", time.monotonic() - started)
