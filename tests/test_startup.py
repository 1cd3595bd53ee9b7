"""Start-up failures of the installed commands: one or two lines on stderr, exit code 2."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy.engine import make_url

from catalog_api.migrate import head_revision
from catalog_api.preflight import explain_database_error
from tests.conftest import PG_ENV, admin_execute
from tests.processes import clean_env, command, free_port, sqlite_url

HEAD = str(head_revision())
SETPRIV = shutil.which("setpriv")
# Root ignores file modes; without these capabilities it meets them like any other user.
DROP_DAC = ["--bounding-set", "-dac_override,-dac_read_search"]


def run(
    name: str, *args: str, env: dict[str, str], unprivileged: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run an installed command to completion with stdin closed, on a free port unless set."""
    # A developer's own `catalog-api serve` on the default port must not change the outcome.
    env = {"CATALOG_PORT": str(free_port()), "CATALOG_MCP_PORT": str(free_port()), **env}
    argv = [*command(name), *args]
    if unprivileged and os.geteuid() == 0:
        if SETPRIV is None:
            pytest.skip("running as root without setpriv: file modes cannot be tested")
        argv = [SETPRIV, *DROP_DAC, "--inh-caps", "-dac_override,-dac_read_search", *argv]
    return subprocess.run(
        argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120
    )


def assert_refused(result: subprocess.CompletedProcess[str], *named: str) -> list[str]:
    """Assert a start-up failure: exit 2, nothing on stdout, 1-2 lines naming everything."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert 1 <= len(lines) <= 2, result.stderr
    for name in named:
        assert name in result.stderr, result.stderr
    return lines


@pytest.fixture
def catalog_file(tmp_path: Path, sqlite_template: Path) -> Path:
    """A migrated SQLite catalog in its own directory."""
    path = tmp_path / "data" / "catalog.db"
    path.parent.mkdir()
    shutil.copyfile(sqlite_template, path)
    return path


@pytest.fixture
def read_only_directory(catalog_file: Path) -> Iterator[Path]:
    """The catalog's directory made read-only; the file itself stays writable."""
    catalog_file.parent.chmod(0o555)
    try:
        yield catalog_file
    finally:
        catalog_file.parent.chmod(0o755)


@pytest.mark.parametrize(
    ("name", "args"),
    [("catalog-api", ["serve"]), ("catalog-api", ["seed", "--demo"]), ("catalog-mcp", [])],
)
def test_read_only_directory_is_named_with_the_fix(
    read_only_directory: Path, tmp_path: Path, name: str, args: list[str]
) -> None:
    env = clean_env(
        tmp_path,
        CATALOG_DATABASE_URL=sqlite_url(read_only_directory),
        CATALOG_PORT=str(free_port()),
    )
    result = run(name, *args, env=env, unprivileged=True)
    first, fix = assert_refused(result, str(read_only_directory.parent), "CATALOG_DATABASE_URL")
    assert "not writable" in first
    assert f"make {read_only_directory.parent} writable" in fix


def test_read_only_database_file_is_named(catalog_file: Path, tmp_path: Path) -> None:
    catalog_file.chmod(0o444)
    env = clean_env(tmp_path, CATALOG_DATABASE_URL=sqlite_url(catalog_file))
    result = run("catalog-api", "seed", "--demo", env=env, unprivileged=True)
    assert "read-only" in assert_refused(result, str(catalog_file), "chmod u+w")[0]


def test_missing_directories_are_created(tmp_path: Path) -> None:
    path = tmp_path / "new" / "deeper" / "catalog.db"
    env = clean_env(tmp_path, CATALOG_DATABASE_URL=str(path))
    assert_refused(run("catalog-api", "migrate", env=env), "is not a database URL")
    env = clean_env(tmp_path, CATALOG_DATABASE_URL=f"sqlite:///{path}")
    result = run("catalog-api", "migrate", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == f"{path}: database at revision {HEAD}, upgraded from empty"
    assert path.exists()


@pytest.mark.parametrize(
    ("make", "named"),
    [
        ("under_a_file", "cannot create the directory"),
        ("not_sqlite", "is not a SQLite database"),
        ("a_directory", "not at a SQLite file"),
    ],
)
def test_unusable_sqlite_paths_are_named(tmp_path: Path, make: str, named: str) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("these are notes, not a database\n")
    path = {
        "under_a_file": blocker / "catalog.db",
        "not_sqlite": blocker,
        "a_directory": tmp_path,
    }[make]
    env = clean_env(tmp_path, CATALOG_DATABASE_URL=sqlite_url(path))
    assert_refused(run("catalog-api", "migrate", env=env), str(path), named)
    assert blocker.read_text() == "these are notes, not a database\n"


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("garbage", "is not a database URL"),
        ("mysql://root@127.0.0.1/catalog", "mysql+mysqldb"),
        ("postgresql+psycopg://postgres@127.0.0.1/test", "postgresql+psycopg"),
    ],
)
def test_unsupported_database_urls_are_named(tmp_path: Path, url: str, named: str) -> None:
    env = clean_env(tmp_path, CATALOG_DATABASE_URL=url)
    assert_refused(run("catalog-api", "serve", env=env), "CATALOG_DATABASE_URL", named)


def test_each_bad_setting_is_one_line_naming_its_variable(tmp_path: Path) -> None:
    env = clean_env(tmp_path, CATALOG_PORT="abc", CATALOG_LOG_LEVEL="loud")
    lines = assert_refused(run("catalog-api", "serve", env=env), "CATALOG_PORT='abc'")
    assert lines[1].startswith("catalog-api: CATALOG_LOG_LEVEL='loud': choose one of")
    env = clean_env(tmp_path, CATALOG_API_KEY="x", CATALOG_MAX_PAGE_SIZE="-1")
    assert_refused(run("catalog-api", "migrate", env=env), "CATALOG_MAX_PAGE_SIZE='-1'")


def test_mcp_settings_are_checked_before_starting(tmp_path: Path) -> None:
    env = clean_env(tmp_path, CATALOG_API_URL="localhost:8000")
    assert_refused(run("catalog-mcp", env=env), "CATALOG_API_URL='localhost:8000'", "http://")
    env = clean_env(tmp_path, CATALOG_MCP_PORT="eighty")
    assert_refused(run("catalog-mcp", "--http", env=env), "CATALOG_MCP_PORT")


@pytest.mark.parametrize(
    ("name", "args", "setting"),
    [
        ("catalog-api", ["serve", "--port"], "--port"),
        ("catalog-mcp", ["--http", "--port"], "--port"),
        ("catalog-api", ["serve"], "CATALOG_PORT"),
        ("catalog-mcp", ["--http"], "CATALOG_MCP_PORT"),
    ],
)
def test_a_busy_port_is_named(tmp_path: Path, name: str, args: list[str], setting: str) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = str(listener.getsockname()[1])
        argv = [*args, port] if args[-1] == "--port" else args
        env = clean_env(
            tmp_path,
            CATALOG_DATABASE_URL=sqlite_url(tmp_path / "c.db"),
            CATALOG_PORT=port,
            CATALOG_MCP_PORT=port,
        )
        lines = assert_refused(run(name, *argv, env=env), f"port {port}", setting)
    assert "already in use" in lines[0]
    assert not (tmp_path / "c.db").exists(), "the port is checked before the database"


def test_version_of_both_commands(tmp_path: Path) -> None:
    for name in ("catalog-api", "catalog-mcp"):
        result = run(name, "--version", env=clean_env(tmp_path))
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"{name} {version('catalog-mcp')}"


def test_mcp_start_is_quiet_and_keeps_stdout_for_the_protocol(tmp_path: Path) -> None:
    env = clean_env(tmp_path, CATALOG_DATABASE_URL=sqlite_url(tmp_path / "c.db"))
    first = run("catalog-mcp", env=env)  # stdin at end of file: starts, then stops
    again = run("catalog-mcp", env=env)
    for result in (first, again):
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        assert "alembic" not in result.stderr
        assert "Traceback" not in result.stderr
    assert f"upgraded the database schema from empty to {HEAD}" in first.stderr
    assert "upgraded" not in again.stderr


def test_seed_names_the_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "seeded.db"
    result = run(
        "catalog-api",
        "seed",
        "--demo",
        env=clean_env(tmp_path, CATALOG_DATABASE_URL=sqlite_url(path)),
    )
    assert result.returncode == 0, result.stderr
    assert f"demo catalog in {path}: " in result.stderr
    assert "alembic" not in result.stderr


# PostgreSQL


@pytest.fixture
def postgres_base() -> str:
    """The server's base URL from the environment."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set; PostgreSQL tests skipped")
    return base


@pytest.fixture
def empty_postgres(postgres_base: str) -> Iterator[str]:
    """A new, empty (not migrated) PostgreSQL database, dropped afterwards."""
    name = f"catalog_startup_{uuid.uuid4().hex[:10]}"
    admin = make_url(postgres_base)

    admin_execute(postgres_base, f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        admin_execute(postgres_base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("name", "args"),
    [("catalog-api", ["serve"]), ("catalog-api", ["migrate"]), ("catalog-mcp", [])],
)
def test_unreachable_postgres_is_named(
    postgres_base: str, tmp_path: Path, name: str, args: list[str]
) -> None:
    closed = free_port()
    url = make_url(postgres_base).set(host="127.0.0.1", port=closed)
    env = clean_env(tmp_path, CATALOG_DATABASE_URL=url.render_as_string(hide_password=False))
    first, fix = assert_refused(
        run(name, *args, env=env), f"127.0.0.1:{closed}", "CATALOG_DATABASE_URL"
    )
    assert "connection refused" in first
    assert "start PostgreSQL" in fix


@pytest.mark.postgres
def test_unknown_postgres_database_and_role_are_named(postgres_base: str, tmp_path: Path) -> None:
    missing = f"no_such_db_{uuid.uuid4().hex[:8]}"
    url = make_url(postgres_base).set(database=missing)
    env = clean_env(tmp_path, CATALOG_DATABASE_URL=url.render_as_string(hide_password=False))
    first, fix = assert_refused(run("catalog-api", "serve", env=env), repr(missing))
    assert "has no database" in first
    assert "createdb" in fix
    url = make_url(postgres_base).set(username="no_such_role", password="secret-pw")
    env = clean_env(tmp_path, CATALOG_DATABASE_URL=url.render_as_string(hide_password=False))
    result = run("catalog-api", "migrate", env=env)
    assert_refused(result, 'role "no_such_role" does not exist', "CATALOG_DATABASE_URL")
    assert "secret-pw" not in result.stderr


@pytest.mark.postgres
def test_unmigrated_postgres_then_migrate_and_seed(empty_postgres: str, tmp_path: Path) -> None:
    env = clean_env(tmp_path, CATALOG_DATABASE_URL=empty_postgres)
    _, fix = assert_refused(run("catalog-mcp", env=env), "revision none", HEAD)
    assert "catalog-api migrate" in fix
    # A plain postgresql:// URL, with a password, gets the async driver.
    url = make_url(empty_postgres).set(drivername="postgresql", password="secret-pw")
    plain = url.render_as_string(hide_password=False)
    assert plain.startswith("postgresql://")
    env = clean_env(tmp_path, CATALOG_DATABASE_URL=plain)
    migrated = run("catalog-api", "migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stderr.strip().endswith(f"database at revision {HEAD}, upgraded from empty")
    seeded = run("catalog-api", "seed", "--demo", env=env)
    assert seeded.returncode == 0, seeded.stderr
    shown = url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=True)
    assert f"demo catalog in {shown}: 301 products added" in seeded.stderr
    assert "secret-pw" not in migrated.stderr + seeded.stderr


def test_a_silent_database_server_is_given_up_on(tmp_path: Path) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # the kernel accepts connections; nobody ever answers them
        port = silent.getsockname()[1]
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/catalog"
        started = time.monotonic()
        result = run("catalog-api", "migrate", env=clean_env(tmp_path, CATALOG_DATABASE_URL=url))
        elapsed = time.monotonic() - started
    first, _ = assert_refused(result, f"127.0.0.1:{port}", "CATALOG_DATABASE_URL")
    assert "no answer" in first
    assert elapsed < 50, "asyncpg alone would wait 60 s"


@pytest.mark.parametrize(
    ("name", "args", "named"),
    [
        ("catalog-api", ["serve", "--port", "99999"], "99999 is not a port"),
        ("catalog-mcp", ["--http", "--port", "70000"], "70000 is not a port"),
    ],
)
def test_a_port_argument_out_of_range_is_a_usage_error(
    tmp_path: Path, name: str, args: list[str], named: str
) -> None:
    assert_refused(run(name, *args, env=clean_env(tmp_path)), "argument --port", named)


def test_a_refused_password_is_named_without_showing_it() -> None:
    # The test server trusts every local user, so the refusal itself is built here.
    refusal = asyncpg.InvalidPasswordError('password authentication failed for user "shop"')
    url = make_url("postgresql+asyncpg://shop:wrong-pw@db.example:6432/catalog")
    problem = explain_database_error(refusal, url, url.render_as_string(hide_password=True))
    first, fix = problem.lines
    assert first == (
        "PostgreSQL at db.example:6432 refused the password of user 'shop' (CATALOG_DATABASE_URL)"
    )
    assert fix == "correct the user or password in CATALOG_DATABASE_URL"
    assert "wrong-pw" not in str(problem)
