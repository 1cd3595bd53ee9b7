"""Search finds SKUs, brands and option values.

lower(sku) is indexed on both engines: a search whose whole query is a SKU, in any case,
finds its product with one index probe (SKUs are ASCII, so both engines' lower() agree).
The search labels now hold the brand and the option values as well; the products that have
either (written since 0007) are analysed again here, in batches, and the search indexes
follow (FTS5 triggers on SQLite, the generated tsvector on PostgreSQL). Products with neither
are unchanged and not rewritten.

Downgrade drops the index; the labels keep the extra words (the old code reads them as any
other label words).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
import logging
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")
_BATCH = 2000
_SELECT = (
    "SELECT id, category, tags, attributes, brand, options FROM products "
    "WHERE id > :after AND (brand IS NOT NULL OR {has_options}) ORDER BY id LIMIT :batch"
)
_HAS_OPTIONS = {
    "postgresql": "jsonb_array_length(options) > 0",
    "sqlite": "json_array_length(options) > 0",
}


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _relabel(bind: sa.Connection) -> None:
    from catalog_api.search.documents import search_part

    select = sa.text(_SELECT.format(has_options=_HAS_OPTIONS[bind.dialect.name]))
    update = sa.text("UPDATE products SET search_labels = :labels WHERE id = :id")
    after, done = 0, 0
    while True:
        rows = bind.execute(select, {"after": after, "batch": _BATCH}).mappings().all()
        if not rows:
            break
        params = [
            {
                "id": row["id"],
                "labels": search_part(
                    "labels",
                    {
                        **row,
                        "tags": _json(row["tags"]),
                        "attributes": _json(row["attributes"]),
                        "options": _json(row["options"]),
                    },
                ),
            }
            for row in rows
        ]
        bind.execute(update, params)
        after = rows[-1]["id"]
        done += len(rows)
        if done % (_BATCH * 25) == 0:
            logger.info("analysed the labels of %d products with brands or options", done)


def upgrade() -> None:
    """Index lower(sku) and analyse again the labels of products with a brand or options."""
    op.execute("CREATE INDEX ix_product_variants_lower_sku ON product_variants (lower(sku))")
    _relabel(op.get_bind())


def downgrade() -> None:
    """Drop the SKU index."""
    op.execute("DROP INDEX ix_product_variants_lower_sku")
