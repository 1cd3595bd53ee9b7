"""Semantic search where it is not set up: the base install, or no vectors yet (no extra needed)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from catalog_api.cli import main
from catalog_api.config import Settings
from catalog_api.semantic.availability import RUNTIMES
from tests.conftest import app_with, asgi_client, create

# The app as the base install runs it: numpy, the model and usearch cannot be imported (None
# in sys.modules is how Python marks a module as missing), set up in a fresh interpreter.
_BASE_INSTALL = """
import asyncio, sys
for name in ("numpy", "wordllama", "usearch"):
    sys.modules[name] = None
import httpx
from catalog_api.app import create_app
from catalog_api.config import Settings

async def main(url):
    app = create_app(Settings(database_url=url, semantic=True))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            body = {"title": "Desk Lamp", "category": "office", "price_minor": 100,
                    "currency": "USD", "status": "active"}
            assert (await client.post("/api/products", json=body)).status_code == 201
            for mode in ("semantic", "hybrid"):
                params = {"q": "lamp", "mode": mode}
                answer = await client.get("/api/products/search", params=params)
                print(answer.status_code, answer.json()["detail"])
            print((await client.get("/api/products/1/similar")).status_code)
            print((await client.get("/api/products/search", params={"q": "lamp"})).json()["total"])
    assert "numpy" not in {m for m, v in sys.modules.items() if v is not None}

asyncio.run(main(sys.argv[1]))
"""


def test_the_base_install_answers_a_422_saying_how_to_enable_it(
    settings: Settings, tmp_path: Path
) -> None:
    if settings.database_url.startswith("postgresql"):
        pytest.skip("the import check is the same on PostgreSQL")
    done = subprocess.run(
        [sys.executable, "-c", _BASE_INSTALL, settings.database_url],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for line in lines[:2]:
        assert line.startswith("422 ")
        assert "pip install 'catalog-mcp[semantic]'" in line
        assert "catalog-api embed" in line
    assert lines[2:] == ["422", "1"]
    assert "the semantic extra is not installed" in done.stderr


async def test_without_the_model_nothing_starts_and_embed_refuses(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "wordllama", None)
    async with app_with(settings, semantic=True) as app, asgi_client(app) as client:
        assert RUNTIMES.get(app.state.engine) is None
        await create(client, title="Desk Lamp")
        response = await client.get(
            "/api/products/search", params={"q": "lamp", "mode": "semantic"}
        )
        assert response.status_code == 422
        assert "pip install" in response.json()["detail"]
    monkeypatch.setenv("CATALOG_DATABASE_URL", settings.database_url)
    assert await asyncio.to_thread(main, ["embed"]) == 2


async def test_semantic_is_off_until_something_is_embedded(client: httpx.AsyncClient) -> None:
    await create(client, title="Desk Lamp")
    response = await client.get("/api/products/search", params={"q": "lamp", "mode": "semantic"})
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith("/semantic-unavailable")
    assert "catalog-api embed" in problem["detail"]
    similar = await client.get("/api/products/1/similar")
    assert similar.status_code == 422
    assert (await client.get("/api/products/search", params={"q": "lamp"})).status_code == 200
    bad = await client.get("/api/products/search", params={"q": "lamp", "mode": "vector"})
    assert bad.status_code == 422


async def test_the_mode_is_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    search = document["paths"]["/api/products/search"]["get"]["parameters"]
    mode = next(parameter for parameter in search if parameter["name"] == "mode")
    assert mode["schema"]["default"] == "lexical"
    assert "/api/products/{product_id}/similar" in document["paths"]
