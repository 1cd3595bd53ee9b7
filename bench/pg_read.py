"""PostgreSQL GET by id: the API against a bare Starlette + asyncpg endpoint, in the same run.

python -m bench.pg_read --n 200000 [--runs 5] [--pool-sizes 4] [--database bench_xxxx --keep]

Creates a bench_* database (or reuses --database), imports N generated products with
`catalog-api import`, then runs wrk against `catalog-api serve` (once per read pool size)
and bench/bare_pg_app.py, interleaved run by run, and prints the medians and their ratio.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import httpx

from bench import pg
from bench.generate import DEFAULT_SEED, write_products
from bench.load import WrkResult, run_wrk, write_script
from bench.util import (
    LOOPBACK,
    clean_env,
    command,
    free_port,
    median,
    run_logged,
    serving,
    setup_logging,
)

log = logging.getLogger("bench")
TARGET = 0.5


def _load(name: str, n: int, workdir: Path) -> None:
    """Migrate the database and import n generated products into it."""
    env = clean_env(workdir, CATALOG_DATABASE_URL=pg.async_url(name))
    run_logged([*command("catalog-api"), "migrate"], env, workdir / "migrate.log", 120)
    jsonl = workdir / "products.jsonl"
    write_products(jsonl, n, DEFAULT_SEED)
    argv = [*command("catalog-api"), "import", str(jsonl), "--batch-size", "5000"]
    log.info("importing %d products into %s", n, name)
    seconds = run_logged(argv, env, workdir / "import.log", 3600)
    log.info("imported in %.0f s", seconds)
    # What autovacuum does to an insert-only table soon after (PostgreSQL 13+): statistics, and
    # the visibility map that lets count(*) read an index instead of the heap.
    pg.psql("VACUUM (ANALYZE) products", name)


def _check(url: str, n: int) -> None:
    for product_id in (1, n):
        status = httpx.get(f"{url}/api/products/{product_id}", timeout=30).status_code
        if status != 200:
            raise RuntimeError(f"GET {url}/api/products/{product_id} answered {status}")


def _series(
    targets: dict[str, str], script: Path, args: argparse.Namespace, wrk_log: Path
) -> dict[str, list[WrkResult]]:
    """Warm each target up, then run wrk on each in turn, args.runs times."""
    for name, url in targets.items():
        log.info("warm-up %s", name)
        run_wrk(url, script, args.warmup, args.connections, wrk_log)
    results: dict[str, list[WrkResult]] = {name: [] for name in targets}
    for index in range(args.runs):
        for name, url in targets.items():
            result = run_wrk(url, script, args.seconds, args.connections, wrk_log)
            log.info(
                "run %d %s: %.0f req/s, p50 %.2f ms, p99 %.2f ms, non-2xx %d, errors %d",
                index + 1,
                name,
                result.rps,
                result.p50_ms,
                result.p99_ms,
                result.non_2xx,
                result.socket_errors,
            )
            results[name].append(result)
    return results


def measure(name: str, n: int, args: argparse.Namespace, workdir: Path) -> list[str]:
    """Serve the API (per pool size) and the reference on database name; return report lines."""
    dsn = pg.async_url(name).replace("postgresql+asyncpg://", "postgresql://")
    script = write_script(workdir / "get_by_id.lua", n, DEFAULT_SEED)
    wrk_log = workdir / "wrk.log"
    bare_port = free_port()
    bare_url = f"http://{LOOPBACK}:{bare_port}"
    bare = [sys.executable, "-m", "bench.bare_pg_app", "--dsn", dsn, "--port", str(bare_port)]
    lines = [
        f"N={n:,}, wrk -t1 -c{args.connections} -d{args.seconds}s x {args.runs} runs per "
        f"server, interleaved, after a {args.warmup} s warm-up; medians. Ratio: of the medians, "
        "and the median of each API run over the bare run right after it",
        "",
        "| server | req/s (runs) | p50 | p99 | ratio to bare (medians; per pair) |",
        "|---|---|---|---|---|",
    ]
    env_base = clean_env(workdir, CATALOG_DATABASE_URL=pg.async_url(name))
    with serving(bare, env_base, f"{bare_url}/healthz", workdir / "bare.log"):
        _check(bare_url, n)
        variants = [
            (f"API, CATALOG_DB_READ_POOL_SIZE={size}", {"CATALOG_DB_READ_POOL_SIZE": str(size)})
            for size in args.pool_sizes
        ]
        if args.before is not None:
            variants.append((f"API from {args.before}", {"PYTHONPATH": str(args.before)}))
        for index, (label, extra) in enumerate(variants):
            port = free_port()
            url = f"http://{LOOPBACK}:{port}"
            serve = [*command("catalog-api"), "serve", "--port", str(port)]
            log_path = workdir / f"api-{index}.log"
            with serving(serve, {**env_base, **extra}, f"{url}/api/healthz", log_path):
                _check(url, n)
                runs = _series({"api": url, "bare": bare_url}, script, args, wrk_log)
            api_rps = median([r.rps for r in runs["api"]])
            bare_rps = median([r.rps for r in runs["bare"]])
            ratio = api_rps / bare_rps
            paired = median([a.rps / b.rps for a, b in zip(runs["api"], runs["bare"], strict=True)])
            verdict = "PASS" if ratio >= TARGET else "MISS"
            shown_ratio = f"{ratio:.0%} {verdict}; {paired:.0%}"
            for row_label, series, shown in (
                (label, runs["api"], shown_ratio),
                ("bare Starlette + asyncpg (same run)", runs["bare"], "-"),
            ):
                rps = ", ".join(f"{r.rps:,.0f}" for r in series)
                lines.append(
                    f"| {row_label} | {median([r.rps for r in series]):,.0f} ({rps}) "
                    f"| {median([r.p50_ms for r in series]):.2f} ms "
                    f"| {median([r.p99_ms for r in series]):.2f} ms | {shown} |"
                )
            bad = sum(r.non_2xx + r.socket_errors for s in runs.values() for r in s)
            if bad:
                lines.append(f"| (non-2xx or socket errors: {bad}) | | | | |")
    return lines


def build_parser() -> argparse.ArgumentParser:
    """Return the command line parser."""
    parser = argparse.ArgumentParser(prog="python -m bench.pg_read", description=__doc__)
    parser.add_argument("--n", type=int, default=200_000, help="products to import")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--pool-sizes",
        type=lambda text: [int(part) for part in text.split(",")],
        default=[10],
        help="CATALOG_DB_READ_POOL_SIZE values to serve the API with, e.g. 2,4,8",
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="also serve the API from this source tree, to compare with an earlier commit "
        "(made with: git archive COMMIT catalog_api | tar -x -C DIR)",
    )
    parser.add_argument("--database", help="reuse this bench_* database (already loaded)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Load (or reuse) a database, measure, print the table."""
    setup_logging()
    args = build_parser().parse_args(argv)
    name = args.database or pg.new_database_name()
    with tempfile.TemporaryDirectory(prefix="catalog-pg-read-") as tmp:
        workdir = Path(tmp)
        try:
            if args.database is None:
                pg.create_database(name)
                _load(name, args.n, workdir)
            n = int(pg.psql("SELECT max(id) FROM products", name))
            lines = measure(name, n, args, workdir)
        finally:
            if not args.keep:
                pg.drop_database(name)
            else:
                log.info("kept database %s", name)
    sys.stdout.write(f"PostgreSQL {pg.server_version()}, database {name}\n")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
