"""Cost of facets=true on product lists, in process (python -m bench.facets DATABASE_URL)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from typing import Any

from bench.util import median
from catalog_api.config import Settings
from catalog_api.db import create_engine, create_session_factory
from catalog_api.facets import FacetService
from catalog_api.repositories import ProductFilters, ProductRepository
from catalog_api.services import ListQuery, ProductService

CASES: dict[str, ProductFilters] = {
    "no filter": ProductFilters(),
    "status=active": ProductFilters(status="active"),  # type: ignore[arg-type]
    "category=kitchen": ProductFilters(category="kitchen"),
    "price 20.00-50.00 USD": ProductFilters(currency="USD", min_price=2000, max_price=5000),
}


Timing = tuple[float, float]  # wall and process CPU seconds


async def _timed(factory: Any, work: Any) -> tuple[Timing, Any]:
    async with factory() as session:
        wall, cpu = time.perf_counter(), time.process_time()
        result = await work(session)
        return (time.perf_counter() - wall, time.process_time() - cpu), result


async def _measure(url: str, caps: Sequence[int], runs: int) -> list[tuple[Any, ...]]:
    engine = create_engine(Settings(database_url=url, auto_migrate=False))
    factory = create_session_factory(engine)
    rows: list[tuple[Any, ...]] = []
    try:
        for label, filters in CASES.items():
            for cap in caps:

                async def page(session: Any, filters: ProductFilters = filters) -> Any:
                    return await ProductService(session).browse(ListQuery(filters=filters))

                _, first = await _timed(factory, page)

                async def facets(
                    session: Any, filters: Any = filters, cap: int = cap, total: int = first.total
                ) -> Any:
                    # As ProductService.browse does: the page's total spares counting again.
                    match = ProductRepository(session).matching_ids(filters)
                    return await FacetService(session, limit=cap).for_select(match, total=total)

                pages: list[Timing] = []
                counts: list[Timing] = []
                for run in range(runs + 1):
                    # Alternate, so that both see the same noise; run 0 warms the caches.
                    page_time, listed = await _timed(factory, page)
                    facet_time, counted = await _timed(factory, facets)
                    if run:
                        pages.append(page_time)
                        counts.append(facet_time)
                rows.append((label, cap, listed.total, counted.counted, pages, counts))
    finally:
        await engine.dispose()
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Print median times of a list page and of its facets, per filter and cap."""
    parser = argparse.ArgumentParser(prog="python -m bench.facets", description=__doc__)
    parser.add_argument("url", help="database URL of a filled catalog (e.g. a bench import)")
    parser.add_argument("--caps", default="10000", help="comma-separated facet limits")
    parser.add_argument("--runs", type=int, default=9, help="timed runs of each")
    args = parser.parse_args(argv)
    caps = [int(cap) for cap in args.caps.split(",")]
    rows = asyncio.run(_measure(args.url, caps, args.runs))
    out = sys.stdout
    out.write(
        "| list | matches | cap | counted | page ms | facets ms | facets max ms "
        "| facets CPU ms (this process) |\n|---|---|---|---|---|---|---|---|\n"
    )
    for label, cap, total, counted, pages, counts in rows:
        out.write(
            f"| {label} | {total:,} | {cap:,} | {counted:,} "
            f"| {median([w for w, _ in pages]) * 1000:.1f} "
            f"| {median([w for w, _ in counts]) * 1000:.1f} "
            f"| {max(w for w, _ in counts) * 1000:.1f} "
            f"| {median([c for _, c in counts]) * 1000:.1f} |\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
