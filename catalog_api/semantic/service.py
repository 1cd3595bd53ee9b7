"""Similar products: the nearest others to a product, with the request's filters."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_api.errors import ProductNotFoundError
from catalog_api.repositories import ProductFilters, ProductRepository
from catalog_api.schemas import ProductOut
from catalog_api.search.repository import SearchRepository
from catalog_api.semantic.search import nearest_passing, runtime_of


class SimilarProducts(BaseModel):
    """The products nearest one product in meaning, nearest first."""

    product_id: int = Field(description="The product they are similar to.")
    items: list[ProductOut] = Field(description="Nearest first; the product itself left out.")
    similarity: list[float] = Field(description="Cosine of each item to the product (-1 to 1).")


class SimilarService:
    """Use case: more like this."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.products = ProductRepository(session)

    async def similar(
        self, product_id: int, filters: ProductFilters, limit: int
    ) -> SimilarProducts:
        """Return up to limit products nearest this one that pass the filters."""
        runtime = runtime_of(self.session, "product_id")
        product = await self.products.get(product_id)
        if product is None:
            raise ProductNotFoundError(f"No product has id {product_id}.")
        vector = await runtime.vector(self.session, product_id)
        if vector is None:  # not embedded yet: its text is embedded now
            from catalog_api.semantic.embedder import embedded_text

            text = embedded_text(product.title, product.brand, product.tags, product.options)
            vector = await runtime.query_vector(text)
        plan = await self.products.match_plan(filters)
        filtered = (
            None
            if filters == ProductFilters()
            else lambda stmt: self.products.filtered(stmt, filters, plan=plan)
        )
        repository = SearchRepository(self.session, filtered)
        nearest = await nearest_passing(runtime, repository, vector, limit, exclude={product_id})
        found = {p.id: p for p in await self.products.by_ids([p for p, _ in nearest])}
        kept = [(found[p], cosine) for p, cosine in nearest if p in found]
        return SimilarProducts(
            product_id=product_id,
            items=[ProductOut.model_validate(p) for p, _ in kept],
            similarity=[round(cosine, 4) for _, cosine in kept],
        )
