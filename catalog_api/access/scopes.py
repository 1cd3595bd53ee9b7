"""Scopes a key can hold, and what each one implies."""

from __future__ import annotations

import enum
from collections.abc import Iterable


class Scope(enum.StrEnum):
    """One kind of access."""

    READ = "read"
    WRITE = "write"
    DESCRIBE = "describe"
    ADMIN = "admin"


ALL_SCOPES = frozenset(Scope)
# A key that may change or describe products may also read them; admin may do everything.
_IMPLIED = {
    Scope.READ: frozenset({Scope.READ}),
    Scope.WRITE: frozenset({Scope.READ, Scope.WRITE}),
    Scope.DESCRIBE: frozenset({Scope.READ, Scope.DESCRIBE}),
    Scope.ADMIN: ALL_SCOPES,
}


def granted(scopes: Iterable[Scope]) -> frozenset[Scope]:
    """Return every scope the given ones allow."""
    allowed: set[Scope] = set()
    for scope in scopes:
        allowed |= _IMPLIED[scope]
    return frozenset(allowed)


def parse_scopes(text: str) -> frozenset[Scope]:
    """Read scopes stored as space-separated names."""
    return frozenset(Scope(name) for name in text.split())


def format_scopes(scopes: Iterable[Scope]) -> str:
    """Store scopes as space-separated names in a fixed order."""
    chosen = set(scopes)
    return " ".join(scope.value for scope in Scope if scope in chosen)
