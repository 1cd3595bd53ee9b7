"""Full-text search clauses: FTS5 with BM25 on SQLite, tsvector with ts_rank on PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Float, FromClause, column, func, literal_column, table
from sqlalchemy.sql.expression import cast

from catalog_api.models import Product


class SearchDialect(Protocol):
    """What a backend contributes to a search query."""

    def source(self, words: list[str], *, with_products: bool) -> FromClause:
        """Return the FROM clause: the index alone, or joined to products for filters."""
        ...

    def product_id(self, *, with_products: bool) -> ColumnElement[int]:
        """Return the column holding the product id in that FROM clause."""
        ...

    def match(self, words: list[str]) -> ColumnElement[bool]:
        """Return the condition selecting matching products."""
        ...

    def score(self, words: list[str]) -> ColumnElement[float]:
        """Return the relevance score; lower is better."""
        ...


_products = Product.__table__
_fts = table("products_fts", column("rowid"))


def fts5_query(words: list[str]) -> str:
    """Quote each word as an FTS5 string so no word is read as syntax."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


@dataclass(frozen=True)
class SQLiteSearch:
    """FTS5 external-content table kept in step by triggers, ranked by BM25."""

    title_weight: float = 10.0
    description_weight: float = 1.0
    tags_weight: float = 4.0
    category_weight: float = 3.0

    def source(self, words: list[str], *, with_products: bool) -> FromClause:
        """Join the FTS table to products by rowid only when filters need product columns."""
        if with_products:
            return _fts.join(_products, _products.c.id == _fts.c.rowid)
        return _fts

    def product_id(self, *, with_products: bool) -> ColumnElement[int]:
        """Return the FTS rowid, which is the product id."""
        return _fts.c.rowid

    def match(self, words: list[str]) -> ColumnElement[bool]:
        """Match the quoted words (all of them)."""
        return literal_column("products_fts").op("MATCH", is_comparison=True)(fts5_query(words))

    def score(self, words: list[str]) -> ColumnElement[float]:
        """BM25 with weights per column (more negative is better)."""
        return cast(
            func.bm25(
                literal_column("products_fts"),
                self.title_weight,
                self.description_weight,
                self.tags_weight,
                self.category_weight,
            ),
            Float,
        )


@dataclass(frozen=True)
class PostgresSearch:
    """Generated, weighted tsvector with a GIN index, ranked by ts_rank."""

    config: str = "english"

    def _query(self, words: list[str]) -> ColumnElement[object]:
        return func.plainto_tsquery(literal_column(f"'{self.config}'"), " ".join(words))

    def source(self, words: list[str], *, with_products: bool) -> FromClause:
        """Search the products table itself."""
        return _products

    def product_id(self, *, with_products: bool) -> ColumnElement[int]:
        """Return products.id."""
        return _products.c.id

    def match(self, words: list[str]) -> ColumnElement[bool]:
        """Match the tsvector against all the words."""
        vector: ColumnElement[Any] = literal_column("products.search_vector")
        return vector.op("@@", is_comparison=True)(self._query(words))

    def score(self, words: list[str]) -> ColumnElement[float]:
        """Negated ts_rank, so that lower is better as on SQLite."""
        return cast(
            -func.ts_rank(literal_column("products.search_vector"), self._query(words)), Float
        )


def search_dialect(name: str) -> SearchDialect:
    """Return the search implementation of a database dialect."""
    if name == "sqlite":
        return SQLiteSearch()
    if name == "postgresql":
        return PostgresSearch()
    raise NotImplementedError(f"full-text search is not available on {name}")
