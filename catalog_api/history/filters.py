"""Filters over products that read their change history."""

from __future__ import annotations

from sqlalchemy import Select, select

from catalog_api.history.models import ChangeAction, ProductChange


def created_by(actor: str) -> Select[int]:
    """Return a select of the ids of the products actor created."""
    return select(ProductChange.product_id).where(
        ProductChange.actor == actor, ProductChange.action == ChangeAction.CREATE.value
    )
