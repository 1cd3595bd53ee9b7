"""Keys from the command line, and a key's write budget shared by two API processes via Redis."""

from __future__ import annotations

import socket
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from catalog_api.cli import main
from tests.conftest import product_body
from tests.processes import clean_env, command, free_port, running, sqlite_url

REDIS = ("127.0.0.1", 6379)


def _redis_runs() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


def test_the_keys_command_creates_lists_and_revokes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CATALOG_DATABASE_URL", sqlite_url(tmp_path / "catalog.db"))
    assert main(["keys", "create", "bot", "--scope", "write", "--scope", "describe"]) == 0
    created = capsys.readouterr()
    token = created.out.strip()
    assert token.startswith("cat_")
    assert "shown this once" in created.err
    assert main(["keys", "create", "bot", "--scope", "read"]) == 1
    assert "already named 'bot'" in capsys.readouterr().err
    assert main(["keys", "list"]) == 0
    name, scopes, shown, _, state = capsys.readouterr().out.strip().split("\t")
    assert (name, scopes, state) == ("bot", "write describe", "active")
    assert token.startswith(shown.rstrip("…"))
    assert token not in shown
    assert main(["keys", "revoke", "bot"]) == 0
    assert main(["keys", "revoke", "bot"]) == 1
    assert "No active key is named 'bot'" in capsys.readouterr().err
    assert main(["keys", "list"]) == 0
    assert not capsys.readouterr().out.strip().endswith("active")


@pytest.mark.skipif(not _redis_runs(), reason="no Redis on 127.0.0.1:6379")
def test_two_api_processes_share_a_keys_write_budget_through_redis(tmp_path: Path) -> None:
    database = sqlite_url(tmp_path / "catalog.db")
    env = clean_env(
        tmp_path,
        CATALOG_DATABASE_URL=database,
        CATALOG_REDIS_URL="redis://127.0.0.1:6379/0",
        CATALOG_WRITE_RATE_PER_MINUTE="6",
        CATALOG_WRITE_BURST="3",
    )
    name = f"budget-{uuid.uuid4().hex[:8]}"  # a fresh budget, whatever earlier runs left
    made = subprocess.run(
        [*command("catalog-api"), "keys", "create", name, "--scope", "write"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    headers = {"X-API-Key": made.stdout.strip()}
    ports = [free_port(), free_port()]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    with (
        running(
            [*command("catalog-api"), "serve", "--port", str(ports[0])],
            env,
            f"{bases[0]}/api/healthz",
            tmp_path / "api-0.log",
        ),
        running(
            [*command("catalog-api"), "serve", "--port", str(ports[1])],
            env,
            f"{bases[1]}/api/healthz",
            tmp_path / "api-1.log",
        ),
    ):
        codes = []
        for n in range(6):
            response = httpx.post(
                f"{bases[n % 2]}/api/products",
                json=product_body(slug=f"shared-{n}"),
                headers=headers,
                timeout=30,
            )
            codes.append(response.status_code)
    # Each process alone would take three (its own burst); together they take three.
    assert codes == [201, 201, 201, 429, 429, 429]
