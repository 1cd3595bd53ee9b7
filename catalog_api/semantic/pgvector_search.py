"""The vector side in SQL where pgvector is set up: `ORDER BY embedding <=> :q LIMIT k`.

The request's filters are applied in the same statement. An HNSW scan yields at most
hnsw.ef_search rows (1,000 at most), filtered afterwards: before pgvector 0.8 the scan is
widened in growing steps, as the in-process path does; from 0.8 an iterative scan goes on
until enough rows pass (up to the candidates' cap). Filters that few products pass rank
those products by their own cosines, an exact scan the index cannot serve.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    String,
    any_,
    bindparam,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import UserDefinedType

from catalog_api.db import one_read
from catalog_api.models import Product
from catalog_api.search.repository import SearchRepository
from catalog_api.semantic.embedder import MODEL_NAME, Vectors, from_bytes
from catalog_api.semantic.models import ProductEmbedding
from catalog_api.semantic.pgvector import COLUMN, PgVector, vector_text

# pgvector's own bound on hnsw.ef_search.
MAX_EF_SEARCH = 1_000
_MIN_EF_SEARCH = 40  # pgvector's default
# ef_search = k found 0.90 of the exact 100 nearest on the Home Depot titles, twice k 0.95
# (the in-process graph: 0.94) for about 5 ms more (bench/RESULTS.md).
EF_FACTOR = 2
_embedding: ColumnElement[Any] = literal_column(f"product_embeddings.{COLUMN}")


class _VectorType(UserDefinedType[Any]):
    """halfvec or vector, for a CAST of the query's text form."""

    cache_ok = True

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def get_col_spec(self, **_: Any) -> str:
        return self.kind


def _distance(setup: PgVector, query: Vectors) -> Any:
    """Return `embedding <=> :q`, the cosine distance (1 - cosine)."""
    bound = cast(bindparam("q", vector_text(query), type_=String), _VectorType(setup.kind))
    return _embedding.op("<=>", return_type=Float())(bound)


async def _nearest(
    repository: SearchRepository,
    setup: PgVector,
    query: Vectors,
    limit: int,
    exclude: Collection[int],
    *,
    ef_search: int,
    max_scan: int | None = None,
    exact: bool = False,
) -> list[tuple[int, float]]:
    """Return up to limit (id, cosine) passing the filters, nearest first."""
    distance = _distance(setup, query)
    stmt: Any = select(ProductEmbedding.product_id, distance.label("distance")).where(
        ProductEmbedding.model == MODEL_NAME, _embedding.is_not(None)
    )
    if repository.filtered is not None:
        stmt = repository.filtered(stmt.join(Product, Product.id == ProductEmbedding.product_id))
    if exclude:
        stmt = stmt.where(ProductEmbedding.product_id.not_in(list(exclude)))
    # `+ 0` hides the operator from the planner: an exact scan of the passing rows.
    order = distance + 0 if exact else distance
    settings = {"hnsw.ef_search": str(ef_search)}
    if setup.iterative_scan:
        settings["hnsw.iterative_scan"] = "relaxed_order"
        if max_scan is not None:
            settings["hnsw.max_scan_tuples"] = str(max_scan)
    session = repository.session
    async with one_read(session):  # the settings hold for this transaction only
        for name, value in settings.items():
            await session.execute(select(func.set_config(name, value, True)))
        rows = (await session.execute(stmt.order_by(order).limit(limit))).all()
    found = [(int(product_id), 1.0 - float(value)) for product_id, value in rows]
    # An iterative scan in relaxed order may return near neighbours slightly out of order.
    return sorted(found, key=lambda pair: (-pair[1], pair[0]))


def _ef_search(scanned: int) -> int:
    """Return the scan width for the nearest `scanned`: twice that (see EF_FACTOR)."""
    return min(max(EF_FACTOR * scanned, _MIN_EF_SEARCH), MAX_EF_SEARCH)


async def nearest_passing(
    setup: PgVector,
    repository: SearchRepository,
    query: Vectors,
    want: int,
    exclude: Collection[int],
    *,
    max_candidates: int,
    max_exact: int,
) -> list[tuple[int, float]]:
    """Return up to want (id, cosine) of the nearest products that pass the filters."""
    if repository.filtered is None:
        return await _nearest(repository, setup, query, want, exclude, ef_search=_ef_search(want))
    if setup.iterative_scan:
        kept = await _nearest(
            repository,
            setup,
            query,
            want,
            exclude,
            ef_search=_ef_search(want),
            max_scan=max_candidates,
        )
    else:
        scanned = want
        while True:
            ef_search = _ef_search(scanned)
            kept = await _nearest(repository, setup, query, want, exclude, ef_search=ef_search)
            if len(kept) >= want or ef_search >= min(MAX_EF_SEARCH, max_candidates):
                break
            scanned *= 8
    if len(kept) >= want:
        return kept
    # Too few among the scanned nearest: when few enough pass, rank them all exactly.
    passing = await repository.all_passing(max_exact + 1)
    if len(passing) > max_exact:
        return kept
    return await _nearest(
        repository, setup, query, want, exclude, ef_search=_MIN_EF_SEARCH, exact=True
    )


async def cosines(
    session: AsyncSession, setup: PgVector, query: Vectors, ids: Sequence[int]
) -> dict[int, float]:
    """Return the cosine to query of those products that have a vector."""
    if not ids:
        return {}
    distance = _distance(setup, query)
    stmt = select(ProductEmbedding.product_id, distance).where(
        ProductEmbedding.product_id == any_(bindparam("ids", list(ids), type_=ARRAY(Integer))),
        ProductEmbedding.model == MODEL_NAME,
        _embedding.is_not(None),
    )
    return {int(pid): 1.0 - float(value) for pid, value in await session.execute(stmt)}


async def stored_vector(session: AsyncSession, product_id: int) -> Vectors | None:
    """Return a product's stored vector, None when it has none."""
    blob = await session.scalar(
        select(ProductEmbedding.vector).where(
            ProductEmbedding.product_id == product_id, ProductEmbedding.model == MODEL_NAME
        )
    )
    return None if blob is None else from_bytes([bytes(blob)])[0]
