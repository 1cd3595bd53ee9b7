"""Change history as the API shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from catalog_api.history.models import ChangeAction
from catalog_api.schemas import ProductOut


class ChangeOut(BaseModel):
    """One recorded change to one product."""

    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="The change's id; POST /api/changes/{id}/revert undoes it.")
    product_id: int = Field(description="The product changed (it may since have been deleted).")
    action: ChangeAction = Field(
        description="create, update, delete, stock (only stock moved), describe (AI copy "
        "saved), revert (an undo) or import."
    )
    actor: str = Field(
        description="Who made it: the API key's name, CATALOG_API_KEY, 'cli:<command>', or "
        "'anonymous' (a catalog without keys)."
    )
    request_id: str | None = Field(description="The X-Request-ID of the request that made it.")
    at: datetime = Field(description="When it was recorded (UTC).")
    changes: dict[str, list[Any]] = Field(
        description="Each changed field as [old, new]. A variant's field is "
        "'variants.<sku>.<field>'; a variant added or removed is 'variants.<sku>' with null "
        "on the missing side. A create has null old values, a delete null new values."
    )
    reverts: int | None = Field(description="For a revert: the id of the change it undid.")


class ChangePage(BaseModel):
    """One page of changes."""

    items: list[ChangeOut] = Field(description="The changes of this page.")
    next_cursor: str | None = Field(
        description="Pass back (as `cursor`, or as `since` on the feed) for the next page. On "
        "the feed it is set even on the last page: a sync job keeps it and asks again later."
    )
    has_more: bool = Field(description="Whether more changes follow right now.")


class RevertResult(BaseModel):
    """What a revert did: the change it recorded, and the product as it is now."""

    change: ChangeOut = Field(description="The new change (action revert) that undid it.")
    product: ProductOut | None = Field(
        description="The product after the revert; null when the revert deleted it."
    )
