"""Where the slowest searches spend their time on SQLite: the API's own statements, each timed
alone with sqlite3 and shown with its EXPLAIN QUERY PLAN."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

from bench.app_sql import capture_search_sql
from bench.util import median

RUNS = 3
_COLUMNS = re.compile(r"\b(\w+)\.\w+(?:, \1\.\w+)+")


def _plan(conn: sqlite3.Connection, sql: str, params: tuple[object, ...]) -> list[str]:
    """Return the EXPLAIN QUERY PLAN lines of a statement, indented by depth."""
    rows = conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
    depth: dict[int, int] = {0: 0}
    lines = []
    for node, parent, _, detail in rows:
        depth[node] = depth.get(parent, 0) + 1
        lines.append("  " * depth[node] + str(detail))
    return lines


def explain_sqlite(db: Path, texts: list[str]) -> list[str]:
    """Return report lines: per query, each captured statement's median ms and its plan."""
    captured = capture_search_sql(db, texts)
    lines: list[str] = []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        for text in texts:
            lines.append(f"q={text!r}: {len(captured[text])} statements")
            for sql, params in captured[text]:
                times = []
                for _ in range(RUNS):
                    started = time.perf_counter()
                    rows = len(conn.execute(sql, params).fetchall())
                    times.append((time.perf_counter() - started) * 1000)
                flat = _COLUMNS.sub(r"\1.*", " ".join(sql.split()))
                shown = flat if len(flat) <= 600 else flat[:597] + "..."
                lines.append(f"  {median(times):8.1f} ms, {rows} rows: {shown}  {params}")
                lines.extend("      " + line for line in _plan(conn, sql, params))
    finally:
        conn.close()
    return lines
