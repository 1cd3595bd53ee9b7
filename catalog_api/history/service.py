"""Read a product's history and the feed of every change; purge old changes."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from catalog_api.db import begin_write
from catalog_api.errors import ProductNotFoundError
from catalog_api.history.cursors import decode_position, encode_position, read_since
from catalog_api.history.repository import ChangeRepository
from catalog_api.history.schemas import ChangeOut, ChangePage
from catalog_api.models import utcnow
from catalog_api.repositories import ProductRepository

logger = logging.getLogger(__name__)


class HistoryService:
    """Use cases over the change history."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.changes = ChangeRepository(session)
        self.products = ProductRepository(session)

    async def product_history(
        self, product_id: int, *, limit: int, cursor: str | None
    ) -> ChangePage:
        """Return a page of one product's changes, newest first (a deleted product's too)."""
        before = decode_position(cursor, "cursor")[1] if cursor is not None else None
        rows = await self.changes.for_product(product_id, before_id=before, limit=limit + 1)
        if not rows and cursor is None and await self.products.get(product_id) is None:
            raise ProductNotFoundError(f"No product has id {product_id}, nor ever had.")
        page = rows[:limit]
        more = len(rows) > limit
        return ChangePage(
            items=[ChangeOut.model_validate(row) for row in page],
            next_cursor=encode_position(0, page[-1].id) if more else None,
            has_more=more,
        )

    async def feed(self, *, since: str | None, actor: str | None, limit: int) -> ChangePage:
        """Return the next page of the whole catalog's changes, oldest first, each once."""
        start = read_since(since) if since is not None else None
        after = start if isinstance(start, tuple) else None
        moment = start if isinstance(start, datetime) else None
        rows = await self.changes.feed(after=after, since=moment, actor=actor, limit=limit + 1)
        page = rows[:limit]
        if page:
            next_cursor: str | None = encode_position(page[-1].xid, page[-1].id)
        elif after is not None:
            next_cursor = since
        else:
            next_cursor = None
        return ChangePage(
            items=[ChangeOut.model_validate(row) for row in page],
            next_cursor=next_cursor,
            has_more=len(rows) > limit,
        )

    async def purge(self, older_than_days: float) -> int:
        """Delete changes recorded more than older_than_days ago; return how many."""
        before = utcnow() - timedelta(days=older_than_days)
        await begin_write(self.session)
        count = await self.changes.purge(before)
        await self.session.commit()
        if count:
            logger.info("purged %d changes recorded before %s", count, before.isoformat())
        return count
