"""Benchmark suite of the catalog API and MCP server: run it with ``python -m bench.run``."""
