"""A throwaway PostgreSQL 16 with pgvector (the pgserver package) for the pgvector path's tests."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

START_SECONDS = 120
STOP_SECONDS = 60
# get_server waits for the server without a time limit: it runs in a child process, bounded.
_START = (
    "import sys, pgserver\nprint(pgserver.get_server(sys.argv[1], cleanup_mode=None).get_uri())\n"
)


class ServerUnavailableError(RuntimeError):
    """pgserver is not installed here, or its PostgreSQL did not start."""


def _stop(data: Path) -> None:
    spec = importlib.util.find_spec("pgserver")
    assert spec is not None
    assert spec.submodule_search_locations
    pg_ctl = Path(spec.submodule_search_locations[0]) / "pginstall" / "bin" / "pg_ctl"
    # As root pgserver runs PostgreSQL as its own system user, which must stop it too.
    user = "pgserver" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    subprocess.run(
        [str(pg_ctl), "-D", str(data), "-w", "-t", "30", "-m", "fast", "stop"],
        capture_output=True,
        timeout=STOP_SECONDS,
        check=True,
        user=user,
    )


def _stop_quietly(data: Path) -> None:
    """Stop whatever a failed start may have left running."""
    if (data / "postmaster.pid").exists():
        with suppress(Exception):
            _stop(data)


@contextmanager
def pgvector_server(folder: Path) -> Iterator[str]:
    """Start a PostgreSQL with pgvector in folder; yield its asyncpg URL; stop it after."""
    if importlib.util.find_spec("pgserver") is None:
        raise ServerUnavailableError("pgserver is not installed (pip install -e '.[dev]')")
    data = folder / "data"
    try:
        started = subprocess.run(
            [sys.executable, "-c", _START, str(data)],
            capture_output=True,
            text=True,
            timeout=START_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        _stop_quietly(data)
        raise ServerUnavailableError(f"pgserver did not start in {START_SECONDS} s") from error
    lines = started.stdout.strip().splitlines()
    if started.returncode != 0 or not lines:
        _stop_quietly(data)
        tail = (started.stderr.strip().splitlines() or ["no output"])[-1]
        raise ServerUnavailableError(f"pgserver did not start: {tail}")
    socket = parse_qs(urlsplit(lines[-1]).query)["host"][0]
    try:
        yield f"postgresql+asyncpg://postgres@/postgres?host={socket}"
    finally:
        _stop(data)
