"""Errors of the change history, mapped to HTTP by catalog_api.errors like every DomainError."""

from __future__ import annotations

from catalog_api.errors import ConflictError, NotFoundError


class ChangeNotFoundError(NotFoundError):
    """No change has the id (or it was purged)."""

    code = "change-not-found"
    title = "Change not found"


class RevertConflictError(ConflictError):
    """A later change touched the same fields, or the catalog no longer allows the revert."""

    code = "revert-conflict"
    title = "Cannot revert"
