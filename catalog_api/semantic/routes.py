"""GET /api/products/{id}/similar."""

from __future__ import annotations

from fastapi import APIRouter

from catalog_api.deps import ReadAccess, ReadSessionDep
from catalog_api.routes.params import FiltersDep, LimitDep
from catalog_api.routes.products import NOT_FOUND, ProductId
from catalog_api.semantic.service import SimilarProducts, SimilarService

router = APIRouter(prefix="/api/products", tags=["products"], dependencies=[ReadAccess])


@router.get(
    "/{product_id:int}/similar",
    response_model=SimilarProducts,
    responses=NOT_FOUND,
    description="The products nearest this one in meaning (title, brand, tags, option "
    "values), with the same filters as search. Needs the semantic extra and `catalog-api "
    "embed` (else 422).",
)
async def similar_products(
    session: ReadSessionDep,
    product_id: ProductId,
    filters: FiltersDep,
    limit: LimitDep,
) -> SimilarProducts:
    """More like this: the nearest products by meaning."""
    return await SimilarService(session).similar(product_id, filters, limit)
