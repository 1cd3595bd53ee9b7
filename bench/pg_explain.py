"""The API's own list and search statements on PostgreSQL, with EXPLAIN (ANALYZE, BUFFERS).

python -m bench.pg_explain --database bench_xxxx (a database loaded by bench.pg_read --keep)

The app runs in this process with a SQLAlchemy listener recording each SELECT it sends for a
request; each statement is then run again under EXPLAIN (ANALYZE, BUFFERS) with asyncpg.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import sys
from collections.abc import Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bench import pg
from bench.util import setup_logging

log = logging.getLogger("bench")

REQUESTS: list[tuple[str, dict[str, str]]] = [
    ("/api/products", {}),
    ("/api/products", {"status": "active"}),
    ("/api/products", {"sort": "price", "currency": "USD", "min_price": "1000"}),
    ("/api/products", {"sort": "title", "status": "active", "in_stock": "true"}),
    ("/api/products/search", {"q": "gift"}),
    ("/api/products/search", {"q": "wireless headphones"}),
    ("/api/products/search", {"q": "gift", "status": "active", "sort": "price"}),
    ("/api/categories", {}),
    ("/api/currencies", {}),
]

Statements = list[tuple[str, tuple[Any, ...]]]


async def capture(url: str) -> list[tuple[str, dict[str, str], Statements]]:
    """Run each request once in process; return the SELECTs each sent."""
    app_module: Any = importlib.import_module("catalog_api.app")
    config: Any = importlib.import_module("catalog_api.config")
    app = app_module.create_app(config.Settings(database_url=url))
    seen: Statements = []

    def listener(*args: Any) -> None:
        """Record (statement, parameters) of one cursor execution."""
        statement, parameters = args[2], args[3]
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, tuple(parameters or ())))

    found = []
    event.listen(Engine, "before_cursor_execute", listener)
    try:
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://bench.local") as client,
        ):
            for _ in range(600):
                if (await client.get("/api/healthz")).json().get("search") == "ready":
                    break
                await asyncio.sleep(0.1)
            for path, params in REQUESTS:
                seen.clear()
                response = await client.get(path, params=params)
                if response.status_code != 200:
                    log.warning("%s %s answered %d", path, params, response.status_code)
                found.append((path, params, list(seen)))
    finally:
        event.remove(Engine, "before_cursor_execute", listener)
    return found


async def explain(dsn: str, captured: list[tuple[str, dict[str, str], Statements]]) -> list[str]:
    """Return report lines: each request's statements with their plans."""
    connection = await asyncpg.connect(dsn)
    lines: list[str] = []
    try:
        for path, params, statements in captured:
            lines.append(f"## GET {path} {params}: {len(statements)} statements")
            for sql, args in statements:
                flat = " ".join(sql.split())
                lines.append("")
                lines.append(f"    {flat[:400]}{'...' if len(flat) > 400 else ''}  {args}")
                rows = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *args)
                lines.extend("      " + row[0] for row in rows)
            lines.append("")
    finally:
        await connection.close()
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Capture and explain the statements on --database."""
    setup_logging()
    parser = argparse.ArgumentParser(prog="python -m bench.pg_explain", description=__doc__)
    parser.add_argument("--database", required=True, help="a loaded bench_* database")
    args = parser.parse_args(argv)
    url = pg.async_url(args.database)
    captured = asyncio.run(capture(url))
    lines = asyncio.run(explain(url.replace("postgresql+asyncpg://", "postgresql://"), captured))
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
