"""History routes: a product's changes, the feed of every change, and undo."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from catalog_api.deps import ReadAccess, SessionDep, WriteAccess, WriteLimit
from catalog_api.history.models import ACTOR_MAX, ACTOR_PATTERN
from catalog_api.history.revert import RevertService
from catalog_api.history.schemas import ChangePage, RevertResult
from catalog_api.history.service import HistoryService
from catalog_api.routes.params import LimitDep
from catalog_api.routes.products import INVALID, NOT_FOUND, WRITE, ProductId, problem

router = APIRouter(tags=["history"], dependencies=[ReadAccess])


async def get_history_service(session: SessionDep) -> HistoryService:
    """Return the history service bound to the request's session."""
    return HistoryService(session)


HistoryServiceDep = Annotated[HistoryService, Depends(get_history_service)]


async def get_revert_service(session: SessionDep) -> RevertService:
    """Return the revert service bound to the request's session."""
    return RevertService(session)


RevertServiceDep = Annotated[RevertService, Depends(get_revert_service)]


@router.get(
    "/api/products/{product_id:int}/history", response_model=ChangePage, responses=NOT_FOUND
)
async def product_history(
    service: HistoryServiceDep,
    product_id: ProductId,
    limit: LimitDep,
    cursor: Annotated[
        str | None, Query(max_length=200, description="next_cursor of the previous page.")
    ] = None,
) -> ChangePage:
    """List a product's changes, newest first: who, when, and each field's old and new value.

    A deleted product's history stays readable.
    """
    return await service.product_history(product_id, limit=limit, cursor=cursor)


@router.get("/api/changes", response_model=ChangePage, responses=INVALID)
async def list_changes(
    service: HistoryServiceDep,
    limit: LimitDep,
    since: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Where to start: next_cursor of the previous page (every change after "
            "it, each exactly once, even while writes go on), or an ISO 8601 time with its "
            "offset (changes recorded from then on). Omitted: from the oldest change kept.",
        ),
    ] = None,
    actor: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=ACTOR_MAX,
            pattern=ACTOR_PATTERN,
            description="Only changes made by this key (its name), or by cli:<command>.",
        ),
    ] = None,
) -> ChangePage:
    """Follow every change of the catalog, oldest first, a page at a time.

    Keep next_cursor and pass it as `since` next time: it is set on the last page too.
    """
    return await service.feed(since=since, actor=actor, limit=limit)


@router.post(
    "/api/changes/{change_id}/revert",
    response_model=RevertResult,
    dependencies=[WriteAccess, WriteLimit],
    responses={
        **WRITE,
        404: problem("Unknown (or purged) change"),
        409: problem(
            "A later change touched the same fields (`conflicts` lists them; force=true "
            "reverts anyway), or the product's slug or a SKU is taken, or it is already gone"
        ),
    },
)
async def revert_change(
    service: RevertServiceDep,
    change_id: Annotated[int, Path(ge=1, le=2**31 - 1, description="The change to undo.")],
    force: Annotated[
        bool, Query(description="Revert even when later changes touched the same fields.")
    ] = False,
) -> RevertResult:
    """Undo a change, recorded as a new change (action revert).

    An update, stock change or saved copy: the fields it touched get their old values back.
    A create: the product is deleted. A delete: the product comes back with its id, fields
    and variants. Refused with 409 when a later change touched the same fields, unless force.
    """
    return await service.revert(change_id, force=force)
