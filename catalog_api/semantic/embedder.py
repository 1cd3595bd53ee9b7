"""The embedding model (wordllama, shipped in its wheel) and the text embedded per product."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from catalog_api.semantic.availability import INSTALL, MODEL_PACKAGE

logger = logging.getLogger(__name__)

Vectors = NDArray[np.float32]
# Stored with each vector: a vector of another model (or text recipe) is embedded again.
MODEL_NAME = "wordllama-l2supercat-256:t1"
DIMENSIONS = 256

_lock = threading.Lock()
_loaded: Embedder | None = None


def embedded_text(title: str, brand: str | None, tags: Sequence[str], options: Any) -> str:
    """Return what is embedded: the title, brand, tags and option values, in that order."""
    values = [
        str(value)
        for option in options or []
        if isinstance(option, dict)
        for value in option.get("values", [])
    ]
    parts = [title, brand or "", " ".join(tags or []), " ".join(values)]
    return " ".join(part for part in parts if part)


def text_hash(text: str) -> str:
    """Return a short digest of an embedded text."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def unit_rows(matrix: NDArray[np.floating[Any]]) -> Vectors:
    """Return the rows scaled to length 1 (a zero row stays zero)."""
    rows = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    unit: Vectors = np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0)
    return unit


def to_bytes(vector: NDArray[np.floating[Any]]) -> bytes:
    """Return a vector as stored: float16 bytes."""
    return np.asarray(vector, dtype=np.float16).tobytes()


def from_bytes(blobs: Sequence[bytes]) -> Vectors:
    """Return stored vectors as float32 rows."""
    if not blobs:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    joined = np.frombuffer(b"".join(blobs), dtype=np.float16)
    return joined.reshape(len(blobs), DIMENSIONS).astype(np.float32)


class Embedder:
    """WordLlama's 256-d static token embeddings, read from the package's own folder."""

    def __init__(self) -> None:
        try:
            import wordllama
            from wordllama import WordLlama
        except ImportError as error:  # pragma: no cover - the caller checks installed()
            raise RuntimeError(f"{MODEL_PACKAGE} is not installed: {INSTALL}") from error
        # The weights and tokenizer ship in the wheel; as the cache folder they are found
        # there, and disable_download turns a missing file into an error, not a download.
        started = time.perf_counter()
        folder = Path(wordllama.__file__).parent
        self._model = WordLlama.load(cache_dir=folder, disable_download=True)
        logger.info("embedding model loaded in %.2f s", time.perf_counter() - started)

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Return the texts' unit vectors, one row each."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return unit_rows(self._model.embed(list(texts)))


def embedder() -> Embedder:
    """Return the process's model, loading it once (thread-safe; call it off the event loop)."""
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = Embedder()
        return _loaded
