"""The fallback chain: try providers in order, each under a hard deadline and a breaker."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from catalog_api.llm.base import ProductCopy, ProductFacts, Provider, ProviderError
from catalog_api.llm.breaker import CircuitBreaker
from catalog_api.llm.output import parse_copy
from catalog_api.llm.prompt import build_prompt

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attempt:
    """A provider that failed or was skipped, with a short reason."""

    provider: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class CopyResult:
    """Validated copy, who wrote it, and who failed or was skipped before."""

    copy: ProductCopy
    provider: str
    failed: list[Attempt] = field(default_factory=list)
    skipped: list[Attempt] = field(default_factory=list)


class AllProvidersFailedError(Exception):
    """No provider produced valid copy (only possible when offline is not in the chain)."""

    def __init__(self, failed: list[Attempt], skipped: list[Attempt]) -> None:
        self.failed = failed
        self.skipped = skipped
        reasons = "; ".join(f"{a.provider}: {a.reason}" for a in [*failed, *skipped])
        super().__init__(f"every provider failed ({reasons})")


class CopyChain:
    """Ask providers in order; the first valid reply wins."""

    def __init__(
        self,
        providers: Sequence[Provider],
        *,
        deadline: float,
        breaker_threshold: int,
        breaker_cooldown: float,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.providers = list(providers)
        self.deadline = deadline
        extra = {"clock": clock} if clock is not None else {}
        self.breakers = {
            p.name: CircuitBreaker(threshold=breaker_threshold, cooldown=breaker_cooldown, **extra)
            for p in self.providers
        }

    async def aclose(self) -> None:
        """Close the providers that hold connections."""
        for provider in self.providers:
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()

    @property
    def names(self) -> list[str]:
        """Return the provider names in order."""
        return [p.name for p in self.providers]

    async def generate(self, facts: ProductFacts) -> CopyResult:
        """Return copy from the first provider that answers validly within the deadline."""
        prompt = build_prompt(facts)
        failed: list[Attempt] = []
        skipped: list[Attempt] = []
        for provider in self.providers:
            breaker = self.breakers[provider.name]
            if not provider.available():
                reason = getattr(provider, "unavailable_reason", "not configured (no credentials)")
                skipped.append(Attempt(provider.name, str(reason)))
                continue
            if not breaker.allows():
                wait = breaker.retry_in()
                skipped.append(Attempt(provider.name, f"circuit open, retry in {wait:.0f} s"))
                continue
            try:
                async with asyncio.timeout(self.deadline):
                    text = await provider.generate(prompt)
                copy = parse_copy(text)
            except TimeoutError:
                reason = f"no answer within {self.deadline:g} s"
            except ProviderError as error:
                reason = str(error)[:200]
            except Exception as error:  # a provider's bug must not stop the chain: log, move on
                logger.exception("copy provider %s crashed", provider.name)
                reason = f"unexpected error ({type(error).__name__})"
            else:
                breaker.record_success()
                return CopyResult(copy=copy, provider=provider.name, failed=failed, skipped=skipped)
            breaker.record_failure()
            logger.warning("copy provider %s failed: %s", provider.name, reason)
            failed.append(Attempt(provider.name, reason))
        raise AllProvidersFailedError(failed, skipped)
