"""The catalog-api command: migrate, import, seed and serve."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from catalog_api.cli import main
from catalog_api.config import Settings
from catalog_api.db import create_engine, create_session_factory
from catalog_api.migrate import head_revision
from catalog_api.services import ListQuery, ProductService
from tests.processes import command, free_port, wait_until_up


def _products(database_url: str, **query: Any) -> list[dict[str, Any]]:
    async def fetch() -> list[dict[str, Any]]:
        engine = create_engine(Settings(database_url=database_url))
        try:
            async with create_session_factory(engine)() as session:
                page = await ProductService(session).browse(ListQuery(limit=1000, **query))
            return [p.model_dump(mode="json") for p in page.items]
        finally:
            await engine.dispose()

    return asyncio.run(fetch())


@pytest.fixture
def use_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the CLI at the test database."""
    monkeypatch.setenv("CATALOG_DATABASE_URL", database_url)
    return database_url


def test_import_jsonl_reports_each_rejected_line(
    use_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = {"title": "Good Lamp", "category": "home", "price_minor": 1000, "currency": "USD"}
    unpriced = {k: v for k, v in good.items() if k != "price_minor"}
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({**good, "title": "Cheap", "price_minor": -5}),
        "",
        json.dumps({**good, "title": "Other Lamp", "slug": "good-lamp"}),
        json.dumps([1, 2]),
        json.dumps({**unpriced, "title": "Priced", "price": "12.34"}),
        json.dumps({**unpriced, "title": "Too precise", "price": "1.234"}),
    ]
    path = tmp_path / "products.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["import", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:2: rejected: invalid JSON" in err
    assert f"{path}:3: rejected: price_minor:" in err
    assert f"{path}:5: rejected: slug 'good-lamp' already exists" in err
    assert f"{path}:6: rejected: each line must be a JSON object" in err
    assert f"{path}:8: rejected: price: 1.234 has more decimals than USD allows" in err
    assert "read 8 lines: 1 blank, 2 imported, 5 rejected" in err
    products = {p["slug"]: p for p in _products(use_database)}
    assert set(products) == {"good-lamp", "priced"}
    assert products["priced"]["price_minor"] == 1234
    assert main(["import", str(path)]) == 1
    again = capsys.readouterr().err
    assert f"{path}:1: rejected: slug 'good-lamp' already exists" in again
    assert "read 8 lines: 1 blank, 0 imported, 7 rejected" in again
    assert len(_products(use_database)) == 2


def test_import_csv_with_lists_and_attributes(
    use_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "products.csv"
    path.write_text(
        "title,category,price,currency,tags,attributes,stock_quantity,description\n"
        'Oak Desk,office,249.00,EUR,wood|desk|Wood,color=brown|width=120 cm,3,"Solid oak,\n'
        'two drawers"\n'
        "Bad Row,office,abc,EUR,,,1,\n"
        'Tea Set,kitchen,3000,JPY,tea,"{""pieces"": ""5""}",0,\n'
        "Extra,office,1,USD,,,1,,surplus\n",
        encoding="utf-8",
    )
    assert main(["import", str(path), "--batch-size", "1"]) == 1
    err = capsys.readouterr().err
    assert f"{path}:4: rejected: price: not a number" in err
    assert f"{path}:6: rejected: the row has 9 values, the header has 8 columns" in err
    assert "read 6 lines: 1 header, 3 imported (2 rows), 2 rejected" in err
    products = {p["slug"]: p for p in _products(use_database)}
    assert set(products) == {"oak-desk", "tea-set"}
    desk = products["oak-desk"]
    assert desk["tags"] == ["wood", "desk"]
    assert desk["attributes"] == {"color": "brown", "width": "120 cm"}
    assert desk["price_minor"] == 24900
    assert desk["description"] == "Solid oak,\ntwo drawers"
    assert products["tea-set"]["price_minor"] == 3000
    assert products["tea-set"]["attributes"] == {"pieces": "5"}


def test_import_refuses_unknown_file_type(
    use_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "products.xml"
    path.write_text("<x/>", encoding="utf-8")
    assert main(["import", str(path)]) == 2
    assert "unknown file type" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "missing.jsonl")]) == 2


def test_seed_demo_is_idempotent_and_searchable(
    use_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["seed", "--demo"]) == 0
    first = capsys.readouterr().err
    count = len(_products(use_database))
    assert count >= 200
    assert f"{count} products added" in first
    assert main(["seed", "--demo"]) == 0
    assert f"0 products added, {count} already present" in capsys.readouterr().err
    assert len(_products(use_database)) == count


def test_migrate_creates_the_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CATALOG_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'new' / 'c.db'}")
    assert main(["migrate"]) == 0
    assert f"database at revision {head_revision()}" in capsys.readouterr().err
    assert main(["migrate"]) == 0


def test_serve_runs_a_real_server_on_the_embedded_default(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CATALOG_")}
    env["HOME"] = str(tmp_path)
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    api = command("catalog-api")
    seed = subprocess.run([*api, "seed", "--demo"], env=env, capture_output=True, timeout=120)
    assert seed.returncode == 0, seed.stderr
    assert (tmp_path / "data" / "catalog-mcp" / "catalog.db").exists()
    port = free_port()
    server = subprocess.Popen([*api, "serve", "--port", str(port)], env=env, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/api/healthz", server, 30)
        found = httpx.get(f"{base}/api/products/search", params={"q": "headphones"}).json()
        assert found["total"] >= 1
        assert "headphones" in found["items"][0]["title"].lower()
        docs = httpx.get(f"{base}/docs")
        assert docs.status_code == 200
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=15)
    # uvicorn shuts down gracefully, then re-raises SIGTERM to report it.
    assert server.returncode in {0, -15}, stderr.decode()
    assert b"Application shutdown complete" in stderr
