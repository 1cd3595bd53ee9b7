"""Facets of a match set, for list and search."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_api.facets.bands import price_bands
from catalog_api.facets.repository import FacetRepository
from catalog_api.facets.schemas import TOP_VALUES, Facets

DEFAULT_FACET_LIMIT = 10_000


def _top(counts: Counter[str], n: int) -> dict[str, int]:
    """Return the n largest counts, largest first, ties by name."""
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n])


def _nested(rows: Sequence[tuple[str, str, int, int]]) -> dict[str, dict[str, int]]:
    """Return name -> value -> count from (name, value, name's rank, count) rows, in rank order."""
    nested: dict[str, dict[str, int]] = {}
    for name, value, _, n in sorted(rows, key=lambda row: (row[2], -row[3], row[1])):
        nested.setdefault(name, {})[value] = n
    return nested


class FacetService:
    """Count a match set by category, tag, status, price band, brand, option and attribute value.

    At most limit products of it are counted.
    """

    def __init__(self, session: AsyncSession, *, limit: int = DEFAULT_FACET_LIMIT) -> None:
        self.repository = FacetRepository(session)
        self.limit = limit

    async def for_select(self, match: Select[int], *, total: int | None = None) -> Facets:
        """Return the facets of a select of product ids that reads products and has no LIMIT.

        total: the size of the match set when the caller knows it (saves counting it again).
        """
        return await self._count(match, None if total is None else total <= self.limit)

    async def for_ids(self, ids: Sequence[int], *, more_matched: bool = False) -> Facets:
        """Return the facets of these products (the first limit of them, in the given order).

        more_matched: the ids are already a cut of a larger match set (complete is then false).
        """
        complete = len(ids) <= self.limit and not more_matched
        return await self._count(self.repository.among(ids[: self.limit]), complete)

    async def _count(self, match: Select[int], complete: bool | None) -> Facets:
        """Count match; complete None has the statement find out whether the cap was hit."""
        rows = await self.repository.count(
            match, limit=self.limit, top=TOP_VALUES, probe=complete is None
        )
        if complete is None:
            complete = rows.matched is not None and rows.matched <= self.limit
        categories: Counter[str] = Counter()
        statuses: Counter[str] = Counter()
        for category, status, n in rows.category_status:
            categories[category] += n
            statuses[status] += n
        return Facets(
            category=_top(categories, TOP_VALUES),
            tag=_top(Counter(dict(rows.tags)), TOP_VALUES),
            status=_top(statuses, len(statuses)),
            brand=_top(Counter(dict(rows.brands)), TOP_VALUES),
            option=_nested(rows.options),
            attribute=_nested(rows.attributes),
            price=price_bands(rows.prices),
            counted=sum(statuses.values()),
            complete=complete,
        )
