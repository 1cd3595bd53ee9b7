"""Real processes for end-to-end tests: the installed commands on free loopback ports."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.util import BIN, clean_env, command, free_port, sqlite_url, wait_until_up

__all__ = [
    "BIN",
    "clean_env",
    "command",
    "free_port",
    "running",
    "sqlite_url",
    "wait_until_up",
]


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


def run_cli(env: dict[str, str], log: Path, *args: str) -> None:
    """Run a catalog-api command to completion, its output going to log."""
    with log.open("ab") as out:
        done = subprocess.run(
            [*command("catalog-api"), *args], env=env, stdout=out, stderr=out, timeout=300
        )
    assert done.returncode == 0, log.read_text()[-2000:]
