"""The vector graph saved beside its database, so a restart loads it instead of rebuilding it.

Building the graph of 1M products takes minutes on two cores; loading a saved one and
comparing its vectors with the stored ones takes seconds. A small JSON manifest names the
current graph file and how it was made; it is replaced atomically once its graph file is
complete, so a reader (another worker process, or a restart after a crash) never meets a
half-written graph.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL

from catalog_api.semantic.embedder import DIMENSIONS, MODEL_NAME

logger = logging.getLogger(__name__)

_FORMAT = 1


@dataclass(frozen=True)
class GraphFile:
    """Where one database's graph is saved: a manifest and the graph files it names."""

    manifest: Path

    def save(self, graph: Any, options: dict[str, Any]) -> None:
        """Write the graph to a new file, then point the manifest at it (blocking)."""
        folder = self.manifest.parent
        name = f"{self.manifest.stem}-{secrets.token_hex(6)}.usearch"
        graph.save(str(folder / name))
        record = {
            "format": _FORMAT,
            "file": name,
            "model": MODEL_NAME,
            "dimensions": DIMENSIONS,
            "options": options,
            "size": len(graph),
        }
        scratch = folder / f"{name}.json"
        scratch.write_text(json.dumps(record), encoding="utf-8")
        os.replace(scratch, self.manifest)
        self._remove_older(keep=name)

    def load(self, options: dict[str, Any]) -> Any | None:
        """Read the saved graph; None when there is none or it was made otherwise (blocking)."""
        try:
            record = json.loads(self.manifest.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            logger.warning("unreadable vector graph manifest %s; rebuilding", self.manifest)
            return None
        expected = (_FORMAT, MODEL_NAME, DIMENSIONS, options)
        found = tuple(record.get(key) for key in ("format", "model", "dimensions", "options"))
        if found != expected:
            logger.info("saved vector graph %s was made otherwise; rebuilding", self.manifest)
            return None
        from usearch.index import Index

        path = self.manifest.parent / str(record["file"])
        try:
            graph = Index(ndim=DIMENSIONS, **options)
            graph.load(str(path))
        except (OSError, RuntimeError, ValueError):
            logger.warning("could not load the saved vector graph %s; rebuilding", path)
            return None
        return graph

    def _remove_older(self, keep: str) -> None:
        # Best effort: another process may still be reading one (Windows refuses then).
        for path in self.manifest.parent.glob(f"{self.manifest.stem}-*.usearch*"):
            if path.name != keep:
                with contextlib.suppress(OSError):
                    path.unlink()


def graph_file_for(url: URL, folder: Path | None) -> GraphFile | None:
    """Return where the graph of this database is saved; None where it is not saved.

    A SQLite file's graph lies beside it; another database's only in a folder given.
    """
    database = url.database or ""
    if url.get_backend_name() == "sqlite":
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        path = Path(database).resolve()
        return GraphFile((folder or path.parent) / f"{path.name}.vectors.json")
    if folder is None:
        return None
    label = f"{url.host or 'local'}-{url.port or ''}-{database}".replace(os.sep, "_")
    return GraphFile(folder / f"{label}.vectors.json")
