"""References on SQLite with the stdlib sqlite3 module: raw bulk insert and raw queries."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from catalog_api.config import Settings
from catalog_api.search.analyzer import terms
from catalog_api.search.documents import row_search_fields
from catalog_api.text import search_words

INSERT = (
    "INSERT INTO products (slug, title, description, category, tags, price_minor, currency, "
    "stock_quantity, status, attributes, image_urls, seo_keywords, created_at, updated_at, "
    "version, search_title, search_labels, search_body) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

# Every word, ranked by FTS5's own BM25: the plain SQLite way to search the same index.
RAW_FTS = (
    "SELECT p.* FROM products_search f JOIN products p ON p.id = f.rowid "
    "WHERE products_search MATCH ? ORDER BY bm25(products_search, 3.0, 2.0, 1.0) LIMIT 20"
)


def app_pragmas() -> list[str]:
    """Return the PRAGMAs the app sets on every SQLite connection (catalog_api/db.py)."""
    settings = Settings(database_url="sqlite+aiosqlite:///unused.db")
    return [
        "PRAGMA journal_mode=WAL",
        f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}",
        "PRAGMA foreign_keys=ON",
        f"PRAGMA synchronous={settings.sqlite_synchronous}",
    ]


def connect(path: Path) -> sqlite3.Connection:
    """Open a file in autocommit mode with the app's PRAGMAs."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in app_pragmas():
        conn.execute(pragma)
    return conn


def _dumps(value: Any) -> str:
    """Encode a JSON column as the app does (compact, non-ASCII kept)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _rows(jsonl: Path, stamp: str) -> Iterator[tuple[Any, ...]]:
    """Yield insert tuples from the JSON Lines file, with the app's defaults and encodings."""
    with jsonl.open(encoding="utf-8") as stream:
        for line in stream:
            product = json.loads(line)
            fields = row_search_fields(product)
            yield (
                product["slug"],
                product["title"],
                product.get("description", ""),
                product["category"],
                _dumps(product.get("tags", [])),
                product["price_minor"],
                product["currency"],
                product.get("stock_quantity", 0),
                product.get("status", "draft"),
                _dumps(product.get("attributes", {})),
                _dumps(product.get("image_urls", [])),
                _dumps(product.get("seo_keywords", [])),
                stamp,
                stamp,
                1,
                fields["search_title"],
                fields["search_labels"],
                fields["search_body"],
            )


def raw_import(jsonl: Path, db: Path, batch_size: int) -> tuple[float, int]:
    """Insert the file's rows with executemany, one transaction per batch; return (s, rows).

    The schema must exist (``catalog-api migrate``), so the FTS triggers fire as in the app.
    Reading and decoding the JSON Lines is timed too: the app's import must do it as well.
    """
    started = time.perf_counter()
    conn = connect(db)
    stamp = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    total = 0
    batch: list[tuple[Any, ...]] = []
    try:
        for row in _rows(jsonl, stamp):
            batch.append(row)
            if len(batch) >= batch_size:
                _insert(conn, batch)
                total += len(batch)
                batch = []
        if batch:
            _insert(conn, batch)
            total += len(batch)
    finally:
        conn.close()
    return time.perf_counter() - started, total


def _insert(conn: sqlite3.Connection, batch: list[tuple[Any, ...]]) -> None:
    """Insert one batch in its own transaction."""
    conn.execute("BEGIN")
    try:
        conn.executemany(INSERT, batch)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def counts(db: Path) -> tuple[int, int]:
    """Return (rows in products, rows in the FTS index) of a file."""
    conn = sqlite3.connect(db)
    try:
        products = int(conn.execute("SELECT count(*) FROM products").fetchone()[0])
        fts = int(conn.execute("SELECT count(*) FROM products_search_docsize").fetchone()[0])
    finally:
        conn.close()
    return products, fts


def fts_match(query: str) -> str:
    """Return an FTS5 MATCH string of the query's index terms, each quoted (every word)."""
    return " ".join(f'"{term}"' for term in terms(query))


def raw_fts(conn: sqlite3.Connection, query: str) -> int:
    """Run the raw FTS5 top-20 query; return the number of rows."""
    return len(conn.execute(RAW_FTS, (fts_match(query),)).fetchall())


def replay(conn: sqlite3.Connection, statements: list[tuple[str, tuple[Any, ...]]]) -> int:
    """Execute captured statements and fetch every row; return the rows fetched."""
    return sum(len(conn.execute(sql, params).fetchall()) for sql, params in statements)


def like_scan(conn: sqlite3.Connection, query: str) -> int:
    """Search by LIKE '%word%' on title OR description, every word; page of 20 and total.

    The total (as the API answers) makes it scan the whole table whatever the query.
    """
    words = search_words(query)
    where = " AND ".join("(title LIKE ? OR description LIKE ?)" for _ in words)
    params = [f"%{word}%" for word in words for _ in range(2)]
    conn.execute(f"SELECT * FROM products WHERE {where} LIMIT 20", params).fetchall()  # noqa: S608
    return int(
        conn.execute(f"SELECT count(*) FROM products WHERE {where}", params).fetchone()[0]  # noqa: S608
    )
