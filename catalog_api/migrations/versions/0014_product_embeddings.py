"""Semantic search (issue 15): product_embeddings, one vector per product.

The vector is float16 bytes (BLOB on SQLite, BYTEA on PostgreSQL), read into the process's
own vector index; the table references products ON DELETE CASCADE (SQLite runs with
foreign_keys=ON). A later migration that rebuilds products on SQLite must keep that in mind.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create product_embeddings."""
    op.create_table(
        "product_embeddings",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("text_hash", sa.String(32), nullable=False),
        sa.Column("product_version", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("embedded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_product_embeddings")),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_embeddings_product_id_products"),
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_product_embeddings_embedded_at", "product_embeddings", ["embedded_at"])


def downgrade() -> None:
    """Drop product_embeddings."""
    op.drop_table("product_embeddings")
