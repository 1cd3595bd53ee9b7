"""LangChain providers through the real vendor SDKs, against fake vendor APIs on 127.0.0.1."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol

import pytest
from langchain_anthropic import ChatAnthropic
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_google_genai import ChatGoogleGenerativeAI
from langchain_openai import ChatOpenAI

from catalog_api.llm.base import ProductFacts, ProviderError
from catalog_api.llm.langchain_models import (
    FallbackChatModel,
    LangChainProvider,
    LLMFactory,
    langchain_provider,
)
from catalog_api.llm.prompt import build_prompt
from tests.fakes.anthropic_api import fake_anthropic
from tests.fakes.google_api import fake_google
from tests.fakes.openai_api import fake_openai

KEY = "sk-test-DO-NOT-LEAK-7c1e"
PROMPT = build_prompt(
    ProductFacts(title="Oak desk", category="furniture", description="Solid oak, 120 cm wide.")
)
MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5", "google": "gemini-2.5-flash"}
PROVIDERS = list(MODELS)
_VENDOR_ENV_PREFIXES = ("OPENAI_", "ANTHROPIC_", "GOOGLE_", "GEMINI_", "LANGSMITH_", "LANGCHAIN_")


class Fake(Protocol):
    """What the tests use of a running fake vendor API."""

    base_url: str
    reply: str

    @property
    def requests(self) -> list[Any]:
        """The requests received so far."""
        ...


FAKES: dict[str, Callable[..., AbstractContextManager[Any]]] = {
    "openai": fake_openai,
    "anthropic": fake_anthropic,
    "google": fake_google,
}


@pytest.fixture(autouse=True)
def _hermetic_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's vendor keys, base URLs, gateways and proxies out of the tests."""
    for name in list(os.environ):
        if name.startswith(_VENDOR_ENV_PREFIXES) or name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)


@pytest.fixture
def fake(request: pytest.FixtureRequest) -> Iterator[Fake]:
    """Serve the fake of the parametrized provider in the parametrized mode."""
    name, mode = request.param
    with FAKES[name](mode) as served:
        yield served


def cases(mode: str) -> list[Any]:
    """Parametrize (provider, fake) over the three vendors for one fake mode."""
    return [pytest.param(name, (name, mode), id=name) for name in PROVIDERS]


def provider_for(name: str, fake: Fake, timeout: float = 5.0) -> LangChainProvider:
    """The provider under test, as the app builds it."""
    return langchain_provider(
        name, api_key=KEY, model=MODELS[name], base_url=fake.base_url, timeout=timeout
    )


def system_and_user(name: str, body: dict[str, Any]) -> tuple[str, str]:
    """Pull the system and user text out of a request body in the vendor's format."""
    if name == "openai":
        roles = {message["role"]: message["content"] for message in body["messages"]}
        return roles["system"], roles["user"]
    if name == "anthropic":
        system = body["system"]
        if isinstance(system, list):
            system = "".join(block["text"] for block in system)
        (message,) = body["messages"]
        assert message["role"] == "user"
        return system, message["content"]
    system = "".join(part["text"] for part in body["systemInstruction"]["parts"])
    (content,) = body["contents"]
    assert content["role"] == "user"
    return system, "".join(part["text"] for part in content["parts"])


def sent_key(name: str, headers: dict[str, str]) -> str:
    """The credential a request carried, wherever the vendor's SDK puts it."""
    if name == "google":
        return headers["x-goog-api-key"]
    return headers.get("x-api-key") or headers["authorization"].removeprefix("Bearer ")


def assert_no_secret(error: BaseException, caplog: pytest.LogCaptureFixture) -> None:
    """The error, anything chained to it and our log lines never show the key."""
    current: BaseException | None = error
    while current is not None:
        assert KEY not in str(current)
        assert KEY not in repr(current)
        current = current.__cause__ or current.__context__
    assert KEY not in caplog.text


@pytest.fixture
def caplog_debug(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Capture this module's own log lines at every level."""
    caplog.set_level(logging.DEBUG, logger="catalog_api.llm.langchain_models")
    return caplog


@pytest.mark.parametrize(("name", "fake"), cases("ok"), indirect=["fake"])
async def test_success_returns_text_and_sends_both_messages(name: str, fake: Fake) -> None:
    provider = provider_for(name, fake)

    assert provider.available()
    assert await provider.generate(PROMPT) == fake.reply

    (request,) = fake.requests
    assert system_and_user(name, request.body) == (PROMPT.system, PROMPT.user)
    assert sent_key(name, request.headers) == KEY
    assert MODELS[name] in (request.path if name == "google" else request.body["model"])


@pytest.mark.parametrize(("name", "fake"), cases("500"), indirect=["fake"])
async def test_server_error_is_http_500(
    name: str, fake: Fake, caplog_debug: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ProviderError) as caught:
        await provider_for(name, fake).generate(PROMPT)

    assert str(caught.value) == "HTTP 500"
    assert len(fake.requests) == 1
    assert_no_secret(caught.value, caplog_debug)


@pytest.mark.parametrize(("name", "fake"), cases("429"), indirect=["fake"])
async def test_rate_limit_is_http_429_and_not_retried(
    name: str, fake: Fake, caplog_debug: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ProviderError) as caught:
        await provider_for(name, fake).generate(PROMPT)

    assert str(caught.value) == "HTTP 429 (rate limited)"
    assert len(fake.requests) == 1, "the SDK retried; only the copy chain may retry"
    assert_no_secret(caught.value, caplog_debug)


@pytest.mark.parametrize(("name", "fake"), cases("hang"), indirect=["fake"])
async def test_hang_times_out_through_the_sdk_timeout(
    name: str, fake: Fake, caplog_debug: pytest.LogCaptureFixture
) -> None:
    # No provider-level deadline here: only the timeout handed to the SDK can stop the call.
    model = LLMFactory.create(name, MODELS[name], api_key=KEY, base_url=fake.base_url, timeout=0.5)
    provider = LangChainProvider(name=name, chat_model=model, available=True)

    started = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        await provider.generate(PROMPT)
    elapsed = time.monotonic() - started

    assert str(caught.value) == "timeout"
    assert elapsed < 2.0
    assert len(fake.requests) == 1
    assert_no_secret(caught.value, caplog_debug)


@pytest.mark.parametrize(("name", "fake"), cases("hang"), indirect=["fake"])
async def test_hang_times_out_through_the_provider_deadline(name: str, fake: Fake) -> None:
    started = time.monotonic()
    with pytest.raises(ProviderError, match=r"^timeout$"):
        await provider_for(name, fake, timeout=0.5).generate(PROMPT)
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(("name", "fake"), cases("malformed"), indirect=["fake"])
async def test_malformed_body_is_a_provider_error(
    name: str, fake: Fake, caplog_debug: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ProviderError) as caught:
        await provider_for(name, fake).generate(PROMPT)

    assert str(caught.value) == "malformed response"
    assert_no_secret(caught.value, caplog_debug)


@pytest.mark.parametrize("name", PROVIDERS)
async def test_empty_reply_is_a_provider_error(name: str) -> None:
    with (
        FAKES[name]("ok", reply="  ") as fake,
        pytest.raises(ProviderError, match=r"^empty reply$"),
    ):
        await provider_for(name, fake).generate(PROMPT)


@pytest.mark.parametrize("name", PROVIDERS)
async def test_no_key_means_unavailable_and_nothing_built(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[str] = []

    def recording_create(provider: str, model: str, **kwargs: Any) -> BaseChatModel:
        built.append(provider)
        raise AssertionError("a client was built without a key")

    monkeypatch.setattr(LLMFactory, "create", staticmethod(recording_create))
    with FAKES[name]("ok") as fake:
        provider = langchain_provider(
            name, api_key=None, model=MODELS[name], base_url=fake.base_url, timeout=1.0
        )
        assert not provider.available()
        with pytest.raises(ProviderError) as caught:
            await provider.generate(PROMPT)

    assert "no API key" in str(caught.value)
    assert built == []
    assert fake.requests == []


async def test_reply_given_as_content_blocks_is_joined() -> None:
    blocks: list[str | dict[str, Any]] = [
        {"type": "text", "text": '{"description": "A", '},
        {"type": "reasoning", "reasoning": "not part of the reply"},
        {"type": "text", "text": '"keywords": []}'},
    ]
    model = FakeMessagesListChatModel(responses=[AIMessage(content=blocks)])
    provider = LangChainProvider(name="fake", chat_model=model, available=True)

    assert await provider.generate(PROMPT) == '{"description": "A", "keywords": []}'


async def test_chat_model_factory_is_called_once() -> None:
    calls: list[int] = []

    def build() -> BaseChatModel:
        calls.append(1)
        return FakeMessagesListChatModel(responses=[AIMessage(content="one")])

    provider = LangChainProvider(name="fake", chat_model=build, available=True)
    assert calls == []
    assert await provider.generate(PROMPT) == "one"
    assert await provider.generate(PROMPT) == "one"
    assert calls == [1]


def test_factory_builds_openai_with_retries_off() -> None:
    model = LLMFactory.create(
        "openai", "gpt-4o-mini", api_key=KEY, base_url="http://127.0.0.1:9/v1", timeout=7
    )

    assert isinstance(model, ChatOpenAI)
    assert model.model_name == "gpt-4o-mini"
    assert model.max_retries == 0
    assert model.request_timeout == 7.0
    assert model.openai_api_base == "http://127.0.0.1:9/v1"
    assert model.root_async_client is not None
    assert model.root_async_client.max_retries == 0


def test_factory_builds_anthropic_with_retries_off() -> None:
    model = LLMFactory.create(
        "anthropic", "claude-haiku-4-5", api_key=KEY, base_url="http://127.0.0.1:9", timeout=7
    )

    assert isinstance(model, ChatAnthropic)
    assert model.model == "claude-haiku-4-5"
    assert model.max_retries == 0
    assert model.default_request_timeout == 7.0
    assert model.anthropic_api_url == "http://127.0.0.1:9"


def test_factory_builds_google_with_one_attempt() -> None:
    model = LLMFactory.create(
        "google", "gemini-2.5-flash", api_key=KEY, base_url="http://127.0.0.1:9", timeout=7
    )

    assert isinstance(model, ChatGoogleGenerativeAI)
    assert model.model == "gemini-2.5-flash"
    assert model.max_retries == 1  # one attempt: google-genai reads 0 as "the default, 5"
    assert model.timeout == 7.0
    assert model.base_url == "http://127.0.0.1:9"


def test_factory_forces_retries_off_over_caller_kwargs() -> None:
    model = LLMFactory.create("openai", "gpt-4o-mini", api_key=KEY, max_retries=5)
    assert isinstance(model, ChatOpenAI)
    assert model.max_retries == 0


def test_factory_rejects_unknown_provider() -> None:
    with pytest.raises(ValueError, match=r"'mistral'.*openai, anthropic, google"):
        LLMFactory.create("mistral", "m", api_key=KEY)


async def test_fallback_answers_when_primary_fails_async() -> None:
    with fake_openai("500") as primary, fake_anthropic("ok") as fallback:
        model = fallback_model(primary.base_url, fallback.base_url)
        reply = await model.ainvoke([SystemMessage(PROMPT.system), HumanMessage(PROMPT.user)])

    assert reply.text == fallback.reply
    assert len(primary.requests) == 1
    (request,) = fallback.requests
    assert sent_key("anthropic", request.headers) == "sk-fallback"


def test_fallback_answers_when_primary_fails_sync() -> None:
    with fake_openai("500") as primary, fake_anthropic("ok") as fallback:
        model = fallback_model(primary.base_url, fallback.base_url)
        reply = model.invoke([SystemMessage(PROMPT.system), HumanMessage(PROMPT.user)])

    assert reply.text == fallback.reply
    assert len(primary.requests) == 1
    assert len(fallback.requests) == 1


async def test_fallback_is_not_asked_when_primary_answers() -> None:
    with fake_openai("ok") as primary, fake_anthropic("ok") as fallback:
        model = fallback_model(primary.base_url, fallback.base_url)
        reply = await model.ainvoke(PROMPT.user)

    assert reply.text == primary.reply
    assert fallback.requests == []


async def test_fallback_behind_a_provider_reports_the_fallbacks_failure(
    caplog_debug: pytest.LogCaptureFixture,
) -> None:
    with fake_openai("500") as primary, fake_anthropic("429") as fallback:
        model = fallback_model(primary.base_url, fallback.base_url)
        provider = LangChainProvider(name="openai+anthropic", chat_model=model, available=True)
        with pytest.raises(ProviderError) as caught:
            await provider.generate(PROMPT)

    assert str(caught.value) == "HTTP 429 (rate limited)"
    assert_no_secret(caught.value, caplog_debug)
    assert "primary openai-chat model failed (HTTP 500)" in caplog_debug.text


async def test_fallback_on_the_same_vendor_shares_the_key() -> None:
    with fake_openai("500") as primary, fake_openai("ok") as fallback:
        model = LLMFactory.create_with_fallback(
            "openai",
            "openai",
            "gpt-4o",
            fallback_model="gpt-4o-mini",
            fallback_kwargs={"base_url": fallback.base_url},
            api_key=KEY,
            base_url=primary.base_url,
            timeout=5,
        )
        reply = await model.ainvoke(PROMPT.user)

    assert reply.text == fallback.reply
    (request,) = fallback.requests
    assert request.body["model"] == "gpt-4o-mini"
    assert sent_key("openai", request.headers) == KEY


def fallback_model(primary_url: str, fallback_url: str) -> FallbackChatModel:
    """OpenAI first, Anthropic second, each with its own key and fake."""
    model = LLMFactory.create_with_fallback(
        "openai",
        "anthropic",
        MODELS["openai"],
        fallback_model=MODELS["anthropic"],
        fallback_kwargs={"api_key": "sk-fallback", "base_url": fallback_url},
        api_key="sk-primary",
        base_url=primary_url,
        timeout=5,
    )
    assert isinstance(model.primary, ChatOpenAI)
    assert isinstance(model.fallback, ChatAnthropic)
    return model


@pytest.mark.parametrize("name", PROVIDERS)
async def test_aclose_after_use_and_before_use(name: str) -> None:
    with FAKES[name]("ok") as fake:
        used = provider_for(name, fake)
        await used.generate(PROMPT)
        await used.aclose()
        await provider_for(name, fake).aclose()

    assert len(fake.requests) == 1


class ClosableFakeModel(FakeMessagesListChatModel):
    """A fake chat model that records being closed."""

    closed: bool = False

    async def aclose(self) -> None:
        """Record the call."""
        self.closed = True


async def test_provider_aclose_closes_both_models_of_a_fallback() -> None:
    primary = ClosableFakeModel(responses=[AIMessage(content="primary")])
    fallback = ClosableFakeModel(responses=[AIMessage(content="fallback")])
    model = FallbackChatModel(primary=primary, fallback=fallback)
    provider = LangChainProvider(name="fake", chat_model=model, available=True)

    assert await provider.generate(PROMPT) == "primary"
    await provider.aclose()

    assert primary.closed
    assert fallback.closed
