"""CATALOG_DATABASE_REPLICA_URL: reads go to the replica; writes and their answers, the primary."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from catalog_api.app import SchemaOutOfDateError
from catalog_api.config import Settings
from catalog_api.db import create_engine
from catalog_api.migrate import upgrade
from tests.conftest import admin_execute, app_with, asgi_client, create


@contextmanager
def second_database(database_url: str, tmp_path: Path, *, migrated: bool) -> Iterator[str]:
    """Make a second database of the same kind (a file, or a PostgreSQL database)."""
    if database_url.startswith("sqlite"):
        path = tmp_path / "replica.db"
        if migrated:
            shutil.copyfile(make_url(database_url).database or "", path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    name = f"catalog_replica_{uuid.uuid4().hex[:10]}"
    admin_execute(database_url, f'CREATE DATABASE "{name}"')
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    try:

        async def migrate() -> None:
            engine = create_engine(Settings(database_url=url))
            try:
                await upgrade(engine)
            finally:
                await engine.dispose()

        if migrated:
            asyncio.run(migrate())
        yield url
    finally:
        admin_execute(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def replica_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second migrated, empty database of the same kind."""
    with second_database(database_url, tmp_path, migrated=True) as url:
        yield url


@pytest.fixture
def unmigrated_replica_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second database of the same kind without the schema."""
    with second_database(database_url, tmp_path, migrated=False) as url:
        yield url


async def test_primary_standing_in_as_its_own_replica(settings: Settings) -> None:
    async with app_with(settings, database_replica_url=settings.database_url) as app:
        assert app.state.read_engine is not app.state.engine
        async with asgi_client(app) as client:
            product = await create(client, title="Espresso Cup", attributes={"size": "small"})
            path = f"/api/products/{product['id']}"
            assert (await client.get(path)).json() == product
            changed = await client.patch(
                path, json={"price_minor": 1999}, headers={"If-Match": f'"{product["id"]}.1"'}
            )
            assert changed.status_code == 200
            assert changed.json()["price_minor"] == 1999
            assert (await client.get(path)).json() == changed.json()
            slug = await client.get(f"/api/products/by-slug/{product['slug']}")
            assert slug.json() == changed.json()
            listed = (await client.get("/api/products")).json()
            assert [p["id"] for p in listed["items"]] == [product["id"]]
            found = (await client.get("/api/products/search", params={"q": "espresso"})).json()
            assert [p["id"] for p in found["items"]] == [product["id"]]
            faceted = await client.get("/api/products", params={"facets": "true"})
            assert faceted.status_code == 200
            categories = (await client.get("/api/categories")).json()
            assert categories["items"] == [{"category": "footwear", "count": 1}]
            currencies = (await client.get("/api/currencies")).json()
            assert [c["currency"] for c in currencies["items"]] == ["USD"]
            health = (await client.get("/api/healthz")).json()
            assert health["status"] == "ok"
            assert (await client.delete(path)).status_code == 204
            assert (await client.get(path)).status_code == 404


async def test_reads_use_the_replica_and_writes_the_primary(
    settings: Settings, replica_url: str
) -> None:
    # Different content on each side shows which database answered.
    replica_only = Settings(database_url=replica_url, auto_migrate=False)
    async with app_with(replica_only) as app, asgi_client(app) as client:
        lamp = await create(client, title="Replica Lamp", category="lighting", currency="EUR")
    async with (
        app_with(settings, database_replica_url=replica_url) as app,
        asgi_client(app) as client,
    ):
        kettle = await create(client, title="Primary Kettle", category="kitchen")
        assert kettle["id"] == lamp["id"] == 1
        assert kettle["title"] == "Primary Kettle"  # the answer to a write: the primary
        assert (await client.get("/api/products/1")).json()["title"] == "Replica Lamp"
        by_slug = await client.get(f"/api/products/by-slug/{kettle['slug']}")
        assert by_slug.status_code == 404
        assert (await client.get(f"/api/products/by-slug/{lamp['slug']}")).status_code == 200
        listed = (await client.get("/api/products")).json()
        assert [p["title"] for p in listed["items"]] == ["Replica Lamp"]
        faceted = (await client.get("/api/products", params={"facets": "true"})).json()
        assert faceted["total"] == 1
        search = await client.get("/api/products/search", params={"q": "lamp"})
        assert [p["title"] for p in search.json()["items"]] == ["Replica Lamp"]
        missing = await client.get("/api/products/search", params={"q": "kettle"})
        assert missing.json()["items"] == []
        slugs = (await client.get("/api/products/slugs")).json()
        assert slugs["items"] == [lamp["slug"]]
        categories = (await client.get("/api/categories")).json()
        assert categories["items"] == [{"category": "lighting", "count": 1}]
        currencies = (await client.get("/api/currencies")).json()
        assert [c["currency"] for c in currencies["items"]] == ["EUR"]
        # A write, its precondition and its answer all use the primary's row.
        patched = await client.patch(
            "/api/products/1", json={"stock_quantity": 9}, headers={"If-Match": '"1.1"'}
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["title"] == "Primary Kettle"
        assert patched.json()["stock_quantity"] == 9
    async with app_with(replica_only) as app, asgi_client(app) as client:
        assert (await client.get("/api/products/1")).json() == lamp


async def test_a_replica_without_the_current_schema_stops_start_up(
    settings: Settings, unmigrated_replica_url: str
) -> None:
    with pytest.raises(SchemaOutOfDateError):
        async with app_with(settings, database_replica_url=unmigrated_replica_url):
            pass


def test_replica_setting_is_checked_and_normalised() -> None:
    primary = "postgresql+asyncpg://u@db1/catalog"
    settings = Settings(database_url=primary, database_replica_url="postgres://u@db2/catalog")
    assert settings.database_replica_url == "postgresql+asyncpg://u@db2/catalog"
    assert Settings(database_url=primary, database_replica_url=" ").database_replica_url is None
    with pytest.raises(ValidationError, match="same kind of database"):
        Settings(database_url=primary, database_replica_url="sqlite:///replica.db")


def test_replica_url_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOG_DATABASE_URL", "sqlite:///primary.db")
    monkeypatch.setenv("CATALOG_DATABASE_REPLICA_URL", "sqlite:///replica.db")
    assert Settings().database_replica_url == "sqlite+aiosqlite:///replica.db"
