"""The results table, PASS/MISS judgements, machine facts and RESULTS.md."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version

PACKAGES = (
    "catalog-mcp",
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "pydantic",
    "httpx",
    "mcp",
    "uvloop",
    "httptools",
    "orjson",
)
PLACEHOLDER = (
    "_To be filled by the engineers from profiles (py-spy, EXPLAIN QUERY PLAN, ...): "
    "what dominates each missed target._"
)


@dataclass
class Row:
    """One line of the results table."""

    benchmark: str
    measured: str
    reference: str = "-"
    ratio: str = "-"
    target: str = "-"
    result: str = "INFO"
    miss_by: str = ""


def judge(value: float, limit: float, *, at_least: bool) -> tuple[str, str]:
    """Return (PASS or MISS, how far off) for value against limit (>= when at_least)."""
    ok = value >= limit if at_least else value <= limit
    if ok:
        return "PASS", ""
    if at_least:
        factor = limit / value if value > 0 else float("inf")
        return "MISS", f"{(1 - value / limit) * 100:.0f}% short of the target, needs {factor:.2f}x"
    return (
        "MISS",
        f"{(value / limit - 1) * 100:.0f}% over the target, needs {value / limit:.2f}x less",
    )


def table(rows: list[Row]) -> str:
    """Render the rows as a Markdown table."""
    head = ["Benchmark", "Measured", "Reference (same run)", "Ratio", "Target", "Result"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        result = f"{row.result}: {row.miss_by}" if row.miss_by else row.result
        cells = [row.benchmark, row.measured, row.reference, row.ratio, row.target, result]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def _read(path: str) -> str:
    """Return a small text file's content, or '' when unreadable."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return ""


def _git(*args: str) -> str:
    """Return git's output in the current directory, or '?'."""
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv
            ["git", *args],  # noqa: S607 - git from PATH
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return done.stdout.rstrip() or "?"


def code_state() -> str:
    """Return git HEAD and the diff of the product packages, to notice code changing mid-run."""
    return _git("rev-parse", "HEAD") + _git("diff", "HEAD", "--", "catalog_api", "catalog_mcp")


def machine(extra: dict[str, str]) -> dict[str, str]:
    """Return the facts that make a run reproducible."""
    cpuinfo = _read("/proc/cpuinfo")
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.processor() or "?",
    )
    meminfo = _read("/proc/meminfo")
    mem_kb = next(
        (int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal:")),
        0,
    )
    packages = []
    for name in PACKAGES:
        try:
            packages.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            packages.append(f"{name} (absent)")
    status = _git("status", "--porcelain", "--", "catalog_api", "catalog_mcp")
    changed = [line.split(maxsplit=1)[-1] for line in status.splitlines()] if status != "?" else []
    facts = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(len(os.sched_getaffinity(0))),
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "CPU": model,
        "kernel": f"{platform.system()} {platform.release()}",
        "load average at start": " ".join(_read("/proc/loadavg").split()[:3]),
        "Python": sys.version.split()[0],
        "SQLite": sqlite3.sqlite_version,
        "packages": ", ".join(packages),
        "git commit": _git("rev-parse", "--short", "HEAD"),
        "uncommitted product changes": ", ".join(changed) or "none",
    }
    facts.update(extra)
    return facts


def results_markdown(
    rows: list[Row],
    facts: dict[str, str],
    command: str,
    details: list[str],
    notes: list[str],
) -> str:
    """Render RESULTS.md."""
    misses = [row for row in rows if row.result == "MISS"]
    errors = [row for row in rows if row.result == "ERROR"]
    out = [
        "# Benchmark results",
        "",
        "Reproduce from the repository root with:",
        "",
        "```bash",
        command,
        "```",
        "",
        "## Machine",
        "",
        *[f"- **{key}**: {value}" for key, value in facts.items()],
        "",
        "## Results",
        "",
        "Medians unless a percentile is named; every reference was measured in the same run.",
        "",
        table(rows),
        "",
        "## Missed targets",
        "",
    ]
    if misses or errors:
        out += [
            f"- **{row.benchmark}**: {row.measured} against target {row.target}: "
            f"{row.miss_by or row.result}"
            for row in [*misses, *errors]
        ]
    else:
        out.append("None.")
    out += ["", "## What stands in the way", "", PLACEHOLDER, ""]
    out += ["## Details", "", *details, ""]
    out += ["## Observations during the run", ""]
    out += [f"- {note}" for note in notes] if notes else ["Nothing unusual."]
    out.append("")
    return "\n".join(out)
