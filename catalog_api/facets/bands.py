"""Price bands with round edges near the quantiles of the matched prices."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable
from itertools import accumulate

from catalog_api.facets.schemas import PRICE_BANDS, PRICE_CURRENCIES, PriceBand


def nice_step(limit: int) -> int:
    """Return the largest of 1, 2, 5, 10, 20, 25, 50, 100, ... not above limit (at least 1)."""
    if limit < 2:
        return 1
    magnitude = int(10 ** (len(str(limit)) - 1))
    # 2.5 x 10^k only from 25 up: the edges stay whole minor units.
    candidates = (5 * magnitude, 25 * magnitude // 10, 2 * magnitude, magnitude)
    return next(step for step in candidates if step <= limit)


def _round_edges(quantiles: list[int]) -> list[int]:
    """Round each inner quantile to a multiple of a nice step under half its narrowest gap."""
    edges: list[int] = []
    for k in range(1, len(quantiles) - 1):
        gap = min(quantiles[k] - quantiles[k - 1], quantiles[k + 1] - quantiles[k])
        step = nice_step(gap // 2)
        edge = (quantiles[k] + step // 2) // step * step
        if quantiles[0] < edge <= quantiles[-1] and (not edges or edge > edges[-1]):
            edges.append(edge)
    return edges


def currency_bands(currency: str, histogram: list[tuple[int, int]], bands: int) -> list[PriceBand]:
    """Split one currency's (price, count) pairs, sorted by price, into up to bands bands."""
    prices = [price for price, _ in histogram]
    cumulative = list(accumulate(count for _, count in histogram))
    total = cumulative[-1]

    def at_rank(rank: int) -> int:
        """Return the price of the rank-th cheapest product (0-based)."""
        return prices[bisect_right(cumulative, rank)]

    quantiles = [prices[0], *(at_rank(k * total // bands) for k in range(1, bands)), prices[-1]]
    starts = [prices[0], *_round_edges(quantiles)]
    ends = [start - 1 for start in starts[1:]] + [prices[-1]]
    result: list[PriceBand] = []
    for start, end in zip(starts, ends, strict=True):
        below = cumulative[bisect_left(prices, start) - 1] if start > prices[0] else 0
        count = cumulative[bisect_right(prices, end) - 1] - below
        if count:
            result.append(PriceBand(currency=currency, min=start, max=end, count=count))
    return result


def price_bands(
    rows: Iterable[tuple[str, int, int]],
    *,
    bands: int = PRICE_BANDS,
    currencies: int = PRICE_CURRENCIES,
) -> list[PriceBand]:
    """Return the bands of the commonest currencies from (currency, price, count) rows."""
    by_currency: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for currency, price, count in rows:
        by_currency[currency][price] += count
    commonest = sorted(by_currency, key=lambda c: (-sum(by_currency[c].values()), c))
    return [
        band
        for currency in commonest[:currencies]
        for band in currency_bands(currency, sorted(by_currency[currency].items()), bands)
    ]
