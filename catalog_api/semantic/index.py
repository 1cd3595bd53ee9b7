"""The process's vector index: float16 rows searched exactly, plus a usearch graph when large.

Exact cosine over every row is a few milliseconds up to tens of thousands of products and
hundreds at 1M (bench/RESULTS.md); from GRAPH_FROM rows an HNSW graph (usearch, int8) answers
in about a millisecond instead. The rows stay too: the cosine of any given product (hybrid
ranking over both lists) and an exact search while the graph is being built.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from catalog_api.semantic.embedder import DIMENSIONS, Vectors

logger = logging.getLogger(__name__)

GRAPH_FROM = 20_000
# Rows converted to float32 at a time in an exact search (bounded scratch memory).
_EXACT_CHUNK = 65_536
GRAPH_OPTIONS: dict[str, Any] = {
    "metric": "cos",
    "dtype": "i8",
    "connectivity": 16,
    "expansion_add": 128,
    "expansion_search": 256,
}
# A vector in a saved graph is still its product's when their cosine is above this (the
# graph's int8 copy of a float16 row keeps about 0.998).
_SAME_COSINE = 0.995


def graph_available() -> bool:
    """Tell whether usearch is installed."""
    return importlib.util.find_spec("usearch") is not None


class VectorIndex:
    """Product vectors by id, searched by cosine."""

    def __init__(self, *, graph_from: int = GRAPH_FROM) -> None:
        self._matrix = np.zeros((1024, DIMENSIONS), dtype=np.float16)
        self._ids = np.full(1024, -1, dtype=np.int64)  # -1: a free row
        self._row: dict[int, int] = {}
        self._free: list[int] = []
        self._used = 0  # rows ever handed out (free ones included)
        self._graph_from = graph_from
        self._graph: Any = None
        self._graph_lock = threading.Lock()
        self._building = False
        self._missed: set[int] = set()
        self.graph_changes = 0  # applied to the graph since it was built, loaded or saved

    def __len__(self) -> int:
        return len(self._row)

    def __contains__(self, product_id: object) -> bool:
        return product_id in self._row

    def row_bytes(self) -> int:
        """Return the memory the float16 rows take."""
        return int(self._matrix.nbytes + self._ids.nbytes)

    def graph_bytes(self) -> int:
        """Return the memory the graph takes (0 without one)."""
        graph = self._graph
        return 0 if graph is None else int(graph.memory_usage)

    @property
    def uses_graph(self) -> bool:
        """Tell whether searches go through the graph."""
        return self._graph is not None

    def upsert(self, ids: Sequence[int], vectors: Vectors) -> None:
        """Set the vectors of these products (call on the event loop; the graph is separate)."""
        for product_id, vector in zip(ids, vectors, strict=True):
            row = self._row.get(product_id)
            if row is None:
                row = self._free.pop() if self._free else self._new_row()
                self._row[product_id] = row
                self._ids[row] = product_id
            self._matrix[row] = vector

    def remove(self, ids: Sequence[int]) -> None:
        """Forget these products."""
        for product_id in ids:
            row = self._row.pop(product_id, None)
            if row is not None:
                self._ids[row] = -1
                self._free.append(row)

    def graph_update(self, ids: Sequence[int], vectors: Vectors, removed: Sequence[int]) -> None:
        """Apply changes to the graph, if there is one (blocking: run it in a thread)."""
        with self._graph_lock:
            graph = self._graph
            if graph is None:
                if self._building:
                    self._missed.update(ids)
                    self._missed.update(removed)
                return
            keys = np.asarray([*ids, *removed], dtype=np.uint64)
            if len(keys):
                present = keys[np.asarray(graph.contains(keys), dtype=bool)]
                if len(present):
                    graph.remove(present)
            if len(ids):
                graph.add(np.asarray(ids, dtype=np.uint64), vectors, threads=1)
            self.graph_changes += len(keys)

    def build_graph(self, threads: int = 1) -> bool:
        """Build the graph when the index is large enough; tell whether it did (blocking)."""
        if self._graph is not None or len(self) < self._graph_from or not graph_available():
            return False
        from usearch.index import Index

        started = time.perf_counter()
        self._begin()
        ids, rows = self._snapshot()
        graph = Index(ndim=DIMENSIONS, **GRAPH_OPTIONS)
        graph.add(ids.astype(np.uint64), rows, threads=threads)
        self._install(graph)
        logger.info(
            "vector graph of %d products built in %.1f s", len(ids), time.perf_counter() - started
        )
        return True

    def adopt_graph(self, graph: Any, threads: int = 1) -> bool:
        """Take a saved graph if it mostly holds these rows, bringing it up to date (blocking).

        Its vectors are compared with the rows: products deleted, added or changed since it
        was saved are removed or added again; a graph of other vectors is refused.
        """
        if self._graph is not None or graph.ndim != DIMENSIONS:
            return False
        started = time.perf_counter()
        self._begin()
        try:
            ids = self._live_ids()
            keys = np.asarray(graph.keys, dtype=np.uint64).astype(np.int64)
            common = np.intersect1d(ids, keys)
            changed = self._differing(graph, common)
            if len(changed) > len(common) // 2:
                logger.info("saved vector graph holds other vectors; building it again")
                self._abandon()
                return False
            stale = np.union1d(np.setdiff1d(keys, ids), changed)
            if len(stale):
                graph.remove(stale.astype(np.uint64))
            added = np.union1d(np.setdiff1d(ids, keys), changed)
            if len(added):
                graph.add(added.astype(np.uint64), self._rows_of(added.tolist()), threads=threads)
        except BaseException:
            self._abandon()
            raise
        self._install(graph)
        logger.info(
            "vector graph of %d products loaded in %.1f s (%d removed, %d added since saved)",
            len(ids),
            time.perf_counter() - started,
            len(stale),
            len(added),
        )
        return True

    def save_graph(self, save: Callable[[Any], None]) -> bool:
        """Hand the graph to save while no change is applied to it; tell whether there was one."""
        with self._graph_lock:
            if self._graph is None:
                return False
            save(self._graph)
            self.graph_changes = 0
            return True

    def _begin(self) -> None:
        with self._graph_lock:
            self._building = True
            self._missed = set()

    def _abandon(self) -> None:
        with self._graph_lock:
            self._building = False
            self._missed = set()

    def _install(self, graph: Any) -> None:
        with self._graph_lock:
            self._graph, self._building = graph, False
            missed, self._missed = sorted(self._missed), set()
            self.graph_changes = 0
        # Products changed while it was built: their rows now, or gone.
        held = [product_id for product_id in missed if product_id in self._row]
        gone = [product_id for product_id in missed if product_id not in self._row]
        self.graph_update(held, self._rows_of(held), gone)

    def _differing(
        self, graph: Any, ids: np.ndarray[Any, np.dtype[np.int64]]
    ) -> np.ndarray[Any, np.dtype[np.int64]]:
        """Return the ids whose vector in the graph is not their row's (int8 copies allowed)."""
        differing = []
        for start in range(0, len(ids), _EXACT_CHUNK):
            chunk = ids[start : start + _EXACT_CHUNK]
            stored = np.vstack(graph.get(chunk.astype(np.uint64), dtype=np.float32))
            rows = self._rows_of(chunk.tolist())
            dots = np.sum(stored * rows, axis=1)
            norms = np.linalg.norm(stored, axis=1) * np.linalg.norm(rows, axis=1)
            differing.append(chunk[dots < _SAME_COSINE * np.maximum(norms, 1e-12)])
        return np.concatenate(differing) if differing else ids[:0]

    def nearest(self, query: Vectors, k: int, *, exact: bool = False) -> list[tuple[int, float]]:
        """Return up to k (product id, cosine) pairs, nearest first."""
        if not self._row or k <= 0:
            return []
        graph = self._graph
        if graph is not None and not exact:
            matches = graph.search(query, min(k, len(self)), threads=1)
            keys = [int(key) for key in matches.keys]
            # The graph may still hold a product removed a moment ago.
            return [
                (key, 1.0 - float(distance))
                for key, distance in zip(keys, matches.distances, strict=True)
                if key in self._row
            ]
        ids, scores = self._exact_scores(query)
        k = min(k, len(ids))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.lexsort((ids[best], -scores[best]))]
        return [(int(ids[i]), float(scores[i])) for i in best]

    def cosines(self, query: Vectors, ids: Sequence[int]) -> dict[int, float]:
        """Return the cosine to query of those products the index holds."""
        held = [product_id for product_id in ids if product_id in self._row]
        if not held:
            return {}
        scores = self._rows_of(held) @ query
        return {product_id: float(score) for product_id, score in zip(held, scores, strict=True)}

    def holds(self, product_id: int, stored: bytes) -> bool:
        """Tell whether the index holds exactly this stored (float16) vector for the product."""
        row = self._row.get(product_id)
        return row is not None and self._matrix[row].tobytes() == stored

    def vector(self, product_id: int) -> Vectors | None:
        """Return a product's vector, None when not held."""
        row = self._row.get(product_id)
        return None if row is None else self._matrix[row].astype(np.float32)

    def _rows_of(self, ids: Sequence[int]) -> Vectors:
        return self._matrix[[self._row[product_id] for product_id in ids]].astype(np.float32)

    def _live_rows(self) -> np.ndarray[Any, np.dtype[np.intp]]:
        """Return the positions of the rows that hold a product."""
        return np.flatnonzero(self._ids[: self._used] >= 0)

    def _live_ids(self) -> np.ndarray[Any, np.dtype[np.int64]]:
        ids: np.ndarray[Any, np.dtype[np.int64]] = self._ids[self._live_rows()]
        return ids

    def _snapshot(self) -> tuple[np.ndarray[Any, np.dtype[np.int64]], Vectors]:
        live = self._live_rows()
        return self._ids[live].copy(), self._matrix[live].astype(np.float32)

    def _exact_scores(self, query: Vectors) -> tuple[np.ndarray[Any, np.dtype[np.int64]], Vectors]:
        used = self._used
        parts = [
            self._matrix[start : min(used, start + _EXACT_CHUNK)].astype(np.float32) @ query
            for start in range(0, used, _EXACT_CHUNK)
        ]
        scores = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
        live = np.flatnonzero(self._ids[:used] >= 0)
        return self._ids[live], scores[live]

    def _new_row(self) -> int:
        if self._used == len(self._ids):
            grown = len(self._ids) * 2
            matrix = np.zeros((grown, DIMENSIONS), dtype=np.float16)
            matrix[: self._used] = self._matrix[: self._used]
            ids = np.full(grown, -1, dtype=np.int64)
            ids[: self._used] = self._ids[: self._used]
            self._matrix, self._ids = matrix, ids
        self._used += 1
        return self._used - 1
