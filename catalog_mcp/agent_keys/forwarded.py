"""The API key of the agent whose HTTP request is being served, for that request only."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AgentKey:
    """A catalog API key an agent sent as its bearer token, as GET /api/access described it."""

    token: str
    name: str | None
    scopes: frozenset[str]

    def __repr__(self) -> str:
        return f"AgentKey(name={self.name!r}, scopes={sorted(self.scopes)!r})"


# Set by AgentKeyMiddleware around one HTTP request; tasks started inside it inherit a copy, so
# another agent's concurrent request never sees it. None: the server's own key applies.
forwarded_key: ContextVar[AgentKey | None] = ContextVar("forwarded_key", default=None)
