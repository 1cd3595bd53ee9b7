"""Validation of model replies: untrusted text in, clean description and keywords out."""

from __future__ import annotations

import json
import re
from typing import Any

from catalog_api.llm.base import ProductCopy, ProviderError
from catalog_api.text import clean_block, clean_line

MAX_DESCRIPTION = 1000
MIN_DESCRIPTION = 20
MIN_KEYWORDS = 5
MAX_KEYWORDS = 10
MAX_KEYWORD_LENGTH = 60
_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")
_EDGE_PUNCTUATION = re.compile(r"^[\W_]+|[\W_]+$")


class InvalidOutputError(ProviderError):
    """The reply could not be turned into valid copy."""


def _json_object(text: str) -> dict[str, Any]:
    body = _FENCE.sub("", text.strip())
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end <= start:
        raise InvalidOutputError("invalid output: no JSON object")
    try:
        value = json.loads(body[start : end + 1])
    except json.JSONDecodeError as error:
        raise InvalidOutputError(f"invalid output: bad JSON ({error.msg})") from error
    if not isinstance(value, dict):
        raise InvalidOutputError("invalid output: not a JSON object")
    return value


def clean_keywords(raw: Any) -> list[str]:
    """Return 5-10 lower-cased, deduplicated keyword phrases, or raise InvalidOutputError."""
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, list):
        raise InvalidOutputError("invalid output: keywords is not a list")
    keywords: list[str] = []
    for item in raw:
        if not isinstance(item, str):
            continue
        phrase = _EDGE_PUNCTUATION.sub("", clean_line(item).casefold())
        phrase = " ".join(phrase.split())
        if 2 <= len(phrase) <= MAX_KEYWORD_LENGTH and phrase not in keywords:
            keywords.append(phrase)
    if len(keywords) < MIN_KEYWORDS:
        raise InvalidOutputError(f"invalid output: {len(keywords)} usable keywords, need 5")
    return keywords[:MAX_KEYWORDS]


def clean_description(raw: Any) -> str:
    """Return a plain-text description of sensible length, or raise InvalidOutputError."""
    if not isinstance(raw, str):
        raise InvalidOutputError("invalid output: description is not text")
    text = clean_block(raw)
    if len(text) < MIN_DESCRIPTION:
        raise InvalidOutputError("invalid output: description too short")
    if len(text) > MAX_DESCRIPTION:
        cut = text[:MAX_DESCRIPTION]
        sentence_end = cut.rfind(". ")
        text = cut[: sentence_end + 1] if sentence_end > MAX_DESCRIPTION // 2 else cut.rstrip()
    return text


def parse_copy(text: str) -> ProductCopy:
    """Parse and validate a model reply."""
    data = _json_object(text)
    return ProductCopy(
        description=clean_description(data.get("description")),
        keywords=clean_keywords(data.get("keywords")),
    )
