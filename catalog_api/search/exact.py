"""A query that is a whole SKU: the products holding it rank first."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from catalog_api.search.query import ReadQuery
from catalog_api.search.ranking import Scored
from catalog_api.text import clean_line
from catalog_api.variants.models import SKU_MAX_LENGTH, SKU_PATTERN

_SKU = re.compile(SKU_PATTERN)


def sku_of(words: str) -> str | None:
    """Return the query as a SKU to look up, None when it cannot be one (spaces, too long).

    A query of letters alone is a word, not a SKU: a simple product's default SKU is its slug,
    which keeps an old title ('hose') after a rename and would pull the product first.
    """
    query = clean_line(words)
    if len(query) > SKU_MAX_LENGTH or not _SKU.match(query) or query.isalpha():
        return None
    return query


def exact_first(ranked: Sequence[Scored], exact: Sequence[Scored], read: ReadQuery) -> list[Scored]:
    """Put the products found by SKU first, in the given order, above every ranked score.

    They count as matching every word, so a sort by another field keeps them and the
    interpretation reports no word missing.
    """
    if not exact:
        return list(ranked)
    top = max((item.score for item in ranked), default=0.0)
    words = frozenset(cover for concept in read.concepts for cover in concept.covers)
    first = [
        replace(item, score=top + len(exact) - position, coverage=1.0, matched=words)
        for position, item in enumerate(exact)
    ]
    found = {item.candidate.id for item in exact}
    return first + [item for item in ranked if item.candidate.id not in found]
