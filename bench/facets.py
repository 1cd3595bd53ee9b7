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
from catalog_api.repositories import ProductFilters
from catalog_api.services import ListQuery, ProductService

CASES: dict[str, ProductFilters] = {
    "no filter": ProductFilters(),
    "status=active": ProductFilters(status="active"),  # type: ignore[arg-type]
    "category=kitchen": ProductFilters(category="kitchen"),
    "price 20.00-50.00 USD": ProductFilters(currency="USD", min_price=2000, max_price=5000),
}


async def _measure(url: str, caps: Sequence[int], runs: int) -> list[tuple[str, int, Any]]:
    engine = create_engine(Settings(database_url=url, auto_migrate=False))
    factory = create_session_factory(engine)
    rows: list[tuple[str, int, Any]] = []
    try:
        for label, filters in CASES.items():
            for cap in caps:
                plain: list[tuple[float, float]] = []
                faceted: list[tuple[float, float]] = []
                for run in range(runs + 1):
                    # Alternate, so that both variants see the same noise; run 0 warms the cache.
                    for facets, times in ((False, plain), (True, faceted)):
                        async with factory() as session:
                            service = ProductService(session, facet_limit=cap)
                            wall, cpu = time.perf_counter(), time.process_time()
                            page = await service.browse(ListQuery(filters=filters, facets=facets))
                            if run:
                                times.append(
                                    (time.perf_counter() - wall, time.process_time() - cpu)
                                )
                counted = page.facets.counted if page.facets else 0
                rows.append((label, cap, (page.total, counted, plain, faceted)))
    finally:
        await engine.dispose()
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Print the median time of a list page with and without facets, per filter and cap."""
    parser = argparse.ArgumentParser(prog="python -m bench.facets", description=__doc__)
    parser.add_argument("url", help="database URL of a filled catalog (e.g. a bench import)")
    parser.add_argument("--caps", default="10000", help="comma-separated facet limits")
    parser.add_argument("--runs", type=int, default=9, help="timed runs per variant")
    args = parser.parse_args(argv)
    caps = [int(cap) for cap in args.caps.split(",")]
    rows = asyncio.run(_measure(args.url, caps, args.runs))
    out = sys.stdout
    out.write(
        "| list | matches | cap | counted | page ms | page+facets ms | facets ms "
        "| facets CPU ms (this process) |\n|---|---|---|---|---|---|---|---|\n"
    )
    for label, cap, (total, counted, plain, faceted) in rows:
        page_ms = median([wall for wall, _ in plain]) * 1000
        both_ms = median([wall for wall, _ in faceted]) * 1000
        cpu_ms = (median([c for _, c in faceted]) - median([c for _, c in plain])) * 1000
        out.write(
            f"| {label} | {total:,} | {cap:,} | {counted:,} | {page_ms:.1f} | {both_ms:.1f} "
            f"| {both_ms - page_ms:.1f} | {cpu_ms:.1f} |\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
