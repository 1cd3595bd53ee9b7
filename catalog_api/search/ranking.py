"""Relevance: BM25 over title, labels and body, then how much of the query a product covers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from catalog_api.search.query import Concept
from catalog_api.search.repository import Candidate
from catalog_api.search.vocabulary import Vocabulary


@dataclass(frozen=True)
class Weights:
    """Tuning of the ranking (bench/relevance.py measures it)."""

    title: float = 3.0
    labels: float = 2.0
    body: float = 1.0
    k1: float = 1.2
    b: float = 0.75
    # Score multiplier of a product holding all the query's weight, against one holding none.
    coverage: float = 0.5


@dataclass(frozen=True)
class Scored:
    """A candidate with its relevance and the share of the query's weight it matched."""

    candidate: Candidate
    score: float
    coverage: float
    matched: frozenset[str]


def _length(terms: str) -> int:
    return terms.count(" ") + 1 if terms else 0


def rank(
    candidates: Iterable[Candidate],
    concepts: Sequence[Concept],
    vocabulary: Vocabulary,
    weights: Weights = Weights(),
) -> list[Scored]:
    """Score every candidate; best first, ties by id."""
    needles = [(concept, " " + " ".join(concept.phrase) + " ") for concept in concepts]
    written_weights = [(c.written, c.weight) for c in concepts if c.written]
    total = sum(weight for _, weight in written_weights) or 1.0
    scored: list[Scored] = []
    k1, b = weights.k1, weights.b
    fields = (weights.title, weights.labels, weights.body)
    for candidate in candidates:
        texts = (
            f" {candidate.title_terms} ",
            f" {candidate.label_terms} ",
            f" {candidate.body_terms} ",
        )
        whole = "".join(texts)
        # Each field saturates on its own, so a description repeating the words many times
        # never outweighs a title that has them (BM25 summed over fields, not BM25F).
        saturation = [
            k1 * (1 - b + b * _length(terms) / average)
            for terms, average in zip(
                (candidate.title_terms, candidate.label_terms, candidate.body_terms),
                vocabulary.average_lengths,
                strict=True,
            )
        ]
        score = 0.0
        matched: set[str] = set()
        for concept, needle in needles:
            if needle not in whole:
                continue
            for text, boost, norm in zip(texts, fields, saturation, strict=True):
                count = text.count(needle)
                if count:
                    score += concept.weight * boost * count * (k1 + 1) / (count + norm)
            matched.update(concept.covers)
        covered = sum(weight for written, weight in written_weights if written in matched)
        coverage = min(covered / total, 1.0)
        score *= 1 - weights.coverage + weights.coverage * coverage
        scored.append(Scored(candidate, score, coverage, frozenset(matched)))
    scored.sort(key=lambda item: (-item.score, item.candidate.id))
    return scored
