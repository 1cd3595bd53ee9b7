"""An import's history written by PostgreSQL's COPY is the history its INSERT writes."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from fastapi import FastAPI

from catalog_api.history import recording
from catalog_api.history.context import acting_as
from catalog_api.importer import Importer, ImportReport, parse_jsonl
from catalog_api.repositories import pg_copy
from catalog_api.services.imports import OnConflict
from tests.test_import_paths import _jsonl, _rows
from tests.test_variant_search import _execute

HISTORY = (
    "SELECT p.slug, c.action, c.actor, c.request_id, c.changes, c.reverts, c.xid "
    "FROM product_changes c JOIN products p ON p.id = c.product_id "
    "WHERE p.slug LIKE '{prefix}-%' ORDER BY c.id"
)


def _file(prefix: str) -> str:
    rows = _rows(prefix)
    # Updated in the transaction that creates it: one record, the create's, for both.
    again = {**rows[0], "stock_quantity": 8, "tags": ["desk"]}
    return _jsonl([*rows, again])


async def _import(app: FastAPI, prefix: str) -> ImportReport:
    # One batch, one transaction: the repeated row updates the product the batch created.
    importer = Importer(app.state.session_factory, 100, on_conflict=OnConflict.UPDATE)
    with acting_as("cli:import"):
        return await importer.run(parse_jsonl(io.StringIO(_file(prefix))))


async def _history(url: str, prefix: str) -> list[tuple[Any, ...]]:
    found = []
    for slug, *columns, changes, reverts, xid in await _execute(url, HISTORY.format(prefix=prefix)):
        loaded = json.loads(changes) if isinstance(changes, str) else changes
        loaded.pop("created_at")  # when each import ran
        document = json.dumps(loaded, sort_keys=True)
        document = document.replace(f"{prefix}-", "*-").replace(f"{prefix.upper()}-", "*-")
        found.append((slug.removeprefix(prefix), *columns, document, reverts, xid))
    return found


async def test_history_by_copy_equals_history_by_insert(
    app: FastAPI, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    copied: list[int] = []
    copy_changes = pg_copy.copy_changes

    def counted(connection: Any, rows: Any) -> None:
        copied.append(len(rows))
        copy_changes(connection, rows)

    monkeypatch.setattr(pg_copy, "copy_changes", counted)
    monkeypatch.setattr(recording, "COPY_ROWS", 10**9)
    by_insert = await _import(app, "ins")
    assert not copied
    monkeypatch.setattr(recording, "COPY_ROWS", 1)
    by_copy = await _import(app, "cpy")
    assert copied == ([] if database_url.startswith("sqlite") else [6])
    assert by_copy.imported == by_insert.imported == 6
    assert by_copy.updated == by_insert.updated == 1
    assert by_copy.rejected == by_insert.rejected
    inserted = await _history(database_url, "ins")
    written = await _history(database_url, "cpy")
    assert [row[:-1] for row in written] == [row[:-1] for row in inserted]
    assert len(written) == 6
    merged = next(row for row in written if row[0] == "-desk")
    assert '"stock_quantity": [null, 8]' in merged[4]
    if not database_url.startswith("sqlite"):
        # Each import's records carry its transaction's id, as the feed orders by it.
        assert len({row[-1] for row in written}) == 1
        assert written[0][-1] > inserted[0][-1] > 0
