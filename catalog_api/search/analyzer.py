"""Text analysis shared by indexing and querying: folding, units and numbers, stemming."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from catalog_api.text import clean_line

# Spellings of a unit, by the one canonical term indexed for all of them.
UNIT_SPELLINGS: dict[str, tuple[str, ...]] = {
    "inch": ("in", "inch", "inches", '"', "''", "in."),
    "ft": ("ft", "feet", "foot", "'", "ft."),
    "yd": ("yd", "yds", "yard", "yards"),
    "mm": ("mm", "millimeter", "millimeters", "millimetre", "millimetres"),
    "cm": ("cm", "centimeter", "centimeters", "centimetre", "centimetres"),
    "m": ("m", "meter", "meters", "metre", "metres"),
    "gal": ("gal", "gals", "gallon", "gallons"),
    "qt": ("qt", "quart", "quarts"),
    "oz": ("oz", "ounce", "ounces"),
    "lb": ("lb", "lbs", "pound", "pounds"),
    "kg": ("kg", "kgs", "kilogram", "kilograms"),
    "g": ("g", "gram", "grams"),
    "l": ("l", "liter", "liters", "litre", "litres"),
    "ml": ("ml", "milliliter", "milliliters", "millilitre", "millilitres"),
    "volt": ("v", "volt", "volts"),
    "watt": ("w", "watt", "watts"),
    "amp": ("a", "amp", "amps", "ampere", "amperes"),
    "sqft": ("sq ft", "sq. ft", "sq. ft.", "square feet", "square foot", "sqft"),
    "btu": ("btu", "btus"),
    "mah": ("mah",),
    "gb": ("gb",),
    "tb": ("tb",),
}
_UNIT_OF = {spelling: unit for unit, spellings in UNIT_SPELLINGS.items() for spelling in spellings}
_UNIT_PATTERN = "|".join(
    re.escape(spelling).replace(r"\ ", r"\s*")
    for spelling in sorted(_UNIT_OF, key=len, reverse=True)
)
# A number followed by a unit: '1/2 in.', '1/2"', '1/2-in', '36in', '0.5 inch', '2 x 4 ft'.
_NUMBER = r"(?:\d+(?:[.,]\d+)?|[.]\d+)(?:\s*/\s*\d+)?"
_NUMBER_UNIT = re.compile(
    rf"(?<![\w.])({_NUMBER})\s*-?\s*({_UNIT_PATTERN})(?![a-z0-9])", re.IGNORECASE
)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
# Vulgar fractions, spaced so that '1½' is '1 1/2' (NFKC would glue it into '11' and '2').
_VULGAR = str.maketrans(
    {
        "\u00bd": " 1/2",
        "\u00bc": " 1/4",
        "\u00be": " 3/4",
        "\u2153": " 1/3",
        "\u2154": " 2/3",
        "\u215b": " 1/8",
        "\u215c": " 3/8",
        "\u215d": " 5/8",
        "\u215e": " 7/8",
        "\u2044": "/",
    }
)
_TIMES = re.compile(r"(?<=\d)\s*[x\u00d7*]\s*(?=\d)", re.IGNORECASE)
_MIXED = re.compile(r"(?<![\d/])(\d+)[-\s]+(\d+)\s*/\s*(\d+)(?![\d/])")
_FRACTION = re.compile(r"(?<![\d/])(\d+)\s*/\s*(\d+)(?![\d/])")
_DECIMAL = re.compile(r"(?<![\d.,])(\d*)[.,](\d+)(?![\d.,])")
_TOKEN = re.compile(r"[^\W_]+")
# '4shelves' and '8wood' are two words; so are 'r13' and 'x32' (a dimension), on both sides.
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)")
_QUOTES = str.maketrans({"\u201d": '"', "\u201c": '"', "\u2033": '"', "\u2019": "'", "\u2032": "'"})
# Common decimal parts written as fractions in product titles ('1-1/2 in.' is '1.5 in').
_FRACTION_OF_DECIMAL = {
    "5": "1f2",
    "25": "1f4",
    "75": "3f4",
    "125": "1f8",
    "375": "3f8",
    "625": "5f8",
    "875": "7f8",
    "33": "1f3",
    "333": "1f3",
    "67": "2f3",
    "667": "2f3",
}

STOP_WORDS = frozenset(
    {
        "a",
        "about",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "has",
        "have",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "so",
        "than",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "this",
        "those",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "which",
        "who",
        "will",
        "with",
        "you",
        "your",
    }
)
_STEMMER = Stemmer.Stemmer("english")
_ASCII_DIGIT = re.compile("[0-9]")
_MARKS = {"Mn", "Mc", "Me"}


def fold(text: str) -> str:
    """Lowercase and strip accents, as the index stores text ('Café' is 'cafe')."""
    text = clean_line(text)
    if not text.isascii():
        text = text.translate(_VULGAR)
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if unicodedata.category(ch) not in _MARKS)
    )


def _reduce(numerator: int, denominator: int) -> tuple[int, int]:
    a, b = numerator, denominator
    while b:
        a, b = b, a % b
    return numerator // a, denominator // a


def _fraction(match: re.Match[str]) -> str:
    numerator, denominator = int(match.group(1)), int(match.group(2))
    if denominator == 0 or numerator >= denominator or denominator > 64:
        return f" {match.group(1)} {match.group(2)} "
    numerator, denominator = _reduce(numerator, denominator)
    return f" {numerator}f{denominator} "


def _mixed(match: re.Match[str]) -> str:
    whole, numerator, denominator = match.groups()
    return f" {whole} " + _fraction(re.match(r"(\d+)/(\d+)", f"{numerator}/{denominator}"))  # type: ignore[arg-type]


def _decimal(match: re.Match[str]) -> str:
    whole, part = match.groups()
    as_fraction = _FRACTION_OF_DECIMAL.get(part.rstrip("0") or "0")
    if part.rstrip("0") == "":
        return f" {whole or '0'} "
    if as_fraction is not None:
        return f" {whole} {as_fraction} " if whole not in ("", "0") else f" {as_fraction} "
    return f" {whole or '0'}p{part} "


def _number_unit(match: re.Match[str]) -> str:
    number, unit = match.groups()
    canonical = _UNIT_OF.get(re.sub(r"\s+", " ", unit.lower()), unit.lower())
    return f" {number} {canonical} "


def _has_digit(text: str) -> bool:
    # The per-character scan costs most of an import's analysis; ASCII digits are only 0-9.
    if text.isascii():
        return _ASCII_DIGIT.search(text) is not None
    return any(ch.isdigit() for ch in text)


def normalize(text: str) -> str:
    """Fold text and rewrite numbers and units in one spelling ('1/2"' and '0.5 inch' alike)."""
    text = fold(text).translate(_QUOTES)
    if _has_digit(text):
        text = _THOUSANDS.sub("", text)
        text = _TIMES.sub(" x ", text)
        text = _NUMBER_UNIT.sub(_number_unit, text)
        text = _DIGIT_LETTER.sub(" ", text)
        text = _MIXED.sub(_mixed, text)
        text = _FRACTION.sub(_fraction, text)
        text = _DECIMAL.sub(_decimal, text)
    return text


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Return the index term of one folded word (English Snowball stem; numbers unchanged)."""
    if not word.isalpha() or len(word) < 3:
        return word
    return str(_STEMMER.stemWord(word))


@dataclass(frozen=True)
class Token:
    """One word of a text: as written (folded) and as indexed."""

    surface: str
    term: str


def tokens(text: str) -> list[Token]:
    """Split text into tokens with their index terms."""
    return [Token(word, stem(word)) for word in _TOKEN.findall(normalize(text))]


def terms(text: str) -> list[str]:
    """Return the index terms of a text, in order."""
    return [stem(word) for word in _TOKEN.findall(normalize(text))]


_INTERNAL_NUMBER = re.compile(r"^(\d*)([fp])(\d+)$")


def display(word: str) -> str:
    """Return a folded word as a person would write it ('1f2' is '1/2', '3p14' is '3.14')."""
    match = _INTERNAL_NUMBER.match(word)
    if match is None:
        return word
    left, kind, right = match.groups()
    return f"{left}/{right}" if kind == "f" else f"{left}.{right}"
