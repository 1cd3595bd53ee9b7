"""Named keys with scopes: every endpoint against every kind of caller, on both databases."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from catalog_api.access.models import ApiKey
from catalog_api.access.scopes import Scope
from catalog_api.access.service import KeyService
from catalog_api.config import Settings
from catalog_api.db import create_engine, create_session_factory
from tests.conftest import app_with, asgi_client, product_body

READ, WRITE, DESCRIBE = "read", "write", "describe"
# Each endpoint, the scope it needs, and how to call it ({id}: the product trail-runner-shoes,
# {change}: its newest change).
ENDPOINTS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("list", READ, "GET /api/products", {}),
    ("search", READ, "GET /api/products/search", {"params": {"q": "shoes"}}),
    ("get", READ, "GET /api/products/{id}", {}),
    ("by slug", READ, "GET /api/products/by-slug/trail-runner-shoes", {}),
    ("slugs", READ, "GET /api/products/slugs", {"params": {"prefix": "t"}}),
    ("categories", READ, "GET /api/categories", {}),
    ("currencies", READ, "GET /api/currencies", {}),
    ("variant", READ, "GET /api/variants/trail-runner-shoes", {}),
    ("history", READ, "GET /api/products/{id}/history", {}),
    ("changes", READ, "GET /api/changes", {}),
    ("create", WRITE, "POST /api/products", {"json": product_body(slug="another")}),
    (
        "variant stock",
        WRITE,
        "PATCH /api/products/{id}/variants/trail-runner-shoes",
        {"json": {"stock_quantity": 4}},
    ),
    ("update", WRITE, "PATCH /api/products/{id}", {"json": {"stock_quantity": 3}}),
    ("replace", WRITE, "PUT /api/products/{id}", {"json": product_body(slug="trail-runner-shoes")}),
    ("describe", DESCRIBE, "POST /api/products/{id}/describe", {}),
    ("preview", DESCRIBE, "POST /api/describe", {"json": {"title": "Mug", "category": "home"}}),
    (
        "describe+save",
        "describe+write",
        "POST /api/products/{id}/describe",
        {"params": {"save": 1}},
    ),
    ("revert", WRITE, "POST /api/changes/{change}/revert", {"params": {"force": "true"}}),
    ("delete", WRITE, "DELETE /api/products/{id}", {}),
]
# Who calls: the key's scopes (None: no key sent).
CALLERS: dict[str, list[Scope] | None] = {
    "no key": None,
    "read key": [Scope.READ],
    "write key": [Scope.WRITE],
    "describe key": [Scope.DESCRIBE],
    "describe+write key": [Scope.DESCRIBE, Scope.WRITE],
    "admin key": [Scope.ADMIN],
}
IMPLIED = {
    Scope.READ: {READ},
    Scope.WRITE: {READ, WRITE},
    Scope.DESCRIBE: {READ, DESCRIBE},
    Scope.ADMIN: {READ, WRITE, DESCRIBE},
}


def _allowed(needed: str, scopes: list[Scope] | None, *, reads_need_key: bool) -> bool:
    held = {READ} if scopes is None and not reads_need_key else set()
    for scope in scopes or []:
        held |= IMPLIED[scope]
    return set(needed.split("+")) <= held


async def _make_key(settings: Settings, name: str, scopes: list[Scope]) -> str:
    engine = create_engine(settings)
    try:
        async with create_session_factory(engine)() as session:
            return (await KeyService(session).create(name, scopes)).token
    finally:
        await engine.dispose()


@asynccontextmanager
async def _catalog(settings: Settings, **overrides: Any) -> AsyncIterator[FastAPI]:
    async with app_with(
        settings, write_rate_per_minute=0, describe_rate_per_minute=0, **overrides
    ) as app:
        yield app


@pytest.mark.parametrize("reads_need_key", [False, True], ids=["open reads", "closed reads"])
async def test_each_scope_allows_what_it_says_and_nothing_more(
    settings: Settings, reads_need_key: bool
) -> None:
    tokens = {
        caller: await _make_key(settings, caller.replace(" ", "-").replace("+", "-"), scopes)
        for caller, scopes in CALLERS.items()
        if scopes is not None
    }
    refused: list[str] = []
    async with (
        _catalog(settings, reads_need_key=reads_need_key, failed_keys_per_minute=0) as app,
        asgi_client(app) as client,
    ):
        for caller, scopes in CALLERS.items():
            for name, needed, call, options in ENDPOINTS:
                # Each cell starts from the same product, so a delete does not hide the next.
                admin = {"X-API-Key": tokens["admin key"]}
                if (await client.get("/api/products/1", headers=admin)).status_code == 404:
                    await client.post("/api/products", json=product_body(), headers=admin)
                method, path = call.split(" ")
                if "{id}" in path:
                    current = (await client.get("/api/products", headers=admin)).json()
                    path = path.replace("{id}", str(current["items"][0]["id"]))
                if "{change}" in path:
                    current = (await client.get("/api/products", headers=admin)).json()
                    changes = await client.get(
                        f"/api/products/{current['items'][0]['id']}/history", headers=admin
                    )
                    path = path.replace("{change}", str(changes.json()["items"][0]["id"]))
                headers = {} if scopes is None else {"X-API-Key": tokens[caller]}
                response = await client.request(method, path, headers=headers, **options)
                expected = _allowed(needed, scopes, reads_need_key=reads_need_key)
                if expected:
                    good = response.status_code not in (401, 403)
                else:
                    good = response.status_code == (401 if scopes is None else 403)
                if not good:
                    refused.append(f"{caller} / {name}: {response.status_code}")
    assert refused == []


async def test_keys_are_stored_as_digests_and_work_as_a_bearer_token_too(
    settings: Settings,
) -> None:
    token = await _make_key(settings, "agent", [Scope.WRITE])
    engine = create_engine(settings)
    try:
        async with create_session_factory(engine)() as session:
            stored = (await session.scalars(select(ApiKey))).one()
    finally:
        await engine.dispose()
    assert token not in (stored.token_digest, stored.shown, stored.name, stored.scopes)
    assert stored.token_digest == hashlib.sha256(token.encode()).hexdigest()
    assert token.startswith(stored.shown)
    assert len(stored.shown) < len(token) // 2
    async with _catalog(settings) as app, asgi_client(app) as client:
        bearer = {"Authorization": f"Bearer {token}"}
        created = await client.post("/api/products", json=product_body(), headers=bearer)
        assert created.status_code == 201
        access = await client.get("/api/access", headers=bearer)
        assert access.json() == {
            "key": "agent",
            "scopes": ["read", "write"],
            "reads_need_key": False,
        }
        anonymous = await client.post("/api/products", json=product_body(slug="x"))
        assert anonymous.status_code == 401
        assert "X-API-Key" in anonymous.json()["detail"]
        assert (await client.get("/api/access")).json()["scopes"] == ["read"]


async def test_a_catalog_without_keys_stays_open_and_ignores_a_token(settings: Settings) -> None:
    async with _catalog(settings) as app, asgi_client(app) as client:
        headers = {"X-API-Key": "anything"}
        assert (
            await client.post("/api/products", json=product_body(), headers=headers)
        ).status_code == 201
        assert (await client.get("/api/access")).json()["scopes"] == ["read", "write", "describe"]


async def test_a_revoked_key_stops_working_and_its_name_can_be_reused(settings: Settings) -> None:
    first = await _make_key(settings, "feed", [Scope.WRITE])
    engine = create_engine(settings)
    try:
        async with create_session_factory(engine)() as session:
            service = KeyService(session)
            with pytest.raises(Exception, match="already named 'feed'"):
                await service.create("feed", [Scope.WRITE])
            await service.revoke("feed")
            second = (await service.create("feed", [Scope.READ])).token
            names = [(key.name, key.revoked_at is None) for key in await service.list()]
    finally:
        await engine.dispose()
    assert names == [("feed", False), ("feed", True)]
    async with _catalog(settings) as app, asgi_client(app) as client:
        for token, status in ((first, 401), (second, 403)):
            response = await client.post(
                "/api/products", json=product_body(), headers={"X-API-Key": token}
            )
            assert response.status_code == status


async def test_wrong_keys_from_one_address_must_wait_even_with_the_right_key_next(
    settings: Settings,
) -> None:
    token = await _make_key(settings, "agent", [Scope.WRITE])
    async with (
        _catalog(settings, failed_keys_per_minute=3) as app,
        asgi_client(app, "10.1.0.1") as guesser,
        asgi_client(app, "10.1.0.2") as other,
    ):
        codes = []
        for guess in ["cat_a", "cat_b", "cat_c", "cat_d", token]:
            response = await guesser.post(
                "/api/products", json=product_body(), headers={"X-API-Key": guess}
            )
            codes.append(response.status_code)
        assert codes == [401, 401, 401, 429, 429]
        assert int(response.headers["retry-after"]) >= 1
        ok = await other.post("/api/products", json=product_body(), headers={"X-API-Key": token})
        assert ok.status_code == 201


async def test_each_key_has_its_own_write_budget(settings: Settings) -> None:
    first = await _make_key(settings, "one", [Scope.WRITE])
    second = await _make_key(settings, "two", [Scope.WRITE])
    async with (
        app_with(settings, write_rate_per_minute=6, write_burst=2) as app,
        asgi_client(app, "10.2.0.1") as client,
    ):
        codes = [
            (
                await client.post(
                    "/api/products", json=product_body(slug=f"p{n}"), headers={"X-API-Key": key}
                )
            ).status_code
            for n, key in enumerate([first, first, first, second, second, second])
        ]
    assert codes == [201, 201, 429, 201, 201, 429]


async def test_a_write_through_the_settings_key_is_admin(settings: Settings) -> None:
    async with _catalog(settings, api_key="s3cret") as app, asgi_client(app) as client:
        access = await client.get("/api/access", headers={"X-API-Key": "s3cret"})
        assert access.json()["key"] == "CATALOG_API_KEY"
        assert access.json()["scopes"] == ["read", "write", "describe", "admin"]
        created = await client.post(
            "/api/products", json=product_body(), headers={"X-API-Key": "s3cret"}
        )
        assert created.status_code == 201
