"""The offline provider: deterministic copy from the product's own fields, no network."""

from __future__ import annotations

import json

from catalog_api.llm.base import ProductFacts, Prompt, ProviderError
from catalog_api.llm.output import MAX_KEYWORD_LENGTH

# Only phrases built from the product's own fields: no "best", "deals" or "gift ideas" that
# would read like invented marketing. The neutral last ones make up the 5 keywords that even a
# bare product with a one-word, over-long title needs.
_FALLBACK_KEYWORDS = ("{title} {category}", "{noun} {category}", "{title} price", "{title} specs")
_NEUTRAL_KEYWORDS = (
    "{category} products",
    "product details",
    "product specifications",
    "product information",
    "catalog product",
)


def _fit(phrase: str) -> str:
    """Cut a phrase at a word boundary to the longest keyword kept, or drop it."""
    if len(phrase) <= MAX_KEYWORD_LENGTH:
        return phrase
    cut = phrase[: MAX_KEYWORD_LENGTH + 1].rsplit(" ", 1)[0]
    return cut if len(cut) <= MAX_KEYWORD_LENGTH else ""


def _sentences(text: str, count: int = 2, limit: int = 400) -> str:
    text = " ".join(text.split())
    kept: list[str] = []
    rest = text
    while rest and len(kept) < count:
        end = rest.find(". ")
        if end < 0:
            kept.append(rest)
            break
        kept.append(rest[: end + 1])
        rest = rest[end + 2 :]
    return " ".join(kept)[:limit].rstrip()


def offline_copy(facts: ProductFacts) -> dict[str, object]:
    """Compose a factual description and keywords from the product's own fields only."""
    title = " ".join(facts.title.split())
    category = facts.category.strip().lower()
    noun = title.split()[-1].lower() if title.split() else category
    sentences = [f"The {title} is listed in the {category} category."]
    if facts.description.strip():
        sentences.append(_sentences(facts.description))
    details = [f"{key}: {value}" for key, value in facts.attributes[:6] if value.strip()]
    if details:
        sentences.append(f"Details: {'; '.join(details)}.")
    if facts.price and facts.currency:
        sentences.append(f"Price: {facts.price} {facts.currency}.")
    description = " ".join(sentences)
    tags = [t for t in facts.tags if t.strip()][:4]
    candidates = [
        title.lower(),
        category,
        f"{category} {noun}" if noun != category else category,
        *tags,
        *(
            f"{value.lower()} {noun}"
            for _, value in facts.attributes[:3]
            if value.strip() and not any(ch.isdigit() for ch in value)
        ),
        *(
            pattern.format(title=title.lower(), category=category, noun=noun)
            for pattern in _FALLBACK_KEYWORDS
        ),
        *(value.lower() for _, value in facts.attributes[:3]),
        *(pattern.format(category=category) for pattern in _NEUTRAL_KEYWORDS),
    ]
    keywords = [_fit(" ".join(phrase.split())) for phrase in candidates]
    return {"description": description, "keywords": [k for k in keywords if len(k) >= 2]}


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
