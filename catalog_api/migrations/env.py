"""Alembic environment: runs on a connection handed over by catalog_api.migrate."""

from __future__ import annotations

from alembic import context

from catalog_api.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `catalog-api migrate`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    transaction_per_migration=False,
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
