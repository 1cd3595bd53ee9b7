"""Shared helpers: progress logging, statistics, subprocesses, ports and resident memory."""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import httpx

log = logging.getLogger("bench")

T = TypeVar("T")

BIN = Path(sys.executable).parent
LOOPBACK = "127.0.0.1"


def setup_logging() -> None:
    """Send progress lines to stderr with a timestamp."""
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s bench: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)


def median(values: Sequence[float]) -> float:
    """Return the median of a non-empty sequence."""
    return float(statistics.median(values))


def percentile(values: Sequence[float], pct: float) -> float:
    """Return the nearest-rank percentile (pct in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return float(ordered[rank - 1])


def command(name: str) -> list[str]:
    """Return the argv of one of the project's console scripts in this interpreter's venv."""
    script = BIN / name
    if script.exists():
        return [str(script)]
    module = {"catalog-api": "catalog_api.cli", "catalog-mcp": "catalog_mcp"}[name]
    return [sys.executable, "-m", module]


def clean_env(workdir: Path, **extra: str) -> dict[str, str]:
    """Return an environment without CATALOG_* settings, user data dir in workdir, no tqdm."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CATALOG_")}
    env["XDG_DATA_HOME"] = str(workdir / "xdg-data")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["TQDM_DISABLE"] = "1"
    env.update(extra)
    return env


def in_fresh_process(function: Callable[..., T], *args: object, **kwargs: object) -> T:
    """Run function(*args, **kwargs) in a new interpreter (spawned) and return its result.

    A reference timed there starts with cold caches (the analyser's), as the app's import
    command does, whatever this process ran before.
    """
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args, **kwargs).result()


def sqlite_url(path: Path) -> str:
    """Return the async SQLAlchemy URL of a SQLite file."""
    return f"sqlite+aiosqlite:///{path}"


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def run_logged(argv: list[str], env: dict[str, str], log_path: Path, timeout: float) -> float:
    """Run argv to completion with output to log_path; return wall seconds, raise on failure."""
    with log_path.open("ab") as out:
        started = time.perf_counter()
        completed = subprocess.run(  # noqa: S603 - argv built by the bench, no shell
            argv, env=env, stdout=out, stderr=out, timeout=timeout, check=False
        )
        elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        tail = log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{argv[0]} exited {completed.returncode}; log tail:\n{tail}")
    return elapsed


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float) -> None:
    """Poll url until it answers 200; fail if the process exits or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a process this bench started, killing it if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@contextmanager
def serving(
    argv: list[str], env: dict[str, str], health_url: str, log_path: Path, startup: float = 120
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server until the block ends, its output going to log_path."""
    with log_path.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - argv built by the bench, no shell
            argv, env=env, stdout=out, stderr=out
        )
        try:
            wait_until_up(health_url, process, startup)
            yield process
        finally:
            stop(process)


def vm_rss_mb(pid: int) -> float:
    """Return the resident set (VmRSS) of a process in MiB, from /proc/<pid>/status."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


class RssSampler:
    """Sample a process's VmRSS every interval seconds while active is set, in a thread."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.pid = pid
        self.interval = interval
        self.samples: list[float] = []
        self.active = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)

    def _loop(self) -> None:
        """Take samples until stopped."""
        while not self._done.wait(self.interval):
            if self.active.is_set():
                try:
                    self.samples.append(vm_rss_mb(self.pid))
                except (OSError, RuntimeError):
                    return

    def __enter__(self) -> RssSampler:
        """Start sampling (only while active is set)."""
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        """Stop sampling."""
        self._done.set()
        self._thread.join(timeout=5)
