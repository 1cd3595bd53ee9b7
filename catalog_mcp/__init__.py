"""MCP server exposing the product catalog to AI agents."""

__version__ = "0.1.0"
