"""Retention: `catalog-api history purge` and CATALOG_HISTORY_RETENTION_DAYS."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from catalog_api.cli import main
from catalog_api.config import Settings
from catalog_api.db import create_engine, create_session_factory
from catalog_api.history.models import ProductChange
from catalog_api.models import utcnow
from tests.conftest import app_with, create

SETTLE_TRIES = 100


async def age_changes(settings: Settings, ids: list[int], days: float) -> None:
    """Make some changes look recorded days ago."""
    engine = create_engine(settings)
    try:
        async with create_session_factory(engine)() as session:
            moment = utcnow() - timedelta(days=days)
            await session.execute(
                update(ProductChange).where(ProductChange.id.in_(ids)).values(at=moment)
            )
            await session.commit()
    finally:
        await engine.dispose()


async def change_ids(settings: Settings) -> list[int]:
    """Return the ids of the changes kept."""
    engine = create_engine(settings)
    try:
        async with create_session_factory(engine)() as session:
            return list(await session.scalars(select(ProductChange.id).order_by(ProductChange.id)))
    finally:
        await engine.dispose()


async def test_purge_forgets_only_changes_older_than_asked(
    client: httpx.AsyncClient,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for n in range(4):
        await create(client, slug=f"p{n}")
    await age_changes(settings, [1, 2], days=40)
    await age_changes(settings, [3], days=10)
    monkeypatch.setenv("CATALOG_DATABASE_URL", settings.database_url)

    assert await asyncio.to_thread(main, ["history", "purge"]) == 1
    assert "--older-than" in capsys.readouterr().err
    assert await change_ids(settings) == [1, 2, 3, 4]

    assert await asyncio.to_thread(main, ["history", "purge", "--older-than", "30"]) == 0
    assert "purged 2 changes" in capsys.readouterr().err
    assert await change_ids(settings) == [3, 4]

    monkeypatch.setenv("CATALOG_HISTORY_RETENTION_DAYS", "5")
    assert await asyncio.to_thread(main, ["history", "purge"]) == 0
    assert await change_ids(settings) == [4]
    # A deleted product's history goes with age like any other; the product itself stays.
    assert (await client.get("/api/products/1")).status_code == 200


async def test_the_api_purges_past_the_retention_setting(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await create(client, slug="old")
    await create(client, slug="new")
    await age_changes(settings, [1], days=400)
    async with app_with(settings, history_retention_days=365):
        for _ in range(SETTLE_TRIES):
            if await change_ids(settings) == [2]:
                break
            await asyncio.sleep(0.05)
    assert await change_ids(settings) == [2]
