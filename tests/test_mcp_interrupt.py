"""Ctrl-C of `catalog-mcp` on stdio stops it without a traceback."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

from tests.processes import clean_env, command

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}


def _interrupt(process: subprocess.Popen[bytes]) -> str:
    process.send_signal(signal.SIGINT)
    try:
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return stderr.decode()


def test_ctrl_c_of_a_serving_stdio_server_exits_without_a_traceback(
    database_url: str, tmp_path: Path
) -> None:
    env = clean_env(tmp_path, CATALOG_DATABASE_URL=database_url)
    process = subprocess.Popen(
        command("catalog-mcp"),
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write((json.dumps(INITIALIZE) + "\n").encode())
    process.stdin.flush()
    answer = json.loads(process.stdout.readline())
    assert answer["id"] == 1
    assert "result" in answer
    stderr = _interrupt(process)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "interrupted; stopped" in stderr


def test_ctrl_c_while_starting_up_exits_without_a_traceback(tmp_path: Path) -> None:
    process = subprocess.Popen(
        command("catalog-mcp"),
        env=clean_env(tmp_path),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    # The first log line comes while the embedded API starts and migrates its database. (A
    # Ctrl-C before the interpreter has loaded the command is Python's own business.)
    first_line = process.stderr.readline()
    assert first_line, "the server logged nothing while starting"
    stderr = _interrupt(process)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
