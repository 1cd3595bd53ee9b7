"""Reference server: bare Starlette + stdlib sqlite3 answering GET /api/products/{id} as JSON.

Served by the same ``uvicorn.run`` call as ``catalog-api serve`` (one worker, default loop
and HTTP implementation, log level info). The lookup runs inline on one read connection.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

JSON_COLUMNS = ("tags", "attributes", "image_urls", "seo_keywords")


def create_app(db: Path) -> Starlette:
    """Build the app over one sqlite3 connection to db."""
    conn = sqlite3.connect(db, check_same_thread=False, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout=10000")
    conn.execute("PRAGMA query_only=ON")

    async def product(request: Request) -> Response:
        """Return one product row as JSON, or 404."""
        product_id: int = request.path_params["product_id"]
        row = conn.execute("SELECT * FROM products WHERE id = ?", (product_id,)).fetchone()
        if row is None:
            return JSONResponse({"detail": "not found"}, status_code=404)
        item = dict(row)
        for column in JSON_COLUMNS:
            item[column] = json.loads(item[column])
        return JSONResponse(item)

    async def healthz(_: Request) -> Response:
        """Answer ok."""
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/api/products/{product_id:int}", product),
            Route("/healthz", healthz),
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the reference app on 127.0.0.1."""
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.bare_app", description=__doc__)
    parser.add_argument("--db", type=Path, required=True, help="SQLite file with products")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    uvicorn.run(create_app(args.db), host="127.0.0.1", port=args.port, log_level="info")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
