"""Text normalisation: slugs, tags and search words."""

from __future__ import annotations

import re
import unicodedata

SLUG_MAX_LENGTH = 120
_NON_SLUG = re.compile(r"[^\w]+|_+")
_WORD = re.compile(r"[^\W_]+")
_CONTROL_CATEGORIES = {"Cc", "Cf", "Co", "Cs"}
_MARK_CATEGORIES = {"Mn", "Mc", "Me"}


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
    """Normalise a one-line text: NFC, line breaks and tabs as spaces, no control characters."""
    # Split on whitespace before stripping controls, or 'Trail\tRunner' would become one word.
    spaced = " ".join(unicodedata.normalize("NFC", value).split())
    return " ".join(strip_control(spaced).split())


def clean_block(value: str) -> str:
    """Normalise a multi-line text: NFC, LF line breaks, no control characters, trimmed."""
    # CR, VT, U+2028... end lines too; stripped as controls they would glue lines together.
    lines = "\n".join(unicodedata.normalize("NFC", value).splitlines())
    return strip_control(lines, keep_newlines=True).strip()


def search_words(query: str, *, max_words: int = 32) -> list[str]:
    """Split a query into plain words (letters, digits and their marks); operators are dropped."""
    # Cleaned like stored text first, so that 'tra\u200bil' finds 'trail' and 'a\tb' is two words.
    text = unicodedata.normalize("NFKC", clean_line(query)).casefold()
    if text.isascii():  # the common case, split in C
        return _WORD.findall(text)[:max_words]
    # Combining marks belong to their word ('हिन्दी', 'مَرحَبا', Thai): the indexes keep them.
    words: list[str] = []
    start = -1
    for index, ch in enumerate(text):
        if ch.isalnum() or (start >= 0 and unicodedata.category(ch) in _MARK_CATEGORIES):
            if start < 0:
                start = index
        elif start >= 0:
            words.append(text[start:index])
            start = -1
            if len(words) == max_words:
                return words
    if start >= 0:
        words.append(text[start:])
    return words[:max_words]
