"""Each word's best products, kept between searches: same answers, never older than a write."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from catalog_api.config import Settings
from catalog_api.db import create_engine, create_session_factory
from catalog_api.models import Product
from catalog_api.search import champions, documents, engine
from catalog_api.search.champions import ChampionCache
from tests.conftest import create
from tests.test_search_reading import add_product, search_page, titles

QUERIES = ("hose", "brass hose", "garden hose nozzle", "brass bell nozzle", "reel")


async def _garden(client: httpx.AsyncClient) -> None:
    for title, description in [
        ("Brass Hose Nozzle", "hose nozzle brass"),
        ("Pistol Hose Nozzle", "brass fittings"),
        ("Garden Hose 50 ft.", "rubber hose"),
        ("Garden Hose 25 ft.", "rubber"),
        ("Brass Tap Connector", ""),
        ("Nozzle Cleaning Kit", "for a hose nozzle"),
        ("Brass Bell", ""),
        ("Hose Reel", "holds a hose"),
    ]:
        await add_product(client, title, description=description, category="garden")


async def test_kept_best_products_give_the_answers_of_ranking_every_match(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _garden(client)
    exact = [titles(await search_page(client, q)) for q in QUERIES]
    monkeypatch.setattr(engine, "EXACT_RANK", 0)  # every rank-ordered query uses kept lists
    cache = ChampionCache()
    monkeypatch.setattr(engine, "CHAMPIONS", cache)
    monkeypatch.setattr(documents, "CHAMPIONS", cache)
    for _ in range(2):  # read, then kept
        assert [titles(await search_page(client, q)) for q in QUERIES] == exact
    assert cache.kept_terms() > 0


async def test_filtered_searches_through_kept_best_products_give_the_same_answers(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _garden(client)
    draft = await add_product(client, "Hose Clamp", category="garden")
    patched = await client.patch(f"/api/products/{draft}", json={"status": "draft"})
    assert patched.status_code == 200, patched.text
    await add_product(client, "Hose Guide", category="yard")
    filters = ({"status": "active"}, {"category": "yard"}, {"status": "draft"})
    exact = [[titles(await search_page(client, q, **f)) for q in QUERIES] for f in filters]
    assert exact[1][0] == ["Hose Guide"]
    assert exact[2][0] == ["Hose Clamp"]
    monkeypatch.setattr(engine, "EXACT_RANK", 0)
    for checked in (engine.FILTERED_FROM_KEPT, 1):  # 1: too few pass, the database ranks
        monkeypatch.setattr(engine, "FILTERED_FROM_KEPT", checked)
        kept = [[titles(await search_page(client, q, **f)) for q in QUERIES] for f in filters]
        assert kept == exact, checked


async def test_writes_are_seen_through_kept_best_products(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "EXACT_RANK", 0)
    # Two candidates per request: a new product is found only if the kept lists know it.
    monkeypatch.setattr(engine, "CANDIDATES", 2)
    await _garden(client)
    await search_page(client, "hose")
    kept = await add_product(  # the best for 'hose' by either database's rank
        client, "Hose", description="a hose, a garden hose", tags=("hose",), category="garden"
    )
    assert kept in [p["id"] for p in (await search_page(client, "hose"))["items"]]
    response = await client.patch(f"/api/products/{kept}", json={"title": "Watering Can"})
    assert response.status_code == 200, response.text
    assert kept not in [p["id"] for p in (await search_page(client, "hose"))["items"]]
    assert (await search_page(client, "watering"))["items"][0]["id"] == kept
    assert (await client.delete(f"/api/products/{kept}")).status_code == 204
    assert (await search_page(client, "watering"))["total"] == 0


async def test_the_cache_reads_again_after_a_commit_not_after_a_flush_or_a_rollback(
    settings: Settings, client: httpx.AsyncClient
) -> None:
    await create(client, title="Copper Kettle")
    cache = champions.CHAMPIONS
    db = create_engine(settings)
    sessions = create_session_factory(db)
    try:
        before = cache.generation
        async with sessions() as session:
            product = (await session.scalars(select(Product).limit(1))).one()
            product.title = "Steel Kettle"
            await session.flush()
            assert cache.generation == before  # a search now would still see the old row
            await session.rollback()
        assert cache.generation == before
        async with sessions() as session:
            product = (await session.scalars(select(Product).limit(1))).one()
            product.stock_quantity = 3  # not a searchable field
            await session.commit()
        assert cache.generation == before
        async with sessions() as session:
            product = (await session.scalars(select(Product).limit(1))).one()
            product.title = "Steel Kettle"
            await session.commit()
        assert cache.generation == before + 1
    finally:
        await db.dispose()


async def test_kept_lists_are_bounded_and_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[tuple[str, ...]] = []

    async def read(phrase: tuple[str, ...], limit: int) -> list[tuple[int, float]]:
        reads.append(phrase)
        return [(1, 2.0), (2, 1.0)] if phrase == ("a",) else [(2, 1.5), (3, 1.0)]

    cache = ChampionCache()
    db = create_async_engine("sqlite+aiosqlite://")  # only a key here
    try:
        # Scores add up: 2 holds both words (2.5) and passes 1 (2.0).
        assert await cache.best(db, [("a",), ("b",)], 3, read) == [2, 1, 3]
        assert await cache.best(db, [("a",)], 1, read) == [1]
        assert reads == [("a",), ("b",)]
        cache.changed()
        await cache.best(db, [("a",)], 1, read)
        assert reads[-1] == ("a",)
        monkeypatch.setattr(champions, "MAX_AGE_SECONDS", 0.0)
        await cache.best(db, [("b",)], 1, read)
        assert reads[-1] == ("b",)
        assert len(reads) == 4
        monkeypatch.setattr(champions, "MAX_AGE_SECONDS", 60.0)
        monkeypatch.setattr(champions, "TERMS", 2)
        for term in ("c", "d", "e"):
            await cache.best(db, [(term,)], 1, read)
        assert cache.kept_terms() == 2
    finally:
        await db.dispose()


async def test_an_aged_list_serves_while_it_is_read_again_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads: list[str] = []

    async def read(phrase: tuple[str, ...], limit: int) -> list[tuple[int, float]]:
        reads.append("request")
        return [(1, 1.0)]

    async def reread(phrase: tuple[str, ...], limit: int) -> list[tuple[int, float]]:
        reads.append("apart")
        return [(2, 1.0)]

    cache = ChampionCache()
    db = create_async_engine("sqlite+aiosqlite://")  # only a key here
    try:
        assert await cache.best(db, [("a",)], 1, read, reread) == [1]
        monkeypatch.setattr(champions, "MAX_AGE_SECONDS", 0.05)
        await asyncio.sleep(0.06)
        for _ in range(3):  # aged: the kept list answers, one read runs apart
            assert await cache.best(db, [("a",)], 1, read, reread) == [1]
        await cache.settled()
        assert await cache.best(db, [("a",)], 1, read, reread) == [2]
        assert reads == ["request", "apart"]
        cache.changed()  # a write of this process: read again in the request
        assert await cache.best(db, [("a",)], 1, read, reread) == [1]
        assert reads == ["request", "apart", "request"]
    finally:
        await db.dispose()


async def test_other_processes_writes_are_seen_once_an_aged_list_is_read_again(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "EXACT_RANK", 0)
    monkeypatch.setattr(engine, "CANDIDATES", 2)
    cache = ChampionCache()
    monkeypatch.setattr(engine, "CHAMPIONS", cache)
    # The API's writes are not told to this cache, as another process's would not be.
    monkeypatch.setattr(documents, "CHAMPIONS", ChampionCache())
    await _garden(client)
    await search_page(client, "hose")
    best = await add_product(
        client, "Hose", description="a hose, a garden hose", tags=("hose",), category="garden"
    )

    async def found() -> bool:
        return best in [p["id"] for p in (await search_page(client, "hose"))["items"]]

    assert not await found()  # the kept list does not know it yet
    monkeypatch.setattr(champions, "MAX_AGE_SECONDS", 0.0)
    assert not await found()  # aged: it still answers while it is read again
    monkeypatch.setattr(champions, "MAX_AGE_SECONDS", 60.0)
    await cache.settled()
    assert await found()
