"""Semantic search (issue 15): product embeddings, a vector index, hybrid ranking, similar.

Optional: the model comes with the `semantic` extra. Nothing here imports numpy or the model
at import time, so the base install imports this package and answers a clear 422 instead.
"""
