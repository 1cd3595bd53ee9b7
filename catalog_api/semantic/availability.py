"""Whether semantic search can run here, and the running parts each database has."""

from __future__ import annotations

import importlib.util
import weakref
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine

from catalog_api.errors import InvalidInputError

if TYPE_CHECKING:
    from catalog_api.semantic.runtime import SemanticRuntime

MODEL_PACKAGE = "wordllama"
INSTALL = "pip install 'catalog-mcp[semantic]'"
EMBED = "catalog-api embed"


class SemanticUnavailableError(InvalidInputError):
    """mode=semantic or hybrid, or similar products, where semantic search is not set up."""

    code = "semantic-unavailable"
    title = "Semantic search is not available"


def installed() -> bool:
    """Tell whether the model's package (the `semantic` extra) is importable."""
    return importlib.util.find_spec(MODEL_PACKAGE) is not None


def unavailable(field: str) -> SemanticUnavailableError:
    """Return the error saying what is missing and how to enable semantic search."""
    if not installed():
        detail = (
            f"Semantic search needs the semantic extra: {INSTALL}, then `{EMBED}` once and "
            "restart the API. Use mode=lexical meanwhile."
        )
    else:
        detail = (
            f"Semantic search is off on this server: run `{EMBED}` once (or set "
            "CATALOG_SEMANTIC=true) and restart the API. Use mode=lexical meanwhile."
        )
    return SemanticUnavailableError(detail, field=field)


class Runtimes:
    """The semantic runtime serving each engine (primary and read replica share one)."""

    def __init__(self) -> None:
        self._by_engine: weakref.WeakKeyDictionary[AsyncEngine, SemanticRuntime] = (
            weakref.WeakKeyDictionary()
        )

    def register(self, engine: AsyncEngine, runtime: SemanticRuntime) -> None:
        """Serve the engine's semantic queries with runtime."""
        self._by_engine[engine] = runtime

    def forget(self, engine: AsyncEngine) -> None:
        """Stop serving the engine."""
        self._by_engine.pop(engine, None)

    def get(self, engine: AsyncEngine) -> SemanticRuntime | None:
        """Return the engine's runtime, None when semantic search is off for it."""
        return self._by_engine.get(engine)

    def running(self) -> list[SemanticRuntime]:
        """Return every runtime of this process."""
        return list(set(self._by_engine.values()))


RUNTIMES = Runtimes()
