"""The vector graph (issue 15): searched like the rows, saved, loaded and brought up to date."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi import FastAPI

from catalog_api.config import Settings
from catalog_api.semantic import runtime as semantic_runtime
from catalog_api.semantic.embedder import DIMENSIONS
from catalog_api.semantic.graph_file import GraphFile, graph_file_for
from catalog_api.semantic.index import GRAPH_OPTIONS, VectorIndex
from tests.conftest import app_with, asgi_client, create
from tests.test_semantic import search, settled, titles

pytest.importorskip("usearch", reason="the semantic extra is not installed")


def unit_rows(count: int, seed: int) -> np.ndarray[Any, np.dtype[np.float32]]:
    """Return count random unit vectors."""
    rows = np.random.default_rng(seed).standard_normal((count, DIMENSIONS)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows


def filled(ids: list[int], rows: np.ndarray[Any, np.dtype[np.float32]]) -> VectorIndex:
    """Return an index holding these rows, its graph from 50 products."""
    index = VectorIndex(graph_from=50)
    index.upsert(ids, rows)
    return index


def nearest_id(index: VectorIndex, vector: np.ndarray[Any, np.dtype[np.float32]]) -> int:
    return index.nearest(vector, 1)[0][0]


def test_the_graph_finds_what_the_exact_search_finds() -> None:
    rows = unit_rows(400, seed=1)
    index = filled(list(range(1, 401)), rows)
    assert index.build_graph()
    assert index.uses_graph
    for row in (0, 57, 399):
        assert nearest_id(index, rows[row]) == row + 1
        by_graph = {product_id for product_id, _ in index.nearest(rows[row], 10)}
        exact = {product_id for product_id, _ in index.nearest(rows[row], 10, exact=True)}
        assert len(by_graph & exact) >= 8


def test_a_saved_graph_is_loaded_and_brought_up_to_date(tmp_path: Path) -> None:
    rows = unit_rows(400, seed=2)
    ids = list(range(1, 401))
    first = filled(ids, rows)
    first.build_graph()
    file = GraphFile(tmp_path / "catalog.db.vectors.json")
    assert first.save_graph(lambda graph: file.save(graph, GRAPH_OPTIONS))

    # Since the save: product 7 got a new vector, 8 was deleted, 401 is new.
    changed, added = unit_rows(2, seed=3)
    second = filled(ids, rows)
    second.upsert([7, 401], np.vstack([changed, added]))
    second.remove([8])
    saved = file.load(GRAPH_OPTIONS)
    assert saved is not None
    assert second.adopt_graph(saved)
    assert second.uses_graph
    assert nearest_id(second, changed) == 7
    assert nearest_id(second, added) == 401
    assert 8 not in [product_id for product_id, _ in second.nearest(rows[7], 20)]
    assert nearest_id(second, rows[100]) == 101


def test_a_graph_of_other_vectors_is_refused(tmp_path: Path) -> None:
    ids = list(range(1, 201))
    first = filled(ids, unit_rows(200, seed=4))
    first.build_graph()
    file = GraphFile(tmp_path / "catalog.db.vectors.json")
    first.save_graph(lambda graph: file.save(graph, GRAPH_OPTIONS))
    # Another database at the same path: the same ids, other vectors.
    other = filled(ids, unit_rows(200, seed=5))
    saved = file.load(GRAPH_OPTIONS)
    assert saved is not None
    assert not other.adopt_graph(saved)
    assert not other.uses_graph
    assert other.build_graph()


class FailingAdd:
    """A loaded graph whose add fails, as it would when memory runs out."""

    def __init__(self, graph: Any) -> None:
        self.graph = graph
        self.ndim, self.keys = graph.ndim, graph.keys

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self.graph.get(*args, **kwargs)

    def remove(self, *args: Any, **kwargs: Any) -> Any:
        return self.graph.remove(*args, **kwargs)

    def add(self, *args: Any, **kwargs: Any) -> None:
        raise MemoryError("no room for the graph")


def test_a_graph_that_fails_while_adopted_leaves_the_index_able_to_build(tmp_path: Path) -> None:
    ids = list(range(1, 201))
    rows = unit_rows(201, seed=7)
    first = filled(ids, rows[:200])
    first.build_graph()
    file = GraphFile(tmp_path / "catalog.db.vectors.json")
    first.save_graph(lambda graph: file.save(graph, GRAPH_OPTIONS))
    second = filled([*ids, 201], rows)  # one product more: adopting it must add
    saved = file.load(GRAPH_OPTIONS)
    with pytest.raises(MemoryError):
        second.adopt_graph(FailingAdd(saved))
    assert not second.uses_graph
    assert second.build_graph()
    assert nearest_id(second, rows[200]) == 201


def test_only_a_complete_matching_graph_file_is_loaded(tmp_path: Path) -> None:
    file = GraphFile(tmp_path / "catalog.db.vectors.json")
    assert file.load(GRAPH_OPTIONS) is None
    file.manifest.write_text("{not json", encoding="utf-8")
    assert file.load(GRAPH_OPTIONS) is None
    index = filled(list(range(1, 101)), unit_rows(100, seed=6))
    index.build_graph()
    index.save_graph(lambda graph: file.save(graph, GRAPH_OPTIONS))
    assert file.load({**GRAPH_OPTIONS, "connectivity": 32}) is None
    # A second save replaces the first file and removes it.
    index.save_graph(lambda graph: file.save(graph, GRAPH_OPTIONS))
    assert len(list(tmp_path.glob("*.usearch"))) == 1
    for graph_path in tmp_path.glob("*.usearch"):
        graph_path.write_bytes(b"truncated")
    assert file.load(GRAPH_OPTIONS) is None


def test_where_graphs_are_saved(tmp_path: Path) -> None:
    sqlite = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/shop.db").database_url
    postgres = "postgresql+asyncpg://postgres@127.0.0.1:5432/shop"
    from sqlalchemy.engine import make_url

    beside = graph_file_for(make_url(sqlite), None)
    assert beside is not None
    assert beside.manifest == tmp_path / "shop.db.vectors.json"
    assert graph_file_for(make_url("sqlite+aiosqlite:///:memory:"), None) is None
    assert graph_file_for(make_url(postgres), None) is None
    elsewhere = graph_file_for(make_url(postgres), tmp_path)
    assert elsewhere is not None
    assert elsewhere.manifest.parent == tmp_path


async def _semantic_titles(client: httpx.AsyncClient, q: str) -> list[str]:
    return titles(await search(client, q, mode="semantic", limit=2))


async def _runtime_graph(app: FastAPI) -> bool:
    return (await settled(app)).index.uses_graph


@pytest.fixture
def small_graphs(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Give the app a graph from 3 products and capture the semantic runtime's log."""
    monkeypatch.setattr(semantic_runtime, "GRAPH_FROM", 3)
    caplog.set_level(logging.INFO, logger="catalog_api.semantic")


async def _four_products_and_a_saved_graph(settings: Settings, graphs: Path) -> dict[str, Any]:
    """Create four products, then start again so the graph is built and saved in graphs."""
    async with app_with(settings, semantic=True, semantic_graph_dir=graphs) as app:
        async with asgi_client(app) as client:
            made = {}
            for title in ["Desk Lamp", "Garden Hose", "Espresso Machine", "Cordless Drill"]:
                made[title] = await create(client, title=title, category="home", tags=[])
        await settled(app)
    async with app_with(settings, semantic=True, semantic_graph_dir=graphs) as app:
        assert await _runtime_graph(app)
    return made


async def test_a_restart_loads_the_saved_graph_and_catches_up(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture, small_graphs: None
) -> None:
    graphs, elsewhere = tmp_path / "graphs", tmp_path / "elsewhere"
    graphs.mkdir()
    elsewhere.mkdir()
    # The second start builds the graph from the stored vectors and saves it.
    made = await _four_products_and_a_saved_graph(settings, graphs)
    assert "vector graph of 4 products" in caplog.text
    assert len(list(graphs.glob("*.vectors.json"))) == 1

    # Another process (its graph saved elsewhere) changes the catalog meanwhile.
    async with app_with(settings, semantic=True, semantic_graph_dir=elsewhere) as app:
        async with asgi_client(app) as client:
            drill = made["Cordless Drill"]
            response = await client.patch(
                f"/api/products/{drill['id']}", json={"title": "Watering Can"}
            )
            assert response.status_code == 200, response.text
            deleted = await client.delete(f"/api/products/{made['Garden Hose']['id']}")
            assert deleted.status_code == 204, deleted.text
        await settled(app)

    caplog.clear()
    async with app_with(settings, semantic=True, semantic_graph_dir=graphs) as app:
        assert await _runtime_graph(app)
        async with asgi_client(app) as client:
            assert (await _semantic_titles(client, "watering can"))[0] == "Watering Can"
            assert "Garden Hose" not in await _semantic_titles(client, "garden hose")
    assert "vector graph of 3 products loaded" in caplog.text
    assert "(2 removed, 1 added since saved)" in caplog.text
    assert "built" not in caplog.text


async def test_a_start_whose_saved_graph_fails_builds_one(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    small_graphs: None,
) -> None:
    await _four_products_and_a_saved_graph(settings, tmp_path)
    assert "vector graph saved" in caplog.text

    def fails(self: VectorIndex, graph: Any, threads: int = 1) -> bool:
        raise RuntimeError("the saved graph broke while loading")

    monkeypatch.setattr(VectorIndex, "adopt_graph", fails)
    caplog.clear()
    async with app_with(settings, semantic=True, semantic_graph_dir=tmp_path) as app:
        assert await _runtime_graph(app)
        async with asgi_client(app) as client:
            assert (await _semantic_titles(client, "espresso machine"))[0] == "Espresso Machine"
    assert "could not use the saved vector graph" in caplog.text
    assert "vector graph of 4 products built" in caplog.text
