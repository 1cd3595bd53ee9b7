"""The digests of the import rows products were last written from (migration 0018)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

# Each slug is a bound parameter on SQLite, which takes 32,766 by default.
_SLUGS_PER_READ = 5000

_SQLITE_READ = text(
    "SELECT p.slug, d.digest FROM products p JOIN product_source_digests d "
    "ON d.product_id = p.id WHERE p.slug IN :slugs"
).bindparams(bindparam("slugs", expanding=True))
_PG_READ = text(
    "SELECT p.slug, d.digest FROM products p JOIN product_source_digests d "
    "ON d.product_id = p.id WHERE p.slug = ANY(CAST(:slugs AS text[]))"
)
# Kept only for the version the row was applied to or compared with: a product changed since
# (another writer's commit) keeps none. SQLite holds the write lock already; PostgreSQL locks
# the products, so a writer waiting on one sees the kept digest and its triggers forget it.
_SQLITE_KEEP = text(
    "INSERT INTO product_source_digests (product_id, digest) "
    "SELECT id, :digest FROM products WHERE slug = :slug AND version = :version "
    "ON CONFLICT (product_id) DO UPDATE SET digest = excluded.digest"
)
_PG_KEEP = text(
    "WITH applied AS (SELECT p.id, kept.digest FROM unnest(CAST(:slugs AS text[]), "
    "CAST(:versions AS integer[]), CAST(:digests AS bytea[])) AS kept(slug, version, digest) "
    "JOIN products p ON p.slug = kept.slug AND p.version = kept.version FOR NO KEY UPDATE OF p) "
    "INSERT INTO product_source_digests (product_id, digest) SELECT id, digest FROM applied "
    "ON CONFLICT (product_id) DO UPDATE SET digest = excluded.digest"
)


# A product the import's own transaction created: no other writer has seen it.
_SQLITE_KEEP_CREATED = text(
    "INSERT INTO product_source_digests (product_id, digest) VALUES (:product_id, :digest) "
    "ON CONFLICT (product_id) DO UPDATE SET digest = excluded.digest"
)
_PG_KEEP_CREATED = text(
    "INSERT INTO product_source_digests (product_id, digest) SELECT * FROM "
    "unnest(CAST(:ids AS integer[]), CAST(:digests AS bytea[])) "
    "ON CONFLICT (product_id) DO UPDATE SET digest = excluded.digest"
)


class KeptDigest(NamedTuple):
    """A row's digest, the version of the product that row made or found, and its id if new."""

    version: int
    digest: bytes
    created_id: int | None = None


async def stored_digests(session: AsyncSession, slugs: Sequence[str]) -> dict[str, bytes]:
    """Return the kept digest of each product with one of these slugs that has one."""
    postgres = session.get_bind().dialect.name == "postgresql"
    found: dict[str, bytes] = {}
    for start in range(0, len(slugs), _SLUGS_PER_READ):
        part = list(slugs[start : start + _SLUGS_PER_READ])
        result = await session.execute(_PG_READ if postgres else _SQLITE_READ, {"slugs": part})
        found.update((slug, bytes(digest)) for slug, digest in result)
    return found


async def keep_digests(session: AsyncSession, digests: Mapping[str, KeptDigest]) -> None:
    """Keep each product's digest (by slug), in the session's transaction, after its writes."""
    created = [entry for entry in digests.values() if entry.created_id is not None]
    found = {slug: entry for slug, entry in digests.items() if entry.created_id is None}
    if session.get_bind().dialect.name == "postgresql":
        if created:
            ids = [entry.created_id for entry in created]
            await session.execute(
                _PG_KEEP_CREATED, {"ids": ids, "digests": [entry.digest for entry in created]}
            )
        if found:
            kept = list(found.values())
            await session.execute(
                _PG_KEEP,
                {
                    "slugs": list(found),
                    "versions": [entry.version for entry in kept],
                    "digests": [entry.digest for entry in kept],
                },
            )
        return
    if created:
        await session.execute(
            _SQLITE_KEEP_CREATED,
            [{"product_id": entry.created_id, "digest": entry.digest} for entry in created],
        )
    if found:
        await session.execute(
            _SQLITE_KEEP,
            [
                {"slug": slug, "version": entry.version, "digest": entry.digest}
                for slug, entry in found.items()
            ],
        )
