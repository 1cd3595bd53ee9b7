"""Build, or reuse when still valid, the N-product catalogs that bench.search_latency serves.

A catalog is reused when it was built by this module for the same N, seed and migration head
and still holds N products; SQLite keeps that stamp in a file beside the database, PostgreSQL
as the database's comment. Products come from bench.generate and go in through the real
``catalog-api import``.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from bench.generate import write_products
from bench.util import clean_env, command, run_logged, sqlite_url
from bench.variant_filters import add_variants_to
from catalog_api.migrate import head_revision

log = logging.getLogger("bench")

BATCH_SIZE = 5000
STAMP_PREFIX = "bench.search_latency"


@dataclass(frozen=True)
class BuildSpec:
    """What to build and where: N products of a seed, files and logs under workdir."""

    n: int
    seed: int
    workdir: Path
    rebuild: bool
    upgrade_cached: bool
    variants: bool = False

    @property
    def logs(self) -> Path:
        """Directory of the commands' and servers' logs."""
        path = self.workdir / "logs"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def stamp(self, head: str | None) -> str:
        """Return the text that marks a catalog built for this spec at a migration head."""
        variants = " variants" if self.variants else ""
        return f"{STAMP_PREFIX} n={self.n} seed={self.seed} head={head}{variants}"

    def import_timeout(self) -> float:
        """Return a generous but finite limit for one import (seconds)."""
        return 600 + self.n / 50


@dataclass(frozen=True)
class Catalog:
    """A built catalog: its database URL for the app and how it was obtained."""

    engine: str
    url: str
    where: str
    how: str


def products_file(spec: BuildSpec) -> Path:
    """Write (or reuse, when complete) the N-product JSON Lines file in workdir."""
    path = spec.workdir / f"products-{spec.n}-seed{spec.seed}.jsonl"
    marker = path.with_name(path.name + ".done")
    if path.exists() and marker.exists():
        return path
    log.info("generating %d products to %s", spec.n, path)
    started = time.perf_counter()
    size = write_products(path, spec.n, spec.seed)
    marker.touch()
    log.info("generated %.1f MB in %.1f s", size / 1e6, time.perf_counter() - started)
    return path


def _sqlite_state(path: Path) -> tuple[str | None, int]:
    """Return (alembic revision, product count) of a SQLite file; (None, -1) if unreadable."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            count = conn.execute("SELECT count(*) FROM products").fetchone()[0]
    except sqlite3.Error:
        return None, -1
    return (str(revision[0]) if revision else None), int(count)


def _import(spec: BuildSpec, url: str, log_name: str) -> float:
    """Run catalog-api import of the products file into url; return wall seconds."""
    jsonl = products_file(spec)
    env = clean_env(spec.workdir, CATALOG_DATABASE_URL=url)
    argv = [*command("catalog-api"), "import", str(jsonl), "--batch-size", str(BATCH_SIZE)]
    log.info("catalog-api import of %d products (log %s)", spec.n, spec.logs / log_name)
    return run_logged(argv, env, spec.logs / log_name, spec.import_timeout())


def _migrate(spec: BuildSpec, url: str, log_name: str) -> float:
    """Run catalog-api migrate on url; return wall seconds."""
    env = clean_env(spec.workdir, CATALOG_DATABASE_URL=url)
    return run_logged([*command("catalog-api"), "migrate"], env, spec.logs / log_name, 3600)


def _add_variants(spec: BuildSpec, url: str) -> float:
    """Give each product six variants and a brand, as bench.variant_filters does; return s."""
    if not spec.variants:
        return 0.0
    started = time.perf_counter()
    log.info("adding six variants per product and 500 brands")
    asyncio.run(add_variants_to(url))
    return time.perf_counter() - started


def sqlite_catalog(spec: BuildSpec) -> Catalog:
    """Return the SQLite catalog, building it unless a valid one is cached."""
    suffix = "-variants" if spec.variants else ""
    path = spec.workdir / f"catalog-{spec.n}-seed{spec.seed}{suffix}.db"
    stamp_file = path.with_name(path.name + ".stamp")
    url = sqlite_url(path)
    head = head_revision()
    stamp = stamp_file.read_text(encoding="utf-8").strip() if stamp_file.exists() else ""
    if not spec.rebuild and path.exists() and stamp:
        revision, count = _sqlite_state(path)
        if stamp == spec.stamp(head) and revision == head and count == spec.n:
            return Catalog("sqlite", url, str(path), "cached")
        if spec.upgrade_cached and stamp == spec.stamp(revision) and count == spec.n:
            seconds = _migrate(spec, url, "migrate-sqlite.log")
            stamp_file.write_text(spec.stamp(head) + "\n", encoding="utf-8")
            return Catalog(
                "sqlite",
                url,
                str(path),
                f"cached, migrated {revision} -> {head} in {seconds:.0f} s",
            )
        log.info(
            "cached %s is stale (%s; revision %s, %d products): rebuilding",
            path,
            stamp,
            revision,
            count,
        )
    stamp_file.unlink(missing_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    seconds = _import(spec, url, "import-sqlite.log") + _add_variants(spec, url)
    revision, count = _sqlite_state(path)
    if count != spec.n or revision != head:
        raise RuntimeError(f"import left {count} products at revision {revision} in {path}")
    stamp_file.write_text(spec.stamp(head) + "\n", encoding="utf-8")
    return Catalog("sqlite", url, str(path), f"built in {seconds:.0f} s")


def psql(url: URL, sql: str, database: str | None = None, timeout: float = 3600) -> str:
    """Run SQL with psql on the server of url (its database unless given); return the output."""
    exe = shutil.which("psql")
    if exe is None:
        raise RuntimeError("psql is not installed")
    argv = [exe, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", url.host or "127.0.0.1"]
    argv += ["-p", str(url.port or 5432), "-U", url.username or "postgres"]
    argv += ["-d", database or url.database or "postgres", "-c", sql]
    done = subprocess.run(  # noqa: S603 - argv built here, no shell
        argv, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"psql failed: {done.stderr.strip()}")
    return done.stdout.strip()


def postgres_answers(database_url: str) -> str | None:
    """Return the server version if PostgreSQL answers at database_url's server, else None."""
    try:
        return psql(make_url(database_url), "SHOW server_version", "postgres", timeout=10)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
        log.info("PostgreSQL does not answer: %s", error)
        return None


def _pg_state(url: URL) -> tuple[str, str | None, int]:
    """Return (database comment, alembic revision, product count) of the database."""
    comment = psql(
        url,
        "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database "
        "WHERE datname = current_database()",
    )
    tables = psql(
        url,
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND "
        "tablename IN ('alembic_version', 'products')",
    )
    if tables != "2":
        return comment, None, -1 if tables == "0" else -2
    revision = psql(url, "SELECT version_num FROM alembic_version") or None
    return comment, revision, int(psql(url, "SELECT count(*) FROM products"))


def postgres_catalog(spec: BuildSpec, database_url: str) -> Catalog:
    """Return the PostgreSQL catalog, building it unless a valid one is cached."""
    url = make_url(database_url)
    name = url.database or ""
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a plain database name: {name!r}")
    if name not in psql(url, "SELECT datname FROM pg_database", "postgres").splitlines():
        psql(url, f'CREATE DATABASE "{name}"', "postgres")
    head = head_revision()
    comment, revision, count = _pg_state(url)
    where = url.render_as_string(hide_password=True)
    if not spec.rebuild and comment == spec.stamp(head) and revision == head and count == spec.n:
        return Catalog("postgresql", database_url, where, "cached")
    if (
        not spec.rebuild
        and spec.upgrade_cached
        and comment == spec.stamp(revision)
        and count == spec.n
    ):
        seconds = _migrate(spec, database_url, "migrate-pg.log")
        psql(url, f"COMMENT ON DATABASE \"{name}\" IS '{spec.stamp(head)}'")
        return Catalog(
            "postgresql",
            database_url,
            where,
            f"cached, migrated {revision} -> {head} in {seconds:.0f} s",
        )
    if count != -1 and not comment.startswith(STAMP_PREFIX) and not spec.rebuild:
        raise RuntimeError(
            f"database {name} holds tables not built by this benchmark; pass --rebuild to "
            "replace them or name another database with --database-url"
        )
    log.info(
        "building PostgreSQL catalog in %s (was: %r, revision %s, %d products)",
        name,
        comment,
        revision,
        count,
    )
    psql(url, f'COMMENT ON DATABASE "{name}" IS NULL')
    psql(url, "DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    started = time.perf_counter()
    _migrate(spec, database_url, "migrate-pg.log")
    _import(spec, database_url, "import-pg.log")
    _add_variants(spec, database_url)
    # Every table: index-only scans of the variants' indexes need their visibility map.
    log.info("VACUUM ANALYZE")
    psql(url, "VACUUM ANALYZE")
    seconds = time.perf_counter() - started
    _, revision, count = _pg_state(url)
    if count != spec.n or revision != head:
        raise RuntimeError(f"import left {count} products at revision {revision} in {name}")
    psql(url, f"COMMENT ON DATABASE \"{name}\" IS '{spec.stamp(head)}'")
    return Catalog("postgresql", database_url, where, f"built in {seconds:.0f} s")
