"""The reference: bm25s over the same titles, English stop words, any word (OR)."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import bm25s
import Stemmer

from bench.relevance_data import Judgments

log = logging.getLogger("bench")

RESULTS_WANTED = 100
# Bump when the reference's settings change, so that kept results are computed again.
REFERENCE_VERSION = "1"
REFERENCES = {"bm25s stemmed": True, "bm25s plain": False}


class BM25Reference:
    """A BM25 index of the product titles, with or without a Snowball English stemmer."""

    def __init__(self, ids: Sequence[int], titles: Sequence[str], *, stemmed: bool) -> None:
        self.ids = list(ids)
        self.stemmer = Stemmer.Stemmer("english") if stemmed else None
        self.retriever = bm25s.BM25()
        self.retriever.index(self._tokens(titles, return_ids=True), show_progress=False)

    def _tokens(self, texts: Sequence[str], *, return_ids: bool) -> object:
        return bm25s.tokenize(
            list(texts),
            stopwords="en",
            stemmer=self.stemmer,
            return_ids=return_ids,
            show_progress=False,
        )

    def search(self, queries: Sequence[str]) -> list[list[int]]:
        """Return, per query, the ids of up to 100 titles sharing a word with it, best first."""
        if not queries:
            return []
        k = min(RESULTS_WANTED, len(self.ids))
        documents, scores = self.retriever.retrieve(
            self._tokens(queries, return_ids=False), k=k, show_progress=False
        )
        # bm25s always returns k documents; those scoring 0 share no word with the query.
        return [
            [self.ids[int(doc)] for doc, score in zip(row, row_scores, strict=True) if score > 0]
            for row, row_scores in zip(documents, scores, strict=True)
        ]


def reference_results(
    workdir: Path, judgments: Judgments, queries: Sequence[str], *, rebuild: bool
) -> dict[str, dict[str, list[int]]]:
    """Return each reference's results per query, kept in workdir between runs.

    The references do not change while the catalog's search is tuned, so only queries not
    searched before cost an index build and a search.
    """
    versions = ":".join(metadata.version(name) for name in ("bm25s", "PyStemmer"))
    key = f"{judgments.digest}:{versions}:{REFERENCE_VERSION}"
    path = workdir / f"bm25-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"
    kept: dict[str, dict[str, list[int]]] = {}
    if path.exists() and not rebuild:
        kept = json.loads(path.read_text(encoding="utf-8"))
    changed = False
    for name, stemmed in REFERENCES.items():
        results = kept.setdefault(name, {})
        missing = [query for query in dict.fromkeys(queries) if query not in results]
        if not missing:
            continue
        log.info(
            "indexing %d titles with %s for %d queries", len(judgments.titles), name, len(missing)
        )
        reference = BM25Reference(
            list(judgments.titles), list(judgments.titles.values()), stemmed=stemmed
        )
        results.update(zip(missing, reference.search(missing), strict=True))
        changed = True
    if changed:
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(kept), encoding="utf-8")
        partial.replace(path)
    return {name: {query: kept[name][query] for query in queries} for name in REFERENCES}
