"""The catalog's own vocabulary: how many products hold each term, and spelling suggestions."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from symspellpy import SymSpell, Verbosity
from symspellpy.suggest_item import SuggestItem

from catalog_api.collector import freeze_long_lived
from catalog_api.reloading import ReloadingCache
from catalog_api.search.analyzer import STOP_WORDS, UNIT_SPELLINGS

logger = logging.getLogger(__name__)

# Words the speller knows: the commonest terms, so memory stays bounded on a huge catalog.
SPELLER_WORDS = 60_000

# A known word this rare is also read as a neighbour at least RARE_RATIO times as common
# ('rigid combo' as 'ridgid', 'latter' as 'ladder'): the typo is in a few titles too.
RARE_WORD = 10
RARE_RATIO = 10
# A suggestion ten times as common as another counts as this many edits closer.
SPELL_COMMONNESS = 0.75

_SQLITE_VOCABULARY = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.products_search_vocabulary "
    "USING fts5vocab(main, 'products_search', 'row')"
)
_SQLITE_TERMS = "SELECT term, doc FROM temp.products_search_vocabulary"
_POSTGRES_TERMS = "SELECT word, ndoc FROM ts_stat('SELECT search_vector FROM products')"
_LENGTHS = (
    "SELECT count(*), "
    "avg(length(search_title) - length(replace(search_title, ' ', '')) + 1), "
    "avg(length(search_labels) - length(replace(search_labels, ' ', '')) + 1), "
    "avg(length(search_body) - length(replace(search_body, ' ', '')) + 1) FROM products"
)


def is_word(term: str) -> bool:
    """Tell whether an index term counts in a title's length: no number, unit or stop word."""
    return (
        term.isalpha() and len(term) > 1 and term not in STOP_WORDS and term not in UNIT_SPELLINGS
    )


def word_share(frequencies: dict[str, int]) -> float:
    """Return the share of the index's postings that are words, to estimate average lengths."""
    total = sum(frequencies.values())
    words = sum(count for term, count in frequencies.items() if is_word(term))
    return words / total if total else 1.0


@dataclass
class Vocabulary:
    """Document frequencies of the index's terms, with a speller built from them."""

    document_count: int = 0
    frequencies: dict[str, int] = field(default_factory=dict)
    # Average title length in words (is_word), labels and body in terms.
    average_lengths: tuple[float, float, float] = (6.0, 4.0, 40.0)
    speller: SymSpell | None = None
    loaded: bool = False  # False until read: frequencies unknown, not zero

    def frequency(self, term: str) -> int:
        """Return how many products hold the term (0 when unknown)."""
        return self.frequencies.get(term, 0)

    def idf(self, frequency: int) -> float:
        """Return the BM25 inverse document frequency of a term held by that many products."""
        n = max(self.document_count, frequency, 1)
        return math.log(1 + (n - frequency + 0.5) / (frequency + 0.5))

    def suggest(self, term: str, written: str = "") -> str | None:
        """Return the known term a misspelt word most likely means, or None."""
        ranked = self.suggestions(term, written)
        return ranked[0][1] if ranked else None

    def suggestions(self, term: str, written: str = "") -> list[tuple[float, str]]:
        """Return the known terms a misspelt word may mean with their distances, closest first.

        Candidates are within edit distance 1 (2 from 7 letters) of the stem or of the word as
        written; a candidate the word starts with, or that starts with the word (a stem, a word
        cut short: 'ceilin', 'showe'), counts as one edit closer, another first letter as one
        further; each tenfold of products holding a candidate counts as SPELL_COMMONNESS of an
        edit ('cabinte' is 'cabinet', not the rarer 'cabin' it starts with).
        """
        if self.speller is None or not term.isalpha() or len(term) < 4:
            return []
        best: dict[str, float] = {}
        for word, found in self._near(self.speller, term, written):
            candidate: str = found.term
            related = len(candidate) >= 4 and (
                candidate.startswith(word) or word.startswith(candidate)
            )
            edits = found.distance - (1 if related else 0) + (1 if candidate[0] != word[0] else 0)
            distance = edits - SPELL_COMMONNESS * math.log10(max(int(found.count), 1))
            best[candidate] = min(distance, best.get(candidate, distance))
        return sorted((distance, candidate) for candidate, distance in best.items())

    def commoner(self, term: str, written: str = "") -> str | None:
        """Return a much commoner known term close to the spelling of a rare known word, or None.

        Within edit distance 1 (2 from 7 letters) of the stem or the word as written, with
        the same first letter, at least RARE_RATIO times as common; the commonest wins.
        """
        own = self.frequency(term)
        if self.speller is None or not term.isalpha() or len(term) < 4 or not 1 <= own <= RARE_WORD:
            return None
        best: tuple[int, str] | None = None
        for word, found in self._near(self.speller, term, written):
            count, candidate = int(found.count), str(found.term)
            if candidate[0] != word[0] or candidate == term or count < RARE_RATIO * own:
                continue
            if best is None or (count, candidate) > best:
                best = (count, candidate)
        return best[1] if best else None

    @staticmethod
    def _near(speller: SymSpell, term: str, written: str) -> Iterator[tuple[str, SuggestItem]]:
        """Yield (word looked up, known term) within edit distance 1 (2 from 7 letters) of the
        stem or of the word as written."""
        for word in dict.fromkeys((term, written or term)):
            distance = 1 if len(word) < 7 else 2
            for found in speller.lookup(word, Verbosity.ALL, max_edit_distance=distance):
                yield word, found


def build_speller(frequencies: dict[str, int]) -> SymSpell:
    """Return a SymSpell index of the commonest alphabetic terms."""
    words = sorted(
        ((term, count) for term, count in frequencies.items() if term.isalpha() and len(term) > 2),
        key=lambda item: -item[1],
    )[:SPELLER_WORDS]
    speller = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
    for term, count in words:
        speller.create_dictionary_entry(term, count)
    return speller


async def load_vocabulary(connection: AsyncConnection) -> Vocabulary:
    """Read the terms and their product counts from the index."""
    if connection.dialect.name == "sqlite":
        await connection.execute(text(_SQLITE_VOCABULARY))
        rows = (await connection.execute(text(_SQLITE_TERMS))).all()
    else:
        rows = (await connection.execute(text(_POSTGRES_TERMS))).all()
    counts: Any = (await connection.execute(text(_LENGTHS))).one()
    frequencies = {str(term): int(count) for term, count in rows}
    lengths = tuple(float(value or 1.0) for value in counts[1:])
    # The title's average in words, estimated from the share of words among all postings.
    share = await asyncio.to_thread(word_share, frequencies)
    title_words = max(lengths[0] * share, 1.0)
    speller = await asyncio.to_thread(build_speller, frequencies)
    return Vocabulary(
        document_count=int(counts[0]),
        frequencies=frequencies,
        average_lengths=(title_words, lengths[1], lengths[2]),
        speller=speller,
        loaded=True,
    )


def _vocabulary_read(vocabulary: Vocabulary, seconds: float) -> None:
    freeze_long_lived()  # the speller lives until the next read
    logger.debug(
        "search vocabulary: %d terms over %d products in %.2f s",
        len(vocabulary.frequencies),
        vocabulary.document_count,
        seconds,
    )


VOCABULARIES = ReloadingCache(
    "search vocabulary",
    load_vocabulary,
    Vocabulary,
    lambda vocabulary: vocabulary.document_count,
    _vocabulary_read,
)
