"""Who is changing the catalog: the request's key, a CLI command, or nobody known."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy.orm import Session

from catalog_api.history.models import ACTOR_MAX

ANONYMOUS = "anonymous"
# session.info keys: the request a session serves, and what kind of change it is making.
REQUEST_INFO = "catalog_history_request"
ACTION_INFO = "catalog_history_action"
REVERTS_INFO = "catalog_history_reverts"

_ACTOR: ContextVar[str | None] = ContextVar("catalog_history_actor", default=None)


@contextmanager
def acting_as(actor: str) -> Iterator[None]:
    """Record the block's changes under actor (for CLI commands: "cli:<command>")."""
    token = _ACTOR.set(actor[:ACTOR_MAX])
    try:
        yield
    finally:
        _ACTOR.reset(token)


def serve_request(session: Session, request: Any) -> None:
    """Tie a session to the HTTP request it serves: its caller and request id go in history."""
    session.info[REQUEST_INFO] = request


def mark_action(session: Session, action: str, *, reverts: int | None = None) -> None:
    """Record the session's current transaction's changes as action (describe, import, ...)."""
    session.info[ACTION_INFO] = action
    if reverts is not None:
        session.info[REVERTS_INFO] = reverts


def actor_of(session: Session) -> tuple[str, str | None]:
    """Return the name changes of this session are recorded under, and the request id."""
    request = session.info.get(REQUEST_INFO)
    if request is not None:
        caller = getattr(request.state, "caller", None)
        name = getattr(caller, "name", None) or ANONYMOUS
        return name, getattr(request.state, "request_id", None)
    return _ACTOR.get() or ANONYMOUS, None
