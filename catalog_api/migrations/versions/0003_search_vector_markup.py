"""PostgreSQL: index the words inside markup, paths, hosts and emails instead of hiding them.

PostgreSQL's text parser reads '<usb>' as a tag, '&amp;' as an entity, 'amazon.com' as a
host and '/catalog-data' as a file, and indexes no word of them ('amazon' finds nothing),
while SQLite's FTS5 and the query splitter see plain words; those characters now become
spaces before parsing.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _vector(wrap: str) -> str:
    return f"""
        setweight(to_tsvector('english', {wrap.format("title")}), 'A')
        || setweight(to_tsvector('english', {wrap.format("category")}), 'B')
        || setweight(to_tsvector('english', {wrap.format("tags")}), 'B')
        || setweight(to_tsvector('english', {wrap.format("description")}), 'C')
    """


# Every character here starts a special token (tag, entity, file path, host, email, URL) that
# would hide the words in it; search queries split on all of them.
MARKUP_AS_SPACES = "translate({}::text, '<>&/.@_:', '        ')"


def _rebuild(vector: str) -> None:
    op.execute("DROP INDEX ix_products_search_vector")
    op.execute("ALTER TABLE products DROP COLUMN search_vector")
    op.execute(
        f"ALTER TABLE products ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({vector}) "
        "STORED"
    )
    op.execute("CREATE INDEX ix_products_search_vector ON products USING gin (search_vector)")


def upgrade() -> None:
    """Rebuild the generated search vector with markup characters as spaces (PostgreSQL only)."""
    if op.get_bind().dialect.name == "postgresql":
        _rebuild(_vector(MARKUP_AS_SPACES))


def downgrade() -> None:
    """Rebuild the search vector as migration 0001 made it."""
    if op.get_bind().dialect.name == "postgresql":
        _rebuild(_vector("{}"))
