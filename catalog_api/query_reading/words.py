"""The reader's fixed words (currencies, price bounds, stock, sorts) and the query's tokens."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from catalog_api.search.analyzer import UNIT_SPELLINGS

_TOKEN = re.compile(
    r"(?P<symbol>us\$|c\$|a\$|[$€£¥₹])"
    r"|(?P<number>\d+(?:[.,]\d+)*)"
    r"|(?P<operator><=|>=|[<>%])"
    r"|(?P<dash>[-\u2010-\u2015])"
    r"|(?P<word>[^\W\d_]+(?:['\u2019][^\W\d_]+)?)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Token:
    """One piece of the query: its casefolded text, kind and place."""

    text: str
    kind: str  # symbol, number, operator, dash or word
    start: int  # where it is in the query as written
    end: int


def query_tokens(query: str) -> tuple[str, list[Token]]:
    """Return the query and its tokens: places in the query, texts casefolded, dashes '-'."""
    found = []
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup or "word"
        value = "-" if kind == "dash" else unicodedata.normalize("NFKC", match.group()).casefold()
        found.append(Token(value, kind, match.start(), match.end()))
    return query, found


def phrase(words: str) -> tuple[str, ...]:
    """Return the token texts of a phrase ('price low to high', '128 GB')."""
    return tuple(token.text for token in query_tokens(words)[1])


@dataclass(frozen=True)
class ReaderWords:
    """The fixed vocabulary of data/query_words.json, as token tuples."""

    symbols: dict[str, str]
    currencies: dict[str, str]
    ambiguous_currencies: dict[str, str]
    upper: tuple[tuple[str, ...], ...]
    lower: tuple[tuple[str, ...], ...]
    strict: frozenset[tuple[str, ...]]
    range_starts: frozenset[str]
    range_joins: frozenset[str]
    not_money: frozenset[str]
    in_stock: tuple[tuple[str, ...], ...]
    out_of_stock: tuple[tuple[str, ...], ...]
    sorts: dict[tuple[str, ...], tuple[str, str]]
    aliases: dict[str, str]
    connectors: frozenset[str]


# Strict bounds leave the amount out ('under $100' is at most $99.99); the others keep it.
STRICT = frozenset(
    {"under", "below", "less", "cheaper", "lower", "beneath", "over", "above", "more", "higher"}
)


def _phrases(values: list[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(sorted((phrase(value) for value in values), key=len, reverse=True))


@cache
def reader_words() -> ReaderWords:
    """Load the reader's words from the package's data file."""
    raw: dict[str, Any] = json.loads(
        (files("catalog_api") / "data" / "query_words.json").read_text(encoding="utf-8")
    )
    units = {spelling for spellings in UNIT_SPELLINGS.values() for spelling in spellings}
    return ReaderWords(
        symbols=dict(raw["currency_symbols"]),
        currencies=dict(raw["currency_words"]),
        ambiguous_currencies=dict(raw["ambiguous_currency_words"]),
        upper=_phrases(raw["upper_bounds"]),
        lower=_phrases(raw["lower_bounds"]),
        strict=frozenset(_phrases(raw["strict_bounds"])),
        range_starts=frozenset(raw["range_starts"]),
        range_joins=frozenset(raw["range_joins"]),
        not_money=frozenset(raw["not_money_after"]) | {u for u in units if u.isalpha()},
        in_stock=_phrases(raw["in_stock"]),
        out_of_stock=_phrases(raw["out_of_stock"]),
        sorts={phrase(words): (sort, order) for words, (sort, order) in raw["sorts"].items()},
        aliases=dict(raw["option_name_aliases"]),
        connectors=frozenset(raw["connectors"]),
    )
