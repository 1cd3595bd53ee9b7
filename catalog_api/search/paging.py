"""Ordering and keyset paging of ranked search results."""

from __future__ import annotations

from typing import Any

from catalog_api.repositories import KeysetPosition
from catalog_api.search.ranking import Scored

_BEST = 1e-9  # coverage within this of the best counts as the best


def sort_value(item: Scored, sort: str) -> Any:
    """Return the value a result is ordered by under a sort."""
    return item.score if sort == "relevance" else item.candidate.sort_value


def ranked_for_sort(ranked: list[Scored], sort: str, *, descending: bool) -> list[Scored]:
    """Order results: by relevance, or by a field among those matching the most of the query."""
    if sort == "relevance":
        return ranked if descending else ranked[::-1]
    if not ranked:
        return ranked
    best = max(item.coverage for item in ranked)
    kept = [item for item in ranked if item.coverage >= best - _BEST]
    kept.sort(key=lambda item: item.candidate.id, reverse=descending)
    kept.sort(key=lambda item: sort_value(item, sort), reverse=descending)
    return kept


def page_after(
    ranked: list[Scored], sort: str, descending: bool, after: KeysetPosition | None, limit: int
) -> list[Scored]:
    """Return up to limit results after a keyset position (value, id) in the given order."""
    if after is None:
        return ranked[:limit]
    sign = -1 if descending else 1
    for index, item in enumerate(ranked):
        value = sort_value(item, sort)
        if sort == "relevance" and descending:
            # Best first means score descending, then id ascending (as rank() orders ties).
            beyond = value < after.value or (value == after.value and item.candidate.id > after.id)
        elif sort == "relevance":
            beyond = value > after.value or (value == after.value and item.candidate.id < after.id)
        else:
            beyond = (
                (value, item.candidate.id) > (after.value, after.id)
                if sign > 0
                else ((value, item.candidate.id) < (after.value, after.id))
            )
        if beyond:
            return ranked[index : index + limit]
    return []
