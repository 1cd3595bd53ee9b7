"""Hybrid search in bench.search_latency (issue 15's target): embed the catalog, wait for its index.

The served process loads the stored vectors and loads (or builds and saves) its vector graph in
the background after start-up; until then hybrid searches rank exactly, so the timed requests
wait for the server's log to say the index is ready.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from bench.latency_build import Catalog
from bench.util import clean_env, command, run_logged
from catalog_api.semantic.index import GRAPH_FROM

log = logging.getLogger("bench")

# Issue 15: hybrid search p99 under 80 ms at 1M products.
HYBRID_TARGET_MS = 80.0
HYBRID_SERIES = ("search mode=hybrid", {"mode": "hybrid"})


def embed_catalog(catalog: Catalog, workdir: Path) -> float:
    """Run `catalog-api embed` on the catalog (only what is missing); return wall seconds."""
    env = clean_env(workdir, CATALOG_DATABASE_URL=catalog.url)
    logs = workdir / "logs" / f"embed-{catalog.engine}.log"
    log.info("catalog-api embed on the %s catalog (log %s)", catalog.engine, logs)
    return run_logged([*command("catalog-api"), "embed"], env, logs, 3600)


def log_size(serve_log: Path) -> int:
    """Return the log's length now: what this server writes comes after it (logs are appended)."""
    return serve_log.stat().st_size if serve_log.exists() else 0


def wait_until_vectors_ready(
    serve_log: Path, since: int, products: int, limit_seconds: float
) -> float:
    """Wait (bounded) until the server's log, past since, says its vector index is ready."""
    ready = b"vector graph of" if products >= GRAPH_FROM else b"vector index:"
    started = time.perf_counter()
    while time.perf_counter() - started < limit_seconds:
        with serve_log.open("rb") as written:
            written.seek(since)
            found = ready in written.read()
        if found:
            seconds = time.perf_counter() - started
            log.info("vector index ready after %.1f s", seconds)
            return seconds
        time.sleep(1.0)
    raise RuntimeError(f"no {ready!r} in {serve_log} within {limit_seconds:.0f} s")
