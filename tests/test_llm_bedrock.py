"""Bedrock through real boto3 against a fake bedrock-runtime on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from catalog_api.config import Settings
from catalog_api.llm.base import Prompt, Provider, ProviderError
from catalog_api.llm.bedrock import BedrockClient, BedrockProvider
from tests.fakes.bedrock import FakeBedrock

ACCESS_KEY = "AKIAFAKEKEY000000001"
SECRET_KEY = "fake-secret-DO-NOT-LEAK-0123456789abcdef"
SESSION_TOKEN = "fake-session-token-DO-NOT-LEAK"
SECRETS = (SECRET_KEY, SESSION_TOKEN)
MODEL_ID = "anthropic.claude-sonnet-4-20250514-v1:0"
PROMPT = Prompt(system="You write product copy.", user="Describe <product_data>a red mug")

_AWS_ENV_TO_DROP = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_BEARER_TOKEN_BEDROCK",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
    "AWS_DEFAULTS_MODE",
    "AWS_CA_BUNDLE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


@pytest.fixture(autouse=True)
def _offline_aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Keep botocore away from the metadata service, real config files and proxies."""
    for name in _AWS_ENV_TO_DROP:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


@pytest.fixture
def fake() -> Iterator[FakeBedrock]:
    """A running fake bedrock-runtime."""
    server = FakeBedrock()
    with server.serve():
        yield server


@pytest.fixture
def make_client(fake: FakeBedrock) -> Iterator[Callable[..., BedrockClient]]:
    """Build clients with explicit fake credentials pointed at the fake; close them after."""
    made: list[BedrockClient] = []

    def make(**overrides: Any) -> BedrockClient:
        options: dict[str, Any] = {
            "model_id": MODEL_ID,
            "endpoint_url": fake.base_url,
            "access_key_id": ACCESS_KEY,
            "secret_access_key": SECRET_KEY,
            "session_token": SESSION_TOKEN,
            "connect_timeout": 1,
            "read_timeout": 2,
        }
        options.update(overrides)
        client = BedrockClient(**options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def _assert_no_secret(error: BaseException) -> None:
    """Neither the message nor the chained traceback may carry a credential."""
    rendered = "".join(traceback.format_exception(error))
    for secret in SECRETS:
        assert secret not in str(error)
        assert secret not in repr(error)
        assert secret not in rendered


async def _stream(client: BedrockClient) -> str:
    return await client.invoke_stream(PROMPT)


async def _guarded(client: BedrockClient) -> str:
    return await client.invoke_with_guardrails(PROMPT, "gr-abc123", "3")


CALLS = [pytest.param(_stream, id="stream"), pytest.param(_guarded, id="guardrail")]


async def test_stream_returns_concatenated_deltas(
    fake: FakeBedrock, make_client: Callable[..., BedrockClient]
) -> None:
    assert await make_client().invoke_stream(PROMPT, max_tokens=300) == "Hello, world!"

    [request] = fake.requests
    assert request.path == f"/model/{MODEL_ID}/invoke-with-response-stream"
    body = request.json()
    assert body["anthropic_version"] == "bedrock-2023-05-31"
    assert body["max_tokens"] == 300
    assert body["system"] == PROMPT.system
    assert body["messages"][0]["role"] == "user"
    assert PROMPT.user in request.body.decode()
    assert request.headers["Authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/")
    assert "X-Amzn-Bedrock-GuardrailIdentifier" not in request.headers


async def test_guardrail_invocation_sends_identifier_and_returns_text(
    fake: FakeBedrock, make_client: Callable[..., BedrockClient]
) -> None:
    assert await _guarded(make_client()) == "Hello, world!"

    [request] = fake.requests
    assert request.path == f"/model/{MODEL_ID}/invoke"
    assert request.headers["X-Amzn-Bedrock-GuardrailIdentifier"] == "gr-abc123"
    assert request.headers["X-Amzn-Bedrock-GuardrailVersion"] == "3"
    assert request.headers["X-Amzn-Bedrock-Trace"] == "DISABLED"
    assert request.json()["system"] == PROMPT.system
    assert PROMPT.user in request.body.decode()


@pytest.mark.parametrize("call", CALLS)
async def test_guardrail_intervention_is_blocked(
    call: Callable[[BedrockClient], Any],
    fake: FakeBedrock,
    make_client: Callable[..., BedrockClient],
) -> None:
    fake.mode = "guardrail"
    with pytest.raises(ProviderError, match=r"^blocked by guardrail$"):
        await call(make_client())


@pytest.mark.parametrize("call", CALLS)
async def test_server_error_is_http_500(
    call: Callable[[BedrockClient], Any],
    fake: FakeBedrock,
    make_client: Callable[..., BedrockClient],
) -> None:
    fake.mode = "500"
    with pytest.raises(ProviderError, match=r"^HTTP 500$") as caught:
        await call(make_client())
    assert len(fake.requests) == 1
    _assert_no_secret(caught.value)


@pytest.mark.parametrize("call", CALLS)
async def test_throttling_is_http_429_without_sdk_retries(
    call: Callable[[BedrockClient], Any],
    fake: FakeBedrock,
    make_client: Callable[..., BedrockClient],
) -> None:
    fake.mode = "429"
    with pytest.raises(ProviderError, match=r"^HTTP 429 \(throttled\)$") as caught:
        await call(make_client())
    assert len(fake.requests) == 1  # retries are off: one attempt reached the server
    _assert_no_secret(caught.value)


@pytest.mark.parametrize("call", CALLS)
async def test_hang_times_out_quickly(
    call: Callable[[BedrockClient], Any],
    fake: FakeBedrock,
    make_client: Callable[..., BedrockClient],
) -> None:
    fake.mode = "hang"
    started = time.monotonic()
    with pytest.raises(ProviderError, match=r"^timeout$") as caught:
        await call(make_client(read_timeout=0.5))
    assert time.monotonic() - started < 3
    assert len(fake.requests) == 1
    _assert_no_secret(caught.value)


@pytest.mark.parametrize("call", CALLS)
async def test_malformed_reply(
    call: Callable[[BedrockClient], Any],
    fake: FakeBedrock,
    make_client: Callable[..., BedrockClient],
) -> None:
    fake.mode = "malformed"
    with pytest.raises(ProviderError, match=r"^malformed response$") as caught:
        await call(make_client())
    _assert_no_secret(caught.value)


@pytest.mark.parametrize("call", CALLS)
async def test_empty_reply(
    call: Callable[[BedrockClient], Any],
    fake: FakeBedrock,
    make_client: Callable[..., BedrockClient],
) -> None:
    fake.mode = "empty"
    with pytest.raises(ProviderError, match=r"^empty reply$"):
        await call(make_client())


async def test_exception_inside_the_stream(
    fake: FakeBedrock, make_client: Callable[..., BedrockClient]
) -> None:
    fake.mode = "stream_error"
    with pytest.raises(ProviderError, match=r"^HTTP 429 \(throttled\)$") as caught:
        await make_client().invoke_stream(PROMPT)
    _assert_no_secret(caught.value)


async def test_connection_refused(make_client: Callable[..., BedrockClient]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(endpoint_url=f"http://127.0.0.1:{port}")
    with pytest.raises(ProviderError, match=r"^connection error$") as caught:
        await client.invoke_stream(PROMPT)
    _assert_no_secret(caught.value)


async def test_call_does_not_block_the_event_loop(
    fake: FakeBedrock, make_client: Callable[..., BedrockClient]
) -> None:
    fake.mode = "hang"
    client = make_client(read_timeout=0.8)
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            await asyncio.sleep(0.02)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    try:
        with pytest.raises(ProviderError, match="timeout"):
            await BedrockProvider(client).generate(PROMPT)
    finally:
        done.set()
        await ticking
    # ~40 ticks fit in 0.8 s; a blocked loop would manage almost none.
    assert ticks >= 15


async def test_provider_uses_guardrail_when_configured(
    fake: FakeBedrock, make_client: Callable[..., BedrockClient]
) -> None:
    provider: Provider = BedrockProvider(
        make_client(), guardrail_id="gr-xyz", guardrail_version="7"
    )
    assert provider.name == "bedrock"
    assert provider.available()
    assert await provider.generate(PROMPT) == "Hello, world!"
    [request] = fake.requests
    assert request.path.endswith("/invoke")
    assert request.headers["X-Amzn-Bedrock-GuardrailIdentifier"] == "gr-xyz"
    assert request.headers["X-Amzn-Bedrock-GuardrailVersion"] == "7"


async def test_provider_streams_without_guardrail(
    fake: FakeBedrock, make_client: Callable[..., BedrockClient]
) -> None:
    assert await BedrockProvider(make_client()).generate(PROMPT) == "Hello, world!"
    [request] = fake.requests
    assert request.path.endswith("/invoke-with-response-stream")


@pytest.mark.parametrize(
    ("access_key", "secret_key"),
    [(None, None), (ACCESS_KEY, None), (None, SECRET_KEY), ("", "")],
)
async def test_without_credentials_unavailable_and_no_request(
    access_key: str | None,
    secret_key: str | None,
    fake: FakeBedrock,
    make_client: Callable[..., BedrockClient],
) -> None:
    client = make_client(access_key_id=access_key, secret_access_key=secret_key)
    provider = BedrockProvider(client)
    assert not provider.available()
    with pytest.raises(ProviderError, match=r"^no credentials$"):
        await provider.generate(PROMPT)
    assert fake.requests == []


async def test_from_settings(fake: FakeBedrock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOG_BEDROCK_ENDPOINT_URL", fake.base_url)
    monkeypatch.setenv("CATALOG_BEDROCK_GUARDRAIL_ID", "gr-settings")
    assert not BedrockProvider.from_settings(Settings()).available()

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    provider = BedrockProvider.from_settings(Settings())
    try:
        assert provider.available()
        assert await provider.generate(PROMPT) == "Hello, world!"
    finally:
        provider.client.close()
    [request] = fake.requests
    assert request.headers["X-Amzn-Bedrock-GuardrailIdentifier"] == "gr-settings"
    assert request.headers["X-Amzn-Bedrock-GuardrailVersion"] == "DRAFT"


async def test_logs_carry_no_secret(
    fake: FakeBedrock,
    make_client: Callable[..., BedrockClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.mode = "429"
    caplog.set_level(logging.DEBUG, logger="catalog_api.llm.bedrock")
    with pytest.raises(ProviderError):
        await make_client().invoke_stream(PROMPT)
    assert "HTTP 429" in caplog.text
    for secret in SECRETS:
        assert secret not in caplog.text
