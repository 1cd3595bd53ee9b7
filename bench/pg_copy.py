"""PostgreSQL import reference: one raw COPY of the file's rows into the products table."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]

from bench import pg
from bench.sqlite_ref import COMPARED, INSERT_COLUMNS, product_rows

# One number per database: rows, and a sum of per-row hashes of the compared columns (ids and
# times left out; search_vector is the generated tsvector the index is built on).
_ROW = ", ".join(f"{name}::text" for name in (*COMPARED, "search_vector"))
CHECKSUM = (
    "SELECT count(*) || ' ' || coalesce(sum(('x' || substr(md5(row("  # noqa: S608 - constants
    f"{_ROW})::text), 1, 15))::bit(60)::bigint), 0) FROM products"
)


@dataclass(frozen=True)
class CopyImport:
    """What the COPY took (seconds, wall time from reading the file to COPY's end) and rows."""

    seconds: float
    rows: int


async def _copy(jsonl: Path, dsn: str) -> CopyImport:
    """Stream the file's rows through one COPY ... FROM STDIN (binary) in one transaction."""
    started = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        status = await conn.copy_records_to_table(
            "products",
            records=product_rows(jsonl, datetime.now(UTC)),
            columns=list(INSERT_COLUMNS),
        )
    finally:
        await conn.close()
    return CopyImport(time.perf_counter() - started, int(str(status).split()[-1]))


def copy_import(jsonl: Path, database: str) -> CopyImport:
    """COPY the file's rows into products of a migrated bench database; time it all.

    Reading, JSON decoding and the search fields (the same tuples as the SQLite reference)
    are timed: the app's import must do them as well.
    """
    dsn = pg.async_url(database).replace("postgresql+asyncpg://", "postgresql://")
    return asyncio.run(_copy(jsonl, dsn))


def checksum(database: str) -> str:
    """Return 'rows sum' over the compared columns of every product of the database."""
    return pg.psql(CHECKSUM, database)
