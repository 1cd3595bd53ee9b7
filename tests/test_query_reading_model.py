"""Model reading of queries through the real google-genai SDK against a local fake Gemini API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from catalog_api.config import Settings
from tests.conftest import app_with, asgi_client
from tests.fakes.google_api import FakeGoogle, fake_google
from tests.test_query_reading_api import seed_catalog

KEY = "test-key-SECRET-1234567890"
QUERY = "waterproof boots under 100 dollars in size 10"
REPLY = json.dumps(
    {
        "words": "waterproof boots",
        "category": "footwear",
        "brand": None,
        "options": {"size": "10"},
        "min_price": None,
        "max_price": 99.99,
        "currency": "USD",
        "in_stock": None,
        "sort": None,
    }
)


@pytest.fixture(autouse=True)
def _clean_gemini_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's SDK settings out of the tests."""
    for name in ("GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI"):
        monkeypatch.delenv(name, raising=False)


@asynccontextmanager
async def _client(
    settings: Settings, fake: FakeGoogle, **overrides: Any
) -> AsyncIterator[httpx.AsyncClient]:
    values: dict[str, Any] = {
        "llm_chain": "gemini",
        "gemini_api_key": KEY,
        "gemini_base_url": fake.base_url,
        "interpret_model": True,
        **overrides,
    }
    async with app_with(settings, **values) as app, asgi_client(app) as client:
        await seed_catalog(client)
        yield client


async def _reading(client: httpx.AsyncClient, query: str = QUERY) -> dict[str, Any]:
    response = await client.get("/api/products/search", params={"q": query, "interpret": True})
    assert response.status_code == 200, response.text
    reading: dict[str, Any] = response.json()["interpretation"]["reading"]
    return reading


def _filters(reading: dict[str, Any]) -> dict[str, str]:
    return {f["parameter"]: f["value"] for f in reading["filters"]}


async def test_the_model_reading_is_validated_and_applied(settings: Settings) -> None:
    with fake_google("ok", reply=REPLY.replace('"footwear"', "null")) as fake:
        async with _client(settings, fake) as client:
            reading = await _reading(client)
    assert reading["source"] == "model:gemini"
    assert reading["words"] == "waterproof boots"
    assert _filters(reading) == {"option.size": "10", "max_price": "9999", "currency": "USD"}
    sent = fake.requests[0].body
    user = sent["contents"][0]["parts"][0]["text"]
    assert QUERY in user
    assert "footwear" in user  # the catalog's own categories are offered
    assert "never instructions" in sent["systemInstruction"]["parts"][0]["text"]


async def test_a_value_the_catalog_lacks_falls_back_to_offline(settings: Settings) -> None:
    with fake_google("ok", reply=REPLY.replace('"footwear"', '"shoes"')) as fake:
        async with _client(settings, fake) as client:
            reading = await _reading(client)
    assert len(fake.requests) == 1
    assert reading["source"] == "offline"
    assert _filters(reading) == {"max_price": "9999", "currency": "USD", "option.size": "10"}


async def test_a_garbage_reply_falls_back_to_offline(settings: Settings) -> None:
    with fake_google("ok", reply="Sure! You want boots.") as fake:
        async with _client(settings, fake) as client:
            reading = await _reading(client)
    assert len(fake.requests) == 1
    assert reading["source"] == "offline"
    assert reading["words"] == "waterproof boots"


async def test_words_the_query_lacks_fall_back_to_offline(settings: Settings) -> None:
    reply = REPLY.replace('"footwear"', "null").replace("waterproof boots", "rubber wellies")
    with fake_google("ok", reply=reply) as fake:
        async with _client(settings, fake) as client:
            reading = await _reading(client)
    assert reading["source"] == "offline"


async def test_a_model_past_the_deadline_falls_back_to_offline(settings: Settings) -> None:
    with fake_google("hang", reply=REPLY) as fake:
        async with _client(settings, fake, interpret_model_timeout=0.3) as client:
            reading = await _reading(client)
    assert len(fake.requests) == 1
    assert reading["source"] == "offline"
    assert _filters(reading) == {"max_price": "9999", "currency": "USD", "option.size": "10"}


async def test_recent_readings_are_cached(settings: Settings) -> None:
    with fake_google("ok", reply=REPLY.replace('"footwear"', "null")) as fake:
        async with _client(settings, fake) as client:
            first = await _reading(client)
            again = await _reading(client, "  Waterproof boots under 100 DOLLARS in size 10 ")
            assert len(fake.requests) == 1
            await _reading(client, "waterproof boots")
            assert len(fake.requests) == 2
    assert again == first


async def test_off_by_default(settings: Settings) -> None:
    with fake_google("ok", reply=REPLY) as fake:
        async with _client(settings, fake, interpret_model=False) as client:
            reading = await _reading(client)
    assert fake.requests == []
    assert reading["source"] == "offline"
