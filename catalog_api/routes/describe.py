"""AI product copy routes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from catalog_api.access.scopes import Scope
from catalog_api.deps import DescribeAccess, DescribeServiceDep, check_scope, describe_rate_limit
from catalog_api.routes.products import CONFLICT, NOT_FOUND, WRITE, ProductId, problem
from catalog_api.schemas import DescribeRequest, DescribeResult

router = APIRouter(prefix="/api", tags=["ai copy"])

LIMITED: dict[int | str, dict[str, Any]] = {
    429: problem("Too many describe requests from this client; see Retry-After"),
    503: problem("No copy provider answered (only when offline is left out)"),
}


@router.post(
    "/products/{product_id}/describe",
    response_model=DescribeResult,
    dependencies=[DescribeAccess, Depends(describe_rate_limit)],
    responses={**WRITE, **NOT_FOUND, **CONFLICT, **LIMITED},
)
async def describe_product(
    request: Request,
    service: DescribeServiceDep,
    product_id: ProductId,
    save: Annotated[
        bool, Query(description="Write the description and keywords to the product.")
    ] = False,
) -> DescribeResult:
    """Generate a description and SEO keywords for a stored product; saving also needs `write`."""
    if save:
        await check_scope(request, Scope.WRITE)
    return await service.describe_product(product_id, save=save)


@router.post(
    "/describe",
    response_model=DescribeResult,
    dependencies=[DescribeAccess, Depends(describe_rate_limit)],
    responses={**WRITE, **LIMITED},
)
async def preview_description(service: DescribeServiceDep, body: DescribeRequest) -> DescribeResult:
    """Preview a description and SEO keywords for a product not yet created."""
    return await service.preview(body)
