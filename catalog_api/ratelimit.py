"""In-process token-bucket rate limiting per client."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable

from catalog_api.errors import RateLimitedError


class RateLimiter:
    """Allow `per_minute` requests a minute per key, in bursts of up to `burst`."""

    def __init__(
        self,
        *,
        per_minute: float,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(burst if burst is not None else max(1, math.ceil(per_minute)))
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def check(self, key: str, what: str) -> None:
        """Take one token for key or raise RateLimitedError with the wait."""
        if self.rate <= 0:
            return
        now = self.clock()
        tokens, stamp = self._buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - stamp) * self.rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            wait = (1 - tokens) / self.rate
            raise RateLimitedError(f"Too many {what} requests; retry in {math.ceil(wait)} s.", wait)
        self._buckets[key] = (tokens - 1, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
