"""The chain as configured by settings, through the vendors' real SDKs and local fake servers."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from catalog_api.config import Settings
from catalog_api.llm.base import ProductFacts
from catalog_api.llm.factory import build_chain
from tests.fakes.anthropic_api import fake_anthropic
from tests.fakes.bedrock import FakeBedrock
from tests.fakes.gemini import fake_gemini
from tests.fakes.google_api import fake_google
from tests.fakes.openai_api import fake_openai

FACTS = ProductFacts(title="Granite Mortar and Pestle", category="kitchen", tags=("spices",))
GEMINI_KEY = "gemini-test-key-7731"
AWS_SECRET = "aws-secret-test-9914"


@pytest.fixture(autouse=True)
def _no_aws_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


def settings(chain: str, *, deadline: float = 2.0, **extra: object) -> Settings:
    """Settings with vendor keys and the named chain."""
    return Settings(
        llm_chain=chain,  # type: ignore[arg-type]
        llm_timeout=deadline,
        gemini_api_key=GEMINI_KEY,  # type: ignore[arg-type]
        openai_api_key="openai-test-key",  # type: ignore[arg-type]
        anthropic_api_key="anthropic-test-key",  # type: ignore[arg-type]
        google_api_key="google-test-key",  # type: ignore[arg-type]
        aws_access_key_id="AKIATESTTESTTEST",
        aws_secret_access_key=AWS_SECRET,  # type: ignore[arg-type]
        **extra,  # type: ignore[arg-type]
    )


async def test_gemini_answers_through_the_real_sdk() -> None:
    with fake_gemini("ok") as url:
        chain = build_chain(settings("gemini", gemini_base_url=url))
        result = await chain.generate(FACTS)
        await chain.aclose()
    assert result.provider == "gemini"
    assert 5 <= len(result.copy.keywords) <= 10


async def test_a_hanging_first_provider_gives_way_within_the_deadline() -> None:
    fake = FakeBedrock(mode="ok", parts=[json.dumps({
        "description": "A heavy granite mortar that grinds spices to powder.",
        "keywords": ["mortar and pestle", "granite mortar", "spice grinder", "kitchen", "spices"],
    })])  # fmt: skip
    with fake_gemini("hang") as gemini_url, fake.serve() as bedrock_url:
        chain = build_chain(
            settings(
                "gemini,bedrock",
                deadline=0.5,
                gemini_base_url=gemini_url,
                bedrock_endpoint_url=bedrock_url,
            )
        )
        started = time.monotonic()
        result = await chain.generate(FACTS)
        elapsed = time.monotonic() - started
        await chain.aclose()
    assert result.provider == "bedrock"
    assert [a.provider for a in result.failed] == ["gemini"]
    assert elapsed < 0.5 + 1.0, elapsed


async def test_every_remote_failing_leaves_the_answer_to_offline() -> None:
    with fake_gemini("500") as gemini_url, FakeBedrock(mode="429").serve() as bedrock_url:
        chain = build_chain(
            settings("gemini,bedrock", gemini_base_url=gemini_url, bedrock_endpoint_url=bedrock_url)
        )
        result = await chain.generate(FACTS)
        await chain.aclose()
    assert result.provider == "offline"
    reasons = {a.provider: a.reason for a in result.failed}
    assert reasons == {"gemini": "HTTP 500", "bedrock": "HTTP 429 (throttled)"}
    for reason in reasons.values():
        assert GEMINI_KEY not in reason
        assert AWS_SECRET not in reason


async def test_a_refused_gemini_connection_is_a_mapped_failure_not_a_crash(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with fake_gemini("ok") as gemini_url, fake_google("ok") as google:
        pass  # both ports are free again once the fakes have shut down
    chain = build_chain(
        settings("gemini,google", gemini_base_url=gemini_url, google_base_url=google.base_url)
    )
    result = await chain.generate(FACTS)
    await chain.aclose()
    assert result.provider == "offline"
    reasons = {a.provider: a.reason for a in result.failed}
    assert reasons == {"gemini": "connection failed", "google": "connection failed"}
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_malformed_replies_count_as_failures() -> None:
    with fake_gemini("malformed") as url:
        chain = build_chain(settings("gemini", gemini_base_url=url))
        result = await chain.generate(FACTS)
        await chain.aclose()
    assert result.provider == "offline"
    assert result.failed[0].reason.startswith("malformed response")


async def test_the_langchain_providers_fail_over_to_offline() -> None:
    with (
        fake_openai("500") as openai,
        fake_anthropic("429") as anthropic,
        fake_google("hang") as google,
    ):
        chain = build_chain(
            settings(
                "openai,anthropic,google",
                deadline=0.5,
                openai_base_url=openai.base_url,
                anthropic_base_url=anthropic.base_url,
                google_base_url=google.base_url,
            )
        )
        started = time.monotonic()
        result = await chain.generate(FACTS)
        elapsed = time.monotonic() - started
        await chain.aclose()
    assert result.provider == "offline"
    reasons = {a.provider: a.reason for a in result.failed}
    assert reasons["openai"] == "HTTP 500"
    assert reasons["anthropic"] == "HTTP 429 (rate limited)"
    assert reasons["google"] in {"timeout", "no answer within 0.5 s"}
    assert elapsed < 0.5 + 1.5
    assert len(openai.requests) == len(anthropic.requests) == 1


async def test_anthropic_through_langchain_answers() -> None:
    with fake_anthropic("ok") as anthropic:
        chain = build_chain(settings("anthropic", anthropic_base_url=anthropic.base_url))
        result = await chain.generate(FACTS)
        await chain.aclose()
    assert result.provider == "anthropic"
