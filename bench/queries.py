"""A fixed mix of 40 search queries drawn deterministically from the generator's vocabulary.

Word frequencies are measured the way the API matches words: the first products of the
seed go into an in-memory FTS5 table with the app's tokenizer (Porter stemming, diacritics
removed), so "gardeners" counts as "garden" and "patisserie" as "Pâtisserie". The
generator draws every product after the first few dozen from the same distribution, so a
sample's frequencies scale to any N.
"""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Literal

from catalog_api.demo_data import generate_products

Kind = Literal["common", "rare", "two-word", "miss"]
KINDS: tuple[Kind, ...] = ("common", "rare", "two-word", "miss")
PER_KIND: dict[Kind, int] = {"common": 10, "rare": 10, "two-word": 12, "miss": 8}

SAMPLE_SIZE = 20_000
TOKENIZE = "porter unicode61 remove_diacritics 2"
_WORD = re.compile(r"[^\W_]+")
_STOP = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it"}
    | {"its", "of", "on", "or", "the", "this", "to", "with"}
)
# Real words that the generator never writes (checked against the sample before use).
_ABSENT_CANDIDATES = (
    "submarine",
    "trombone",
    "giraffe",
    "harpsichord",
    "snowmobile",
    "typewriter",
    "saxophone",
    "parachute",
    "accordion",
    "walrus",
    "zeppelin",
    "volcano",
)


@dataclass(frozen=True, slots=True)
class Query:
    """One search query and the class it stands for."""

    text: str
    kind: Kind


def _words(text: str) -> list[str]:
    """Split text the way the API splits a query (NFKC, casefold, letters and digits)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def _usable(word: str) -> bool:
    """Tell whether a word makes a plausible typed query term (plain ASCII letters)."""
    return len(word) >= 3 and word.isascii() and word.isalpha() and word not in _STOP


class _Sample:
    """The first products of a seed, indexed like products_fts."""

    def __init__(self, seed: int, size: int) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            f"CREATE VIRTUAL TABLE s USING fts5(title, description, tags, category, "
            f"tokenize='{TOKENIZE}')"
        )
        self.db.execute(f"CREATE VIRTUAL TABLE w USING fts5(word, tokenize='{TOKENIZE}')")
        self.db.execute("CREATE VIRTUAL TABLE s_terms USING fts5vocab(s, row)")
        self.db.execute("CREATE VIRTUAL TABLE w_terms USING fts5vocab(w, instance)")
        self.words: Counter[str] = Counter()
        self.title_words: set[str] = set()
        self.bigrams: Counter[tuple[str, str]] = Counter()
        self.categories: defaultdict[str, set[str]] = defaultdict(set)
        rows = []
        for product in generate_products(size, seed):
            title, description = str(product["title"]), str(product["description"])
            tags = [str(tag) for tag in product["tags"]]  # type: ignore[attr-defined]
            rows.append((title, description, json.dumps(tags), str(product["category"])))
            self.words.update(_words(f"{title} {description} {' '.join(tags)}"))
            title_words = _words(title)
            for word in title_words:
                self.categories[word].add(str(product["category"]))
            self.title_words.update(title_words, *(_words(tag) for tag in tags))
            self.bigrams.update(
                pair for pair in itertools.pairwise(title_words) if all(map(_usable, pair))
            )
        self.db.executemany("INSERT INTO s VALUES (?, ?, ?, ?)", rows)
        self.doc_freq = dict(self.db.execute("SELECT term, doc FROM s_terms").fetchall())
        vocabulary = sorted(self.words)
        self.db.executemany("INSERT INTO w(rowid, word) VALUES (?, ?)", enumerate(vocabulary, 1))
        stems = dict(self.db.execute("SELECT doc, term FROM w_terms WHERE offset = 0"))
        self.stem = {word: str(stems.get(index, word)) for index, word in enumerate(vocabulary, 1)}

    def hits(self, words: list[str]) -> int:
        """Count sample products matching every word (the API's semantics)."""
        match = " ".join(f'"{word}"' for word in words)
        return int(
            self.db.execute("SELECT count(*) FROM s WHERE s MATCH ?", (match,)).fetchone()[0]
        )

    def freq(self, word: str) -> int:
        """Return how many sample products a single word matches."""
        return int(self.doc_freq.get(self.stem.get(word, word), 0))


def _distinct_stems(words: list[str], sample: _Sample, count: int) -> list[str]:
    """Keep the first count words whose stems differ."""
    chosen: list[str] = []
    stems: set[str] = set()
    for word in words:
        stem = sample.stem.get(word, word)
        if stem not in stems:
            stems.add(stem)
            chosen.append(word)
        if len(chosen) == count:
            break
    return chosen


def query_mix(seed: int = 0, sample_size: int = SAMPLE_SIZE) -> list[Query]:
    """Return the query mix, kinds interleaved, the same for every N."""
    sample = _Sample(seed, sample_size)
    try:
        usable = sorted(word for word in sample.words if _usable(word) and sample.freq(word))
        by_freq = sorted(usable, key=lambda word: (-sample.freq(word), word))
        titled = [word for word in by_freq if word in sample.title_words]
        common = _distinct_stems(titled, sample, PER_KIND["common"])
        rarest = sorted(
            (word for word in usable if len(word) >= 4),
            key=lambda word: (sample.freq(word), word),
        )
        rare = _distinct_stems(rarest, sample, PER_KIND["rare"])
        pairs = sorted(sample.bigrams, key=lambda pair: (-sample.bigrams[pair], pair))
        two_word = [" ".join(pair) for pair in pairs[: PER_KIND["two-word"]]]

        absent = [word for word in _ABSENT_CANDIDATES if sample.hits([word]) == 0]
        half = PER_KIND["miss"] // 2
        misses = absent[:half]
        # Two frequent title words of different categories that never meet in one product:
        # misses that still read long posting lists.
        exclusive: dict[str, str] = {}
        for word in titled:
            owners = sample.categories[word]
            if len(owners) == 1 and word not in owners:
                exclusive.setdefault(next(iter(owners)), word)
        names = sorted(exclusive)
        for first, second in itertools.pairwise(names):
            if len(misses) == PER_KIND["miss"]:
                break
            words = [exclusive[first], exclusive[second]]
            if sample.hits(words) == 0:
                misses.append(" ".join(words))
        misses += absent[half:][: PER_KIND["miss"] - len(misses)]
    finally:
        sample.db.close()

    lists: dict[Kind, list[str]] = {
        "common": common,
        "rare": rare,
        "two-word": two_word,
        "miss": misses[: PER_KIND["miss"]],
    }
    mix: list[Query] = []
    for group in itertools.zip_longest(*(lists[kind] for kind in KINDS)):
        mix.extend(Query(text, kind) for text, kind in zip(group, KINDS, strict=True) if text)
    return mix


def like_subset(mix: list[Query], per_kind: int = 2) -> list[Query]:
    """Return the first per_kind queries of each kind (for the slow LIKE reference)."""
    chosen: list[Query] = []
    for kind in KINDS:
        chosen.extend([query for query in mix if query.kind == kind][:per_kind])
    return chosen
