"""The offline provider: deterministic copy from the product's own fields, no network."""

from __future__ import annotations

import json

from catalog_api.llm.base import ProductFacts, Prompt, ProviderError

# Appended last so that even a product with one-character fields gets the 5 keywords required.
GENERIC_KEYWORDS = ("online shopping", "best deals", "new arrivals", "top rated", "gift ideas")


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _first_sentence(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    end = text.find(". ")
    sentence = text if end < 0 else text[: end + 1]
    return sentence[:limit].rstrip()


def offline_copy(facts: ProductFacts) -> dict[str, object]:
    """Compose a description and keywords from title, category, tags and attributes."""
    title = " ".join(facts.title.split())
    category = facts.category.strip().lower()
    noun = title.split()[-1].lower() if title.split() else category
    sentences = [f"The {title} is part of our {category} range."]
    if facts.description.strip():
        sentences.append(_first_sentence(facts.description))
    details = [f"{key}: {value}" for key, value in facts.attributes[:4] if value.strip()]
    if details:
        sentences.append(f"Key details: {'; '.join(details)}.")
    tags = [t for t in facts.tags if t.strip()][:4]
    if tags:
        sentences.append(f"A good choice for anyone interested in {_join(tags)}.")
    description = " ".join(sentences)
    if len(description) < 40:
        description += f" Browse more {category} products in the catalog."
    candidates = [
        title.lower(),
        category,
        f"{category} {noun}" if noun != category else f"best {category}",
        *tags,
        *(f"{value.lower()} {noun}" for _, value in facts.attributes[:3] if value.strip()),
        f"buy {noun} online",
        f"best {noun}",
        f"{category} deals",
        f"{noun} gift ideas",
        *GENERIC_KEYWORDS,
    ]
    return {"description": description, "keywords": candidates}


class OfflineProvider:
    """Always available; the last link of every chain."""

    name = "offline"

    def available(self) -> bool:
        """Need nothing."""
        return True

    async def generate(self, prompt: Prompt) -> str:
        """Return deterministic copy as JSON text."""
        if prompt.facts is None:
            raise ProviderError("no product facts")
        return json.dumps(offline_copy(prompt.facts), ensure_ascii=False)
