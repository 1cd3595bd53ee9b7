"""GET /api/access: what the caller's key (or no key) may do here."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from catalog_api.access.scopes import Scope
from catalog_api.deps import current_caller

router = APIRouter(prefix="/api", tags=["access"])


class Access(BaseModel):
    """The caller as the catalog sees it."""

    key: str | None = Field(description="The name of the key sent; null without one.")
    scopes: list[Scope] = Field(description="What the caller may do: read, write, describe, admin.")
    reads_need_key: bool = Field(description="Whether reads need a key on this catalog.")


@router.get("/access", response_model=Access)
async def access(request: Request) -> Access:
    """Tell the caller which key it sent and which scopes that gives it (for clients such as
    the MCP server, which offers only the tools its key may use)."""
    caller = await current_caller(request)
    return Access(
        key=caller.name,
        scopes=[scope for scope in Scope if scope in caller.scopes],
        reads_need_key=request.app.state.settings.reads_need_key,
    )
