"""Indexes for the brand, attribute and option filters of list and search.

lower(brand) on both engines: brand=... is lower(brand) = lower(:brand), one index range.
On PostgreSQL a GIN index (jsonb_path_ops) over products.attributes answers attr.key=value
as containment, as ix_products_tags does for tags; SQLite cannot index a JSON map's entries,
so there the attribute filter reads the rows the other conditions leave
(catalog_api/variants/filters.py says what that costs). Option filters need nothing new:
variant_option_values' key (name, value, variant_id) is their index (migration 0007).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Index lower(brand), and attributes on PostgreSQL."""
    op.execute("CREATE INDEX ix_products_lower_brand ON products (lower(brand))")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_products_attributes ON products USING gin (attributes jsonb_path_ops)"
        )


def downgrade() -> None:
    """Drop the filter indexes."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_products_attributes")
    op.execute("DROP INDEX ix_products_lower_brand")
