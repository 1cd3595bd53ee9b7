"""Variants and options of products: each sellable version with its own SKU, price and stock."""
