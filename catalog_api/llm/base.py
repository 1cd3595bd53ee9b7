"""The provider interface: product facts in, model text out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, kw_only=True)
class ProductFacts:
    """What a provider may know about a product."""

    title: str
    category: str
    description: str = ""
    tags: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()
    price: str | None = None
    currency: str | None = None


@dataclass(frozen=True, kw_only=True)
class Prompt:
    """A system instruction and a user message carrying the product as delimited data."""

    system: str
    user: str
    facts: ProductFacts | None = None


@dataclass(frozen=True, kw_only=True)
class ProductCopy:
    """Validated output: a description and 5-10 SEO keywords."""

    description: str
    keywords: list[str] = field(default_factory=list)


class ProviderError(Exception):
    """A provider failed; the message is a short reason that never contains a secret."""


class Provider(Protocol):
    """A source of product copy."""

    name: str

    def available(self) -> bool:
        """Tell whether the provider has what it needs (credentials) to be tried."""
        ...

    async def generate(self, prompt: Prompt) -> str:
        """Return the model's raw reply text; raise ProviderError on failure."""
        ...
