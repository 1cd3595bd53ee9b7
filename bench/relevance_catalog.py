"""The judged products as a real catalog (built by the migrations) and its search, called as
the API calls it: ProductService.search on a session of the app's own engine."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bench.relevance_data import Judgments
from catalog_api.config import Settings
from catalog_api.db import WRITE_OPTION, QuerySlots, create_engine, create_session_factory
from catalog_api.db import query_scope as app_query_scope
from catalog_api.errors import InvalidInputError, database_refusal
from catalog_api.migrate import head_revision, upgrade
from catalog_api.models import Product, ProductStatus
from catalog_api.planner import refresh_statistics
from catalog_api.query_reading import QueryReader, search_interpreted
from catalog_api.schemas import ProductCreate, SearchMode
from catalog_api.services.products import ProductService, SearchQuery

log = logging.getLogger("bench")

# Bump when the rows written for a product change, so that kept SQLite catalogs are rebuilt.
LOADER_VERSION = "1"
# No query of the data set contains this word, so the category column never matches.
NEUTRAL_CATEGORY = "uncategorised"
RESULTS_WANTED = 100
_PAGE_FIELDS = frozenset({"items", "total", "limit", "next_cursor"})
_INSERT_BATCH = 5000
_CREATED_AT = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class CatalogAnswer:
    """What the catalog search returned for one query."""

    ids: list[int] = field(default_factory=list)
    total: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    no_words: bool = False
    refused: str | None = None
    seconds: float = 0.0


@dataclass
class Catalog:
    """An open catalog: its engine, sessions and settings."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    dialect: str
    build_seconds: float | None
    slots: QuerySlots
    reader: QueryReader = field(init=False)

    def __post_init__(self) -> None:
        """The offline query reader of an app with these settings (no model)."""
        self.reader = QueryReader(self.settings, None)

    async def search(
        self, query: str, *, interpret: bool = False, mode: SearchMode = SearchMode.LEXICAL
    ) -> CatalogAnswer:
        """Search like GET /api/products/search, paging until RESULTS_WANTED results.

        interpret: as interpret=true, the offline reader's filters applied to each page.
        """
        answer = CatalogAnswer()
        limit = min(self.settings.max_page_size, RESULTS_WANTED)
        cursor: str | None = None
        started = time.perf_counter()
        while len(answer.ids) < RESULTS_WANTED:
            # One session and one query scope per page, as each page is its own request.
            with app_query_scope(self.slots, self.settings.query_timeout_seconds):
                async with self.sessions() as session:
                    try:
                        search = SearchQuery(q=query, limit=limit, cursor=cursor, mode=mode)
                        if interpret:
                            reading = await self.reader.read(session, query, frozenset(), None)
                            page = await search_interpreted(
                                ProductService(session), reading, search
                            )
                        else:
                            page = await ProductService(session).search(search)
                    except InvalidInputError:
                        answer.no_words = True
                        break
                    except DBAPIError as error:
                        refusal = database_refusal(error)
                        if refusal is None:
                            raise
                        answer.refused = type(refusal).__name__
                        break
            if cursor is None:
                answer.total = page.total
                answer.extra = page.model_dump(mode="json", exclude=set(_PAGE_FIELDS))
            answer.ids.extend(item.id for item in page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
        answer.ids = answer.ids[:RESULTS_WANTED]
        answer.seconds = time.perf_counter() - started
        return answer

    async def close(self) -> None:
        """Dispose of the engine."""
        await self.engine.dispose()


def product_rows(judgments: Judgments) -> list[dict[str, Any]]:
    """Return one row per judged product: its title, neutral values elsewhere, id = product_uid."""
    rows = []
    for uid, title in judgments.titles.items():
        create = ProductCreate(
            title=title,
            category=NEUTRAL_CATEGORY,
            price_minor=100,
            currency="USD",
            status=ProductStatus.ACTIVE,
        )
        values = create.to_values()
        values.update(
            id=uid,
            slug=f"hd-{uid}",
            version=1,
            created_at=_CREATED_AT,
            updated_at=_CREATED_AT,
            price_minor=100,
            stock_quantity=0,
        )
        rows.append(values)
    return rows


async def _insert_products(engine: AsyncEngine, rows: list[dict[str, Any]]) -> None:
    async with engine.connect() as connection:
        connection = await connection.execution_options(**{WRITE_OPTION: True})
        await connection.execute(delete(Product))
        for start in range(0, len(rows), _INSERT_BATCH):
            await connection.execute(insert(Product), rows[start : start + _INSERT_BATCH])
        await connection.commit()


async def _stored_titles(engine: AsyncEngine) -> dict[int, str]:
    async with engine.connect() as connection:
        result = await connection.execute(select(Product.id, Product.title))
        return {row.id: row.title for row in result}


def sqlite_path(workdir: Path, judgments: Judgments) -> Path:
    """Return the kept SQLite catalog for this data, migration head and loader version."""
    key = f"{judgments.digest}:{head_revision()}:{LOADER_VERSION}"
    return workdir / f"catalog-{hashlib.sha256(key.encode()).hexdigest()[:16]}.db"


async def open_catalog(
    database_url: str | None, workdir: Path, judgments: Judgments, *, rebuild: bool
) -> Catalog:
    """Open the catalog, building it first unless a matching one is kept."""
    if database_url is not None:
        return await _open_given(_settings(database_url), judgments, rebuild=rebuild)
    path = sqlite_path(workdir, judgments)
    if rebuild or not path.exists():
        building = path.with_name(path.stem + ".building.db")
        for stale in (building, *_sidecars(building)):
            stale.unlink(missing_ok=True)
        seconds = await _build(_settings(f"sqlite+aiosqlite:///{building}"), judgments)
        building.replace(path)
    else:
        seconds = None
        log.info("reusing the catalog %s (--rebuild to build it again)", path)
    settings = _settings(f"sqlite+aiosqlite:///{path}")
    await _with_statistics(settings)
    return _open(settings, seconds)


async def _with_statistics(settings: Settings) -> None:
    """Give the catalog the planner statistics the API gives it at start-up.

    Without them a filtered search (status=active) on this catalog ran a full-text lookup per
    product: 30-54 s instead of 29 ms.
    """
    engine = create_engine(settings)
    try:
        await refresh_statistics(engine)
    finally:
        await engine.dispose()


async def _open_given(settings: Settings, judgments: Judgments, *, rebuild: bool) -> Catalog:
    """Migrate a given database; reuse its products when they are exactly the judged ones."""
    catalog = _open(settings, None)
    await upgrade(catalog.engine)
    stored = await _stored_titles(catalog.engine)
    rows = product_rows(judgments)
    if stored == {row["id"]: row["title"] for row in rows} and not rebuild:
        log.info("reusing the products in the database (--rebuild to load them again)")
        return catalog
    if stored and not rebuild:
        await catalog.close()
        raise SystemExit(
            f"The database holds {len(stored):,} products that are not this benchmark's; give "
            "an empty database, or --rebuild to delete them."
        )
    started = time.perf_counter()
    await _insert_products(catalog.engine, rows)
    catalog.build_seconds = time.perf_counter() - started
    log.info("loaded %d products in %.1f s", len(rows), catalog.build_seconds)
    return catalog


async def _build(settings: Settings, judgments: Judgments) -> float:
    """Create the schema with the migrations and insert the products; return the seconds."""
    started = time.perf_counter()
    engine = create_engine(settings)
    try:
        await upgrade(engine)
        rows = product_rows(judgments)
        await _insert_products(engine, rows)
    finally:
        await engine.dispose()
    seconds = time.perf_counter() - started
    log.info("built a catalog of %d products in %.1f s", len(rows), seconds)
    return seconds


def _settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)


def _open(settings: Settings, build_seconds: float | None) -> Catalog:
    engine = create_engine(settings)
    return Catalog(
        settings=settings,
        engine=engine,
        sessions=create_session_factory(engine),
        dialect=make_url(settings.database_url).get_backend_name(),
        build_seconds=build_seconds,
        slots=QuerySlots(settings.query_slots, settings.query_queue_seconds),
    )


def _sidecars(path: Path) -> tuple[Path, Path]:
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
