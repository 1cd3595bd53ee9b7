"""Facets: counts of a match set by category, tag, status, price, brand, option, attribute."""

from catalog_api.facets.schemas import Facets, PriceBand
from catalog_api.facets.service import DEFAULT_FACET_LIMIT, FacetService

__all__ = ["DEFAULT_FACET_LIMIT", "FacetService", "Facets", "PriceBand"]
