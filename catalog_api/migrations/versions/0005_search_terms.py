"""Search reads analysed terms: title, labels and body columns, indexed the same on both engines.

Each product gets three text columns of terms made by catalog_api/search/analyzer.py (folded,
stemmed, numbers and units in one spelling: '1/2"' and '0.5 inch' are both '1f2 inch'). SQLite
indexes them with FTS5 (products_search, and products_title_search for titles alone, kept in
step by triggers); PostgreSQL with a
generated tsvector of the 'simple' configuration (weights A, B, C) and a title-only GIN index.
Both engines then hold exactly the same terms. Existing rows are analysed here, in batches.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import json
import logging
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")
_BATCH = 2000
COLUMNS = ("search_title", "search_labels", "search_body")

SQLITE_SEARCH = [
    """CREATE VIRTUAL TABLE products_search USING fts5(
        search_title, search_labels, search_body, content='products', content_rowid='id',
        tokenize='unicode61 remove_diacritics 0')""",
    """CREATE TRIGGER products_search_insert AFTER INSERT ON products BEGIN
        INSERT INTO products_search(rowid, search_title, search_labels, search_body)
        VALUES (new.id, new.search_title, new.search_labels, new.search_body);
    END""",
    """CREATE TRIGGER products_search_delete AFTER DELETE ON products BEGIN
        INSERT INTO products_search(products_search, rowid, search_title, search_labels,
            search_body)
        VALUES ('delete', old.id, old.search_title, old.search_labels, old.search_body);
    END""",
    """CREATE TRIGGER products_search_update
        AFTER UPDATE OF search_title, search_labels, search_body ON products BEGIN
        INSERT INTO products_search(products_search, rowid, search_title, search_labels,
            search_body)
        VALUES ('delete', old.id, old.search_title, old.search_labels, old.search_body);
        INSERT INTO products_search(rowid, search_title, search_labels, search_body)
        VALUES (new.id, new.search_title, new.search_labels, new.search_body);
    END""",
    # Titles alone: a word common in descriptions but rare in titles ('gift', 'a') is found
    # in titles without reading all its description postings.
    """CREATE VIRTUAL TABLE products_title_search USING fts5(
        search_title, content='products', content_rowid='id',
        tokenize='unicode61 remove_diacritics 0')""",
    """CREATE TRIGGER products_title_search_insert AFTER INSERT ON products BEGIN
        INSERT INTO products_title_search(rowid, search_title) VALUES (new.id, new.search_title);
    END""",
    """CREATE TRIGGER products_title_search_delete AFTER DELETE ON products BEGIN
        INSERT INTO products_title_search(products_title_search, rowid, search_title)
        VALUES ('delete', old.id, old.search_title);
    END""",
    """CREATE TRIGGER products_title_search_update AFTER UPDATE OF search_title ON products BEGIN
        INSERT INTO products_title_search(products_title_search, rowid, search_title)
        VALUES ('delete', old.id, old.search_title);
        INSERT INTO products_title_search(rowid, search_title) VALUES (new.id, new.search_title);
    END""",
]
SQLITE_TRIGGERS = [
    "products_search_insert",
    "products_search_delete",
    "products_search_update",
    "products_title_search_insert",
    "products_title_search_delete",
    "products_title_search_update",
]
SQLITE_OLD_FTS = ["products_fts_insert", "products_fts_delete", "products_fts_update"]

POSTGRES_VECTOR = """
    ALTER TABLE products ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', search_title), 'A')
        || setweight(to_tsvector('simple', search_labels), 'B')
        || setweight(to_tsvector('simple', search_body), 'C')
    ) STORED
"""
POSTGRES_TITLE_INDEX = (
    "CREATE INDEX ix_products_search_title ON products "
    "USING gin (to_tsvector('simple'::regconfig, search_title))"
)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _backfill(bind: sa.Connection) -> None:
    from catalog_api.search.documents import row_search_fields

    select = sa.text(
        "SELECT id, title, category, tags, description, attributes FROM products "
        "WHERE id > :after ORDER BY id LIMIT :batch"
    )
    update = sa.text(
        "UPDATE products SET search_title = :search_title, search_labels = :search_labels, "
        "search_body = :search_body WHERE id = :id"
    )
    after, done = 0, 0
    while True:
        rows = bind.execute(select, {"after": after, "batch": _BATCH}).mappings().all()
        if not rows:
            break
        params = []
        for row in rows:
            fields = row_search_fields(
                {**row, "tags": _json(row["tags"]), "attributes": _json(row["attributes"])}
            )
            params.append({"id": row["id"], **fields})
        bind.execute(update, params)
        after = rows[-1]["id"]
        done += len(rows)
        if done % (_BATCH * 25) == 0:
            logger.info("analysed %d products for search", done)


def upgrade() -> None:
    """Add the term columns, analyse every product, and index the terms."""
    bind = op.get_bind()
    dialect = bind.dialect.name
    if dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_products_search_vector")
        op.execute("ALTER TABLE products DROP COLUMN IF EXISTS search_vector")
    else:
        for trigger in SQLITE_OLD_FTS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS products_fts")
    for name in COLUMNS:
        op.add_column("products", sa.Column(name, sa.Text(), nullable=False, server_default=""))
    _backfill(bind)
    if dialect == "postgresql":
        op.execute(POSTGRES_VECTOR)
        op.execute("CREATE INDEX ix_products_search_vector ON products USING gin (search_vector)")
        op.execute(POSTGRES_TITLE_INDEX)
    else:
        for statement in SQLITE_SEARCH:
            op.execute(statement)
        op.execute("INSERT INTO products_search(products_search) VALUES ('rebuild')")
        op.execute("INSERT INTO products_title_search(products_title_search) VALUES ('rebuild')")


OLD_SQLITE_FTS = [
    """CREATE VIRTUAL TABLE products_fts USING fts5(
        title, description, tags, category, content='products', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
        INSERT INTO products_fts(rowid, title, description, tags, category)
        VALUES (new.id, new.title, new.description, new.tags, new.category);
    END""",
    """CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN
        INSERT INTO products_fts(products_fts, rowid, title, description, tags, category)
        VALUES ('delete', old.id, old.title, old.description, old.tags, old.category);
    END""",
    """CREATE TRIGGER products_fts_update
        AFTER UPDATE OF title, description, tags, category ON products BEGIN
        INSERT INTO products_fts(products_fts, rowid, title, description, tags, category)
        VALUES ('delete', old.id, old.title, old.description, old.tags, old.category);
        INSERT INTO products_fts(rowid, title, description, tags, category)
        VALUES (new.id, new.title, new.description, new.tags, new.category);
    END""",
]
_SPACED = "translate({}::text, '<>&/.@_:', '        ')"
OLD_POSTGRES_VECTOR = f"""
    ALTER TABLE products ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', {_SPACED.format("title")}), 'A')
        || setweight(to_tsvector('english', {_SPACED.format("category")}), 'B')
        || setweight(to_tsvector('english', {_SPACED.format("tags")}), 'B')
        || setweight(to_tsvector('english', {_SPACED.format("description")}), 'C')
    ) STORED
"""


def downgrade() -> None:
    """Drop the term columns and restore the search index of migration 0003."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_products_search_title")
        op.execute("DROP INDEX IF EXISTS ix_products_search_vector")
        op.execute("ALTER TABLE products DROP COLUMN search_vector")
        for name in COLUMNS:
            op.drop_column("products", name)
        op.execute(OLD_POSTGRES_VECTOR)
        op.execute("CREATE INDEX ix_products_search_vector ON products USING gin (search_vector)")
        return
    for trigger in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS products_search")
    op.execute("DROP TABLE IF EXISTS products_title_search")
    for name in COLUMNS:
        op.drop_column("products", name)
    for statement in OLD_SQLITE_FTS:
        op.execute(statement)
    op.execute("INSERT INTO products_fts(products_fts) VALUES ('rebuild')")
