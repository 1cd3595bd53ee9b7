"""Reads and writes of product_embeddings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_api.models import Product, utcnow
from catalog_api.repositories.id_lists import product_id_among
from catalog_api.semantic import pgvector
from catalog_api.semantic.models import ProductEmbedding

_embeddings = ProductEmbedding.__table__


@dataclass(frozen=True)
class Pending:
    """A product whose vector is missing or older than the product, with its text's parts."""

    id: int
    version: int
    title: str
    brand: str | None
    tags: list[str]
    options: Any
    stored_hash: str | None  # of the text the stored vector has, if any


@dataclass(frozen=True)
class Computed:
    """What to store for a product: a new vector, or None when its text is unchanged."""

    id: int
    version: int
    text_hash: str
    vector: bytes | None


_PENDING_COLUMNS = (
    Product.id,
    Product.version,
    Product.title,
    Product.brand,
    Product.tags,
    Product.options,
    ProductEmbedding.text_hash,
)


def _outdated(model: str) -> Any:
    return or_(
        ProductEmbedding.product_id.is_(None),
        ProductEmbedding.product_version != Product.version,
        ProductEmbedding.model != model,
    )


def _joined() -> Any:
    return Product.__table__.outerjoin(_embeddings, ProductEmbedding.product_id == Product.id)


class EmbeddingRepository:
    """product_embeddings through one session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        bind = session.bind
        self.dialect = bind.dialect.name if bind is not None else "sqlite"

    async def pending_after(self, after: int, limit: int, model: str) -> list[Pending]:
        """Return up to limit outdated products with ids above after, by id."""
        stmt = (
            select(*_PENDING_COLUMNS)
            .select_from(_joined())
            .where(and_(Product.id > after, _outdated(model)))
            .order_by(Product.id)
            .limit(limit)
        )
        return [Pending(*row) for row in await self.session.execute(stmt)]

    async def pending_among(self, ids: Sequence[int], model: str) -> list[Pending]:
        """Return which of these products are outdated."""
        if not ids:
            return []
        stmt = (
            select(*_PENDING_COLUMNS)
            .select_from(_joined())
            .where(and_(product_id_among(self.dialect, ids, "ids"), _outdated(model)))
            .order_by(Product.id)
        )
        return [Pending(*row) for row in await self.session.execute(stmt)]

    async def count_pending(self, model: str) -> int:
        """Return how many products are outdated."""
        stmt = select(func.count()).select_from(_joined()).where(_outdated(model))
        return int(await self.session.scalar(stmt) or 0)

    async def count(self) -> int:
        """Return how many vectors are stored."""
        return int(await self.session.scalar(select(func.count()).select_from(_embeddings)) or 0)

    async def any_stored(self) -> bool:
        """Tell whether any vector is stored."""
        stmt = select(ProductEmbedding.product_id).limit(1)
        return (await self.session.scalar(stmt)) is not None

    async def store(self, computed: Sequence[Computed], model: str) -> list[int]:
        """Write vectors (or only the version, text unchanged); return the ids written.

        Call inside a write transaction; products deleted meanwhile are left out. Where
        pgvector is set up its column is written too.
        """
        if not computed:
            return []
        ids = [item.id for item in computed]
        present = set(
            await self.session.scalars(
                select(Product.id).where(product_id_among(self.dialect, ids, "ids"))
            )
        )
        now = utcnow()
        rows = [
            {
                "product_id": item.id,
                "model": model,
                "text_hash": item.text_hash,
                "product_version": item.version,
                "vector": item.vector,
                "embedded_at": now,
            }
            for item in computed
            if item.id in present and item.vector is not None
        ]
        if rows:
            insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
            stmt = insert(ProductEmbedding)
            stmt = stmt.on_conflict_do_update(
                index_elements=[ProductEmbedding.product_id],
                set_={
                    name: stmt.excluded[name]
                    for name in ("model", "text_hash", "product_version", "vector", "embedded_at")
                },
            )
            await self.session.execute(stmt, rows)
            if self.dialect == "postgresql":
                setup = await pgvector.detect(self.session)
                if setup is not None:
                    written = [
                        (item.id, item.vector)
                        for item in computed
                        if item.id in present and item.vector is not None
                    ]
                    await pgvector.write_column(self.session, setup, written)
        for item in computed:
            if item.id in present and item.vector is None:
                await self.session.execute(
                    update(ProductEmbedding)
                    .where(ProductEmbedding.product_id == item.id)
                    .values(product_version=item.version)
                )
        return [item.id for item in computed if item.id in present and item.vector is not None]

    async def vectors_after(
        self, after: int, limit: int, model: str, since: datetime | None = None
    ) -> list[tuple[int, bytes]]:
        """Return up to limit (product id, vector) of the model above an id, by id."""
        stmt = select(ProductEmbedding.product_id, ProductEmbedding.vector).where(
            ProductEmbedding.product_id > after, ProductEmbedding.model == model
        )
        if since is not None:
            stmt = stmt.where(ProductEmbedding.embedded_at >= since)
        rows = await self.session.execute(stmt.order_by(ProductEmbedding.product_id).limit(limit))
        return [(int(product_id), bytes(vector)) for product_id, vector in rows]

    async def product_ids_among(self, ids: Sequence[int]) -> set[int]:
        """Return which of these products still exist."""
        if not ids:
            return set()
        stmt = select(Product.id).where(product_id_among(self.dialect, ids, "ids"))
        return set(await self.session.scalars(stmt))

    async def clear_model(self, keep: str) -> int:
        """Delete vectors of other models; return how many."""
        result = await self.session.execute(
            delete(ProductEmbedding).where(ProductEmbedding.model != keep)
        )
        return int(getattr(result, "rowcount", 0) or 0)
