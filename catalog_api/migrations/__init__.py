"""Alembic migrations of the catalog schema."""
