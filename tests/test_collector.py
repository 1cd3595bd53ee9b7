"""A serving process keeps its long-lived objects out of full garbage collections."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from catalog_api import collector
from catalog_api.search.vocabulary import VOCABULARIES
from tests.conftest import create


@pytest.fixture
def freezing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Turn freezing on as `catalog-api serve` does, and thaw everything afterwards."""
    monkeypatch.setattr(collector, "_enabled", False)
    collector.enable_freezing()
    yield
    gc.unfreeze()


def _tracked(thing: object) -> bool:
    return any(candidate is thing for candidate in gc.get_objects())


async def _speller_deletes(app: FastAPI, client: httpx.AsyncClient) -> object:
    await create(client, title="Ceramic coffee mug", tags=["kitchen"])
    VOCABULARIES.changed()
    assert (await client.get("/api/products/search", params={"q": "mug"})).status_code == 200
    vocabulary = await VOCABULARIES.get(app.state.engine)
    assert vocabulary.speller is not None
    return vocabulary.speller._deletes


@pytest.mark.usefixtures("freezing")
async def test_the_vocabulary_read_for_searches_is_frozen(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    deletes = await _speller_deletes(app, client)
    assert gc.get_freeze_count() > 0
    assert not _tracked(deletes), "the speller is still walked by every full collection"


async def test_without_the_serving_switch_nothing_is_frozen(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    before = gc.get_freeze_count()
    deletes = await _speller_deletes(app, client)
    assert gc.get_freeze_count() == before
    assert _tracked(deletes)


def test_an_import_freezes_only_while_it_runs() -> None:
    gc.unfreeze()  # whatever an earlier test left
    with collector.frozen_meanwhile():
        assert gc.get_freeze_count() > 0
        with collector.frozen_meanwhile():  # someone froze already: left as it is
            pass
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0  # the test process stays collectable


def test_an_import_transaction_pauses_the_collector_and_leaves_it_as_it_found_it() -> None:
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()  # someone else turned it off: left off
    try:
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
