"""Rate limits per client: a token bucket in this process, or budgets shared through Redis."""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from catalog_api.errors import RateLimitedError

logger = logging.getLogger(__name__)

# How often a Redis outage is logged again while limits fall back to this process.
OUTAGE_LOG_SECONDS = 60.0


class Limiter(Protocol):
    """What the routes need of a rate limiter."""

    async def take(self, key: str, what: str) -> None:
        """Take one request from key's budget or raise RateLimitedError with the wait."""

    async def wait(self, key: str, what: str) -> float | None:
        """Return the seconds until key may send again, None when it may now (takes nothing)."""


class RateLimiter:
    """Allow `per_minute` requests a minute per key, in bursts of up to `burst`, in-process."""

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

    def _tokens(self, key: str) -> tuple[float, float]:
        now = self.clock()
        tokens, stamp = self._buckets.pop(key, (self.capacity, now))
        return min(self.capacity, tokens + (now - stamp) * self.rate), now

    def check(self, key: str, what: str) -> None:
        """Take one token for key or raise RateLimitedError with the wait."""
        if self.rate <= 0:
            return
        tokens, now = self._tokens(key)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            wait = (1 - tokens) / self.rate
            raise RateLimitedError(f"Too many {what} requests; retry in {math.ceil(wait)} s.", wait)
        self._buckets[key] = (tokens - 1, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)

    async def take(self, key: str, what: str) -> None:
        """Take one token for key or raise RateLimitedError with the wait."""
        self.check(key, what)

    async def wait(self, key: str, what: str) -> float | None:
        """Return the seconds until key has a token, None when it has one now."""
        if self.rate <= 0 or key not in self._buckets:
            return None
        tokens, now = self._tokens(key)
        self._buckets[key] = (tokens, now)
        return None if tokens >= 1 else (1 - tokens) / self.rate


def _windows(per_minute: float, burst: int | None) -> list[RateLimitItem]:
    """Return moving windows that approximate a token bucket: its burst, and its minute."""
    burst_size = burst if burst is not None else max(1, math.ceil(per_minute))
    burst_seconds = max(1, round(burst_size * 60 / per_minute))
    windows: list[RateLimitItem] = [RateLimitItemPerSecond(burst_size, burst_seconds)]
    if burst_seconds < 60 and per_minute >= 1:
        windows.append(RateLimitItemPerSecond(math.ceil(per_minute), 60))
    return windows


class SharedRateLimiter:
    """The same budgets held in Redis, so every API process using it shares them.

    The `limits` library's moving windows stand in for the bucket: `burst` requests in the
    time the rate refills them, and a minute's rate in any minute. While Redis cannot be
    reached, this process's own bucket decides, and the outage is logged.
    """

    def __init__(
        self, redis_url: str, *, per_minute: float, burst: int | None, namespace: str
    ) -> None:
        self.local = RateLimiter(per_minute=per_minute, burst=burst)
        self.windows = _windows(per_minute, burst) if per_minute > 0 else []
        storage = RedisStorage(
            "async+" + redis_url, wrap_exceptions=True, key_prefix=f"catalog:{namespace}"
        )
        self.strategy = MovingWindowRateLimiter(storage)
        self._outage_logged_at = -math.inf

    async def take(self, key: str, what: str) -> None:
        """Take one request from key's shared budget or raise RateLimitedError with the wait."""
        try:
            for window in self.windows:
                if not await self.strategy.hit(window, what, key):
                    stats = await self.strategy.get_window_stats(window, what, key)
                    wait = max(1.0, stats.reset_time - time.time())
                    raise RateLimitedError(
                        f"Too many {what} requests; retry in {math.ceil(wait)} s.", wait
                    )
        except StorageError as error:
            self._outage(error)
            await self.local.take(key, what)

    async def wait(self, key: str, what: str) -> float | None:
        """Return the seconds until key may send again, None when it may now."""
        try:
            for window in self.windows:
                if not await self.strategy.test(window, what, key):
                    stats = await self.strategy.get_window_stats(window, what, key)
                    return max(1.0, stats.reset_time - time.time())
        except StorageError as error:
            self._outage(error)
            return await self.local.wait(key, what)
        return None

    def _outage(self, error: StorageError) -> None:
        now = time.monotonic()
        if now - self._outage_logged_at >= OUTAGE_LOG_SECONDS:
            self._outage_logged_at = now
            logger.warning(
                "Redis unreachable for shared rate limits (%s); each process counts its own",
                error,
            )


def build_limiter(
    redis_url: str | None, *, per_minute: float, burst: int | None, namespace: str
) -> Limiter:
    """Return a limiter shared through Redis when a URL is given, else one in this process."""
    if redis_url:
        return SharedRateLimiter(redis_url, per_minute=per_minute, burst=burst, namespace=namespace)
    return RateLimiter(per_minute=per_minute, burst=burst)
