"""Smoke run of the benchmark suite: tiny N and durations; checks structure, never timings."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.run import ORDER

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_bench_run_quick_writes_a_row_for_every_benchmark(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CATALOG_")}
    argv = [sys.executable, "-m", "bench.run", "--n", "300", "--quick", "--skip-postgres",
            "--workdir", str(tmp_path), "--results", str(results)]  # fmt: skip
    done = subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-4000:]
    text = results.read_text(encoding="utf-8")
    for name in ORDER:
        assert f"| {name} |" in text, f"no row for {name!r} in RESULTS.md"
        assert f"| {name} |" in done.stdout, f"no row for {name!r} in the printed table"
    for section in ("## Machine", "## What stands in the way", "bench.run --n 300 --quick"):
        assert section in text
    assert "ERROR" not in text
