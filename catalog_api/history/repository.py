"""Queries over product_changes; never commits.

The feed orders changes by (xid, id). SQLite serialises writers, so there xid is 0 and ids
are handed out in commit order. On PostgreSQL ids are taken before commit, so a change with a
lower id can commit after one with a higher id, and a reader paging by id alone would step
past it for good. So each change carries its transaction's id (xid), and the feed hands out
only changes whose xid is below the reading snapshot's xmin: every transaction below xmin
has ended, so no change can later appear before the feed's position, and any transaction
still to commit has an xid at or above xmin, after it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Text,
    cast,
    delete,
    func,
    literal,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_api.history.models import ProductChange

Position = tuple[int, int]


class ChangeRepository:
    """Read and trim the change history inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.dialect = session.bind.dialect.name if session.bind is not None else "sqlite"

    async def get(self, change_id: int) -> ProductChange | None:
        """Return one change."""
        return await self.session.get(ProductChange, change_id)

    async def for_product(
        self, product_id: int, *, before_id: int | None, limit: int
    ) -> list[ProductChange]:
        """Return a product's changes, newest first, older than before_id when given."""
        stmt = select(ProductChange).where(ProductChange.product_id == product_id)
        if before_id is not None:
            stmt = stmt.where(ProductChange.id < before_id)
        stmt = stmt.order_by(ProductChange.id.desc()).limit(limit)
        return list(await self.session.scalars(stmt))

    async def feed(
        self,
        *,
        after: Position | None,
        since: datetime | None,
        actor: str | None,
        limit: int,
    ) -> list[ProductChange]:
        """Return settled changes in feed order after a position (or recorded since a time)."""
        stmt: Select[Any] = select(ProductChange)
        position = tuple_(ProductChange.xid, ProductChange.id)
        if after is not None:
            stmt = stmt.where(position > tuple_(literal(after[0]), literal(after[1])))
        if since is not None:
            first = await self._first_since(since)
            if first is None:
                return []
            stmt = stmt.where(position >= tuple_(literal(first[0]), literal(first[1])))
        if actor is not None:
            stmt = stmt.where(ProductChange.actor == actor)
        if self.dialect == "postgresql":
            stmt = stmt.where(ProductChange.xid < _snapshot_xmin())
        stmt = stmt.order_by(ProductChange.xid, ProductChange.id).limit(limit)
        return list(await self.session.scalars(stmt))

    async def _first_since(self, since: datetime) -> Position | None:
        stmt = (
            select(ProductChange.xid, ProductChange.id)
            .where(ProductChange.at >= since)
            .order_by(ProductChange.xid, ProductChange.id)
            .limit(1)
        )
        row = (await self.session.execute(stmt)).first()
        return None if row is None else (int(row.xid), int(row.id))

    async def later_changes(self, product_id: int, after_id: int) -> list[ProductChange]:
        """Return the product's changes recorded after after_id, oldest first.

        Changes to one product are made under its row lock and recorded before commit, so
        their ids follow commit order on both databases.
        """
        stmt = (
            select(ProductChange)
            .where(ProductChange.product_id == product_id, ProductChange.id > after_id)
            .order_by(ProductChange.id)
        )
        return list(await self.session.scalars(stmt))

    async def purge(self, before: datetime) -> int:
        """Delete changes recorded before a time; return how many went."""
        result: Any = await self.session.execute(
            delete(ProductChange).where(ProductChange.at < before)
        )
        return int(result.rowcount or 0)


def _snapshot_xmin() -> ColumnElement[int]:
    """Return the reading snapshot's xmin as a bigint (xid8 has no direct cast to bigint)."""
    xmin = func.pg_snapshot_xmin(func.pg_current_snapshot())
    return cast(cast(xmin, Text), BigInteger)
