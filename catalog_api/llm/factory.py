"""Build the copy chain from settings; vendor SDKs are imported only when named."""

from __future__ import annotations

import importlib.util
import logging

from catalog_api.config import Settings
from catalog_api.llm.base import Prompt, Provider, ProviderError
from catalog_api.llm.chain import CopyChain
from catalog_api.llm.offline import OfflineProvider

logger = logging.getLogger(__name__)


class MissingExtraProvider:
    """Stands in for a provider whose optional SDK is not installed."""

    def __init__(self, name: str, extra: str) -> None:
        self.name = name
        self.unavailable_reason = f"not installed (pip install 'catalog-mcp[{extra}]')"

    def available(self) -> bool:
        """Never."""
        return False

    async def generate(self, prompt: Prompt) -> str:
        """Never called."""
        raise ProviderError(self.unavailable_reason)


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _secret(value: object) -> str | None:
    getter = getattr(value, "get_secret_value", None)
    return getter() if getter is not None else None


def build_provider(name: str, settings: Settings) -> Provider:
    """Create one provider by name."""
    timeout = settings.llm_timeout
    if name == "offline":
        return OfflineProvider()
    if name == "gemini":
        from catalog_api.llm.gemini import GeminiProvider

        return GeminiProvider(
            api_key=_secret(settings.gemini_api_key),
            model=settings.gemini_model,
            base_url=settings.gemini_base_url,
            timeout=timeout,
        )
    if name in {"openai", "anthropic", "google"}:
        if not _installed("langchain_core"):
            return MissingExtraProvider(name, "langchain")
        from catalog_api.llm.langchain_models import langchain_provider

        key = {
            "openai": settings.openai_api_key,
            "anthropic": settings.anthropic_api_key,
            "google": settings.google_api_key,
        }[name]
        model = {
            "openai": settings.openai_model,
            "anthropic": settings.anthropic_model,
            "google": settings.google_model,
        }[name]
        base_url = {
            "openai": settings.openai_base_url,
            "anthropic": settings.anthropic_base_url,
            "google": settings.google_base_url,
        }[name]
        return langchain_provider(
            name, api_key=_secret(key), model=model, base_url=base_url, timeout=timeout
        )
    if name == "bedrock":
        if not _installed("boto3"):
            return MissingExtraProvider(name, "bedrock")
        from catalog_api.llm.bedrock import BedrockProvider

        return BedrockProvider.from_settings(settings)
    raise ValueError(f"unknown copy provider {name!r}")


def build_chain(settings: Settings) -> CopyChain:
    """Create the chain named by CATALOG_LLM_CHAIN."""
    providers = [build_provider(name, settings) for name in settings.llm_chain]
    logger.info("copy providers: %s", ", ".join(p.name for p in providers))
    return CopyChain(
        providers,
        deadline=settings.llm_timeout,
        breaker_threshold=settings.llm_breaker_failures,
        breaker_cooldown=settings.llm_breaker_cooldown,
    )
