"""A circuit breaker: skip a provider that keeps failing until a cooldown has passed."""

from __future__ import annotations

import time
from collections.abc import Callable


class CircuitBreaker:
    """Open after `threshold` consecutive failures; allow one trial call after `cooldown` s."""

    def __init__(
        self, *, threshold: int, cooldown: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None

    @property
    def state(self) -> str:
        """Return closed, open or half-open."""
        if self.opened_at is None:
            return "closed"
        return "half-open" if self.clock() - self.opened_at >= self.cooldown else "open"

    def allows(self) -> bool:
        """Tell whether a call may be tried now."""
        return self.state != "open"

    def retry_in(self) -> float:
        """Seconds until an open breaker lets a trial call through."""
        if self.opened_at is None:
            return 0.0
        return max(0.0, self.cooldown - (self.clock() - self.opened_at))

    def record_success(self) -> None:
        """Close the breaker."""
        self.failures = 0
        self.opened_at = None

    def record_failure(self) -> None:
        """Count a failure; open (again) at the threshold or after a failed trial call."""
        self.failures += 1
        if self.opened_at is not None or self.failures >= self.threshold:
            self.opened_at = self.clock()
