"""Data access: repositories query, add and flush; they never commit."""

from catalog_api.repositories.products import KeysetPosition, ProductFilters, ProductRepository

__all__ = ["KeysetPosition", "ProductFilters", "ProductRepository"]
