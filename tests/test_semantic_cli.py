"""`catalog-api embed` (backfill, resumable), start-up detection, and the base install's 422."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from catalog_api.cli import main
from catalog_api.config import Settings
from catalog_api.semantic.availability import RUNTIMES
from catalog_api.semantic.startup import pgvector_version
from tests.conftest import admin_execute, app_with, asgi_client, create, fetch_rows

pytest.importorskip("wordllama", reason="the semantic extra is not installed")


async def _fill(settings: Settings, count: int) -> None:
    async with app_with(settings) as app, asgi_client(app) as client:
        for number in range(count):
            await create(client, title=f"Garden Hose {number}", category="outdoor")
        await create(client, title="Desk Lamp", category="office", tags=["led"])


def _vectors(url: str) -> list[tuple[Any, ...]]:
    return fetch_rows(
        url, "SELECT product_id, model, product_version FROM product_embeddings ORDER BY 1"
    )


def test_embed_backfills_and_resumes(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    url = settings.database_url
    asyncio.run(_fill(settings, 5))
    assert _vectors(url) == []
    monkeypatch.setenv("CATALOG_DATABASE_URL", url)
    with caplog.at_level(logging.INFO, logger="catalog_api.semantic"):
        assert main(["embed", "--batch", "2"]) == 0
    assert "embedded 6 of 6 products" in caplog.text
    stored = _vectors(url)
    assert [row[0] for row in stored] == [1, 2, 3, 4, 5, 6]
    # As if interrupted after the first batches: the rest are embedded, the others kept.
    admin_execute(url, "DELETE FROM product_embeddings WHERE product_id > 3")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="catalog_api.semantic"):
        assert main(["embed"]) == 0
    assert "3 products to embed or check" in caplog.text
    assert _vectors(url) == stored
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="catalog_api.semantic"):
        assert main(["embed"]) == 0
    assert "to embed" not in caplog.text


async def test_stored_vectors_turn_semantic_search_on(settings: Settings) -> None:
    await _fill(settings, 2)
    await asyncio.to_thread(_embed_cli, settings.database_url)
    async with app_with(settings) as app, asgi_client(app) as client:
        runtime = RUNTIMES.get(app.state.engine)
        assert runtime is not None
        async with asyncio.timeout(60):
            await runtime.settled()
        assert len(runtime.index) == 3
        page = await client.get(
            "/api/products/search", params={"q": "light for my desk", "mode": "semantic"}
        )
        assert page.status_code == 200, page.text
        assert page.json()["items"][0]["title"] == "Desk Lamp"
    async with app_with(settings, semantic=False) as app, asgi_client(app) as client:
        assert RUNTIMES.get(app.state.engine) is None
        off = await client.get("/api/products/search", params={"q": "lamp", "mode": "hybrid"})
        assert off.status_code == 422


def _embed_cli(url: str) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CATALOG_DATABASE_URL", url)
        assert main(["embed"]) == 0


@pytest.mark.postgres
async def test_pgvector_detected_when_postgresql_has_it(postgres_url: str) -> None:
    engine = create_async_engine(postgres_url)
    try:
        version = await pgvector_version(engine)
    finally:
        await engine.dispose()
    if version is None:
        pytest.skip("pgvector is not installed on this PostgreSQL (no vector.control)")
    assert version[0].isdigit()
