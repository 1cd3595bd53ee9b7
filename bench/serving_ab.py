"""GET-by-id throughput A/B: catalog-api serve (bounded heads) against plain uvicorn.

python -m bench.serving_ab --n 20000 --rounds 4 --runs 4 --seconds 5

Both servers run the same app on the same SQLite file at the same time, and wrk runs
alternate between them, so they see the same machine noise. Each round starts both
servers afresh: on a shared machine one process can be luckier than another for its whole
life (which core, which neighbour), so one pair of processes is not enough. A: `catalog-api serve`
(catalog_api.serving: httptools with a head cap and deadline). B: `uvicorn --factory
catalog_api.app:create_app`, uvicorn's own httptools protocol, as `serve` ran before.
"""

from __future__ import annotations

import argparse
import logging
import os
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
A = "A catalog-api serve (bounded heads)"
B = "B plain uvicorn (before)"


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.serving_ab", description=__doc__)
    parser.add_argument("--n", type=int, default=100_000, help="products (default 100000)")
    parser.add_argument("--rounds", type=int, default=4, help="fresh server pairs (default 4)")
    parser.add_argument("--runs", type=int, default=4, help="wrk runs per server and round")
    parser.add_argument("--seconds", type=int, default=5, help="seconds per wrk run (default 5)")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up seconds per server")
    parser.add_argument("--workdir", type=Path, help="work directory (default: new dir in /tmp)")
    parser.add_argument(
        "--control",
        action="store_true",
        help="A/A: run plain uvicorn as A too, to see the spread of the method itself",
    )
    return parser


def _cpu_seconds(pid: int) -> float:
    """Return the user plus system CPU time a process has used, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def _summary(name: str, results: list[WrkResult], cpu_us: list[float]) -> str:
    return (
        f"{name}: median {median([r.rps for r in results]):,.0f} req/s "
        f"(p99 median {median([r.p99_ms for r in results]):.1f} ms), "
        f"server CPU median {median(cpu_us):.0f} us/request over {len(results)} runs"
    )


def _plain_uvicorn(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "catalog_api.app:create_app",
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]


def _servers(port_a: int, port_b: int, control: bool) -> dict[str, list[str]]:
    """Return the argv of A (catalog-api serve, or plain uvicorn too) and B (plain uvicorn)."""
    serve = [*command("catalog-api"), "serve", "--port", str(port_a)]
    return {A: _plain_uvicorn(port_a) if control else serve, B: _plain_uvicorn(port_b)}


def _round(
    args: argparse.Namespace, env: dict[str, str], logs: Path, script: Path, number: int
) -> dict[str, list[tuple[WrkResult, float]]]:
    """Start A and B afresh, warm both, then alternate wrk runs; return (result, CPU us/req)."""
    port_a, port_b = free_port(), free_port()
    ports = {A: port_a, B: port_b}
    measured: dict[str, list[tuple[WrkResult, float]]] = {A: [], B: []}
    wrk_log = logs / "wrk.log"
    with ExitStack() as stack:
        targets: dict[str, tuple[str, int]] = {}
        for name, argv_server in _servers(port_a, port_b, args.control).items():
            url = f"http://{LOOPBACK}:{ports[name]}"
            server_log = logs / f"round{number}-{name.split()[0]}.log"
            process = stack.enter_context(
                serving(argv_server, env, f"{url}/api/healthz", server_log)
            )
            targets[name] = (url, process.pid)
        for url, _ in targets.values():
            run_wrk(url, script, args.warmup, CONNECTIONS, wrk_log)
        for run in range(args.runs):
            # Alternate which goes first so neither always follows the other's load.
            order = list(targets.items())
            if (run + number) % 2:
                order.reverse()
            for name, (url, pid) in order:
                cpu_before = _cpu_seconds(pid)
                result = run_wrk(url, script, args.seconds, CONNECTIONS, wrk_log)
                cpu_us = (_cpu_seconds(pid) - cpu_before) / result.requests * 1e6
                log.info(
                    "round %d %s run %d: %.0f req/s, %.0f us CPU/request",
                    number,
                    name.split()[0],
                    run + 1,
                    result.rps,
                    cpu_us,
                )
                measured[name].append((result, cpu_us))
    return measured


def main(argv: Sequence[str] | None = None) -> int:
    """Run the A/B and print medians, the ratios and every round on stdout."""
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
    everything: dict[str, list[tuple[WrkResult, float]]] = {A: [], B: []}
    round_lines = []
    round_ratios = []
    for number in range(1, args.rounds + 1):
        measured = _round(args, env, logs, script, number)
        for name, pairs in measured.items():
            everything[name].extend(pairs)
        rps = {name: median([r.rps for r, _ in pairs]) for name, pairs in measured.items()}
        round_ratios.append(rps[A] / rps[B])
        round_lines.append(
            f"round {number}: A {rps[A]:,.0f} req/s, B {rps[B]:,.0f} req/s, "
            f"A/B {rps[A] / rps[B]:.3f}"
        )
    results = {name: [r for r, _ in pairs] for name, pairs in everything.items()}
    cpu = {name: [c for _, c in pairs] for name, pairs in everything.items()}
    ratio = median([r.rps for r in results[A]]) / median([r.rps for r in results[B]])
    errors = sum(r.non_2xx + r.socket_errors for runs in results.values() for r in runs)
    lines = [
        f"{wrk_version()}; wrk -t1 -c{CONNECTIONS} -d{args.seconds}s, ids at random in "
        f"1..{args.n}; {args.rounds} rounds of fresh servers x {args.runs} runs each, "
        "A and B interleaved"
        + (" (CONTROL: A is plain uvicorn too, an A/A run)" if args.control else ""),
        _summary(A, results[A], cpu[A]),
        _summary(B, results[B], cpu[B]),
        *round_lines,
        f"A/B throughput ratio (medians of all runs): {ratio:.3f}; median of round ratios: "
        f"{median(round_ratios):.3f}; "
        f"CPU per request A/B: {median(cpu[A]) / median(cpu[B]):.3f}; "
        f"non-2xx or socket errors: {errors}",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
