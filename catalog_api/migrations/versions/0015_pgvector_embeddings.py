"""Semantic search on PostgreSQL with pgvector: a vector column and its HNSW index.

SQLite: nothing. PostgreSQL: only where the server offers the `vector` extension
(pg_available_extensions) and this role may create it; then product_embeddings gets an
`embedding` column, halfvec(256) from pgvector 0.7 (else vector(256)), and an HNSW index by
cosine. Elsewhere nothing changes and the API searches vectors in its own process; where
pgvector is installed later, `catalog-api embed` adds the column and index (the same DDL).
The column is filled from the stored float16 bytes by the API's embedding worker at start-up
and by `catalog-api embed`. Downgrade drops the column and index, not the extension.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

logger = logging.getLogger(__name__)


def upgrade() -> None:
    """Add the pgvector column and index where the extension can be created."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    available = bind.scalar(
        sa.text("SELECT default_version FROM pg_available_extensions WHERE name = 'vector'")
    )
    if available is None:
        return
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
    except sa.exc.DBAPIError:
        logger.warning("pgvector is available but this role cannot create it; not used")
        return
    version = str(
        bind.scalar(sa.text("SELECT extversion FROM pg_extension WHERE extname = 'vector'"))
    )
    numbers = tuple(int(part) for part in version.split(".")[:2] if part.isdigit())
    kind = "halfvec" if numbers >= (0, 7) else "vector"
    op.execute(f"ALTER TABLE product_embeddings ADD COLUMN IF NOT EXISTS embedding {kind}(256)")
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_product_embeddings_embedding_hnsw ON product_embeddings "
        f"USING hnsw (embedding {kind}_cosine_ops)"
    )


def downgrade() -> None:
    """Drop the pgvector index and column (the extension stays installed)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_product_embeddings_embedding_hnsw")
    op.execute("ALTER TABLE product_embeddings DROP COLUMN IF EXISTS embedding")
