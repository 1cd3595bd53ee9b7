"""Smoke run of bench.search_latency: tiny N on SQLite; checks the output's lines, never timings."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from bench.latency_queries import CLASSES

ROOT = Path(__file__).resolve().parent.parent


def test_search_latency_quick_prints_p50_p99_per_class_and_a_result(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CATALOG_")}
    argv = [sys.executable, "-m", "bench.search_latency", "--quick", "--n", "200",
            "--engine", "sqlite", "--repeat", "1", "--workdir", str(tmp_path)]  # fmt: skip
    done = subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    # Exit 1 means a missed target (timings are not tested); 2 or a traceback is a broken bench.
    assert done.returncode in (0, 1), done.stderr[-4000:]
    out = done.stdout
    assert "n: 200 products" in out
    assert "load average at start:" in out
    assert "load average at end:" in out
    assert re.search(r"^sqlite search all: p50 [\d.]+ ms, p99 [\d.]+ ms", out, re.MULTILINE)
    for kind in (kind for kind in CLASSES if kind != "variant"):  # variant: --variants only
        line = rf"^sqlite search class {kind} +\( *\d+ queries\): p50 [\d.]+ ms, p99 [\d.]+ ms"
        assert re.search(line, out, re.MULTILINE), f"no p50/p99 line for class {kind}"
    assert "sqlite search worst query: " in out
    assert "0 non-200 answers" in out
    assert "RESULT sqlite search: PASS" in out or "RESULT sqlite search: FAIL (p99" in out
    assert list((tmp_path / "results").glob("*-sqlite-search.json"))

    again = subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert again.returncode in (0, 1), again.stderr[-4000:]
    assert "(cached)" in again.stdout, "the second run rebuilt the catalog"
