"""Semantic search on PostgreSQL with pgvector: vectors searched in SQL (issue 15 item 2).

The local PostgreSQL has no pgvector; pgserver (dev extra) brings PostgreSQL 16 with pgvector
0.6.2 and is started once for the session. Where it cannot start these tests skip, saying
why. The shared semantic tests are imported and run here again on the pgvector path.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterator

import httpx
import pytest
from alembic import command
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from catalog_api.cli import main
from catalog_api.config import Settings
from catalog_api.semantic import pgvector
from catalog_api.semantic import search as semantic_search
from catalog_api.semantic.availability import RUNTIMES
from tests import test_semantic as shared
from tests.conftest import (
    admin_execute,
    app_with,
    asgi_client,
    create,
    empty_postgres,
    fetch_rows,
    migrate_url,
    migrate_url_to,
)
from tests.pgvector_server import ServerUnavailableError, pgvector_server
from tests.test_semantic import (  # noqa: F401 - collected again, on the pgvector database
    _shop,
    search,
    settled,
    test_a_product_not_yet_embedded_is_found_by_words,
    test_a_sku_query_in_hybrid_mode_is_answered_by_words,
    test_deleted_products_leave_the_index,
    test_filters_apply_to_vector_results,
    test_selective_filters_rank_the_passing_products_themselves,
    test_similar_products_follow_an_update,
    test_three_modes,
    titles,
)
from tests.test_semantic_cli import (  # noqa: F401 - collected again, on the pgvector database
    _fill,
    test_embed_backfills_and_resumes,
)

pytest.importorskip("wordllama", reason="the semantic extra is not installed")

semantic_app = shared.semantic_app
semantic_client = shared.semantic_client


@pytest.fixture(scope="session")
def pgvector_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a running PostgreSQL with pgvector (its `postgres` database)."""
    try:
        with pgvector_server(tmp_path_factory.mktemp("pgvector")) as url:
            yield url
    except ServerUnavailableError as error:
        pytest.skip(f"no PostgreSQL with pgvector: {error}")


def _new_database(base: str) -> str:
    name = f"catalog_pgv_{uuid.uuid4().hex[:10]}"
    admin_execute(base, f'CREATE DATABASE "{name}"')
    return make_url(base).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pgvector_url(pgvector_base: str) -> str:
    """A migrated database on it (migration 0015 sets up the pgvector column and index).

    Sequential scans are off in it, so that these few rows are read through the HNSW index
    as a large catalog's would be (the planner scans a small table instead).
    """
    url = _new_database(pgvector_base)
    migrate_url(url)
    database = make_url(url).database
    admin_execute(pgvector_base, f'ALTER DATABASE "{database}" SET enable_seqscan = off')
    return url


@pytest.fixture
def database_url(pgvector_url: str) -> str:
    """Every test of this module, the imported ones too, runs on the emptied pgvector database."""
    empty_postgres(pgvector_url)
    return pgvector_url


def _filled(url: str) -> list[tuple[int, bool]]:
    return [
        (int(pid), bool(has))
        for pid, has in fetch_rows(
            url, "SELECT product_id, embedding IS NOT NULL FROM product_embeddings ORDER BY 1"
        )
    ]


async def test_vectors_are_searched_in_postgresql(
    semantic_app: FastAPI, semantic_client: httpx.AsyncClient, settings: Settings
) -> None:
    made = await _shop(semantic_client)
    await settled(semantic_app)
    runtime = RUNTIMES.get(semantic_app.state.engine)
    assert runtime is not None
    assert runtime.pgvector is not None
    assert runtime.pgvector.kind == "vector"  # pgvector 0.6: no halfvec
    assert len(runtime.index) == 0  # this process holds no vectors
    ids = sorted(product["id"] for product in made.values())
    assert await asyncio.to_thread(_filled, settings.database_url) == [(i, True) for i in ids]
    page = await search(semantic_client, "hiking footwear", mode="semantic")
    assert titles(page)[0] == "Trail Runner Shoes"


async def test_an_update_moves_the_vector_in_postgresql(
    semantic_app: FastAPI, semantic_client: httpx.AsyncClient
) -> None:
    made = await _shop(semantic_client)
    await settled(semantic_app)
    drill = made["Cordless Drill"]["id"]
    before = await search(semantic_client, "coffee", mode="semantic", limit=2)
    assert "Cordless Drill" not in titles(before)
    patched = await semantic_client.patch(
        f"/api/products/{drill}", json={"title": "Coffee Grinder", "tags": ["barista"]}
    )
    assert patched.status_code == 200, patched.text
    await settled(semantic_app)
    after = await search(semantic_client, "coffee", mode="semantic", limit=2)
    assert "Coffee Grinder" in titles(after)
    similar = await semantic_client.get(f"/api/products/{drill}/similar", params={"limit": 1})
    assert [item["title"] for item in similar.json()["items"]] == ["Espresso Machine"]


def test_filters_wider_than_a_scan_widen_it(
    pgvector_base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 50 lamps, nearer the query than the one kitchen product: a scan of the nearest 40
    # (pgvector's default ef_search) holds no kitchen product, a wider one does. No exact
    # ranking of the passing products, and no sorting for the planner (it would sort the
    # one kitchen product on so few rows): only the widened HNSW scan can find it.
    monkeypatch.setattr(semantic_search, "MAX_FILTERED_EXACT", 0)
    url = _new_database(pgvector_base)
    migrate_url(url)
    database = make_url(url).database
    for setting in ("enable_seqscan", "enable_sort"):
        admin_execute(pgvector_base, f'ALTER DATABASE "{database}" SET {setting} = off')
    asyncio.run(_kitchen_among_lamps(Settings(database_url=url, auto_migrate=False)))


async def _kitchen_among_lamps(settings: Settings) -> None:
    async with app_with(settings, semantic=True) as app, asgi_client(app) as client:
        lamps = [
            await create(client, title=f"{style} {kind}", category="office", tags=["led"])
            for style in ("Brass", "Modern", "Dimmable", "Adjustable", "Vintage", "Clip-On",
                          "Wireless", "Swing-Arm", "Smart", "Compact")
            for kind in ("Desk Lamp", "Table Lamp", "Reading Lamp", "Floor Lamp", "Lamp Light")
        ]  # fmt: skip
        await create(client, title="Espresso Machine", category="kitchen", tags=[])
        await settled(app)
        for mode in ("semantic", "hybrid"):
            page = await search(client, "desk lamp", mode=mode, category="kitchen")
            assert titles(page) == ["Espresso Machine"], mode
        similar = await client.get(
            f"/api/products/{lamps[3]['id']}/similar", params={"category": "kitchen"}
        )
        assert [item["title"] for item in similar.json()["items"]] == ["Espresso Machine"]


def test_pgvector_installed_later_is_set_up_by_embed(pgvector_base: str) -> None:
    # As migrated where pgvector was missing: no column, no index; vectors in bytes only.
    url = _new_database(pgvector_base)
    migrate_url(url)
    admin_execute(url, "DROP INDEX ix_product_embeddings_embedding_hnsw")
    admin_execute(url, "ALTER TABLE product_embeddings DROP COLUMN embedding")
    settings = Settings(database_url=url, auto_migrate=False)
    asyncio.run(_in_process_then_embedded(settings))
    assert _filled(url) == [(1, True), (2, True), (3, True)]
    assert "ix_product_embeddings_embedding_hnsw" in _index_names(url)
    asyncio.run(_served_by_pgvector(settings))


async def _in_process_then_embedded(settings: Settings) -> None:
    await _fill(settings, 2)
    async with app_with(settings, semantic=True) as app:
        runtime = await settled(app)
        assert runtime.pgvector is None
        assert len(runtime.index) == 3
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CATALOG_DATABASE_URL", settings.database_url)
        assert await asyncio.to_thread(main, ["embed"]) == 0


async def _served_by_pgvector(settings: Settings) -> None:
    async with app_with(settings) as app, asgi_client(app) as client:
        runtime = RUNTIMES.get(app.state.engine)
        assert runtime is not None
        assert runtime.pgvector is not None
        page = await search(client, "light for my desk", mode="semantic")
        assert titles(page)[0] == "Desk Lamp"


@pytest.mark.postgres
async def test_postgresql_without_pgvector_keeps_the_in_process_index(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    await asyncio.to_thread(empty_postgres, postgres_url)
    settings = Settings(database_url=postgres_url, auto_migrate=False)
    installed = await asyncio.to_thread(
        fetch_rows, postgres_url, "SELECT 1 FROM pg_extension WHERE extname = 'vector'"
    )
    if installed:
        pytest.skip("this PostgreSQL has pgvector installed")
    with caplog.at_level(logging.INFO, logger="catalog_api.semantic"):
        async with app_with(settings, semantic=True) as app, asgi_client(app) as client:
            runtime = RUNTIMES.get(app.state.engine)
            assert runtime is not None
            assert runtime.pgvector is None
            await _shop(client)
            await settled(app)
            assert len(runtime.index) == 6
            page = await search(client, "hiking footwear", mode="semantic")
            assert titles(page)[0] == "Trail Runner Shoes"
    assert "vectors are searched in this process's index" in caplog.text
    assert "catalog-api embed" in caplog.text


def test_a_large_backfill_builds_the_index_after_the_vectors(
    pgvector_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    empty_postgres(pgvector_url)
    settings = Settings(database_url=pgvector_url, auto_migrate=False)
    asyncio.run(_fill(settings, 2))
    monkeypatch.setattr(pgvector, "BULK_FROM", 2)
    monkeypatch.setenv("CATALOG_DATABASE_URL", pgvector_url)
    with caplog.at_level(logging.INFO, logger="catalog_api.semantic"):
        assert main(["embed"]) == 0
    assert "3 vectors to write: the HNSW index is built after them" in caplog.text
    assert "HNSW index built" in caplog.text
    assert _filled(pgvector_url) == [(1, True), (2, True), (3, True)]
    assert _index_names(pgvector_url) >= {"ix_product_embeddings_embedding_hnsw"}
    # As if that run had been stopped before the build: the API says so, and still answers.
    admin_execute(pgvector_url, "DROP INDEX ix_product_embeddings_embedding_hnsw")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="catalog_api.semantic"):
        asyncio.run(_served_by_pgvector(settings))
    assert "the HNSW index of product_embeddings is missing" in caplog.text
    assert main(["embed"]) == 0
    assert _index_names(pgvector_url) >= {"ix_product_embeddings_embedding_hnsw"}


def _index_names(url: str) -> set[str]:
    rows = fetch_rows(
        url, "SELECT indexname FROM pg_indexes WHERE tablename = 'product_embeddings'"
    )
    return {str(row[0]) for row in rows}


def test_a_role_that_may_not_create_the_extension_keeps_the_in_process_index(
    pgvector_base: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # pgvector 0.6.2 is not a trusted extension: only a superuser may create it.
    role = f"plain_{uuid.uuid4().hex[:8]}"
    admin_execute(pgvector_base, f'CREATE ROLE "{role}" LOGIN')
    url = _new_database(pgvector_base)
    database = make_url(url).database
    admin_execute(pgvector_base, f'ALTER DATABASE "{database}" OWNER TO "{role}"')
    admin_execute(url, f'ALTER SCHEMA public OWNER TO "{role}"')
    plain = make_url(url).set(username=role).render_as_string(hide_password=False)
    migrate_url(plain)
    assert fetch_rows(plain, "SELECT 1 FROM pg_extension WHERE extname = 'vector'") == []
    settings = Settings(database_url=plain, auto_migrate=False)
    asyncio.run(_fill(settings, 1))
    monkeypatch.setenv("CATALOG_DATABASE_URL", plain)
    with caplog.at_level(logging.INFO, logger="catalog_api.semantic"):
        assert main(["embed"]) == 0
        asyncio.run(_served_in_process(settings))
    assert "CREATE EXTENSION vector failed" in caplog.text
    assert "is available on this PostgreSQL but not set up in this database" in caplog.text


async def _served_in_process(settings: Settings) -> None:
    async with app_with(settings) as app, asgi_client(app) as client:
        runtime = await settled(app)
        assert runtime.pgvector is None
        assert len(runtime.index) == 2
        page = await search(client, "light for my desk", mode="semantic")
        assert titles(page)[0] == "Desk Lamp"


def test_migration_0015_goes_down_and_up_again(pgvector_base: str) -> None:
    url = _new_database(pgvector_base)
    migrate_url(url)
    asyncio.run(migrate_url_to(url, command.downgrade, "0014"))
    assert "ix_product_embeddings_embedding_hnsw" not in _index_names(url)
    columns = "SELECT column_name FROM information_schema.columns WHERE table_name = "
    assert ("embedding",) not in fetch_rows(url, columns + "'product_embeddings'")
    asyncio.run(migrate_url_to(url, command.upgrade, "head"))
    assert "ix_product_embeddings_embedding_hnsw" in _index_names(url)
