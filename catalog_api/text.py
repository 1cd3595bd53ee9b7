"""Text normalisation: slugs, tags and search words."""

from __future__ import annotations

import re
import unicodedata

SLUG_MAX_LENGTH = 120
_NON_SLUG = re.compile(r"[^\w]+|_+")
_WORD = re.compile(r"[^\W_]+")
_CONTROL_CATEGORIES = {"Cc", "Cf", "Co", "Cs"}


def slugify(value: str) -> str:
    """Turn text into a lowercase, hyphenated slug; letters of any script are kept."""
    text = unicodedata.normalize("NFKD", value)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = unicodedata.normalize("NFKC", text).casefold()
    slug = _NON_SLUG.sub("-", text).strip("-")
    return slug[:SLUG_MAX_LENGTH].rstrip("-")


def strip_control(value: str, *, keep_newlines: bool = False) -> str:
    """Remove control, format (bidi, zero-width) and private-use characters."""
    probe = value.replace("\n", "").replace("\t", "") if keep_newlines else value
    if probe.isprintable():  # the common case, checked in C
        return value
    allowed = {"\n", "\t"} if keep_newlines else set()
    return "".join(
        ch for ch in value if ch in allowed or unicodedata.category(ch) not in _CONTROL_CATEGORIES
    )


def clean_line(value: str) -> str:
    """Normalise a one-line text: NFC, no control characters, collapsed spaces."""
    return " ".join(strip_control(unicodedata.normalize("NFC", value)).split())


def clean_block(value: str) -> str:
    """Normalise a multi-line text: NFC, no control characters, trimmed."""
    return strip_control(unicodedata.normalize("NFC", value), keep_newlines=True).strip()


def search_words(query: str, *, max_words: int = 32) -> list[str]:
    """Split a search query into plain words; every operator or wildcard is dropped."""
    return _WORD.findall(unicodedata.normalize("NFKC", query).casefold())[:max_words]
