"""References on SQLite with the stdlib sqlite3 module: raw bulk insert and raw queries."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from catalog_api.config import Settings
from catalog_api.search.analyzer import terms
from catalog_api.search.documents import row_search_fields
from catalog_api.text import search_words

# The columns of product_rows' tuples; brand (None) and options ([]) keep their defaults.
INSERT_COLUMNS = (
    "slug", "title", "description", "category", "tags", "price_minor", "currency",
    "stock_quantity", "status", "attributes", "image_urls", "seo_keywords", "created_at",
    "updated_at", "version", "search_title", "search_labels", "search_body",
)  # fmt: skip
INSERT = (
    f"INSERT INTO products ({', '.join(INSERT_COLUMNS)}) "  # noqa: S608 - constant names
    f"VALUES ({', '.join('?' for _ in INSERT_COLUMNS)})"
)

# What a raw row must share with the app's row (ids and times may differ).
COMPARED = (
    "slug", "title", "description", "category", "tags", "price_minor", "currency",
    "stock_quantity", "status", "attributes", "image_urls", "seo_keywords", "version",
    "search_title", "search_labels", "search_body", "brand", "options",
)  # fmt: skip
JSON_COLUMNS = {"tags", "attributes", "image_urls", "seo_keywords", "options"}

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


def product_rows(jsonl: Path, stamp: object) -> Iterator[tuple[Any, ...]]:
    """Yield INSERT_COLUMNS tuples from the JSON Lines file, the app's defaults and encodings.

    JSON columns come as compact JSON text; stamp is created_at and updated_at.
    """
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


@dataclass(frozen=True)
class RawImport:
    """What one raw import took: total seconds, rows inserted, and the seconds of FTS5 rebuilds."""

    seconds: float
    rows: int
    rebuild_seconds: float = 0.0


def product_triggers(db: Path) -> list[str]:
    """Return the names of the triggers on products."""
    conn = sqlite3.connect(db)
    try:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'products'"
        return sorted(str(name) for (name,) in conn.execute(query))
    finally:
        conn.close()


def drop_product_triggers(db: Path) -> list[str]:
    """Drop every trigger on products (FTS5 and attribute-value ones); return their names."""
    names = product_triggers(db)
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        for name in names:
            conn.execute(f'DROP TRIGGER "{name}"')
    finally:
        conn.close()
    return names


def product_fts_indexes(db: Path) -> list[str]:
    """Return the FTS5 tables whose content is the products table."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE '%fts5%'"
        ).fetchall()
    finally:
        conn.close()
    return sorted(str(name) for name, sql in rows if "content='products'" in str(sql))


def raw_import(jsonl: Path, db: Path, batch_size: int, rebuild: Sequence[str] = ()) -> RawImport:
    """Insert the file's rows with executemany, one transaction per batch, then rebuild.

    The schema must exist (``catalog-api migrate``). Reading and decoding the JSON Lines and
    the search fields are timed too: the app's import must do them as well. Each FTS5 table
    in rebuild then gets one ``INSERT INTO t(t) VALUES('rebuild')``, timed in the total: with
    the triggers dropped, that is how the index gets the rows.
    """
    started = time.perf_counter()
    conn = connect(db)
    stamp = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    total = 0
    batch: list[tuple[Any, ...]] = []
    try:
        for row in product_rows(jsonl, stamp):
            batch.append(row)
            if len(batch) >= batch_size:
                _insert(conn, batch)
                total += len(batch)
                batch = []
        if batch:
            _insert(conn, batch)
            total += len(batch)
        rebuild_started = time.perf_counter()
        for table in rebuild:
            conn.execute(f"INSERT INTO {table}({table}) VALUES('rebuild')")
        rebuild_seconds = time.perf_counter() - rebuild_started
    finally:
        conn.close()
    return RawImport(time.perf_counter() - started, total, rebuild_seconds)


def _insert(conn: sqlite3.Connection, batch: list[tuple[Any, ...]]) -> None:
    """Insert one batch in its own transaction."""
    conn.execute("BEGIN")
    try:
        conn.executemany(INSERT, batch)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def counts(db: Path) -> dict[str, int]:
    """Return the rows of products and of each FTS5 index over it (its docsize rows)."""
    indexes = product_fts_indexes(db)
    conn = sqlite3.connect(db)
    try:
        found = {"products": int(conn.execute("SELECT count(*) FROM products").fetchone()[0])}
        for name in indexes:
            sql = f"SELECT count(*) FROM {name}_docsize"  # noqa: S608 - names from sqlite_master
            found[name] = int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()
    return found


def _comparable(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[str, tuple[Any, ...]]:
    """Return the compared columns of the products with these ids, JSON decoded, by slug."""
    marks = ", ".join("?" for _ in ids)
    sql = f"SELECT {', '.join(COMPARED)} FROM products WHERE id IN ({marks})"  # noqa: S608
    found: dict[str, tuple[Any, ...]] = {}
    for row in conn.execute(sql, list(ids)):
        values = tuple(
            json.loads(value) if name in JSON_COLUMNS else value
            for name, value in zip(COMPARED, row, strict=True)
        )
        found[str(row[0])] = values
    return found


def differing_rows(app_db: Path, raw_db: Path, sample: int = 1000) -> tuple[int, list[str]]:
    """Compare up to sample products (evenly spread ids) by slug; return (compared, slugs off)."""
    with sqlite3.connect(app_db) as app, sqlite3.connect(raw_db) as raw:
        top = int(app.execute("SELECT coalesce(max(id), 0) FROM products").fetchone()[0])
        step = max(1, top // sample)
        app_rows = _comparable(app, range(1, top + 1, step))
        marks = ", ".join("?" for _ in app_rows)
        raw_ids = [
            int(row_id)
            for (row_id,) in raw.execute(
                f"SELECT id FROM products WHERE slug IN ({marks})",  # noqa: S608
                list(app_rows),
            )
        ]
        raw_rows = _comparable(raw, raw_ids)
    return len(app_rows), sorted(slug for slug in app_rows if raw_rows.get(slug) != app_rows[slug])


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
