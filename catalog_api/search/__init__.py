"""Product search: analysis, the catalog's vocabulary, bounded retrieval and ranking."""
