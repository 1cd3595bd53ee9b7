"""Relevance: BM25 over title, labels and body, then how much of the query a product covers."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from catalog_api.search.query import Concept
from catalog_api.search.repository import Candidate
from catalog_api.search.vocabulary import Vocabulary, is_word

# A catalog title names the product's type last before these ('... Ceiling Fan with Light',
# '... Shower Faucet Trim Kit Valve Not Included').
_TYPE_ENDS = (" in ", " with ", " for ", " not includ", " sold separ")
# Packaging after the type ('... Wood Screw (100-Pack)', '... Trim Kit Only') is not the type.
_PACKAGING = frozenset({"pack", "case", "piec", "count", "onli"})
# Whether each title term seen counts as a word (is_word), for the titles' lengths.
_WORDS: dict[str, bool] = {}
_WORDS_KEPT = 200_000


@dataclass(frozen=True)
class Weights:
    """Tuning of the ranking (bench/relevance.py measures it).

    coverage, adjacent, product_type, head and length were fitted together by coordinate
    ascent on the tuning half of the Home Depot queries (bench/RESULTS.md, 2026-12-06).
    """

    title: float = 3.0
    labels: float = 2.0
    body: float = 1.0
    k1: float = 1.2
    b: float = 0.75
    # Score multiplier of a product holding all the query's weight, against one holding none.
    coverage: float = 0.775
    # Bonus, as a share of the words' weights, for two query words adjacent in the title.
    adjacent: float = 0.25
    # Bonus, as a share of a word's weight, for the word naming the title's product type.
    product_type: float = 0.4375
    # Further bonus when that word is the query's last ('kitchen sink faucet' is a faucet).
    head: float = 0.47
    # Score taken off per word of the title: of two titles matching alike, the shorter one
    # is more about it, beyond what BM25's length normalisation of the matched words says.
    length: float = 0.225


@dataclass(frozen=True)
class Scored:
    """A candidate with its relevance and the share of the query's weight it matched."""

    candidate: Candidate
    score: float
    coverage: float
    matched: frozenset[str]


def _length(terms: str) -> int:
    return terms.count(" ") + 1 if terms else 0


def _title_length(terms: str) -> int:
    """Return the title's length in words: its numbers, units and stop words make no product
    less about what it is ('2 in. x 4 in. x 8 ft. Lumber')."""
    known = _WORDS
    length = 0
    for term in terms.split():
        word = known.get(term)
        if word is None:
            word = is_word(term)
            if len(known) < _WORDS_KEPT:
                known[term] = word
        length += word
    return length


def _saturation(
    candidate: Candidate,
    field: int,
    title_words: int,
    averages: tuple[float, float, float],
    k1: float,
    b: float,
) -> float:
    """Return BM25's length normalisation of one field (0 title, 1 labels, 2 body)."""
    if field == 0:
        length = title_words
    else:
        length = _length(candidate.label_terms if field == 1 else candidate.body_terms)
    return k1 * (1 - b + b * length / averages[field])


def _type_end(title: str) -> str:
    """Return the title up to its product type: before the first 'in', 'with' or 'for', less
    the numbers, units and packaging words that end it."""
    for marker in _TYPE_ENDS:
        cut = title.find(marker)
        if cut >= 0:
            title = title[: cut + 1]
    # From the end only: most titles end in their type word, so one step is enough.
    rest = title.strip()
    while rest:
        before, _, last = rest.rpartition(" ")
        if is_word(last) and not (before and last in _PACKAGING):
            break
        rest = before.rstrip()
    return f" {rest} "


def _adjacent_pairs(concepts: Sequence[Concept]) -> list[tuple[str, float]]:
    """Return the needles of neighbouring single query words with their bonus weights."""
    words = [c for c in concepts if c.written and len(c.phrase) == 1]
    return [
        (f" {left.phrase[0]} {right.phrase[0]} ", (left.weight + right.weight) / 2)
        for left, right in itertools.pairwise(words)
        if left.phrase != right.phrase
    ]


def _head(concepts: Sequence[Concept], named: frozenset[str] = frozenset()) -> Concept | None:
    """Return the query's last written word that is not a number or unit, or None; of the
    named words (before 'with' or 'for') when there are any."""
    words = [c for c in concepts if c.written and len(c.phrase) == 1 and is_word(c.phrase[0])]
    words = [c for c in words if c.written in named] or words
    return words[-1] if words else None


def rank(
    candidates: Iterable[Candidate],
    concepts: Sequence[Concept],
    vocabulary: Vocabulary,
    weights: Weights = Weights(),
    named: frozenset[str] = frozenset(),
) -> list[Scored]:
    """Score every candidate; best first, ties by id.

    named: the query's words naming the product asked for (ReadQuery.named).
    """
    pool = list(candidates)
    head = _head(concepts, named)
    written_weights = [(c.written, c.weight) for c in concepts if c.written]
    total = sum(weight for _, weight in written_weights) or 1.0
    k1, b = weights.k1, weights.b
    averages = vocabulary.average_lengths
    # Field by field and word by word over all candidates (the loops Python runs fastest);
    # each candidate's score still adds its words in the query's order.
    fields = (
        [f" {candidate.title_terms} " for candidate in pool],
        [f" {candidate.label_terms} " for candidate in pool],
        [f" {candidate.body_terms} " for candidate in pool],
    )
    title_words = [_title_length(candidate.title_terms) for candidate in pool]
    # Each field saturates on its own, so a description repeating the words many times
    # never outweighs a title that has them (BM25 summed over fields, not BM25F). The
    # lengths are worked out only for the fields a word was found in.
    saturation: list[list[float | None]] = [[None] * len(pool) for _ in fields]
    typed: list[str | None] = [None] * len(pool)
    scores = [0.0] * len(pool)
    matched: list[set[str]] = [set() for _ in pool]
    boosts = (weights.title, weights.labels, weights.body)

    def norm(field: int, place: int) -> float:
        value = saturation[field][place]
        if value is None:
            value = saturation[field][place] = _saturation(
                pool[place], field, title_words[place], averages, k1, b
            )
        return value

    for concept in concepts:
        needle = " " + " ".join(concept.phrase) + " "
        weight = concept.weight
        for field, texts in enumerate(fields):
            boost = weight * boosts[field]
            hits = [place for place, text in enumerate(texts) if needle in text]
            for place in hits:
                text = texts[place]
                count = text.count(needle)
                scores[place] += boost * count * (k1 + 1) / (count + norm(field, place))
                if field == 0:
                    kind = typed[place]
                    if kind is None:
                        kind = typed[place] = _type_end(text)
                    if kind.endswith(needle):
                        bonus = weights.head if concept is head else 0.0
                        scores[place] += weight * (weights.product_type + bonus)
                matched[place].update(concept.covers)
    for needle, weight in _adjacent_pairs(concepts):
        bonus = weights.adjacent * weight * weights.title
        for place, text in enumerate(fields[0]):
            if needle in text:
                count = text.count(needle)
                # A pair in the title means its words were counted there: norm is known.
                scores[place] += bonus * count * (k1 + 1) / (count + norm(0, place))
    scored: list[Scored] = []
    for place, candidate in enumerate(pool):
        words = matched[place]
        covered = sum(weight for written, weight in written_weights if written in words)
        coverage = min(covered / total, 1.0)
        score = scores[place] * (1 - weights.coverage + weights.coverage * coverage)
        score -= weights.length * title_words[place]
        scored.append(Scored(candidate, score, coverage, frozenset(words)))
    scored.sort(key=lambda item: (-item.score, item.candidate.id))
    return scored
