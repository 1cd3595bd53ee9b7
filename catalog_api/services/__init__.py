"""Business rules: each public service method is one unit of work."""

from catalog_api.services.products import ListQuery, ProductService, SearchQuery

__all__ = ["ListQuery", "ProductService", "SearchQuery"]
