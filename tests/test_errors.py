"""Failures: a failing commit never yields a 2xx; unexpected errors leak nothing."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from tests.conftest import product_body

SQLITE_GUARD = [
    """CREATE TABLE commit_guard (
        ref INTEGER REFERENCES products(id) DEFERRABLE INITIALLY DEFERRED)""",
    """CREATE TRIGGER products_commit_guard AFTER INSERT ON products BEGIN
        INSERT INTO commit_guard(ref) VALUES (-1);
    END""",
]
SQLITE_UNGUARD = ["DROP TRIGGER products_commit_guard", "DROP TABLE commit_guard"]
POSTGRES_GUARD = [
    """CREATE TABLE commit_guard (
        ref INTEGER REFERENCES products(id) DEFERRABLE INITIALLY DEFERRED)""",
    """CREATE FUNCTION commit_guard_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO commit_guard VALUES (-1); RETURN NEW; END $$""",
    """CREATE TRIGGER products_commit_guard AFTER INSERT ON products
        FOR EACH ROW EXECUTE FUNCTION commit_guard_insert()""",
]
POSTGRES_UNGUARD = [
    "DROP TRIGGER products_commit_guard ON products",
    "DROP FUNCTION commit_guard_insert()",
    "DROP TABLE commit_guard",
]


async def _run(app: FastAPI, statements: list[str]) -> None:
    async with app.state.engine.begin() as connection:
        for statement in statements:
            await connection.execute(text(statement))


async def test_a_failing_commit_never_yields_a_201(
    app: FastAPI, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # A deferred foreign key is checked at COMMIT: the insert itself succeeds,
    # only the commit fails, on both databases.
    sqlite = app.state.engine.dialect.name == "sqlite"
    await _run(app, SQLITE_GUARD if sqlite else POSTGRES_GUARD)
    try:
        with caplog.at_level(logging.ERROR, logger="catalog_api.errors"):
            response = await client.post("/api/products", json=product_body(slug="doomed"))
        assert response.status_code == 500
        body = response.json()
        assert "FOREIGN" not in response.text.upper()
        assert "commit_guard" not in response.text
        assert body["request_id"] == response.headers["x-request-id"]
        assert any(body["request_id"] in r.getMessage() for r in caplog.records)
    finally:
        await _run(app, SQLITE_UNGUARD if sqlite else POSTGRES_UNGUARD)
    assert (await client.get("/api/products/by-slug/doomed")).status_code == 404
    assert (await client.get("/api/products")).json()["total"] == 0


async def test_unexpected_error_is_a_generic_500(
    app: FastAPI, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    await _run(app, ["ALTER TABLE products RENAME TO products_moved"])
    try:
        with caplog.at_level(logging.ERROR, logger="catalog_api.errors"):
            response = await client.get("/api/products/1", headers={"X-Request-ID": "req-42"})
    finally:
        await _run(app, ["ALTER TABLE products_moved RENAME TO products"])
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "req-42"
    body = response.json()
    assert set(body) == {"type", "title", "status", "detail", "instance", "request_id"}
    assert "table" not in response.text.lower()
    assert "sql" not in response.text.lower()
    assert "req-42" in body["detail"]
    assert any("req-42" in r.getMessage() for r in caplog.records)


async def test_unknown_route_and_method_are_problems(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong = await client.post("/api/categories")
    assert wrong.status_code == 405
    assert wrong.json()["status"] == 405


async def test_malformed_json_body_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/products", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_healthz(client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await client.get("/api/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == app.state.engine.dialect.name
    assert response.headers["x-request-id"]


async def test_oversized_bodies_are_413(client: httpx.AsyncClient) -> None:
    huge = b'{"title": "' + b"x" * 1_100_000 + b'"}'
    declared = await client.post(
        "/api/products", content=huge, headers={"content-type": "application/json"}
    )
    assert declared.status_code == 413
    assert declared.headers["content-type"] == "application/problem+json"

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 100_000

    streamed = await client.post(
        "/api/describe", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    assert (await client.get("/api/products")).json()["total"] == 0
