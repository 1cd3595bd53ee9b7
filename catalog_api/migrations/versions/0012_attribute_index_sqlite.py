"""SQLite indexes of the attributes map (product_attribute_values) and of in-stock prices.

SQLite cannot index a JSON map's entries, so attr.key=value read every candidate row's
attributes (json_each). This table holds one row per (key, value, product) keyed by exactly
that, WITHOUT ROWID (the key is the table), with (product_id) for a probe per product.
Triggers on products keep it (insert, update of attributes, delete): every writer, the
ORM, the importer's executemany and direct SQL alike, maintains it with nothing to call.
A later migration that rebuilds products on SQLite (as 0004 did) drops these triggers with
the table and must create them again.

A partial index of in-stock variants by price, (price_minor, product_id) WHERE
stock_quantity > 0, lets in_stock=true&min_price=X start from the variants so priced when
they are few, instead of probing every in-stock product's variants.

PostgreSQL keeps its GIN index over products.attributes (0009) and plans by its statistics
(the price probes cost ~0.1 s at 50k there): nothing here.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_FILL = (
    "INSERT INTO product_attribute_values (key, value, product_id) "
    "SELECT DISTINCT each.key, each.value, new.id FROM json_each(new.attributes) AS each "
    "WHERE each.type = 'text'; "
)
_STATEMENTS = (
    "CREATE TABLE product_attribute_values ("
    "key TEXT NOT NULL, value TEXT NOT NULL, product_id INTEGER NOT NULL, "
    "CONSTRAINT pk_product_attribute_values PRIMARY KEY (key, value, product_id)"
    ") WITHOUT ROWID",
    "CREATE INDEX ix_product_attribute_values_product_id ON product_attribute_values (product_id)",
    "CREATE TRIGGER products_attribute_values_insert AFTER INSERT ON products BEGIN "
    + _FILL
    + "END",
    "CREATE TRIGGER products_attribute_values_update AFTER UPDATE OF attributes ON products "  # noqa: S608 - fixed SQL
    "BEGIN DELETE FROM product_attribute_values WHERE product_id = old.id; " + _FILL + "END",
    "CREATE TRIGGER products_attribute_values_delete AFTER DELETE ON products BEGIN "
    "DELETE FROM product_attribute_values WHERE product_id = old.id; END",
    "CREATE INDEX ix_product_variants_in_stock_price ON product_variants "
    "(price_minor, product_id) WHERE stock_quantity > 0",
    "INSERT INTO product_attribute_values (key, value, product_id) "
    "SELECT DISTINCT each.key, each.value, products.id "
    "FROM products, json_each(products.attributes) AS each WHERE each.type = 'text'",
)


def upgrade() -> None:
    """Create and fill the attribute index, and its triggers, on SQLite."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in _STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    """Drop the triggers and the table on SQLite."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER products_attribute_values_{trigger}")
    op.execute("DROP TABLE product_attribute_values")
    op.execute("DROP INDEX ix_product_variants_in_stock_price")
