"""Change history: product_changes, one row per change to one product.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create product_changes and its indexes."""
    document = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    op.create_table(
        "product_changes",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("xid", sa.BigInteger(), nullable=False),
        sa.Column("changes", document, nullable=False),
        sa.Column("reverts", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_changes")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_product_changes_product_id_id", "product_changes", ["product_id", "id"])
    op.create_index("ix_product_changes_xid_id", "product_changes", ["xid", "id"])
    op.create_index("ix_product_changes_actor_action", "product_changes", ["actor", "action"])
    op.create_index("ix_product_changes_at", "product_changes", ["at"])


def downgrade() -> None:
    """Drop product_changes."""
    op.drop_table("product_changes")
