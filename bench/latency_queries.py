"""The queries of bench.search_latency: the bench mix, the catalog's commonest words, combinations
of them and misspellings, each with its class."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bench.queries import SAMPLE_SIZE, query_mix
from catalog_api.demo_data import generate_products
from catalog_api.text import search_words

TOP_WORDS = 100
MUST_HAVE = ("a", "the", "with", "black")
CLASSES = ("common", "rare", "two-word", "miss", "top-100", "combination", "typo", "variant")
_STOP = frozenset({"a", "an", "and", "for", "in", "of", "on", "or", "the", "to", "with"})


@dataclass(frozen=True, slots=True)
class LatencyQuery:
    """One query text and the class it belongs to."""

    text: str
    kind: str


def document_frequencies(n: int, seed: int, sample: int = SAMPLE_SIZE) -> Counter[str]:
    """Count in how many products each word occurs, over the first products of the catalog.

    Words are split as the API splits a query, over title, description, tags and category.
    The generator draws every product from one distribution, so a sample ranks words as the
    whole catalog would.
    """
    frequencies: Counter[str] = Counter()
    for product in generate_products(min(n, sample), seed):
        tags = " ".join(str(tag) for tag in product["tags"])  # type: ignore[attr-defined]
        text = f"{product['title']} {product['description']} {tags} {product['category']}"
        frequencies.update(set(search_words(text, max_words=10_000)))
    return frequencies


def _common_words(frequencies: Counter[str]) -> list[str]:
    """Return the commonest words (ties by text), then the must-have words not among them."""
    ranked = sorted(frequencies, key=lambda word: (-frequencies[word], word))[:TOP_WORDS]
    return ranked + [word for word in MUST_HAVE if word not in ranked]


def _combinations(top: list[str]) -> list[str]:
    """Return two- and three-word queries of common words, stop words included in some."""
    content = [word for word in top if word not in _STOP and word.isalpha() and len(word) > 2]
    pairs = [f"{content[i]} {content[i + 1]}" for i in range(0, 8, 2)]
    triples = [" ".join(content[i : i + 3]) for i in (0, 3, 6)]
    with_stop = [f"{content[0]} with {content[1]}", "black with", "a the"]
    return pairs + triples + with_stop


def _swap(word: str) -> str:
    """Swap the two letters in the middle of a word."""
    middle = len(word) // 2
    return word[: middle - 1] + word[middle] + word[middle - 1] + word[middle + 1 :]


def _typos(top: list[str], vocabulary: Counter[str], count: int = 8) -> list[str]:
    """Misspell common words by swapping two letters; keep only spellings the catalog lacks."""
    typos: list[str] = []
    for word in top:
        if len(word) < 5 or not word.isalpha():
            continue
        typo = _swap(word)
        if typo != word and typo not in vocabulary and typo not in typos:
            typos.append(typo)
        if len(typos) == count:
            break
    return typos


def latency_queries(n: int, seed: int) -> list[LatencyQuery]:
    """Return every query of the benchmark in class order (a text may stand in two classes)."""
    sample = min(SAMPLE_SIZE, max(n, 2000))
    frequencies = document_frequencies(n, seed, sample)
    top = _common_words(frequencies)
    queries = [LatencyQuery(q.text, q.kind) for q in query_mix(seed, sample_size=sample)]
    queries += [LatencyQuery(word, "top-100") for word in top]
    queries += [LatencyQuery(text, "combination") for text in _combinations(top)]
    queries += [LatencyQuery(text, "typo") for text in _typos(top, frequencies)]
    return list(dict.fromkeys(queries))
