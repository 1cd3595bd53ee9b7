"""Start-up, schema management and the OpenAPI description."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from catalog_api.app import SchemaOutOfDateError, create_app
from catalog_api.config import Settings
from catalog_api.migrate import alembic_head_revision, head_revision
from catalog_api.migrations import versions


async def test_embedded_sqlite_upgrades_itself_on_start(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "catalog.db"
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{path}"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/api/products")).json()["total"] == 0
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        version = connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        assert version == head_revision() == "0018"


def test_the_head_read_from_file_names_is_alembic_s_own() -> None:
    assert head_revision() == alembic_head_revision()
    for path in Path(versions.__file__).parent.glob("0*.py"):
        revision = path.read_text(encoding="utf-8").split('\nrevision = "', 1)[1][:4]
        assert path.name.startswith(f"{revision}_"), f"{path.name} holds revision {revision}"


async def test_sqlite_connections_have_the_pragmas(app: object) -> None:
    engine = app.state.engine  # type: ignore[attr-defined]
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    async with engine.connect() as connection:
        assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await connection.execute(text("PRAGMA busy_timeout"))).scalar() == 10_000
        assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"


def test_postgres_refuses_to_start_on_an_old_schema(postgres_url: str) -> None:
    admin = make_url(postgres_url)
    name = f"catalog_empty_{uuid.uuid4().hex[:8]}"

    async def run() -> None:
        engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = admin.set(database=name).render_as_string(hide_password=False)
            app = create_app(Settings(database_url=url))
            with pytest.raises(SchemaOutOfDateError, match="catalog-api migrate"):
                async with app.router.lifespan_context(app):
                    pass
        finally:
            async with engine.connect() as connection:
                await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            await engine.dispose()

    asyncio.run(run())


def test_openapi_describes_every_field_and_error() -> None:
    schema = create_app(Settings(database_url="sqlite+aiosqlite:///unused.db")).openapi()
    for name, model in schema["components"]["schemas"].items():
        if name in {"HTTPValidationError", "ValidationError"}:
            continue
        for field, spec in model.get("properties", {}).items():
            assert spec.get("description"), f"{name}.{field} has no description"
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("description") or operation.get("summary"), (method, path)
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert "application/problem+json" in response["content"], (method, path)
    create = schema["paths"]["/api/products"]["post"]
    assert {"201", "401", "409", "422"} <= set(create["responses"])
    assert schema["components"]["schemas"]["ProductCreate"]["examples"]
