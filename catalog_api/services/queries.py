"""Read-side use cases that need no unit of work: single products by id or slug."""

from __future__ import annotations

from catalog_api.errors import ProductNotFoundError
from catalog_api.repositories.reader import ProductReader
from catalog_api.schemas import ProductOut
from catalog_api.text import slugify


class ProductQueries:
    """Look up single products without opening an ORM session."""

    def __init__(self, reader: ProductReader) -> None:
        self.reader = reader

    async def get(self, product_id: int) -> ProductOut:
        """Return a product by id."""
        product = await self.reader.get(product_id)
        if product is None:
            raise ProductNotFoundError(f"No product has id {product_id}.")
        return product

    async def get_by_slug(self, slug: str) -> ProductOut:
        """Return a product by slug (normalised the way slugs are stored)."""
        normalised = slugify(slug)
        product = await self.reader.get_by_slug(normalised) if normalised else None
        if product is None:
            raise ProductNotFoundError(f"No product has slug '{normalised or slug[:120]}'.")
        return product
