"""Reference server: bare Starlette + asyncpg answering GET /api/products/{id} as JSON.

The PostgreSQL twin of bench/bare_app.py: the same row (``SELECT * FROM products``), its JSON
columns decoded, served by the same ``uvicorn.run`` call as ``catalog-api serve``, through
an asyncpg pool with its defaults (10 connections, statements prepared and cached).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

JSON_COLUMNS = ("tags", "attributes", "image_urls", "seo_keywords", "options")


def create_app(dsn: str) -> Starlette:
    """Build the app over one asyncpg pool to dsn."""
    pools: list[Any] = []

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        pools.append(await asyncpg.create_pool(dsn))
        try:
            yield
        finally:
            await pools[0].close()

    async def product(request: Request) -> Response:
        """Return one product row as JSON, or 404."""
        product_id: int = request.path_params["product_id"]
        row = await pools[0].fetchrow("SELECT * FROM products WHERE id = $1", product_id)
        if row is None:
            return JSONResponse({"detail": "not found"}, status_code=404)
        item = dict(row)
        for column in JSON_COLUMNS:
            item[column] = json.loads(item[column])
        for column, value in item.items():
            if isinstance(value, datetime):
                item[column] = value.isoformat()
        return JSONResponse(item)

    async def healthz(_: Request) -> Response:
        """Answer ok."""
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/api/products/{product_id:int}", product),
            Route("/healthz", healthz),
        ],
        lifespan=lifespan,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the reference app on 127.0.0.1."""
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.bare_pg_app", description=__doc__)
    parser.add_argument("--dsn", required=True, help="postgresql://user@host:port/database")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    uvicorn.run(create_app(args.dsn), host="127.0.0.1", port=args.port, log_level="info")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
