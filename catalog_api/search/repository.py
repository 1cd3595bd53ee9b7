"""Candidate retrieval: bounded index queries on SQLite (FTS5) and PostgreSQL (tsvector)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    column,
    func,
    literal,
    literal_column,
    select,
    table,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from catalog_api.models import Product
from catalog_api.repositories.id_lists import product_id_among
from catalog_api.search.champions import Reader
from catalog_api.search.query import Concept
from catalog_api.variants.models import ProductVariant

_TERM = re.compile(r"[^\W_]+")
_products = Product.__table__
_fts = table("products_search", column("rowid"))
_title_fts = table("products_title_search", column("rowid"))
_SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")
# SKUs are unique as written; ignoring case, a few may share a spelling.
_SKU_MATCHES = 10

Filter = Callable[[Select[Any]], Select[Any]]


@dataclass(frozen=True)
class Request:
    """One candidate query: every concept (AND) or any (OR), in titles only or anywhere."""

    concepts: tuple[Concept, ...]
    every: bool
    title_only: bool
    limit: int
    best_first: bool = False  # ordered by the engine's own rank (bounded matches only)


@dataclass(frozen=True)
class Candidate:
    """A product that may match: its analysed fields and the values sorts need."""

    id: int
    title_terms: str
    label_terms: str
    body_terms: str
    sort_value: Any


_DOCUMENT_COLUMNS = (Product.id, Product.search_title, Product.search_labels, Product.search_body)


def _check(phrase: Sequence[str]) -> None:
    for term in phrase:
        if not _TERM.fullmatch(term):
            raise ValueError(f"not an index term: {term!r}")


def fts5_expression(concepts: Sequence[Concept], operator: str) -> str:
    """Join the concepts as quoted FTS5 phrases with AND or OR."""
    for concept in concepts:
        _check(concept.phrase)
    return f" {operator} ".join('"' + " ".join(c.phrase) + '"' for c in concepts)


def tsquery_expression(concepts: Sequence[Concept], operator: str) -> str:
    """Join the concepts as tsquery phrases with & or |."""
    for concept in concepts:
        _check(concept.phrase)
    return f" {operator} ".join("(" + " <-> ".join(c.phrase) + ")" for c in concepts)


def _tsquery(expression: str) -> ColumnElement[Any]:
    """Return to_tsquery of an expression written into the SQL text.

    Bound as a parameter, the statement is prepared once and PostgreSQL soon plans it for
    any query (a generic plan guessing thousands of matches, seconds for a common word);
    written in, every query is planned for its own words. The terms were checked by _check.
    """
    return func.to_tsquery(
        _SIMPLE, bindparam("tsquery", expression, literal_execute=True, unique=True)
    )


class SearchRepository:
    """Fetch capped candidate sets for a read query."""

    def __init__(self, session: AsyncSession, filtered: Filter | None) -> None:
        self.session = session
        self.filtered = filtered  # None: no filters
        bind = session.bind
        self.dialect = bind.dialect.name if bind is not None else "sqlite"

    def _match(self, concepts: Sequence[Concept], *, every: bool, title_only: bool) -> Any:
        if self.dialect == "postgresql":
            query = _tsquery(tsquery_expression(concepts, "&" if every else "|"))
            vector: ColumnElement[Any] = (
                func.to_tsvector(_SIMPLE, Product.search_title)
                if title_only
                else literal_column("products.search_vector")
            )
            return vector.op("@@", is_comparison=True)(query)
        expression = fts5_expression(concepts, "AND" if every else "OR")
        index = "products_title_search" if title_only else "products_search"
        return literal_column(index).op("MATCH", is_comparison=True)(expression)

    def _relevance(self, concepts: Sequence[Concept]) -> Any:
        """Return the index's own rank of any of the concepts, higher is better."""
        if self.dialect == "postgresql":
            query = _tsquery(tsquery_expression(concepts, "|"))
            return func.ts_rank(literal_column("products.search_vector"), query)
        return -func.bm25(literal_column("products_search"), 3.0, 2.0, 1.0)

    def _best_first(self, request: Request) -> list[Any]:
        return [self._relevance(request.concepts).desc()] if request.best_first else []

    def _select(self, concepts: Sequence[Concept], *, every: bool, title_only: bool) -> Any:
        match = self._match(concepts, every=every, title_only=title_only)
        if self.dialect != "sqlite":
            stmt: Any = select(Product.id).where(match)
            return self.filtered(stmt) if self.filtered else stmt
        index = _title_fts if title_only else _fts
        if self.filtered is None:
            # The index alone: joining products for every match (to rank them) costs a row
            # lookup each, most of a rare word's search at 1M products.
            return select(index.c.rowid.label("id")).select_from(index).where(match)
        joined = index.join(_products, _products.c.id == index.c.rowid)
        return self.filtered(select(Product.id).select_from(joined).where(match))

    async def gather(self, requests: Sequence[Request]) -> list[list[int]]:
        """Run several candidate queries in one statement; return each one's product ids."""
        parts = [
            self._select(request.concepts, every=request.every, title_only=request.title_only)
            .add_columns(literal(number).label("request"))
            .order_by(*self._best_first(request))
            .limit(request.limit)
            .subquery()
            for number, request in enumerate(requests)
        ]
        stmt = union_all(*(select(part) for part in parts))
        found: list[list[int]] = [[] for _ in requests]
        for product_id, number in await self.session.execute(stmt):
            found[number].append(product_id)
        return found

    def best_statement(self, phrase: tuple[str, ...], limit: int) -> Any:
        """Return the select of the products best ranked for one phrase by the index."""
        concepts = [Concept(phrase, 1.0, "", 0, ())]
        match = self._match(concepts, every=True, title_only=False)
        score = self._relevance(concepts)
        if self.dialect == "postgresql":
            stmt: Any = select(Product.id, score).where(match)
        else:
            stmt = select(_fts.c.rowid, score).select_from(_fts).where(match)
        return stmt.order_by(score.desc()).limit(limit)

    async def best_of(self, phrase: tuple[str, ...], limit: int) -> list[tuple[int, float]]:
        """Return the products best ranked for one phrase by the index (higher is better)."""
        return _scored(await self.session.execute(self.best_statement(phrase, limit)))

    def best_apart(self, engine: AsyncEngine) -> Reader:
        """Return a reader of best_of that runs on a connection of its own, outside a request."""

        async def read(phrase: tuple[str, ...], limit: int) -> list[tuple[int, float]]:
            async with engine.connect() as connection:
                return _scored(await connection.execute(self.best_statement(phrase, limit)))

        return read

    async def all_passing(self, limit: int) -> list[int]:
        """Return up to limit products that pass the request's filters (all when unfiltered)."""
        stmt = select(Product.id)
        if self.filtered is not None:
            stmt = self.filtered(stmt)
        return list(await self.session.scalars(stmt.limit(limit)))

    async def passing(self, ids: Sequence[int]) -> set[int]:
        """Return which of these products pass the request's filters."""
        if self.filtered is None:
            return set(ids)
        stmt = self.filtered(select(Product.id).where(product_id_among(self.dialect, ids, "ids")))
        return set(await self.session.scalars(stmt))

    async def documents(
        self, ids: Sequence[int], sort_key: ColumnElement[Any] | None
    ) -> list[Candidate]:
        """Return the analysed fields (and the sort key's value) of these products."""
        if not ids:
            return []
        stmt = select(*_DOCUMENT_COLUMNS, literal(None) if sort_key is None else sort_key).where(
            product_id_among(self.dialect, ids, "ids")
        )
        return [Candidate(*row) for row in await self.session.execute(stmt)]

    async def with_sku(self, sku: str) -> list[int]:
        """Return the products passing the filters with a variant whose SKU is sku, any case.

        One probe of the lower(sku) index (migration 0010); the exact spelling first.
        """
        variant = ProductVariant
        stmt = (
            select(Product.id)
            .join(variant, variant.product_id == Product.id)
            .where(func.lower(variant.sku) == sku.lower())
        )
        if self.filtered is not None:
            stmt = self.filtered(stmt)
        ordered = stmt.order_by((variant.sku == sku).desc(), variant.sku).limit(_SKU_MATCHES)
        return list(dict.fromkeys(await self.session.scalars(ordered)))

    async def holds(self, term: str) -> bool:
        """Tell whether any product holds the term (for words newer than the vocabulary)."""
        _check((term,))
        if self.dialect != "postgresql":
            match = literal_column("products_search").op("MATCH", is_comparison=True)(f'"{term}"')
            stmt = select(literal(1)).select_from(_fts).where(match).limit(1)
            return (await self.session.scalar(stmt)) is not None
        match = literal_column("products.search_vector").op("@@", is_comparison=True)(
            _tsquery(term)
        )
        # Not LIMIT 1: PostgreSQL expects a word it has no statistics for to turn up soon and
        # scans the table (a second at 1M products for a misspelt word); counting goes
        # through the index, and a word the vocabulary lacks is in few products, if any.
        stmt = select(func.count()).select_from(_products).where(match)
        return int(await self.session.scalar(stmt) or 0) > 0


def _scored(rows: Any) -> list[tuple[int, float]]:
    return [(int(product_id), float(value)) for product_id, value in rows]
