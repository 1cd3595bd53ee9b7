"""Fixtures: a fresh real database per test, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.config import Config
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from catalog_api.app import create_app
from catalog_api.config import Settings
from catalog_api.db import create_engine
from catalog_api.migrate import migrate_to, upgrade

PG_ENV = "CATALOG_TEST_DATABASE_URL"


VENDOR_VARIABLES = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENAI_API_KEY", "ANTHROPIC_API_KEY")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's CATALOG_* settings and vendor credentials out of the tests."""
    for name in list(os.environ):
        if (name.startswith(("CATALOG_", "AWS_")) and name != PG_ENV) or name in VENDOR_VARIABLES:
            monkeypatch.delenv(name)
    # botocore must never look for credentials on the instance metadata service.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def migrate_url(url: str) -> None:
    """Upgrade the database at url to the newest schema."""

    async def run() -> None:
        engine = create_engine(Settings(database_url=url))
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())


async def migrate_url_to(url: str, action: Callable[[Config, str], None], revision: str) -> None:
    """Run one Alembic command (command.upgrade or command.downgrade) on the database at url."""
    engine = create_engine(Settings(database_url=url))
    try:
        await migrate_to(engine, action, revision)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies."""
    path = tmp_path_factory.mktemp("template") / "catalog.db"
    migrate_url(f"sqlite+aiosqlite:///{path}")
    return path


def admin_execute(url: str, statement: str) -> None:
    """Run one statement on the PostgreSQL server of url outside a transaction."""

    async def execute() -> None:
        engine = create_async_engine(make_url(url), isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(text(statement))
        finally:
            await engine.dispose()

    asyncio.run(execute())


def fetch_rows(database_url: str, sql: str) -> list[tuple[Any, ...]]:
    """Return the rows one query reads from the catalog database at database_url."""

    async def fetch() -> list[tuple[Any, ...]]:
        engine = create_engine(Settings(database_url=database_url))
        try:
            async with engine.connect() as connection:
                return [tuple(row) for row in await connection.execute(text(sql))]
        finally:
            await engine.dispose()

    return asyncio.run(fetch())


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set; PostgreSQL tests skipped")
    name = f"catalog_test_{uuid.uuid4().hex[:10]}"
    admin = make_url(base)

    admin_execute(base, f'CREATE DATABASE "{name}"')
    url = admin.set(database=name).render_as_string(hide_password=False)
    try:
        migrate_url(url)
        yield url
    finally:
        admin_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a new SQLite file, or the emptied PostgreSQL database."""
    if request.param == "sqlite":
        path = tmp_path / "catalog.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    empty_postgres(url)
    return url


def empty_postgres(url: str) -> None:
    """Empty the catalog's tables of a migrated PostgreSQL database."""

    async def truncate() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as connection:
                await connection.execute(
                    text(
                        "TRUNCATE products, idempotency_keys, api_keys, product_changes "
                        "RESTART IDENTITY CASCADE"
                    )
                )
        finally:
            await engine.dispose()

    asyncio.run(truncate())


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings pointing at the test database."""
    return Settings(database_url=database_url, auto_migrate=False)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app with its lifespan running."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://catalog.test") as c:
        yield c


@asynccontextmanager
async def app_with(settings: Settings, **overrides: Any) -> AsyncIterator[FastAPI]:
    """Run the app, lifespan and all, on the test database with some settings changed."""
    app = create_app(Settings(database_url=settings.database_url, auto_migrate=False, **overrides))
    async with app.router.lifespan_context(app):
        yield app


def asgi_client(app: FastAPI, address: str = "127.0.0.1") -> httpx.AsyncClient:
    """Return a client of the app in process, its requests coming from address."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://t")


def product_body(**overrides: Any) -> dict[str, Any]:
    """Return a valid create body."""
    body: dict[str, Any] = {
        "title": "Trail Runner Shoes",
        "category": "footwear",
        "description": "Light shoes for muddy trails.",
        "tags": ["running", "trail"],
        "price_minor": 8999,
        "currency": "USD",
        "stock_quantity": 5,
        "status": "active",
        "attributes": {"color": "blue"},
    }
    body.update(overrides)
    return body


async def create(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    """Create a product and return its JSON, asserting a 201."""
    response = await client.post("/api/products", json=product_body(**overrides))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data
