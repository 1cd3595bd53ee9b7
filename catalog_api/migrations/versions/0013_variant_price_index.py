"""An index of variants by price, (price_minor, product_id), on both engines.

sort=price with a common option value (option.size=10, a third of the products) grouped
every matching product's variants before the first page: seconds at 1M products. With this
index the page walks the variants in price order and keeps each product's lowest matching
one, stopping at the page's end (catalog_api/variants/price_walk.py).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the index."""
    op.create_index(
        "ix_product_variants_price_minor_product_id",
        "product_variants",
        ["price_minor", "product_id"],
    )


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_product_variants_price_minor_product_id", table_name="product_variants")
