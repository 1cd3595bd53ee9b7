"""HTTP load from a separate process with wrk: GET /api/products/{id}, ids at random in 1..N."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

_LUA = """-- written by bench/load.py: GET /api/products/{id} with ids at random across 1..N
math.randomseed(%(seed)d)
local n = %(n)d
request = function()
  return wrk.format("GET", "/api/products/" .. math.random(1, n))
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%%d duration_us=%%d status=%%d connect=%%d read=%%d write=%%d" ..
    " timeout=%%d p50_us=%%d p99_us=%%d\\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    math.floor(latency:percentile(50)), math.floor(latency:percentile(99))))
end
"""
_RESULT = re.compile(r"^BENCH (.*)$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class WrkResult:
    """One wrk run: throughput, errors and latency."""

    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds


def wrk_path() -> str:
    """Return the wrk executable or raise."""
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed")
    return found


def wrk_version() -> str:
    """Return wrk's version line."""
    done = subprocess.run(  # noqa: S603 - fixed argv
        [wrk_path(), "-v"], capture_output=True, text=True, timeout=10, check=False
    )
    return (done.stdout + done.stderr).strip().splitlines()[0]


def write_script(path: Path, n: int, seed: int) -> Path:
    """Write the Lua script that picks ids at random across 1..n."""
    path.write_text(_LUA % {"seed": seed, "n": n}, encoding="utf-8")
    return path


def run_wrk(url: str, script: Path, seconds: int, connections: int, log_path: Path) -> WrkResult:
    """Run wrk -t1 -c<connections> -d<seconds>s against url; append its output to log_path."""
    argv = [
        wrk_path(),
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        url,
    ]
    done = subprocess.run(  # noqa: S603 - argv built here, no shell
        argv, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    with log_path.open("a", encoding="utf-8") as out:
        out.write(f"$ {' '.join(argv)}\n{done.stdout}{done.stderr}\n")
    match = _RESULT.search(done.stdout)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout[-500:]}{done.stderr}")
    fields = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1))}
    return WrkResult(
        requests=fields["requests"],
        seconds=fields["duration_us"] / 1e6,
        non_2xx=fields["status"],
        socket_errors=fields["connect"] + fields["read"] + fields["write"] + fields["timeout"],
        p50_ms=fields["p50_us"] / 1000,
        p99_ms=fields["p99_us"] / 1000,
    )
