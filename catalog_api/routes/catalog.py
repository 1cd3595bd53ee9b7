"""Catalog-wide routes: categories and health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from catalog_api.deps import HealthServiceDep, ReadAccess, ReadProductServiceDep
from catalog_api.routes.params import FiltersDep, StatusFilter
from catalog_api.routes.products import INVALID
from catalog_api.schemas import CategoryList, CurrencyList, Health

router = APIRouter(prefix="/api")


@router.get(
    "/categories",
    response_model=CategoryList,
    tags=["catalog"],
    responses=INVALID,
    dependencies=[ReadAccess],
)
async def list_categories(
    service: ReadProductServiceDep,
    status: Annotated[
        StatusFilter | None,
        Query(description="Count only products with this status; any (or omitted): all."),
    ] = None,
) -> CategoryList:
    """List categories with their product counts, by name."""
    return await service.categories(None if status is None else status.product_status)


@router.get(
    "/currencies",
    response_model=CurrencyList,
    tags=["catalog"],
    responses=INVALID,
    dependencies=[ReadAccess],
)
async def list_currencies(
    service: ReadProductServiceDep,
    filters: FiltersDep,
    counts: Annotated[
        bool,
        Query(
            description="Count the products of each currency (reads every match); false: "
            "the codes alone, from the index."
        ),
    ] = True,
) -> CurrencyList:
    """List the currencies of the products that pass the filters, with counts."""
    return await service.currencies(filters, counts=counts)


@router.get("/healthz", response_model=Health, tags=["health"])
async def healthz(service: HealthServiceDep) -> Health:
    """Report that the API runs and reaches its database."""
    return await service.check()
