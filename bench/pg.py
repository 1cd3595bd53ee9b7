"""PostgreSQL helpers through psql: a throwaway bench_* database on 127.0.0.1."""

from __future__ import annotations

import secrets
import shutil
import subprocess

HOST = "127.0.0.1"
PORT = 5432
USER = "postgres"
ADMIN_DB = "test"


def psql(sql: str, database: str = ADMIN_DB, timeout: float = 600) -> str:
    """Run one SQL command with psql and return its unaligned output."""
    exe = shutil.which("psql")
    if exe is None:
        raise RuntimeError("psql is not installed")
    argv = [exe, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
    argv += ["-h", HOST, "-p", str(PORT), "-U", USER, "-d", database, "-c", sql]
    done = subprocess.run(  # noqa: S603 - argv built here, no shell
        argv, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"psql failed: {done.stderr.strip()}")
    return done.stdout.strip()


def server_version() -> str:
    """Return the server's version string."""
    return psql("SHOW server_version")


def new_database_name() -> str:
    """Return a fresh bench_<random> name."""
    return f"bench_{secrets.token_hex(4)}"


def create_database(name: str) -> None:
    """Create the database (name must be a bench_ name)."""
    _check(name)
    psql(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    """Drop the database, closing its connections."""
    _check(name)
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def async_url(name: str) -> str:
    """Return the app's SQLAlchemy URL of a database."""
    return f"postgresql+asyncpg://{USER}@{HOST}:{PORT}/{name}"


def _check(name: str) -> None:
    """Refuse names this bench did not make."""
    if not name.startswith("bench_") or not name.replace("_", "").isalnum():
        raise ValueError(f"not a bench database name: {name!r}")
