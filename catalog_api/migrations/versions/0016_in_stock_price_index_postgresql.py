"""PostgreSQL: the partial index of in-stock variants by price that SQLite has since 0012.

in_stock=true&min_price=X counts (and pages) from the variants priced within the bounds.
Without this index PostgreSQL reads each such variant's heap row for its stock: 11,760 heap
blocks for the 43,449 variants priced 90,000 or more at 1M products. With it the bounded
count reads the index alone once the table is vacuumed.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_INDEX = "ix_product_variants_in_stock_price"


def upgrade() -> None:
    """Create the partial index on PostgreSQL (SQLite has it from 0012)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"CREATE INDEX IF NOT EXISTS {_INDEX} ON product_variants "
        "(price_minor, product_id) WHERE stock_quantity > 0"
    )


def downgrade() -> None:
    """Drop it on PostgreSQL."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP INDEX IF EXISTS {_INDEX}")
