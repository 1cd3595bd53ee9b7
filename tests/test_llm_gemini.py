"""GeminiProvider through the real google-genai SDK against a local fake Gemini server."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from importlib.metadata import version

import pytest

from catalog_api.llm.base import ProductFacts, Prompt, ProviderError
from catalog_api.llm.gemini import GeminiProvider
from catalog_api.llm.prompt import build_prompt
from tests.fakes.gemini import COPY, fake_gemini
from tests.fakes.server import RecordedRequest

KEY = "test-key-SECRET-1234567890"
PROMPT = build_prompt(ProductFacts(title="Steel bottle", category="outdoor", tags=("hiking",)))
# The provider keeps the SDK's default API version: v1 from google-genai 3.0, v1beta before.
API_VERSION = "v1" if int(version("google-genai").split(".")[0]) >= 3 else "v1beta"

ProviderFactory = Callable[..., AbstractAsyncContextManager[GeminiProvider]]


@pytest.fixture(autouse=True)
def _clean_gemini_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's SDK settings (keys, base URL, backend) out of the tests."""
    for name in (
        "GOOGLE_API_KEY",
        "GEMINI_API_KEY",
        "GOOGLE_GEMINI_BASE_URL",
        "GOOGLE_VERTEX_BASE_URL",
        "GOOGLE_GENAI_USE_VERTEXAI",
        "GOOGLE_GENAI_USE_ENTERPRISE",
        "GOOGLE_GENAI_HTTP_CLIENT",
        "GOOGLE_GENAI_API_VERSION",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def provider() -> ProviderFactory:
    """Open a provider on a base URL and close its connections afterwards."""

    @asynccontextmanager
    async def open_provider(
        base_url: str, *, seconds: float = 5.0
    ) -> AsyncIterator[GeminiProvider]:
        gemini = GeminiProvider(api_key=KEY, base_url=base_url, timeout=seconds)
        try:
            yield gemini
        finally:
            await gemini.aclose()

    return open_provider


async def _fail(provider: ProviderFactory, mode: str, **kwargs: float) -> tuple[str, int]:
    """Run one failing generate against the fake; return the reason and request count."""
    record: list[RecordedRequest] = []
    with fake_gemini(mode, record=record) as url:
        async with provider(url, **kwargs) as gemini:
            with pytest.raises(ProviderError) as caught:
                await gemini.generate(PROMPT)
    reason = str(caught.value)
    assert KEY not in reason
    return reason, len(record)


async def test_success_returns_model_text_and_sends_the_prompt(provider: ProviderFactory) -> None:
    record: list[RecordedRequest] = []
    with fake_gemini("ok", record=record) as url:
        async with provider(url) as gemini:
            text = await gemini.generate(PROMPT)
    assert json.loads(text) == COPY
    assert len(record) == 1
    sent = record[0]
    assert sent.method == "POST"
    assert sent.path == f"/{API_VERSION}/models/gemini-2.5-flash:generateContent"
    assert sent.headers["x-goog-api-key"] == KEY
    assert KEY not in sent.path
    body = sent.body
    assert body["systemInstruction"]["parts"][0]["text"] == PROMPT.system
    assert body["contents"][0]["parts"][0]["text"] == PROMPT.user
    assert body["contents"][0]["role"] == "user"
    config = body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["temperature"] == 0.4
    assert config["maxOutputTokens"] > 0


async def test_custom_model_is_used_in_the_path() -> None:
    record: list[RecordedRequest] = []
    with fake_gemini("ok", record=record) as url:
        gemini = GeminiProvider(api_key=KEY, base_url=url, model="gemini-2.5-flash-lite")
        try:
            await gemini.generate(Prompt(system="s", user="u"))
        finally:
            await gemini.aclose()
    assert record[0].path == f"/{API_VERSION}/models/gemini-2.5-flash-lite:generateContent"


async def test_server_error_is_reported_by_status(provider: ProviderFactory) -> None:
    reason, requests = await _fail(provider, "500")
    assert reason == "HTTP 500"
    assert requests == 1


async def test_rate_limit_is_reported_and_not_retried(provider: ProviderFactory) -> None:
    reason, requests = await _fail(provider, "429")
    assert reason == "HTTP 429 (rate limited)"
    assert requests == 1  # the SDK's own retries (5 attempts by default) are off


async def test_hanging_server_times_out_quickly(provider: ProviderFactory) -> None:
    started = time.monotonic()
    reason, requests = await _fail(provider, "hang", seconds=0.5)
    elapsed = time.monotonic() - started
    assert reason == "timeout"
    assert requests == 1
    assert elapsed < 3.0


async def test_malformed_response_is_a_provider_error(provider: ProviderFactory) -> None:
    reason, _ = await _fail(provider, "malformed")
    assert reason.startswith("malformed response")


async def test_blocked_prompt_names_the_reason(provider: ProviderFactory) -> None:
    reason, _ = await _fail(provider, "blocked")
    assert reason == "blocked: SAFETY"


async def test_empty_reply_is_a_provider_error(provider: ProviderFactory) -> None:
    reason, _ = await _fail(provider, "empty")
    assert reason == "empty reply"


async def test_truncated_reply_is_a_provider_error(provider: ProviderFactory) -> None:
    reason, _ = await _fail(provider, "truncated")
    assert reason == "truncated (MAX_TOKENS)"


async def test_api_version_can_be_chosen_by_the_sdk_environment_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOOGLE_GENAI_API_VERSION", "v1beta")  # needed for *-latest aliases
    record: list[RecordedRequest] = []
    with fake_gemini("ok", record=record) as url:
        gemini = GeminiProvider(api_key=KEY, base_url=url)
        try:
            await gemini.generate(PROMPT)
        finally:
            await gemini.aclose()
    assert record[0].path == "/v1beta/models/gemini-2.5-flash:generateContent"


@pytest.mark.parametrize("http_client", ["", "httpx", "httpx2"])
async def test_refused_connection_is_a_connection_failure(
    provider: ProviderFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    http_client: str,
) -> None:
    """Each HTTP library google-genai can send with (3.x default: httpx2) maps its own errors."""
    monkeypatch.setenv("GOOGLE_GENAI_HTTP_CLIENT", http_client)
    with fake_gemini("ok") as url:
        pass  # the port is free again once the fake has shut down
    started = time.monotonic()
    async with provider(url, seconds=2.0) as gemini:
        with pytest.raises(ProviderError) as caught:
            await gemini.generate(PROMPT)
    assert str(caught.value) == "connection failed"
    assert KEY not in str(caught.value)
    assert time.monotonic() - started < 2.0  # one attempt, no SDK retries
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_no_key_means_unavailable() -> None:
    for key in (None, ""):
        gemini = GeminiProvider(api_key=key)
        assert gemini.name == "gemini"
        assert gemini.available() is False
        with pytest.raises(ProviderError, match="no api key"):
            await gemini.generate(PROMPT)
        await gemini.aclose()


def test_key_means_available() -> None:
    assert GeminiProvider(api_key=KEY).available() is True
