"""The digest of the import row each product was last written from, forgotten on any change.

A feed sent again is mostly rows exactly as they were: a row whose digest equals the one kept
for its product is unchanged without reading and comparing the stored product. The importer
keeps a digest once its write of the row is done, in the same transaction; triggers forget it
on any other write to the product or its variants, so a kept digest always describes the
product as it is. A table of its own: writing a digest does not rewrite the product's row (on
PostgreSQL, with its generated search vector and indexes).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_TABLE = "product_source_digests"
_FORGET = "DELETE FROM product_source_digests WHERE product_id = "
_SQLITE_TRIGGERS = {
    "product_source_digests_product_update": f"AFTER UPDATE ON products BEGIN {_FORGET}new.id;",
    # Besides the foreign key's cascade: a connection without PRAGMA foreign_keys.
    "product_source_digests_product_delete": f"AFTER DELETE ON products BEGIN {_FORGET}old.id;",
    "product_source_digests_variant_insert": (
        f"AFTER INSERT ON product_variants BEGIN {_FORGET}new.product_id;"
    ),
    "product_source_digests_variant_update": (
        f"AFTER UPDATE ON product_variants BEGIN {_FORGET}new.product_id; {_FORGET}old.product_id;"
    ),
    "product_source_digests_variant_delete": (
        f"AFTER DELETE ON product_variants BEGIN {_FORGET}old.product_id;"
    ),
}
# PostgreSQL: once per statement, over the rows it changed (a COPY of a million variants
# runs it once).
_PG_FUNCTIONS = {
    "forget_product_source_digests": (
        "DELETE FROM product_source_digests WHERE product_id IN (SELECT id FROM changed)"
    ),
    "forget_variant_source_digests": (
        "DELETE FROM product_source_digests WHERE product_id IN (SELECT product_id FROM changed)"
    ),
}
_PG_TRIGGERS = (
    ("product_source_digests_product_update", "UPDATE", "products", "NEW", "product"),
    ("product_source_digests_variant_insert", "INSERT", "product_variants", "NEW", "variant"),
    ("product_source_digests_variant_update", "UPDATE", "product_variants", "NEW", "variant"),
    ("product_source_digests_variant_delete", "DELETE", "product_variants", "OLD", "variant"),
)


def upgrade() -> None:
    """Create the table and the triggers that forget a digest when its product changes."""
    op.create_table(
        _TABLE,
        sa.Column(
            "product_id",
            sa.Integer,
            sa.ForeignKey("products.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("digest", sa.LargeBinary(16), nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        for name, body in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body} END")
        return
    for name, statement in _PG_FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {statement}; RETURN NULL; END $$"
        )
    for name, event, table, side, kind in _PG_TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} "
            f"REFERENCING {side} TABLE AS changed FOR EACH STATEMENT "
            f"EXECUTE FUNCTION forget_{kind}_source_digests()"
        )


def downgrade() -> None:
    """Drop the triggers and the table."""
    if op.get_bind().dialect.name == "sqlite":
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for name, _, table, _, _ in _PG_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for name in _PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_table(_TABLE)
