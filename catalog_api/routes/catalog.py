"""Catalog-wide routes: categories and health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from catalog_api.deps import HealthServiceDep, ProductServiceDep
from catalog_api.models import ProductStatus
from catalog_api.routes.products import INVALID
from catalog_api.schemas import CategoryList, Health

router = APIRouter(prefix="/api")


@router.get("/categories", response_model=CategoryList, tags=["catalog"], responses=INVALID)
async def list_categories(
    service: ProductServiceDep,
    status: Annotated[
        ProductStatus | None, Query(description="Count only products with this status.")
    ] = None,
) -> CategoryList:
    """List categories with their product counts, by name."""
    return await service.categories(status)


@router.get("/healthz", response_model=Health, tags=["health"])
async def healthz(service: HealthServiceDep) -> Health:
    """Report that the API runs and reaches its database."""
    return await service.check()
