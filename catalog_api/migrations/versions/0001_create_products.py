"""Create the products table and its full-text search index.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SQLITE_FTS = [
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

POSTGRES_SEARCH_VECTOR = """
    ALTER TABLE products ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A')
        || setweight(to_tsvector('english', category), 'B')
        || setweight(to_tsvector('english', tags), 'B')
        || setweight(to_tsvector('english', description), 'C')
    ) STORED
"""


def upgrade() -> None:
    """Create products with its indexes and the backend's search index."""
    dialect = op.get_bind().dialect.name
    json_type = JSONB() if dialect == "postgresql" else sa.JSON()
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("tags", json_type, nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("stock_quantity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attributes", json_type, nullable=False),
        sa.Column("image_urls", json_type, nullable=False),
        sa.Column("seo_keywords", json_type, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("slug", name=op.f("uq_products_slug")),
        sa.CheckConstraint("price_minor >= 0", name=op.f("ck_products_price_non_negative")),
        sa.CheckConstraint("stock_quantity >= 0", name=op.f("ck_products_stock_non_negative")),
        sa.CheckConstraint(
            "status IN ('draft', 'active', 'archived')", name=op.f("ck_products_status_valid")
        ),
    )
    op.create_index("ix_products_category", "products", ["category"])
    op.create_index("ix_products_status", "products", ["status"])
    op.create_index("ix_products_created_at_id", "products", ["created_at", "id"])
    op.create_index("ix_products_price_minor_id", "products", ["price_minor", "id"])
    op.create_index("ix_products_title_id", "products", ["title", "id"])
    if dialect == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute(POSTGRES_SEARCH_VECTOR)
        op.execute("CREATE INDEX ix_products_search_vector ON products USING gin (search_vector)")
        op.execute("CREATE INDEX ix_products_tags ON products USING gin (tags jsonb_path_ops)")
    else:
        raise NotImplementedError(f"unsupported database: {dialect}")


def downgrade() -> None:
    """Drop products and its search index."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS products_fts")
    op.drop_table("products")
