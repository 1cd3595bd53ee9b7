"""PostgreSQL import against its raw COPY reference, for one or more source trees, alternating.

    python -m bench.pg_import_ab FILE ROUNDS LABEL=TREE [LABEL=TREE ...]

Each round, for each tree (a directory holding a catalog_api package, e.g. a `git archive`
of an older commit): `catalog-api import FILE --batch-size 5000` from that tree into a fresh
migrated database (wall time of the subprocess), then bench.pg_copy's raw COPY of the same
file into another fresh database in a newly spawned process, as bench.run does. Prints each
run and the medians; the databases are dropped.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from bench import pg
from bench.pg_copy import checksum, copy_import
from bench.util import clean_env, in_fresh_process

_COUNTS = (
    "SELECT (SELECT count(*) FROM products) || ' ' || (SELECT count(*) FROM product_variants)"
    " || ' ' || (SELECT count(*) FROM product_changes)"
)


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _migrated(tree: Path) -> tuple[str, dict[str, str]]:
    """Create and migrate a throwaway database with the tree's code; return it and its env."""
    name = pg.new_database_name()
    pg.create_database(name)
    url = pg.async_url(name)
    env = clean_env(Path(tempfile.gettempdir()), CATALOG_DATABASE_URL=url, PYTHONPATH=str(tree))
    try:
        argv = [sys.executable, "-m", "catalog_api.cli", "migrate"]
        subprocess.run(argv, env=env, check=True, capture_output=True, cwd="/")  # noqa: S603
    except BaseException:
        pg.drop_database(name)
        raise
    return name, env


def _app(jsonl: Path, tree: Path) -> tuple[float, str, str]:
    """Return the import's seconds, its rows counts and its products' checksum."""
    name, env = _migrated(tree)
    try:
        argv = [sys.executable, "-m", "catalog_api.cli", "import", str(jsonl)]
        started = time.perf_counter()
        subprocess.run(  # noqa: S603 - argv built here
            [*argv, "--batch-size", "5000"], env=env, check=True, capture_output=True, cwd="/"
        )
        seconds = time.perf_counter() - started
        return seconds, pg.psql(_COUNTS, name), checksum(name)
    finally:
        pg.drop_database(name)


def _reference(jsonl: Path, tree: Path) -> tuple[float, str]:
    """Return the raw COPY's seconds and its products' checksum."""
    name, _ = _migrated(tree)
    try:
        return in_fresh_process(copy_import, jsonl, name).seconds, checksum(name)
    finally:
        pg.drop_database(name)


def main(argv: list[str]) -> int:
    """Run the rounds and print each run and the medians."""
    jsonl, rounds = Path(argv[0]), int(argv[1])
    trees = [(label, Path(path)) for label, _, path in (a.partition("=") for a in argv[2:])]
    runs: dict[str, list[tuple[float, float]]] = {label: [] for label, _ in trees}
    for round_number in range(1, rounds + 1):
        for label, tree in trees:
            app_s, counts, app_sum = _app(jsonl, tree)
            ref_s, ref_sum = _reference(jsonl, tree)
            runs[label].append((app_s, ref_s))
            same = "same" if app_sum == ref_sum else "DIFFERENT"
            _say(
                f"round {round_number} {label}: import {app_s:.1f} s, COPY {ref_s:.1f} s, "
                f"{ref_s / app_s:.1%}; products, variants, changes {counts}; products {same}"
            )
    for label, pairs in runs.items():
        app_m, ref_m = median(a for a, _ in pairs), median(r for _, r in pairs)
        ratio_m = median(r / a for a, r in pairs)
        _say(f"{label}: import {app_m:.1f} s, COPY {ref_m:.1f} s (medians); ratio {ratio_m:.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
