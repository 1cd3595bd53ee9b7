"""Capture the SQL statements the API runs for each search, to replay them with sqlite3.

The app runs in this process (its own ``create_app`` and lifespan, over httpx's ASGI
transport) with a SQLAlchemy ``before_cursor_execute`` listener, so the replay follows
the product's current SQL instead of a hand-written copy that could drift.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bench.util import sqlite_url

Statements = list[tuple[str, tuple[Any, ...]]]


async def _capture(db: Path, queries: list[str]) -> dict[str, Statements]:
    """Run each search once in process and record its SELECT statements."""
    # Loaded at run time so that type-checking bench/ does not type-check the whole app.
    app_module: Any = importlib.import_module("catalog_api.app")
    config: Any = importlib.import_module("catalog_api.config")
    app = app_module.create_app(config.Settings(database_url=sqlite_url(db)))
    seen: Statements = []

    def listener(*args: Any) -> None:
        """Record (statement, parameters) of one cursor execution."""
        statement, parameters = args[2], args[3]
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, tuple(parameters or ())))

    captured: dict[str, Statements] = {}
    event.listen(Engine, "before_cursor_execute", listener)
    try:
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://bench.local") as client,
        ):
            # The app reads the search vocabulary at start: its statements are not a search's.
            for _ in range(600):
                if (await client.get("/api/healthz")).json().get("search", "ready") == "ready":
                    break
                await asyncio.sleep(0.1)
            for query in queries:
                seen.clear()
                response = await client.get(
                    "/api/products/search", params={"q": query, "limit": 20}
                )
                response.raise_for_status()
                captured[query] = list(seen)
    finally:
        event.remove(Engine, "before_cursor_execute", listener)
    return captured


def capture_search_sql(db: Path, queries: list[str]) -> dict[str, Statements]:
    """Return, per query, the SELECT statements the API executes for it on db."""
    quiet = [logging.getLogger(name) for name in ("catalog_api", "alembic", "httpx")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.WARNING)
    try:
        return asyncio.run(_capture(db, queries))
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)
