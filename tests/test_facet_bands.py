"""Price bands: round edges near the quantiles, exact counts, one currency per band."""

from __future__ import annotations

import random
from itertools import pairwise

from catalog_api.facets.bands import nice_step, price_bands


def test_nice_steps() -> None:
    assert [nice_step(n) for n in (0, 1, 3, 7, 12, 24, 25, 49, 99, 100, 260, 1500)] == [
        1, 1, 2, 5, 10, 20, 25, 25, 50, 100, 250, 1000,
    ]  # fmt: skip


def test_bands_split_a_skewed_range_at_round_amounts() -> None:
    rng = random.Random(1)
    prices = [int(rng.lognormvariate(8, 1.2)) for _ in range(10_000)]
    bands = price_bands(("USD", price, 1) for price in prices)
    assert [(b.min, b.max) for b in bands] == [
        (min(prices), 999),
        (1000, 1999),
        (2000, 3999),
        (4000, 7999),
        (8000, max(prices)),
    ]
    for band in bands:
        assert band.count == sum(band.min <= p <= band.max for p in prices)
    # Equal-count quantiles, rounded: every band holds 15-25% of the products.
    assert all(1500 <= band.count <= 2500 for band in bands)


def test_a_narrow_range_gets_fine_edges() -> None:
    bands = price_bands(("EUR", price, 1) for price in range(1000, 1101))
    assert [(b.min, b.max) for b in bands] == [
        (1000, 1019),
        (1020, 1039),
        (1040, 1059),
        (1060, 1079),
        (1080, 1100),
    ]


def test_currencies_stay_apart_commonest_first_and_few() -> None:
    rows = [("USD", 500, 3), ("USD", 900, 1), ("JPY", 500, 2), ("EUR", 100, 2), ("GBP", 1, 1)]
    bands = price_bands(rows)
    assert [b.currency for b in bands] == ["USD", "USD", "EUR", "JPY"]
    assert [(b.min, b.max, b.count) for b in bands] == [
        (500, 899, 3),
        (900, 900, 1),
        (100, 100, 2),
        (500, 500, 2),
    ]


def test_bands_are_ordered_disjoint_and_count_every_product() -> None:
    rng = random.Random(7)
    for _ in range(200):
        prices = [rng.choice((0, 1, 99, 100, 999, 5000, rng.randrange(10**7))) for _ in range(50)]
        bands = price_bands(("USD", price, 1) for price in prices)
        assert sum(band.count for band in bands) == len(prices)
        assert bands[0].min == min(prices)
        assert bands[-1].max == max(prices)
        assert all(a.max < b.min for a, b in pairwise(bands))
        assert all(band.count > 0 and band.min <= band.max for band in bands)
