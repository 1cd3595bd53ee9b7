"""Catalog API: an async FastAPI product catalog on SQLite or PostgreSQL."""

__version__ = "0.1.0"
