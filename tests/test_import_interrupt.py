"""Ctrl-C during `catalog-api import`, then resuming it; conflicts skipped or updated."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from catalog_api.cli import main
from catalog_api.config import Settings
from catalog_api.db import create_engine, create_session_factory
from catalog_api.models import Product, ProductStatus
from catalog_api.schemas import ProductUpdate
from catalog_api.services import ProductService
from tests.processes import clean_env, command
from tests.test_import_lines import summary_counts


def _versions(database_url: str) -> dict[str, tuple[int, int]]:
    """Return slug -> (price_minor, version) of every product."""

    async def fetch() -> dict[str, tuple[int, int]]:
        engine = create_engine(Settings(database_url=database_url))
        try:
            async with create_session_factory(engine)() as session:
                rows = await session.execute(
                    select(Product.slug, Product.price_minor, Product.version)
                )
                return {slug: (price, version) for slug, price, version in rows}
        finally:
            await engine.dispose()

    return asyncio.run(fetch())


def count_products(database_url: str) -> int:
    async def fetch() -> int:
        engine = create_engine(Settings(database_url=database_url))
        try:
            async with create_session_factory(engine)() as session:
                return int(await session.scalar(select(func.count()).select_from(Product)) or 0)
        finally:
            await engine.dispose()

    return asyncio.run(fetch())


def write_products(path: Path, count: int, *, price: int = 100) -> Path:
    """Write count valid JSON Lines products with distinct titles."""
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            row = {
                "title": f"Imported Lamp {n}",
                "category": "home",
                "price_minor": price + n,
                "currency": "USD",
                "description": "A lamp for reading. " * 10,
                "tags": ["lamp", "light"],
            }
            out.write(json.dumps(row) + "\n")
    return path


@pytest.fixture
def use_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the in-process CLI at the test database."""
    monkeypatch.setenv("CATALOG_DATABASE_URL", database_url)
    return database_url


def _interrupted(
    argv: list[str], env: dict[str, str], database_url: str, committed: int, presses: int
) -> tuple[int, str]:
    """Run the import until committed rows are stored, press Ctrl-C presses times (0.2 s
    apart); return its exit status and stderr, failing with what it wrote if it hangs."""
    with subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True) as importing:
        try:
            deadline = time.monotonic() + 120
            while count_products(database_url) < committed:
                assert importing.poll() is None, "the import ended before it was interrupted"
                assert time.monotonic() < deadline, "no rows committed within 120 s"
                time.sleep(0.05)
            for press in range(presses):
                if press:
                    time.sleep(0.2)
                importing.send_signal(signal.SIGINT)
            try:
                stderr = importing.communicate(timeout=60)[1]
            except subprocess.TimeoutExpired:
                importing.kill()
                written = importing.communicate()[1]
                pytest.fail(f"the import did not end within 60 s; it wrote:\n{written}")
        finally:
            if importing.poll() is None:
                importing.kill()
                importing.wait()
    return importing.returncode, stderr


def test_ctrl_c_reports_what_was_committed_and_the_resume_command_finishes(
    database_url: str, tmp_path: Path
) -> None:
    total = 30_000
    path = write_products(tmp_path / "big.jsonl", total)
    env = clean_env(tmp_path, CATALOG_DATABASE_URL=database_url)
    api = command("catalog-api")
    argv = [*api, "import", str(path)]
    returncode, stderr = _interrupted(argv, env, database_url, committed=1000, presses=1)
    assert returncode == 130, stderr
    assert "Traceback" not in stderr
    own_lines = [line for line in stderr.splitlines() if not line.startswith("INFO:")]
    assert len(own_lines) <= 5, stderr
    committed = re.search(r"interrupted: ([\d,]+) rows committed", stderr)
    assert committed, stderr
    stored = count_products(database_url)
    assert int(committed[1].replace(",", "")) == stored
    assert 1000 <= stored < total
    read, kinds = summary_counts(stderr)
    assert kinds == {"imported": stored, "rejected": 0}
    assert read == stored, "the rows read after Ctrl-C were committed before stopping"
    resume = re.search(r"^to resume: (.+)$", stderr, re.MULTILINE)
    assert resume, stderr
    argv = shlex.split(resume[1])
    assert argv == ["catalog-api", "import", str(path), "--on-conflict", "skip"]

    finished = subprocess.run(
        [*api, *argv[1:]], env=env, capture_output=True, text=True, timeout=300
    )
    assert finished.returncode == 0, finished.stderr
    assert "already exists" not in finished.stderr
    read, kinds = summary_counts(finished.stderr)
    assert read == total
    assert kinds == {"imported": total - stored, "skipped": stored, "rejected": 0}
    assert count_products(database_url) == total
    assert len(_versions(database_url)) == total


def test_skip_is_quiet_and_counted_and_fail_reports_each_conflict(
    use_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_products(tmp_path / "rows.jsonl", 30)
    assert main(["import", str(path)]) == 0
    capsys.readouterr()
    extra = write_products(tmp_path / "more.jsonl", 40)
    assert main(["import", str(extra), "--skip-existing"]) == 0
    err = capsys.readouterr().err
    assert "rejected:" not in err
    assert summary_counts(err) == (40, {"imported": 10, "skipped": 30, "rejected": 0})
    assert "30 skipped (already present)" in err
    assert main(["import", str(extra), "--on-conflict", "fail"]) == 1
    err = capsys.readouterr().err
    assert err.count("already exists") == 40
    assert "40 rows have a slug that is already taken; --on-conflict skip" in err
    assert summary_counts(err) == (40, {"imported": 0, "rejected": 40})
    assert count_products(use_database) == 40


def test_update_replaces_changed_rows_and_bumps_their_version_only(
    use_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_products(tmp_path / "rows.jsonl", 10)
    assert main(["import", str(tmp_path / "rows.jsonl")]) == 0
    lines = (tmp_path / "rows.jsonl").read_text(encoding="utf-8").splitlines()
    changed = [json.loads(line) for line in lines]
    for row in changed[:4]:
        row["price_minor"] += 1000
    changed[9]["status"] = "active"
    changed.append({**changed[0], "title": "Brand New Lamp"})
    (tmp_path / "changed.jsonl").write_text(
        "\n".join(json.dumps(row) for row in changed) + "\n", encoding="utf-8"
    )

    async def archive_the_last() -> None:
        engine = create_engine(Settings(database_url=use_database))
        try:
            async with create_session_factory(engine)() as session:
                product_id = await session.scalar(
                    select(Product.id).where(Product.slug == "imported-lamp-9")
                )
                assert product_id is not None
                await ProductService(session).update(
                    product_id, ProductUpdate(status=ProductStatus.ARCHIVED)
                )
        finally:
            await engine.dispose()

    asyncio.run(archive_the_last())
    capsys.readouterr()
    assert main(["import", str(tmp_path / "changed.jsonl"), "--on-conflict", "update"]) == 1
    err = capsys.readouterr().err
    assert ":10: rejected: slug 'imported-lamp-9' is archived; it cannot become active" in err
    assert summary_counts(err) == (
        11,
        {"imported": 1, "updated": 4, "unchanged": 5, "rejected": 1},
    )
    versions = _versions(use_database)
    for n in range(4):
        assert versions[f"imported-lamp-{n}"] == (100 + n + 1000, 2)
    for n in range(4, 9):
        assert versions[f"imported-lamp-{n}"] == (100 + n, 1)
    assert versions["imported-lamp-9"][1] == 2  # the archive, not the import
    assert versions["brand-new-lamp"] == (1100, 1)


def test_a_second_ctrl_c_aborts_at_once_and_resuming_still_adds_up(
    database_url: str, tmp_path: Path
) -> None:
    total = 20_000
    path = write_products(tmp_path / "big.jsonl", total)
    env = clean_env(tmp_path, CATALOG_DATABASE_URL=database_url)
    api = command("catalog-api")
    argv = [*api, "import", str(path), "--batch-size", "100000"]
    returncode, stderr = _interrupted(argv, env, database_url, committed=1, presses=2)
    assert returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "may or may not have been committed" in stderr
    resume = re.search(r"^to resume: (.+)$", stderr, re.MULTILINE)
    assert resume, stderr
    finished = subprocess.run(
        [*api, *shlex.split(resume[1])[1:]], env=env, capture_output=True, text=True, timeout=300
    )
    assert finished.returncode == 0, finished.stderr
    read, kinds = summary_counts(finished.stderr)
    assert read == total
    assert kinds["imported"] + kinds["skipped"] == total
    assert count_products(database_url) == total
