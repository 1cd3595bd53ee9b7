"""Variant routes: read one by SKU, change one's price or stock."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response

from catalog_api.deps import ReadAccess, SessionDep, WriteAccess, WriteLimit
from catalog_api.errors import PROBLEM_JSON
from catalog_api.routes.products import CONFLICT, WRITE, IfMatchDep, ProductId
from catalog_api.schemas import Problem
from catalog_api.variants.models import SKU_MAX_LENGTH
from catalog_api.variants.schemas import VariantDetail, VariantPatch
from catalog_api.variants.service import VariantService


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {PROBLEM_JSON: {}}}


UNKNOWN_SKU: dict[int | str, dict[str, Any]] = {
    404: _problem("No variant (of this product) has the SKU"),
    422: _problem("Invalid input: `errors` names each field and why"),
}
SkuPath = Annotated[
    str, Path(min_length=1, max_length=SKU_MAX_LENGTH, description="The variant's SKU.")
]

# Reading a variant is a read; with CATALOG_READS_NEED_KEY that takes a key.
router = APIRouter(tags=["variants"], dependencies=[ReadAccess])


async def get_variant_service(session: SessionDep) -> VariantService:
    """Return the variant service bound to the request's session."""
    return VariantService(session)


VariantServiceDep = Annotated[VariantService, Depends(get_variant_service)]


def _variant_response(variant: VariantDetail) -> Response:
    return Response(
        variant.model_dump_json(),
        media_type="application/json",
        headers={"ETag": variant.etag},
    )


@router.get("/api/variants/{sku}", response_model=VariantDetail, responses=UNKNOWN_SKU)
async def get_variant(service: VariantServiceDep, sku: SkuPath) -> Response:
    """Get a variant by its SKU, with its product's id, slug, title and currency."""
    return _variant_response(await service.get(sku))


@router.patch(
    "/api/products/{product_id:int}/variants/{sku}",
    response_model=VariantDetail,
    dependencies=[WriteAccess, WriteLimit],
    responses={**WRITE, **UNKNOWN_SKU, **CONFLICT},
)
async def update_variant(
    service: VariantServiceDep,
    product_id: ProductId,
    sku: SkuPath,
    body: VariantPatch,
    match: IfMatchDep,
) -> Response:
    """Change one variant's price or stock; the product's lowest price and total stock follow.

    If-Match takes the variant's ETag (from GET /api/variants/{sku} or a previous PATCH), so a
    stock feed checks only the variant it changes. The product's version goes up too.
    """
    return _variant_response(await service.update(product_id, sku, body, if_match=match))
