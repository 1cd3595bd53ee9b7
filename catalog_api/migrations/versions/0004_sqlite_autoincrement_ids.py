"""SQLite: never hand out a product id again once it was used (AUTOINCREMENT).

Without AUTOINCREMENT SQLite gives a new row max(id) + 1, so deleting the newest product and
creating another reuses its id, and with it its ETag "<id>.<version>": a stale If-Match meant
for the deleted product then matches the new one. SQLite cannot add AUTOINCREMENT to a
table, so this rebuilds products the documented way (new table, copy, drop, rename, then its
indexes and full-text triggers again), keeping every row and its id. The FTS5 index is
external content keyed by id, so it stays valid as it is.

The sequence starts at the highest id this database still knows of: the products' own, and
the ids in unexpired idempotency records (a product created under a key and since deleted).
An id above those that was deleted before this migration left no trace and may be used again
once; every id used after it, never. PostgreSQL's serial sequence never reuses ids: no change.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = """
    slug VARCHAR(120) NOT NULL,
    title VARCHAR(200) NOT NULL,
    description TEXT NOT NULL,
    category VARCHAR(100) NOT NULL,
    tags JSON NOT NULL,
    price_minor BIGINT NOT NULL,
    currency VARCHAR(3) NOT NULL,
    stock_quantity INTEGER NOT NULL,
    status VARCHAR(16) NOT NULL,
    attributes JSON NOT NULL,
    image_urls JSON NOT NULL,
    seo_keywords JSON NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    version INTEGER NOT NULL,
    CONSTRAINT uq_products_slug UNIQUE (slug),
    CONSTRAINT ck_products_price_non_negative CHECK (price_minor >= 0),
    CONSTRAINT ck_products_stock_non_negative CHECK (stock_quantity >= 0),
    CONSTRAINT ck_products_status_valid CHECK (status IN ('draft', 'active', 'archived'))
"""
AUTOINCREMENT_ID = "id INTEGER NOT NULL CONSTRAINT pk_products PRIMARY KEY AUTOINCREMENT,"
REUSABLE_ID = "id INTEGER NOT NULL,"
REUSABLE_KEY = ",\n    CONSTRAINT pk_products PRIMARY KEY (id)"

NAMES = (
    "id, slug, title, description, category, tags, price_minor, currency, stock_quantity, "
    "status, attributes, image_urls, seo_keywords, created_at, updated_at, version"
)

INDEXES = [
    "CREATE INDEX ix_products_category ON products (category)",
    "CREATE INDEX ix_products_status ON products (status)",
    "CREATE INDEX ix_products_created_at_id ON products (created_at, id)",
    "CREATE INDEX ix_products_price_minor_id ON products (price_minor, id)",
    "CREATE INDEX ix_products_title_id ON products (title, id)",
]

# The same triggers as migration 0001: dropping the old table dropped them.
FTS_TRIGGERS = [
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

HIGHEST_KNOWN_ID = """
    SELECT max(
        coalesce((SELECT max(id) FROM products), 0),
        coalesce((SELECT max(CAST(json_extract(body, '$.id') AS INTEGER)) FROM idempotency_keys
                  WHERE json_valid(body)), 0)
    )
"""


def _rebuild(id_column: str, key_constraint: str) -> None:
    """Rebuild products with another id column, keeping rows, indexes and FTS triggers."""
    op.execute(f"CREATE TABLE products_rebuilt ({id_column}{COLUMNS}{key_constraint})")
    op.execute(f"INSERT INTO products_rebuilt ({NAMES}) SELECT {NAMES} FROM products")  # noqa: S608 - fixed names
    op.execute("DROP TABLE products")
    op.execute("ALTER TABLE products_rebuilt RENAME TO products")
    for statement in (*INDEXES, *FTS_TRIGGERS):
        op.execute(statement)


def upgrade() -> None:
    """Rebuild SQLite's products with AUTOINCREMENT ids and seed its sequence."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    _rebuild(AUTOINCREMENT_ID, "")
    highest = int(bind.execute(text(HIGHEST_KNOWN_ID)).scalar_one())
    op.execute("DELETE FROM sqlite_sequence WHERE name = 'products'")
    bind.execute(
        text("INSERT INTO sqlite_sequence (name, seq) VALUES ('products', :highest)"),
        {"highest": highest},
    )


def downgrade() -> None:
    """Rebuild SQLite's products without AUTOINCREMENT (ids may be reused again)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    _rebuild(REUSABLE_ID, REUSABLE_KEY)
    op.execute("DELETE FROM sqlite_sequence WHERE name = 'products'")
