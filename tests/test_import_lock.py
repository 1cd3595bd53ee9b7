"""A big import never holds the write lock long enough to fail another process's writes."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

from tests.conftest import product_body
from tests.processes import clean_env, command, free_port, running
from tests.test_import_interrupt import count_products, write_products
from tests.test_import_lines import summary_counts

# The API gives up on the lock after this long; the import's batch takes several times more.
API_BUSY_TIMEOUT_MS = 2000


def test_an_api_writes_during_a_huge_batch_without_database_is_locked(
    database_url: str, tmp_path: Path
) -> None:
    total = 25_000
    path = write_products(tmp_path / "big.jsonl", total)
    port = free_port()
    api_env = clean_env(
        tmp_path,
        CATALOG_DATABASE_URL=database_url,
        CATALOG_SQLITE_BUSY_TIMEOUT_MS=str(API_BUSY_TIMEOUT_MS),
        CATALOG_WRITE_RATE_PER_MINUTE="0",
    )
    base = f"http://127.0.0.1:{port}"
    server_argv = [*command("catalog-api"), "serve", "--port", str(port)]
    with running(server_argv, api_env, f"{base}/api/healthz", tmp_path / "api.log"):
        importing = subprocess.Popen(
            [*command("catalog-api"), "import", str(path), "--batch-size", "100000"],
            env=clean_env(tmp_path, CATALOG_DATABASE_URL=database_url),
            stderr=subprocess.PIPE,
            text=True,
        )
        answers: list[tuple[int, float, str]] = []
        try:
            with httpx.Client(base_url=base, timeout=30) as client:
                n = 0
                while importing.poll() is None:
                    n += 1
                    started = time.monotonic()
                    response = client.post(
                        "/api/products", json=product_body(title=f"Written meanwhile {n}")
                    )
                    answers.append(
                        (response.status_code, time.monotonic() - started, response.text)
                    )
                    time.sleep(0.05)
            _, import_err = importing.communicate(timeout=300)
        finally:
            if importing.poll() is None:
                importing.kill()
                importing.wait()
    assert importing.returncode == 0, import_err
    assert summary_counts(import_err) == (total, {"imported": total, "rejected": 0})
    assert len(answers) >= 20, "the import ended before the API could write much"
    failed = [(status, text) for status, _, text in answers if status != 201]
    assert not failed, failed[:3]
    slowest = max(elapsed for _, elapsed, _ in answers)
    # A write that waited for the whole batch would have given up at the busy timeout.
    assert slowest < API_BUSY_TIMEOUT_MS / 1000, slowest
    assert count_products(database_url) == total + len(answers)
