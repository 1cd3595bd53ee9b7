"""The feed of every change: each change exactly once, in order, while writes go on."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from catalog_api.config import Settings
from catalog_api.db import create_engine, create_session_factory
from catalog_api.history.models import ProductChange
from tests.conftest import create

WRITERS = 4
WRITES_EACH = 12
SETTLE_TRIES = 200


async def feed_page(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    """Return one page of the feed, asserting a 200."""
    response = await client.get("/api/changes", params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def settled(client: httpx.AsyncClient, count: int, **params: Any) -> dict[str, Any]:
    """Return a feed page once it holds count changes (or its last try).

    On PostgreSQL the feed holds back changes until every older transaction of the server
    has ended, and other tests, ANALYZE or other databases of the server may hold one open.
    """
    for _ in range(SETTLE_TRIES):
        page = await feed_page(client, **params)
        if len(page["items"]) >= count:
            break
        await asyncio.sleep(0.1)
    return page


async def follow(
    client: httpx.AsyncClient, cursor: str | None, limit: int
) -> tuple[list[int], Any]:
    """Read the feed from cursor to its current end; return the change ids and the new cursor."""
    seen: list[int] = []
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["since"] = cursor
        page = await feed_page(client, **params)
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return seen, cursor


async def all_change_ids(settings: Settings) -> list[int]:
    """Return the id of every recorded change."""
    engine = create_engine(settings)
    try:
        async with create_session_factory(engine)() as session:
            return list(await session.scalars(select(ProductChange.id)))
    finally:
        await engine.dispose()


async def test_the_feed_hands_out_every_change_once_while_writes_go_on(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    products = [await create(client, slug=f"p{n}", sku=f"SKU-{n}") for n in range(WRITERS)]
    done = asyncio.Event()

    async def writer(product: dict[str, Any]) -> None:
        for stock in range(1, WRITES_EACH + 1):
            path = f"/api/products/{product['id']}/variants/SKU-{product['slug'][1:]}"
            response = await client.patch(path, json={"stock_quantity": stock})
            assert response.status_code == 200, response.text

    async def follower() -> list[int]:
        seen: list[int] = []
        cursor = None
        while not done.is_set():
            ids, cursor = await follow(client, cursor, limit=3)
            seen += ids
            await asyncio.sleep(0)
        expected = WRITERS * (WRITES_EACH + 1)
        for _ in range(SETTLE_TRIES):
            ids, cursor = await follow(client, cursor, limit=3)
            seen += ids
            if len(seen) >= expected:
                break
            await asyncio.sleep(0.1)
        return seen

    following = asyncio.create_task(follower())
    await asyncio.gather(*(writer(p) for p in products))
    done.set()
    seen = await following
    assert len(seen) == len(set(seen)), "a change was handed out twice"
    assert sorted(seen) == sorted(await all_change_ids(settings))
    assert len(seen) == WRITERS * (WRITES_EACH + 1)


@pytest.mark.postgres
async def test_a_change_committed_out_of_id_order_is_not_skipped(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers: ids commit in order there")
    product = await create(client)
    cursor = (await settled(client, 1))["next_cursor"]
    engine = create_engine(settings)
    try:
        async with engine.connect() as slow:
            # A writer that took its change id and has not committed yet.
            await slow.execute(
                text(
                    "INSERT INTO product_changes (product_id, action, actor, at, xid, changes) "
                    "VALUES (:pid, 'update', 'slow', now(), "
                    "pg_current_xact_id()::text::bigint, '{}')"
                ),
                {"pid": product["id"]},
            )
            fast = await client.patch(f"/api/products/{product['id']}", json={"title": "Fast"})
            assert fast.status_code == 200
            # The later id has committed, but the earlier one may still commit: wait for it.
            waiting, cursor_while = await follow(client, cursor, limit=10)
            assert waiting == []
            assert cursor_while == cursor
            await slow.commit()
    finally:
        await engine.dispose()
    page = await settled(client, 2, since=cursor)
    assert [item["actor"] for item in page["items"]] == ["slow", "anonymous"]


async def test_feed_filters_by_actor_and_starts_at_a_time(client: httpx.AsyncClient) -> None:
    await create(client, slug="a")
    start = datetime.now(UTC)
    await create(client, slug="b")
    later = await settled(client, 1, since=start.isoformat())
    assert [item["changes"]["slug"][1] for item in later["items"]] == ["b"]
    future = (start + timedelta(days=1)).isoformat()
    assert (await feed_page(client, since=future))["items"] == []
    assert (await feed_page(client, actor="someone-else"))["items"] == []
    assert len((await settled(client, 2, actor="anonymous"))["items"]) == 2
    for since in ("2026-12-06T10:00:00", "garbage"):
        bad = await client.get("/api/changes", params={"since": since})
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "since"
