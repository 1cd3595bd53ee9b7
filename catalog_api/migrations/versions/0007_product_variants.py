"""Variants, options and brands: every existing product becomes one with one default variant.

products gains `brand` (optional) and `options` (ordered names with their values; empty for a
simple product). `product_variants` holds each sellable version (SKU unique across the
catalog, option values, price, compare-at price, stock, barcode, weight, position);
`variant_option_values` holds their option values casefolded, one row per option, keyed for
filters (catalog_api/variants/models.py says why). products.price_minor and
products.stock_quantity stay, derived from the variants (lowest price, total stock), so every
index and query over products works as before.

Each product gets one default variant with its price and stock, position 0, no option
values, and its slug as SKU (slugs are unique, and no SKU existed before). One INSERT ...
SELECT copies them all, then the indexes are built over the filled table.

product_variants references products ON DELETE CASCADE, and the app runs SQLite with
foreign_keys=ON: a later migration that rebuilds products on SQLite (drop and rename, as 0004
did) would delete every variant with it, so it must keep the variants aside or run with
foreign keys off.

Downgrade drops the variant tables and the new columns: products keep the lowest price and
the total stock; the variants' own prices, stocks and SKUs are lost.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COPY_DEFAULT_VARIANTS = """
    INSERT INTO product_variants (
        product_id, sku, position, option_values, price_minor, compare_at_price_minor,
        stock_quantity, barcode, weight_grams, created_at, updated_at, version
    )
    SELECT id, slug, 0, {empty_object}, price_minor, NULL, stock_quantity, NULL, NULL,
        created_at, updated_at, 1
    FROM products ORDER BY id
"""


def upgrade() -> None:
    """Add brand and options, create the variant tables and one default variant per product."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    document = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
    timestamp = sa.DateTime(timezone=True)
    empty_list = sa.text("'[]'::jsonb") if postgresql else sa.text("'[]'")
    op.add_column("products", sa.Column("brand", sa.String(100), nullable=True))
    op.add_column(
        "products", sa.Column("options", document, nullable=False, server_default=empty_list)
    )
    op.create_table(
        "product_variants",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("option_values", document, nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("compare_at_price_minor", sa.BigInteger(), nullable=True),
        sa.Column("stock_quantity", sa.Integer(), nullable=False),
        sa.Column("barcode", sa.String(14), nullable=True),
        sa.Column("weight_grams", sa.Integer(), nullable=True),
        sa.Column("created_at", timestamp, nullable=False),
        sa.Column("updated_at", timestamp, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_variants")),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_variants_product_id_products"),
            ondelete="CASCADE",
        ),
        sqlite_autoincrement=True,
    )
    empty_object = "'{}'::jsonb" if postgresql else "'{}'"
    op.execute(COPY_DEFAULT_VARIANTS.format(empty_object=empty_object))
    op.create_index("ix_product_variants_sku", "product_variants", ["sku"], unique=True)
    op.create_index(
        "ix_product_variants_product_id_position", "product_variants", ["product_id", "position"]
    )
    op.create_table(
        "variant_option_values",
        sa.Column("name", sa.String(150), nullable=False),
        sa.Column("value", sa.String(300), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "name", "value", "variant_id", name=op.f("pk_variant_option_values")
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["product_variants.id"],
            name=op.f("fk_variant_option_values_variant_id_product_variants"),
            ondelete="CASCADE",
        ),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_variant_option_values_product_id_name_value",
        "variant_option_values",
        ["product_id", "name", "value"],
    )
    op.create_index("ix_variant_option_values_variant_id", "variant_option_values", ["variant_id"])


def downgrade() -> None:
    """Drop the variant tables and the new product columns (products keep derived values)."""
    op.drop_table("variant_option_values")
    op.drop_table("product_variants")
    op.drop_column("products", "options")
    op.drop_column("products", "brand")
