"""GET-by-id throughput A/B: catalog-api serve (bounded heads) against plain uvicorn.

python -m bench.serving_ab --n 100000 --runs 5 --seconds 10

Both servers run the same app on the same SQLite file at the same time, and wrk runs
alternate between them, so they see the same machine noise. A: `catalog-api serve`
(catalog_api.serving: httptools with a head cap and deadline). B: `uvicorn --factory
catalog_api.app:create_app`, uvicorn's own httptools protocol, as `serve` ran before.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from bench.generate import DEFAULT_SEED, write_products
from bench.load import WrkResult, run_wrk, write_script, wrk_version
from bench.util import (
    LOOPBACK,
    clean_env,
    command,
    free_port,
    median,
    run_logged,
    serving,
    setup_logging,
    sqlite_url,
)

log = logging.getLogger("bench")

CONNECTIONS = 32


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.serving_ab", description=__doc__)
    parser.add_argument("--n", type=int, default=100_000, help="products (default 100000)")
    parser.add_argument("--runs", type=int, default=5, help="wrk runs per server (default 5)")
    parser.add_argument("--seconds", type=int, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up seconds per server")
    parser.add_argument("--workdir", type=Path, help="work directory (default: new dir in /tmp)")
    return parser


def _summary(name: str, results: list[WrkResult]) -> str:
    runs = ", ".join(f"{r.rps:,.0f}" for r in results)
    return (
        f"{name}: median {median([r.rps for r in results]):,.0f} req/s "
        f"(p99 median {median([r.p99_ms for r in results]):.1f} ms); runs {runs}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the A/B and print medians, the ratio and every run on stdout."""
    args = build_parser().parse_args(argv)
    setup_logging()
    workdir: Path = args.workdir or Path(tempfile.mkdtemp(prefix="catalog-ab-", dir="/tmp"))
    workdir.mkdir(parents=True, exist_ok=True)
    logs = workdir / "logs"
    logs.mkdir(exist_ok=True)
    db = workdir / "catalog.db"
    env = clean_env(workdir, CATALOG_DATABASE_URL=sqlite_url(db), CATALOG_LOG_LEVEL="WARNING")
    if not db.exists():
        data = workdir / "products.jsonl"
        write_products(data, args.n, DEFAULT_SEED)
        log.info("importing %d products", args.n)
        argv_import = [*command("catalog-api"), "import", str(data), "--batch-size", "5000"]
        run_logged(argv_import, env, logs / "import.log", timeout=3600)
    script = write_script(workdir / "get_by_id.lua", args.n, DEFAULT_SEED)
    port_a, port_b = free_port(), free_port()
    servers = {
        "A catalog-api serve (bounded heads)": (
            [*command("catalog-api"), "serve", "--port", str(port_a)],
            port_a,
        ),
        "B plain uvicorn (before)": (
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "catalog_api.app:create_app",
                "--host",
                LOOPBACK,
                "--port",
                str(port_b),
                "--log-level",
                "warning",
            ],
            port_b,
        ),
    }
    results: dict[str, list[WrkResult]] = {name: [] for name in servers}
    wrk_log = logs / "wrk.log"
    with ExitStack() as stack:
        urls = {}
        for index, (name, (argv_server, port)) in enumerate(servers.items()):
            url = f"http://{LOOPBACK}:{port}"
            stack.enter_context(
                serving(argv_server, env, f"{url}/api/healthz", logs / f"server-{index}.log")
            )
            urls[name] = url
        for url in urls.values():
            run_wrk(url, script, args.warmup, CONNECTIONS, wrk_log)
        for run in range(args.runs):
            # Alternate which goes first so neither always follows the other's load.
            order = list(urls.items()) if run % 2 == 0 else list(reversed(urls.items()))
            for name, url in order:
                result = run_wrk(url, script, args.seconds, CONNECTIONS, wrk_log)
                log.info("%s run %d: %.0f req/s", name, run + 1, result.rps)
                results[name].append(result)
    names = list(results)
    ratio = median([r.rps for r in results[names[0]]]) / median([r.rps for r in results[names[1]]])
    errors = sum(r.non_2xx + r.socket_errors for runs in results.values() for r in runs)
    lines = [
        f"{wrk_version()}; wrk -t1 -c{CONNECTIONS} -d{args.seconds}s, ids at random in "
        f"1..{args.n}, {args.runs} runs each, interleaved",
        *(_summary(name, runs) for name, runs in results.items()),
        f"A/B throughput ratio (medians): {ratio:.3f}; non-2xx or socket errors: {errors}",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
