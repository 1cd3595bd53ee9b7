"""Real processes for end-to-end tests: the installed commands on free loopback ports."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.util import free_port, sqlite_url, wait_until_up

__all__ = [
    "BIN",
    "clean_env",
    "command",
    "free_port",
    "running",
    "sqlite_url",
    "wait_until_up",
]

BIN = Path(sys.executable).parent


def command(name: str) -> list[str]:
    """Return the argv that runs one of the project's console scripts."""
    script = BIN / name
    if script.exists():
        return [str(script)]
    module = {"catalog-api": "catalog_api.cli", "catalog-mcp": "catalog_mcp"}[name]
    return [sys.executable, "-m", module]


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Return an environment without the developer's CATALOG_* settings or data directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CATALOG_")}
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg-data")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


@contextmanager
def running(
    argv: list[str], env: dict[str, str], health_url: str, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server process until the block ends, its stderr going to log."""
    with log.open("wb") as stderr:
        process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            wait_until_up(health_url, process, 30)
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
