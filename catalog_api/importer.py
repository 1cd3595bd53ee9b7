"""Bulk import of products: validate records, write them in time-bounded batches, account."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple, TextIO

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_api.errors import DuplicateSkuError, DuplicateSlugError
from catalog_api.import_rows import check_all as _check_all
from catalog_api.import_sources import Record, json_record
from catalog_api.import_unchanged import digest_slugs, is_unchanged, plain_slugs
from catalog_api.repositories.source_digests import KeptDigest, stored_digests
from catalog_api.repositories.stored_state import stored_products
from catalog_api.schemas import ProductCreate
from catalog_api.services.imports import (
    COMPARED_COLUMNS,
    ImportService,
    OnConflict,
    Prepared,
    RowOutcome,
    RowResult,
    prepare_new,
)

logger = logging.getLogger(__name__)

# A transaction commits after this long even if its batch is not done, so another process
# waiting for SQLite's write lock (busy_timeout, 10 s by default) gets it in time.
MAX_TRANSACTION_SECONDS = 0.5
# Between two transactions of one batch the lock stays free this long: SQLite's busy handler
# sleeps at most 100 ms between tries, so a waiting writer always tries once in the gap.
PAUSE_SECONDS = 0.15
# A concurrent writer can take a slug between our check and our insert (PostgreSQL).
_WRITE_ATTEMPTS = 3


class Rejection(NamedTuple):
    """A record that was not imported: its physical lines and why."""

    first_line: int
    last_line: int
    reason: str

    @property
    def lines(self) -> str:
        """Return '7' or '4-9'."""
        if self.first_line == self.last_line:
            return str(self.first_line)
        return f"{self.first_line}-{self.last_line}"


@dataclass
class ImportReport:
    """What an import did, in rows and in physical lines; the lines add up to lines_read."""

    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    uncommitted: int = 0
    conflicts: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    line_counts: Counter[str] = field(default_factory=Counter)
    lines_read: int = 0
    last_committed_line: int = 0
    interrupted: bool = False

    def count(self, result: RowResult, record: Record) -> None:
        """Count one row's outcome and its lines."""
        if result is RowResult.IMPORTED:
            self.imported += 1
        elif result is RowResult.UPDATED:
            self.updated += 1
        elif result is RowResult.UNCHANGED:
            self.unchanged += 1
        elif result is RowResult.SKIPPED:
            self.skipped += 1
        self.line_counts[result.value] += record.line_count

    def reject(self, record: Record, reason: str) -> None:
        """Record a refused row with its lines and reason."""
        self.rejected.append(Rejection(record.first_line, record.last_line, reason))
        self.line_counts["rejected"] += record.line_count

    @property
    def lines_accounted(self) -> int:
        """Return the lines with an outcome: header, blank, each row's, not committed."""
        return sum(self.line_counts.values())

    def summary(self) -> str:
        """Return one line: lines read, then each kind of line, adding up to the lines read."""
        lines = self.line_counts
        parts = []
        for kind in ("header", "blank"):
            if lines[kind]:
                parts.append(f"{lines[kind]:,} {kind}")
        rows = {
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "rejected": len(self.rejected),
            "not committed": self.uncommitted,
        }
        always = {"imported", "rejected"}
        for kind, row_count in rows.items():
            line_count = lines[kind]
            if not line_count and kind not in always:
                continue
            text = f"{line_count:,} {kind}"
            if kind == "skipped":
                text += " (already present)"
            if row_count != line_count:
                text += f" ({row_count:,} rows)"
            parts.append(text)
        return f"read {self.lines_read:,} lines: " + ", ".join(parts)


def _unknown_slugs(batch: list[tuple[Record, ProductCreate]]) -> bool:
    """Tell whether a row of the batch leaves its slug to be derived from its title."""
    return any(product.slug is None for _, product in batch)


def _same_products(
    batch: list[tuple[Record, ProductCreate]], accepted: list[tuple[Record, ProductCreate]]
) -> bool:
    """Tell whether accepted rows may name a product of the batch (a slug in both, or none)."""
    waiting = {product.slug for _, product in batch}
    return any(product.slug is None or product.slug in waiting for _, product in accepted)


def parse_jsonl(stream: TextIO) -> Iterator[Record]:
    """Yield a record for each non-empty line of a JSON Lines text stream."""
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield json_record(number, line)


class Importer:
    """Validate records and write the valid ones in batches bounded in rows and in time."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        batch_size: int = 1000,
        *,
        on_conflict: OnConflict = OnConflict.FAIL,
        max_transaction_seconds: float = MAX_TRANSACTION_SECONDS,
        pause_seconds: float = PAUSE_SECONDS,
    ) -> None:
        self.sessions = sessions
        self.batch_size = batch_size
        self.on_conflict = on_conflict
        self.max_transaction_seconds = max_transaction_seconds
        self.pause_seconds = pause_seconds
        self.report = ImportReport()
        self._stop_requested = False
        # Digests of rows found unchanged by value, kept with the next write.
        self._found_unchanged: dict[str, KeptDigest] = {}
        # Values of the batch's next new rows, made while the write lock was left free.
        self._prepared: Prepared = {}

    def request_stop(self) -> None:
        """Stop reading after the current row; what was read is still written."""
        self._stop_requested = True

    async def run(
        self, records: Iterable[Record], *, progress: Callable[[int], object] | None = None
    ) -> ImportReport:
        """Import all records (until a stop is requested); progress gets lines handled.

        A batch is checked in a worker thread while the one before it is written: the
        database works outside the interpreter lock, so the two overlap. The writes stay in
        this task, so a second Ctrl-C (KeyboardInterrupt) stops them where they are. A
        re-import (on conflict, update) first sets aside the rows equal to their stored
        products, then writes the rest once a batch of them has gathered.
        """
        loop = asyncio.get_running_loop()
        reading = self._read_batches(iter(records))
        batch: list[tuple[Record, ProductCreate]] = []
        while True:
            try:
                read = next(reading, None)
            except Exception:
                if batch:  # what was read before a source error is still written
                    await self._write(batch, progress)
                raise
            if read is None:
                break
            if self.on_conflict is OnConflict.UPDATE:
                # A feed sent again changes few rows: they gather over several batches and
                # go in together, so each write call carries a full batch.
                if batch and (len(batch) >= self.batch_size or _unknown_slugs(batch)):
                    await self._write(batch, progress)
                    batch = []
                read = await self._set_aside_unchanged(read, progress, pending=batch)
                if len(self._found_unchanged) >= self.batch_size:
                    await self._write([], progress)
                checked = await loop.run_in_executor(None, _check_all, read)
                accepted = self._accept(read, checked, progress)
                if batch and _same_products(batch, accepted):
                    # Rows of one product in two batches stay in two writes, as in the file.
                    await self._write(batch, progress)
                    batch = []
                batch += accepted
                continue
            checking = loop.run_in_executor(None, _check_all, read)
            if batch:
                await self._write(batch, progress)
            batch = self._accept(read, await checking, progress)
        if batch or self._found_unchanged:
            await self._write(batch, progress)
        self.report.rejected.sort()
        return self.report

    async def _set_aside_unchanged(
        self,
        read: list[Record],
        progress: Callable[[int], object] | None,
        *,
        pending: list[tuple[Record, ProductCreate]],
    ) -> list[Record]:
        """Count the rows known by their digests or equal to their stored products; return the rest.

        A row whose slug an earlier row not yet written (pending) gives is not compared with
        the stored product: it takes the careful path after that row, as in the file.
        """
        waiting = {product.slug for _, product in pending}
        keyed = {i: slug for i, slug in digest_slugs(read).items() if slug not in waiting}
        if not keyed and all(slug in waiting for slug in plain_slugs(read).values()):
            return read  # nothing to look up (no slugs given): no session for this batch
        async with self.sessions() as session:
            kept = await stored_digests(session, list(keyed.values())) if keyed else {}
            same = {i for i, slug in keyed.items() if kept.get(slug) == read[i].digest}
            plain = {i: slug for i, slug in plain_slugs(read, same).items() if slug not in waiting}
            stored = await stored_products(session, list(plain.values()), COMPARED_COLUMNS)
        if not same and not plain:
            return read
        rest: list[Record] = []
        rows = lines = 0
        for index, record in enumerate(read):
            if index not in same:
                slug = plain.get(index)
                found = stored.get(slug) if slug is not None else None
                if found is None or record.fields is None or not is_unchanged(record.fields, found):
                    rest.append(record)
                    continue
                if record.digest is not None and slug is not None:
                    version = found.columns["version"]
                    self._found_unchanged[slug] = KeptDigest(version, record.digest)
            rows += 1
            lines += record.line_count
        # Counted together: this runs for nearly every row of a feed sent again.
        report = self.report
        report.uncommitted -= rows
        report.line_counts["not committed"] -= lines
        report.unchanged += rows
        report.line_counts[RowResult.UNCHANGED.value] += lines
        if progress and lines:
            progress(lines)
        return rest

    def _read_batches(self, records: Iterator[Record]) -> Iterator[list[Record]]:
        """Yield batches of records, each counted as not committed until its outcome is known."""
        report = self.report
        batch: list[Record] = []
        for record in records:
            batch.append(record)
            report.uncommitted += 1
            report.line_counts["not committed"] += record.line_count
            if len(batch) >= self.batch_size and not self._stop_requested:
                yield batch
                batch = []
            if self._stop_requested:
                report.interrupted = True
                break
        if batch:
            yield batch

    def _accept(
        self,
        read: list[Record],
        checked: list[ProductCreate | str],
        progress: Callable[[int], object] | None,
    ) -> list[tuple[Record, ProductCreate]]:
        """Account the rejected records; return the others with their products."""
        report = self.report
        batch: list[tuple[Record, ProductCreate]] = []
        for record, product in zip(read, checked, strict=True):
            if isinstance(product, ProductCreate):
                batch.append((record, product))
                continue
            report.uncommitted -= 1
            report.line_counts["not committed"] -= record.line_count
            report.reject(record, product)
            if progress:
                progress(record.line_count)
        return batch

    async def _write(
        self,
        batch: list[tuple[Record, ProductCreate]],
        progress: Callable[[int], object] | None,
    ) -> None:
        written = 0
        try:
            while written < len(batch) or self._found_unchanged:
                if written:
                    await self._pause(batch[written:])
                rest = batch[written:]
                kept, self._found_unchanged = self._found_unchanged, {}
                outcomes = await self._write_once(
                    [product for _, product in rest], [record.digest for record, _ in rest], kept
                )
                for (record, _), outcome in zip(rest, outcomes, strict=False):
                    self._count(record, outcome)
                written += len(outcomes)
                if outcomes:
                    self.report.last_committed_line = rest[len(outcomes) - 1][0].last_line
                if progress:
                    progress(sum(record.line_count for record, _ in rest[: len(outcomes)]))
        finally:
            self._prepared.clear()

    async def _pause(self, rest: list[tuple[Record, ProductCreate]]) -> None:
        """Leave the write lock free for pause_seconds; make the next new rows' values meanwhile.

        Other processes queue on the lock, so the pause stays; the values and search fields
        made in it are Python work the next transaction would otherwise do holding the lock.
        """
        deadline = time.monotonic() + self.pause_seconds
        prepared = self._prepared
        for _, product in rest:
            if time.monotonic() >= deadline:
                break
            if product.variants is None and id(product) not in prepared:
                prepared[id(product)] = (product, prepare_new(product))
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))

    async def _write_once(
        self,
        products: list[ProductCreate],
        digests: list[bytes | None],
        kept: dict[str, KeptDigest],
    ) -> list[RowOutcome]:
        for attempt in range(1, _WRITE_ATTEMPTS + 1):
            try:
                async with self.sessions() as session:
                    return await ImportService(session, self._prepared).write(
                        products,
                        on_conflict=self.on_conflict,
                        max_seconds=self.max_transaction_seconds,
                        digests=digests,
                        kept=kept,
                    )
            except (IntegrityError, DuplicateSlugError, DuplicateSkuError):
                # The per-product path of variants turns the same race into domain errors.
                if attempt == _WRITE_ATTEMPTS:
                    raise
                logger.info("a concurrent writer took a slug or SKU; writing this batch again")
        raise AssertionError("unreachable")

    def _count(self, record: Record, outcome: RowOutcome) -> None:
        report = self.report
        report.uncommitted -= 1
        report.line_counts["not committed"] -= record.line_count
        if outcome.result is RowResult.REJECTED:
            report.reject(record, outcome.reason)
            report.conflicts += outcome.conflict
        else:
            report.count(outcome.result, record)
